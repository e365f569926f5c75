/**
 * `npm run bench:cost`: the AI-cost views at size on the real test host (its sshd, Docker, the
 * tenants' real PostgreSQL), through the console's one SSH connection to the host's agent.
 *
 * Sets up a fleet of real tenants (default 20, `BENCH_COST_TENANTS`), one of them with 1,000,000
 * billing_events rows (`BENCH_COST_ROWS`) over the last 60 days, in ~80,000 conversations with
 * their bot replies, the others with 5,000 rows each; USD→KZT rates for every weekday.
 *
 * Prints:
 * - the first settle of the big tenant's rollups (a one-time cost per tenant);
 * - the tenant month view (this month to date: settled days from the rollup, today live) p50/p95,
 *   and a full settled month's;
 * - the fleet month view: cold (a new console: SSH connect, agent hello, every tenant) and warm
 *   (the open connection), p50/p95;
 * - for comparison, the raw scan: the same month's totals, days, models and conversation
 *   percentiles computed straight from billing_events over an SSH tunnel, p50/p95;
 * - whether the view's totals equal the raw scan's, exactly.
 * Goals (issue 16): tenant view ≤ 300 ms p95, fleet ≤ 3 s cold and ≤ 0.5 s warm. Asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Decimal from 'decimal.js';
import { Core } from '../src/main/core/core';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
import { addDays, almatyDay, daysBetween, monthStart } from '../src/shared/cost/view';
import { REBUILD } from '../src/agent/cost/sql';
import { tenantHost, uniqueSlug, withTenantDb } from '../test/helpers/tenants';

const N_TENANTS = Number(process.env['BENCH_COST_TENANTS'] ?? 20);
const ROWS = Number(process.env['BENCH_COST_ROWS'] ?? 1_000_000);
const RUNS = 20;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const ms = (v: number): string => `${v.toFixed(0)} ms`;
const line = (what: string, xs: number[], goal = ''): void =>
  console.log(
    `${what}: p50 ${ms(pct(xs, 50))}, p95 ${ms(pct(xs, 95))}${goal ? ` (goal ${goal})` : ''} [${xs.length} runs]`,
  );

const home = mkdtempSync(join(tmpdir(), 'truffles-bench-cost-'));
const PASS = 'bench passphrase';
const newCore = (): Core =>
  new Core({ home, secrets: new PassphraseProvider(async () => PASS), mode: 'cli' });
const core = newCore();
const slugs = Array.from({ length: N_TENANTS }, (_, i) => uniqueSlug(i === 0 ? 'big' : `c${i}`));
const today = almatyDay(Date.now());
const thisMonth = monthStart(today);
const lastMonthEnd = addDays(thisMonth, -1);
const lastMonth = monthStart(lastMonthEnd);

/** Calls as the workflows write them, spread over the last 60 days (3 calls per bot reply). */
function seedSql(rows: number): string[] {
  const convs = Math.max(1, Math.round(rows / 12));
  return [
    `INSERT INTO customers (phone, name, channel)
     SELECT '7701' || lpad(g::text, 7, '0'), 'Клиент ' || g, 'whatsapp' FROM generate_series(1, ${convs}) g`,
    `INSERT INTO conversations (customer_id, channel, status, created_at, last_message_at)
     SELECT id, 'whatsapp', 'closed', now() - interval '60 days', now() FROM customers`,
    `CREATE TEMP TABLE c AS SELECT row_number() OVER () AS n, id FROM conversations`,
    `CREATE INDEX ON c (n)`,
    `INSERT INTO billing_events (event_type, model_provider, model_name, input_tokens, output_tokens, cost_usd, conversation_id, workflow_id, metadata, created_at)
     SELECT CASE WHEN g % 3 = 1 THEN 'embedding' ELSE 'llm_call' END, 'openai',
            CASE g % 3 WHEN 0 THEN 'gpt-4.1-mini' WHEN 1 THEN 'text-embedding-3-small' ELSE (CASE WHEN g % 10 = 2 THEN 'gpt-4.1' ELSE 'gpt-4.1-mini' END) END,
            200 + g % 700, CASE WHEN g % 3 = 1 THEN 0 ELSE 20 + g % 200 END,
            CASE g % 3
              WHEN 0 THEN round(((200 + g % 700) * 0.40 + (20 + g % 200) * 1.60) / 1000000, 12)
              WHEN 1 THEN round((200 + g % 700) * 0.02 / 1000000, 12)
              ELSE round(((200 + g % 700) * (CASE WHEN g % 10 = 2 THEN 2.00 ELSE 0.40 END) + (20 + g % 200) * (CASE WHEN g % 10 = 2 THEN 8.00 ELSE 1.60 END)) / 1000000, 12) END,
            (SELECT id FROM c WHERE c.n = 1 + (g / 12) % ${convs}), 'bench',
            jsonb_build_object('stage', CASE g % 3 WHEN 0 THEN 'classifier' WHEN 1 THEN 'question_embedding' ELSE 'answer' END),
            now() - make_interval(secs => (g::float8 / ${rows}) * 60 * 86400)
     FROM generate_series(0, ${rows - 1}) g`,
    `INSERT INTO messages (conversation_id, direction, sender_type, content, metadata, status, created_at)
     SELECT (SELECT id FROM c WHERE c.n = 1 + (g * 3 / 12) % ${convs}), 'outbound', 'bot', 'ответ',
            jsonb_build_object('intent', CASE WHEN g % 10 = 0 THEN 'complex' ELSE 'faq' END, 'model', CASE WHEN g % 10 = 0 THEN 'gpt-4.1' ELSE 'gpt-4.1-mini' END),
            'sent', now() - make_interval(secs => (g::float8 * 3 / ${rows}) * 60 * 86400)
     FROM generate_series(0, ${Math.floor(rows / 3) - 1}) g`,
    `ANALYZE billing_events`,
    `ANALYZE messages`,
  ];
}

