import { describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src/shared/contract';
import type { HostService } from '../../src/main/core/hosts/service';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { TenantRuntime } from '../../src/main/core/tenants/runtime';
import { teardown } from '../../src/main/core/tenants/teardown';

/**
 * The rollback's choice (a failed create, or a delete): what of a compose project is removed.
 * Only what carries the tenant's label, or the template's own `<slug>_…` volumes and networks of
 * its project (a tenant from before they were labelled); anything else is left and named.
 */

type Labels = Record<string, string>;
const ours = (slug: string): Labels => ({ 'com.docker.compose.project': slug, 'org.truffles.tenant': slug });
const projectOnly = (slug: string): Labels => ({ 'com.docker.compose.project': slug });

function fakeHost(): { t: HostTransport; removed: string[]; execs: string[][] } {
  const removed: string[] = [];
  const execs: string[][] = [];
  const docker = {
    listContainers: () =>
      Promise.resolve([
        { Id: 'c1', Names: ['/acme-n8n-1'], Labels: ours('acme') },
        { Id: 'c2', Names: ['/acme-intruder'], Labels: projectOnly('acme') },
      ]),
    listVolumes: () =>
      Promise.resolve({
        Volumes: [
          { Name: 'acme_pg_data', Labels: ours('acme') },
          { Name: 'acme_n8n_data', Labels: projectOnly('acme') },
          { Name: 'acme_cache', Labels: projectOnly('acme') },
          { Name: 'acme_other', Labels: null },
          { Name: 'beta_pg_data', Labels: ours('beta') },
        ],
      }),
    listNetworks: () =>
      Promise.resolve([
        { Id: 'n1', Name: 'acme_internal', Labels: projectOnly('acme') },
        { Id: 'n2', Name: 'acme_default', Labels: projectOnly('acme') },
        { Id: 'n3', Name: 'web_gateway', Labels: {} },
      ]),
    getContainer: (id: string) => ({ remove: () => Promise.resolve(void removed.push(`container ${id}`)) }),
    getVolume: (name: string) => ({ remove: () => Promise.resolve(void removed.push(`volume ${name}`)) }),
    getNetwork: (id: string) => ({ remove: () => Promise.resolve(void removed.push(`network ${id}`)) }),
  };
  const t = {
    kind: 'local',
    docker: () => Promise.resolve(docker),
    exec: (argv: readonly string[]) => {
      execs.push([...argv]);
      return Promise.resolve({ code: 0, stdout: '', stderr: '' });
    },
  } as unknown as HostTransport;
  return { t, removed, execs };
}

describe('teardown', () => {
  it('removes only the tenant’s own resources and folder, and names what it left alone', async () => {
    const events: AppEvent[] = [];
    const rt = new TenantRuntime({} as HostService, (e) => events.push(e));
    const { t, removed, execs } = fakeHost();
    await teardown(rt, t, '/st', 'acme');
    expect(removed).toEqual([
      'container c1',
      'volume acme_pg_data',
      // Not labelled, but the template's own volume and network of this project: a legacy tenant's.
      'volume acme_n8n_data',
      'network n1',
    ]);
    expect(execs).toEqual([
      ['rm', '-rf', '--', '/st/tenants/acme'],
      ['rm', '-rf', '--', '/st/kb/tenants/acme'],
    ]);
    expect(events).toEqual([
      {
        type: 'log',
        source: 'tenant:acme',
        level: 'warn',
        message:
          "Left alone (not this tenant's: no org.truffles.tenant=acme): container acme-intruder, volume acme_cache, volume acme_other, network acme_default",
        at: expect.any(String) as string,
      },
    ]);
  });
});
