/**
 * The renderer's logic for tenants, kept apart from React so it is unit tested: the provisioning
 * wizard's draft (module selection with dependencies and plan tiers, operator-supplied settings,
 * validation with the contract's own schemas), the progress of one create followed by its opId,
 * its log lines, what colour a tenant or a service is shown in, list filtering, and the
 * `#/tenants/…` routes.
 */
import type { ZodType } from 'zod';
import {
  CREATE_STEPS,
  DomainSchema,
  NewSlugSchema,
  commands,
  type CreateStep,
} from '../../../../shared/contract';

export { CREATE_STEPS, type CreateStep };
import type {
  AppEvent,
  CommandInput,
  HostView,
  ModuleInfo,
  PlanName,
  TenantServiceView,
  TenantView,
} from '../../../../shared/contract';

// ---------- plans, tiers, modules ----------

export const PLANS: readonly PlanName[] = ['starter', 'pro', 'enterprise'];
export type Tier = ModuleInfo['tier'];

const PLAN_RANK: Record<PlanName, number> = { starter: 0, pro: 1, enterprise: 2 };
const TIER_RANK: Record<Tier, number> = { all: 0, pro: 1, enterprise: 2 };

/** Whether a module of this tier may be installed on this plan (spec §4.2). */
export function tierAllows(plan: PlanName, tier: Tier): boolean {
  return PLAN_RANK[plan] >= TIER_RANK[tier];
}

/** The lowest plan that allows a tier. */
export function planForTier(tier: Tier): PlanName {
  return tier === 'all' ? 'starter' : tier;
}

/** Modules every tenant gets, whatever is chosen. */
export const BASE_MODULES: readonly string[] = ['core_chat', 'core_admin'];

/** The order the catalog is shown in: tier, then base modules first, then available before planned, then title. */
export const TIERS: readonly Tier[] = ['all', 'pro', 'enterprise'];

/**
 * Where a module stands in the current selection:
 * - `base`: in every tenant (shown ticked and locked);
 * - `chosen`: ticked by the operator;
 * - `dependency`: added because chosen (or base) modules need it — `neededBy` says which;
 * - `optional`: may be ticked;
 * - `planned`: in the catalog, not available yet;
 * - `tier`: needs a higher plan (`needs`), itself or through the dependency `via`;
 * - `blocked`: depends on a module (`via`) that is not available yet.
 */
export type ModuleState =
  | { kind: 'base' }
  | { kind: 'chosen' }
  | { kind: 'dependency'; neededBy: string[] }
  | { kind: 'optional' }
  | { kind: 'planned' }
  | { kind: 'tier'; needs: PlanName; via: string | null }
  | { kind: 'blocked'; via: string };

export interface ModuleSelection {
  /** Every module the tenant gets, dependencies before the modules that need them. */
  included: string[];
  states: Record<string, ModuleState>;
}

type Blocker =
  | { kind: 'planned' }
  | { kind: 'tier'; needs: PlanName; via: string | null }
  | { kind: 'blocked'; via: string };

function catalogMap(catalog: readonly ModuleInfo[]): Map<string, ModuleInfo> {
  return new Map(catalog.map((m) => [m.name, m]));
}

/** Why a module cannot be installed on this plan (itself or any dependency), or null. */
function blockerOf(
  byName: Map<string, ModuleInfo>,
  plan: PlanName,
  name: string,
  memo: Map<string, Blocker | null>,
  visiting: Set<string> = new Set(),
): Blocker | null {
  if (memo.has(name)) return memo.get(name) ?? null;
  const m = byName.get(name);
  if (!m || visiting.has(name)) return null;
  visiting.add(name);
  let result: Blocker | null = null;
  if (m.status === 'planned') result = { kind: 'planned' };
  else if (!tierAllows(plan, m.tier)) result = { kind: 'tier', needs: planForTier(m.tier), via: null };
  else {
    for (const d of m.depends) {
      const b = blockerOf(byName, plan, d, memo, visiting);
      if (!b) continue;
      result =
        b.kind === 'tier'
          ? { kind: 'tier', needs: b.needs, via: b.via ?? d }
          : { kind: 'blocked', via: b.kind === 'blocked' ? b.via : d };
      break;
    }
  }
  visiting.delete(name);
  memo.set(name, result);
  return result;
}

