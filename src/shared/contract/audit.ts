/**
 * The audit trail (issue 17): each host keeps one hash chain of who did what (see
 * src/main/core/audit/chain.ts). Reading it stays `hosts.audit`; this slice verifies it against
 * the checkpoints this console kept of heads it saw.
 */
import { z } from 'zod';
import { defineSlice, HostNameSchema } from './kernel';

export const ChainProblemSchema = z.object({
  kind: z.enum(['malformed', 'altered', 'broken-link', 'removed', 'reordered', 'rewritten', 'truncated']),
  /** The line of the trail (1-based) where it shows. */
  line: z.number().int(),
  /** The record expected there. */
  seq: z.number().int(),
  message: z.string(),
});
export type ChainProblem = z.infer<typeof ChainProblemSchema>;

export const AuditVerifySchema = z.object({
  host: z.string(),
  ok: z.boolean(),
  /** Records that held, up to the first problem (all of them when ok). */
  records: z.number().int(),
  head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
  /** Checkpoints this console kept for the host, and how many of them the trail matched. */
  checkpoints: z.number().int(),
  checkpointsMatched: z.number().int(),
  problem: ChainProblemSchema.nullable(),
  verifiedAt: z.string(),
});
export type AuditVerify = z.infer<typeof AuditVerifySchema>;

export const auditSlice = defineSlice('audit', {
  /**
   * Read the host's whole trail and check every link, hash and sequence number, and every
   * checkpoint of it this console kept; a trail that holds adds its head as a checkpoint.
   */
  'audit.verify': {
    effect: 'read',
    input: z.object({ host: HostNameSchema }).strict(),
    output: AuditVerifySchema,
  },
});
