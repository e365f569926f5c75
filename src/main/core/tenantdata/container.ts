import type Docker from 'dockerode';
import { CoreError } from '../errors';
import type { HostTransport } from '../hosts/transport';

/**
 * Where a tenant's service is: the address of its running container on the stack's internal
 * network (`<slug>_internal`), which the host transport can tunnel to. Found by the compose
 * project and service labels, so it needs the slug and nothing of the tenants feature.
 */
export async function containerIp(t: HostTransport, slug: string, service: string): Promise<string> {
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
