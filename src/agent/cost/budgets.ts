/**
 * Monthly AI budgets of the tenants (issue 16), as the agent keeps them with no console open: a
 * budget's month measured (calendar month, Asia/Almaty), the budget written (audited in the
 * tenant's audit_logs), the router's prices kept to the host's table, and the actions: at 100 %
 * with "cheapest", the router's models switched to its cheapest priced one (once a month), undone
 * in a new month if nobody changed the router since.
 */
import type Decimal from 'decimal.js';
import type pg from 'pg';
import type { CostBudget, CostBudgetState } from '../../shared/agent/cost';
import { priceFor, type PriceEntry, type PriceTable } from '../../shared/cost/prices';
import { almatyDay, dec, monthOf, monthStart, rateOn, str, type Rate } from '../../shared/cost/view';
import * as SQL from './sql';

export function parseBudget(v: unknown): CostBudget | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o['amount'] !== 'string' || !/^\d{1,12}(\.\d{1,2})?$/.test(o['amount'])) return null;
  if (o['currency'] !== 'USD' && o['currency'] !== 'KZT') return null;
  const action = o['action'] === 'cheapest' ? 'cheapest' : 'notify';
  return { amount: o['amount'], currency: o['currency'], action };
}

/** The tenant's settings the cost views and budgets read: the router, the budget and its state. */
export async function readSettings(c: pg.Pool | pg.PoolClient): Promise<Record<string, unknown>> {
  const r = await c.query<{ key: string; value: unknown }>(
    "SELECT key, value FROM settings WHERE key IN ('model_router', 'budget', 'budget_state')",
  );
  return Object.fromEntries(r.rows.map((x) => [x.key, x.value]));
}

/** USD in KZT at `rate` (null: no rate for the day; zero is zero whatever the rate). */
export function kztOf(usd: string, rate: Rate | null): string | null {
  if (dec(usd).isZero()) return '0';
  return rate ? str(dec(usd).mul(rate.kztPerUsd)) : null;
}

/** This month's spend so far (Almaty days): settled days from the rollups, the rest live. */
async function monthSpend(
  c: pg.Pool | pg.PoolClient,
  settled: string,
  rates: readonly Rate[],
  now: number,
): Promise<{ usd: string; kzt: string | null }> {
  const today = almatyDay(now);
  const r = await c.query<{ day: string; usd: string }>(
    `SELECT day, sum(usd::numeric)::text AS usd FROM (${SQL.USAGE}) u GROUP BY day`,
    [monthStart(today), today, settled],
  );
  let usd = dec(0);
  let kzt: Decimal | null = dec(0);
  for (const x of r.rows) {
    usd = usd.plus(x.usd);
    const k = kztOf(x.usd, rateOn(rates, x.day));
    kzt = kzt === null || k === null ? null : kzt.plus(k);
  }
  return { usd: str(usd), kzt: kzt === null ? null : str(kzt) };
}

/** A tenant's budget, this month's spend against it and what the budget did this month. */
export async function budgetOf(
  slug: string,
  c: pg.Pool | pg.PoolClient,
  s: Record<string, unknown>,
  rates: readonly Rate[],
  now: number,
): Promise<CostBudgetState> {
  const month = monthOf(almatyDay(now));
  const budget = parseBudget(s['budget']);
  const state = (s['budget_state'] ?? null) as {
    month?: string;
    at?: string;
    previous?: Record<string, string>;
  } | null;
  const st = await c.query<{ d: string }>(
    'SELECT settled_until::text AS d FROM truffles_cost.state WHERE id = 1',
  );
  const spent = await monthSpend(c, st.rows[0]?.d ?? '0001-01-01', rates, now);
  const inCur = budget ? (budget.currency === 'USD' ? spent.usd : spent.kzt) : null;
  const pct =
    budget && inCur !== null && dec(budget.amount).gt(0)
      ? Number(dec(inCur).div(budget.amount).mul(100).toDecimalPlaces(2))
      : null;
  return {
    tenant: slug,
    month,
    budget,
    usd: spent.usd,
    kzt: spent.kzt,
    pct,
    downgraded:
      state && state.month === month && state.at && state.previous
        ? { at: state.at, previous: state.previous }
        : null,
  };
}

