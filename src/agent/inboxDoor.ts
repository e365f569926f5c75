/**
 * The conversations inbox (issue 17, the spec's phase 5): the agent asks each tenant's own admin
 * API (core_admin's `admin/conversations*` webhooks on its n8n, reached on the stack's internal
 * network with the tenant's `TRUFFLES_API_KEY`), so the tenant's database stays the one truth and
 * its own audit_logs record every view and change. Reads (`inbox.list`, `inbox.conversation`,
 * `inbox.messages`) are served to support too; taking over, replying, handing back and closing
 * (`inbox.reply`, `inbox.status`) only to operators.
 *
 * Taking over is status `escalated` (the tenant's chat_handler then stays silent in it), handing
 * back is `active`; a reply is stored as the operator's message and sent through the
 * conversation's channel by the tenant's own workflow.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerApi } from './docker';
import { RequestError } from './server';
import type { MethodHandler } from './server';
import { parseEnv, serviceIp, TENANT_SLUG } from './tenantenv';

type Params = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUS = ['active', 'escalated', 'closed'];
const CHANNELS = ['whatsapp', 'instagram', 'telegram', 'web'];
const TIMEOUT_MS = 20_000;

export interface InboxDeps {
  docker: DockerApi;
  rootfs: string;
  stateDir: string;
  /** The tenant admin API's base URL (tests: a stand-in); default its n8n on the internal network. */
  baseUrl?: (slug: string) => Promise<string>;
  /** Per tenant: conversations waiting for an operator, all of them, the last message's time (no one's data). */
  pending?: () => Promise<unknown>;
}

function tenantOf(p: Params): string {
  const slug = p['tenant'];
  if (typeof slug !== 'string' || !TENANT_SLUG.test(slug))
    throw new RequestError('bad-request', 'tenant is missing or not a tenant slug.');
  return slug;
}

function idOf(p: Params, key = 'id'): string {
  const id = p[key];
  if (typeof id !== 'string' || !UUID.test(id))
    throw new RequestError('bad-request', `${key} is not a conversation id (UUID).`);
  return id.toLowerCase();
}

function byOf(p: Params): string {
  const by = p['by'];
  if (typeof by !== 'string' || !by || by.length > 255)
    throw new RequestError('bad-request', 'by is missing.');
  return by;
}

function opt(p: Params, key: string, allowed?: string[], max = 100): string | undefined {
  const v = p[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max || (allowed && !allowed.includes(v)))
    throw new RequestError('bad-request', `${key} is malformed${allowed ? ` (${allowed.join(', ')})` : ''}.`);
  return v;
}

function int(p: Params, key: string, min: number, max: number): string | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new RequestError('bad-request', `${key} must be a whole number from ${min} to ${max}.`);
  return String(v);
}

/** A tenant's database as the inbox's counts need it (the cost engine's pool). */
export interface Queryable {
  query<R>(sql: string): Promise<{ rows: R[] }>;
}

/**
 * What the inbox needs to know without reading anyone's data: per tenant, how many conversations
 * wait for an operator, how many there are, and when the last message came. A tenant whose
 * database does not answer says why instead.
 */
export async function inboxPending(
  tenants: string[],
  db: (slug: string) => Promise<Queryable>,
): Promise<
  Array<{
    tenant: string;
    escalated: number;
    conversations: number;
    lastMessageAt: string | null;
    error?: string;
  }>
> {
  return Promise.all(
    tenants.map(async (tenant) => {
      try {
        const r = await (
          await db(tenant)
        ).query<{ escalated: number; conversations: number; last: Date | null }>(
          `SELECT count(*) FILTER (WHERE status = 'escalated')::int AS escalated, count(*)::int AS conversations,
                  (SELECT max(created_at) FROM messages) AS last
           FROM conversations`,
        );
        const row = r.rows[0]!;
        return {
          tenant,
          escalated: row.escalated,
          conversations: row.conversations,
          lastMessageAt: row.last ? row.last.toISOString() : null,
        };
      } catch (err) {
        return {
          tenant,
          escalated: 0,
          conversations: 0,
          lastMessageAt: null,
          error: (err as Error).message.slice(0, 200),
        };
      }
    }),
  );
}

