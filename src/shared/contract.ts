/**
 * The one contract between the renderer and the core.
 *
 * Every command the renderer (or the browser bridge) may send is listed in `commands` with a zod
 * schema for its input and its output. The main process validates every input against these
 * schemas before anything runs (see src/main/core/dispatch.ts); the renderer gets the static types
 * from the same place. Events (progress, logs, status) flow the other way and are typed by
 * `AppEvent`.
 */
import { z } from 'zod';

// ---------- building blocks ----------

/**
 * Every string an input accepts has a length limit (and every record a size limit), so no
 * input can make the core hold, hash or send megabytes it never needed.
 */
export const LIMITS = {
  path: 4096,
  passphrase: 1024,
  privateKey: 16384,
  labels: 32,
  envEntries: 100,
  envValue: 4096,
  confirm: 64,
} as const;

const PATH_TOO_LONG = `The path is longer than ${LIMITS.path} characters.`;

export const HostNameSchema = z
  .string()
  .trim()
  .min(1, 'Host name is empty: give the host a short name such as "almaty-1".')
  .max(63, 'Host name is longer than 63 characters: choose a shorter name.')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'Host name may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit.',
  );

export const AddressSchema = z
  .string()
  .trim()
  .min(1, 'Address is empty: give a DNS name or an IP address.')
  .max(253, 'Address is longer than 253 characters.')
  .regex(/^[A-Za-z0-9.:_%[\]-]+$/, 'Address must be a DNS name or an IP address (no spaces, no user@).');

/**
 * A TCP port: a whole number 1–65535, or the same written in decimal digits (the CLI's flags and
 * the renderer's form fields are strings). Nothing is coerced: `true`, `"0x16"`, `"1e3"`, `" 22"`
 * and `22.5` are refused, not read as 1, 22, 1000, 22 or rounded.
 */
export const PortSchema = z
  .union(
    [
      z.number(),
      z
        .string()
        .max(5)
        .regex(/^[0-9]{1,5}$/)
        .transform(Number),
    ],
    {
      error: 'Port must be a number between 1 and 65535.',
    },
  )
  .pipe(
    z
      .number()
      .int('Port must be a whole number.')
      .min(1, 'Port must be between 1 and 65535.')
      .max(65535, 'Port must be between 1 and 65535.'),
  );

export const UserSchema = z
  .string()
  .trim()
  .min(1, 'User is empty: give the SSH user name.')
  .max(64, 'User name is longer than 64 characters.')
  .regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'User name may contain only letters, digits, ".", "_" and "-".');

const FINGERPRINT_FORM =
  'Fingerprint must look like SHA256: followed by 43 base64 characters (as `ssh-keygen -lf` prints it).';
export const FingerprintSchema = z
  .string()
  .max(256, FINGERPRINT_FORM)
  .trim()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, FINGERPRINT_FORM);

/** A passphrase (of a key file or a stored key): at most LIMITS.passphrase characters. */
const KeyPassphraseSchema = z
  .string()
  .max(LIMITS.passphrase, `The passphrase is longer than ${LIMITS.passphrase} characters.`);

/** How the console authenticates to a host, as the operator gives it. */
export const AuthInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent') }).strict(),
  z
    .object({
      kind: z.literal('keyFile'),
      path: z
        .string()
        .max(LIMITS.path, PATH_TOO_LONG)
        .trim()
        .min(1, 'Key file path is empty: give the path of a private key file.'),
      passphrase: KeyPassphraseSchema.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('storedKey'),
      /** PEM / OpenSSH private key text; encrypted at rest by the core, never stored in clear. */
      privateKey: z
        .string()
        .min(1, 'Private key is empty: paste an OpenSSH or PEM private key.')
        .max(
          LIMITS.privateKey,
          `The private key is longer than ${LIMITS.privateKey} characters: paste one OpenSSH or PEM private key.`,
        ),
      passphrase: KeyPassphraseSchema.optional(),
    })
    .strict(),
]);
export type AuthInput = z.infer<typeof AuthInputSchema>;

export const SshTargetSchema = z
  .object({
    address: AddressSchema,
    port: PortSchema.default(22),
    user: UserSchema,
    auth: AuthInputSchema,
  })
  .strict();
