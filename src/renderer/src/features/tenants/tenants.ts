/**
 * The renderer's logic for tenants, kept apart from React so it is unit tested: the provisioning
 * wizard's draft (module selection with dependencies and plan tiers, operator-supplied settings,
 * validation with the contract's own schemas), the progress of one create followed by its opId,
 * its log lines, what colour a tenant or a service is shown in, list filtering, and the
 * `#/tenants/…` routes.
 */
import { CREATE_STEPS, type CreateStep } from '../../../../shared/contract';
import type { TenantServiceView, TenantView } from '../../../../shared/contract';
import { tenantHash, tenantInHash } from '../../kit/tenantHash';

export { CREATE_STEPS, type CreateStep };
export * from './modules';
export * from './progress';
export * from './wizardValidation';

// ---------- colours ----------

/** The colours of the UI: green, blue (in progress), amber, red, grey. */
export type Tone = 'ok' | 'info' | 'warning' | 'error' | 'unknown';

/** running green; creating blue (in progress); failed red; suspended grey; deleting amber. */
export function tenantTone(state: TenantView['state']): Tone {
  return toneIn({ running: 'ok', creating: 'info', failed: 'error', deleting: 'warning' }, state);
}

/** The tone `table` gives `key`; grey for any other. */
function toneIn<K extends string>(table: Partial<Record<K, Tone>>, key: K): Tone {
  return Object.prototype.hasOwnProperty.call(table, key) ? (table[key] ?? 'unknown') : 'unknown';
}

/** States that are on their way somewhere (shown with a spinner). */
export function tenantBusy(state: TenantView['state']): boolean {
  return state === 'creating' || state === 'deleting';
}

/** Health: healthy green, starting blue, unhealthy amber (running but failing its check), none grey. */
export function healthTone(health: TenantServiceView['health']): Tone {
  return toneIn({ healthy: 'ok', starting: 'info', unhealthy: 'warning' }, health);
}

/**
 * A service's colour: missing, exited or dead red; healthy green; starting blue; unhealthy amber
 * (it runs but fails its check); restarting or paused amber; running without a health check grey.
 */
export function serviceTone(s: Pick<TenantServiceView, 'state' | 'health'>): Tone {
  if (s.state === 'missing' || s.state === 'exited' || s.state === 'dead') return 'error';
  if (s.state === 'restarting' || s.state === 'paused') return 'warning';
  const tone = healthTone(s.health);
  if (tone !== 'unknown') return tone;
  return s.state === 'running' ? 'unknown' : 'warning';
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
  if (parts[0] === 'tenants' && parts.length === 2 && parts[1] === 'new') return { view: 'new' };
  const tenant = tenantInHash(hash, 'tenants');
  return tenant ? { view: 'tenant', ...tenant } : { view: 'list' };
}

export function hashForTenantRoute(r: TenantRoute): string {
  switch (r.view) {
    case 'new':
      return '#/tenants/new';
    case 'tenant':
      return tenantHash('tenants', r.host, r.slug);
    default:
      return '#/tenants';
  }
}
