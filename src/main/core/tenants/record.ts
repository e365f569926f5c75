import { z } from 'zod';
import { ErrorInfoSchema } from '../../../shared/contract';
import { parseJsonAs } from '../errors';
import { PLANS } from './modules';

/**
 * `tenant.json`: what a tenant is, kept on the host beside its compose file so every operator's
 * console sees the same thing. Written atomically; the console never keeps its own copy.
 */
export const TENANT_RECORD_VERSION = 1;

export const TenantOperationSchema = z.object({
  kind: z.enum(['create', 'update', 'suspend', 'resume', 'delete']),
  state: z.enum(['running', 'succeeded', 'failed']),
  actor: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** The step it is at, or failed at. */
  step: z.string().nullable(),
  error: ErrorInfoSchema.nullable(),
});
export type TenantOperation = z.infer<typeof TenantOperationSchema>;

export const TenantRecordSchema = z.object({
  version: z.literal(TENANT_RECORD_VERSION),
  slug: z.string(),
  plan: z.enum(PLANS),
  domain: z.string(),
  modules: z.array(z.object({ name: z.string(), version: z.string() })),
  templateVersion: z.string(),
  images: z.record(z.string(), z.string()),
  /** `creating` until the create finished; a `creating` tenant is resumed by running create again. */
  state: z.enum(['creating', 'running', 'suspended', 'failed', 'deleting']),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  lastOperation: TenantOperationSchema,
  /**
   * What n8n holds of the modules: a digest of their workflow and credential files as last
   * imported (an update re-imports, and restarts n8n, only when it changed). Absent on records
   * of older consoles: the next update imports.
   */
  workflowsDigest: z.string().optional(),
});
export type TenantRecord = z.infer<typeof TenantRecordSchema>;

export function parseTenantRecord(text: string, where: string): TenantRecord {
  return parseJsonAs(TenantRecordSchema, text, where, {
    notJson: { code: 'tenant.record-invalid', hint: 'Inspect the file on the host.' },
    invalid: {
      code: 'tenant.record-invalid',
      hint: 'Inspect the file on the host; it may come from a newer console.',
    },
  });
}