/**
 * The complete selection for a plan and the modules the operator ticked: base modules, the
 * ticked ones that the plan allows, and every dependency of those (added automatically).
 */
export function selectModules(
  catalog: readonly ModuleInfo[],
  plan: PlanName,
  chosen: readonly string[],
): ModuleSelection {
  const byName = catalogMap(catalog);
  const memo = new Map<string, Blocker | null>();
  const blocker = (n: string): Blocker | null => blockerOf(byName, plan, n, memo);
  const included: string[] = [];
  const neededBy = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const visit = (name: string, parent: string | null, stack: Set<string>): void => {
    const m = byName.get(name);
    if (!m || stack.has(name)) return;
    if (parent) {
      const set = neededBy.get(name) ?? new Set<string>();
      set.add(parent);
      neededBy.set(name, set);
    }
    if (seen.has(name)) return;
    seen.add(name);
    stack.add(name);
    for (const d of m.depends) visit(d, name, stack);
    stack.delete(name);
    included.push(name);
  };
  const roots = [
    ...BASE_MODULES.filter((b) => byName.has(b)),
    ...chosen.filter((c) => byName.has(c) && !BASE_MODULES.includes(c) && !blocker(c)),
  ];
  for (const r of roots) visit(r, null, new Set());

  const states: Record<string, ModuleState> = {};
  for (const m of catalog) {
    const name = m.name;
    if (BASE_MODULES.includes(name)) {
      states[name] = { kind: 'base' };
      continue;
    }
    const by = neededBy.get(name);
    if (seen.has(name) && by && by.size > 0) {
      states[name] = { kind: 'dependency', neededBy: [...by].sort() };
      continue;
    }
    if (seen.has(name)) {
      states[name] = { kind: 'chosen' };
      continue;
    }
    const b = blocker(name);
    states[name] = b ?? { kind: 'optional' };
  }
  return { included, states };
}

/** Whether the operator can tick or untick a module now. */
export function isToggleable(state: ModuleState | undefined): boolean {
  return state?.kind === 'chosen' || state?.kind === 'optional';
}

/** Whether a module is in the tenant (ticked, base, or added as a dependency). */
export function isIncluded(state: ModuleState | undefined): boolean {
  return state?.kind === 'base' || state?.kind === 'chosen' || state?.kind === 'dependency';
}

// ---------- the wizard's draft ----------

export interface TenantDraft {
  slug: string;
  host: string;
  /** Domain override; empty: `<slug>.<host's base domain>`. */
  domain: string;
  plan: PlanName;
  /** Modules the operator ticked (base modules and dependencies are added by `selectModules`). */
  modules: string[];
  /** Values the operator typed for module settings, by variable name. */
  env: Record<string, string>;
  keepOnFailure: boolean;
}

export const emptyTenantDraft: TenantDraft = {
  slug: '',
  host: '',
  domain: '',
  plan: 'starter',
  modules: [],
  env: {},
  keepOnFailure: false,
};

/** Tick or untick a module; ignored when the module cannot be toggled now. */
export function toggleModule(
  draft: TenantDraft,
  catalog: readonly ModuleInfo[],
  name: string,
  on: boolean,
): TenantDraft {
  const state = selectModules(catalog, draft.plan, draft.modules).states[name];
  if (!isToggleable(state)) return draft;
  const modules = draft.modules.filter((m) => m !== name);
  if (on) modules.push(name);
  return { ...draft, modules };
}

/**
 * Change the plan. Ticked modules the new plan does not allow are dropped (and returned, so the
 * wizard can say so); nothing is dropped silently.
 */
