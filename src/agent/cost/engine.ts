/**
 * AI cost on the host (issue 16): the agent reads each tenant's `billing_events` in its own
 * database (the tenant's `.env` login, its PostgreSQL's internal address), keeps daily rollups
 * there (schema truffles_cost, settled days only), and answers the console's views; it holds the
 * host's price table and USD→KZT rates (files in its folder), keeps each tenant's router prices
 * to the table in force, re-prices a period on request, and checks the tenants' monthly budgets
 * with no console open (the alert rules `budget-soft` and `budget`, and the optional switch of
 * the router to its cheapest models, audited in the tenant's audit_logs).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Decimal from 'decimal.js';
import pg from 'pg';
import type { CostBudget, CostBudgetState, CostConversation, CostReprice } from '../../shared/agent/cost';
import { PRICE_TABLE, priceFor, type PriceEntry, type PriceTable } from '../../shared/cost/prices';
import {
  addDays,
  addUsage,
  almatyDay,
  daysBetween,
  dec,
  emptyUsage,
  mergeBy,
  mergeReplies,
  mixSketches,
  monthOf,
  monthStart,
  rateOn,
  str,
  TARGET_KZT,
  type HostCostPart,
  type Rate,
  type Sketch,
  type UsageSum,
} from '../../shared/cost/view';
import { atomicWrite } from '../alerts/files';
import type { BudgetObservation } from '../alerts/observations';
import type { DockerApi } from '../docker';
import { RequestError } from '../server';
import { parseEnv, serviceIp, TENANT_SLUG } from '../tenantenv';
import * as SQL from './sql';

export interface CostEngineDeps {
  docker: DockerApi;
  /** The host's root as the agent sees it, and the state folder on the host (tenants/<slug>/.env). */
  rootfs: string;
  stateDir: string;
  /** The agent's own folder (cost/prices.json, cost/rates.json). */
  dir: string;
  tenants(): Promise<string[]>;
  log(line: string): void;
  now?: () => number;
}

/** A day is settled (rolled up) once it ended this long ago: a transaction open at midnight has committed by then. */
const SETTLE_AFTER_MS = 10 * 60_000;

interface Pool {
  pool: pg.Pool;
  key: string;
  ensured: boolean;
}

type Row = Record<string, unknown>;

const KNOWLEDGE_STAGES = new Set(['ingest', 'test_search', 'reindex_probe']);

