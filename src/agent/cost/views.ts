/**
 * One tenant's cost over a period, read from its database (the rollups of settled days, the rest
 * live): days, models, stages, conversations (a quantile sketch and the most expensive), the
 * router's replies and what it saved, and the month's spend against the budget.
 */
import Decimal from 'decimal.js';
import type pg from 'pg';
import { priceFor, type PriceTable } from '../../shared/cost/prices';
import {
  addDays,
  addUsage,
  almatyDay,
  daysBetween,
  dec,
  emptyUsage,
  rateOn,
  str,
  TARGET_KZT,
  type HostCostPart,
  type Rate,
  type Sketch,
  type UsageSum,
} from '../../shared/cost/view';
import { budgetOf, kztOf, parseBudget, readSettings } from './budgets';
import * as SQL from './sql';

type Row = Record<string, unknown>;

const KNOWLEDGE_STAGES = new Set(['ingest', 'test_search', 'reindex_probe']);

export interface TenantPartInput {
  slug: string;
  from: string;
  to: string;
  /** The tenant's pool (the four reads run at once on it) and one connection of it. */
  pool: pg.Pool;
  c: pg.PoolClient;
  /** The first day not settled (rolled up). */
  settled: string;
  rates: readonly Rate[];
  table: PriceTable;
  now: number;
}

/** One tenant's part over [from, to] (its days from seven before `from`). */
export async function tenantPart(i: TenantPartInput): Promise<HostCostPart & { tenantCount: number }> {
  const { slug, from, to, pool, c, settled, rates, table, now } = i;
  const lookFrom = addDays(from, -7);
  const today = almatyDay(now);
  // Every day's rate, for the conversations' tenge (a day with no rate leaves its own unknown).
  const rateRows = daysBetween(from, to < today ? to : today)
    .map((day) => ({ day, rate: rateOn(rates, day)?.kztPerUsd ?? null }))
    .filter((x) => x.rate !== null);
  // The four reads at once, each on its own connection of the tenant's pool.
  const [s, usage, convRows, replyRows] = await Promise.all([
    readSettings(c),
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
  const complexPrice = complex ? priceFor(complex, new Date(now), table) : null;
  for (const r of usage) {
    const day = String(r['day']);
    const rate = rateOn(rates, day);
    const u = usageOf(r, rate);
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
    ? await budgetOf(slug, c, s, rates, now)
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
}

function usageOf(r: Row, rate: Rate | null): UsageSum {
  const usd = String(r['usd'] ?? '0');
  return {
    calls: Number(r['calls']),
    inputTokens: Number(r['input_tokens']),
    outputTokens: Number(r['output_tokens']),
    usd,
    kzt: kztOf(usd, rate),
    unpricedCalls: Number(r['unpriced']),
  };
}