export function changePlan(
  draft: TenantDraft,
  catalog: readonly ModuleInfo[],
  plan: PlanName,
): { draft: TenantDraft; dropped: string[] } {
  const states = selectModules(catalog, plan, draft.modules).states;
  const dropped = draft.modules.filter((m) => !isIncluded(states[m]));
  return { draft: { ...draft, plan, modules: draft.modules.filter((m) => !dropped.includes(m)) }, dropped };
}

/** One setting the operator gives for the included modules (an env var with source `operator`). */
export interface EnvField {
  name: string;
  description: string;
  secret: boolean;
  required: boolean;
  /** The modules that use it. */
  modules: string[];
}

/** The operator-supplied settings of the included modules, in module order; required if any module requires it. */
export function operatorEnv(catalog: readonly ModuleInfo[], included: readonly string[]): EnvField[] {
  const byName = catalogMap(catalog);
  const out = new Map<string, EnvField>();
  for (const name of included) {
    const m = byName.get(name);
    if (!m) continue;
    for (const v of m.env) {
      if (v.source !== 'operator') continue;
      const f = out.get(v.name);
      if (f) {
        f.required ||= v.required;
        f.secret ||= v.secret;
        if (!f.modules.includes(name)) f.modules.push(name);
      } else {
        out.set(v.name, {
          name: v.name,
          description: v.description,
          secret: v.secret,
          required: v.required,
          modules: [name],
        });
      }
    }
  }
  return [...out.values()];
}

/** Values the factory generates for the included modules (shown so the operator knows they exist). */
export function generatedEnv(catalog: readonly ModuleInfo[], included: readonly string[]): string[] {
  const byName = catalogMap(catalog);
  const out: string[] = [];
  for (const name of included)
    for (const v of byName.get(name)?.env ?? [])
      if (v.source === 'generate' && !out.includes(v.name)) out.push(v.name);
  return out;
}

// ---------- validation ----------

/**
 * A field's error: a message of the contract's schemas (translated with `schemaMessage`), or one
 * of the wizard's own, by i18n key.
 */
export type FieldError =
  | { kind: 'schema'; message: string }
  | {
      kind: 'ui';
      key:
        | 'wizard.errors.slugTaken'
        | 'wizard.errors.slugResumable'
        | 'wizard.errors.hostMissing'
        | 'wizard.errors.hostUnusable'
        | 'wizard.errors.domainRequired'
        | 'wizard.errors.envRequired'
        | 'wizard.errors.envTooLong';
      values: Record<string, string>;
    };

/** `slug`, `host`, `domain`, or `env:NAME`. */
export type WizardErrors = Record<string, FieldError>;

function schemaError(schema: ZodType, value: unknown): FieldError | undefined {
  const r = schema.safeParse(value);
  if (r.success) return undefined;
  const message = r.error.issues[0]?.message;
  return message ? { kind: 'schema', message } : undefined;
}

/**
 * The slug's problem, if any: the contract's own rule for a new slug (NewSlugSchema), then the fleet's tenants (a
 * slug is unique across hosts). An interrupted create of the same slug on the same host is not an
 * error — creating again resumes it — and is reported as `slugResumable` (a note, not a block).
 */
export function validateSlug(
  slug: string,
  host: string,
  tenants: readonly TenantView[],
): FieldError | undefined {
  const bad = schemaError(NewSlugSchema, slug);
  if (bad) return bad;
  const other = tenants.find((t) => t.slug === slug);
  if (!other) return undefined;
  if (other.host === host && other.state === 'creating')
    return { kind: 'ui', key: 'wizard.errors.slugResumable', values: { slug, host } };
  return { kind: 'ui', key: 'wizard.errors.slugTaken', values: { slug, host: other.host } };
}

/** Whether an error stops the create (a resumable slug does not). */
export function isBlocking(e: FieldError | undefined): boolean {
  return Boolean(e) && !(e?.kind === 'ui' && e.key === 'wizard.errors.slugResumable');
}