export class CostEngine {
  private readonly pools = new Map<string, Pool>();
  private table: PriceTable | null = null;
  private rates: Rate[] | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: CostEngineDeps) {
    this.now = deps.now ?? Date.now;
  }

  // ---------- files: the price table and the rates ----------

  private get pricesPath(): string {
    return join(this.deps.dir, 'cost', 'prices.json');
  }
  private get ratesPath(): string {
    return join(this.deps.dir, 'cost', 'rates.json');
  }

  async prices(): Promise<PriceTable> {
    if (this.table) return this.table;
    try {
      const t = JSON.parse(await readFile(this.pricesPath, 'utf8')) as PriceTable;
      if (typeof t.version === 'string' && Array.isArray(t.entries)) this.table = t;
    } catch {
      // none yet: the table this agent was built with
    }
    this.table ??= PRICE_TABLE;
    return this.table;
  }

  async setPrices(entries: PriceEntry[], by: string): Promise<PriceTable> {
    const t = await this.prices();
    const same = (a: PriceEntry, b: PriceEntry): boolean =>
      a.provider === b.provider &&
      a.model === b.model &&
      a.from === b.from &&
      (a.tenant ?? '') === (b.tenant ?? '');
    const kept = t.entries.filter((e) => !entries.some((n) => same(e, n)));
    const next: PriceTable = { version: this.nextVersion(t), entries: [...kept, ...entries] };
    await atomicWrite(this.pricesPath, JSON.stringify(next, null, 1));
    this.table = next;
    this.deps.log(`cost: price table ${next.version} set by ${by} (${entries.length} entries)`);
    return next;
  }

  async rateList(): Promise<Rate[]> {
    if (this.rates) return this.rates;
    try {
      const r = JSON.parse(await readFile(this.ratesPath, 'utf8')) as Rate[];
      this.rates = Array.isArray(r) ? r : [];
    } catch {
      this.rates = [];
    }
    return this.rates;
  }

  async importRates(rates: Rate[], by: string): Promise<{ count: number; added: number; replaced: number }> {
    const byDay = new Map((await this.rateList()).map((r) => [r.date, r]));
    let added = 0;
    let replaced = 0;
    for (const r of rates) {
      if (byDay.has(r.date)) replaced += 1;
      else added += 1;
      byDay.set(r.date, { date: r.date, kztPerUsd: r.kztPerUsd });
    }
    const next = [...byDay.values()].sort((a, b) => a.date.localeCompare(b.date));
    await atomicWrite(this.ratesPath, JSON.stringify(next));
    this.rates = next;
    this.deps.log(`cost: ${rates.length} rates imported by ${by} (${added} added, ${replaced} replaced)`);
    return { count: next.length, added, replaced };
  }

  // ---------- tenants' databases ----------

  /** A tenant's pool, for another reader of its database on this host (the inbox's counts). */
  tenantPool(slug: string): Promise<pg.Pool> {
    return this.db(slug);
  }

  private async db(slug: string): Promise<pg.Pool> {
    if (!TENANT_SLUG.test(slug)) throw new RequestError('bad-request', `'${slug}' is not a tenant slug.`);
    const known = await this.deps.tenants();
    if (!known.includes(slug)) throw new RequestError('not-found', `No tenant '${slug}' on this host.`);
    let text: string;
    try {
      text = await readFile(join(this.deps.rootfs, this.deps.stateDir, 'tenants', slug, '.env'), 'utf8');
    } catch {
      throw new RequestError('not-found', `Tenant '${slug}' has no .env on this host.`);
    }
    const env = parseEnv(text);
    const ip = await serviceIp(this.deps.docker, slug, 'postgres');
    if (!ip) throw new RequestError('busy', `The PostgreSQL of '${slug}' is not running.`);
    const key = `${ip}|${env['POSTGRES_USER']}|${env['POSTGRES_PASSWORD']}|${env['POSTGRES_DB']}`;
    const had = this.pools.get(slug);
    if (had && had.key === key) {
      if (!had.ensured) await this.ensure(had);
      return had.pool;
    }
    if (had) void had.pool.end().catch(() => undefined);
    const pool = new pg.Pool({
      host: ip,
      port: 5432,
      user: env['POSTGRES_USER'],
      password: env['POSTGRES_PASSWORD'],
      database: env['POSTGRES_DB'],
      max: 4,
      // Kept past the minute between checks: a connection opened and closed every minute makes the
      // tenant's PostgreSQL start a backend each time (and its memory jump and fall).
      idleTimeoutMillis: 10 * 60_000,
      connectionTimeoutMillis: 5_000,
      statement_timeout: 60_000,
      application_name: 'truffles-agent-cost',
    });
    // A connection that dies (the tenant's PostgreSQL killed or restarted) errors its query; while
    // idle the pool hears it, while checked out only the client does: with no listener Node would
    // end the whole agent for it. The query that was running still rejects and is answered.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const entry: Pool = { pool, key, ensured: false };
    this.pools.set(slug, entry);
    await this.ensure(entry);
    return pool;
  }

  private async ensure(p: Pool): Promise<void> {
    await p.pool.query(SQL.ENSURE);
    p.ensured = true;
  }

  close(): void {
    for (const p of this.pools.values()) void p.pool.end().catch(() => undefined);
    this.pools.clear();
  }

  /** The last day that may be settled now: yesterday, once today is ten minutes old. */
  private settleTarget(): string {
    return almatyDay(this.now() - SETTLE_AFTER_MS);
  }

  /**
   * Roll up the days that ended and are not yet (under a lock: two views at once settle once).
   * Returns the first day not settled.
   */
  async settle(slug: string, client?: pg.PoolClient): Promise<string> {
    const target = this.settleTarget();
    const c = client ?? (await (await this.db(slug)).connect());
    try {
      const STATE =
        'SELECT settled_until::text AS d, max_id::text AS m FROM truffles_cost.state WHERE id = 1';
      const newest = async (): Promise<string> =>
        (await c.query<{ m: string }>('SELECT COALESCE(max(id), 0)::text AS m FROM billing_events')).rows[0]!
          .m;
      const cur = (await c.query<{ d: string; m: string }>(STATE)).rows[0];
      // Settled, and no row came since the last look: nothing to do (one index probe).
      if (cur && cur.d >= target && (await newest()) === cur.m) return cur.d;
      await c.query('BEGIN');
      try {
        await c.query("SELECT pg_advisory_xact_lock(hashtext('truffles_cost.settle'))");
        const st = (await c.query<{ d: string; m: string }>(STATE)).rows[0];
        const max = await newest();
        if (st) {
          // Rows that arrived for days already settled (an import, a late commit): those days again.
          const late = (await c.query<{ day: string }>(SQL.LATE_DAYS, [st.m, st.d])).rows.map((r) => r.day);
          for (const day of late) for (const q of SQL.REBUILD) await c.query(q, [day, addDays(day, 1)]);
        }
        let from = st?.d ?? null;
        from ??= (await c.query<{ day: string | null }>(SQL.FIRST_DAY)).rows[0]?.day ?? target;
        if (from < target) for (const q of SQL.REBUILD) await c.query(q, [from, target]);
        const until = from > target ? from : target;
        await c.query(
          `INSERT INTO truffles_cost.state (id, settled_until, max_id) VALUES (1, $1::date, $2::bigint)
           ON CONFLICT (id) DO UPDATE SET settled_until = EXCLUDED.settled_until, max_id = EXCLUDED.max_id, updated_at = now()`,
          [until, max],
        );
        await c.query('COMMIT');
        return until;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      if (!client) c.release();
    }
  }

  // ---------- views ----------

  private async settings(c: pg.Pool | pg.PoolClient): Promise<Record<string, unknown>> {
    const r = await c.query<{ key: string; value: unknown }>(
      "SELECT key, value FROM settings WHERE key IN ('model_router', 'budget', 'budget_state')",
    );
    return Object.fromEntries(r.rows.map((x) => [x.key, x.value]));
  }

  /** The price entries that apply to a tenant: its own, then the host's. */
  private async tableFor(slug: string): Promise<PriceTable> {
    const t = await this.prices();
    return { version: t.version, entries: t.entries.filter((e) => !e.tenant || e.tenant === slug) };
  }

  private rateFor(rates: readonly Rate[], day: string): Rate | null {
    return rateOn(rates, day);
  }

  private kzt(usd: string, rate: Rate | null): string | null {
    if (dec(usd).isZero()) return '0';
    return rate ? str(dec(usd).mul(rate.kztPerUsd)) : null;
  }

  private usage(r: Row, rate: Rate | null): UsageSum {
    const usd = String(r['usd'] ?? '0');
    return {
      calls: Number(r['calls']),
      inputTokens: Number(r['input_tokens']),
      outputTokens: Number(r['output_tokens']),
      usd,
      kzt: this.kzt(usd, rate),
      unpricedCalls: Number(r['unpriced']),
    };
  }

  /** One tenant's part over [from, to] (its days from seven before `from`). */
  private async tenantPart(
    slug: string,
    from: string,
    to: string,
  ): Promise<HostCostPart & { tenantCount: number }> {
    const pool = await this.db(slug);
    const c = await pool.connect();
    try {
      const settled = await this.settle(slug, c);
      const rates = await this.rateList();
      const lookFrom = addDays(from, -7);
      const today = almatyDay(this.now());
      const table = await this.tableFor(slug);
      // Every day's rate, for the conversations' tenge (a day with no rate leaves its own unknown).
      const rateRows = daysBetween(from, to < today ? to : today)
        .map((day) => ({ day, rate: this.rateFor(rates, day)?.kztPerUsd ?? null }))
        .filter((x) => x.rate !== null);
      // The four reads at once, each on its own connection of the tenant's pool.
      const [s, usage, convRows, replyRows] = await Promise.all([
        this.settings(c),
        pool.query<Row>(SQL.USAGE, [lookFrom, to, settled]).then((r) => r.rows),
        pool
          .query<Row>(SQL.CONVERSATIONS, [from, to, settled, JSON.stringify(rateRows), TARGET_KZT])
          .then((r) => r.rows),
        pool.query<Row>(SQL.REPLIES, [from, to, settled]).then((r) => r.rows),
      ]);
      const router = (s['model_router'] ?? {}) as Record<string, unknown>;

      const days = new Map<string, HostCostPart['days'][number]>();
      const models = new Map<string, HostCostPart['models'][number]>();
      const stages = new Map<string, HostCostPart['stages'][number]>();
      let total = emptyUsage();
      let allComplex = dec(0);
      let actual = dec(0);
      const complex = typeof router['complex'] === 'string' ? router['complex'] : null;
      const faq = typeof router['faq'] === 'string' ? router['faq'] : null;
      const complexPrice = complex ? priceFor(complex, new Date(this.now()), table) : null;
      for (const r of usage) {
        const day = String(r['day']);
        const rate = this.rateFor(rates, day);
        const u = this.usage(r, rate);
        const d = days.get(day);
        days.set(day, {
          ...(d ? addUsage(d, u) : u),
          day,
          live: day >= settled,
          rate: rate ? { kztPerUsd: rate.kztPerUsd, date: rate.date } : null,
        });
        if (day < from) continue;
        total = addUsage(total, u);
        const model = String(r['model']);
        const mk = `${String(r['provider'])}/${model}`;
        const m = models.get(mk);
        models.set(mk, { ...(m ? addUsage(m, u) : u), provider: String(r['provider']), model });
        const raw = String(r['stage']);
        const stage =
          raw === 'classifier'
            ? 'classifier'
            : raw === 'answer'
              ? model === complex
                ? 'complex'
                : model === faq
                  ? 'faq'
                  : 'answer'
              : raw === 'question_embedding'
                ? 'embedding'
                : KNOWLEDGE_STAGES.has(raw)
                  ? 'knowledge'
                  : r['event_type'] === 'embedding'
                    ? 'embedding'
                    : 'other';
        const st = stages.get(stage);
        stages.set(stage, { ...(st ? addUsage(st, u) : u), stage });
        if (raw === 'answer' || raw === 'classifier') actual = actual.plus(u.usd);
        if (raw === 'answer' && complexPrice) {
          allComplex = allComplex.plus(
            dec(u.inputTokens)
              .mul(complexPrice.usd.input)
              .plus(dec(u.outputTokens).mul(complexPrice.usd.output ?? '0'))
              .div(1_000_000),
          );
        }
      }

      const inRange = [...days.keys()].filter((d) => d >= from && d <= to && d <= today);
      const conv = convRows[0]!;
      const n = Number(conv['n']);
      const sketch: Sketch = {
        count: n,
        usd: n > 0 ? (conv['usd_q'] as string[]) : [],
        kzt: n > 0 ? ((conv['kzt_q'] as string[] | null) ?? null) : [],
      };
      const top = (conv['top'] as Row[]).map((t) => ({
        tenant: slug,
        conversationId: String(t['id']),
        calls: Number(t['calls']),
        usd: String(t['usd']),
        kzt: t['kzt'] === null ? null : String(t['kzt']),
        firstAt: new Date(String(t['first_at'])).toISOString(),
        lastAt: new Date(String(t['last_at'])).toISOString(),
      }));

      const replies = new Map<string, number>();
      for (const r of replyRows) {
        const model = String(r['model']);
        const tier = !model ? 'no-llm' : model === complex ? 'complex' : 'faq';
        replies.set(tier, (replies.get(tier) ?? 0) + Number(r['replies']));
      }

      // The month's spend against the budget: measured only for a tenant that has one.
      const budget = parseBudget(s['budget'])
        ? await this.budgetOf(slug, c, s, rates)
        : { budget: null, usd: '0', kzt: '0', pct: null };
      const missing = inRange.filter((d) => days.get(d)?.kzt === null);
      const latest = rates[rates.length - 1] ?? null;
      return {
        host: '',
        tenantCount: 1,
        priceVersion: table.version,
        rates: { missing, latest },
        days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
        models: [...models.values()],
        stages: [...stages.values()],
        tenants: [
          {
            tenant: slug,
            ...total,
            conversations: n,
            budget: budget.budget
              ? {
                  amount: budget.budget.amount,
                  currency: budget.budget.currency,
                  spent: budget.budget.currency === 'USD' ? budget.usd : budget.kzt,
                  pct: budget.pct,
                }
              : null,
          },
        ],
        conversations: { sketch, overTarget: conv['over'] === null ? null : Number(conv['over']), top },
        router: {
          replies: [...replies.entries()].map(([tier, count]) => ({ tier, count })),
          savingUsd: str(complexPrice ? Decimal.max(allComplex.minus(actual), 0) : dec(0)),
          allComplexUsd: str(allComplex),
        },
        errors: [],
      };
    } finally {
      c.release();
    }
  }

  /** The host's part: one tenant's, or every tenant's (eight at a time: the work is in their databases) merged; a tenant that fails is listed. */
  async view(from: string, to: string, tenant?: string): Promise<HostCostPart> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to) || from > to)
      throw new RequestError('bad-request', 'from and to must be days (YYYY-MM-DD), from not after to.');
    const slugs = tenant ? [tenant] : await this.deps.tenants();
    const parts: HostCostPart[] = [];
    const errors: HostCostPart['errors'] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < slugs.length) {
        const slug = slugs[next++]!;
        try {
          parts.push(await this.tenantPart(slug, from, to));
        } catch (err) {
          if (tenant) throw err;
          errors.push({ tenant: slug, message: (err as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, slugs.length) }, worker));
    return mergeTenants(parts, errors, (await this.prices()).version, await this.rateList());
  }

  async conversation(slug: string, id: string): Promise<CostConversation> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new RequestError('bad-request', 'conversationId must be a UUID.');
    const pool = await this.db(slug);
    const conv = await pool.query<Row>('SELECT channel, status FROM conversations WHERE id = $1', [id]);
    const msgs = await pool.query<Row>(
      `SELECT m.id::text, m.created_at, m.direction, m.sender_type, left(m.content, 2000) AS content,
              m.metadata->>'intent' AS intent, m.metadata->>'model' AS model
       FROM messages m WHERE m.conversation_id = $1 ORDER BY m.created_at, m.id LIMIT 500`,
      [id],
    );
    const calls = await pool.query<Row>(
      `SELECT metadata->>'message_id' AS message_id, COALESCE(metadata->>'stage', '') AS stage, model_name,
              input_tokens, output_tokens, cost_usd::text AS cost, created_at
       FROM billing_events WHERE conversation_id = $1 ORDER BY created_at, id`,
      [id],
    );
    if (!conv.rows[0] && calls.rows.length === 0)
      throw new RequestError('not-found', `No conversation ${id} in '${slug}'.`);
    const rates = await this.rateList();
    let usd = dec(0);
    let kzt: Decimal | null = dec(0);
    for (const c of calls.rows) {
      const v = c['cost'] === null ? '0' : String(c['cost']);
      usd = usd.plus(v);
      const k = this.kzt(v, this.rateFor(rates, almatyDay(new Date(String(c['created_at'])))));
      kzt = kzt === null || k === null ? null : kzt.plus(k);
    }
    return {
      tenant: slug,
      conversationId: id,
      channel: (conv.rows[0]?.['channel'] as string | undefined) ?? null,
      status: (conv.rows[0]?.['status'] as string | undefined) ?? null,
      usd: str(usd),
      kzt: kzt === null ? null : str(kzt),
      messages: msgs.rows.map((m) => ({
        id: String(m['id']),
        at: new Date(String(m['created_at'])).toISOString(),
        direction: m['direction'] === 'outbound' ? 'outbound' : 'inbound',
        sender: String(m['sender_type']),
        text: (m['content'] as string | null) ?? null,
        intent: (m['intent'] as string | null) ?? null,
        model: (m['model'] as string | null) ?? null,
        calls: calls.rows
          .filter((c) => c['message_id'] === m['id'])
          .map((c) => ({
            stage: String(c['stage']),
            model: String(c['model_name']),
            inputTokens: Number(c['input_tokens']),
            outputTokens: Number(c['output_tokens']),
            costUsd: (c['cost'] as string | null) ?? null,
          })),
      })),
    };
  }

  // ---------- re-pricing ----------

  private async entriesJson(slug: string): Promise<{ json: string; version: string }> {
    const t = await this.tableFor(slug);
    return {
      version: t.version,
      json: JSON.stringify(
        t.entries.map((e) => ({
          model: e.model,
          pin: e.usd.input,
          pout: e.usd.output ?? '0',
          f: `${e.from}T00:00:00Z`,
          t: e.to ? `${e.to}T00:00:00Z` : null,
          own: !!e.tenant,
          version: t.version,
        })),
      ),
    };
  }

  async reprice(slug: string, from: string, to: string, apply: boolean, by: string): Promise<CostReprice> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to) || from > to)
      throw new RequestError('bad-request', 'from and to must be days (YYYY-MM-DD), from not after to.');
    const pool = await this.db(slug);
    const { json, version } = await this.entriesJson(slug);
    const start = new Date(Date.parse(`${from}T00:00:00+05:00`)).toISOString();
    const end = new Date(Date.parse(`${addDays(to, 1)}T00:00:00+05:00`)).toISOString();
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      try {
        const s = (await c.query<Row>(SQL.REPRICE_SUMMARY, [start, end, json])).rows[0]!;
        const out: CostReprice = {
          tenant: slug,
          from,
          to,
          priceVersion: version,
          applied: false,
          rows: Number(s['rows']),
          changed: Number(s['changed']),
          oldUsd: String(s['old_usd']),
          newUsd: String(s['new_usd']),
          unpricedBefore: Number(s['unpriced_before']),
          unpricedAfter: Number(s['unpriced_after']),
          byModel: s['by_model'] as CostReprice['byModel'],
        };
        if (apply && out.changed > 0) {
          await c.query("SELECT pg_advisory_xact_lock(hashtext('truffles_cost.settle'))");
          const upd = await c.query(SQL.REPRICE_APPLY, [start, end, json, version]);
          out.changed = upd.rowCount ?? out.changed;
          // The settled days of the period are summed again from the re-priced rows.
          const st = await c.query<{ d: string }>(
            'SELECT settled_until::text AS d FROM truffles_cost.state WHERE id = 1',
          );
          const settled = st.rows[0]?.d ?? null;
          if (settled !== null && from < settled) {
            const until = addDays(to, 1) < settled ? addDays(to, 1) : settled;
            for (const q of SQL.REBUILD) await c.query(q, [from, until]);
          }
          await c.query(
            `INSERT INTO audit_logs (actor_type, actor_id, action, resource_type, resource_id, old_value, new_value)
             VALUES ('user', $1, 'cost.reprice', 'billing_events', $2, $3, $4)`,
            [
              by.slice(0, 255),
              `${from}..${to}`,
              JSON.stringify({ usd: out.oldUsd, unpriced: out.unpricedBefore }),
              JSON.stringify({
                usd: out.newUsd,
                unpriced: out.unpricedAfter,
                changed: out.changed,
                priceVersion: version,
                byModel: out.byModel,
              }),
            ],
          );
          out.applied = true;
        }
        await c.query(apply ? 'COMMIT' : 'ROLLBACK');
        if (out.applied)
          this.deps.log(`cost: ${slug} ${from}..${to} re-priced by ${by}: ${out.changed} rows`);
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      c.release();
    }
  }

  // ---------- budgets ----------

  private async monthSpend(
    c: pg.Pool | pg.PoolClient,
    settled: string,
    rates: readonly Rate[],
  ): Promise<{ usd: string; kzt: string | null }> {
    const today = almatyDay(this.now());
    const r = await c.query<{ day: string; usd: string }>(
      `SELECT day, sum(usd::numeric)::text AS usd FROM (${SQL.USAGE}) u GROUP BY day`,
      [monthStart(today), today, settled],
    );
    let usd = dec(0);
    let kzt: Decimal | null = dec(0);
    for (const x of r.rows) {
      usd = usd.plus(x.usd);
      const k = this.kzt(x.usd, this.rateFor(rates, x.day));
      kzt = kzt === null || k === null ? null : kzt.plus(k);
    }
    return { usd: str(usd), kzt: kzt === null ? null : str(kzt) };
  }

  private async budgetOf(
    slug: string,
    c: pg.Pool | pg.PoolClient,
    s: Record<string, unknown>,
    rates: readonly Rate[],
  ): Promise<CostBudgetState> {
    const month = monthOf(almatyDay(this.now()));
    const budget = parseBudget(s['budget']);
    const state = (s['budget_state'] ?? null) as {
      month?: string;
      at?: string;
      previous?: Record<string, string>;
    } | null;
    const st = await c.query<{ d: string }>(
      'SELECT settled_until::text AS d FROM truffles_cost.state WHERE id = 1',
    );
    const spent = await this.monthSpend(c, st.rows[0]?.d ?? '0001-01-01', rates);
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

  async budget(slug: string): Promise<CostBudgetState> {
    const pool = await this.db(slug);
    await this.settle(slug);
    return this.budgetOf(slug, pool, await this.settings(pool), await this.rateList());
  }

  async setBudget(slug: string, budget: CostBudget | null, by: string): Promise<CostBudget | null> {
    if (budget !== null && !parseBudget(budget))
      throw new RequestError(
        'bad-request',
        'budget must be {amount, currency USD|KZT, action notify|cheapest}.',
      );
    const pool = await this.db(slug);
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
      return budget;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /**
   * The agent's minute: every tenant's router prices kept to the table in force, yesterday settled,
   * each budget's month measured (the alert rules get the observations), and the actions taken:
   * at 100 % with "cheapest", the router's models switched to its cheapest one (once a month);
   * in a new month, a switch of the last one undone. Null when no tenant could be read.
   */
  async tick(): Promise<BudgetObservation[] | null> {
    const out: BudgetObservation[] = [];
    let read = 0;
    const slugs = await this.deps.tenants();
    // Pools of tenants gone from the host end.
    for (const [slug, p] of this.pools)
      if (!slugs.includes(slug)) {
        this.pools.delete(slug);
        void p.pool.end().catch(() => undefined);
      }
    await this.pruneOverrides().catch((err: unknown) =>
      this.deps.log(`cost: prices: ${(err as Error).message}`),
    );
    for (const slug of slugs) {
      try {
        const pool = await this.db(slug);
        await this.syncRouterPrices(slug, pool);
        await this.settle(slug);
        const rates = await this.rateList();
        const s = await this.settings(pool);
        const b = await this.budgetOf(slug, pool, s, rates);
        read += 1;
        await this.restoreIfNewMonth(slug, pool, s, b.month);
        if (!b.budget) continue;
        const spent = b.budget.currency === 'USD' ? b.usd : b.kzt;
        if (spent === null) continue;
        out.push({
          tenant: slug,
          spent: Number(spent),
          budget: Number(b.budget.amount),
          currency: b.budget.currency === 'USD' ? '$' : '₸',
          period: b.month,
        });
        if (b.budget.action === 'cheapest' && b.pct !== null && b.pct >= 100 && !b.downgraded)
          await this.downgrade(slug, pool, b.month);
      } catch (err) {
        this.deps.log(`cost: ${slug}: ${(err as Error).message}`);
      }
    }
    return read === 0 && slugs.length > 0 ? null : out;
  }

  /** The table's next version: today's date and a counter. */
  private nextVersion(t: PriceTable): string {
    const day = new Date(this.now()).toISOString().slice(0, 10);
    return `${day}.${t.version.startsWith(day) ? Number(t.version.split('.')[1] ?? 0) + 1 : 1}`;
  }

  /** A deleted tenant's own price entries leave the host's table (a new version of it). */
  private async pruneOverrides(): Promise<void> {
    const t = await this.prices();
    const gone = new Set<string>();
    for (const e of t.entries)
      if (e.tenant && !existsSync(join(this.deps.rootfs, this.deps.stateDir, 'tenants', e.tenant)))
        gone.add(e.tenant);
    if (gone.size === 0) return;
    const next: PriceTable = {
      version: this.nextVersion(t),
      entries: t.entries.filter((e) => !e.tenant || !gone.has(e.tenant)),
    };
    await atomicWrite(this.pricesPath, JSON.stringify(next, null, 1));
    this.table = next;
    this.deps.log(
      `cost: price table ${next.version}: the entries of ${[...gone].join(', ')} (no longer on this host) removed`,
    );
  }

  private async syncRouterPrices(slug: string, pool: pg.Pool): Promise<void> {
    const table = await this.tableFor(slug);
    const day = new Date(this.now()).toISOString().slice(0, 10);
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
  private async downgrade(slug: string, pool: pg.Pool, month: string): Promise<void> {
    const table = await this.tableFor(slug);
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
        const p = priceFor(m, new Date(this.now()), table);
        if (!p) continue;
        const price = dec(p.usd.input).plus(p.usd.output ?? '0');
        if (!cheapest || price.lt(cheapest.price)) cheapest = { model: m, price };
      }
      if (!cheapest) {
        await c.query('ROLLBACK');
        return;
      }
      const next = { ...router, classifier: cheapest.model, faq: cheapest.model, complex: cheapest.model };
      await c.query("UPDATE settings SET value = $1::jsonb WHERE key = 'model_router'", [
        JSON.stringify(next),
      ]);
      const at = new Date(this.now()).toISOString();
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
      this.deps.log(`cost: ${slug} reached its budget for ${month}: router switched to ${cheapest.model}`);
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** A new month: a switch to the cheapest models made in an earlier one is undone (if nobody changed the router since). */
  private async restoreIfNewMonth(
    slug: string,
    pool: pg.Pool,
    s: Record<string, unknown>,
    month: string,
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
    this.deps.log(
      `cost: ${slug}: a new month (${month}): ${untouched ? 'router restored' : 'router left as changed'}`,
    );
  }
}

function parseBudget(v: unknown): CostBudget | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o['amount'] !== 'string' || !/^\d{1,12}(\.\d{1,2})?$/.test(o['amount'])) return null;
  if (o['currency'] !== 'USD' && o['currency'] !== 'KZT') return null;
  const action = o['action'] === 'cheapest' ? 'cheapest' : 'notify';
  return { amount: o['amount'], currency: o['currency'], action };
}

