/** Events: what the core tells the renderer as work goes on (progress, logs, status, changes). */
import { z } from 'zod';
import { AlertRecordSchema } from './alerts';
import { ContainerHealthSchema, HostHealthSchema, LogLineSchema } from './health';
import { HostStatusSchema } from './hosts';
import { KbJobSchema } from './kb';
import { defineSlice, ErrorInfoSchema } from './kernel';

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
  /** Events were dropped for this subscriber (it did not keep up): reload what is shown. */
  z.object({ type: z.literal('events.dropped'), count: z.number().int().positive() }),
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
  /**
   * What a host's agent saw change (sent while someone subscribes to this topic by name): the
   * containers that changed (whole records), those removed, the host's own sample, whether its
   * Docker events stream is connected, or why the host's agent cannot be followed now.
   */
  z.object({
    type: z.literal('health.changed'),
    host: z.string(),
    containers: z.array(ContainerHealthSchema).optional(),
    removed: z.array(z.string()).optional(),
    hostHealth: HostHealthSchema.optional(),
    eventsConnected: z.boolean().optional(),
    error: ErrorInfoSchema.optional(),
  }),
  /**
   * A host's alert rules fired, escalated, repeated or resolved something (its agent says so while
   * someone follows `health.changed` or `alerts.changed` by name), or the console itself lost or
   * found a host (`unreachable`: only a console can tell). `active`: how many are active there now.
   * The open console shows a desktop notification; Telegram is the agent's alone.
   */
  z.object({
    type: z.literal('alerts.changed'),
    host: z.string(),
    notices: z
      .array(
        z.object({
          id: z.string().max(4096),
          type: z.enum(['fire', 'escalate', 'repeat', 'resolve']),
          at: z.number(),
          silent: z.boolean(),
          alert: AlertRecordSchema,
          resolvedAt: z.number().optional(),
          reason: z.enum(['cleared', 'gone', 'disabled']).optional(),
        }),
      )
      .optional(),
    active: z.number().int().nonnegative().optional(),
    /** The console cannot reach the host since this moment (ISO); null: it can again. */
    unreachable: z
      .object({ since: z.string(), minutes: z.number().nonnegative(), error: ErrorInfoSchema })
      .nullable()
      .optional(),
  }),
  /**
   * Knowledge-base jobs of a tenant changed (phase, progress): sent while a `kb.watch` runs, and on
   * upload. `error`: the watch ended (its worker could not be reached again for a minute); no more
   * will come until it is watched again.
   */
  z.object({
    type: z.literal('kb.progress'),
    host: z.string(),
    tenant: z.string(),
    jobs: z.array(KbJobSchema),
    error: ErrorInfoSchema.optional(),
  }),
  /**
   * Lines of a `logs.follow`, in order. `resumed`: the connection dropped and the follow went on
   * from the last line (nothing lost, nothing repeated). `ended`: no more will come (the reason in
   * `error` when it failed).
   */
  z.object({
    type: z.literal('logs.lines'),
    streamId: z.string(),
    lines: z.array(LogLineSchema),
    resumed: z.boolean().optional(),
    ended: z.boolean().optional(),
    error: ErrorInfoSchema.optional(),
  }),
]);
export type AppEvent = z.infer<typeof AppEventSchema>;

/** What a subscription asks for: event types, or `*` for every event. */
export const EVENT_TOPICS = [
  '*',
  ...AppEventSchema.options.map((o) => o.shape.type.value).filter((t) => t !== 'events.dropped'),
] as const;
export type EventTopic = AppEvent['type'] | '*';
const EventTopicSchema = z
  .string()
  .max(40)
  .refine((t) => (EVENT_TOPICS as readonly string[]).includes(t), 'An event topic is an event type or "*".');

/**
 * Subscriptions: events reach a window or a socket only while it holds one. The subscription
 * belongs to the window or socket that asked (its owner) and ends with it.
 */
export const eventsSlice = defineSlice('events', {
  'events.subscribe': {
    effect: 'read',
    input: z.object({ topics: z.array(EventTopicSchema).min(1).max(20) }).strict(),
    output: z.object({ id: z.string() }),
  },
  'events.unsubscribe': {
    effect: 'read',
    input: z.object({ id: z.string().max(40) }).strict(),
    output: z.object({ removed: z.boolean() }),
  },
});
