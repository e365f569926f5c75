/**
 * The Costs screen's logic, kept apart from React so it is unit tested: the scope in the address
 * (`#/costs`, `#/costs/<host>`, `#/costs/<host>/<slug>`), the ranges of days (Asia/Almaty), money
 * in tenge or dollars (exact: decimal.js on the core's decimal strings, never a float sum), the
 * colours a figure gets, and the rows the tables and charts draw.
 */
import Decimal from 'decimal.js';
import type {
  CommandInput,
  CommandOutput,
  CostDay,
  CostStage,
  CostView,
  Money,
} from '../../../../shared/contract';
import type { Lng } from '../../kit/useLocale';

export type Currency = 'KZT' | 'USD';
/** Green under target, amber a warning, red only over budget, grey when unknown (never green). */
export type Tone = 'ok' | 'warning' | 'error' | 'unknown';

// ---------- the scope and the address ----------

/** What the figures are of: the fleet, one host, or one tenant (always with its host). */
export interface CostScope {
  host: string | null;
  tenant: string | null;
}

export const FLEET: CostScope = { host: null, tenant: null };

export function sameScope(a: CostScope, b: CostScope): boolean {
  return a.host === b.host && a.tenant === b.tenant;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The scope `#/costs[/<host>[/<slug>]]` names; null when the address is another section's. */
export function scopeFromHash(hash: string): CostScope | null {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] !== 'costs') return null;
  const host = parts[1] ? decode(parts[1]) : null;
  const tenant = host && parts[2] ? decode(parts[2]) : null;
  return { host, tenant };
}

export function costsHash(s: CostScope): string {
  if (!s.host) return '#/costs';
  const h = `#/costs/${encodeURIComponent(s.host)}`;
  return s.tenant ? `${h}/${encodeURIComponent(s.tenant)}` : h;
}

// ---------- days and ranges (Asia/Almaty calendar days) ----------

export type RangePreset = 'month' | 'lastMonth' | '7d' | '30d' | 'custom';
export const RANGE_PRESETS: readonly RangePreset[] = ['month', 'lastMonth', '7d', '30d', 'custom'];

/** The preset chosen, and the custom days (used only by `custom`). */
export interface RangeChoice {
  preset: RangePreset;
  from: string;
  to: string;
}