export type SshTarget = z.input<typeof SshTargetSchema>;

const LABEL_NAME_FORM = 'Label names are lower-case letters, digits, ".", "_" and "-", e.g. region.';
export const LabelsSchema = z
  .record(
    z
      .string()
      .max(63, LABEL_NAME_FORM)
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, LABEL_NAME_FORM),
    z
      .string()
      .max(128, 'Label values are at most 128 characters.')
      .regex(/^[^\n\r\0]*$/, 'Label values are one line.'),
  )
  .refine((r) => Object.keys(r).length <= LIMITS.labels, `At most ${LIMITS.labels} labels.`);

const ENV_NAME_FORM = 'Variable names are UPPER_SNAKE_CASE.';
/** Module values the operator gives (API keys…), by variable name. */
export const EnvValuesSchema = z
  .record(
    z
      .string()
      .max(64, ENV_NAME_FORM)
      .regex(/^[A-Z][A-Z0-9_]{1,63}$/, ENV_NAME_FORM),
    z
      .string()
      .max(LIMITS.envValue, `A value is longer than ${LIMITS.envValue} characters.`)
      .regex(/^[^\n\r\0']*$/, 'Values are one line without single quotes.'),
  )
  .refine((r) => Object.keys(r).length <= LIMITS.envEntries, `At most ${LIMITS.envEntries} variables.`);

/** The slug typed again before something is destroyed or replaced. */
const ConfirmSchema = z
  .string()
  .max(LIMITS.confirm, 'The confirmation is longer than 64 characters: type the slug again.');

export const DomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'Give a DNS domain such as bots.example.kz.',
  );

export const RegistryMirrorSchema = z
  .string()
  .trim()
  .max(255)
  .regex(
    /^[a-z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9._/-]+)?$/,
    'Give a registry such as registry.example.kz:5000 or registry.example.kz/mirror.',
  );

/** A ProxyJump chain: inventory host names, first hop first. */
export const JumpChainSchema = z.array(HostNameSchema).max(8, 'At most 8 jump hosts.').default([]);

export const LanguageSchema = z.enum(['en', 'ru']);
export type Language = z.infer<typeof LanguageSchema>;

export const SettingsSchema = z.object({
  language: LanguageSchema,
});
export type Settings = z.infer<typeof SettingsSchema>;

// ---------- views returned to the renderer ----------

export const DiskSchema = z.object({
  mount: z.string(),
  filesystem: z.string(),
  sizeBytes: z.number(),
  usedBytes: z.number(),
  availableBytes: z.number(),
});

export const HostFactsSchema = z.object({
  os: z.object({ id: z.string(), name: z.string(), version: z.string() }),
  kernel: z.string(),
  arch: z.string(),
  cpus: z.number(),
  memoryBytes: z.number(),
  memoryAvailableBytes: z.number(),
  disks: z.array(DiskSchema),
  load: z.tuple([z.number(), z.number(), z.number()]),
  uptimeSeconds: z.number(),
  docker: z.object({ version: z.string(), apiVersion: z.string() }).nullable(),
  compose: z.object({ version: z.string(), v2: z.boolean() }).nullable(),
});
export type HostFacts = z.infer<typeof HostFactsSchema>;

export const ProblemSchema = z.object({
  /** Stable machine code, e.g. `docker.missing`. */
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  /** One line that says how to fix it. */
  fix: z.string(),
});
export type Problem = z.infer<typeof ProblemSchema>;

export const ErrorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/**
 * `key-unconfirmed`: the host was imported without a key the operator had trusted before (no
 * known_hosts entry); it is not connected to until its fingerprint is confirmed (hosts.repin).
 */
export const HostStatusSchema = z.enum([
  'unknown',
  'ok',
  'warning',
  'error',
  'unreachable',
  'key-changed',
  'key-unconfirmed',
]);
export type HostStatus = z.infer<typeof HostStatusSchema>;

