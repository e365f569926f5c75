import pg from 'pg';
import type { HostTransport } from '../hosts/transport';
import { containerIp } from './container';

/** How to log in to a tenant's PostgreSQL: the POSTGRES_* values of its `.env`. */
export interface PgCredentials {
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
}

/**
 * A session with a tenant's PostgreSQL: a client over the host transport's tunnel to its
 * container's port 5432, connected for `fn` and ended (tunnel closed) after it, whatever happens.
 */
export async function withTenantPg<T>(
  t: HostTransport,
  slug: string,
  creds: PgCredentials,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const ip = await containerIp(t, slug, 'postgres');
  const tunnel = await t.tunnel(ip, 5432);
  const client = new pg.Client({
    host: '127.0.0.1',
    port: tunnel.localPort,
    user: creds.user,
    password: creds.password,
    database: creds.database,
    connectionTimeoutMillis: 15_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
    tunnel.close();
  }
}
