import { posix } from 'node:path';
import { reachProbeCommand } from './commands';
import { serviceViews } from './containers';
import { listDirs, readHostFile, tenantDir, tenantsDir } from './hostfs';
import type { TenantQueries } from './queries';
import { parseEnvFile } from './resources';
import { checkExposure, checkRoute } from './route';
import { SlugSchema } from './slug';

/**
 * Prove a tenant is healthy and isolated: every service healthy, the route answered by its own
 * n8n and n8n's own endpoints (REST API, editor) not reachable through the edge, only n8n on
 * web_gateway, a private network with no way out, secrets shared with no other tenant on the
 * host, and — from inside its n8n — no other tenant's PostgreSQL, Qdrant or Redis reachable
 * (while its own are).
 */
export async function verifyTenant(
  queries: TenantQueries,
  slug: string,
  hostName?: string,
): Promise<{
  slug: string;
  host: string;
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}> {
  const { host, t, record } = await queries.locate(slug, hostName);
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  const add = (name: string, ok: boolean, detail: string): void => void checks.push({ name, ok, detail });

  const services = await serviceViews(t, slug);
  const unhealthy = services.filter((x) => x.health !== 'healthy');
  add(
    'health',
    unhealthy.length === 0,
    unhealthy.length
      ? unhealthy.map((x) => `${x.service} ${x.health === 'none' ? x.state : x.health}`).join(', ')
      : 'all 4 services healthy',
  );

  const route = await checkRoute(t, host.stateDir, slug, record.domain);
  add('route', route.ok, route.detail);
  const exposure = await checkExposure(t, host.stateDir, record.domain);
  add('exposure', exposure.ok, exposure.detail);

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
  const r = await t.exec(reachProbeCommand(tenantDir(host.stateDir, slug), slug, targets), {
    timeoutMs: 60_000,
  });
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
