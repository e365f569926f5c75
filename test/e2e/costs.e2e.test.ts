import Decimal from 'decimal.js';
import type pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/main/core/core';
import type { WebServer } from '../../src/main/web/server';
import { readHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import { formatMoney } from '../../src/renderer/src/features/costs/costs';
import { addDays, almatyDay, daysBetween } from '../../src/shared/cost/view';
import { screenshots } from '../helpers/browser';
import { openTenantConsole, type E2EWorld } from '../helpers/e2e';
import { gatewayAddress } from '../helpers/kb';
import { start as startLlm, type LlmStandin } from '../helpers/llm-standin/server';
import { uniqueSlug, withTenantDb } from '../helpers/tenants';

/**
 * End to end, as an operator would: the Costs screen in Debian's Chromium, over the built
 * renderer, the browser-mode bridge, the real core, the host's agent and the tenant's real
 * PostgreSQL and n8n (customers' messages through its chat/message webhook). The LLM is a
 * STAND-IN (test/helpers/llm-standin; not OpenAI), and so are Qdrant and the edge.
 */
const HOST = 'sb';
const WAIT = { timeout: 60_000 };
const API_KEY = 'sk-standin-e2e-cost';

let w: E2EWorld;
let core: Core;
let server: WebServer;
let page: Page;
let llm: LlmStandin;
const slug = uniqueSlug('e2ecost');

const today = almatyDay(Date.now());
const from30 = addDays(today, -29);
/** The day three times over its week's median (inside the last 30 days whatever the date). */
const spike = addDays(today, -3);
const RATES = daysBetween(addDays(today, -60), today)
  .filter((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()))
  .map((d, i) => ({ date: d, kztPerUsd: (498 + (i % 9) * 0.5).toFixed(2) }));

async function db<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withTenantDb(core, await core.hosts.transport(HOST), slug, fn);
}

