/**
 * AI cost views (issue 16), the pure part shared by the host's agent and the console: Almaty
 * calendar days, the USD→KZT rate of a day, a host's part of a view (what its agent answers) and
 * the merge of the hosts' parts into the contract's CostView, with the 7-day-median anomalies and
 * the month-end projection. Money is decimal text summed with decimal.js, never floats.
 */
import Decimal from 'decimal.js';
import type { CostView } from '../contract/cost';

/** Asia/Almaty is UTC+5 all year since 2024-03-01 (PostgreSQL's tzdata names the same zone). */
export const COST_ZONE = 'Asia/Almaty';
const DAY_MS = 86_400_000;

const dayFmt = new Intl.DateTimeFormat('en-CA', {
  timeZone: COST_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The Almaty calendar day of an instant, YYYY-MM-DD. */
export function almatyDay(at: Date | number): string {
  return dayFmt.format(typeof at === 'number' ? new Date(at) : at);
}

/** Midnight (Almaty) opening a day, as an instant. Almaty has no DST: UTC+5. */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00+05:00`);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to && out.length < 4000; d = addDays(d, 1)) out.push(d);
  return out;
}

export function monthOf(day: string): string {
  return day.slice(0, 7);
}

export function monthStart(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

export function monthEnd(day: string): string {
  const [y, m] = day.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return addDays(next, -1);
}

/** A sorted list of rates: the rate of a day is the newest one on or before it (a weekend keeps Friday's). */
export interface Rate {
  date: string;
  kztPerUsd: string;
}

export function rateOn(rates: readonly Rate[], day: string): Rate | null {
  let lo = 0;
  let hi = rates.length - 1;
  let found: Rate | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = rates[mid]!;
    if (r.date <= day) {
      found = r;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export const dec = (v: string | number | null | undefined): Decimal => new Decimal(v ?? 0);
export const str = (d: Decimal): string => d.toFixed();

/** Calls, tokens and money, mergeable. `kzt` null: some of it has no rate. */
export interface UsageSum {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  usd: string;
  kzt: string | null;
  unpricedCalls: number;
}

export function emptyUsage(): UsageSum {
  return { calls: 0, inputTokens: 0, outputTokens: 0, usd: '0', kzt: '0', unpricedCalls: 0 };
}

export function addUsage(a: UsageSum, b: UsageSum): UsageSum {
  return {
    calls: a.calls + b.calls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    usd: str(dec(a.usd).plus(b.usd)),
    kzt: a.kzt === null || b.kzt === null ? null : str(dec(a.kzt).plus(b.kzt)),
    unpricedCalls: a.unpricedCalls + b.unpricedCalls,
  };
}

/** 101 quantiles (0 %, 1 % … 100 %) of the conversations' cost, with how many they describe. */
export interface Sketch {
  count: number;
  usd: string[];
  kzt: string[] | null;
}

/** What one host's agent answers for a view: its tenants' figures, summed where they add up. */
export interface HostCostPart {
  host: string;
  priceVersion: string;
  rates: { missing: string[]; latest: Rate | null };
  /** Days from seven before `from` to `to` (the lookback the anomaly check needs). */
  days: Array<UsageSum & { day: string; live: boolean; rate: { kztPerUsd: string; date: string } | null }>;
  models: Array<UsageSum & { provider: string; model: string }>;
  stages: Array<UsageSum & { stage: string }>;
  tenants: Array<
    UsageSum & {
      tenant: string;
      conversations: number;
      budget: { amount: string; currency: 'USD' | 'KZT'; spent: string | null; pct: number | null } | null;
    }
  >;
  conversations: {
    sketch: Sketch;
    /** Conversations over the tenge target (null: some had no rate). */
    overTarget: number | null;
    top: Array<{
      tenant: string;
      conversationId: string;
      calls: number;
      usd: string;
      kzt: string | null;
      firstAt: string;
      lastAt: string;
    }>;
  };
  router: { replies: Array<{ tier: string; count: number }>; savingUsd: string; allComplexUsd: string };
  /** Tenants whose figures could not be read (the part is then partial). */
  errors: Array<{ tenant: string; message: string }>;
}

export const TARGET_KZT = '5';

/** Quantile q of a mixture of sketches (exact for one sketch, close for several). */
export function mixQuantile(sketches: readonly Sketch[], key: 'usd' | 'kzt', q: number): string | null {
  const pts: Array<{ v: Decimal; w: number }> = [];
  for (const s of sketches) {
    const list = s[key];
    if (s.count === 0) continue;
    if (!list || list.length !== 101) return null;
    for (const v of list) pts.push({ v: dec(v), w: s.count / 101 });
  }
  if (pts.length === 0) return null;
  if (sketches.filter((s) => s.count > 0).length === 1) {
    const s = sketches.find((x) => x.count > 0)!;
    return s[key]![Math.round(q * 100)]!;
  }
  pts.sort((a, b) => a.v.comparedTo(b.v));
  const total = pts.reduce((s, p) => s + p.w, 0);
  let acc = 0;
  for (const p of pts) {
    acc += p.w;
    if (acc >= q * total) return str(p.v);
  }
  return str(pts[pts.length - 1]!.v);
}

/** Several tenants' 101 quantiles as one sketch (exact for one; a weighted mixture for several). */
export function mixSketches(sketches: readonly Sketch[]): Sketch {
  if (sketches.length === 0) return { count: 0, usd: [], kzt: [] };
  if (sketches.length === 1) return sketches[0]!;
  const count = sketches.reduce((s, k) => s + k.count, 0);
  const q = (key: 'usd' | 'kzt'): string[] | null => {
    const pts: Array<{ v: Decimal; w: number }> = [];
    for (const s of sketches) {
      const list = s[key];
      if (!list) return null;
      for (const v of list) pts.push({ v: dec(v), w: s.count / 101 });
    }
    pts.sort((a, b) => a.v.comparedTo(b.v));
    const out: string[] = [];
    let acc = 0;
    let i = 0;
    for (let k = 0; k <= 100; k++) {
      const target = (k / 100) * count;
      while (i < pts.length - 1 && acc + pts[i]!.w < target) acc += pts[i++]!.w;
      out.push(str(pts[i]!.v));
    }
    return out;
  };
  return { count, usd: q('usd') ?? [], kzt: q('kzt') };
}

/** The median of decimal strings. */
function median(values: readonly string[]): Decimal | null {
  if (values.length === 0) return null;
  const s = values.map(dec).sort((a, b) => a.comparedTo(b));
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : s[mid - 1]!.plus(s[mid]!).div(2);
}

function money(u: UsageSum): { usd: string; kzt: string | null } {
  return { usd: u.usd, kzt: u.kzt };
}

function usageOut(u: UsageSum): {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cost: { usd: string; kzt: string | null };
  unpricedCalls: number;
} {
  return {
    calls: u.calls,
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cost: money(u),
    unpricedCalls: u.unpricedCalls,
  };
}

/** Rows of the same key summed (models, stages): used by the agent for its tenants and here for the hosts. */
export function mergeBy<T extends UsageSum>(rows: readonly T[], key: (r: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const had = out.get(k);
    out.set(k, had ? { ...had, ...addUsage(had, r) } : { ...r });
  }
  return out;
}

/** The parts' bot replies, summed by tier. */
export function mergeReplies(
  parts: ReadonlyArray<Pick<HostCostPart, 'router'>>,
): Array<{ tier: string; count: number }> {
  const replies = new Map<string, number>();
  for (const p of parts)
    for (const r of p.router.replies) replies.set(r.tier, (replies.get(r.tier) ?? 0) + r.count);
  return [...replies.entries()].map(([tier, count]) => ({ tier, count }));
}

const byCost = (a: UsageSum, b: UsageSum): number => dec(b.usd).comparedTo(a.usd) || b.calls - a.calls;

/**
 * The hosts' parts as one view over [from, to]: days summed (a day over three times the median of
 * the seven before it is flagged), models, stages, tenants, conversations, the router, and the
 * projection to the month's end when the range is the current month.
 */
export function mergeCostParts(
  parts: readonly HostCostPart[],
  hosts: CostView['hosts'],
  range: { from: string; to: string },
  now: number,
): CostView {
  const today = almatyDay(now);
  const dayMap = new Map<string, HostCostPart['days'][number]>();
  for (const p of parts)
    for (const d of p.days) {
      const had = dayMap.get(d.day);
      dayMap.set(
        d.day,
        had ? { ...had, ...addUsage(had, d), live: had.live || d.live, rate: had.rate ?? d.rate } : { ...d },
      );
    }
  const lookFrom = addDays(range.from, -7);
  const allDays = daysBetween(lookFrom, range.to);
  const usdOf = (day: string): string => dayMap.get(day)?.usd ?? '0';
  const byDay = daysBetween(range.from, range.to)
    .filter((d) => d <= today)
    .map((day) => {
      const d = dayMap.get(day) ?? { ...emptyUsage(), day, live: day === today, rate: null };
      const idx = allDays.indexOf(day);
      const prev = allDays.slice(Math.max(0, idx - 7), idx).map(usdOf);
      const m = prev.length === 7 ? median(prev) : null;
      const anomaly = m !== null && m.gt(0) && dec(d.usd).gt(m.mul(3));
      return {
        day,
        ...usageOut(d),
        live: day === today,
        median7Usd: m === null ? null : str(m),
        anomaly,
        rate: d.rate,
      };
    });
  const inRange = [...dayMap.values()].filter((d) => d.day >= range.from && d.day <= range.to);
  const totals = inRange.reduce<UsageSum>((s, d) => addUsage(s, d), emptyUsage());
  const tenants = parts.flatMap((p) => p.tenants.map((t) => ({ ...t, host: p.host })));
  const conversations = tenants.reduce((s, t) => s + t.conversations, 0);

  const sketches = parts.map((p) => p.conversations.sketch);
  const count = sketches.reduce((s, k) => s + k.count, 0);
  const q = (key: 'usd' | 'kzt', x: number): string | null => mixQuantile(sketches, key, x);
  const pct = (x: number): { usd: string; kzt: string | null } | null => {
    const usd = q('usd', x);
    return usd === null ? null : { usd, kzt: q('kzt', x) };
  };
  const over = parts.map((p) => p.conversations.overTarget);
  const overTarget =
    count === 0 || over.some((o) => o === null)
      ? null
      : over.reduce<number>((s, o) => s + (o ?? 0), 0) / count;
  const top = parts
    .flatMap((p) => p.conversations.top.map((c) => ({ ...c, host: p.host })))
    .sort((a, b) => dec(b.usd).comparedTo(a.usd))
    .slice(0, 10)
    .map((c) => ({
      host: c.host,
      tenant: c.tenant,
      conversationId: c.conversationId,
      calls: c.calls,
      cost: { usd: c.usd, kzt: c.kzt },
      firstAt: c.firstAt,
      lastAt: c.lastAt,
    }));

  let projection: { usd: string; kzt: string | null } | null = null;
  if (range.from === monthStart(today) && range.to >= today) {
    const start = dayStart(range.from);
    const end = dayStart(addDays(monthEnd(today), 1));
    const elapsed = Math.max(now - start, 3600_000);
    const factor = dec(end - start).div(elapsed);
    projection = {
      usd: str(dec(totals.usd).mul(factor).toDecimalPlaces(6)),
      kzt: totals.kzt === null ? null : str(dec(totals.kzt).mul(factor).toDecimalPlaces(2)),
    };
  }

  const rates = parts.map((p) => p.rates);
  const latest = rates
    .map((r) => r.latest)
    .filter((r): r is Rate => r !== null)
    .sort((a, b) => b.date.localeCompare(a.date))[0];

  return {
    from: range.from,
    to: range.to,
    today,
    generatedAt: new Date(now).toISOString(),
    hosts,
    priceVersion: parts[0]?.priceVersion ?? null,
    rates: {
      missing: [...new Set(rates.flatMap((r) => r.missing))].sort(),
      latest: latest ?? null,
    },
    totals: { ...usageOut(totals), conversations },
    projection,
    byDay,
    byModel: [
      ...mergeBy(
        parts.flatMap((p) => p.models),
        (m) => `${m.provider}/${m.model}`,
      ).values(),
    ]
      .sort(byCost)
      .map((m) => ({ provider: m.provider, model: m.model, ...usageOut(m) })),
    byStage: [
      ...mergeBy(
        parts.flatMap((p) => p.stages),
        (s) => s.stage,
      ).values(),
    ]
      .sort(byCost)
      .map((s) => ({ stage: s.stage as CostView['byStage'][number]['stage'], ...usageOut(s) })),
    byTenant: tenants.sort(byCost).map((t) => ({
      host: t.host,
      tenant: t.tenant,
      ...usageOut(t),
      conversations: t.conversations,
      budget: t.budget,
    })),
    conversations: {
      count,
      p50: pct(0.5),
      p95: pct(0.95),
      targetKzt: TARGET_KZT,
      overTarget,
      top,
    },
    router: {
      replies: mergeReplies(parts).sort((a, b) => b.count - a.count),
      savingUsd: str(parts.reduce((s, p) => s.plus(p.router.savingUsd), dec(0))),
      allComplexUsd: str(parts.reduce((s, p) => s.plus(p.router.allComplexUsd), dec(0))),
    },
  };
}
