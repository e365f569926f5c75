import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Decimal from 'decimal.js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { readHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import type { CostView } from '../../src/shared/contract/cost';
import { addDays, almatyDay, daysBetween, monthStart } from '../../src/shared/cost/view';
import { runTruffles, type CliResult } from '../helpers/cli';
import { gatewayAddress } from '../helpers/kb';
import { start as startLlm } from '../helpers/llm-standin/server';
import type { LlmStandin } from '../helpers/llm-standin/server';
import { tenantHost, uniqueSlug, withTenantDb } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 16 on the real test host: a tenant's real bot (its n8n chat_handler, through its
 * chat/message webhook) answering customers, every call a billing row in its PostgreSQL, and the
 * host's agent turning them into the cost views, re-pricing them and holding the tenant to its
 * budget with no console connected. The LLM is a STAND-IN (test/helpers/llm-standin; not OpenAI);
 * Qdrant and the edge are stand-ins too.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
/** The test's own way in (its SSH tunnels to the tenant's PostgreSQL and n8n), apart from the console under test. */
let probe: Core;
let tr: HostTransport;
let llm: LlmStandin;
let hook: { url: string; key: string };
const slug = uniqueSlug('cost');
const API_KEY = 'sk-standin-cost';
const PASSPHRASE = 'cost test passphrase';

const today = almatyDay(Date.now());
const thisMonth = monthStart(today);
const lastMonthEnd = addDays(thisMonth, -1);
const lastMonth = monthStart(lastMonthEnd);
/** National Bank rates on weekdays only (a weekend keeps Friday's), a different one each day. */
const RATES = daysBetween(addDays(lastMonth, -10), today)
  .filter((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()))
  .map((d, i) => ({ date: d, kztPerUsd: (500 + i * 0.37).toFixed(2) }));

function newCore(): Core {
  return new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => PASSPHRASE),
    mode: 'cli',
    healthOptions: { agentEnv: { TRUFFLES_ALERTS_SIDE_SECONDS: '2' } },
  });
}

function truffles(...args: string[]): CliResult {
  return runTruffles({ home: join(t.dir, 'home'), passphrase: PASSPHRASE, timeoutMs: 120_000 }, ...args);
}

/** A customer's message to the tenant's real chat/message webhook; the bot's answer. */
async function say(
  phone: string,
  text: string,
): Promise<{ intent: string; model: string | null; reply: string }> {
  const res = await fetch(`${hook.url}/webhook/chat/message`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-truffles-key': hook.key },
    body: JSON.stringify({ channel: 'web', phone, name: `Клиент ${phone.slice(-2)}`, text }),
    signal: AbortSignal.timeout(120_000),
  });
  expect(res.status).toBe(200);
  const b = (await res.json()) as Record<string, unknown>;
  return {
    intent: String(b['intent']),
    model: (b['model'] as string | null) ?? null,
    reply: String(b['reply']),
  };
}

const db = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withTenantDb(probe, tr, slug, fn);

