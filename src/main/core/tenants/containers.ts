import type Docker from 'dockerode';
import type { TenantServiceView } from '../../../shared/contract';
import type { HostTransport } from '../hosts/transport';
import { PROJECT_LABEL, SERVICES, TENANT_LABEL } from './compose';

/** Read models of a tenant stack from the host's Docker Engine: its resources and its services. */

export interface Owned {
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

/** The stack's four services as they run now: state, health, image, restarts. */
export async function serviceViews(t: HostTransport, slug: string): Promise<TenantServiceView[]> {
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

/** Why a service is not healthy: its last health check's output, or its error or exit code. */
export async function healthDetail(t: HostTransport, slug: string, service: string): Promise<string> {
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