export const HostCheckSchema = z.object({
  host: z.string(),
  checkedAt: z.string(),
  status: HostStatusSchema,
  latencyMs: z.number().nullable(),
  keyStatus: z.enum(['ok', 'changed', 'unconfirmed', 'not-applicable']),
  facts: HostFactsSchema.nullable(),
  problems: z.array(ProblemSchema),
  error: ErrorInfoSchema.nullable(),
});
export type HostCheck = z.infer<typeof HostCheckSchema>;

export const HostViewSchema = z.object({
  name: z.string(),
  kind: z.enum(['ssh', 'local']),
  address: z.string(),
  port: z.number(),
  user: z.string(),
  authKind: z.enum(['agent', 'keyFile', 'storedKey', 'none']),
  /** Pinned host-key fingerprint (ssh hosts). */
  fingerprint: z.string().nullable(),
  keyAlgorithm: z.string().nullable(),
  jump: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  baseDomain: z.string().nullable(),
  registryMirror: z.string().nullable(),
  addedAt: z.string(),
  lastCheck: HostCheckSchema.nullable(),
});
export type HostView = z.infer<typeof HostViewSchema>;

export const ProbeResultSchema = z.object({
  address: z.string(),
  port: z.number(),
  fingerprint: z.string(),
  algorithm: z.string(),
  /** `new`: never seen; `match`: already pinned with this key; `changed`: pinned with another key. */
  known: z.enum(['new', 'match', 'changed']),
  pinnedFingerprint: z.string().nullable(),
  /**
   * What the operator's OpenSSH `known_hosts` says about this key: `match` (trusted there before,
   * `source` is `file:line`), `mismatch` (known_hosts has other keys for this address),
   * `revoked` (marked @revoked there), `absent`.
   */
  knownHosts: z.object({
    status: z.enum(['match', 'mismatch', 'revoked', 'absent']),
    source: z.string().nullable(),
  }),
});
export type ProbeResult = z.infer<typeof ProbeResultSchema>;

/** One `Host` of an OpenSSH client config, as it would be imported. */
export const ImportCandidateSchema = z.object({
  /** The alias on the `Host` line. */
  alias: z.string(),
  /** The inventory name it gets (the alias, made a valid host name). */
  name: z.string(),
  address: z.string(),
  port: z.number(),
  user: z.string(),
  authKind: z.enum(['agent', 'keyFile']),
  /** The first `IdentityFile` that exists, else null (then ssh-agent). */
  keyFile: z.string().nullable(),
  /** The jump chain as inventory names (hosts already there or imported in the same go). */
  jump: z.array(z.string()),
  /** The key pinned from known_hosts, when there is exactly one usable trusted key. */
  knownKey: z.object({ fingerprint: z.string(), algorithm: z.string(), source: z.string() }).nullable(),
  /** `add`: will be added; `exists`: a host with that name or address is in the inventory; `skip`: cannot be imported. */
  action: z.enum(['add', 'exists', 'skip']),
  /** Why `exists`/`skip`, or what the operator should know for `add` (e.g. key to confirm). */
  note: z.string().nullable(),
  /** `file:line` of the `Host` line. */
  source: z.string(),
});
export type ImportCandidate = z.infer<typeof ImportCandidateSchema>;

export const ImportPreviewSchema = z.object({
  configPath: z.string(),
  knownHostsPaths: z.array(z.string()),
  candidates: z.array(ImportCandidateSchema),
  warnings: z.array(z.string()),
});
export type ImportPreview = z.infer<typeof ImportPreviewSchema>;

const LocalPathSchema = z
  .string()
  .max(LIMITS.path, PATH_TOO_LONG)
  .trim()
  .min(1, 'The path is empty: give a file path such as ~/.ssh/config.')
  .regex(/^[^\0\n\r]*$/, 'A file path is one line.');

const ImportSourceSchema = z.object({
  /** Default `~/.ssh/config`. */
  configPath: LocalPathSchema.optional(),
  /** Default `~/.ssh/known_hosts` and `~/.ssh/known_hosts2`. */
  knownHostsPath: LocalPathSchema.optional(),
});