/** Exact sums straight from billing_events over Almaty days [from, to]: USD, and KZT at each day's rate. */
async function sqlSums(
  from: string,
  to: string,
): Promise<{ usd: string; kzt: string; calls: number; unpriced: number }> {
  return db(async (c) => {
    const r = await c.query<{ usd: string; kzt: string; calls: number; unpriced: number }>(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($3::jsonb) AS r(date date, "kztPerUsd" numeric)),
       b AS (SELECT cost_usd, (created_at AT TIME ZONE 'Asia/Almaty')::date AS day FROM billing_events
             WHERE created_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Almaty')
               AND created_at < (($2::date + 1)::timestamp AT TIME ZONE 'Asia/Almaty'))
       SELECT COALESCE(sum(b.cost_usd), 0)::text AS usd,
              COALESCE(sum(b.cost_usd * (SELECT r."kztPerUsd" FROM r WHERE r.date <= b.day ORDER BY r.date DESC LIMIT 1)), 0)::text AS kzt,
              count(*)::int AS calls, count(*) FILTER (WHERE b.cost_usd IS NULL)::int AS unpriced
       FROM b`,
      [from, to, JSON.stringify(RATES)],
    );
    return r.rows[0]!;
  });
}

const same = (a: string | null, b: string): boolean => a !== null && new Decimal(a).eq(b);

beforeAll(async () => {
  t = tempDir();
  llm = await startLlm({ host: '0.0.0.0', port: 0, apiKey: API_KEY });
  core = newCore();
  await tenantHost(core, 'sb');
  await core.tenants.create({
    slug,
    host: 'sb',
    plan: 'starter',
    modules: [],
    env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: `http://${gatewayAddress()}:${llm.port}/v1` },
    keepOnFailure: false,
  });
  await core.call('agent.install', { host: 'sb' });
  probe = newCore();
  tr = await probe.hosts.transport('sb');
  const env = parseEnvFile((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '');
  const tunnel = await tr.tunnel(await core.tenants.containerIp(tr, slug, 'n8n'), 5678);
  hook = { url: `http://127.0.0.1:${tunnel.localPort}`, key: env['TRUFFLES_API_KEY']! };
  const imported = await core.call('cost.ratesImport', { host: 'sb', rates: RATES });
  expect(imported[0]!.count).toBeGreaterThanOrEqual(RATES.length);
  // The agent keeps the router's prices to its table within a side-read cycle.
  for (let i = 0; ; i++) {
    const v = await db(
      async (c) => (await c.query("SELECT value FROM settings WHERE key = 'model_router'")).rows[0]!.value,
    );
    if (v.prices_version) break;
    if (i > 60) throw new Error('the agent never set the router prices');
    await sleep(500);
  }
}, 600_000);

afterAll(async () => {
  await core?.tenants.delete(slug, slug, 'sb').catch(() => undefined);
  await core?.close();
  await probe?.close();
  await llm?.close();
  t?.cleanup();
}, 300_000);