export function inboxMethods(deps: InboxDeps): Record<string, MethodHandler> {
  const target = async (slug: string): Promise<{ base: string; key: string }> => {
    let env: Record<string, string>;
    try {
      env = parseEnv(await readFile(join(deps.rootfs, deps.stateDir, 'tenants', slug, '.env'), 'utf8'));
    } catch {
      throw new RequestError('not-found', `There is no tenant "${slug}" on this host.`);
    }
    const key = env['TRUFFLES_API_KEY'];
    if (!key) throw new RequestError('not-found', `Tenant "${slug}" has no admin API key in its .env.`);
    if (deps.baseUrl) return { base: await deps.baseUrl(slug), key };
    const ip = await serviceIp(deps.docker, slug, 'n8n');
    if (!ip)
      throw new RequestError(
        'unavailable',
        `Tenant "${slug}"'s n8n is not running: its conversations cannot be read.`,
      );
    return { base: `http://${ip}:5678`, key };
  };

  const call = async (
    slug: string,
    path: string,
    actor: string,
    init: { query?: Record<string, string | undefined>; body?: unknown },
  ): Promise<unknown> => {
    const { base, key } = await target(slug);
    const url = new URL(`/webhook/${path}`, base);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method: init.body === undefined ? 'GET' : 'POST',
        headers: {
          'x-truffles-key': key,
          'x-truffles-actor': actor,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new RequestError(
        'unavailable',
        `Tenant "${slug}"'s admin API did not answer: ${(err as Error).message}.`,
      );
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { error: text.slice(0, 300) };
    }
    if (res.status === 404) throw new RequestError('not-found', `Tenant "${slug}" has no such conversation.`);
    if (res.status === 409)
      throw new RequestError('conflict', `The conversation is closed: ${JSON.stringify(body).slice(0, 200)}`);
    if (!res.ok)
      throw new RequestError(
        res.status === 400 ? 'bad-request' : 'unavailable',
        `Tenant "${slug}"'s admin API answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`,
      );
    return body;
  };

  const actorOf = (p: Params, caller: { actor: string | null }): string => caller.actor ?? byOf(p);

  return {
    'inbox.pending': async () => {
      if (!deps.pending) throw new RequestError('unavailable', 'This agent reads no tenant database.');
      return { tenants: await deps.pending() };
    },
    'inbox.list': (p, caller) =>
      call(tenantOf(p), 'admin/conversations', actorOf(p, caller), {
        query: {
          status: opt(p, 'status', STATUS),
          channel: opt(p, 'channel', CHANNELS),
          from: opt(p, 'from', undefined, 40),
          to: opt(p, 'to', undefined, 40),
          q: opt(p, 'q'),
          limit: int(p, 'limit', 1, 200),
          offset: int(p, 'offset', 0, 1_000_000),
        },
      }),
    'inbox.conversation': (p, caller) =>
      call(tenantOf(p), 'admin/conversations/detail', actorOf(p, caller), { query: { id: idOf(p) } }),
    'inbox.messages': (p, caller) =>
      call(tenantOf(p), 'admin/conversations/messages', actorOf(p, caller), {
        query: { id: idOf(p), before: opt(p, 'before', undefined, 40), limit: int(p, 'limit', 1, 500) },
      }),
    'inbox.reply': (p) => {
      const text = p['text'];
      if (typeof text !== 'string' || !text.trim() || text.length > 4096)
        throw new RequestError('bad-request', 'text is the reply: 1 to 4096 characters.');
      return call(tenantOf(p), 'admin/conversations/reply', byOf(p), {
        body: { conversation_id: idOf(p), text },
      });
    },
    'inbox.status': (p) => {
      const status = opt(p, 'status', STATUS);
      if (!status) throw new RequestError('bad-request', 'status is active, escalated or closed.');
      return call(tenantOf(p), 'admin/conversations/status', byOf(p), {
        body: { id: idOf(p), status, ...(status === 'escalated' ? { assigned_to: byOf(p) } : {}) },
      });
    },
  };
}
