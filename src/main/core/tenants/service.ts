import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import pg from 'pg';
import { QdrantClient } from '@qdrant/js-client-rest';
import { CREATE_STEPS, type CreateStep } from '../../../shared/contract';
import type {
  AppEvent,
  ModuleInfo,
  TenantServiceView,
  TenantStatus,
  TenantView,
} from '../../../shared/contract';
import { CoreError, toErrorInfo } from '../errors';
import { appendAudit, auditActor } from '../hosts/audit';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { parseHostCatalog, resolveImages, type ImageKey } from './catalog';
import {
  listDirs,
  mkdirHost,
  readHostFile,
  removeInside,
  tenantDir,
  tenantsDir,
  writeHostFile,
} from './hostfs';
import { acquireTenantLock, locksDir, type TenantLock } from './lock';
import { BASE_MODULES, loadModules, resolveModules, type LoadedModule, type Plan } from './modules';
import { parseTenantRecord, TENANT_RECORD_VERSION, type TenantOperation, type TenantRecord } from './record';
import { compose, PROJECT_LABEL, TEMPLATE_NETWORKS, TEMPLATE_VOLUMES, TENANT_LABEL } from './compose';
import { renderTenant, TEMPLATE_VERSION } from './render';
import { RESERVED_SLUG_PREFIXES, SlugSchema } from './slug';
import { shellQuote } from '../ssh/quote';

/**
 * The tenant factory (spec §3.4): from a slug, a plan and modules, a complete, isolated, healthy
 * stack on a host — as named steps that report progress, are each idempotent, and are resumed by
 * running the same create again. A failed create rolls back what it made (unless asked to keep
 * it); a create cut off mid-way (console killed, connection lost) leaves `state: creating` on the
 * host, and the next create of the same slug continues it with the same secrets.
 */

export type Emit = (event: AppEvent) => void;

export interface CreateTenantInput {
  slug: string;
  host: string;
  plan: Plan;
  modules: string[];
  domain?: string | undefined;
  env: Record<string, string>;
  keepOnFailure: boolean;
}

export interface TenantServiceOptions {
  /** Where `modules/` and `templates/` are; found next to the code by default. */
  resourcesDir?: string;
  /** How long services get to become healthy (default 5 min, spec's limit for a create). */
  healthTimeoutMs?: number;
  /** Test seam: runs before each step (a test may cut the connection or make it fail here). */
  beforeStep?: (step: string, slug: string) => Promise<void> | void;
  /** IANA zone for n8n and the databases. */
  timezone?: string;
  /** How long the route check waits (default ROUTE_WAIT: minutes while n8n starts, 60 s once it has). */
  routeWait?: RouteWaitLimits;
}

/**
 * Waiting for the route (create, update, resume) follows n8n's progress, not a fixed clock: while
 * n8n is still starting — it has not logged that it finished activating its workflows, which is
 * when it registers their webhooks — the wait goes on up to a generous ceiling (a loaded 2-core
 * host takes minutes); once n8n has started, the edge gets `graceMs` to route it; a stopped n8n
 * ends the wait at once.
 */
export interface RouteWaitLimits {
  ceilingMs: number;
  graceMs: number;
}
export const ROUTE_WAIT: RouteWaitLimits = { ceilingMs: 10 * 60_000, graceMs: 60_000 };

/** Where n8n is: still starting, started (workflows activated, webhooks registered), or not running. */
export type N8nPhase = 'starting' | 'started' | 'down';

/** n8n 1.x logs this once `ActiveWorkflowManager.init()` has activated every workflow (start.js). */
export const N8N_STARTED_LINE = 'Editor is now accessible via';

/** The phase from n8n's container state and its log since that container (re)started. */
export function n8nPhaseOf(state: string, logSinceStart: string): N8nPhase {
  if (state !== 'running' && state !== 'restarting' && state !== 'created') return 'down';
  return state === 'running' && logSinceStart.includes(N8N_STARTED_LINE) ? 'started' : 'starting';
}

/** Whether to go on waiting for the route, or why to give up. */
export function routeWaitDecision(
  p: { elapsedMs: number; phase: N8nPhase; startedForMs: number | null },
  limits: RouteWaitLimits = ROUTE_WAIT,
): 'wait' | 'down' | 'ceiling' | 'grace' {
  if (p.phase === 'down') return 'down';
  if (p.elapsedMs >= limits.ceilingMs) return 'ceiling';
  if (p.phase === 'started' && (p.startedForMs ?? 0) >= limits.graceMs) return 'grace';
  return 'wait';
}

export { CREATE_STEPS, type CreateStep };
export { compose };

const STEP_TITLES: Record<CreateStep, string> = {
  validate: 'Check slug, modules and plan',
  lock: 'Take the tenant lock on the host',
  preflight: 'Check the host (edge, Docker, Compose, disk)',
  images: 'Make sure the images are on the host',
  secrets: 'Generate the tenant secrets',
  render: 'Render compose and .env',
  upload: 'Upload the files',
  start: 'Start PostgreSQL, Qdrant and Redis (docker compose up)',
  health: 'Wait until they are healthy',
  migrate: 'Apply module migrations',
  collections: 'Create Qdrant collections',
  workflows: 'Import and activate the n8n workflows and credentials',
  n8n: 'Start n8n and wait until the whole stack is healthy',
  route: 'Verify the route through the edge',
  record: 'Record the tenant',
};

/** Qdrant collections every tenant gets (core_chat's knowledge base). */
const COLLECTIONS = [
  { name: 'knowledge', size: 1536, distance: 'Cosine' as const, indexes: ['document_id'] },
];

const SERVICES = ['n8n', 'postgres', 'qdrant', 'redis'] as const;
/**
 * The services that hold a tenant's data. Started first (n8n comes up only once its database is
 * migrated and its workflows imported); a restore keeps them running and stops only the rest.
 */
export const DATA_SERVICES = ['postgres', 'qdrant', 'redis'];
/** The webhook core_admin answers on, used to prove the route reaches this tenant's n8n. */
const HEALTH_WEBHOOK = '/webhook/truffles-health';
const MIN_FREE_BYTES = 2 * 1024 ** 3;

/** The folder holding `modules/` and `templates/`: the repository, or the app's resources. */
export function findResourcesDir(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'modules')) && existsSync(join(dir, 'templates'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new CoreError(
    'resources.missing',
    'The modules/ and templates/ folders were not found next to the console.',
    'Reinstall the console, or run it from the repository.',
  );
}

function secret(bytes = 24): string {
  return randomBytes(bytes).toString('hex');
}

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)='([^']*)'$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

interface Ctx {
  opId: string;
  input: CreateTenantInput;
  host: HostRecord;
  transport: HostTransport;
  dir: string;
  domain: string;
  modules: LoadedModule[];
  images: Record<ImageKey, string>;
  env: Record<string, string>;
  record: TenantRecord | null;
  lock: TenantLock | null;
  /** True once this operation may have made something on the host (so a failure rolls back). */
  touched: boolean;
  resumed: boolean;
  kind: 'create' | 'update';
  steps: readonly CreateStep[];
  /** Workflow ids to deactivate (modules an update removes). */
  deactivate: string[];
  /** An update: the record's `updatedAt` its plan was checked against. */
  planned?: string;
}

export interface UpdateChange {
  addModules: string[];
  removeModules: string[];
  env: Record<string, string>;
  /** Take the host's image catalog as it is now (image updates) instead of the tenant's current images. */
  refreshImages?: boolean;
}

/** A checked update, ready to apply (TenantService.planUpdate). */
export interface UpdatePlan {
  readonly input: { readonly slug: string };
  /** True once applying it may have changed something on the host (files, containers, data). */
  readonly touched: boolean;
}

/** What an update runs: the create's steps from the lock on, without the checks only a new tenant needs. */
const CREATE_ONLY: readonly CreateStep[] = ['validate', 'preflight', 'images'];
export const UPDATE_STEPS: readonly CreateStep[] = CREATE_STEPS.filter((s) => !CREATE_ONLY.includes(s));

/** A view whose running operation has no lock holder any more: interrupted, and what to do. */
function interruptedView(v: TenantView, host: HostRecord): TenantView {
  const op = v.lastOperation;
  const at = op.step ? ` at step ${op.step}` : '';
  const extra = v.modules.map((m) => m.name).filter((m) => !BASE_MODULES.includes(m));
  const domain =
    host.baseDomain && v.domain === `${v.slug}.${host.baseDomain}` ? '' : ` --domain ${v.domain}`;
  const del = `truffles tenant delete ${v.slug} --host ${v.host} --confirm ${v.slug}`;
  const hint =
    op.kind === 'create'
      ? `Resume it with the same settings: truffles tenant create ${v.slug} --host ${v.host} --plan ${v.plan}${extra.length ? ` --modules ${extra.join(',')}` : ''}${domain} (and the same --env values), or delete it: ${del}`
      : `Check it (truffles tenant status ${v.slug} --host ${v.host}) and run the ${op.kind} again, or delete it: ${del}`;
  return {
    ...v,
    lastOperation: {
      ...op,
      state: 'interrupted',
      error: {
        code: 'tenant.interrupted',
        message: `The ${op.kind} of '${v.slug}' started ${op.startedAt} by ${op.actor} was interrupted${at}: no console is running it any more (its lock is free).`,
        hint,
      },
    },
  };
}

interface Owned {
  id: string;
  name: string;
  /** Its compose project label, if any. */
  project: string | null;
  /** Carries org.truffles.tenant=<slug>. */
  ours: boolean;
}

