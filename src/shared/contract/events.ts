/** Events: what the core tells the renderer as work goes on (progress, logs, status, changes). */
import { z } from 'zod';
import { HostStatusSchema } from './hosts';

export const AppEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('progress'),
    opId: z.string(),
    title: z.string(),
    step: z.string(),
    stepIndex: z.number(),
    stepCount: z.number(),
    state: z.enum(['running', 'done', 'failed']),
    message: z.string().optional(),
  }),
  z.object({
    type: z.literal('log'),
    source: z.string(),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    at: z.string(),
  }),
  z.object({
    type: z.literal('status'),
    subject: z.object({ kind: z.literal('host'), name: z.string() }),
    status: HostStatusSchema,
    at: z.string(),
  }),
  z.object({ type: z.literal('hosts.changed') }),
  z.object({ type: z.literal('tenants.changed'), host: z.string() }),
  z.object({ type: z.literal('backups.changed'), host: z.string(), slug: z.string() }),
  z.object({
    type: z.literal('fleet.progress'),
    opId: z.string(),
    host: z.string(),
    slug: z.string(),
    state: z.enum([
      'queued',
      'backup',
      'updating',
      'health',
      'rolling-back',
      'updated',
      'rolled-back',
      'failed',
      'skipped',
    ]),
    detail: z.string(),
  }),
]);
export type AppEvent = z.infer<typeof AppEventSchema>;