describe('AI cost through the host agent (LLM, Qdrant and the edge are stand-ins)', () => {
  it('conversations through the webhook: the view and `truffles cost --json` equal the SQL sums, in $ and ₸ at each day’s rate', async () => {
    // History: calls of earlier days (settled into the rollup), as the workflows write them.
    await db((c) =>
      c.query(
        `INSERT INTO billing_events (event_type, model_provider, model_name, input_tokens, output_tokens, cost_usd, workflow_id, metadata, created_at)
         SELECT 'llm_call', 'openai', m, 900 + g, 60, round((900 + g) * 0.40 / 1000000 + 60 * 1.60 / 1000000, 12), 'history',
                jsonb_build_object('stage', CASE WHEN g % 3 = 0 THEN 'classifier' ELSE 'answer' END),
                ($1::date::timestamp AT TIME ZONE 'Asia/Almaty') + make_interval(days => g % 40, hours => 12)
         FROM generate_series(0, 399) g, (VALUES ('gpt-4.1-mini')) AS v(m)`,
        [addDays(lastMonth, -5)],
      ),
    );
    const phones = ['77010000001', '77010000002', '77010000003', '77010000004'];
    const answers = [];
    for (const p of phones) {
      answers.push(await say(p, 'Здравствуйте'));
      answers.push(await say(p, 'Сколько стоит букет из 25 роз и есть ли доставка сегодня?'));
    }
    answers.push(
      await say(
        phones[0]!,
        'Объясните, что выгоднее: заказать букет с доставкой в третью зону или забрать самому и почему?',
      ),
    );
    expect(answers.filter((a) => a.intent === 'greeting')).toHaveLength(4);
    expect(answers.filter((a) => a.model === 'gpt-4.1-mini').length).toBeGreaterThanOrEqual(4);
    expect(answers.at(-1)!.model).toBe('gpt-4.1');

    // A 20-token-ish embedding of a question costs more than zero, exactly tokens × $0.02 / 1M.
    const emb = await db(
      async (c) =>
        (
          await c.query<{ input_tokens: number; cost: string }>(
            "SELECT input_tokens, cost_usd::text AS cost FROM billing_events WHERE metadata->>'stage' = 'question_embedding' ORDER BY input_tokens LIMIT 1",
          )
        ).rows[0]!,
    );
    expect(emb.input_tokens).toBeLessThan(40);
    expect(new Decimal(emb.cost).gt(0)).toBe(true);
    expect(new Decimal(emb.cost).eq(new Decimal(emb.input_tokens).mul('0.02').div(1e6))).toBe(true);

    for (const [from, to] of [
      [thisMonth, today],
      [lastMonth, lastMonthEnd],
      [addDays(lastMonth, -5), today],
    ] as const) {
      const v = await core.call('cost.view', { tenant: slug, from, to });
      const s = await sqlSums(from, to);
      expect(v.totals.calls, `${from}..${to}`).toBe(s.calls);
      expect(same(v.totals.cost.usd, s.usd), `${from}..${to} usd ${v.totals.cost.usd} vs ${s.usd}`).toBe(
        true,
      );
      expect(same(v.totals.cost.kzt, s.kzt), `${from}..${to} kzt ${v.totals.cost.kzt} vs ${s.kzt}`).toBe(
        true,
      );
      // The days add up to the total, and each names the rate it is at (a weekend: Friday's).
      const dayUsd = v.byDay.reduce((a, d) => a.plus(d.cost.usd), new Decimal(0));
      expect(dayUsd.eq(s.usd)).toBe(true);
      for (const d of v.byDay.filter((x) => x.calls > 0)) expect(d.rate!.date <= d.day).toBe(true);
    }

    const month = await core.call('cost.view', { tenant: slug });
    expect(month.from).toBe(thisMonth);
    expect(month.byDay.at(-1)).toMatchObject({ day: today, live: true });
    expect(month.conversations.count).toBeGreaterThanOrEqual(4);
    expect(month.conversations.p50).not.toBeNull();
    expect(month.conversations.top[0]!.tenant).toBe(slug);
    expect(month.byStage.map((s) => s.stage)).toEqual(
      expect.arrayContaining(['classifier', 'faq', 'complex', 'embedding']),
    );
    expect(month.router.replies.find((r) => r.tier === 'no-llm')?.count).toBeGreaterThanOrEqual(4);
    expect(new Decimal(month.router.savingUsd).gt(0)).toBe(true);
    expect(month.projection).not.toBeNull();

    // The most expensive conversation's messages with their calls.
    const top = month.conversations.top[0]!;
    const conv = await core.call('cost.conversation', { tenant: slug, conversationId: top.conversationId });
    expect(conv.messages.some((m) => m.direction === 'inbound')).toBe(true);
    const callsUsd = conv.messages
      .flatMap((m) => m.calls)
      .reduce((a, c) => a.plus(c.costUsd ?? 0), new Decimal(0));
    expect(callsUsd.eq(conv.cost.usd)).toBe(true);
    expect(new Decimal(conv.cost.usd).eq(top.cost.usd)).toBe(true);

    // The CLI, from another process: the same totals.
    const cli = truffles('cost', '--tenant', slug, '--json');
    expect(cli.code, cli.stderr).toBe(0);
    const j = JSON.parse(cli.stdout) as CostView;
    const s = await sqlSums(thisMonth, today);
    expect(same(j.totals.cost.usd, s.usd)).toBe(true);
    expect(same(j.totals.cost.kzt, s.kzt)).toBe(true);
    const csv = truffles('cost', '--tenant', slug, '--by', 'model', '--csv');
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe(
      'provider,model,calls,input_tokens,output_tokens,usd,kzt,unpriced_calls',
    );
    expect(csv.stdout).toContain('gpt-4.1-mini');
  }, 600_000);

  it('a call of an unknown model is unpriced, never $0', async () => {
    await db((c) =>
      c.query(
        "UPDATE settings SET value = jsonb_set(value, '{complex}', '\"acme-llm-2\"') WHERE key = 'model_router'",
      ),
    );
    const a = await say(
      '77010000009',
      'Объясните, что выгоднее: заказать букет с доставкой в третью зону или забрать самому и почему?',
    );
    expect(a.model).toBe('acme-llm-2');
    const row = await db(
      async (c) =>
        (
          await c.query<{ cost: string | null }>(
            "SELECT cost_usd::text AS cost FROM billing_events WHERE model_name = 'acme-llm-2'",
          )
        ).rows,
    );
    expect(row).toEqual([{ cost: null }]);
    const v = await core.call('cost.view', { tenant: slug });
    expect(v.totals.unpricedCalls).toBe(1);
    expect(v.byModel.find((m) => m.model === 'acme-llm-2')).toMatchObject({
      calls: 1,
      unpricedCalls: 1,
      cost: { usd: '0' },
    });
    const cli = truffles('cost', '--tenant', slug);
    expect(cli.stdout).toMatch(/1 calls of models with no price/);
    await db((c) =>
      c.query(
        "UPDATE settings SET value = jsonb_set(value, '{complex}', '\"gpt-4.1\"') WHERE key = 'model_router'",
      ),
    );
  }, 300_000);

  it('a price changed for last month: the dry run shows the difference; applied, exactly those rows change, audited', async () => {
    const snapshot = (): Promise<Map<string, string | null>> =>
      db(
        async (c) =>
          new Map(
            (
              await c.query<{ id: string; cost: string | null }>(
                'SELECT id::text, cost_usd::text AS cost FROM billing_events',
              )
            ).rows.map((r) => [r.id, r.cost]),
          ),
      );
    const expected = await db(async (c) =>
      (
        await c.query<{ id: string }>(
          `SELECT id::text FROM billing_events WHERE model_name = 'gpt-4.1-mini'
               AND created_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Almaty') AND created_at < ($2::date::timestamp AT TIME ZONE 'Asia/Almaty')`,
          [lastMonth, thisMonth],
        )
      ).rows.map((r) => r.id),
    );
    expect(expected.length).toBeGreaterThan(100);
    const before = await snapshot();
    const viewBefore = await core.call('cost.view', { tenant: slug, from: lastMonth, to: lastMonthEnd });

    await core.call('cost.pricesSet', {
      host: 'sb',
      entries: [
        {
          provider: 'openai',
          model: 'gpt-4.1-mini',
          usd: { input: '0.50', output: '2.00' },
          // Entries are in UTC days; an Almaty day starts at 19:00 UTC the day before: this one
          // covers the whole of last month's Almaty days (the re-pricing is held to the period).
          from: addDays(lastMonth, -1),
          to: thisMonth,
          source: 'a corrected price (test)',
          checkedOn: today,
          tenant: slug,
        },
      ],
    });
    const dry = await core.call('cost.reprice', {
      host: 'sb',
      tenant: slug,
      from: lastMonth,
      to: lastMonthEnd,
      apply: false,
    });
    expect(dry.applied).toBe(false);
    expect(dry.changed).toBe(expected.length);
    expect(new Decimal(dry.newUsd).gt(dry.oldUsd)).toBe(true);
    expect(dry.byModel).toEqual([
      expect.objectContaining({ model: 'gpt-4.1-mini', changed: expected.length }),
    ]);
    expect(await snapshot()).toEqual(before); // a dry run changes nothing

    const applied = await core.call('cost.reprice', {
      host: 'sb',
      tenant: slug,
      from: lastMonth,
      to: lastMonthEnd,
      apply: true,
    });
    expect(applied).toMatchObject({
      applied: true,
      changed: expected.length,
      newUsd: dry.newUsd,
      oldUsd: dry.oldUsd,
    });
    const after = await snapshot();
    const changedIds = [...after.keys()].filter((id) => after.get(id) !== before.get(id)).sort();
    expect(changedIds).toEqual([...expected].sort());

    // The settled days were summed again: the view equals the new SQL sums.
    const s = await sqlSums(lastMonth, lastMonthEnd);
    const viewAfter = await core.call('cost.view', { tenant: slug, from: lastMonth, to: lastMonthEnd });
    expect(same(viewAfter.totals.cost.usd, s.usd)).toBe(true);
    expect(
      new Decimal(viewAfter.totals.cost.usd)
        .minus(viewBefore.totals.cost.usd)
        .eq(new Decimal(dry.newUsd).minus(dry.oldUsd)),
    ).toBe(true);

    // In the tenant's audit_logs (who, the period, the difference) and the host's audit trail.
    const audit = await db(
      async (c) =>
        (
          await c.query(
            "SELECT actor_id, resource_id, new_value FROM audit_logs WHERE action = 'cost.reprice'",
          )
        ).rows,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.resource_id).toBe(`${lastMonth}..${lastMonthEnd}`);
    expect(audit[0]!.new_value.changed).toBe(expected.length);
    const trail = await core.call('hosts.audit', { name: 'sb', limit: 200 });
    const reprices = trail.filter(
      (e) => e.details['command'] === 'cost.reprice' && e.subject === `tenant:${slug}`,
    );
    expect(reprices.map((e) => e.action).sort()).toEqual([
      'command.ok',
      'command.ok',
      'command.start',
      'command.start',
    ]);
    expect(
      reprices
        .filter((e) => e.action === 'command.start')
        .map((e) => [e.details['effect'], e.details['tenant']]),
    ).toEqual([
      ['danger', slug],
      ['danger', slug],
    ]);
  }, 300_000);

  it('over 80 % and 100 % of the budget with no console: one alert each; "cheapest" switches the router and the next message uses it', async () => {
    const spent = (await core.call('cost.budget', { tenant: slug })).spent.kzt!;
    // A budget the month to date is 85 % of.
    const amount = new Decimal(spent).div('0.85').toDecimalPlaces(2, Decimal.ROUND_UP);
    await core.call('cost.budgetSet', {
      tenant: slug,
      budget: { amount: amount.toFixed(2), currency: 'KZT', action: 'cheapest' },
    });
    await core.close(); // no console from here on

    const alerts = async (): Promise<{
      active: Array<{ ruleId: string; id: number; phase: string; subject: { tenant?: string } }>;
      history: Array<{ ruleId: string; subject: { tenant?: string } }>;
    }> => {
      const c = newCore();
      try {
        const l = await c.call('alerts.list', { host: 'sb' });
        const v = l.hosts[0]!.view!;
        return { active: v.active, history: v.history };
      } finally {
        await c.close();
      }
    };
    const firing = (a: Awaited<ReturnType<typeof alerts>>, rule: string) =>
      a.active.filter((r) => r.ruleId === rule && r.subject.tenant === slug && r.phase === 'firing');
    let a = await alerts();
    for (let i = 0; firing(a, 'budget-soft').length === 0; i++) {
      if (i > 30) throw new Error(`no budget-soft alert: ${JSON.stringify(a.active)}`);
      await sleep(1000);
      a = await alerts();
    }
    expect(firing(a, 'budget')).toHaveLength(0);
    const softId = firing(a, 'budget-soft')[0]!.id;

    // Another call of the month takes it past 100 % (as the workflows bill one).
    await db((c) =>
      c.query(
        `INSERT INTO billing_events (event_type, model_provider, model_name, input_tokens, output_tokens, cost_usd, workflow_id, metadata)
         VALUES ('llm_call', 'openai', 'gpt-4.1', 50000, 4000, 0.132, 'test', '{"stage": "answer"}')`,
      ),
    );
    for (let i = 0; firing(a, 'budget').length === 0; i++) {
      if (i > 30) throw new Error(`no budget alert: ${JSON.stringify(a.active)}`);
      await sleep(1000);
      a = await alerts();
    }
    const router = await db(
      async (c) => (await c.query("SELECT value FROM settings WHERE key = 'model_router'")).rows[0]!.value,
    );
    expect(router).toMatchObject({
      classifier: 'gpt-4.1-mini',
      faq: 'gpt-4.1-mini',
      complex: 'gpt-4.1-mini',
    });
    const switched = await db(
      async (c) =>
        (await c.query("SELECT actor_id, old_value FROM audit_logs WHERE action = 'budget.cheapest'")).rows,
    );
    expect(switched).toEqual([
      {
        actor_id: 'truffles-agent',
        old_value: { classifier: 'gpt-4.1-mini', faq: 'gpt-4.1-mini', complex: 'gpt-4.1' },
      },
    ]);

    // Several more checks: still one alert each, the same episodes, nothing in the history.
    await sleep(8_000);
    a = await alerts();
    expect(firing(a, 'budget-soft').map((r) => r.id)).toEqual([softId]);
    expect(firing(a, 'budget')).toHaveLength(1);
    expect(a.history.filter((h) => h.subject.tenant === slug && h.ruleId.startsWith('budget'))).toHaveLength(
      0,
    );

    core = newCore();
    const next = await say(
      '77010000005',
      'Объясните, что выгоднее: заказать букет с доставкой в третью зону или забрать самому и почему?',
    );
    expect(next.intent).toBe('complex');
    expect(next.model).toBe('gpt-4.1-mini');
    const b = await core.call('cost.budget', { tenant: slug });
    expect(b.pct!).toBeGreaterThanOrEqual(100);
    expect(b.downgraded?.previous).toMatchObject({ complex: 'gpt-4.1' });
    writeFileSync(join(t.dir, 'budget.json'), JSON.stringify(b));
  }, 300_000);

  it("the tenant's PostgreSQL killed under the agent's reads fails those reads, never the agent", async () => {
    const dockerOut = (...args: string[]): string => {
      const r = spawnSync('docker', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const startedAt = dockerOut('inspect', '--format', '{{.State.StartedAt}}', 'truffles-agent');
    const snap = await core.health.snapshot('sb');
    const pg = snap.containers.find((c) => c.tenant === slug && c.service === 'postgres')!;
    // Views keep connections checked out of the agent's pool when the database dies under them (a
    // crash: the socket closes with no goodbye), the pool's idle connections with them.
    const from = addDays(today, -40);
    let stop = false;
    let failed = 0;
    let answered = 0;
    const reader = async (): Promise<void> => {
      while (!stop) {
        await core.call('cost.view', { host: 'sb', tenant: slug, from, to: today }).then(
          () => answered++,
          () => failed++,
        );
      }
    };
    const readers = [reader(), reader(), reader()];
    await sleep(1_500);
    dockerOut('kill', pg.name);
    await sleep(1_500);
    stop = true;
    await Promise.all(readers);
    console.log(`views answered ${answered}, failed ${failed}`);
    expect(answered).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    // The agent lived through it: the same process; once PostgreSQL is back, the view answers in full.
    expect(dockerOut('inspect', '--format', '{{.State.StartedAt}}', 'truffles-agent')).toBe(startedAt);
    if (dockerOut('inspect', '--format', '{{.State.Running}}', pg.name) !== 'true')
      dockerOut('start', pg.name);
    let after: CostView | undefined;
    for (let i = 0; i < 120 && !after; i++) {
      after = await core
        .call('cost.view', { host: 'sb', tenant: slug, from, to: today })
        .catch(() => undefined);
      if (!after) await sleep(500);
    }
    expect(Number(after!.totals.cost.usd)).toBeGreaterThan(0);
    expect(dockerOut('inspect', '--format', '{{.State.StartedAt}}', 'truffles-agent')).toBe(startedAt);
  }, 300_000);
});