/** The tenant's budget set (or removed, null), with the change in its audit_logs, in one transaction. */
export async function writeBudget(pool: pg.Pool, budget: CostBudget | null, by: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const old = await c.query<{ value: unknown }>(
      "SELECT value FROM settings WHERE key = 'budget' FOR UPDATE",
    );
    if (budget === null) await c.query("DELETE FROM settings WHERE key = 'budget'");
    else
      await c.query(
        `INSERT INTO settings (key, value, description) VALUES ('budget', $1::jsonb, 'Monthly AI budget (calendar month, Asia/Almaty): amount, currency, action at 100 %')
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [JSON.stringify(budget)],
      );
    await c.query(
      `INSERT INTO audit_logs (actor_type, actor_id, action, resource_type, resource_id, old_value, new_value)
       VALUES ('user', $1, 'settings.update', 'settings', 'budget', $2, $3)`,
      [
        by.slice(0, 255),
        old.rows[0] ? JSON.stringify(old.rows[0].value) : null,
        budget ? JSON.stringify(budget) : null,
      ],
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** The tenant's router keeps the prices of the table in force (its own entries first); a change is audited. */
export async function syncRouterPrices(pool: pg.Pool, table: PriceTable, now: number): Promise<void> {
  const day = new Date(now).toISOString().slice(0, 10);
  const prices: Record<string, [number, number]> = {};
  const best = new Map<string, PriceEntry>();
  for (const e of table.entries) {
    if (day < e.from || (e.to && day >= e.to)) continue;
    const had = best.get(e.model);
    if (!had || (!!e.tenant && !had.tenant) || (!!e.tenant === !!had.tenant && e.from > had.from))
      best.set(e.model, e);
  }
  for (const [model, e] of best) prices[model] = [Number(e.usd.input), Number(e.usd.output ?? 0)];
  const r = await pool.query<{ changed: boolean }>(
    `UPDATE settings SET value = jsonb_set(value, '{prices_usd_per_1m}', $1::jsonb) || jsonb_build_object('prices_version', $2::text)
     WHERE key = 'model_router' AND (value->'prices_usd_per_1m' IS DISTINCT FROM $1::jsonb OR value->>'prices_version' IS DISTINCT FROM $2)
     RETURNING true AS changed`,
    [JSON.stringify(prices), table.version],
  );
  if (r.rowCount)
    await pool.query(
      `INSERT INTO audit_logs (actor_type, actor_id, action, resource_type, resource_id, new_value)
       VALUES ('system', 'truffles-agent', 'settings.update', 'settings', 'model_router.prices_usd_per_1m', $1)`,
      [JSON.stringify({ priceVersion: table.version })],
    );
}

/** The router's models all switched to its cheapest priced one; the previous ones kept to undo it. */
export async function downgrade(
  slug: string,
  pool: pg.Pool,
  month: string,
  table: PriceTable,
  now: number,
  log: (line: string) => void,
): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const r = await c.query<{ value: Record<string, unknown> }>(
      "SELECT value FROM settings WHERE key = 'model_router' FOR UPDATE",
    );
    const router = r.rows[0]?.value ?? {};
    const tiers = ['classifier', 'faq', 'complex'] as const;
    const previous: Record<string, string> = {};
    let cheapest: { model: string; price: Decimal } | null = null;
    for (const t of tiers) {
      const m = router[t];
      if (typeof m !== 'string') continue;
      previous[t] = m;
      const p = priceFor(m, new Date(now), table);
      if (!p) continue;
      const price = dec(p.usd.input).plus(p.usd.output ?? '0');
      if (!cheapest || price.lt(cheapest.price)) cheapest = { model: m, price };
    }
    if (!cheapest) {
      await c.query('ROLLBACK');
      return;
    }
    const next = { ...router, classifier: cheapest.model, faq: cheapest.model, complex: cheapest.model };
    await c.query("UPDATE settings SET value = $1::jsonb WHERE key = 'model_router'", [JSON.stringify(next)]);
    const at = new Date(now).toISOString();
    await c.query(
      `INSERT INTO settings (key, value, description) VALUES ('budget_state', $1::jsonb, 'What the budget did this month (the router''s models before a switch to the cheapest)')
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [JSON.stringify({ month, at, previous, cheapest: cheapest.model })],
    );
    await c.query(
      `INSERT INTO audit_logs (actor_type, actor_id, action, resource_type, resource_id, old_value, new_value)
       VALUES ('system', 'truffles-agent', 'budget.cheapest', 'settings', 'model_router', $1, $2)`,
      [JSON.stringify(previous), JSON.stringify({ model: cheapest.model, month })],
    );
    await c.query('COMMIT');
    log(`cost: ${slug} reached its budget for ${month}: router switched to ${cheapest.model}`);
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** A new month: a switch to the cheapest models made in an earlier one is undone (if nobody changed the router since). */
export async function restoreIfNewMonth(
  slug: string,
  pool: pg.Pool,
  s: Record<string, unknown>,
  month: string,
  log: (line: string) => void,
): Promise<void> {
  const st = s['budget_state'] as
    { month?: string; previous?: Record<string, string>; cheapest?: string } | undefined;
  if (!st || !st.month || st.month >= month || !st.previous) return;
  const router = (s['model_router'] ?? {}) as Record<string, unknown>;
  const untouched = ['classifier', 'faq', 'complex'].every((t) => router[t] === st.cheapest);
  await pool.query('BEGIN');
  try {
    if (untouched)
      await pool.query(`UPDATE settings SET value = value || $1::jsonb WHERE key = 'model_router'`, [
        JSON.stringify(st.previous),
      ]);
    await pool.query("DELETE FROM settings WHERE key = 'budget_state'");
    await pool.query(
      `INSERT INTO audit_logs (actor_type, actor_id, action, resource_type, resource_id, old_value, new_value)
       VALUES ('system', 'truffles-agent', 'budget.restore', 'settings', 'model_router', $1, $2)`,
      [
        JSON.stringify({ model: st.cheapest }),
        JSON.stringify(untouched ? st.previous : { kept: 'changed since' }),
      ],
    );
    await pool.query('COMMIT');
  } catch (err) {
    await pool.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  log(`cost: ${slug}: a new month (${month}): ${untouched ? 'router restored' : 'router left as changed'}`);
}
