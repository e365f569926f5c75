import { posix } from 'node:path';
import { z } from 'zod';
import {
  BackupEntrySchema,
  type BackupRunSchema,
  type CommandOutput,
  type RestoreReportSchema,
} from '../../../shared/contract';
import { CoreError } from '../errors';
import { auditActor } from '../audit/trail';
import type { HostRecord } from '../store/schema';
import { RECIPIENT } from './keys';

/** The backup agent's settings on a host (`<state>/agent/backup.json`) and the views of them. */

export type BackupEntry = CommandOutput<'backups.create'>;
export type BackupRun = z.infer<typeof BackupRunSchema>;
export type RestoreReport = z.infer<typeof RestoreReportSchema>;
export type BackupSchedule = CommandOutput<'backups.scheduleInfo'>;
export type KeyStatus = CommandOutput<'backups.keyStatus'>;

const RecipientEntrySchema = z.object({
  recipient: z.string().regex(RECIPIENT, 'not an age public key'),
  label: z.string().default(''),
  addedAt: z.string().default(''),
  addedBy: z.string().default(''),
});
export type RecipientEntry = z.infer<typeof RecipientEntrySchema>;
/** Hosts' agents encrypt to at most this many keys (one per operator, plus recovery keys). */
export const MAX_RECIPIENTS = 20;

export const AgentConfigSchema = z.object({
  version: z.literal(1),
  stateDir: z.string(),
  backupDir: z.string(),
  /** The first of `recipients`, kept for agents before version 7 (they read only this one). */
  recipient: z.string(),
  /**
   * Every public key the agent encrypts to (issue 11, item 8): `age -r` once per key, so any one
   * of the private keys reads the archive. Settings written before this list existed have only
   * `recipient`; they read as a list of that one key.
   */
  recipients: z.array(RecipientEntrySchema).max(MAX_RECIPIENTS).optional(),
  at: z.string().regex(/^\d\d:\d\d$/),
  retention: z.object({ daily: z.number().int().min(1), weekly: z.number().int().min(0) }),
  offsite: z
    .object({
      target: z.string(),
      port: z.number().int(),
      path: z.string(),
      identityFile: z.string(),
      /** Days the reserve's receiver keeps archives (its forced command's argument). */
      keep: z.number().int().min(1),
      /** The reserve's host key, pinned from the console on the operator's confirmation. */
      hostKey: z.object({ line: z.string(), fingerprint: z.string() }).optional(),
    })
    .nullable()
    .default(null),
  /** Read by consoles, not by the agent: drills need the private key. */
  drillWeekday: z.number().int().min(0).max(6).nullable().default(null),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema> & { recipients: RecipientEntry[] };

export function withRecipients(c: z.infer<typeof AgentConfigSchema>): AgentConfig {
  const recipients = c.recipients?.length
    ? c.recipients
    : [{ recipient: c.recipient, label: '', addedAt: '', addedBy: '' }];
  return { ...c, recipients, recipient: recipients[0]?.recipient ?? c.recipient };
}

/** The host's agent does not encrypt to this console's key: refused, never re-keyed silently. */
export function keyMismatch(host: HostRecord, config: AgentConfig, ours: string): CoreError {
  const theirs = config.recipients.map((r) => `${r.recipient}${r.label ? ` (${r.label})` : ''}`);
  return new CoreError(
    'backup.key-mismatch',
    `The backups on ${host.name} are encrypted to ${theirs.join(', ')}, not to this console's key ${ours}.`,
    `This console could not read them. Import the fleet's key (truffles backup key init --identity-file FILE --replace), ` +
      `or add this console's key beside the others: truffles backup key add-recipient ${host.name}; ` +
      `to replace every key on purpose: truffles backup key rekey ${host.name} --confirm ${host.name}`,
    { host: host.name, recipients: config.recipients.map((r) => r.recipient), ours },
  );
}

/** The settings of a host whose agent was never installed: this console's key, 03:00, 7 daily, 4 weekly. */
export function defaultConfig(host: HostRecord, recipient: string): AgentConfig {
  return {
    version: 1,
    stateDir: host.stateDir,
    backupDir: posix.join(host.stateDir, 'backups'),
    recipient,
    recipients: recipient
      ? [{ recipient, label: auditActor(), addedAt: new Date().toISOString(), addedBy: auditActor() }]
      : [],
    at: '03:00',
    retention: { daily: 7, weekly: 4 },
    offsite: null,
    drillWeekday: null,
  };
}

export const SidecarSchema = BackupEntrySchema.omit({ host: true, provenAt: true });

export interface OffsiteInput {
  target: string;
  port: number;
  path: string;
  identityFile: string;
  keep: number;
  /** The reserve's host key fingerprint as the operator verified it. */
  acceptFingerprint?: string | undefined;
}

export interface ScheduleInput {
  host: string;
  at?: string | undefined;
  daily?: number | undefined;
  weekly?: number | undefined;
  backupDir?: string | undefined;
  offsite?: OffsiteInput | null | undefined;
  drillWeekday?: number | null | undefined;
}
