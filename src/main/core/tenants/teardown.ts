import { posix } from 'node:path';
import type { HostTransport } from '../hosts/transport';
import { projectResources, type Owned } from './containers';
import { TEMPLATE_NETWORKS, TEMPLATE_VOLUMES, TENANT_LABEL } from './compose';
import { removeInside, tenantDir } from './hostfs';
import type { TenantRuntime } from './runtime';

/**
 * Remove a tenant's containers, volumes, networks and files from the host — only what is its
 * own: containers carrying our tenant label (every service and one-off has it), volumes and
 * networks carrying it, and, for a tenant from before volumes and networks were labelled, the
 * template's own `<slug>_<name>` ones of its compose project. Called only for a tenant whose
 * record is ours (delete, or the rollback of our own create).
 */
export async function teardown(
  rt: TenantRuntime,
  t: HostTransport,
  stateDir: string,
  slug: string,
): Promise<void> {
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
    rt.log(slug, 'warn', `Left alone (not this tenant's: no ${TENANT_LABEL}=${slug}): ${skipped.join(', ')}`);
  await removeInside(t, stateDir, dir);
  // Its knowledge-base files on the host (uploads kept for re-indexing, job records): the worker's
  // folder for it, `<stateDir>/kb/tenants/<slug>` (core/kb/commands.ts), written as the SSH user.
  await removeInside(t, stateDir, posix.join(stateDir, 'kb', 'tenants', slug));
}