const ENV_VALUE = commands['tenants.create'].input.shape.env.unwrap().valueType;
const ENV_MAX = 4096;

/** The domain the tenant will answer on: the override, else `<slug>.<base domain>`; null when neither. */
export function previewDomain(draft: TenantDraft, host: HostView | undefined): string | null {
  const override = draft.domain.trim().toLowerCase();
  if (override) return override;
  const slug = draft.slug.trim();
  if (!host?.baseDomain || slug === '') return null;
  return `${slug}.${host.baseDomain}`;
}

/** Whether the console can use this host for a tenant now (an SSH host needs a pinned key). */
export function hostUsable(h: HostView): boolean {
  return h.kind === 'local' || Boolean(h.fingerprint);
}

/** Every problem of the draft, keyed by field (`slug`, `host`, `domain`, `env:NAME`). */
export function validateWizard(
  draft: TenantDraft,
  catalog: readonly ModuleInfo[],
  hosts: readonly HostView[],
  tenants: readonly TenantView[],
  lng: 'en' | 'ru' = 'en',
): WizardErrors {
  const errors: WizardErrors = {};
  const slug = validateSlug(draft.slug, draft.host, tenants);
  if (slug) errors['slug'] = slug;
  const host = hosts.find((h) => h.name === draft.host);
  if (!host) errors['host'] = { kind: 'ui', key: 'wizard.errors.hostMissing', values: {} };
  else if (!hostUsable(host))
    errors['host'] = { kind: 'ui', key: 'wizard.errors.hostUnusable', values: { host: host.name } };
  const domain = draft.domain.trim();
  if (domain !== '') {
    const e = schemaError(DomainSchema, domain);
    if (e) errors['domain'] = e;
  } else if (host && !host.baseDomain) {
    errors['domain'] = { kind: 'ui', key: 'wizard.errors.domainRequired', values: { host: host.name } };
  }
  const { included } = selectModules(catalog, draft.plan, draft.modules);
  const titles = new Map(catalog.map((m) => [m.name, m.title[lng]]));
  for (const f of operatorEnv(catalog, included)) {
    const value = draft.env[f.name] ?? '';
    if (value === '') {
      if (f.required)
        errors[`env:${f.name}`] = {
          kind: 'ui',
          key: 'wizard.errors.envRequired',
          values: { modules: f.modules.map((m) => titles.get(m) ?? m).join(', ') },
        };
      continue;
    }
    if (value.length > ENV_MAX) {
      errors[`env:${f.name}`] = {
        kind: 'ui',
        key: 'wizard.errors.envTooLong',
        values: { max: String(ENV_MAX) },
      };
      continue;
    }
    const e = schemaError(ENV_VALUE, value);
    if (e) errors[`env:${f.name}`] = e;
  }
  return errors;
}

/** The errors that stop a create (every error but the note about a resumable slug). */
export function blockingErrors(errors: WizardErrors): string[] {
  return Object.keys(errors).filter((k) => isBlocking(errors[k]));
}

/** The `tenants.create` input for a valid draft. */
export function createInputFromDraft(
  draft: TenantDraft,
  catalog: readonly ModuleInfo[],
): CommandInput<'tenants.create'> {
  const { included } = selectModules(catalog, draft.plan, draft.modules);
  const env: Record<string, string> = {};
  for (const f of operatorEnv(catalog, included)) {
    const v = draft.env[f.name] ?? '';
    if (v !== '') env[f.name] = v;
  }
  const domain = draft.domain.trim().toLowerCase();
  return {
    slug: draft.slug,
    host: draft.host,
    plan: draft.plan,
    modules: included.filter((m) => !BASE_MODULES.includes(m)),
    ...(domain ? { domain } : {}),
    env,
    keepOnFailure: draft.keepOnFailure,
  };
}

// ---------- progress of one create ----------

