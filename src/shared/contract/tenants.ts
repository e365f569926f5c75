/**
 * Tenants: slugs, plans, the module catalog, the create steps, tenant views and their commands.
 */
import { z } from 'zod';
import { OpIdSchema } from './ops';
import {
  ConfirmSchema,
  DomainSchema,
  Empty,
  EnvValuesSchema,
  ErrorInfoSchema,
  HostNameSchema,
  defineSlice,
} from './kernel';

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

export const TenantRefSchema = z.object({ slug: SlugSchema, host: HostNameSchema.optional() });

export const tenantsSlice = defineSlice('tenants', {
  /** The module catalog (spec §4.2) for the provisioning wizard. */
  'modules.catalog': { effect: 'read', input: Empty, output: z.array(ModuleInfoSchema) },
  /** Every tenant on every host (or one host); hosts that cannot be reached are listed apart. */
  'tenants.list': {
    effect: 'read',
    input: z.object({ host: HostNameSchema.optional() }).strict(),
    output: z.object({
      tenants: z.array(TenantViewSchema),
      unreachable: z.array(z.object({ host: z.string(), error: ErrorInfoSchema })),
    }),
  },
  /** Provision a tenant: resumable steps reported as `progress` events; re-running resumes an interrupted create. */
  'tenants.create': {
    effect: 'write',
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
        /**
         * The caller's id for this create: its progress events carry it from the first one, and
         * `ops.cancel` stops it at the next step boundary (then it is rolled back like a failure).
         */
        opId: OpIdSchema.optional(),
      })
      .strict(),
    output: TenantViewSchema,
  },
  'tenants.status': { effect: 'read', input: TenantRefSchema.strict(), output: TenantStatusSchema },
  /** Add or remove modules of a running tenant (migrations forward only); progress like a create. */
  'tenants.update': {
    effect: 'write',
    input: TenantRefSchema.extend({
      addModules: z.array(ModuleNameSchema).max(50).default([]),
      removeModules: z.array(ModuleNameSchema).max(50).default([]),
      env: EnvValuesSchema.default({}),
      /** Also move the tenant to the host catalog's current images. */
      refreshImages: z.boolean().default(false),
    }).strict(),
    output: TenantViewSchema,
  },
  'tenants.suspend': { effect: 'write', input: TenantRefSchema.strict(), output: TenantViewSchema },
  'tenants.resume': { effect: 'write', input: TenantRefSchema.strict(), output: TenantViewSchema },
  /** Health, route, and isolation proved from inside the tenant's network. */
  'tenants.verify': {
    effect: 'read',
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
    effect: 'danger',
    input: TenantRefSchema.extend({
      confirm: ConfirmSchema,
      skipFinalBackup: z.boolean().default(false),
    }).strict(),
    output: z.object({ deleted: z.literal(true), finalBackupId: z.string().nullable() }),
  },
});