/** The SQL sums over the last 30 Almaty days: USD, and KZT at each day's rate. */
async function sums(): Promise<{ usd: string; kzt: string }> {
  return db(async (c) => {
    const r = await c.query<{ usd: string; kzt: string }>(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($3::jsonb) AS r(date date, "kztPerUsd" numeric)),
       b AS (SELECT cost_usd, (created_at AT TIME ZONE 'Asia/Almaty')::date AS day FROM billing_events
             WHERE created_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Almaty')
               AND created_at < (($2::date + 1)::timestamp AT TIME ZONE 'Asia/Almaty'))
       SELECT COALESCE(sum(cost_usd), 0)::text AS usd,
              COALESCE(sum(cost_usd * (SELECT r."kztPerUsd" FROM r WHERE r.date <= b.day ORDER BY r.date DESC LIMIT 1)), 0)::text AS kzt
       FROM b`,
      [from30, today, JSON.stringify(RATES)],
    );
    return r.rows[0]!;
  });
}

beforeAll(async () => {
  llm = await startLlm({ host: '0.0.0.0', port: 0, apiKey: API_KEY });
  w = await openTenantConsole({
    passphrase: 'e2e cost passphrase',
    host: HOST,
    slug,
    agent: true,
    env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: `http://${gatewayAddress()}:${llm.port}/v1` },
  });
  ({ core, server, page } = w);
  await core.call('cost.ratesImport', { host: HOST, rates: RATES });
  // Three weeks of calls as the workflows bill them, ten times more on one day.
  await db((c) =>
    c.query(
      `INSERT INTO billing_events (event_type, model_provider, model_name, input_tokens, output_tokens, cost_usd, workflow_id, metadata, created_at)
       SELECT 'llm_call', 'openai', 'gpt-4.1-mini', 1200, 90, round((1200 * 0.40 + 90 * 1.60) / 1000000, 12), 'history',
              jsonb_build_object('stage', CASE WHEN g % 2 = 0 THEN 'classifier' ELSE 'answer' END),
              (d::timestamp AT TIME ZONE 'Asia/Almaty') + make_interval(hours => 9 + g % 10)
       FROM generate_series($1::date, $2::date, interval '1 day') d,
            generate_series(1, CASE WHEN d::date = $3::date THEN 300 ELSE 30 END) g`,
      [addDays(today, -21), addDays(today, -1), spike],
    ),
  );
  // Customers talking to the tenant's real bot.
  const tr = await core.hosts.transport(HOST);
  const env = parseEnvFile((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '');
  const tunnel = await tr.tunnel(await core.tenants.containerIp(tr, slug, 'n8n'), 5678);
  const say = async (phone: string, text: string): Promise<void> => {
    const res = await fetch(`http://127.0.0.1:${tunnel.localPort}/webhook/chat/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-truffles-key': env['TRUFFLES_API_KEY']! },
      body: JSON.stringify({ channel: 'web', phone, name: 'Клиент', text }),
      signal: AbortSignal.timeout(120_000),
    });
    expect(res.status).toBe(200);
  };
  for (const phone of ['77020000001', '77020000002', '77020000003']) {
    await say(phone, 'Здравствуйте');
    await say(phone, 'Сколько стоит букет из 25 роз и есть ли доставка сегодня?');
  }
  await say(
    '77020000001',
    'Объясните, что выгоднее: заказать букет с доставкой в третью зону или забрать самому и почему?',
  );
  tunnel.close();
  const spent = (await core.call('cost.budget', { host: HOST, tenant: slug })).spent.kzt!;
  await core.call('cost.budgetSet', {
    host: HOST,
    tenant: slug,
    budget: { amount: new Decimal(spent).div('0.6').toFixed(2), currency: 'KZT', action: 'notify' },
  });
}, 600_000);

afterAll(async () => {
  await w?.close();
  await llm?.close();
}, 300_000);

const { shot, shotLong } = screenshots(() => page);

describe('the Costs screen (real core, agent, PostgreSQL and n8n; LLM, Qdrant and edge STAND-INS)', () => {
  it('a tenant’s last 30 days: totals equal the SQL sums in ₸ and $, the spike flagged, charts drawn, a conversation opened', async () => {
    await page.goto(server.loginUrl);
    await page.getByTestId('nav-costs').click();
    await page.getByTestId('cost-tenant').selectOption(`${HOST}/${slug}`);
    await page.getByTestId('cost-range-30d').click();
    const total = page.getByTestId('cost-total').locator('.cost-money');
    await total.waitFor(WAIT);
    const s = await sums();
    await expect
      .poll(async () => new Decimal((await total.getAttribute('data-usd')) ?? '-1').eq(s.usd), WAIT)
      .toBe(true);
    expect(new Decimal((await total.getAttribute('data-kzt'))!).eq(s.kzt)).toBe(true);
    expect(await total.textContent()).toContain(formatMoney(s.kzt, 'KZT', 'en'));

    const byDay = page.getByTestId('cost-by-day');
    expect(await byDay.getAttribute('data-anomalies')).toBe(spike);
    expect(await byDay.getAttribute('data-live')).toBe(today);
    await expect.poll(() => byDay.locator('.recharts-bar-rectangle').count(), WAIT).toBeGreaterThan(15);
    await expect
      .poll(() => page.getByTestId('cost-by-stage').locator('.recharts-layer').count(), WAIT)
      .toBeGreaterThan(0);
    // The budget bar: 60 % used, amber only from 80 %.
    await page.getByTestId('cost-budget').waitFor(WAIT);
    expect(await page.getByTestId('cost-budget').textContent()).toMatch(/6\d(\.\d+)?\s?%/);
    await shotLong('costs-01-tenant-en');

    const first = page.getByTestId('cost-top-conversations').locator('tbody tr').first();
    await first.click();
    const dialog = page.getByTestId('cost-conversation');
    await dialog.waitFor(WAIT);
    await expect.poll(() => dialog.textContent(), WAIT).toContain('Сколько стоит букет');
    expect(await dialog.textContent()).toContain('gpt-4.1');
    await shot('costs-02-conversation', 'cost-conversation');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  }, 300_000);

  it('prices and a re-pricing dry run', async () => {
    await page.getByTestId('cost-tab-prices').click();
    const prices = page.getByTestId('cost-prices');
    await prices.waitFor(WAIT);
    await expect.poll(() => prices.textContent(), WAIT).toContain('text-embedding-3-small');
    expect(await page.getByTestId('cost-price-unchecked').count()).toBeGreaterThan(0);
    await page.locator('select[data-testid="cost-reprice-tenant"]').selectOption(`${HOST}/${slug}`);
    await page.locator('input[data-testid="cost-reprice-from"]').fill(from30);
    await page.locator('input[data-testid="cost-reprice-to"]').fill(today);
    await page.getByTestId('cost-reprice-dry').click();
    const result = page.getByTestId('cost-reprice');
    await result.waitFor(WAIT);
    // The table in force prices the calls as they were billed: nothing would change.
    await expect.poll(() => result.textContent(), WAIT).toMatch(/\b0\b/);
    await shotLong('costs-03-prices-en');
  }, 120_000);

  it('in Russian, the fleet and the tenant', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await page.getByTestId('nav-costs').click();
    await page.getByTestId('cost-tab-overview').click();
    await page.getByTestId('cost-tenant').selectOption('');
    await page.getByTestId('cost-range-30d').click();
    const tenants = page.getByTestId('cost-tenants');
    await tenants.waitFor(WAIT);
    await expect.poll(() => tenants.locator(`[data-tenant="${slug}"]`).count(), WAIT).toBe(1);
    expect(await page.getByTestId('screen-costs').textContent()).toMatch(/Расход|расход/);
    await shotLong('costs-04-fleet-ru');
    await tenants.locator(`[data-tenant="${slug}"]`).click();
    const total = page.getByTestId('cost-total').locator('.cost-money');
    const s = await sums();
    await expect
      .poll(async () => new Decimal((await total.getAttribute('data-usd')) ?? '-1').eq(s.usd), WAIT)
      .toBe(true);
    expect(await total.textContent()).toContain(formatMoney(s.kzt, 'KZT', 'ru'));
    await shotLong('costs-05-tenant-ru');
  }, 120_000);
});
