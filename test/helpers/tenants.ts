import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { AddHostInput } from '../../src/main/core/hosts/service';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { readHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import { addSandboxHost } from './hosts';
import { sandbox } from './sandbox';

/** The base domain tenants get on the test host (the edge stand-in routes by Host header, no DNS needed). */
export const TEST_BASE_DOMAIN = 'bots.test';

/**
 * Make the test host ready for tenants the way an operator would: add it with a base domain, point
 * its image catalog at the test host's images (real n8n, PostgreSQL and Redis; the Traefik and
 * Qdrant stand-ins), and install the edge (left alone when it already runs as asked).
 */
export async function tenantHost(
  core: Core,
  name = 'sb',
  over: Partial<Omit<AddHostInput, 'name'>> = {},
): Promise<void> {
  const sb = sandbox();
  await addSandboxHost(core, name, { baseDomain: TEST_BASE_DOMAIN, ...over });
  await core.images.set(name, { ...sb.images });
  for (let i = 0; ; i++) {
    try {
      await core.edge.install({ host: name, acmeEmail: 'ops@bots.test' });
      return;
    } catch (err) {
      if (err instanceof CoreError && err.code === 'tenant.locked' && i < 120) {
        await sleep(1000);
        continue;
      }
      throw err;
    }
  }
}

export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export interface Leftovers {
  containers: string[];
  volumes: string[];
  networks: string[];
  dir: boolean;
}

/** Everything of a tenant that is on the host: containers, volumes, networks, its folder. */
export async function leftovers(
  t: HostTransport,
  slug: string,
  stateDir = '/opt/truffles',
): Promise<Leftovers> {
  const docker = await t.docker();
  const label = `com.docker.compose.project=${slug}`;
  const containers = (await docker.listContainers({ all: true, filters: { label: [label] } })).map(
    (c) => c.Names[0] ?? c.Id,
  );
  const volumes = ((await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? []).map(
    (v) => v.Name,
  );
  const networks = (await docker.listNetworks({ filters: { label: [label] } })).map((n) => n.Name);
  const dir = (await t.exec(['test', '-e', `${stateDir}/tenants/${slug}`])).code === 0;
  return { containers, volumes, networks, dir };
}

export const NOTHING: Leftovers = { containers: [], volumes: [], networks: [], dir: false };

/**
 * Runs fn with a pg client on the tenant's own PostgreSQL (its credentials from the tenant's .env
 * on the host, through an SSH tunnel to the container), closed afterwards.
 */
export async function withTenantDb<T>(
  core: Core,
  tr: HostTransport,
  slug: string,
  fn: (db: pg.Client) => Promise<T>,
  stateDir = '/opt/truffles',
): Promise<T> {
  const e = parseEnvFile((await readHostFile(tr, `${stateDir}/tenants/${slug}/.env`)) ?? '');
  const tunnel = await tr.tunnel(await core.tenants.containerIp(tr, slug, 'postgres'), 5432);
  const db = new pg.Client({
    host: '127.0.0.1',
    port: tunnel.localPort,
    user: e.POSTGRES_USER,
    password: e.POSTGRES_PASSWORD,
    database: e.POSTGRES_DB,
  });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
    tunnel.close();
  }
}

/** What a tenant's bot answered a customer's message (core_chat's chat/message webhook). */
export interface ChatAnswer {
  reply: string | null;
  intent: string | null;
  conversation_id: string;
}

/**
 * A customer's message to a tenant's real chat/message webhook, through a local port forwarded to
 * its n8n (`transport.tunnel`); the bot's answer. Anything but 200 is an error with the body.
 */
export async function chatMessage(
  port: number,
  apiKey: string,
  message: { channel: string; phone: string; name: string; text: string },
): Promise<ChatAnswer> {
  const res = await fetch(`http://127.0.0.1:${port}/webhook/chat/message`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-truffles-key': apiKey },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(120_000),
  });
  if (res.status !== 200)
    throw new Error(`chat/message answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as ChatAnswer;
}