/** One line of a host's audit trail (kept on the host, seen by every operator's console). */
export const AuditEntrySchema = z.object({
  at: z.string(),
  /** `user@machine` of the operator's console. */
  actor: z.string(),
  /** e.g. `host.repin`, `host.add`. */
  action: z.string(),
  /** What it was done to, e.g. `host:almaty-1`. */
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

// ---------- tenants ----------

/** Names the platform and the edge use themselves; never a tenant's slug. */
export const RESERVED_SLUGS: readonly string[] = [
  'admin',
  'api',
  'app',
  'auth',
  'console',
  'dashboard',
  'docker',
  'edge',
  'ftp',
  'grafana',
  'localhost',
  'mail',
  'n8n',
  'ns1',
  'ns2',
  'postgres',
  'prometheus',
  'qdrant',
  'redis',
  'root',
  'smtp',
  'status',
  'support',
  'system',
  'traefik',
  'truffles',
  'web',
  'webhook',
  'www',
];

/**
 * Restore drills name their throw-away stacks `drill--…`: no slug may start so (nor hold "--" at
 * all), so a drill never shares a name with a real tenant, a real `drill-…` tenant included.
 */
export const DRILL_PREFIX = 'drill--';

/**
 * A tenant's slug names its compose project, volumes, networks, subdomain and state folder, so it
 * is a DNS label: 3–32 of `a-z0-9-`, starting with a letter, not ending with `-`, no `--`, not reserved.
 */
export const SlugSchema = z
  .string()
  .min(3, 'The slug is shorter than 3 characters: use 3–32 of a-z, 0-9 and "-".')
  .max(32, 'The slug is longer than 32 characters: use 3–32 of a-z, 0-9 and "-".')
  .regex(
    /^[a-z][a-z0-9-]*$/,
    'The slug may contain only lower-case latin letters, digits and "-", and must start with a letter (it becomes a DNS name).',
  )
  .refine((v) => !v.endsWith('-'), 'The slug must not end with "-".')
  .refine(
    (v) => !v.startsWith(DRILL_PREFIX),
    `Slugs starting with "${DRILL_PREFIX}" are reserved for restore drills: choose another.`,
  )
  .refine((v) => !v.includes('--'), 'The slug must not contain "--".')
  .refine((v) => !RESERVED_SLUGS.includes(v), 'This slug is reserved by the platform: choose another.');

/**
 * Compose projects the console runs itself: the edge (`truffles-edge`) and restore drills
 * (`drill-…`). A new tenant never takes one of these prefixes, so it can never name (and take over)
 * one of the console's own stacks. Existing tenants keep being addressed with `SlugSchema`.
 */
export const RESERVED_SLUG_PREFIXES: readonly string[] = ['truffles-', 'drill-'];

/** The slug of a tenant being created: `SlugSchema`, and none of the console's own prefixes. */
export const NewSlugSchema = SlugSchema.refine(
  (v) => !RESERVED_SLUG_PREFIXES.some((p) => v.startsWith(p)),
  `Slugs starting with ${RESERVED_SLUG_PREFIXES.join(' or ')} are reserved for the console's own stacks (the edge, restore drills): choose another.`,
);

export const PlanSchema = z.enum(['starter', 'pro', 'enterprise']);
export type PlanName = z.infer<typeof PlanSchema>;

const MODULE_NAME_FORM = 'Module names are lower-case snake_case, e.g. channel_whatsapp.';
export const ModuleNameSchema = z
  .string()
  .max(40, MODULE_NAME_FORM)
  .regex(/^[a-z][a-z0-9_]{1,39}$/, MODULE_NAME_FORM);

export const ModuleInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  title: z.object({ en: z.string(), ru: z.string() }),
  description: z.object({ en: z.string(), ru: z.string() }),
  tier: z.enum(['all', 'pro', 'enterprise']),
  status: z.enum(['available', 'planned']),
  depends: z.array(z.string()),
  env: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      secret: z.boolean(),
      source: z.enum(['generate', 'operator']),
      required: z.boolean(),
    }),
  ),
});
export type ModuleInfo = z.infer<typeof ModuleInfoSchema>;

