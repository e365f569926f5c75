/**
 * AI cost on the host (issue 16): the agent reads each tenant's `billing_events` in its own
 * database (the tenant's `.env` login, its PostgreSQL's internal address), keeps daily rollups
 * there (schema truffles_cost, settled days only), and answers the console's views; it holds the
 * host's price table and USD→KZT rates (files in its folder), keeps each tenant's router prices
 * to the table in force, re-prices a period on request, and checks the tenants' monthly budgets
 * with no console open (the alert rules `budget-soft` and `budget`, and the optional switch of
 * the router to its cheapest models, audited in the tenant's audit_logs). The files: book.ts,
 * budgets.ts, views.ts, merge.ts and sql.ts; this one holds the pools, the settling of days, the
 * host's view, conversations, re-pricing and the minute's tick.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Decimal from 'decimal.js';
import pg from 'pg';
import type { CostBudget, CostBudgetState, CostConversation, CostReprice } from '../../shared/agent/cost';
import type { PriceEntry, PriceTable } from '../../shared/cost/prices';
import { addDays, almatyDay, dec, rateOn, str, type HostCostPart, type Rate } from '../../shared/cost/view';
import type { BudgetObservation } from '../alerts/observations';
import type { DockerApi } from '../docker';
import { RequestError } from '../server';
import { parseEnv, serviceIp, TENANT_SLUG } from '../tenantenv';
import { PriceBook } from './book';
import {
  budgetOf,
  downgrade,
  kztOf,
  parseBudget,
  readSettings,
  restoreIfNewMonth,
  syncRouterPrices,
  writeBudget,
} from './budgets';
import { mergeTenants } from './merge';
import { tenantPart } from './views';
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

export class CostEngine {
  private readonly pools = new Map<string, Pool>();
  private readonly now: () => number;
  /** The host's price table and rates (files in the agent's folder). */
  private readonly book: PriceBook;

  constructor(private readonly deps: CostEngineDeps) {
    this.now = deps.now ?? Date.now;
    this.book = new PriceBook(deps.dir, this.now, deps.log);
  }

  // ---------- the price table and the rates ----------

  prices(): Promise<PriceTable> {
    return this.book.prices();
  }
  setPrices(entries: PriceEntry[], by: string): Promise<PriceTable> {
    return this.book.setPrices(entries, by);
  }
  rateList(): Promise<Rate[]> {
    return this.book.rateList();
  }
  importRates(rates: Rate[], by: string): Promise<{ count: number; added: number; replaced: number }> {
    return this.book.importRates(rates, by);
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

  private tableFor(slug: string): Promise<PriceTable> {
    return this.book.tableFor(slug);
  }

  /** One tenant's part over [from, to] (views.ts), on one connection of its pool, its days settled first. */
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
      const table = await this.tableFor(slug);
      return await tenantPart({ slug, from, to, pool, c, settled, rates, table, now: this.now() });
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
      const k = kztOf(v, rateOn(rates, almatyDay(new Date(String(c['created_at'])))));
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

  async budget(slug: string): Promise<CostBudgetState> {
    const pool = await this.db(slug);
    await this.settle(slug);
    return budgetOf(slug, pool, await readSettings(pool), await this.rateList(), this.now());
  }

  async setBudget(slug: string, budget: CostBudget | null, by: string): Promise<CostBudget | null> {
    if (budget !== null && !parseBudget(budget))
      throw new RequestError(
        'bad-request',
        'budget must be {amount, currency USD|KZT, action notify|cheapest}.',
      );
    await writeBudget(await this.db(slug), budget, by);
    return budget;
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
    const gone = (tenant: string): boolean =>
      !existsSync(join(this.deps.rootfs, this.deps.stateDir, 'tenants', tenant));
    await this.book
      .pruneOverrides(gone)
      .catch((err: unknown) => this.deps.log(`cost: prices: ${(err as Error).message}`));
    for (const slug of slugs) {
      try {
        const pool = await this.db(slug);
        await syncRouterPrices(pool, await this.tableFor(slug), this.now());
        await this.settle(slug);
        const rates = await this.rateList();
        const s = await readSettings(pool);
        const b = await budgetOf(slug, pool, s, rates, this.now());
        read += 1;
        await restoreIfNewMonth(slug, pool, s, b.month, this.deps.log);
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
          await downgrade(slug, pool, b.month, await this.tableFor(slug), this.now(), this.deps.log);
      } catch (err) {
        this.deps.log(`cost: ${slug}: ${(err as Error).message}`);
      }
    }
    return read === 0 && slugs.length > 0 ? null : out;
  }
}
