/**
 * Alerts (issue 14): what each host's agent watches for, fires and sends (Telegram), and what
 * people do about it — acknowledge, silence, maintenance windows, per-host settings, a test
 * message. The rules run on the host with no console open; the console reads and changes them
 * through the agent's door. The schemas mirror src/shared/agent/alerts.ts: what an agent answers
 * is checked against them before the console uses it.
 */
import { z } from 'zod';
import type {
  AlertEpisode,
  AlertRecord,
  AlertRule,
  AlertsConfig,
  AlertsView,
  MaintenanceWindow,
  Silence,
} from '../agent/alerts';
import { ALERT_KINDS } from '../agent/alerts';
import { defineSlice, ErrorInfoSchema, HostNameSchema } from './kernel';
import { SlugSchema } from './tenants';

const Ms = z.number().int().nonnegative();
const Kind = z.enum(ALERT_KINDS as unknown as [string, ...string[]]);
const Severity = z.enum(['warning', 'critical']);
const Text = z.string().max(4096);

const SubjectSchema = z.object({
  tenant: z.string().max(64).optional(),
  service: z.string().max(256).optional(),
  mount: z.string().max(4096).optional(),
  cert: z.string().max(256).optional(),
});

const AckSchema = z.object({ by: z.string().max(256), at: Ms, note: z.string().max(1000).optional() });

const ParamsSchema = z
  .object({
    windowMs: Ms.optional(),
    stableMs: Ms.optional(),
    graceMs: Ms.optional(),
    maxAgeMs: Ms.optional(),
    allowedPorts: z.array(z.number().int().min(1).max(65535)).max(100).optional(),
  })
  .strict();

const SettingsShape = {
  enabled: z.boolean(),
  severity: Severity,
  forMs: Ms,
  clearForMs: Ms,
  cooldownMs: Ms,
  repeatMs: Ms.nullable(),
  fire: z.number().finite().optional(),
  clear: z.number().finite().optional(),
  critical: z.number().finite().optional(),
  params: ParamsSchema.optional(),
};

export const AlertRuleSchema = z.object({
  id: z.string().max(64),
  kind: Kind,
  ...SettingsShape,
}) as unknown as z.ZodType<AlertRule>;

const OverrideSchema = z
  .object({
    rule: z.string().min(1).max(64),
    host: z.string().max(64).optional(),
    tenant: SlugSchema.optional(),
    set: z.object(SettingsShape).partial().strict(),
  })
  .strict();

/** The same change as an input: every object strict (a misspelt setting is refused, not dropped). */
const OverrideInputSchema = z
  .object({
    rule: z.string().min(1).max(64),
    host: z.string().max(64).optional(),
    tenant: SlugSchema.optional(),
    set: z
      .object({ ...SettingsShape, params: ParamsSchema.strict().optional() })
      .partial()
      .strict(),
  })
  .strict();

const Hhmm = z
  .string()
  .max(5)
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time is HH:MM (00:00 to 23:59).');
/** An IANA time zone name the runtime knows (Asia/Almaty, Europe/Moscow, UTC …). */
const TimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'Not a time zone: use an IANA name such as Asia/Almaty or UTC.');

export const TelegramDestinationSchema = z
  .object({
    chatId: z
      .string()
      .max(64)
      .regex(
        /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/,
        'A chat is its numeric id (-100… for a group) or @channelname.',
      ),
    threadId: z.number().int().positive().optional(),
    language: z.enum(['en', 'ru']).optional(),
  })
  .strict();

export const AlertsConfigSchema = z.object({
  host: z.string().max(64),
  rules: z.array(AlertRuleSchema).max(200).optional(),
  overrides: z.array(OverrideSchema).max(500).optional(),
  quietHours: z.object({ from: Hhmm, to: Hhmm, timeZone: TimeZone }).nullable().optional(),
  language: z.enum(['en', 'ru']).optional(),
  timeZone: TimeZone.optional(),
  telegram: z.array(TelegramDestinationSchema).max(10).optional(),
  telegramApi: z.string().url().max(512).optional(),
  digestAfter: z.number().int().min(1).max(1000).optional(),
}) as unknown as z.ZodType<AlertsConfig>;

export const AlertRecordSchema = z.object({
  id: z.number().int(),
  key: z.string().max(4096),
  ruleId: z.string().max(64),
  kind: Kind,
  subject: SubjectSchema,
  subjectKey: z.string().max(4096),
  phase: z.enum(['pending', 'firing']),
  severity: Severity,
  pendingSince: Ms,
  firingSince: Ms.nullable(),
  clearingSince: Ms.nullable(),
  value: z.number().nullable(),
  peak: z.number().nullable(),
  facts: z.record(z.string(), z.union([z.string().max(4096), z.number(), z.boolean(), z.null()])),
  fix: z.string().max(128).nullable(),
  notifiedSeverity: Severity.nullable(),
  lastNotifiedAt: Ms.nullable(),
  repeats: z.number().int().nonnegative(),
  ack: AckSchema.nullable(),
}) as unknown as z.ZodType<AlertRecord>;

const EpisodeSchema = z.object({
  id: z.number().int(),
  key: z.string().max(4096),
  ruleId: z.string().max(64),
  kind: Kind,
  subject: SubjectSchema,
  severity: Severity,
  firedAt: Ms,
  resolvedAt: Ms,
  reason: z.enum(['cleared', 'gone', 'disabled']),
  peak: z.number().nullable(),
  notified: z.boolean(),
  ack: AckSchema.nullable(),
}) as unknown as z.ZodType<AlertEpisode>;

export const SilenceSchema = z.object({
  id: z.string().max(64),
  rule: z.string().max(256),
  subject: z.string().max(4096),
  until: Ms,
  by: z.string().max(256),
  at: Ms,
  reason: z.string().max(1000).optional(),
}) as unknown as z.ZodType<Silence>;