/** A tenant create's steps, in order: the core runs them, the wizard lists them. */
export const CREATE_STEPS = [
  'validate',
  'lock',
  'preflight',
  'images',
  'secrets',
  'render',
  'upload',
  'start',
  'health',
  'migrate',
  'collections',
  'workflows',
  'n8n',
  'route',
  'record',
] as const;
export type CreateStep = (typeof CREATE_STEPS)[number];

export const TenantOperationViewSchema = z.object({
  kind: z.enum(['create', 'update', 'suspend', 'resume', 'delete']),
  /**
   * As recorded on the host, except `interrupted`: recorded as running, but no console holds the
   * tenant's lock any more (the one running it died or lost its connection); `error` then says
   * how to resume or delete it.
   */
  state: z.enum(['running', 'succeeded', 'failed', 'interrupted']),
  actor: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  step: z.string().nullable(),
  error: ErrorInfoSchema.nullable(),
});

export const TenantViewSchema = z.object({
  /** The inventory name of the host it lives on (this console's name for it). */
  host: z.string(),
  slug: z.string(),
  plan: PlanSchema,
  domain: z.string(),
  modules: z.array(z.object({ name: z.string(), version: z.string() })),
  templateVersion: z.string(),
  images: z.record(z.string(), z.string()),
  state: z.enum(['creating', 'running', 'suspended', 'failed', 'deleting']),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  lastOperation: TenantOperationViewSchema,
});
export type TenantView = z.infer<typeof TenantViewSchema>;

export const TenantServiceViewSchema = z.object({
  service: z.string(),
  /** Docker's container state: running, exited, restarting, … or `missing`. */
  state: z.string(),
  health: z.enum(['healthy', 'unhealthy', 'starting', 'none']),
  image: z.string(),
  restarts: z.number(),
});
export type TenantServiceView = z.infer<typeof TenantServiceViewSchema>;

export const CheckResultSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });

export const TenantStatusSchema = TenantViewSchema.extend({
  services: z.array(TenantServiceViewSchema),
  route: CheckResultSchema.nullable(),
});
export type TenantStatus = z.infer<typeof TenantStatusSchema>;

const TenantRefSchema = z.object({ slug: SlugSchema, host: HostNameSchema.optional() });

// ---------- backups (issue 5) ----------

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

export const FleetSelectionSchema = z
  .object({
    host: HostNameSchema.optional(),
    /** A host label, key=value. */
    label: z
      .string()
      .max(200, 'A label is key=value.')
      .regex(/^[A-Za-z0-9._-]+=[A-Za-z0-9._ -]*$/, 'A label is key=value.')
      .optional(),
    slugs: z.array(SlugSchema).max(500).optional(),
  })
  .strict();

export const FleetOutcomeSchema = z.object({
  host: z.string(),
  slug: z.string(),
  outcome: z.enum(['updated', 'rolled-back', 'failed', 'skipped']),
  backupId: z.string().nullable(),
  detail: z.string(),
  seconds: z.number().nonnegative(),
});