export function isKnownStep(step: string): step is CreateStep {
  return (CREATE_STEPS as readonly string[]).includes(step);
}

export type StepState = 'pending' | 'running' | 'done' | 'failed';

export interface StepView {
  step: string;
  state: StepState;
  /** What the core said the step does (its first `running` message). */
  title: string | null;
  /** The latest news: a running step's status ("postgres healthy, qdrant starting"), a done step's note, or a failure. */
  message: string | null;
}

export interface CreateProgress {
  slug: string;
  /** The operation followed; null until its first progress event arrives. */
  opId: string | null;
  /** Operations of earlier attempts: never followed again. */
  ignore: string[];
  steps: StepView[];
  stepCount: number;
  /** Index of the step the latest event was about (-1 before any). */
  current: number;
  /** 0–100. */
  percent: number;
  state: 'waiting' | 'running' | 'done' | 'failed';
}

export function createTitle(slug: string): string {
  return `Create tenant ${slug}`;
}

export function initialProgress(slug: string, ignore: readonly string[] = []): CreateProgress {
  return {
    slug,
    opId: null,
    ignore: [...ignore],
    steps: CREATE_STEPS.map((step) => ({ step, state: 'pending', title: null, message: null })),
    stepCount: CREATE_STEPS.length,
    current: -1,
    percent: 0,
    state: 'waiting',
  };
}

/**
 * Apply one event. Only progress events of the create being followed count: before its opId is
 * known, the first progress event titled `Create tenant <slug>` (and not of an earlier attempt)
 * fixes it; from then on events of any other operation are ignored.
 */
export function reduceProgress(p: CreateProgress, event: AppEvent): CreateProgress {
  if (event.type !== 'progress') return p;
  if (p.opId === null) {
    if (event.title !== createTitle(p.slug) || p.ignore.includes(event.opId)) return p;
  } else if (event.opId !== p.opId) {
    return p;
  }
  const count = Math.max(1, event.stepCount);
  const index = Math.max(0, Math.min(event.stepIndex, count - 1));
  const steps: StepView[] = p.steps.slice(0, count);
  for (let i = steps.length; i < count; i++)
    steps.push({ step: CREATE_STEPS[i] ?? `step ${i + 1}`, state: 'pending', title: null, message: null });
  const before = steps[index];
  const same = before && before.step === event.step;
  const prev: StepView = same ? before : { step: event.step, state: 'pending', title: null, message: null };
  let next: StepView;
  if (event.state === 'running') {
    next =
      prev.state === 'pending' || prev.title === null
        ? { ...prev, state: 'running', title: event.message ?? prev.title, message: null }
        : { ...prev, state: 'running', message: event.message ?? prev.message };
  } else if (event.state === 'done') {
    next = { ...prev, state: 'done', message: event.message ?? prev.message };
  } else {
    next = { ...prev, state: 'failed', message: event.message ?? prev.message };
  }
  steps[index] = next;
  // A later step started: the earlier ones are behind us.
  if (event.state !== 'failed')
    for (let i = 0; i < index; i++) {
      const s = steps[i];
      if (s && (s.state === 'running' || s.state === 'pending')) steps[i] = { ...s, state: 'done' };
    }
  const doneUpTo = event.state === 'done' ? index + 1 : index;
  const percent = Math.round((Math.max(0, Math.min(doneUpTo, count)) / count) * 100);
  const state: CreateProgress['state'] =
    event.state === 'failed' ? 'failed' : event.state === 'done' && index === count - 1 ? 'done' : 'running';
  return { ...p, opId: event.opId, steps, stepCount: count, current: index, percent, state };
}

// ---------- log lines ----------

