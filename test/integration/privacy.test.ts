import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntryOf } from '../../src/main/core/audit/trail';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { withTenantQdrant } from '../../src/main/core/tenantdata/qdrant';
import { readHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import type { Tunnel } from '../../src/main/core/tunnel';
import { trailTail } from '../helpers/audit';
import { runTruffles, type CliResult } from '../helpers/cli';
import { chatMessage, tenantHost, uniqueSlug, withTenantDb } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 17, personal-data requests, against the real test host: a customer writes to the tenant's
 * real bot (n8n's chat/message webhook: PostgreSQL rows and n8n execution data), and has an
 * order, a payment, an audit-log entry, a knowledge chunk naming them (PostgreSQL and the Qdrant
 * STAND-IN's payload) and two Redis keys. The export holds all of it; the erasure leaves no match
 * of their phone or email in any store (searched here independently of the code under test),
 * keeps the other customer and the accounting rows, and its records hold no personal data.
 */
const HOST = 'sb';
const PHONE = '77015550177';
/** How an operator might type it. */
const TYPED = '+7 (701) 555-01-77';
const OTHER = '77015550188';
const EMAIL = 'aigerim.subject@example.kz';
const NAME = 'Айгерим Субъектова';
const slug = uniqueSlug('pd');
let t: ReturnType<typeof tempDir>;
let core: Core;
let tr: HostTransport;
let tunnel: Tunnel;
let env: Record<string, string>;

function truffles(...args: string[]): CliResult {
  return runTruffles({ home: join(t.dir, 'home'), passphrase: 'privacy test', timeoutMs: 180_000 }, ...args);
}

const db = <T>(fn: Parameters<typeof withTenantDb<T>>[3]): Promise<T> => withTenantDb(core, tr, slug, fn);

async function withRedis<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
  const tun = await tr.tunnel(await core.tenants.containerIp(tr, slug, 'redis'), 6379);
  const r = new Redis({
    host: '127.0.0.1',
    port: tun.localPort,
    password: env.REDIS_PASSWORD,
    lazyConnect: true,
  });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
    tun.close();
  }
}

/** Independently of the code under test: every row of every table, as text, that holds the digits or the email. */
async function pgMatches(): Promise<Record<string, number>> {
  return db(async (c) => {
    const tables = (
      await c.query<{ s: string; n: string }>(
        `select table_schema s, table_name n from information_schema.tables
          where table_schema in ('public', 'n8n') and table_type = 'BASE TABLE'`,
      )
    ).rows;
    const out: Record<string, number> = {};
    for (const x of tables) {
      const r = await c.query<{ n: string }>(
        `select count(*)::text n from "${x.s}"."${x.n}" t
          where regexp_replace(t::text, '[^0-9]', '', 'g') like $1 or lower(t::text) like $2`,
        [`%${PHONE.slice(1)}%`, `%${EMAIL}%`],
      );
      const n = Number(r.rows[0]?.n);
      if (n) out[`${x.s}.${x.n}`] = n;
    }
    return out;
  });
}

async function qdrantMatches(): Promise<number> {
  return withTenantQdrant(tr, slug, env.QDRANT_API_KEY, async (q) => {
    const page = await q.scroll('knowledge', { limit: 1000, with_payload: true, with_vector: false });
    return page.points.filter((p) => {
      const text = JSON.stringify(p.payload);
      return text.replace(/\D/g, '').includes(PHONE.slice(1)) || text.toLowerCase().includes(EMAIL);
    }).length;
  });
}

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'privacy test'),
    mode: 'cli',
  });
  await tenantHost(core, HOST);
  await core.tenants.create({
    slug,
    host: HOST,
    plan: 'pro',
    modules: ['integration_kaspi'],
    env: { KASPI_MERCHANT_ID: 'M-TEST' },
    keepOnFailure: false,
  });
  tr = await core.hosts.transport(HOST);
  env = parseEnvFile((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '');
  tunnel = await tr.tunnel(await core.tenants.containerIp(tr, slug, 'n8n'), 5678);
  const apiKey = env.TRUFFLES_API_KEY!;

  // The customer writes to the bot twice, another customer once, mentioning the first one's number.
  await chatMessage(tunnel.localPort, apiKey, {
    channel: 'web',
    phone: PHONE,
    name: NAME,
    text: 'Здравствуйте',
  });
  await chatMessage(tunnel.localPort, apiKey, {
    channel: 'web',
    phone: PHONE,
    name: NAME,
    text: `Мой номер ${TYPED}, почта ${EMAIL}`,
  });
  await chatMessage(tunnel.localPort, apiKey, {
    channel: 'web',
    phone: OTHER,
    name: 'Другой',
    text: 'Номер подруги 8 701 555 01 77, перезвоните ей',
  });
  await db(async (c) => {
    const [{ id: cust } = { id: '' }] = (
      await c.query<{ id: string }>(`update customers set email = $2 where phone = $1 returning id`, [
        PHONE,
        EMAIL,
      ])
    ).rows;
    const [{ id: conv } = { id: '' }] = (
      await c.query<{ id: string }>('select id from conversations where customer_id = $1', [cust])
    ).rows;
    const [{ id: order } = { id: '' }] = (
      await c.query<{ id: string }>(
        `insert into orders (order_number, customer_id, conversation_id, amount, description, metadata)
         values ('PD-1001', $1, $2, 15000, 'Букет', jsonb_build_object('phone', $3::text)) returning id`,
        [cust, conv, TYPED],
      )
    ).rows;
    await c.query(
      `insert into payments (order_id, customer_id, amount, provider_reference, sender_name, sender_phone, raw_notification)
       values ($1, $2, 15000, 'KP-555', $3::text, $4::text, jsonb_build_object('from', $4::text, 'name', $3::text))`,
      [order, cust, NAME, `+${PHONE}`],
    );
    await c.query(
      `insert into audit_logs (actor_type, action, resource_type, resource_id, new_value)
       values ('api', 'customer.created', 'customer', $1, jsonb_build_object('phone', $2::text))`,
      [cust, PHONE],
    );
    await c.query(
      `insert into billing_events (event_type, model_provider, model_name, conversation_id) values ('llm_call', 'x', 'y', $1)`,
      [conv],
    );
    // n8n keeps no successful execution of the modules' workflows (they carry personal data), but
    // it keeps a failed one: one as n8n writes it (its data in n8n's "flatted" form).
    const [{ id: wf } = { id: '' }] = (
      await c.query<{ id: string }>(
        `select id from n8n.workflow_entity where name like 'core_chat: message%'`,
      )
    ).rows;
    const [{ id: ex } = { id: 0 }] = (
      await c.query<{ id: number }>(
        `insert into n8n.execution_entity (finished, mode, status, "workflowId", "startedAt", "stoppedAt")
         values (false, 'webhook', 'error', $1, now(), now()) returning id`,
        [wf],
      )
    ).rows;
    await c.query(
      `insert into n8n.execution_data ("executionId", "workflowData", data) values ($1, '{}', $2)`,
      [
        ex,
        JSON.stringify([
          { resultData: '1' },
          { error: '2', runData: '3' },
          { message: '4' },
          {},
          `Connection refused while answering ${PHONE} (${NAME})`,
        ]),
      ],
    );
    const [{ id: doc } = { id: '' }] = (
      await c.query<{ id: string }>(
        `insert into knowledge_documents (filename, status) values ('couriers.txt', 'ready') returning id`,
      )
    ).rows;
    await c.query(
      `insert into knowledge_chunks (document_id, chunk_index, content) values ($1, 0, $2), ($1, 1, 'Доставка ежедневно')`,
      [doc, `Курьер для VIP: ${NAME}, ${TYPED}`],
    );
  });
  await withTenantQdrant(tr, slug, env.QDRANT_API_KEY, async (q) => {
    const vector = Array.from({ length: 1536 }, (_, i) => (i % 7) / 7);
    await q.upsert('knowledge', {
      wait: true,
      points: [
        { id: 1, vector, payload: { document_id: 'd1', text: `Курьер для VIP: ${NAME}, ${TYPED}` } },
        { id: 2, vector, payload: { document_id: 'd1', text: 'Доставка ежедневно' } },
      ],
    });
  });
  await withRedis(async (r) => {
    await r.set(`session:${PHONE}`, JSON.stringify({ phone: PHONE, step: 'menu' }), 'EX', 3600);
    await r.hset(`profile:${EMAIL}`, { lang: 'ru' });
    await r.set(`session:${OTHER}`, 'other customer');
  });
  // A backup taken before the request: the report names it.
  await core.backupKeys.init();
  await core.backups.rekey({ host: HOST, confirm: HOST });
  await core.backups.create(slug, HOST);
}, 900_000);