export const AppInfoSchema = z.object({
  version: z.string(),
  mode: z.enum(['electron', 'web', 'cli']),
  home: z.string(),
  localDocker: z.object({
    available: z.boolean(),
    socketPath: z.string(),
    version: z.string().nullable(),
  }),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

// ---------- commands ----------

const Empty = z.object({}).strict();

export const commands = {
  'app.info': { input: Empty, output: AppInfoSchema },
  'settings.get': { input: Empty, output: SettingsSchema },
  'settings.update': { input: SettingsSchema.partial().strict(), output: SettingsSchema },
  'hosts.list': { input: Empty, output: z.array(HostViewSchema) },
  /** Connect far enough to read the host key; pins nothing, stores nothing. */
  'hosts.probe': {
    input: z.object({ address: AddressSchema, port: PortSchema.default(22), jump: JumpChainSchema }).strict(),
    output: ProbeResultSchema,
  },
  /** Connect, verify the key equals the fingerprint the operator confirmed, authenticate, pin, store. */
  'hosts.add': {
    input: SshTargetSchema.extend({
      name: HostNameSchema,
      acceptFingerprint: FingerprintSchema,
      jump: JumpChainSchema,
      labels: LabelsSchema.default({}),
      baseDomain: DomainSchema.nullable().default(null),
      registryMirror: RegistryMirrorSchema.nullable().default(null),
    }).strict(),
    output: HostViewSchema,
  },
  /**
   * The operator verified a host's key: pin it (in place of the old one, or as the first pin of an
   * imported host). Refused unless the host offers exactly that key. Written to the host's audit trail.
   */
  'hosts.repin': {
    input: z.object({ name: HostNameSchema, acceptFingerprint: FingerprintSchema }).strict(),
    output: HostViewSchema.extend({
      /** Null when the audit line was written on the host; else why it could not be. */
      auditError: ErrorInfoSchema.nullable(),
    }),
  },
  /** Read an OpenSSH client config (and known_hosts) and say what importing it would do. Changes nothing. */
  'hosts.importPreview': { input: ImportSourceSchema.strict(), output: ImportPreviewSchema },
  /**
   * Import the chosen aliases (their jump hosts come along). Keys come only from known_hosts;
   * a host without one is added with its key unconfirmed. Nothing is connected to.
   */
  'hosts.import': {
    input: ImportSourceSchema.extend({
      aliases: z.array(z.string().min(1).max(255)).min(1, 'Choose at least one host to import.').max(500),
    }).strict(),
    output: z.object({
      added: z.array(HostViewSchema),
      skipped: z.array(z.object({ alias: z.string(), reason: z.string() })),
    }),
  },
  /** The module catalog (spec §4.2) for the provisioning wizard. */
  'modules.catalog': { input: Empty, output: z.array(ModuleInfoSchema) },
  /** Every tenant on every host (or one host); hosts that cannot be reached are listed apart. */
  'tenants.list': {
    input: z.object({ host: HostNameSchema.optional() }).strict(),
    output: z.object({
      tenants: z.array(TenantViewSchema),
      unreachable: z.array(z.object({ host: z.string(), error: ErrorInfoSchema })),
    }),
  },
  /** Provision a tenant: resumable steps reported as `progress` events; re-running resumes an interrupted create. */
  'tenants.create': {
    input: z
      .object({
        slug: NewSlugSchema,
        host: HostNameSchema,
        plan: PlanSchema.default('starter'),
        modules: z.array(ModuleNameSchema).max(50).default([]),
        domain: DomainSchema.optional(),
        /** Module values the operator gives (API keys…), by variable name. */
        env: EnvValuesSchema.default({}),
        /** Keep what a failed create made, for inspection, instead of rolling it back. */
        keepOnFailure: z.boolean().default(false),
      })
      .strict(),
    output: TenantViewSchema,
  },
  'tenants.status': { input: TenantRefSchema.strict(), output: TenantStatusSchema },
  /** Add or remove modules of a running tenant (migrations forward only); progress like a create. */
  'tenants.update': {
    input: TenantRefSchema.extend({
      addModules: z.array(ModuleNameSchema).max(50).default([]),
      removeModules: z.array(ModuleNameSchema).max(50).default([]),
      env: EnvValuesSchema.default({}),
    }).strict(),
    output: TenantViewSchema,
  },
  'tenants.suspend': { input: TenantRefSchema.strict(), output: TenantViewSchema },
  'tenants.resume': { input: TenantRefSchema.strict(), output: TenantViewSchema },
  /** Health, route, and isolation proved from inside the tenant's network. */
  'tenants.verify': {
    input: TenantRefSchema.strict(),
    output: z.object({
      slug: z.string(),
      host: z.string(),
      ok: z.boolean(),
      checks: z.array(CheckResultSchema),
    }),
  },
  /** Delete a tenant; a final backup is taken first (kept on the host) unless skipFinalBackup. */
  'tenants.delete': {
    input: TenantRefSchema.extend({
      confirm: ConfirmSchema,
      skipFinalBackup: z.boolean().default(false),
    }).strict(),
    output: z.object({ deleted: z.literal(true), finalBackupId: z.string().nullable() }),
  },
  /** Every tenant of the fleet with its last backup, last run and last drill. */
  'backups.overview': {
    input: z.object({ host: HostNameSchema.optional() }).strict(),
    output: z.object({
      tenants: z.array(BackupTenantSummarySchema),
      unreachable: z.array(z.object({ host: z.string(), error: z.string() })),
    }),
  },
  /** The archives of one tenant on its host, newest first, with its runs and drills. */
  'backups.list': {
    input: TenantRefSchema.strict(),
    output: z.object({
      backups: z.array(BackupEntrySchema),
      runs: z.array(BackupRunSchema),
      restores: z.array(RestoreReportSchema),
    }),
  },
  /** Back a tenant up now (the host's agent does the work; progress as `log` events). */
  'backups.create': { input: TenantRefSchema.strict(), output: BackupEntrySchema },
  /** Restore a tenant to a backup: verified first, safety backup, stop, restore, health, counts. */
  'backups.restore': {
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
    input: TenantRefSchema.extend({
      backupId: BackupIdSchema.optional(),
      /** Another host to drill on (default: the tenant's own). */
      into: HostNameSchema.optional(),
    }).strict(),
    output: RestoreReportSchema,
  },
  'backups.schedule': {
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
    input: Empty,
    output: z.array(RestoreReportSchema),
  },
  'backups.scheduleInfo': {
    input: z.object({ host: HostNameSchema }).strict(),
    output: BackupScheduleSchema,
  },
  'backups.keyInfo': {
    input: Empty,
    output: z.object({ recipient: z.string(), createdAt: z.string() }).nullable(),
  },
  'backups.keyInit': {
    input: Empty,
    output: z.object({ recipient: z.string(), createdAt: z.string() }),
  },
  /** The authorized_keys line for the reserve server: the host's offsite key, restricted to the append-only receiver. */
  'backups.offsiteKeyLine': {
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
    input: z.object({ host: HostNameSchema }).strict(),
    output: BackupKeyStatusSchema,
  },
  /** Add a public key to the host's recipients: this console's (default) or another (an offline recovery key). Audited. */
  'backups.addRecipient': {
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
    input: z.object({ host: HostNameSchema, recipient: AgeRecipientSchema }).strict(),
    output: BackupKeyStatusSchema,
  },
  /** Replace every recipient of the host with this console's key; confirm is the host's name. Audited. */
  'backups.rekey': {
    input: z.object({ host: HostNameSchema, confirm: z.string().max(100) }).strict(),
    output: BackupKeyStatusSchema,
  },
  /** Update many tenants, backup first and rollback each, with a concurrency limit; progress per tenant. */
  'fleet.update': {
    input: z
      .object({
        selection: FleetSelectionSchema,
        /** What to change: the image catalog's current images and template (always), plus modules. */
        addModules: z.array(ModuleNameSchema).max(50).default([]),
        removeModules: z.array(ModuleNameSchema).max(50).default([]),
        concurrency: z.number().int().min(1).max(16).default(1),
        stopAfterFailures: z.number().int().min(1).max(1000).default(1),
        opId: z.string().max(80).optional(),
      })
      .strict(),
    output: z.object({
      outcomes: z.array(FleetOutcomeSchema),
      stopped: z.boolean(),
    }),
  },
  /** The newest lines of a host's audit trail (kept on the host), newest first. */
  'hosts.audit': {
    input: z.object({ name: HostNameSchema, limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    output: z.array(AuditEntrySchema),
  },
  /** Add this machine (local Docker socket, no SSH). */
  'hosts.addLocal': {
    input: z.object({ name: HostNameSchema.default('local') }).strict(),
    output: HostViewSchema,
  },
  'hosts.check': { input: z.object({ name: HostNameSchema }).strict(), output: HostCheckSchema },
  'hosts.forget': {
    input: z.object({ name: HostNameSchema }).strict(),
    output: z.object({ removed: z.boolean() }),
  },
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>;
export type CommandOutput<N extends CommandName> = z.output<Commands[N]['output']>;

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}

// ---------- events ----------

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

// ---------- transport envelope ----------

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** What the preload exposes on `window.truffles` and what the browser bridge client implements. */
export interface TrufflesApi {
  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandOutput<N>>>;
  onEvent(listener: (event: AppEvent) => void): () => void;
}

export { IPC_EVENT, IPC_INVOKE } from './ipc';