export interface LogLine {
  id: number;
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

export const LOG_LIMIT = 2000;

export function logSource(slug: string): string {
  return `tenant:${slug}`;
}

/** Lines of one tenant's log events; the oldest go beyond `limit`. */
export function appendLog(
  lines: readonly LogLine[],
  event: AppEvent,
  slug: string,
  nextId: number,
  limit = LOG_LIMIT,
): readonly LogLine[] {
  if (event.type !== 'log' || event.source !== logSource(slug)) return lines;
  const next = [...lines, { id: nextId, at: event.at, level: event.level, message: event.message }];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

// ---------- colours ----------

/** The colours of the UI: green, blue (in progress), amber, red, grey. */
export type Tone = 'ok' | 'info' | 'warning' | 'error' | 'unknown';

/** running green; creating blue (in progress); failed red; suspended grey; deleting amber. */
export function tenantTone(state: TenantView['state']): Tone {
  switch (state) {
    case 'running':
      return 'ok';
    case 'creating':
      return 'info';
    case 'failed':
      return 'error';
    case 'deleting':
      return 'warning';
    default:
      return 'unknown';
  }
}

/** States that are on their way somewhere (shown with a spinner). */
export function tenantBusy(state: TenantView['state']): boolean {
  return state === 'creating' || state === 'deleting';
}

/**
 * A service's colour: missing, exited or dead red; healthy green; starting blue; unhealthy amber
 * (it runs but fails its check); restarting or paused amber; running without a health check grey.
 */
export function serviceTone(s: Pick<TenantServiceView, 'state' | 'health'>): Tone {
  if (s.state === 'missing' || s.state === 'exited' || s.state === 'dead') return 'error';
  if (s.state === 'restarting' || s.state === 'paused') return 'warning';
  switch (s.health) {
    case 'healthy':
      return 'ok';
    case 'starting':
      return 'info';
    case 'unhealthy':
      return 'warning';
    default:
      return s.state === 'running' ? 'unknown' : 'warning';
  }
}

/** What a service is shown as: its health when it has one and runs, else its Docker state. */
export function serviceCondition(
  s: Pick<TenantServiceView, 'state' | 'health'>,
):
  | 'healthy'
  | 'starting'
  | 'unhealthy'
  | 'missing'
  | 'exited'
  | 'dead'
  | 'restarting'
  | 'paused'
  | 'running'
  | 'other' {
  if (s.state === 'missing' || s.state === 'exited' || s.state === 'dead') return s.state;
  if (s.state === 'restarting' || s.state === 'paused') return s.state;
  if (s.health !== 'none') return s.health;
  return s.state === 'running' ? 'running' : 'other';
}

// ---------- the list ----------

export interface TenantFilter {
  /** Host name, or '' for every host. */
  host: string;
  text: string;
}

/** Tenants on the chosen host whose slug, domain, plan, state, host or modules contain every word typed. */
export function filterTenants(tenants: readonly TenantView[], f: TenantFilter): TenantView[] {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  return tenants.filter((t) => {
    if (f.host && t.host !== f.host) return false;
    if (words.length === 0) return true;
    const hay = [t.slug, t.domain, t.plan, t.state, t.host, ...t.modules.map((m) => m.name)]
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export function tenantKey(host: string, slug: string): string {
  return `${host}/${slug}`;
}

// ---------- routes ----------

export type TenantRoute = { view: 'list' } | { view: 'new' } | { view: 'tenant'; host: string; slug: string };

/** `#/tenants` (list), `#/tenants/new` (wizard), `#/tenants/<host>/<slug>` (a tenant's page). */
export function tenantRouteFromHash(hash: string): TenantRoute {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] !== 'tenants') return { view: 'list' };
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (parts.length === 2 && parts[1] === 'new') return { view: 'new' };
  if (parts.length === 3 && parts[1] && parts[2])
    return { view: 'tenant', host: decode(parts[1]), slug: decode(parts[2]) };
  return { view: 'list' };
}

export function hashForTenantRoute(r: TenantRoute): string {
  switch (r.view) {
    case 'new':
      return '#/tenants/new';
    case 'tenant':
      return `#/tenants/${encodeURIComponent(r.host)}/${encodeURIComponent(r.slug)}`;
    default:
      return '#/tenants';
  }
}