afterAll(async () => {
  tunnel?.close();
  await core?.tenants.delete(slug, slug, HOST).catch(() => undefined);
  await tr?.exec(['rm', '-rf', '--', `/opt/truffles/backups/${slug}`]).catch(() => undefined);
  await core?.close();
  t?.cleanup();
}, 300_000);

describe('personal-data requests (Qdrant is a STAND-IN; PostgreSQL, Redis, n8n real)', () => {
  it('find counts them in every store, matching the number however it is written', async () => {
    expect(Object.keys(await pgMatches()).length).toBeGreaterThan(3);
    const f = await core.call('privacy.find', { tenant: slug, phone: TYPED });
    expect(f.customers).toHaveLength(1);
    const count = (store: string, place: string): number =>
      f.stores.find((s) => s.store === store)?.places.find((p) => p.place === place)?.count ?? 0;
    expect(count('postgres', 'public.customers')).toBe(1);
    expect(count('postgres', 'public.conversations')).toBe(1);
    // Theirs (2 in, 2 out) and the other customer's message naming them.
    expect(count('postgres', 'public.messages')).toBeGreaterThanOrEqual(5);
    expect(count('postgres', 'public.orders')).toBe(1);
    expect(count('postgres', 'public.payments')).toBe(1);
    expect(count('postgres', 'public.knowledge_chunks')).toBe(1);
    expect(count('postgres', 'public.audit_logs')).toBeGreaterThanOrEqual(1);
    expect(count('postgres', 'public.billing_events')).toBeGreaterThanOrEqual(1);
    expect(count('qdrant', 'knowledge')).toBe(1);
    expect(count('redis', 'keys')).toBe(2);
    expect(count('n8n', 'executions')).toBe(1);
    expect(f.backups.holding).toBe(1);
    expect(f.backups.statement).toMatch(/1 backup of .* still holds .* retention rule \(7 daily, 4 weekly\)/);
  });

  it('export (CLI) writes one private file with their data from every store and the backups statement', () => {
    const out = join(t.dir, 'export.json');
    const r = truffles('privacy', 'export', slug, '--phone', TYPED, '--out', out, '--host', HOST);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/public\.payments/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as {
      format: string;
      postgres: Record<string, Record<string, unknown>[]>;
      qdrant: { payload: { text: string } }[];
      redis: { key: string; value: unknown }[];
      n8n: { executions: { data: string }[] };
      report: { backups: string };
    };
    expect(doc.format).toBe('truffles-personal-data/1');
    expect(doc.postgres['public.customers']?.[0]).toMatchObject({ phone: PHONE, name: NAME, email: EMAIL });
    const texts = (doc.postgres['public.messages'] ?? []).map((m) => m.content);
    expect(texts).toContain('Здравствуйте');
    expect(texts.some((x) => String(x).includes(EMAIL))).toBe(true);
    expect(doc.postgres['public.orders']?.[0]).toMatchObject({ order_number: 'PD-1001' });
    expect(doc.postgres['public.payments']?.[0]).toMatchObject({ sender_name: NAME });
    expect(doc.postgres['public.knowledge_chunks']?.[0]?.content).toContain(NAME);
    expect(doc.qdrant.map((p) => p.payload.text)).toEqual([`Курьер для VIP: ${NAME}, ${TYPED}`]);
    expect(doc.redis.map((k) => k.key).sort()).toEqual([`profile:${EMAIL}`, `session:${PHONE}`]);
    expect(doc.redis.find((k) => k.key === `session:${PHONE}`)?.value).toContain('menu');
    expect(doc.n8n.executions.length).toBe(1);
    expect(doc.n8n.executions.some((e) => e.data.includes(PHONE))).toBe(true);
    expect(doc.report.backups).toMatch(/still hold/);
    // An existing file is never overwritten.
    const again = truffles('privacy', 'export', slug, '--phone', TYPED, '--out', out, '--host', HOST);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/never overwritten/);
  });

  it('erase refuses a confirmation that is not the same number, and changes nothing', async () => {
    const before = await pgMatches();
    const r = await core.dispatch('privacy.erase', {
      host: HOST,
      tenant: slug,
      phone: TYPED,
      confirm: OTHER,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/same phone number/);
    expect(await pgMatches()).toEqual(before);
  });

  it('erase leaves no match in any store, keeps the other customer and the accounting rows', async () => {
    const r = await core.call('privacy.erase', { host: HOST, tenant: slug, phone: TYPED, confirm: PHONE });
    expect(r.erased.total).toBeGreaterThan(10);
    expect(r.after.total).toBe(0);
    // Searched independently: PostgreSQL (both schemas, n8n's executions included), Qdrant, Redis.
    expect(await pgMatches()).toEqual({});
    expect(await qdrantMatches()).toBe(0);
    const keys = await withRedis(async (rd) => ({
      all: (await rd.keys('*')).sort(),
      other: await rd.get(`session:${OTHER}`),
    }));
    expect(keys.all.some((k) => k.includes(PHONE) || k.includes(EMAIL))).toBe(false);
    expect(keys.other).toBe('other customer');
    await db(async (c) => {
      expect((await c.query('select 1 from customers where phone = $1', [OTHER])).rowCount).toBe(1);
      const other = await c.query<{ content: string }>(
        `select m.content from messages m join conversations v on v.id = m.conversation_id
          join customers u on u.id = v.customer_id where u.phone = $1 and m.sender_type = 'customer'`,
        [OTHER],
      );
      expect(other.rows[0]?.content).toBe('Номер подруги [erased], перезвоните ей');
      const order = await c.query('select amount, customer_id from orders where order_number = $1', [
        'PD-1001',
      ]);
      expect(order.rows[0]).toEqual({ amount: '15000.00', customer_id: null });
      const pay = await c.query('select amount, sender_phone from payments where provider_reference = $1', [
        'KP-555',
      ]);
      expect(pay.rows[0]).toEqual({ amount: '15000.00', sender_phone: null });
      const chunk = await c.query<{ content: string }>(
        'select content from knowledge_chunks order by chunk_index',
      );
      expect(chunk.rows.map((x) => x.content)).toEqual([
        'Курьер для VIP: Айгерим Субъектова, [erased]',
        'Доставка ежедневно',
      ]);
      const logged = await c.query<{ new_value: unknown }>(
        `select new_value from audit_logs where action = 'customer.erased'`,
      );
      expect(logged.rows).toHaveLength(1);
    });
  });

  it('the records of these requests hold no personal data, and name the customer by id', async () => {
    const mine = (await trailTail(tr, '/opt/truffles')).filter((l) => l.includes(slug));
    const entries = mine.map((l) => auditEntryOf(l));
    const actions = entries.map((e) => e?.action);
    expect(actions).toEqual(expect.arrayContaining(['privacy.find', 'privacy.export', 'privacy.erase']));
    const written = new RegExp(PHONE.slice(1).split('').join('\\D{0,2}'));
    // The erasure's start and outcome (a danger command) are in the host's trail too.
    expect(entries.filter((e) => e?.details['command'] === 'privacy.erase').map((e) => e?.action)).toEqual([
      'command.start',
      'command.ok',
    ]);
    for (const line of mine) {
      expect(line).not.toMatch(written);
      expect(line).not.toContain(EMAIL);
      expect(line).not.toContain('Айгерим');
    }
    const erased = entries.find((x) => x?.action === 'privacy.erase');
    expect((erased?.details as { customers?: string[] } | undefined)?.customers?.[0]).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });
});
