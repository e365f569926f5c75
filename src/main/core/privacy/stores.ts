import type { QdrantClient } from '@qdrant/js-client-rest';
import Redis from 'ioredis';
import type { HostTransport } from '../hosts/transport';
import { containerIp } from '../tenantdata/container';
import { pdTester, redactJson, redisKeyPatterns } from './match';
import type { Subject } from './postgres';

/**
 * A personal-data request in a tenant's Qdrant (every collection's payloads) and Redis (keys that
 * name them or hold one of their ids). Qdrant cannot search payload text without an index, so
 * every collection is scrolled, a page at a time; a tenant's knowledge base is thousands of
 * points, not millions.
 */

const PAGE = 256;

export interface QdrantHit {
  collection: string;
  id: string | number;
  payload: Record<string, unknown>;
}

/** The points whose payload names them (or holds one of their ids), in every collection. */
export async function qdrantHits(
  q: QdrantClient,
  s: Subject,
  only: 'all' | 'pd' = 'all',
): Promise<QdrantHit[]> {
  const names = (await q.getCollections()).collections.map((c) => c.name);
  const pd = pdTester(s.digits, s.emails);
  const links = only === 'all' && s.links ? new RegExp(s.links) : null;
  const hits: QdrantHit[] = [];
  for (const collection of names) {
    let offset: string | number | undefined | null = undefined;
    do {
      const page = await q.scroll(collection, {
        limit: PAGE,
        with_payload: true,
        with_vector: false,
        ...(offset !== undefined && offset !== null ? { offset } : {}),
      });
      for (const p of page.points) {
        const payload = (p.payload ?? {}) as Record<string, unknown>;
        const text = JSON.stringify(payload);
        if (pd(text) || links?.test(text)) hits.push({ collection, id: p.id, payload });
      }
      offset = page.next_page_offset as string | number | null | undefined;
    } while (offset !== undefined && offset !== null);
  }
  return hits;
}

/** Their personal data redacted in each point's payload (the point and its vector stay). */
export async function qdrantRedact(q: QdrantClient, s: Subject, hits: readonly QdrantHit[]): Promise<number> {
  const pd = pdTester(s.digits, s.emails);
  let changed = 0;
  for (const h of hits) {
    if (!pd(JSON.stringify(h.payload))) continue;
    await q.overwritePayload(h.collection, {
      wait: true,
      points: [h.id],
      payload: redactJson(h.payload, s.digits, s.emails) as Record<string, unknown>,
    });
    changed += 1;
  }
  return changed;
}

export interface RedisEntry {
  key: string;
  type: string;
  ttl: number;
  value: unknown;
}

/** A session with the tenant's Redis over the host's one SSH connection, closed after `fn`. */
export async function withTenantRedis<T>(
  t: HostTransport,
  slug: string,
  password: string | undefined,
  fn: (r: Redis) => Promise<T>,
): Promise<T> {
  const ip = await containerIp(t, slug, 'redis');
  const tunnel = await t.tunnel(ip, 6379);
  const r = new Redis({
    host: '127.0.0.1',
    port: tunnel.localPort,
    ...(password ? { password } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 15_000,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
    tunnel.close();
  }
}

/** Keys whose name holds their phone, email or one of their ids (database 0, the one the stack uses). */
export async function redisKeys(r: Redis, s: Subject, only: 'all' | 'pd' = 'all'): Promise<string[]> {
  const ids = only === 'all' ? [...s.customers.map((c) => c.id), ...s.conversations, ...s.orders] : [];
  const found = new Set<string>();
  for (const pattern of redisKeyPatterns(s.digits, s.emails, ids)) {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      for (const k of keys) found.add(k);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...found].sort();
}

/** Most elements of one key an export carries. */
const EXPORT_ELEMENTS = 10_000;

/** Each key's type, time to live and value (strings, hashes, lists, sets, sorted sets). */
export async function redisExport(r: Redis, keys: readonly string[]): Promise<RedisEntry[]> {
  const out: RedisEntry[] = [];
  for (const key of keys) {
    const type = await r.type(key);
    const ttl = await r.ttl(key);
    let value: unknown;
    if (type === 'string') value = await r.get(key);
    else if (type === 'hash') value = await r.hgetall(key);
    else if (type === 'list') value = await r.lrange(key, 0, EXPORT_ELEMENTS - 1);
    else if (type === 'set') value = (await r.sscan(key, '0', 'COUNT', EXPORT_ELEMENTS))[1];
    else if (type === 'zset') value = await r.zrange(key, 0, EXPORT_ELEMENTS - 1, 'WITHSCORES');
    else value = `(${type}: not exported)`;
    out.push({ key, type, ttl, value });
  }
  return out;
}

export async function redisDelete(r: Redis, keys: readonly string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < keys.length; i += 500) n += await r.del(...keys.slice(i, i + 500));
  return n;
}
