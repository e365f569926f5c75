/**
 * Backups: archives, runs, restores and drills, the schedule, the fleet's backup keys and offsite copies.
 */
import { z } from 'zod';
import {
  ConfirmSchema,
  LocalFileSchema,
  Empty,
  FingerprintSchema,
  HostNameSchema,
  LIMITS,
  PATH_TOO_LONG,
  PortSchema,
  defineSlice,
} from './kernel';
import { OpIdSchema } from './ops';
import { TenantRefSchema } from './tenants';

/** A backup's id on its host: `<UTC time>-<kind>[-n]`, e.g. 20261125T030000Z-scheduled. */
export const BackupIdSchema = z
  .string()
  .max(64, 'A backup id looks like 20261125T030000Z-scheduled (see truffles backup list SLUG).')
  .regex(
    /^\d{8}T\d{6}Z-(scheduled|manual|safety|pre-update|final)(-\d{1,3})?$/,
    'A backup id looks like 20261125T030000Z-scheduled (see truffles backup list SLUG).',
  );
export const BackupKindSchema = z.enum(['scheduled', 'manual', 'safety', 'pre-update', 'final']);

export const BackupCountsSchema = z.object({
  tables: z.record(z.string(), z.number().int().nonnegative()),
  points: z.record(z.string(), z.number().int().nonnegative()),
  workflows: z.number().int().nonnegative(),
});

/** One archive on a host, as its plain sidecar describes it (the archive itself is encrypted). */
export const BackupEntrySchema = z.object({
  id: BackupIdSchema,
  tenant: z.string(),
  host: z.string(),
  kind: BackupKindSchema,
  createdAt: z.string(),
  /** Bytes of the encrypted archive. */
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  tools: z.record(z.string(), z.string()),
  counts: BackupCountsSchema,
  /** Where else it is: an offsite copy was made. */
  offsite: z.boolean(),
  /** Restored or drilled successfully at least once ("never restored" otherwise). */
  provenAt: z.string().nullable(),
});

/** One run of the agent for a tenant (success or failure), newest last on the host. */
export const BackupRunSchema = z.object({
  at: z.string(),
  tenant: z.string(),
  kind: BackupKindSchema,
  ok: z.boolean(),
  /**
   * The tenant was busy (another operation held its lock): nothing was backed up, and the run is
   * neither a success nor a failure; `error` says who held it and since when.
   */
  skipped: z.boolean().optional(),
  id: z.string().nullable(),
  error: z.string().nullable(),
  seconds: z.number().nonnegative(),
  /** The offsite copy of this run's archive: ok, or failed with the reason; null/absent: none configured. */
  offsite: z.object({ ok: z.boolean(), error: z.string().nullable() }).nullable().optional(),
});

export const CountDiffSchema = z.object({
  what: z.string(),
  expected: z.number(),
  actual: z.number().nullable(),
});

export type RestoreReport = z.infer<typeof RestoreReportSchema>;
export const RestoreReportSchema = z.object({
  tenant: z.string(),
  host: z.string(),
  backupId: z.string(),
  kind: z.enum(['restore', 'drill']),
  ok: z.boolean(),
  at: z.string(),
  /** The safety backup taken before a restore (null for drills or when skipped on purpose). */
  safetyBackupId: z.string().nullable(),
  /** For a drill: the throw-away tenant it restored into. */
  target: z.string(),
  seconds: z.number().nonnegative(),
  checked: z.number().int().nonnegative(),
  mismatches: z.array(CountDiffSchema),
  detail: z.string(),
});

/** An age X25519 public key (`age1…`) a host encrypts its backups to. */
export const AgeRecipientSchema = z
  .string()
  .max(62, 'An age public key starts with age1 and has 62 characters.')
  .regex(/^age1[02-9ac-hj-np-z]{58}$/, 'An age public key starts with age1 and has 62 characters.');

/** Who may read a host's backups: one age public key per operator, or an offline recovery key. */
export const BackupRecipientSchema = z.object({
  recipient: z.string(),
  label: z.string(),
  addedAt: z.string(),
  addedBy: z.string(),
});

export const BackupKeyStatusSchema = z.object({
  host: z.string(),
  /** The agent's settings exist on the host. */
  configured: z.boolean(),
  /** This console's public key (null before `backup key init`). */
  ours: z.string().nullable(),
  /** The host's agent encrypts to this console's key (among others). */
  matches: z.boolean(),
  recipients: z.array(BackupRecipientSchema.extend({ ours: z.boolean() })),
});

