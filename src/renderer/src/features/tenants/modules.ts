/** The wizard's module catalog rules (plans, tiers, dependencies) and its draft. */
import type { ModuleInfo, PlanName } from '../../../../shared/contract';

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
