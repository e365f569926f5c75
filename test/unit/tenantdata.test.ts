import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../src/main/core/errors';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { containerIp } from '../../src/main/core/tenantdata/container';
import { withTenantPg } from '../../src/main/core/tenantdata/postgres';
import { withTenantQdrant } from '../../src/main/core/tenantdata/qdrant';

/**
 * Issue 12 item 4: the one way to a tenant's data. The adapters need only a transport and the
 * tenant's slug: a stand-in transport (a fake Docker, tunnels to a local HTTP server) is enough.
 */

interface FakeContainer {
  Id: string;
  service: string;
  networks: Record<string, { IPAddress: string }>;
}

function fakeTransport(
  slug: string,
  containers: FakeContainer[],
  localPort: number,
): { t: HostTransport; tunnels: [string, number][]; closed: () => number; filters: unknown[] } {
  const tunnels: [string, number][] = [];
  const filters: unknown[] = [];
  let closed = 0;
  const docker = {
    listContainers: (opts: { filters: { label: string[] } }) => {
      filters.push(opts.filters);
      const want = opts.filters.label;
      return Promise.resolve(
        containers
          .filter((c) => want.includes(`com.docker.compose.service=${c.service}`))
          .filter(() => want.includes(`com.docker.compose.project=${slug}`))
          .map((c) => ({ Id: c.Id })),
      );
    },
    getContainer: (id: string) => ({
      inspect: () =>
        Promise.resolve({
          NetworkSettings: { Networks: containers.find((c) => c.Id === id)?.networks ?? {} },
        }),
    }),
  };
  const t = {
    kind: 'local',
    docker: () => Promise.resolve(docker),
    tunnel: (host: string, port: number) => {
      tunnels.push([host, port]);
      return Promise.resolve({
        localPort,
        close: () => {
          closed += 1;
          return Promise.resolve();
        },
      });
    },
  } as unknown as HostTransport;
  return { t, tunnels, closed: () => closed, filters };
}

let server: Server;
let port = 0;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ result: { exists: true }, status: 'ok', time: 0 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const QDRANT: FakeContainer = {
  Id: 'q1',
  service: 'qdrant',
  networks: { acme_internal: { IPAddress: '10.9.0.3' } },
};

describe('containerIp', () => {
  it("finds the service by its compose project and service labels, on the tenant's internal network", async () => {
    const { t, filters } = fakeTransport('acme', [QDRANT], port);
    expect(await containerIp(t, 'acme', 'qdrant')).toBe('10.9.0.3');
    expect(filters).toEqual([
      { label: ['com.docker.compose.project=acme', 'com.docker.compose.service=qdrant'] },
    ]);
  });

  it('says which service is not running, or has no internal address', async () => {
    const none = fakeTransport('acme', [], port).t;
    await expect(containerIp(none, 'acme', 'postgres')).rejects.toMatchObject({
      code: 'tenant.service-missing',
      message: "Service postgres of 'acme' is not running.",
      hint: 'Run the create again.',
    });
    const elsewhere = fakeTransport(
      'acme',
      [{ Id: 'p1', service: 'postgres', networks: { web_gateway: { IPAddress: '10.1.0.2' } } }],
      port,
    ).t;
    await expect(containerIp(elsewhere, 'acme', 'postgres')).rejects.toMatchObject({
      code: 'tenant.network',
      message: "Service postgres of 'acme' has no address on its internal network.",
    });
  });
});

describe('withTenantQdrant', () => {
  it("tunnels to the container's port 6333 and sends the key as a header", async () => {
    const { t, tunnels, closed } = fakeTransport('acme', [QDRANT], port);
    seen.length = 0;
    const exists = await withTenantQdrant(
      t,
      'acme',
      'k3y',
      async (q) => (await q.collectionExists('knowledge')).exists,
    );
    expect(exists).toBe(true);
    expect(tunnels).toEqual([['10.9.0.3', 6333]]);
    expect(seen.map((s) => s.url)).toEqual(['/collections/knowledge/exists']);
    expect(seen[0]?.headers['api-key']).toBe('k3y');
    expect(closed()).toBe(1);
  });

  it('closes the tunnel when the work fails, and passes the failure on as it is', async () => {
    const { t, closed } = fakeTransport('acme', [QDRANT], port);
    const boom = new CoreError('x.y', 'boom', 'h');
    await expect(withTenantQdrant(t, 'acme', undefined, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(closed()).toBe(1);
  });

  it('opens no tunnel when the service is not running', async () => {
    const { t, tunnels } = fakeTransport('acme', [], port);
    await expect(withTenantQdrant(t, 'acme', 'k', () => Promise.resolve(1))).rejects.toMatchObject({
      code: 'tenant.service-missing',
    });
    expect(tunnels).toEqual([]);
  });
});

describe('withTenantPg', () => {
  it("tunnels to the container's port 5432 and closes the tunnel when the session cannot start", async () => {
    const pgc: FakeContainer = {
      Id: 'p1',
      service: 'postgres',
      networks: { acme_internal: { IPAddress: '10.9.0.2' } },
    };
    // The local HTTP server is no PostgreSQL: the connection fails, and the tunnel still closes.
    const { t, tunnels, closed } = fakeTransport('acme', [pgc], port);
    let ran = false;
    await expect(
      withTenantPg(t, 'acme', { user: 'truffles', password: 'p', database: 'truffles' }, () => {
        ran = true;
        return Promise.resolve();
      }),
    ).rejects.toThrow();
    expect(ran).toBe(false);
    expect(tunnels).toEqual([['10.9.0.2', 5432]]);
    expect(closed()).toBe(1);
  });
});