/**
 * What of a compose project exists on the host: containers with its project label; volumes and
 * networks with its project label or named `<slug>_…` (what Compose would take for its own).
 */
export async function projectResources(
  docker: Docker,
  slug: string,
): Promise<{ containers: Owned[]; volumes: Owned[]; networks: Owned[] }> {
  const owned = (id: string, name: string, labels: Record<string, string> | null | undefined): Owned => ({
    id,
    name,
    project: labels?.[PROJECT_LABEL] ?? null,
    ours: labels?.[TENANT_LABEL] === slug,
  });
  const belongs = (name: string, labels: Record<string, string> | null | undefined): boolean =>
    labels?.[PROJECT_LABEL] === slug || name.startsWith(`${slug}_`);
  const containers = (
    await docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${slug}`] } })
  ).map((c) => owned(c.Id, (c.Names[0] ?? c.Id).replace(/^\//, ''), c.Labels));
  const volumes = ((await docker.listVolumes()).Volumes ?? [])
    .filter((v) => belongs(v.Name, v.Labels))
    .map((v) => owned(v.Name, v.Name, v.Labels));
  const networks = (await docker.listNetworks())
    .filter((n) => belongs(n.Name, n.Labels))
    .map((n) => owned(n.Id, n.Name, n.Labels));
  return { containers, volumes, networks };
}

export class TenantService {
  private catalogCache: Promise<Map<string, LoadedModule>> | null = null;

  constructor(
    private readonly hosts: HostService,
    private readonly emit: Emit,
    private readonly options: TenantServiceOptions = {},
  ) {}

  private resources(): string {
    return this.options.resourcesDir ?? findResourcesDir();
  }

  private catalog(): Promise<Map<string, LoadedModule>> {
    this.catalogCache ??= loadModules(join(this.resources(), 'modules'));
    this.catalogCache.catch(() => (this.catalogCache = null));
    return this.catalogCache;
  }

  async moduleCatalog(): Promise<ModuleInfo[]> {
    return [...(await this.catalog()).values()].map(({ manifest: m }) => ({
      name: m.name,
      version: m.version,
      title: m.title,
      description: m.description,
      tier: m.tier,
      status: m.status,
      depends: m.depends,
      env: m.env,
    }));
  }

  private log(slug: string, level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', source: `tenant:${slug}`, level, message, at: new Date().toISOString() });
  }

  private progress(
    ctx: { opId: string; input: { slug: string }; kind: 'create' | 'update'; steps: readonly CreateStep[] },
    step: CreateStep,
    state: 'running' | 'done' | 'failed',
    message?: string,
  ): void {
    this.emit({
      type: 'progress',
      opId: ctx.opId,
      title: `${ctx.kind === 'create' ? 'Create' : 'Update'} tenant ${ctx.input.slug}`,
      step,
      stepIndex: Math.max(0, ctx.steps.indexOf(step)),
      stepCount: ctx.steps.length,
      state,
      ...(message ? { message } : {}),
    });
  }

  // ---------- reading ----------

  private async readRecord(t: HostTransport, stateDir: string, slug: string): Promise<TenantRecord | null> {
    const path = posix.join(tenantDir(stateDir, slug), 'tenant.json');
    const text = await readHostFile(t, path);
    return text === null ? null : parseTenantRecord(text, path);
  }

  private view(host: string, r: TenantRecord): TenantView {
    return {
      host,
      slug: r.slug,
      plan: r.plan,
      domain: r.domain,
      modules: r.modules,
      templateVersion: r.templateVersion,
      images: r.images,
      state: r.state,
      createdAt: r.createdAt,
      createdBy: r.createdBy,
      updatedAt: r.updatedAt,
      lastOperation: r.lastOperation,
    };
  }

  private async hostTenants(name: string): Promise<TenantView[]> {
    const host = await this.hosts.get(name);
    const t = await this.hosts.transport(name);
    const slugs = await listDirs(t, tenantsDir(host.stateDir));
    const out: TenantView[] = [];
    for (const slug of slugs) {
      if (!SlugSchema.safeParse(slug).success) continue;
      const r = await this.readRecord(t, host.stateDir, slug).catch(() => null);
      if (r) out.push(this.view(name, r));
    }
    return this.markInterrupted(t, host, out);
  }

  /**
   * An operation recorded as running whose tenant lock nobody holds was cut off: the console
   * running it died or lost its connection (the lock goes with its holder). Asked of the host with
   * one command (`flock -n` on each such tenant's lock file), and shown as `interrupted` with how
   * to resume or delete it. When the host cannot answer, the views stay as recorded.
   */
  private async markInterrupted(
    t: HostTransport,
    host: HostRecord,
    views: TenantView[],
  ): Promise<TenantView[]> {
    const running = views.filter((v) => v.lastOperation.state === 'running');
    if (running.length === 0) return views;
    const r = await t
      .exec(
        [
          'sh',
          '-c',
          'd=$1; shift; for s in "$@"; do if [ ! -e "$d/$s.lock" ] || flock -n "$d/$s.lock" true; then echo "free $s"; fi; done',
          'sh',
          locksDir(host.stateDir),
          ...running.map((v) => v.slug),
        ],
        { timeoutMs: 15_000 },
      )
      .catch(() => null);
    if (r?.code !== 0) return views;
    const free = new Set(
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('free '))
        .map((l) => l.slice(5)),
    );
    return views.map((v) => (free.has(v.slug) ? interruptedView(v, host) : v));
  }

  async list(hostName?: string): Promise<{
    tenants: TenantView[];
    unreachable: { host: string; error: ReturnType<typeof toErrorInfo> }[];
  }> {
    const names = hostName ? [hostName] : (await this.hosts.list()).map((h) => h.name);
    const results = await Promise.all(
      names.map(async (n) => {
        try {
          return { host: n, tenants: await this.hostTenants(n), error: null };
        } catch (err) {
          return { host: n, tenants: null, error: toErrorInfo(err) };
        }
      }),
    );
    const tenants: TenantView[] = [];
    const unreachable: { host: string; error: ReturnType<typeof toErrorInfo> }[] = [];
    // Two inventory entries may be one machine (another route, another name): list it once.
    const seen = new Set<string>();
    for (const r of results) {
      if (r.error) {
        unreachable.push({ host: r.host, error: r.error });
        continue;
      }
      const id = await this.placeId(r.host).catch(() => r.host);
      if (seen.has(id)) continue;
      seen.add(id);
      if (r.tenants) tenants.push(...r.tenants);
    }
    tenants.sort((a, b) => a.slug.localeCompare(b.slug));
    return { tenants, unreachable };
  }

  private readonly places = new Map<string, Promise<string>>();

  /** Which machine and state folder a host entry is: its /etc/machine-id (or hostname) and stateDir. */
  private placeId(hostName: string): Promise<string> {
    let p = this.places.get(hostName);
    if (!p) {
      p = (async () => {
        const host = await this.hosts.get(hostName);
        const t = await this.hosts.transport(hostName);
        const r = await t.exec(['sh', '-c', 'cat /etc/machine-id 2>/dev/null || hostname'], {
          timeoutMs: 15_000,
        });
        const id = r.stdout.trim();
        if (r.code !== 0 || !id)
          throw new CoreError('host.identity', `Cannot tell which machine ${hostName} is.`, 'Retry.');
        return `${id}:${host.stateDir}`;
      })();
      p.catch(() => this.places.delete(hostName));
      this.places.set(hostName, p);
    }
    return p;
  }

  /** The host a tenant lives on: the one given, else found by asking every host. */
  async locate(
    slug: string,
    hostName?: string,
  ): Promise<{ host: HostRecord; t: HostTransport; record: TenantRecord }> {
    const names = hostName ? [hostName] : (await this.hosts.list()).map((h) => h.name);
    for (const n of names) {
      const host = await this.hosts.get(n);
      try {
        const t = await this.hosts.transport(n);
        const record = await this.readRecord(t, host.stateDir, slug);
        if (record) return { host, t, record };
      } catch (err) {
        if (hostName) throw err;
      }
    }
    throw new CoreError(
      'tenant.unknown',
      `There is no tenant '${slug}'${hostName ? ` on ${hostName}` : ' on any reachable host'}.`,
      'List tenants with `truffles tenant list`.',
    );
  }

  async status(slug: string, hostName?: string): Promise<TenantStatus> {
    const { host, t, record } = await this.locate(slug, hostName);
    const [view] = await this.markInterrupted(t, host, [this.view(host.name, record)]);
    const services = await this.services(t, slug);
    // The route is asked of the edge only when the tenant should answer (running, n8n healthy).
    const n8nUp = services.find((x) => x.service === 'n8n')?.health === 'healthy';
    const route =
      record.state === 'running' && n8nUp
        ? { name: 'route', ...(await this.checkRoute(t, host.stateDir, slug, record.domain)) }
        : null;
    return { ...(view ?? this.view(host.name, record)), services, route };
  }

  private async services(t: HostTransport, slug: string): Promise<TenantServiceView[]> {
    const docker = await t.docker();
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${slug}`] },
    });
    const views: TenantServiceView[] = [];
    for (const name of SERVICES) {
      const c = list.find((x) => x.Labels['com.docker.compose.service'] === name);
      if (!c) {
        views.push({ service: name, state: 'missing', health: 'none', image: '', restarts: 0 });
        continue;
      }
      const info = await docker.getContainer(c.Id).inspect();
      const h = info.State.Health?.Status;
      views.push({
        service: name,
        state: info.State.Status,
        health: h === 'healthy' || h === 'unhealthy' || h === 'starting' ? h : 'none',
        image: c.Image,
        restarts: info.RestartCount,
      });
    }
    return views;
  }

  // ---------- create ----------

  async create(input: CreateTenantInput): Promise<TenantView> {
    const ctx: Ctx = {
      opId: randomUUID(),
      input,
      host: undefined as unknown as HostRecord,
      transport: undefined as unknown as HostTransport,
      dir: '',
      domain: '',
      modules: [],
      images: {} as Record<ImageKey, string>,
      env: {},
      record: null,
      lock: null,
      touched: false,
      resumed: false,
      kind: 'create',
      steps: CREATE_STEPS,
      deactivate: [],
    };
    return this.run(ctx);
  }

  private async run(ctx: Ctx): Promise<TenantView> {
    const { input } = ctx;
    let current: CreateStep = ctx.steps[0] ?? 'validate';
    try {
      for (const step of ctx.steps) {
        current = step;
        await this.options.beforeStep?.(step, input.slug);
        this.progress(ctx, step, 'running', STEP_TITLES[step]);
        const note = await this.runStep(step, ctx);
        this.progress(ctx, step, 'done', note ?? undefined);
      }
      const view = this.view(ctx.host.name, ctx.record as TenantRecord);
      this.emit({ type: 'tenants.changed', host: ctx.host.name });
      return view;
    } catch (err) {
      const info = toErrorInfo(err);
      this.progress(ctx, current, 'failed', info.message);
      await this.afterFailure(ctx, current, err);
      throw err;
    } finally {
      await ctx.lock?.release();
    }
  }

  private async runStep(step: CreateStep, ctx: Ctx): Promise<string | null> {
    switch (step) {
      case 'validate':
        return this.stepValidate(ctx);
      case 'lock': {
        const lock = await acquireTenantLock(ctx.transport, ctx.host.stateDir, ctx.input.slug, ctx.kind);
        if (ctx.kind === 'update') {
          // The plan was checked against the record as it was: under the lock it must still be so.
          const now = await this.readRecord(ctx.transport, ctx.host.stateDir, ctx.input.slug).catch(
            () => null,
          );
          if (!now || now.updatedAt !== ctx.planned || now.state !== 'running') {
            await lock.release();
            throw new CoreError(
              'tenant.changed',
              `Tenant '${ctx.input.slug}' changed on ${ctx.host.name} while the update was being prepared${now ? ` (now ${now.state}, ${now.lastOperation.kind} by ${now.lastOperation.actor})` : ''}.`,
              'Nothing was changed by this update; check the tenant and run it again.',
            );
          }
        }
        ctx.lock = lock;
        return null;
      }
      case 'preflight':
        return this.stepPreflight(ctx);
      case 'images':
        return this.stepImages(ctx);
      case 'secrets':
        return this.stepSecrets(ctx);
      case 'render':
      case 'upload':
        return step === 'render' ? null : this.stepUpload(ctx);
      case 'start':
        return this.stepStart(ctx);
      case 'health':
        return this.waitHealthy(ctx.transport, ctx.input.slug, ctx, DATA_SERVICES);
      case 'migrate':
        return this.stepMigrate(ctx);
      case 'collections':
        return this.stepCollections(ctx);
      case 'workflows':
        return this.stepWorkflows(ctx);
      case 'n8n':
        return this.stepN8n(ctx);
      case 'route':
        return this.stepRoute(ctx);
      case 'record':
        return this.stepRecord(ctx);
    }
  }

  private async stepValidate(ctx: Ctx): Promise<string> {
    const { input } = ctx;
    const slug = SlugSchema.safeParse(input.slug);
    if (!slug.success)
      throw new CoreError(
        'tenant.slug',
        `Slug '${input.slug}': ${slug.error.issues[0]?.message ?? 'invalid'}`,
        'Choose another slug; nothing was created.',
      );
    // The edge's own compose project (truffles-edge) and anything else the console names itself.
    if (input.slug.startsWith('truffles-'))
      throw new CoreError(
        'tenant.slug',
        `Slug '${input.slug}': slugs starting with ${RESERVED_SLUG_PREFIXES.join(' or ')} are reserved for the console's own stacks (the edge, restore drills).`,
        'Choose another slug; nothing was created.',
      );
    ctx.modules = resolveModules(await this.catalog(), input.modules, input.plan);
    ctx.host = await this.hosts.get(input.host);
    if (!input.domain && !ctx.host.baseDomain)
      throw new CoreError(
        'tenant.domain',
        `Host '${input.host}' has no base domain, and no --domain was given.`,
        `Give --domain, or set the host's base domain (truffles host add … --base-domain bots.example.kz).`,
      );
    ctx.domain = input.domain ?? `${input.slug}.${ctx.host.baseDomain ?? ''}`;
    for (const m of ctx.modules)
      for (const v of m.manifest.env)
        if (v.source === 'operator' && v.required && !input.env[v.name])
          throw new CoreError(
            'tenant.env-missing',
            `Module ${m.manifest.name} needs ${v.name} (${v.description}).`,
            `Give it with --env ${v.name}=…`,
          );
    // Unique across the fleet: no other host may have it (another name for the same machine and
    // state folder is the same place, where an interrupted create is resumed, not a duplicate).
    const others = (await this.hosts.list()).filter((h) => h.name !== input.host);
    const unreachable: string[] = [];
    const here = await this.placeId(input.host).catch(() => input.host);
    for (const h of others) {
      try {
        if ((await this.placeId(h.name)) === here) continue;
        const rec = await this.hosts.get(h.name);
        const t = await this.hosts.transport(h.name);
        if (await this.readRecord(t, rec.stateDir, input.slug))
          throw new CoreError(
            'tenant.exists',
            `Tenant '${input.slug}' already exists on ${h.name}.`,
            'Slugs are unique across the fleet: choose another.',
          );
      } catch (err) {
        if (err instanceof CoreError && err.code === 'tenant.exists') throw err;
        unreachable.push(h.name);
      }
    }
    if (unreachable.length)
      this.log(
        input.slug,
        'warn',
        `Could not check ${unreachable.join(', ')} for a tenant of the same slug (unreachable).`,
      );
    ctx.transport = await this.hosts.transport(input.host);
    ctx.dir = tenantDir(ctx.host.stateDir, input.slug);
    return `${ctx.modules.map((m) => m.manifest.name).join(', ')} on ${input.host} as ${ctx.domain}`;
  }

  private async stepPreflight(ctx: Ctx): Promise<string> {
    const { transport: t, input } = ctx;
    const existing = await this.readRecord(t, ctx.host.stateDir, input.slug);
    if (existing) {
      if (existing.state !== 'creating')
        throw new CoreError(
          'tenant.exists',
          `Tenant '${input.slug}' already exists on ${input.host} (${existing.state}).`,
          'Choose another slug, or delete that tenant first.',
        );
      const same =
        existing.plan === input.plan &&
        existing.domain === ctx.domain &&
        existing.modules.map((m) => m.name).join(',') === ctx.modules.map((m) => m.manifest.name).join(',');
      if (!same)
        throw new CoreError(
          'tenant.resume-mismatch',
          `An interrupted create of '${input.slug}' exists on ${input.host} with other settings (plan ${existing.plan}, modules ${existing.modules.map((m) => m.name).join(',')}, domain ${existing.domain}).`,
          'Run the create again with the same settings to finish it, or delete the tenant first.',
        );
      ctx.record = existing;
      ctx.resumed = true;
      this.log(
        input.slug,
        'info',
        `Resuming the interrupted create started ${existing.createdAt} by ${existing.createdBy}.`,
      );
    }
    await this.checkDomain(ctx);
    await this.checkProjectFree(ctx);
    const r = await t.exec(
      [
        'sh',
        '-c',
        'docker compose version --short 2>/dev/null || echo NOCOMPOSE; command -v flock >/dev/null || echo NOFLOCK; df -Pk -- "$1" | tail -n 1',
        'sh',
        ctx.host.stateDir,
      ],
      { timeoutMs: 30_000 },
    );
    const out = r.stdout;
    if (out.includes('NOCOMPOSE'))
      throw new CoreError(
        'preflight.compose',
        `Docker Compose v2 is not available on ${input.host}.`,
        'Run `truffles host check` for the fix.',
      );
    if (out.includes('NOFLOCK'))
      throw new CoreError(
        'preflight.flock',
        `flock is missing on ${input.host}.`,
        'Install util-linux on the host.',
      );
    const df = out.trim().split('\n').pop()?.split(/\s+/) ?? [];
    const availKb = Number(df[3]);
    if (Number.isFinite(availKb) && availKb * 1024 < MIN_FREE_BYTES)
      throw new CoreError(
        'preflight.disk',
        `Only ${(availKb / 1024 / 1024).toFixed(1)} GiB free under ${ctx.host.stateDir} on ${input.host}; a tenant needs at least 2 GiB.`,
        'Free space on the host (docker system prune, old backups) or grow the disk.',
      );
    const docker = await t.docker();
    // The stack's health checks use start_interval (fast detection while starting): Engine 25+.
    const engine = await docker.version();
    const [major, minor] = engine.ApiVersion.split('.').map(Number);
    if ((major ?? 0) < 1 || ((major ?? 0) === 1 && (minor ?? 0) < 44))
      throw new CoreError(
        'preflight.docker-old',
        `Docker Engine ${engine.Version} (API ${engine.ApiVersion}) on ${input.host} is too old; tenant stacks need Engine 25 or later.`,
        'Upgrade Docker Engine on the host (docker.io from Debian 13, or Docker’s own packages).',
      );
    const edge = await docker.listContainers({
      filters: { label: ['org.truffles.edge=true'], status: ['running'] },
    });
    if (edge.length === 0)
      throw new CoreError(
        'preflight.edge',
        `The edge (Traefik) is not running on ${input.host}.`,
        `Install it first: truffles edge install --host ${input.host}`,
      );
    const nets = await docker.listNetworks({ filters: { name: ['web_gateway'] } });
    if (!nets.some((n) => n.Name === 'web_gateway'))
      throw new CoreError(
        'preflight.edge',
        `The network web_gateway is missing on ${input.host}.`,
        `Reinstall the edge: truffles edge install --host ${input.host}`,
      );
    const catalogText = await readHostFile(t, posix.join(ctx.host.stateDir, 'catalog.json'));
    ctx.images = resolveImages(
      ctx.host,
      parseHostCatalog(catalogText, `${input.host}:${ctx.host.stateDir}/catalog.json`),
    ).images;
    return ctx.resumed
      ? 'resuming an interrupted create'
      : `edge running, ${(availKb / 1024 / 1024).toFixed(1)} GiB free`;
  }

  /**
   * The tenant's domain is its own on the host: no other tenant record has it, and it is not the
   * edge's dashboard (`traefik.<base domain>`), whose router would otherwise compete for it.
   */
  private async checkDomain(ctx: Ctx): Promise<void> {
    const { transport: t, input } = ctx;
    const edgeText = await readHostFile(t, posix.join(ctx.host.stateDir, 'edge', 'edge.json'));
    let edgeBase: unknown;
    try {
      edgeBase = edgeText ? (JSON.parse(edgeText) as { baseDomain?: unknown }).baseDomain : null;
    } catch {
      edgeBase = null;
    }
    const dashboards = [edgeBase, ctx.host.baseDomain]
      .filter((d): d is string => typeof d === 'string' && d.length > 0)
      .map((d) => `traefik.${d}`);
    if (dashboards.includes(ctx.domain))
      throw new CoreError(
        'tenant.domain-taken',
        `${ctx.domain} is the edge's own dashboard on ${input.host}; a tenant cannot take it.`,
        'Give another --domain; nothing was created.',
      );
    for (const slug of await listDirs(t, tenantsDir(ctx.host.stateDir))) {
      if (slug === input.slug || !SlugSchema.safeParse(slug).success) continue;
      const other = await this.readRecord(t, ctx.host.stateDir, slug).catch(() => null);
      if (other?.domain === ctx.domain)
        throw new CoreError(
          'tenant.domain-taken',
          `${ctx.domain} is already the domain of tenant '${slug}' on ${input.host}.`,
          'Give another --domain; each tenant has its own. Nothing was created.',
        );
    }
  }

  /**
   * The slug names a compose project, its volumes (`<slug>_…`) and networks. Before anything is
   * made, none of them may exist unless they are this tenant's own (an interrupted create being
   * resumed): `compose up --remove-orphans` and a rollback would otherwise take over — and remove —
   * another stack (the edge, a site's monitoring) or its data.
   */
  private async checkProjectFree(ctx: Ctx): Promise<void> {
    const found = await projectResources(await ctx.transport.docker(), ctx.input.slug);
    const foreign = [
      ...found.containers.filter((x) => !x.ours).map((x) => `container ${x.name}`),
      // A resumed create of a tenant from before volumes carried our label: Compose made them for it.
      ...found.volumes
        .filter((x) => !x.ours && !(ctx.resumed && x.project === ctx.input.slug))
        .map((x) => `volume ${x.name}`),
      ...found.networks
        .filter((x) => !x.ours && !(ctx.resumed && x.project === ctx.input.slug))
        .map((x) => `network ${x.name}`),
    ];
    // Ours but with no record: what an earlier tenant of this slug left behind — not ours to reuse.
    const leftovers = ctx.resumed
      ? []
      : [...found.containers, ...found.volumes, ...found.networks].filter((x) => x.ours).map((x) => x.name);
    if (foreign.length === 0 && leftovers.length === 0) return;
    const all = [...foreign, ...leftovers.map((n) => `${n} (left by an earlier tenant '${ctx.input.slug}')`)];
    const shown = all.slice(0, 8).join(', ') + (all.length > 8 ? `, and ${all.length - 8} more` : '');
    throw new CoreError(
      'tenant.project-exists',
      `The compose project '${ctx.input.slug}' already exists on ${ctx.input.host} without a tenant of this console: ${shown}.`,
      foreign.length
        ? `Choose another slug: these belong to another stack, which a tenant of this name would take over. Nothing was changed.`
        : `Choose another slug, or remove those leftovers on the host (docker rm -f / docker volume rm / docker network rm) and create again. Nothing was changed.`,
      {
        containers: found.containers.map((x) => x.name),
        volumes: found.volumes.map((x) => x.name),
        networks: found.networks.map((x) => x.name),
      },
    );
  }

  private async stepImages(ctx: Ctx): Promise<string> {
    const docker = await ctx.transport.docker();
    const missing: string[] = [];
    for (const key of SERVICES) {
      const ref = ctx.images[key];
      try {
        await docker.getImage(ref).inspect();
      } catch {
        missing.push(ref);
      }
    }
    for (const ref of missing) {
      this.log(ctx.input.slug, 'info', `Pulling ${ref}…`);
      const r = await ctx.transport.exec(['docker', 'pull', '--quiet', ref], { timeoutMs: 15 * 60_000 });
      if (r.code !== 0)
        throw new CoreError(
          'images.pull',
          `${ref} is not on ${ctx.input.host} and cannot be pulled: ${r.stderr.trim().split('\n').pop() ?? ''}`,
          `Set a registry mirror for the host, or ship the image: truffles host ship-images ${ctx.input.host} ${ref}`,
        );
    }
    return missing.length ? `pulled ${missing.length}` : 'all present';
  }

  private async stepSecrets(ctx: Ctx): Promise<string> {
    if (ctx.kind === 'update') {
      const env = parseEnvFile((await readHostFile(ctx.transport, posix.join(ctx.dir, '.env'))) ?? '');
      let added = 0;
      for (const m of ctx.modules)
        for (const v of m.manifest.env) {
          if (ctx.input.env[v.name] !== undefined) env[v.name] = ctx.input.env[v.name] ?? '';
          else if (env[v.name] === undefined) {
            env[v.name] = v.source === 'generate' ? secret() : '';
            added += 1;
          }
        }
      ctx.env = env;
      return `kept, ${added} new`;
    }
    if (ctx.resumed) {
      const text = await readHostFile(ctx.transport, posix.join(ctx.dir, '.env'));
      if (text) {
        ctx.env = parseEnvFile(text);
        return 'kept from the interrupted create';
      }
    }
    // Zero-state (spec §4.3): every secret new, from the OS CSPRNG, never shared between tenants.
    const env: Record<string, string> = {
      POSTGRES_DB: 'truffles',
      POSTGRES_USER: 'truffles',
      POSTGRES_PASSWORD: secret(),
      N8N_ENCRYPTION_KEY: secret(32),
      QDRANT_API_KEY: secret(),
      REDIS_PASSWORD: secret(),
    };
    for (const m of ctx.modules)
      for (const v of m.manifest.env) {
        if (v.source === 'generate') env[v.name] = secret();
        else env[v.name] = ctx.input.env[v.name] ?? '';
      }
    ctx.env = env;
    return `${Object.keys(env).length} values`;
  }

  private async writeRecord(
    ctx: Ctx,
    patch: Partial<TenantRecord>,
    op: Partial<TenantOperation>,
  ): Promise<void> {
    const now = new Date().toISOString();
    const base: TenantRecord = ctx.record ?? {
      version: TENANT_RECORD_VERSION,
      slug: ctx.input.slug,
      plan: ctx.input.plan,
      domain: ctx.domain,
      modules: ctx.modules.map((m) => ({ name: m.manifest.name, version: m.manifest.version })),
      templateVersion: TEMPLATE_VERSION,
      images: ctx.images,
      state: 'creating',
      createdAt: now,
      createdBy: auditActor(),
      updatedAt: now,
      lastOperation: {
        kind: 'create',
        state: 'running',
        actor: auditActor(),
        startedAt: now,
        finishedAt: null,
        step: null,
        error: null,
      },
    };
    const next: TenantRecord = {
      ...base,
      ...patch,
      updatedAt: now,
      lastOperation: { ...base.lastOperation, ...op },
    };
    await writeHostFile(
      ctx.transport,
      posix.join(ctx.dir, 'tenant.json'),
      JSON.stringify(next, null, 2) + '\n',
      0o640,
    );
    ctx.record = next;
  }

  private async stepUpload(ctx: Ctx): Promise<string> {
    const files = await renderTenant(join(this.resources(), 'templates'), {
      slug: ctx.input.slug,
      domain: ctx.domain,
      plan: ctx.input.plan,
      images: ctx.images,
      modules: ctx.modules,
      env: ctx.env,
      timezone: this.options.timezone ?? 'Asia/Almaty',
    });
    ctx.touched = true;
    await mkdirHost(ctx.transport, ctx.dir, '0750');
    // The record first, so an interruption from here on is found and resumed.
    await this.writeRecord(ctx, {}, { step: 'upload' });
    await writeHostFile(ctx.transport, posix.join(ctx.dir, '.env'), files.env, 0o600);
    await writeHostFile(ctx.transport, posix.join(ctx.dir, 'compose.yaml'), files.compose, 0o640);
    return `${ctx.dir}`;
  }

  private async stepStart(ctx: Ctx): Promise<string> {
    ctx.touched = true;
    const r = await ctx.transport.exec(
      compose(
        ctx.dir,
        ctx.input.slug,
        'up',
        '--detach',
        '--remove-orphans',
        '--quiet-pull',
        ...DATA_SERVICES,
      ),
      {
        timeoutMs: 10 * 60_000,
        onStderr: (d) => {
          for (const line of d.toString('utf8').split('\n'))
            if (line.trim()) this.log(ctx.input.slug, 'info', line.trim());
        },
      },
    );
    if (r.code !== 0)
      throw new CoreError(
        'compose.up',
        `docker compose up failed for '${ctx.input.slug}': ${r.stderr.trim().split('\n').slice(-3).join(' ')}`,
        'See the log; fix the cause and run the same create again.',
      );
    return DATA_SERVICES.join(', ');
  }

  /** n8n last: (re)created so it starts with the workflows its CLI activated. */
  private async stepN8n(ctx: Ctx): Promise<string> {
    const r = await ctx.transport.exec(
      compose(ctx.dir, ctx.input.slug, 'up', '--detach', '--no-deps', '--force-recreate', 'n8n'),
      { timeoutMs: 5 * 60_000 },
    );
    if (r.code !== 0)
      throw new CoreError(
        'compose.up',
        `Starting n8n of '${ctx.input.slug}' failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`,
        'See the log; run the same create again.',
      );
    return this.waitHealthy(ctx.transport, ctx.input.slug, ctx);
  }

  /** Poll until every service is healthy; fail early on an unhealthy or exited service. */
  async waitHealthy(t: HostTransport, slug: string, ctx?: Ctx, only?: readonly string[]): Promise<string> {
    const deadline = Date.now() + (this.options.healthTimeoutMs ?? 5 * 60_000);
    let last = '';
    for (;;) {
      const services = (await this.services(t, slug)).filter((x) => !only || only.includes(x.service));
      const summary = services
        .map((s) => `${s.service} ${s.health === 'none' ? s.state : s.health}`)
        .join(', ');
      if (summary !== last && ctx) this.progress(ctx, only ? 'health' : 'n8n', 'running', summary);
      last = summary;
      if (services.every((s) => s.health === 'healthy')) return summary;
      const bad = services.find(
        (s) =>
          s.health === 'unhealthy' || s.state === 'exited' || s.state === 'dead' || s.state === 'missing',
      );
      if (bad) {
        const detail = await this.healthDetail(t, slug, bad.service);
        throw new CoreError(
          'tenant.unhealthy',
          `Service ${bad.service} of '${slug}' is ${bad.health === 'unhealthy' ? 'unhealthy' : bad.state}${detail ? `: ${detail}` : ''}.`,
          `Look at its logs: truffles tenant logs ${slug} ${bad.service}`,
        );
      }
      if (Date.now() > deadline)
        throw new CoreError(
          'tenant.health-timeout',
          `'${slug}' did not become healthy in time (${summary}).`,
          'Look at the services’ logs; run the create again to resume.',
        );
      await sleep(1000);
    }
  }

  private async healthDetail(t: HostTransport, slug: string, service: string): Promise<string> {
    try {
      const docker = await t.docker();
      const list = await docker.listContainers({
        all: true,
        filters: { label: [`com.docker.compose.project=${slug}`, `com.docker.compose.service=${service}`] },
      });
      const c = list[0];
      if (!c) return 'no container';
      const info = await docker.getContainer(c.Id).inspect();
      const logs = info.State.Health?.Log ?? [];
      const lastLog = logs[logs.length - 1];
      return (lastLog?.Output ?? info.State.Error ?? `exit code ${info.State.ExitCode}`).trim().slice(0, 300);
    } catch {
      return '';
    }
  }

  async containerIp(t: HostTransport, slug: string, service: string): Promise<string> {
    const docker = await t.docker();
    const list = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${slug}`, `com.docker.compose.service=${service}`] },
    });
    const c = list[0];
    if (!c)
      throw new CoreError(
        'tenant.service-missing',
        `Service ${service} of '${slug}' is not running.`,
        'Run the create again.',
      );
    const info: Docker.ContainerInspectInfo = await docker.getContainer(c.Id).inspect();
    const ip = info.NetworkSettings.Networks[`${slug}_internal`]?.IPAddress;
    if (!ip)
      throw new CoreError(
        'tenant.network',
        `Service ${service} of '${slug}' has no address on its internal network.`,
        'Run the create again.',
      );
    return ip;
  }

  private async withPg<T>(ctx: Ctx, fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const ip = await this.containerIp(ctx.transport, ctx.input.slug, 'postgres');
    const tunnel = await ctx.transport.tunnel(ip, 5432);
    const client = new pg.Client({
      host: '127.0.0.1',
      port: tunnel.localPort,
      user: ctx.env.POSTGRES_USER,
      password: ctx.env.POSTGRES_PASSWORD,
      database: ctx.env.POSTGRES_DB,
      connectionTimeoutMillis: 15_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
      tunnel.close();
    }
  }

  private async stepMigrate(ctx: Ctx): Promise<string> {
    return this.withPg(ctx, async (db) => {
      // n8n keeps its tables in their own schema (DB_POSTGRESDB_SCHEMA): the spec's `settings`
      // table and n8n's `settings` table must never meet.
      await db.query('CREATE SCHEMA IF NOT EXISTS n8n');
      await db.query(`CREATE TABLE IF NOT EXISTS truffles_migrations (
        module text NOT NULL,
        name text NOT NULL,
        module_version text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (module, name))`);
      const done = new Set(
        (
          await db.query<{ module: string; name: string }>('SELECT module, name FROM truffles_migrations')
        ).rows.map((r) => `${r.module}/${r.name}`),
      );
      let applied = 0;
      for (const m of ctx.modules) {
        for (const file of m.manifest.migrations) {
          if (done.has(`${m.manifest.name}/${file}`)) continue;
          const sql = await readFile(join(m.dir, 'migrations', file), 'utf8');
          await db.query('BEGIN');
          try {
            await db.query(sql);
            await db.query(
              'INSERT INTO truffles_migrations (module, name, module_version) VALUES ($1, $2, $3)',
              [m.manifest.name, file, m.manifest.version],
            );
            await db.query('COMMIT');
          } catch (err) {
            await db.query('ROLLBACK').catch(() => undefined);
            throw new CoreError(
              'tenant.migration',
              `Migration ${m.manifest.name}/${file} failed: ${(err as Error).message}`,
              'It was rolled back; fix the migration and run the create again.',
            );
          }
          applied += 1;
          this.log(ctx.input.slug, 'info', `Applied ${m.manifest.name}/${file}`);
        }
      }
      return `${applied} applied, ${done.size} already there`;
    });
  }

  /**
   * Import every module's credentials and workflows with n8n's own CLI, in a one-off container of
   * the tenant's n8n image on its database (before n8n itself starts), and activate them: one
   * container, three CLI runs, whatever the number of files. Idempotent: workflows and
   * credentials carry fixed ids, so a re-import updates them.
   */
  private async stepWorkflows(ctx: Ctx): Promise<string> {
    const { transport: t, input, dir } = ctx;
    const importDir = posix.join(dir, 'n8n-import');
    await removeInside(t, dir, importDir);
    await mkdirHost(t, posix.join(importDir, 'credentials'), '0700');
    await mkdirHost(t, posix.join(importDir, 'workflows'), '0700');
    let workflows = 0;
    let credentials = 0;
    const ids: string[] = [];
    try {
      for (const m of ctx.modules) {
        for (const file of m.manifest.credentials) {
          const text = (await readFile(join(m.dir, 'credentials', file), 'utf8')).replace(
            /\{\{([A-Z][A-Z0-9_]*)\}\}/g,
            (_, name: string) => JSON.stringify(ctx.env[name] ?? '').slice(1, -1),
          );
          await writeHostFile(
            t,
            posix.join(importDir, 'credentials', `${m.manifest.name}-${file}`),
            text,
            0o600,
          );
          credentials += 1;
        }
        for (const file of m.manifest.workflows) {
          const text = await readFile(join(m.dir, 'workflows', file), 'utf8');
          const id = (JSON.parse(text) as { id?: unknown }).id;
          if (typeof id === 'string') ids.push(id);
          await writeHostFile(
            t,
            posix.join(importDir, 'workflows', `${m.manifest.name}-${file}`),
            text,
            0o600,
          );
          workflows += 1;
        }
      }
      if (workflows + credentials === 0 && ctx.deactivate.length === 0) return 'no workflows';
      const script = [
        'set -e',
        'if [ -n "$(ls -A /import/credentials)" ]; then n8n import:credentials --separate --input=/import/credentials; fi',
        'if [ -n "$(ls -A /import/workflows)" ]; then n8n import:workflow --separate --input=/import/workflows; fi',
        // Workflows of removed modules stay in n8n (their history with them) but stop.
      ].join('\n');
      // As root: the files are the SSH user's, mode 0600; the container is gone right after.
      const r = await t.exec(
        compose(
          dir,
          input.slug,
          'run',
          '--rm',
          '--no-deps',
          '-T',
          // A one-off left by an operation that lost its lock goes at the tenant's next lock.
          '--label',
          `truffles.lock=${input.slug}`,
          '--user',
          'root',
          '--volume',
          `${importDir}:/import:ro`,
          '--entrypoint',
          'sh',
          'n8n',
          '-c',
          script,
        ),
        {
          timeoutMs: 10 * 60_000,
          onStdout: (d) => {
            for (const line of d.toString('utf8').split('\n'))
              if (line.trim()) this.log(input.slug, 'info', `n8n: ${line.trim()}`);
          },
        },
      );
      if (r.code !== 0)
        throw new CoreError(
          'tenant.n8n-import',
          `Importing the n8n workflows failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`,
          'Check the module files; run the same create again.',
        );
    } finally {
      await removeInside(t, dir, importDir).catch(() => undefined);
    }
    const active = await this.setWorkflowsActive(ctx, ids, ctx.deactivate);
    return `${workflows} workflows (${active}), ${credentials} credentials`;
  }

  /**
   * Activate the modules' workflows (an import always leaves them inactive) and deactivate those
   * of removed modules, before n8n starts. This is the statement n8n 1.123's own
   * `update:workflow` runs (WorkflowRepository.updateActiveState), done over the tunnel instead
   * of booting n8n's CLI once more (~4 s). Where the table does not look like that (another n8n
   * version), n8n's CLI is used.
   */
  private async setWorkflowsActive(ctx: Ctx, activate: string[], deactivate: string[]): Promise<string> {
    const viaSql = await this.withPg(ctx, async (db) => {
      const cols = (
        await db.query<{ column_name: string }>(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = 'n8n' AND table_name = 'workflow_entity'",
        )
      ).rows.map((r) => r.column_name);
      if (!['id', 'active', 'versionId', 'activeVersionId'].every((c) => cols.includes(c))) return null;
      await db.query('BEGIN');
      try {
        const on = await db.query(
          'UPDATE n8n.workflow_entity SET active = true, "activeVersionId" = "versionId" WHERE id = ANY($1::text[])',
          [activate],
        );
        const off = await db.query(
          'UPDATE n8n.workflow_entity SET active = false, "activeVersionId" = NULL WHERE id = ANY($1::text[])',
          [deactivate],
        );
        await db.query('COMMIT');
        return `${on.rowCount ?? 0} active${deactivate.length ? `, ${off.rowCount ?? 0} deactivated` : ''}`;
      } catch (err) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    if (viaSql !== null) return viaSql;
    const script = [
      'set -e',
      ...activate.map((id) => `n8n update:workflow --id=${shellQuote(id)} --active=true`),
      ...deactivate.map((id) => `n8n update:workflow --id=${shellQuote(id)} --active=false`),
    ].join('\n');
    const r = await ctx.transport.exec(
      compose(
        ctx.dir,
        ctx.input.slug,
        'run',
        '--rm',
        '--no-deps',
        '-T',
        '--label',
        `truffles.lock=${ctx.input.slug}`,
        '--entrypoint',
        'sh',
        'n8n',
        '-c',
        script,
      ),
      { timeoutMs: 10 * 60_000 },
    );
    if (r.code !== 0)
      throw new CoreError(
        'tenant.n8n-activate',
        `Activating the workflows failed: ${r.stderr.trim().split('\n').pop() ?? ''}`,
        'Run the same command again.',
      );
    return `${activate.length} active (n8n CLI)`;
  }

  private async stepCollections(ctx: Ctx): Promise<string> {
    const ip = await this.containerIp(ctx.transport, ctx.input.slug, 'qdrant');
    const tunnel = await ctx.transport.tunnel(ip, 6333);
    try {
      const q = new QdrantClient({
        url: `http://127.0.0.1:${tunnel.localPort}`,
        // The key as a header: the client's `apiKey` warns on http, and this http never leaves the SSH tunnel.
        headers: { 'api-key': ctx.env.QDRANT_API_KEY ?? '' },
        checkCompatibility: false,
      });
      const made: string[] = [];
      for (const c of COLLECTIONS) {
        const { exists } = await q.collectionExists(c.name);
        if (!exists) {
          await q.createCollection(c.name, { vectors: { size: c.size, distance: c.distance } });
          made.push(c.name);
        }
        for (const field of c.indexes)
          await q.createPayloadIndex(c.name, { field_name: field, field_schema: 'keyword', wait: true });
      }
      return made.length ? `created ${made.join(', ')}` : 'already there';
    } catch (err) {
      if (err instanceof CoreError) throw err;
      throw new CoreError(
        'tenant.qdrant',
        `Setting up Qdrant collections failed: ${(err as Error).message}`,
        'Run the create again.',
      );
    } finally {
      tunnel.close();
    }
  }

  /** An HTTPS request with the tenant's Host name through the edge on the host, answered by its n8n. */
  async checkRoute(
    t: HostTransport,
    stateDir: string,
    slug: string,
    domain: string,
  ): Promise<{ ok: boolean; detail: string }> {
    const edgeText = await readHostFile(t, posix.join(stateDir, 'edge', 'edge.json'));
    const httpsPort = edgeText
      ? Number((JSON.parse(edgeText) as { httpsPort?: unknown }).httpsPort) || 443
      : 443;
    const tunnel = await t.tunnel('127.0.0.1', httpsPort);
    try {
      const { request } = await import('node:https');
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: tunnel.localPort,
            path: HEALTH_WEBHOOK,
            method: 'GET',
            servername: domain,
            headers: { host: domain },
            // The certificate may still be on its way from Let's Encrypt: the route is what is checked here.
            rejectUnauthorized: false,
            timeout: 15_000,
          },
          (r) => {
            let body = '';
            r.setEncoding('utf8');
            r.on('data', (d: string) => (body += d.length < 65536 ? d : ''));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          },
        );
        req.on('timeout', () => req.destroy(new Error('no answer in 15 s')));
        req.on('error', reject);
        req.end();
      });
      let tenant: unknown = null;
      try {
        tenant = (JSON.parse(res.body) as { tenant?: unknown }).tenant;
      } catch {
        tenant = null;
      }
      if (res.status === 200 && tenant === slug)
        return { ok: true, detail: `https://${domain}${HEALTH_WEBHOOK} → 200 from ${slug}` };
      return {
        ok: false,
        detail: `https://${domain}${HEALTH_WEBHOOK} → ${res.status} ${res.body.slice(0, 120)}`,
      };
    } catch (err) {
      return { ok: false, detail: `https://${domain}${HEALTH_WEBHOOK}: ${(err as Error).message}` };
    } finally {
      tunnel.close();
    }
  }

  private async stepRoute(ctx: Ctx): Promise<string> {
    return this.waitRoute(ctx.transport, ctx.host.stateDir, ctx.input.slug, ctx.domain, (note) =>
      this.progress(ctx, 'route', 'running', note),
    );
  }

  /** n8n's phase: its container's state, and whether its log since that start says it has started. */
  private async n8nPhase(t: HostTransport, slug: string): Promise<{ phase: N8nPhase; last: string }> {
    const docker = await t.docker();
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`${PROJECT_LABEL}=${slug}`, 'com.docker.compose.service=n8n'] },
    });
    const c = list[0];
    if (!c) return { phase: 'down', last: 'no n8n container' };
    const info = await docker.getContainer(c.Id).inspect();
    const r = await t.exec(
      ['sh', '-c', 'docker logs --since "$1" --tail 2000 "$2" 2>&1', 'sh', info.State.StartedAt, c.Id],
      { timeoutMs: 30_000 },
    );
    const lines = r.stdout.trim().split('\n');
    return {
      phase: n8nPhaseOf(info.State.Status, r.stdout),
      last: (lines[lines.length - 1] ?? '').trim().slice(0, 200),
    };
  }

  /**
   * Wait until the edge routes the tenant's health webhook to its n8n, for as long as n8n makes
   * progress (ROUTE_WAIT): a busy host's slow n8n is waited for, a stopped one is not.
   */
  async waitRoute(
    t: HostTransport,
    stateDir: string,
    slug: string,
    domain: string,
    onNote: (note: string) => void = () => undefined,
  ): Promise<string> {
    const limits = this.options.routeWait ?? ROUTE_WAIT;
    const began = Date.now();
    let startedSeen: number | null = null;
    let lastNote = '';
    for (;;) {
      const r = await this.checkRoute(t, stateDir, slug, domain);
      if (r.ok) return r.detail;
      const n8n = await this.n8nPhase(t, slug);
      if (n8n.phase === 'started') startedSeen ??= Date.now();
      const decision = routeWaitDecision(
        {
          elapsedMs: Date.now() - began,
          phase: n8n.phase,
          startedForMs: startedSeen === null ? null : Date.now() - startedSeen,
        },
        limits,
      );
      const waited = Math.round((Date.now() - began) / 1000);
      if (decision === 'down')
        throw new CoreError(
          'tenant.route',
          `n8n of '${slug}' is not running while its route was awaited (${n8n.last}); ${r.detail}`,
          `Look at its logs: truffles tenant logs ${slug} n8n`,
        );
      if (decision === 'ceiling')
        throw new CoreError(
          'tenant.route',
          `Waited ${waited} s for n8n of '${slug}' to ${n8n.phase === 'starting' ? 'finish starting and register its webhooks' : 'be routed'}; ${r.detail}. n8n's last log line: ${n8n.last}`,
          'The host may be overloaded: look at its load and n8n’s logs, then run the same command again to resume.',
        );
      if (decision === 'grace')
        throw new CoreError(
          'tenant.route',
          `n8n of '${slug}' has started (its workflows are activated), but after ${waited} s the edge does not route ${domain} to it: ${r.detail}`,
          'Check the edge (truffles edge status) and the n8n labels.',
        );
      const note =
        n8n.phase === 'starting'
          ? `waiting for n8n to finish starting and register webhook ${HEALTH_WEBHOOK} (${waited} s)`
          : `n8n has started; waiting for the edge to route ${domain}`;
      if (note.split(' (')[0] !== lastNote.split(' (')[0]) onNote(note);
      lastNote = note;
      await sleep(2000);
    }
  }

  private async stepRecord(ctx: Ctx): Promise<string> {
    await this.writeRecord(
      ctx,
      { state: 'running' },
      { state: 'succeeded', finishedAt: new Date().toISOString(), step: null, error: null },
    );
    await appendAudit(
      ctx.transport,
      { stateDir: ctx.host.stateDir, user: ctx.host.user },
      {
        action:
          ctx.kind === 'update' ? 'tenant.update' : ctx.resumed ? 'tenant.create-resumed' : 'tenant.create',
        subject: `tenant:${ctx.input.slug}`,
        details: {
          plan: ctx.input.plan,
          domain: ctx.domain,
          modules: ctx.modules.map((m) => m.manifest.name),
        },
      },
    ).catch((err: unknown) =>
      this.log(ctx.input.slug, 'warn', `Audit trail not written: ${toErrorInfo(err).message}`),
    );
    return ctx.domain;
  }

  /** After a failed step: roll back what this create made, unless asked to keep it or the connection is gone. */
  private async afterFailure(ctx: Ctx, step: CreateStep, err: unknown): Promise<void> {
    const info = toErrorInfo(err);
    if (ctx.kind === 'update') {
      // The tenant existed before: never torn down; the record says what failed where (once the
      // update wrote anything: before that, the record is left exactly as it was).
      if (ctx.lock && ctx.touched && !/^(ssh\.|tenant\.lock-lost)/.test(info.code))
        await this.writeRecord(
          ctx,
          {},
          { state: 'failed', step, error: info, finishedAt: new Date().toISOString() },
        ).catch(() => undefined);
      return;
    }
    if (!ctx.touched || !ctx.lock) return;
    const connectionGone = /^(ssh\.|tenant\.lock-lost)/.test(info.code);
    if (connectionGone) {
      this.log(ctx.input.slug, 'warn', 'The connection was lost: run the same create again to resume it.');
      return;
    }
    if (ctx.input.keepOnFailure) {
      await this.writeRecord(
        ctx,
        { state: 'failed' },
        { state: 'failed', step, error: info, finishedAt: new Date().toISOString() },
      ).catch(() => undefined);
      this.log(
        ctx.input.slug,
        'warn',
        `Kept for inspection: ${ctx.dir}; delete it with truffles tenant delete ${ctx.input.slug} --confirm ${ctx.input.slug}`,
      );
      return;
    }
    this.log(ctx.input.slug, 'warn', `Rolling back the failed create of '${ctx.input.slug}'…`);
    await this.teardown(ctx.transport, ctx.host.stateDir, ctx.input.slug).catch((e: unknown) =>
      this.log(ctx.input.slug, 'error', `Rollback incomplete: ${toErrorInfo(e).message}`),
    );
  }

  /**
   * Remove a tenant's containers, volumes, networks and files from the host — only what is its
   * own: containers carrying our tenant label (every service and one-off has it), volumes and
   * networks carrying it, and, for a tenant from before volumes and networks were labelled, the
   * template's own `<slug>_<name>` ones of its compose project. Called only for a tenant whose
   * record is ours (delete, or the rollback of our own create).
   */
  private async teardown(t: HostTransport, stateDir: string, slug: string): Promise<void> {
    const dir = tenantDir(stateDir, slug);
    const docker = await t.docker();
    const found = await projectResources(docker, slug);
    const legacyVolumes = TEMPLATE_VOLUMES.map((v) => `${slug}_${v}`);
    const legacyNetworks = TEMPLATE_NETWORKS.map((n) => `${slug}_${n}`);
    const mine = (x: Owned, legacy: readonly string[]): boolean =>
      x.ours || (x.project === slug && legacy.includes(x.name));
    const skipped: string[] = [];
    for (const c of found.containers) {
      if (c.ours) await docker.getContainer(c.id).remove({ force: true, v: true });
      else skipped.push(`container ${c.name}`);
    }
    for (const v of found.volumes) {
      if (mine(v, legacyVolumes)) await docker.getVolume(v.name).remove();
      else skipped.push(`volume ${v.name}`);
    }
    for (const n of found.networks) {
      if (mine(n, legacyNetworks)) await docker.getNetwork(n.id).remove();
      else skipped.push(`network ${n.name}`);
    }
    if (skipped.length)
      this.log(
        slug,
        'warn',
        `Left alone (not this tenant's: no ${TENANT_LABEL}=${slug}): ${skipped.join(', ')}`,
      );
    await removeInside(t, stateDir, dir);
  }

  /**
   * Add or remove modules of a running tenant: migrations forward only, workflows of added modules
   * imported and activated, those of removed modules deactivated (kept, with their history), the
   * stack re-rendered and n8n recreated with the new environment, health and route checked again.
   * A failed update never tears the tenant down; its record says what failed where.
   */
  async update(slug: string, change: UpdateChange, hostName?: string): Promise<TenantView> {
    return this.applyUpdate(await this.planUpdate(slug, change, hostName));
  }

  /**
   * Check an update completely — the tenant's state, the module lists, tiers and dependencies,
   * the variables — against the tenant's record and files on the host, and say what it will do.
   * Reads only: a refused plan has changed nothing (a safe update takes its backup only after this).
   */
  async planUpdate(slug: string, change: UpdateChange, hostName?: string): Promise<UpdatePlan> {
    const { host, t, record } = await this.locate(slug, hostName);
    if (record.state !== 'running')
      throw new CoreError(
        'tenant.state',
        `Tenant '${slug}' is ${record.state}; only a running tenant can be updated.`,
        record.state === 'suspended'
          ? `Resume it first: truffles tenant resume ${slug}`
          : 'Finish or delete it first.',
      );
    const current = record.modules.map((m) => m.name);
    const problems: string[] = [];
    for (const r of change.removeModules) {
      if (BASE_MODULES.includes(r)) problems.push(`${r} is part of every tenant and cannot be removed.`);
      else if (!current.includes(r)) problems.push(`${r} is not installed on '${slug}'.`);
    }
    for (const a of change.addModules)
      if (current.includes(a)) problems.push(`${a} is already installed on '${slug}'.`);
    if (problems.length)
      throw new CoreError(
        'module.selection',
        problems.join(' '),
        'Change the module lists; nothing was changed.',
        { problems },
      );
    const requested = [
      ...new Set([...current.filter((x) => !change.removeModules.includes(x)), ...change.addModules]),
    ].filter((x) => !BASE_MODULES.includes(x));
    const catalog = await this.catalog();
    const modules = resolveModules(catalog, requested, record.plan);
    for (const r of change.removeModules) {
      const needer = modules.find((m) => m.manifest.depends.includes(r));
      if (needer)
        throw new CoreError(
          'module.selection',
          `${r} is needed by ${needer.manifest.name}.`,
          `Remove ${needer.manifest.name} too, or keep ${r}.`,
        );
    }
    const declared = new Set(modules.flatMap((m) => m.manifest.env.map((v) => v.name)));
    for (const name of Object.keys(change.env))
      if (!declared.has(name))
        throw new CoreError(
          'tenant.env-unknown',
          `${name} is not a variable of the tenant's modules.`,
          `Known: ${[...declared].join(', ') || 'none'}.`,
        );
    const dir = tenantDir(host.stateDir, slug);
    const existingEnv = parseEnvFile((await readHostFile(t, posix.join(dir, '.env'))) ?? '');
    for (const m of modules)
      for (const v of m.manifest.env)
        if (v.source === 'operator' && v.required && !change.env[v.name] && !existingEnv[v.name])
          throw new CoreError(
            'tenant.env-missing',
            `Module ${m.manifest.name} needs ${v.name} (${v.description}).`,
            `Give it with --env ${v.name}=…`,
          );
    const removedIds: string[] = [];
    for (const r of change.removeModules) {
      const m = catalog.get(r);
      for (const f of m?.manifest.workflows ?? []) {
        const id = (
          JSON.parse(await readFile(join(m?.dir ?? '', 'workflows', f), 'utf8')) as { id?: unknown }
        ).id;
        if (typeof id === 'string') removedIds.push(id);
      }
    }
    let images = record.images as Record<ImageKey, string>;
    if (change.refreshImages) {
      const catalogText = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
      images = resolveImages(
        host,
        parseHostCatalog(catalogText, `${host.name}:${host.stateDir}/catalog.json`),
      ).images;
    }
    const now = new Date().toISOString();
    const ctx: Ctx = {
      opId: randomUUID(),
      input: {
        slug,
        host: host.name,
        plan: record.plan,
        modules: requested,
        domain: record.domain,
        env: change.env,
        keepOnFailure: true,
      },
      host,
      transport: t,
      dir,
      domain: record.domain,
      modules,
      images,
      env: {},
      record: {
        ...record,
        images,
        templateVersion: TEMPLATE_VERSION,
        modules: modules.map((m) => ({ name: m.manifest.name, version: m.manifest.version })),
        lastOperation: {
          kind: 'update',
          state: 'running',
          actor: auditActor(),
          startedAt: now,
          finishedAt: null,
          step: null,
          error: null,
        },
      },
      lock: null,
      touched: false,
      resumed: false,
      kind: 'update',
      steps: UPDATE_STEPS,
      deactivate: removedIds,
      planned: record.updatedAt,
    };
    return ctx;
  }

  /** Apply a planned update (from the lock on); `plan.touched` says afterwards whether it changed the host. */
  async applyUpdate(plan: UpdatePlan): Promise<TenantView> {
    return this.run(plan as Ctx);
  }

  /** Stop a tenant's containers (data kept); the edge stops routing to it. */
  async suspend(slug: string, hostName?: string): Promise<TenantView> {
    return this.setRunning(slug, false, hostName);
  }

  /** Start a suspended tenant again and wait until it is healthy and routed. */
  async resume(slug: string, hostName?: string): Promise<TenantView> {
    return this.setRunning(slug, true, hostName);
  }

  private async setRunning(slug: string, run: boolean, hostName?: string): Promise<TenantView> {
    const { host, t, record } = await this.locate(slug, hostName);
    const want = run ? 'suspended' : 'running';
    if (record.state !== want)
      throw new CoreError(
        'tenant.state',
        `Tenant '${slug}' is ${record.state}; ${run ? 'only a suspended tenant can be resumed' : 'only a running tenant can be suspended'}.`,
        'Check it with truffles tenant status.',
      );
    const lock = await acquireTenantLock(t, host.stateDir, slug, run ? 'resume' : 'suspend');
    const dir = tenantDir(host.stateDir, slug);
    const started = new Date().toISOString();
    const kind = run ? 'resume' : 'suspend';
    const write = async (r: TenantRecord): Promise<void> =>
      writeHostFile(t, posix.join(dir, 'tenant.json'), JSON.stringify(r, null, 2) + '\n', 0o640);
    try {
      const r = await t.exec(compose(dir, slug, run ? 'start' : 'stop'), { timeoutMs: 5 * 60_000 });
      if (r.code !== 0)
        throw new CoreError(
          'compose.' + kind,
          `docker compose ${run ? 'start' : 'stop'} failed for '${slug}': ${r.stderr.trim().split('\n').pop() ?? ''}`,
          'See the message; retry.',
        );
      if (run) {
        await this.waitHealthy(t, slug);
        await this.waitRoute(t, host.stateDir, slug, record.domain);
      }
      const next: TenantRecord = {
        ...record,
        state: run ? 'running' : 'suspended',
        updatedAt: new Date().toISOString(),
        lastOperation: {
          kind,
          state: 'succeeded',
          actor: auditActor(),
          startedAt: started,
          finishedAt: new Date().toISOString(),
          step: null,
          error: null,
        },
      };
      await write(next);
      await appendAudit(t, host, { action: `tenant.${kind}`, subject: `tenant:${slug}`, details: {} }).catch(
        () => undefined,
      );
      this.emit({ type: 'tenants.changed', host: host.name });
      return this.view(host.name, next);
    } catch (err) {
      await write({
        ...record,
        updatedAt: new Date().toISOString(),
        lastOperation: {
          kind,
          state: 'failed',
          actor: auditActor(),
          startedAt: started,
          finishedAt: new Date().toISOString(),
          step: null,
          error: toErrorInfo(err),
        },
      }).catch(() => undefined);
      throw err;
    } finally {
      await lock.release();
    }
  }

  /**
   * Prove a tenant is healthy and isolated: every service healthy, the route answered by its own
   * n8n, only n8n on web_gateway, a private network with no way out, secrets shared with no
   * other tenant on the host, and — from inside its n8n — no other tenant's PostgreSQL, Qdrant
   * or Redis reachable (while its own are).
   */
  async verify(
    slug: string,
    hostName?: string,
  ): Promise<{
    slug: string;
    host: string;
    ok: boolean;
    checks: { name: string; ok: boolean; detail: string }[];
  }> {
    const { host, t, record } = await this.locate(slug, hostName);
    const checks: { name: string; ok: boolean; detail: string }[] = [];
    const add = (name: string, ok: boolean, detail: string): void => void checks.push({ name, ok, detail });

    const services = await this.services(t, slug);
    const unhealthy = services.filter((x) => x.health !== 'healthy');
    add(
      'health',
      unhealthy.length === 0,
      unhealthy.length
        ? unhealthy.map((x) => `${x.service} ${x.health === 'none' ? x.state : x.health}`).join(', ')
        : 'all 4 services healthy',
    );

    const route = await this.checkRoute(t, host.stateDir, slug, record.domain);
    add('route', route.ok, route.detail);

    const docker = await t.docker();
    const mine = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${slug}`] },
    });
    const onGateway = mine
      .filter((c) => Object.keys(c.NetworkSettings?.Networks ?? {}).includes('web_gateway'))
      .map((c) => c.Labels['com.docker.compose.service'] ?? c.Id);
    add(
      'gateway',
      onGateway.length === 1 && onGateway[0] === 'n8n',
      `on web_gateway: ${onGateway.join(', ') || 'nothing'}`,
    );

    const nets = await docker.listNetworks({ filters: { name: [`${slug}_internal`] } });
    const internal = nets.find((n) => n.Name === `${slug}_internal`);
    add(
      'network',
      internal?.Internal === true,
      internal
        ? internal.Internal
          ? `${internal.Name} has no route out`
          : `${internal.Name} is not internal`
        : `${slug}_internal is missing`,
    );

    // Secrets: none of this tenant's equals any other tenant's on this host.
    const envOf = async (s: string): Promise<Record<string, string>> =>
      parseEnvFile((await readHostFile(t, posix.join(tenantDir(host.stateDir, s), '.env'))) ?? '');
    const own = await envOf(slug);
    const secretKeys = Object.keys(own).filter(
      (k) => /PASSWORD|KEY|SECRET|TOKEN/.test(k) && (own[k] ?? '').length >= 16,
    );
    const shared: string[] = [];
    const others = (await listDirs(t, tenantsDir(host.stateDir))).filter(
      (s) => s !== slug && SlugSchema.safeParse(s).success,
    );
    for (const other of others) {
      const theirs = new Set(Object.values(await envOf(other)));
      for (const k of secretKeys) if (theirs.has(own[k] ?? '')) shared.push(`${k} with ${other}`);
    }
    add(
      'secrets',
      secretKeys.length > 0 && shared.length === 0,
      shared.length
        ? `shared: ${shared.join(', ')}`
        : `${secretKeys.length} secrets, none shared with the ${others.length} other tenant(s)`,
    );

    // Reachability from inside the tenant's n8n container.
    const targets: { label: string; ip: string; port: number; own: boolean }[] = [];
    const ports: Record<string, number> = { postgres: 5432, qdrant: 6333, redis: 6379 };
    const all = await docker.listContainers({ filters: { label: ['org.truffles.tenant'] } });
    for (const c of all) {
      const svc = c.Labels['org.truffles.service'] ?? '';
      const port = ports[svc];
      const project = c.Labels['com.docker.compose.project'] ?? '';
      if (!port) continue;
      for (const [net, info] of Object.entries(c.NetworkSettings?.Networks ?? {}))
        if (info.IPAddress)
          targets.push({
            label: `${project}/${svc} (${net})`,
            ip: info.IPAddress,
            port,
            own: project === slug,
          });
    }
    const probe =
      "const net=require('net');const t=JSON.parse(process.argv[1]);Promise.all(t.map(x=>new Promise(r=>{const s=net.connect({host:x.ip,port:x.port});const d=o=>{s.destroy();r(o)};s.setTimeout(1500,()=>d(false));s.on('connect',()=>d(true));s.on('error',()=>d(false))}))).then(r=>console.log(JSON.stringify(r)))";
    const r = await t.exec(
      compose(
        tenantDir(host.stateDir, slug),
        slug,
        'exec',
        '-T',
        'n8n',
        'node',
        '-e',
        probe,
        JSON.stringify(targets.map(({ ip, port }) => ({ ip, port }))),
      ),
      { timeoutMs: 60_000 },
    );
    let reach: boolean[] = [];
    try {
      reach = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as boolean[];
    } catch {
      reach = [];
    }
    if (r.code !== 0 || reach.length !== targets.length) {
      add('isolation', false, `the probe inside n8n failed: ${(r.stderr || r.stdout).trim().slice(0, 200)}`);
    } else {
      const leaks = targets.filter((x, i) => !x.own && reach[i]);
      const ownDown = targets.filter((x, i) => x.own && !reach[i]);
      const otherCount = targets.filter((x) => !x.own).length;
      add(
        'isolation',
        leaks.length === 0 && ownDown.length === 0 && targets.some((x) => x.own),
        leaks.length
          ? `reachable from ${slug}: ${leaks.map((x) => x.label).join(', ')}`
          : ownDown.length
            ? `its own ${ownDown.map((x) => x.label).join(', ')} not reachable (the probe would prove nothing)`
            : `own services reachable; none of ${otherCount} other tenants' database, vector or cache endpoints reachable`,
      );
    }
    return { slug, host: host.name, ok: checks.every((c) => c.ok), checks };
  }

  async delete(slug: string, confirm: string, hostName?: string): Promise<{ deleted: true }> {
    if (confirm !== slug)
      throw new CoreError(
        'tenant.confirm',
        `To delete '${slug}', confirm with its slug (got '${confirm}').`,
        `Add --confirm ${slug}`,
      );
    const { host, t, record } = await this.locate(slug, hostName);
    const lock = await acquireTenantLock(t, host.stateDir, slug, 'delete');
    try {
      const ctxLike = { transport: t, dir: tenantDir(host.stateDir, slug), record };
      await writeHostFile(
        t,
        posix.join(ctxLike.dir, 'tenant.json'),
        JSON.stringify({ ...record, state: 'deleting', updatedAt: new Date().toISOString() }, null, 2) + '\n',
        0o640,
      );
      await this.teardown(t, host.stateDir, slug);
      await appendAudit(t, host, {
        action: 'tenant.delete',
        subject: `tenant:${slug}`,
        details: { domain: record.domain },
      }).catch(() => undefined);
    } finally {
      await lock.release();
    }
    this.emit({ type: 'tenants.changed', host: host.name });
    return { deleted: true };
  }
}