export const MaintenanceSchema = z.object({
  id: z.string().max(64),
  start: Ms,
  end: Ms,
  rule: z.string().max(256).optional(),
  subject: z.string().max(4096).optional(),
  by: z.string().max(256),
  reason: z.string().max(1000).optional(),
}) as unknown as z.ZodType<MaintenanceWindow>;

export const AlertsViewSchema = z.object({
  config: AlertsConfigSchema.nullable(),
  telegramToken: z.boolean(),
  rules: z.array(AlertRuleSchema).max(500),
  active: z.array(AlertRecordSchema).max(10_000),
  silences: z.array(SilenceSchema).max(1000),
  maintenance: z.array(MaintenanceSchema).max(1000),
  history: z.array(EpisodeSchema).max(1000),
  delivery: z.object({
    pending: z.number().int().nonnegative(),
    failures: z
      .array(
        z.object({
          ids: z.array(z.string().max(4096)).max(1000),
          chatId: z.string().max(64),
          threadId: z.number().int().optional(),
          at: Ms,
          error: Text,
        }),
      )
      .max(100),
    blocked: Text.nullable(),
    lastSentAt: Ms.nullable(),
  }),
  evaluatedAt: Ms.nullable(),
  problems: z.array(Text).max(100),
}) as unknown as z.ZodType<AlertsView>;

/** Every host's alerts (one agent call per host, all at once), or why a host's cannot be read. */
export const FleetAlertsSchema = z.object({
  takenAt: z.string(),
  hosts: z.array(
    z.object({
      host: z.string(),
      view: AlertsViewSchema.nullable(),
      error: ErrorInfoSchema.nullable(),
    }),
  ),
});
export type FleetAlerts = z.infer<typeof FleetAlertsSchema>;

/** An alert on a host: its episode id (what people type) or its key. */
const AlertRef = z.union([z.number().int().positive(), z.string().min(1).max(4096)]);
/** A glob over rule ids or subject keys (`*` any run of characters). */
const Glob = z.string().min(1).max(512);
const Reason = z.string().max(1000).optional();

export const alertsSlice = defineSlice('alerts', {
  /** Every host's alerts, or one host's. */
  'alerts.list': {
    effect: 'read',
    input: z
      .object({ host: HostNameSchema.optional(), limit: z.number().int().min(1).max(1000).optional() })
      .strict(),
    output: FleetAlertsSchema,
  },
  /** Acknowledge: no more repeats of it; recorded with who and when. */
  'alerts.ack': {
    effect: 'write',
    input: z.object({ host: HostNameSchema, ref: AlertRef, note: Reason }).strict(),
    output: AlertRecordSchema,
  },
  /** Silence matching alerts (they still fire and show, nothing is sent) for a time. */
  'alerts.silence': {
    effect: 'write',
    input: z
      .object({
        host: HostNameSchema,
        rule: Glob.default('*'),
        subject: Glob.default('*'),
        /** How long, in minutes (at most 30 days). */
        minutes: z.number().int().min(1).max(43_200),
        reason: Reason,
      })
      .strict(),
    output: SilenceSchema,
  },
  /** A maintenance window (e.g. during a fleet update): like a silence, from start to end. */
  'alerts.maintenance': {
    effect: 'write',
    input: z
      .object({
        host: HostNameSchema,
        start: z.string().max(64).datetime({ offset: true }),
        end: z.string().max(64).datetime({ offset: true }),
        rule: Glob.optional(),
        subject: Glob.optional(),
        reason: Reason,
      })
      .strict()
      .refine((i) => Date.parse(i.end) > Date.parse(i.start), {
        message: 'A maintenance window ends after it starts.',
        path: ['end'],
      }),
    output: MaintenanceSchema,
  },
  /** End a silence or maintenance window early. */
  'alerts.unhold': {
    effect: 'write',
    input: z.object({ host: HostNameSchema, id: z.string().min(1).max(64) }).strict(),
    output: z.object({ removed: z.boolean() }),
  },
  /**
   * A host's alert settings: Telegram destinations, language, time zone, quiet hours, rule
   * changes. The bot token is kept (encrypted) by the console and given to the host's agent only.
   */
  'alerts.configure': {
    effect: 'write',
    input: z
      .object({
        host: HostNameSchema,
        telegram: z.array(TelegramDestinationSchema).max(10).optional(),
        /** A new bot token (`123456:ABC…`), or null to remove it; absent keeps it. */
        token: z
          .string()
          .max(130)
          .regex(
            /^\d{3,20}:[A-Za-z0-9_-]{20,100}$/,
            'A bot token looks like 123456789:AA… (from @BotFather).',
          )
          .nullable()
          .optional(),
        language: z.enum(['en', 'ru']).optional(),
        timeZone: TimeZone.optional(),
        /** The Bot API's base URL, or a relay's (air-gapped sites); default https://api.telegram.org. */
        telegramApi: z
          .string()
          .regex(/^https?:\/\/[^\s]+$/, 'The Bot API address is an http(s) URL.')
          .max(512)
          .optional(),
        /** More messages than this from the host within a minute go as one digest (default 5). */
        digestAfter: z.number().int().min(1).max(1000).optional(),
        quietHours: z.object({ from: Hhmm, to: Hhmm, timeZone: TimeZone }).strict().nullable().optional(),
        overrides: z.array(OverrideInputSchema).max(500).optional(),
      })
      .strict(),
    output: AlertsViewSchema,
  },
  /** Send a test message through the host's configured destinations. */
  'alerts.test': {
    effect: 'write',
    input: z.object({ host: HostNameSchema }).strict(),
    output: z.object({ queued: z.number().int().nonnegative() }),
  },
});