/** Tenants' parts as the host's: days, models and stages summed, tenants listed, sketches kept apart. */
function mergeTenants(
  parts: readonly HostCostPart[],
  errors: HostCostPart['errors'],
  version: string,
  rates: readonly Rate[],
): HostCostPart {
  const days = new Map<string, HostCostPart['days'][number]>();
  for (const p of parts)
    for (const d of p.days) {
      const had = days.get(d.day);
      days.set(d.day, had ? { ...had, ...addUsage(had, d), live: had.live || d.live } : { ...d });
    }
  const sketches = parts.map((p) => p.conversations.sketch).filter((s) => s.count > 0);
  const over = parts.map((p) => p.conversations.overTarget);
  return {
    host: '',
    priceVersion: version,
    rates: {
      missing: [...new Set(parts.flatMap((p) => p.rates.missing))].sort(),
      latest: rates[rates.length - 1] ?? null,
    },
    days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
    models: [
      ...mergeBy(
        parts.flatMap((p) => p.models),
        (m) => `${m.provider}/${m.model}`,
      ).values(),
    ],
    stages: [
      ...mergeBy(
        parts.flatMap((p) => p.stages),
        (s) => s.stage,
      ).values(),
    ],
    tenants: parts.flatMap((p) => p.tenants),
    conversations: {
      sketch: mixSketches(sketches),
      overTarget: over.some((o) => o === null) ? null : over.reduce<number>((s, o) => s + (o ?? 0), 0),
      top: parts
        .flatMap((p) => p.conversations.top)
        .sort((a, b) => dec(b.usd).comparedTo(a.usd))
        .slice(0, 10),
    },
    router: {
      replies: mergeReplies(parts),
      savingUsd: str(parts.reduce((s, p) => s.plus(p.router.savingUsd), dec(0))),
      allComplexUsd: str(parts.reduce((s, p) => s.plus(p.router.allComplexUsd), dec(0))),
    },
    errors,
  };
}