export const DEFAULT_RANGE: RangeChoice = { preset: 'month', from: '', to: '' };

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` is a real calendar day written YYYY-MM-DD. */
export function isDay(s: string): boolean {
  const m = DAY.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/** Today in Asia/Almaty, the days the core counts in. */
export function almatyToday(now: number = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Almaty',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(now));
}

function utc(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

export function addDays(day: string, n: number): string {
  const d = utc(day);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The first and last day of the month before `day`'s. */
function lastMonth(day: string): { from: string; to: string } {
  const first = `${day.slice(0, 8)}01`;
  const to = addDays(first, -1);
  return { from: `${to.slice(0, 8)}01`, to };
}

/** What is wrong with a custom range, if anything. */
export function rangeProblem(r: RangeChoice): 'from' | 'to' | 'order' | null {
  if (r.preset !== 'custom') return null;
  if (!isDay(r.from)) return 'from';
  if (!isDay(r.to)) return 'to';
  return r.from > r.to ? 'order' : null;
}

/**
 * The days a range asks the core for. This month sends none: the core's default is this month to
 * date (by its own clock), and only that range gets a projection to the month's end.
 */
export function rangeDays(r: RangeChoice, today: string): { from?: string; to?: string } {
  switch (r.preset) {
    case 'month':
      return {};
    case 'lastMonth':
      return lastMonth(today);
    case '7d':
      return { from: addDays(today, -6), to: today };
    case '30d':
      return { from: addDays(today, -29), to: today };
    case 'custom':
      return { from: r.from, to: r.to };
  }
}

export function viewInput(scope: CostScope, r: RangeChoice, today: string): CommandInput<'cost.view'> {
  return {
    ...(scope.host ? { host: scope.host } : {}),
    ...(scope.host && scope.tenant ? { tenant: scope.tenant } : {}),
    ...rangeDays(r, today),
  };
}

const LOCALE: Record<Lng, string> = { en: 'en-GB', ru: 'ru-RU' };

/** "5 Dec" / "5 дек." (with the year when asked). */
export function formatDay(day: string, lng: Lng, withYear = false): string {
  if (!isDay(day)) return day;
  return new Intl.DateTimeFormat(LOCALE[lng], {
    day: 'numeric',
    month: 'short',
    ...(withYear ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  }).format(utc(day));
}

/** "1.2M" / "1,2 млн": a big count in a tile, the exact one beside it (en-US: British English writes "1.2m"). */
export function formatCompact(n: number, lng: Lng): string {
  return new Intl.NumberFormat(lng === 'ru' ? 'ru-RU' : 'en-US', {
    notation: 'compact',
    maximumFractionDigits: 1,
  }).format(n);
}

/** The last day of `day`'s month. */
export function monthEnd(day: string): string {
  const d = utc(`${day.slice(0, 8)}01`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  d.setUTCDate(0);
  return d.toISOString().slice(0, 10);
}

/** Consecutive days folded into runs: ["12-01", "12-02", "12-05"] → [12-01…12-02, 12-05]. */
export function dayRuns(days: readonly string[]): { from: string; to: string }[] {
  const sorted = [...new Set(days)].sort();
  const runs: { from: string; to: string }[] = [];
  for (const d of sorted) {
    const last = runs[runs.length - 1];
    if (last && addDays(last.to, 1) === d) last.to = d;
    else runs.push({ from: d, to: d });
  }
  return runs;
}

// ---------- money ----------

const MINUS = '\u2212';
const NBSP = '\u00a0';

/** Digits after the point: two for a figure of a unit or more, else enough to show it (at most 8). */
function fractionDigits(v: Decimal): number {
  const abs = v.abs();
  if (abs.isZero() || abs.gte(1)) return 2;
  return Math.min(8, Math.max(2, -abs.e + 2));
}

/** A plain decimal string with the locale's grouping and point, exactly (no float on the way). */
export function formatDecimal(value: Decimal.Value, lng: Lng, digits?: number): string {
  let v: Decimal;
  try {
    v = new Decimal(value);
  } catch {
    return String(value);
  }
  if (!v.isFinite()) return String(value);
  const dp = digits ?? fractionDigits(v);
  let fixed = v.abs().toFixed(dp, Decimal.ROUND_HALF_UP);
  // Keep two decimals, drop the zeros past them that only the precision added.
  if (digits === undefined && dp > 2) fixed = fixed.replace(/(\.\d\d\d*?)0+$/, '$1');
  const [int = '0', frac] = fixed.split('.');
  const nf = new Intl.NumberFormat(LOCALE[lng]);
  const point = nf.formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
  const grouped = nf.format(BigInt(int));
  return frac ? `${grouped}${point}${frac}` : grouped;
}

/**
 * Money as a person reads it: "12,345.67 ₸" / "12 345,67 ₸", "$24.13" / "24,13 $". `signed`
 * writes + or − (a difference); a negative figure always gets its minus.
 */
export function formatMoney(
  value: string,
  currency: Currency,
  lng: Lng,
  opts: { signed?: boolean; digits?: number; whole?: boolean } = {},
): string {
  let v: Decimal;
  try {
    v = new Decimal(value);
  } catch {
    return value;
  }
  // `whole`: a round figure (a target, a budget) without its ".00".
  const n = formatDecimal(v, lng, opts.whole && v.isInteger() ? 0 : opts.digits);
  const sign = v.isNegative() && !v.isZero() ? MINUS : opts.signed && !v.isZero() ? '+' : '';
  if (currency === 'KZT') return `${sign}${n}${NBSP}₸`;
  return lng === 'ru' ? `${sign}${n}${NBSP}$` : `${sign}$${n}`;
}

/** The figure of `m` in `currency`, or in dollars when it has no tenge (a day without a rate). */
export function moneyIn(
  m: Money,
  currency: Currency,
): { value: string; currency: Currency; fellBack: boolean } {
  if (currency === 'KZT' && m.kzt !== null) return { value: m.kzt, currency: 'KZT', fellBack: false };
  return { value: m.usd, currency: 'USD', fellBack: currency === 'KZT' };
}

/** The other currency of the two, for the small line under a figure (null when it has none). */
export function otherMoney(m: Money, shown: Currency): { value: string; currency: Currency } | null {
  if (shown === 'KZT') return { value: m.usd, currency: 'USD' };
  return m.kzt === null ? null : { value: m.kzt, currency: 'KZT' };
}

export function sumDecimals(values: readonly string[]): string {
  return values.reduce((s, v) => s.plus(v), new Decimal(0)).toFixed();
}

/** `part / whole` as 0…1 (null when the whole is zero or a figure is not a number). */
export function shareOf(part: string, whole: string): number | null {
  try {
    const w = new Decimal(whole);
    if (w.isZero()) return null;
    return new Decimal(part).div(w).toNumber();
  } catch {
    return null;
  }
}

/** `b − a`, exactly. */
export function difference(a: string, b: string): string {
  return new Decimal(b).minus(a).toFixed();
}

export function compareDecimal(a: string, b: string): number {
  return new Decimal(a).comparedTo(b);
}

// ---------- colours ----------

/**
 * A conversation's typical cost against the target (under 5 ₸): green under it, amber at or over
 * it, grey when it cannot be told (no conversations, or no tenge without a rate).
 */
export function conversationTone(p50: Money | null, targetKzt: string): Tone {
  if (!p50 || p50.kzt === null) return 'unknown';
  return new Decimal(p50.kzt).lt(targetKzt) ? 'ok' : 'warning';
}

/** Whether a cost is over the target (null when it has no tenge). */
export function overTarget(m: Money, targetKzt: string): boolean | null {
  return m.kzt === null ? null : new Decimal(m.kzt).gte(targetKzt);
}

/** A budget's share spent: amber from 80 %, red from 100 % (over budget), grey when unknown. */
export function budgetTone(pct: number | null): Tone {
  if (pct === null || !Number.isFinite(pct)) return 'unknown';
  if (pct >= 100) return 'error';
  if (pct >= 80) return 'warning';
  return 'ok';
}

// ---------- by day ----------

/**
 * The one currency a chart or a table of sums over the range is shown in: tenge only when every
 * row has them (else all in dollars, rather than a column of both).
 */
export function chartCurrency(rows: readonly { cost: Money }[], wanted: Currency): Currency {
  return wanted === 'KZT' && rows.every((r) => r.cost.kzt !== null) ? 'KZT' : 'USD';
}

export interface DayPoint {
  day: string;
  /** The bar's height, in the chart's currency (a number for drawing only; the texts use `money`). */
  value: number;
  money: string;
  calls: number;
  live: boolean;
  anomaly: boolean;
  noRate: boolean;
  unpricedCalls: number;
  median7Usd: string | null;
  /** The day's dollars over its 7-day median (anomaly days are over 3). */
  ratio: number | null;
}

export function dayPoints(days: readonly CostDay[], currency: Currency): DayPoint[] {
  return days.map((d) => {
    const money = currency === 'KZT' && d.cost.kzt !== null ? d.cost.kzt : d.cost.usd;
    return {
      day: d.day,
      value: Number(money),
      money,
      calls: d.calls,
      live: d.live,
      anomaly: d.anomaly,
      noRate: d.cost.kzt === null,
      unpricedCalls: d.unpricedCalls,
      median7Usd: d.median7Usd,
      ratio: d.median7Usd === null ? null : shareOf(d.cost.usd, d.median7Usd),
    };
  });
}

/** The costliest day (the first of equals), or null when nothing was spent. */
export function peakDay(days: readonly CostDay[]): CostDay | null {
  let best: CostDay | null = null;
  for (const d of days) if (new Decimal(d.cost.usd).gt(best ? best.cost.usd : 0)) best = d;
  return best;
}

// ---------- stages, models, tenants, the router ----------

export const STAGES: readonly CostStage[] = [
  'classifier',
  'faq',
  'complex',
  'answer',
  'embedding',
  'knowledge',
  'other',
];

type Usage = { cost: Money; calls: number; unpricedCalls: number };

/** Rows with their share of the spend in dollars (0…1, null when nothing was spent). */
export function withShares<R extends Usage>(rows: readonly R[]): (R & { share: number | null })[] {
  const total = sumDecimals(rows.map((r) => r.cost.usd));
  return rows.map((r) => ({ ...r, share: shareOf(r.cost.usd, total) }));
}

/** The costliest first; then more calls first; then by name. */
export function byCost<R extends Usage>(rows: readonly R[], name: (r: R) => string): R[] {
  return [...rows].sort(
    (a, b) => compareDecimal(b.cost.usd, a.cost.usd) || b.calls - a.calls || name(a).localeCompare(name(b)),
  );
}

/** The stages in their fixed order (classifier … other), only those with calls. */
export function stageRows(view: CostView): (CostView['byStage'][number] & { share: number | null })[] {
  const order = (s: CostStage): number => STAGES.indexOf(s);
  return withShares(view.byStage.filter((s) => s.calls > 0)).sort((a, b) => order(a.stage) - order(b.stage));
}

export function modelRows(view: CostView): (CostView['byModel'][number] & { share: number | null })[] {
  return withShares(byCost(view.byModel, (r) => `${r.provider}/${r.model}`));
}

export function tenantRows(view: CostView): CostView['byTenant'] {
  return byCost(view.byTenant, (r) => `${r.tenant}@${r.host}`);
}

/** Replies by tier with their share of all replies (0…1). */
export function tierShares(
  replies: CostView['router']['replies'],
): { tier: string; count: number; share: number }[] {
  const total = replies.reduce((n, r) => n + r.count, 0);
  return [...replies]
    .sort((a, b) => b.count - a.count || a.tier.localeCompare(b.tier))
    .map((r) => ({ ...r, share: total > 0 ? r.count / total : 0 }));
}

// ---------- a conversation ----------

/** A conversation id as the tables show it: its first 8 characters. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

export type Sender = 'customer' | 'bot' | 'operator' | 'other';

/** Who wrote a message: the customer (inbound), the bot or an operator (the tenant's `sender_type`). */
export function senderOf(m: { direction: 'inbound' | 'outbound'; sender: string }): Sender {
  if (m.direction === 'inbound') return 'customer';
  const s = m.sender.toLowerCase();
  if (s === 'bot') return 'bot';
  if (s === 'operator') return 'operator';
  return s === 'customer' ? 'customer' : 'other';
}

type Message = CommandOutput<'cost.conversation'>['messages'][number];

/** What a message's calls cost in dollars (the priced ones), and how many have no price. */
export function messageCost(m: Message): { usd: string; unpriced: number } {
  const priced = m.calls.flatMap((c) => (c.costUsd === null ? [] : [c.costUsd]));
  return { usd: sumDecimals(priced), unpriced: m.calls.length - priced.length };
}

// ---------- prices ----------

export type PriceEntry = CommandOutput<'cost.prices'>[number]['table']['entries'][number];

/** Whether an entry is in force on `day`: started, and not ended (`to` is exclusive). */
export function priceInForce(e: PriceEntry, day: string): boolean {
  return e.from <= day && (e.to === undefined || day < e.to);
}

/** Entries by provider, model, tenant override last, the newest first. */
export function sortPrices(entries: readonly PriceEntry[]): PriceEntry[] {
  return [...entries].sort(
    (a, b) =>
      a.provider.localeCompare(b.provider) ||
      a.model.localeCompare(b.model) ||
      (a.tenant ?? '').localeCompare(b.tenant ?? '') ||
      b.from.localeCompare(a.from),
  );
}
