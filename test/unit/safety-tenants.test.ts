import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { NewSlugSchema, SlugSchema } from '../../src/shared/contract';
import { TEMPLATE_NETWORKS, TEMPLATE_VOLUMES, TENANT_LABEL } from '../../src/main/core/tenants/compose';
import { loadModules, resolveModules, type LoadedModule } from '../../src/main/core/tenants/modules';
import { renderTenant } from '../../src/main/core/tenants/render';
import {
  N8N_STARTED_LINE,
  n8nPhaseOf,
  ROUTE_WAIT,
  routeWaitDecision,
} from '../../src/main/core/tenants/service';

const ROOT = join(import.meta.dirname, '..', '..');

/** Issue 11 item 1: a tenant can never name, or be taken for, another compose project. */
describe('a new tenant cannot take the console’s own names', () => {
  it('refuses the edge’s project and the drills’ prefix for a new slug, and still addresses existing ones', () => {
    for (const slug of ['truffles-edge', 'truffles-x', 'drill-abc123']) {
      const r = NewSlugSchema.safeParse(slug);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toContain('reserved for the console');
      // An existing tenant (or drill) of such a name can still be listed, shown and deleted.
      expect(SlugSchema.safeParse(slug).success).toBe(true);
    }
    expect(NewSlugSchema.safeParse('acme-shop').success).toBe(true);
  });
});

describe('every service, volume and network of a tenant carries the tenant label', () => {
  let modules: LoadedModule[];
  beforeAll(async () => {
    modules = resolveModules(await loadModules(join(ROOT, 'modules')), [], 'starter');
  });
  const renderAcme = (): ReturnType<typeof renderTenant> =>
    renderTenant(join(ROOT, 'templates'), {
      slug: 'acme-shop',
      domain: 'acme-shop.bots.test',
      plan: 'starter',
      images: { n8n: 'n', postgres: 'p', qdrant: 'q', redis: 'r', traefik: 't' },
      modules,
      env: {},
      timezone: 'Asia/Almaty',
    });

  it('renders org.truffles.tenant=<slug> on all of them, but not on the external web_gateway', async () => {
    const files = await renderAcme();
    const doc = parse(files.compose) as {
      services: Record<string, { labels: Record<string, string> }>;
      volumes: Record<string, { labels: Record<string, string> }>;
      networks: Record<string, { labels?: Record<string, string>; external?: boolean }>;
    };
    for (const svc of Object.values(doc.services)) expect(svc.labels[TENANT_LABEL]).toBe('acme-shop');
    expect(Object.keys(doc.volumes).sort()).toEqual([...TEMPLATE_VOLUMES].sort());
    for (const v of Object.values(doc.volumes)) expect(v.labels[TENANT_LABEL]).toBe('acme-shop');
    const own = Object.entries(doc.networks).filter(([, n]) => !n.external);
    expect(own.map(([name]) => name).sort()).toEqual([...TEMPLATE_NETWORKS].sort());
    for (const [, n] of own) expect(n.labels?.[TENANT_LABEL]).toBe('acme-shop');
    expect(doc.networks.web_gateway?.labels).toBeUndefined();
  });

  it("routes only the tenant's webhooks to n8n, whose editor is off: its REST API and setup are not public", async () => {
    const files = await renderAcme();
    const n8n = (
      parse(files.compose) as {
        services: Record<string, { labels: Record<string, string>; environment: Record<string, string> }>;
      }
    ).services.n8n;
    const routers = Object.entries(n8n?.labels ?? {}).filter(([k]) =>
      /^traefik\.http\.routers\.[^.]+\.rule$/.test(k),
    );
    expect(routers.map(([, rule]) => rule)).toEqual([
      'Host(`${TENANT_DOMAIN}`) && (PathPrefix(`/webhook/`) || PathPrefix(`/webhook-waiting/`))',
    ]);
    expect(n8n?.environment.N8N_DISABLE_UI).toBe('true');
  });
});

/** Issue 11 item 12: the route is waited for while n8n makes progress, not by a fixed clock. */
describe('the route wait follows n8n’s progress', () => {
  const limits = { ceilingMs: 600_000, graceMs: 60_000 };

  it('keeps waiting while n8n is still starting, long past the old 60 s, up to the ceiling', () => {
    expect(routeWaitDecision({ elapsedMs: 61_000, phase: 'starting', startedForMs: null }, limits)).toBe(
      'wait',
    );
    expect(routeWaitDecision({ elapsedMs: 300_000, phase: 'starting', startedForMs: null }, limits)).toBe(
      'wait',
    );
    expect(routeWaitDecision({ elapsedMs: 600_000, phase: 'starting', startedForMs: null }, limits)).toBe(
      'ceiling',
    );
    expect(ROUTE_WAIT.ceilingMs).toBeGreaterThanOrEqual(5 * 60_000);
  });

  it('gives the edge a grace period once n8n has started, and stops at once when n8n is down', () => {
    expect(routeWaitDecision({ elapsedMs: 200_000, phase: 'started', startedForMs: 30_000 }, limits)).toBe(
      'wait',
    );
    expect(routeWaitDecision({ elapsedMs: 200_000, phase: 'started', startedForMs: 60_000 }, limits)).toBe(
      'grace',
    );
    expect(routeWaitDecision({ elapsedMs: 1_000, phase: 'down', startedForMs: null }, limits)).toBe('down');
  });

  it('reads n8n’s phase from its container state and its log since that start', () => {
    const booting = 'n8n ready on ::, port 5678\nStart Active Workflows:\n';
    const done = `${booting}Activated workflow "Truffles health" (ID: core-admin-health)\n\n${N8N_STARTED_LINE}:\nhttps://x.bots.test/\n`;
    expect(n8nPhaseOf('running', booting)).toBe('starting');
    expect(n8nPhaseOf('running', done)).toBe('started');
    expect(n8nPhaseOf('restarting', done)).toBe('starting');
    expect(n8nPhaseOf('created', '')).toBe('starting');
    expect(n8nPhaseOf('exited', done)).toBe('down');
    expect(n8nPhaseOf('paused', booting)).toBe('down');
  });
});