const RecipientLabelSchema = z
  .string()
  .max(64)
  .regex(/^[\p{L}\p{N} ._@:()-]*$/u, 'A label is up to 64 letters, digits, spaces and ._@:()-.');

export const BackupScheduleSchema = z.object({
  host: z.string(),
  installed: z.boolean(),
  /** Host time, HH:MM. */
  at: z.string(),
  via: z.enum(['systemd', 'cron', 'none']),
  agentVersion: z.string().nullable(),
  backupDir: z.string(),
  retention: z.object({ daily: z.number().int(), weekly: z.number().int() }),
  offsite: z
    .object({
      target: z.string(),
      /** Days the reserve keeps archives. */
      keep: z.number().int(),
      /** The reserve's pinned host key (null: none pinned; the agent's copies then fail). */
      fingerprint: z.string().nullable().optional(),
    })
    .nullable(),
  /** The public keys the host's agent encrypts to (issue 11, item 8). */
  recipients: z.array(BackupRecipientSchema).optional(),
  /** Weekday (0 = Sunday) on which consoles that are open drill each tenant's newest backup; null: never. */
  drillWeekday: z.number().int().min(0).max(6).nullable(),
  missing: z.array(z.string()),
});

export const BackupTenantSummarySchema = z.object({
  host: z.string(),
  slug: z.string(),
  state: z.string(),
  last: BackupEntrySchema.nullable(),
  lastRun: BackupRunSchema.nullable(),
  lastDrill: RestoreReportSchema.nullable(),
  count: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

export const HHMMSchema = z
  .string()
  .max(5, 'Give the time as HH:MM in host time, e.g. 03:00.')
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Give the time as HH:MM in host time, e.g. 03:00.');

export const backupsSlice = defineSlice('backups', {
  /** Every tenant of the fleet with its last backup, last run and last drill. */
  'backups.overview': {
    effect: 'read',
    input: z.object({ host: HostNameSchema.optional() }).strict(),
    output: z.object({
      tenants: z.array(BackupTenantSummarySchema),
      unreachable: z.array(z.object({ host: z.string(), error: z.string() })),
    }),
  },
  /** The archives of one tenant on its host, newest first, with its runs and drills. */
  'backups.list': {
    effect: 'read',
    input: TenantRefSchema.strict(),
    output: z.object({
      backups: z.array(BackupEntrySchema),
      runs: z.array(BackupRunSchema),
      restores: z.array(RestoreReportSchema),
    }),
  },
  /** Back a tenant up now (the host's agent does the work; progress as `log` events). */
  'backups.create': {
    effect: 'write',
    /** `opId`: to cancel it (ops.cancel) — the agent's run on the host is stopped. */
    input: TenantRefSchema.extend({ opId: OpIdSchema.optional() }).strict(),
    output: BackupEntrySchema,
  },
  /** Restore a tenant to a backup: verified first, safety backup, stop, restore, health, counts. */
  'backups.restore': {
    effect: 'danger',
    input: TenantRefSchema.extend({
      backupId: BackupIdSchema,
      /** The tenant's slug typed again. */
      confirm: ConfirmSchema,
      /** Skip the safety backup of the current state (only when the tenant is too broken for one). */
      skipSafetyBackup: z.boolean().default(false),
    }).strict(),
    output: RestoreReportSchema,
  },
  /** Restore a backup into a throw-away tenant, compare counts, remove it. */
  'backups.drill': {
    effect: 'write',
    input: TenantRefSchema.extend({
      backupId: BackupIdSchema.optional(),
      /** Another host to drill on (default: the tenant's own). */
      into: HostNameSchema.optional(),
    }).strict(),
    output: RestoreReportSchema,
  },
  'backups.schedule': {
    effect: 'write',
    input: z
      .object({
        host: HostNameSchema,
        at: HHMMSchema.optional(),
        daily: z.number().int().min(1).max(90).optional(),
        weekly: z.number().int().min(0).max(52).optional(),
        /**
         * A copy of every archive to a reserve server over SSH (the spec's "rsync to a reserve
         * server"), made by the host with its own key; null removes it.
         */
        offsite: z
          .object({
            target: z
              .string()
              .max(286, 'The reserve server as user@host.')
              .regex(/^[a-z_][a-z0-9_.-]{0,31}@[A-Za-z0-9.-]{1,253}$/, 'The reserve server as user@host.'),
            port: PortSchema.default(22),
            path: z
              .string()
              .max(LIMITS.path, PATH_TOO_LONG)
              .regex(/^\/[A-Za-z0-9._/-]*$/, 'An absolute path of letters, digits, ".", "_", "-" and "/".')
              .refine((v) => !v.split('/').includes('..'), 'No ".." in the path.'),
            identityFile: z
              .string()
              .max(LIMITS.path, PATH_TOO_LONG)
              .regex(/^\/[A-Za-z0-9._/-]*$/, 'The key file on the host, as an absolute path.'),
            /** Days the reserve's receiver keeps archives (the forced command's argument). */
            keep: z.number().int().min(1).max(1000).default(14),
            /** The reserve's host key fingerprint, as the operator verified it (asked for when absent). */
            acceptFingerprint: FingerprintSchema.optional(),
          })
          .strict()
          .nullable()
          .optional(),
        /** Weekly drills: the weekday (0 = Sunday) an open console drills each tenant's newest backup; null: none. */
        drillWeekday: z.number().int().min(0).max(6).nullable().optional(),
        /** Where archives go on the host (default <state>/backups). */
        backupDir: z
          .string()
          .max(LIMITS.path, PATH_TOO_LONG)
          .regex(/^\/[A-Za-z0-9._/-]*$/, 'An absolute path of letters, digits, ".", "_", "-" and "/".')
          .refine((v) => !v.split('/').includes('..'), 'No ".." in the path.')
          .optional(),
      })
      .strict(),
    output: BackupScheduleSchema,
  },
  /** Run the drills that are due (weekly, per host's drill weekday); what the open console does hourly. */
  'backups.runDueDrills': {
    effect: 'write',
    input: Empty,
    output: z.array(RestoreReportSchema),
  },
  'backups.scheduleInfo': {
    effect: 'read',
    input: z.object({ host: HostNameSchema }).strict(),
    output: BackupScheduleSchema,
  },
  'backups.keyInfo': {
    effect: 'read',
    input: Empty,
    output: z.object({ recipient: z.string(), createdAt: z.string() }).nullable(),
  },
  /**
   * Make the fleet's backup key, or take another operator's identity (`identity`, an age
   * AGE-SECRET-KEY-1…). Refused when one exists unless `replace` (danger: backups made for the
   * old key can no longer be read here).
   */
  'backups.keyInit': {
    effect: 'danger',
    input: z
      .object({
        identity: z
          .string()
          .max(256, 'An age identity starts with AGE-SECRET-KEY-1 and has 74 characters.')
          .optional(),
        replace: z.boolean().default(false),
      })
      .strict(),
    output: z.object({ recipient: z.string(), createdAt: z.string() }),
  },
  /** Write the PRIVATE backup key to a new file on this machine (mode 0600), for an offline recovery copy. */
  'backups.keyExport': {
    effect: 'danger',
    input: z.object({ out: LocalFileSchema }).strict(),
    output: z.object({ file: z.string(), recipient: z.string(), createdAt: z.string() }),
  },
  /** The authorized_keys line for the reserve server: the host's offsite key, restricted to the append-only receiver. */
  'backups.offsiteKeyLine': {
    effect: 'read',
    input: z
      .object({
        host: HostNameSchema,
        receiver: z
          .string()
          .max(256, 'The receiver on the reserve, as an absolute path of at most 256 characters.')
          .regex(/^\/[A-Za-z0-9._/-]{1,255}$/, 'The receiver on the reserve, as an absolute path.')
          .optional(),
      })
      .strict(),
    output: z.object({ host: z.string(), line: z.string(), folder: z.string(), receiver: z.string() }),
  },
  /** Which public keys a host's backups are encrypted to, and whether this console's is one. */
  'backups.keyStatus': {
    effect: 'read',
    input: z.object({ host: HostNameSchema }).strict(),
    output: BackupKeyStatusSchema,
  },
  /** Add a public key to the host's recipients: this console's (default) or another (an offline recovery key). Audited. */
  'backups.addRecipient': {
    effect: 'write',
    input: z
      .object({
        host: HostNameSchema,
        recipient: AgeRecipientSchema.optional(),
        label: RecipientLabelSchema.optional(),
      })
      .strict(),
    output: BackupKeyStatusSchema,
  },
  /** Remove a public key from the host's recipients (never the last one). Audited. */
  'backups.removeRecipient': {
    effect: 'danger',
    input: z.object({ host: HostNameSchema, recipient: AgeRecipientSchema }).strict(),
    output: BackupKeyStatusSchema,
  },
  /** Replace every recipient of the host with this console's key; confirm is the host's name. Audited. */
  'backups.rekey': {
    effect: 'danger',
    input: z.object({ host: HostNameSchema, confirm: z.string().max(100) }).strict(),
    output: BackupKeyStatusSchema,
  },
});