try {
  await tenantHost(core, 'sb');
  const tr = await core.hosts.transport('sb');
  console.log(`creating ${N_TENANTS} tenants (3 at a time) …`);
  let t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      while (next < slugs.length) {
        const slug = slugs[next++]!;
        await core.tenants.create({
          slug,
          host: 'sb',
          plan: 'starter',
          modules: [],
          env: {},
          keepOnFailure: false,
        });
      }
    }),
  );
  console.log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  await core.call('agent.install', { host: 'sb' });
  const rates = daysBetween(addDays(today, -70), today)
    .filter((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()))
    .map((d, i) => ({ date: d, kztPerUsd: (505 + (i % 17) * 0.41).toFixed(2) }));
  await core.call('cost.ratesImport', { host: 'sb', rates });

  console.log(`seeding ${ROWS.toLocaleString('en')} rows in ${slugs[0]} and 5,000 in each of the others …`);
  t0 = performance.now();
  for (const [i, slug] of slugs.entries())
    await withTenantDb(core, tr, slug, async (db) => {
      for (const q of seedSql(i === 0 ? ROWS : 5000)) await db.query(q);
    });
  console.log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const big = slugs[0]!;
  await core.call('cost.view', { host: 'sb', tenant: big, from: lastMonth, to: today });
  // What settling costs: the rollups of the ended days summed from the raw rows, in a
  // transaction rolled back (the agent settled them already, on its minute or the view above).
  const settleMs = await withTenantDb(core, tr, big, async (db) => {
    const t = performance.now();
    await db.query('BEGIN');
    for (const q of REBUILD) await db.query(q, [addDays(today, -61), today]);
    await db.query('ROLLBACK');
    return performance.now() - t;
  });
  console.log(
    `settling ${big}'s ended days (~${Math.round((ROWS * 59) / 60).toLocaleString('en')} rows) into the rollups, done once: ${ms(settleMs)}`,
  );
  // The others settle on the agent's own minute or on the first fleet view; make it now, untimed.
  await core.call('cost.view', { host: 'sb', from: thisMonth, to: today });

  const timed = async (f: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  const tenantMonth: number[] = [];
  const tenantLast: number[] = [];
  for (let i = 0; i < RUNS; i++)
    tenantMonth.push(await timed(() => core.call('cost.view', { host: 'sb', tenant: big })));
  for (let i = 0; i < RUNS; i++)
    tenantLast.push(
      await timed(() =>
        core.call('cost.view', { host: 'sb', tenant: big, from: lastMonth, to: lastMonthEnd }),
      ),
    );

  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    const c = newCore();
    try {
      cold.push(await timed(() => c.call('cost.view', {})));
    } finally {
      await c.close();
    }
  }
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) warm.push(await timed(() => core.call('cost.view', {})));

  // The raw scan: what the view answers, straight from billing_events (over a tunnel, as a plain client would).
  const rawScan = async (from: string, to: string): Promise<{ times: number[]; usd: string }> =>
    withTenantDb(core, tr, big, async (db) => {
      const times: number[] = [];
      let usd = '0';
      const where = `created_at >= ('${from}'::date::timestamp AT TIME ZONE 'Asia/Almaty') AND created_at < (('${to}'::date + 1)::timestamp AT TIME ZONE 'Asia/Almaty')`;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const r = await db.query<{ usd: string }>(
          `SELECT sum(cost_usd)::text AS usd FROM billing_events WHERE ${where}`,
        );
        await db.query(
          `SELECT (created_at AT TIME ZONE 'Asia/Almaty')::date, sum(cost_usd), count(*) FROM billing_events WHERE ${where} GROUP BY 1`,
        );
        await db.query(
          `SELECT model_name, metadata->>'stage', sum(cost_usd), count(*), sum(input_tokens), sum(output_tokens) FROM billing_events WHERE ${where} GROUP BY 1, 2`,
        );
        await db.query(
          `SELECT percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY s) FROM (SELECT sum(cost_usd) AS s FROM billing_events WHERE ${where} AND conversation_id IS NOT NULL GROUP BY conversation_id) x`,
        );
        times.push(performance.now() - t);
        usd = r.rows[0]!.usd;
      }
      return { times, usd };
    });
  const rawMonth = await rawScan(thisMonth, today);
  const rawLast = await rawScan(lastMonth, lastMonthEnd);
  const raw = rawMonth.times;
  const rawUsd = rawMonth.usd;
  const view = await core.call('cost.view', { host: 'sb', tenant: big });

  console.log('');
  console.log(
    `fleet: ${N_TENANTS} tenants on one host; ${big}: ${ROWS.toLocaleString('en')} rows over 60 days, ${view.conversations.count.toLocaleString('en')} conversations this month`,
  );
  line(`tenant month view (${thisMonth} … ${today}, today live)`, tenantMonth, '≤ 300 ms p95');
  line(`tenant last-month view (${lastMonth} … ${lastMonthEnd}, settled)`, tenantLast);
  line('fleet month view, cold (new console: SSH, agent, every tenant)', cold, '≤ 3 s');
  line('fleet month view, warm', warm, '≤ 500 ms');
  line('raw scan of this month (totals, days, models, conversation percentiles) over a tunnel', raw);
  line('raw scan of last month, the same way', rawLast.times);
  const lastView = await core.call('cost.view', {
    host: 'sb',
    tenant: big,
    from: lastMonth,
    to: lastMonthEnd,
  });
  console.log(
    `last month: view ${lastView.totals.cost.usd} USD = raw ${rawLast.usd}: ${new Decimal(lastView.totals.cost.usd).eq(rawLast.usd) ? 'equal' : 'DIFFERENT'}`,
  );
  console.log(
    `view total ${view.totals.cost.usd} USD = raw sum ${rawUsd}: ${new Decimal(view.totals.cost.usd).eq(rawUsd) ? 'equal' : 'DIFFERENT'}`,
  );
} finally {
  console.log('cleaning up …');
  for (const slug of slugs) await core.tenants.delete(slug, slug, 'sb').catch(() => undefined);
  await core.close();
  rmSync(home, { recursive: true, force: true });
}
