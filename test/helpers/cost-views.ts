/**
 * What the core answers the Costs screen, built the way the agent rolls up `billing_events`: two
 * hosts, three tenants, 31 days (2026-11-05 to 2026-12-05, today live) of calls by stage and model
 * — gpt-4.1-mini, gpt-4.1, text-embedding-3-small and one model no price matches (unpriced) —, one
 * anomaly day (acme on 2026-11-24), rates from the National Bank with the first day missing. Every
 * sum is exact (decimal.js) and made from the same rows, so the figures agree with each other.
 */
import Decimal from 'decimal.js';
import type {
  CommandOutput,
  CostDay,
  CostStage,
  CostView,
  Money,
  RepriceView,
  TenantView,
} from '../../src/shared/contract';

export const HOSTS = ['almaty-1', 'almaty-2'] as const;
export const TENANTS = [
  { host: 'almaty-1', tenant: 'acme', base: 400 },
  { host: 'almaty-1', tenant: 'bakery', base: 140 },
  { host: 'almaty-2', tenant: 'clinic', base: 240 },
] as const;
export const FROM = '2026-11-05';
export const TODAY = '2026-12-05';
export const ANOMALY_DAY = '2026-11-24';
export const MISSING_RATE_DAY = '2026-11-05';
/** The bank's latest rate: Friday's, which the weekend uses. */
export const LATEST_RATE = { date: '2026-12-04', kztPerUsd: '512.34' };
export const TARGET_KZT = '5';
export const PRICE_VERSION = '2026-12-06.1';

interface Model {
  provider: string;
  model: string;
  /** USD per 1M tokens; null: no price matches (unpriced). */
  price: { input: string; output: string } | null;
}
const MINI: Model = { provider: 'openai', model: 'gpt-4.1-mini', price: { input: '0.40', output: '1.60' } };
const FULL: Model = { provider: 'openai', model: 'gpt-4.1', price: { input: '2.00', output: '8.00' } };
const EMBED: Model = {
  provider: 'openai',
  model: 'text-embedding-3-small',
  price: { input: '0.02', output: '0' },
};
export const UNPRICED_MODEL = 'mistral-small-2503';
const MISTRAL: Model = { provider: 'mistral', model: UNPRICED_MODEL, price: null };

/** One (day, tenant, stage, model) row of the rollup. */
interface Row {
  day: string;
  host: string;
  tenant: string;
  stage: CostStage;
  model: Model;
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

export function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (
    let d = new Date(`${from}T00:00:00Z`);
    d.toISOString().slice(0, 10) <= to;
    d.setUTCDate(d.getUTCDate() + 1)
  )
    out.push(d.toISOString().slice(0, 10));
  return out;
}

/**
 * The bank's rate of a day: set on weekdays from Friday 2026-11-06 (none before: the range's first
 * day has no rate), a weekend taking Friday's; 505.xx rising to 512.34 on 2026-12-04.
 */
export function rateOf(day: string): { kztPerUsd: string; date: string } | null {
  if (day <= MISSING_RATE_DAY) return null;
  const d = new Date(`${day}T00:00:00Z`);
  const back = d.getUTCDay() === 6 ? 1 : d.getUTCDay() === 0 ? 2 : 0;
  d.setUTCDate(d.getUTCDate() - back);
  const date = d.toISOString().slice(0, 10);
  if (date === LATEST_RATE.date) return { ...LATEST_RATE };
  const n = Math.round((d.getTime() - Date.parse('2026-11-06T00:00:00Z')) / 86_400_000);
  return { kztPerUsd: new Decimal('505.12').plus(new Decimal(n).mul('0.23')).toFixed(2), date };
}

function rowsOfDay(day: string, i: number): Row[] {
  const rows: Row[] = [];
  const live = day === TODAY;
  for (const t of TENANTS) {
    // Weekdays busier than weekends; today is half done.
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    let n = t.base + ((i * 7 + t.base) % 9) * 10 - (weekday === 0 || weekday === 6 ? 60 : 0);
    if (live) n = Math.round(n / 2);
    if (t.tenant === 'acme' && day === ANOMALY_DAY) n *= 6;
    const add = (stage: CostStage, model: Model, calls: number, inTok: number, outTok: number): void => {
      if (calls > 0)
        rows.push({
          day,
          host: t.host,
          tenant: t.tenant,
          stage,
          model,
          calls,
          inputTokens: calls * inTok,
          outputTokens: calls * outTok,
        });
    };
    add('classifier', MINI, n, 350, 4);
    add('faq', MINI, Math.round(n * 0.6), 900, 150);
    add('complex', FULL, Math.round(n * 0.25), 2200, 350);
    add('embedding', EMBED, n, 18, 0);
    if (t.tenant === 'clinic') add('other', MISTRAL, 30, 400, 80);
    if (t.tenant === 'acme' && day === '2026-11-15') add('knowledge', EMBED, 420, 512, 0);
  }
  return rows;
}

function usdOf(r: Row): Decimal {
  if (!r.model.price) return new Decimal(0);
  return new Decimal(r.inputTokens)
    .mul(r.model.price.input)
    .plus(new Decimal(r.outputTokens).mul(r.model.price.output))
    .div(1_000_000);
}

/** Rows to usage; tenge by each day's rate (null when a day of them has none). */
function usage(rows: readonly Row[]): {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cost: Money;
  unpricedCalls: number;
} {
  let usd = new Decimal(0);
  let kzt: Decimal | null = new Decimal(0);
  for (const r of rows) {
    const u = usdOf(r);
    usd = usd.plus(u);
    const rate = rateOf(r.day);
    kzt = kzt === null || rate === null ? null : kzt.plus(u.mul(rate.kztPerUsd));
  }
  return {
    calls: rows.reduce((n, r) => n + r.calls, 0),
    inputTokens: rows.reduce((n, r) => n + r.inputTokens, 0),
    outputTokens: rows.reduce((n, r) => n + r.outputTokens, 0),
    cost: {
      usd: usd.toFixed(),
      kzt: kzt === null ? null : kzt.toDecimalPlaces(2).toFixed(),
    },
    unpricedCalls: rows.filter((r) => !r.model.price).reduce((n, r) => n + r.calls, 0),
  };
}

const money = (usd: string, kzt: string | null): Money => ({ usd, kzt });

export const CONV = [
  'c0ffee00-1111-4a11-8a11-000000000001',
  'c0ffee00-2222-4a22-8a22-000000000002',
  'c0ffee00-3333-4a33-8a33-000000000003',
  'c0ffee00-4444-4a44-8a44-000000000004',
  'c0ffee00-5555-4a55-8a55-000000000005',
] as const;

function median(values: Decimal[]): Decimal {
  const s = [...values].sort((a, b) => a.comparedTo(b));
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as Decimal) : (s[m - 1] as Decimal).plus(s[m] as Decimal).div(2);
}

/** What a tenant spent this month (December to date). */
export function monthSpent(tenant: string): Money {
  const rows = days('2026-12-01', TODAY).flatMap((d) =>
    rowsOfDay(d, days(FROM, d).length - 1).filter((r) => r.tenant === tenant),
  );
  return usage(rows).cost;
}

/**
 * The budgets: acme 84 % of one in tenge (amber), clinic 107 % of one in dollars (red, over),
 * bakery none.
 */
export function budgetRow(tenant: string): CostView['byTenant'][number]['budget'] {
  const spent = monthSpent(tenant);
  if (tenant === 'acme' && spent.kzt !== null) {
    const amount = new Decimal(spent.kzt).div('0.84').toDecimalPlaces(0);
    const pct = new Decimal(spent.kzt).div(amount).mul(100).toDecimalPlaces(1).toNumber();
    return { amount: amount.toFixed(), currency: 'KZT', spent: spent.kzt, pct };
  }
  if (tenant === 'clinic') {
    const amount = new Decimal(spent.usd).div('1.07').toDecimalPlaces(2);
    const pct = new Decimal(spent.usd).div(amount).mul(100).toDecimalPlaces(1).toNumber();
    return { amount: amount.toFixed(2), currency: 'USD', spent: spent.usd, pct };
  }
  return null;
}

export interface ViewOptions {
  from?: string;
  to?: string;
  host?: string;
  tenant?: string;
  projection?: Money | null;
  /** Hosts that did not answer. */
  failed?: Record<string, string>;
}

/** The view of the fleet (or of a host or tenant) over the days asked. */
export function costView(o: ViewOptions = {}): CostView {
  const from = o.from ?? FROM;
  const to = o.to ?? TODAY;
  const all = days(FROM, TODAY);
  const byDayAll = new Map(all.map((d, i) => [d, rowsOfDay(d, i)]));
  const keep = (r: Row): boolean =>
    (!o.host || r.host === o.host) && (!o.tenant || r.tenant === o.tenant) && !o.failed?.[r.host];
  const shown = days(from, to);
  const rows = shown.flatMap((d) => (byDayAll.get(d) ?? []).filter(keep));
  const dayUsd = (d: string): Decimal => new Decimal(usage((byDayAll.get(d) ?? []).filter(keep)).cost.usd);

  const byDay: CostDay[] = shown.map((d) => {
    const u = usage((byDayAll.get(d) ?? []).filter(keep));
    const before = all.filter((x) => x < d).slice(-7);
    const med = before.length === 7 ? median(before.map(dayUsd)) : null;
    return {
      day: d,
      ...u,
      live: d === TODAY,
      median7Usd: med === null ? null : med.toFixed(),
      anomaly: med !== null && !med.isZero() && new Decimal(u.cost.usd).gt(med.mul(3)),
      rate: rateOf(d),
    };
  });

  const models = [MINI, FULL, EMBED, MISTRAL];
  const byModel = models
    .map((m) => ({ provider: m.provider, model: m.model, ...usage(rows.filter((r) => r.model === m)) }))
    .filter((m) => m.calls > 0);
  const stages: CostStage[] = ['classifier', 'faq', 'complex', 'answer', 'embedding', 'knowledge', 'other'];
  const byStage = stages
    .map((stage) => ({ stage, ...usage(rows.filter((r) => r.stage === stage)) }))
    .filter((s) => s.calls > 0);
  const conversationsOf = (tenant: string): number =>
    rows.filter((r) => r.tenant === tenant && r.stage === 'classifier').reduce((n, r) => n + r.calls, 0);
  const byTenant = TENANTS.filter((t) => keep({ host: t.host, tenant: t.tenant } as Row)).map((t) => {
    const u = usage(rows.filter((r) => r.tenant === t.tenant));
    return {
      host: t.host,
      tenant: t.tenant,
      ...u,
      conversations: conversationsOf(t.tenant),
      budget: budgetRow(t.tenant),
    };
  });
  const conversations = byTenant.reduce((n, t) => n + t.conversations, 0);
  const totals = { ...usage(rows), conversations };
  const chat = rows.filter((r) => r.stage !== 'knowledge' && r.stage !== 'embedding');
  const chatUsd = new Decimal(usage(chat).cost.usd);
  const allComplex = chat.reduce(
    (s, r) =>
      s.plus(new Decimal(r.inputTokens).mul('2.00').plus(new Decimal(r.outputTokens).mul('8.00')).div(1e6)),
    new Decimal(0),
  );
  const replies = (tier: string, stage: CostStage): { tier: string; count: number } => ({
    tier,
    count: rows.filter((r) => r.stage === stage).reduce((n, r) => n + r.calls, 0),
  });
  const top = TENANTS.filter((t) => keep({ host: t.host, tenant: t.tenant } as Row))
    .flatMap((t, i) => [
      {
        host: t.host,
        tenant: t.tenant,
        conversationId: CONV[i] ?? CONV[0],
        calls: 14 - i * 3,
        cost: money(new Decimal('0.0412').minus(new Decimal(i).mul('0.0079')).toFixed(), null),
        firstAt: `2026-12-0${4 - i}T09:1${i}:00.000Z`,
        lastAt: `2026-12-0${4 - i}T09:4${i}:30.000Z`,
      },
    ])
    .map((c) => ({
      ...c,
      cost: money(c.cost.usd, new Decimal(c.cost.usd).mul('512.34').toDecimalPlaces(2).toFixed()),
    }));

  return {
    from,
    to,
    today: TODAY,
    generatedAt: '2026-12-05T11:30:00.000Z',
    hosts: HOSTS.filter((h) => !o.host || h === o.host).map((h, i) => ({
      host: h,
      ok: !o.failed?.[h],
      error: o.failed?.[h] ?? null,
      tookMs: 380 + i * 95,
    })),
    priceVersion: PRICE_VERSION,
    rates: {
      missing: shown.filter((d) => rateOf(d) === null),
      latest: { ...LATEST_RATE },
    },
    totals,
    projection: o.projection ?? null,
    byDay,
    byModel,
    byStage,
    byTenant,
    conversations: {
      count: conversations,
      p50: money('0.0031', '1.59'),
      p95: money('0.0142', '7.28'),
      targetKzt: TARGET_KZT,
      overTarget: 0.12,
      top,
    },
    router: {
      replies: [replies('faq', 'faq'), replies('complex', 'complex')],
      savingUsd: allComplex.minus(chatUsd).toDecimalPlaces(6).toFixed(),
      allComplexUsd: allComplex.toDecimalPlaces(6).toFixed(),
    },
  };
}

/** This month to date: December's six days, with the month taken to its end at this pace. */
export function monthView(o: ViewOptions = {}): CostView {
  const v = costView({ ...o, from: '2026-12-01', to: TODAY });
  // Four and a half days so far (today is half done), taken to the month's 31.
  const usd = new Decimal(v.totals.cost.usd).div('4.5').mul(31).toDecimalPlaces(2);
  return {
    ...v,
    projection: o.projection ?? money(usd.toFixed(), usd.mul('512.34').toDecimalPlaces(2).toFixed()),
  };
}

/** A range with no call at all (before the tenants' first call). */
export function emptyView(): CostView {
  return costView({ from: '2026-10-01', to: '2026-10-07' });
}

/** One conversation of acme with its messages and their calls (one call unpriced). */
export function conversationDetail(id: string = CONV[0]): CommandOutput<'cost.conversation'> {
  return {
    host: 'almaty-1',
    tenant: 'acme',
    conversationId: id,
    channel: 'whatsapp',
    status: 'escalated',
    cost: money('0.0412', '21.11'),
    messages: [
      {
        id: 'm1',
        at: '2026-12-04T09:10:00.000Z',
        direction: 'inbound',
        sender: 'customer',
        text: 'Здравствуйте! Сколько стоит доставка в Алматы?',
        intent: null,
        model: null,
        calls: [],
      },
      {
        id: 'm2',
        at: '2026-12-04T09:10:04.000Z',
        direction: 'outbound',
        sender: 'bot',
        text: 'Доставка по Алматы — 1 500 ₸, бесплатно от 20 000 ₸.',
        intent: 'delivery_price',
        model: 'gpt-4.1-mini',
        calls: [
          {
            stage: 'classifier',
            model: 'gpt-4.1-mini',
            inputTokens: 352,
            outputTokens: 4,
            costUsd: '0.0001472',
          },
          {
            stage: 'embedding',
            model: 'text-embedding-3-small',
            inputTokens: 18,
            outputTokens: 0,
            costUsd: '0.00000036',
          },
          { stage: 'faq', model: 'gpt-4.1-mini', inputTokens: 910, outputTokens: 148, costUsd: '0.0006008' },
        ],
      },
      {
        id: 'm3',
        at: '2026-12-04T09:12:00.000Z',
        direction: 'inbound',
        sender: 'customer',
        text: 'А если заказ пришёл повреждённым, как вернуть деньги?',
        intent: null,
        model: null,
        calls: [],
      },
      {
        id: 'm4',
        at: '2026-12-04T09:12:09.000Z',
        direction: 'outbound',
        sender: 'bot',
        text: 'Передаю ваш вопрос оператору.',
        intent: 'refund',
        model: 'gpt-4.1',
        calls: [
          {
            stage: 'classifier',
            model: 'gpt-4.1-mini',
            inputTokens: 401,
            outputTokens: 4,
            costUsd: '0.000166',
          },
          { stage: 'complex', model: 'gpt-4.1', inputTokens: 2210, outputTokens: 356, costUsd: '0.007268' },
          { stage: 'other', model: UNPRICED_MODEL, inputTokens: 400, outputTokens: 80, costUsd: null },
        ],
      },
      {
        id: 'm5',
        at: '2026-12-04T09:40:30.000Z',
        direction: 'outbound',
        sender: 'operator',
        text: 'Добрый день! Пришлите фото упаковки, оформим возврат.',
        intent: null,
        model: null,
        calls: [],
      },
    ],
  };
}

const OPENAI = 'https://openai.com/api/pricing/';

/** The price tables: the same on both hosts, with an override for acme and one entry checked. */
export function priceTables(hosts: readonly string[] = HOSTS): CommandOutput<'cost.prices'> {
  const table = {
    version: PRICE_VERSION,
    entries: [
      {
        provider: 'openai',
        model: 'gpt-4.1',
        usd: { input: '2.00', cachedInput: '0.50', output: '8.00' },
        from: '2025-04-14',
        source: OPENAI,
        checkedOn: null,
      },
      {
        provider: 'openai',
        model: 'gpt-4.1-mini',
        usd: { input: '0.40', cachedInput: '0.10', output: '1.60' },
        from: '2025-04-14',
        source: OPENAI,
        checkedOn: '2026-12-01',
      },
      {
        provider: 'openai',
        model: 'text-embedding-3-small',
        usd: { input: '0.02' },
        from: '2024-01-25',
        source: OPENAI,
        checkedOn: null,
      },
      {
        provider: 'openai',
        model: 'gpt-4.1-mini',
        usd: { input: '0.30', output: '1.20' },
        from: '2026-11-01',
        source: 'Contract 2026/11 with acme',
        checkedOn: '2026-11-01',
        tenant: 'acme',
      },
    ],
  };
  return hosts.map((host) => ({ host, table }));
}

/** The rates the hosts hold, the newest first. */
export function rateTables(limit = 10): CommandOutput<'cost.rates'> {
  const known = days('2026-11-06', LATEST_RATE.date).filter((d) => {
    const w = new Date(`${d}T00:00:00Z`).getUTCDay();
    return w !== 0 && w !== 6;
  });
  const rates = known
    .reverse()
    .slice(0, limit)
    .map((d) => ({ date: d, kztPerUsd: rateOf(d)?.kztPerUsd ?? '0' }));
  return HOSTS.map((host) => ({ host, count: known.length, rates }));
}

export function budgetOf(
  tenant: 'acme' | 'clinic' | 'bakery',
  over: Partial<CommandOutput<'cost.budget'>> = {},
): CommandOutput<'cost.budget'> {
  const t = TENANTS.find((x) => x.tenant === tenant);
  const b = budgetRow(tenant);
  return {
    host: t?.host ?? 'almaty-1',
    tenant,
    month: '2026-12',
    budget: b
      ? { amount: b.amount, currency: b.currency, action: tenant === 'clinic' ? 'cheapest' : 'notify' }
      : null,
    spent: monthSpent(tenant),
    pct: b?.pct ?? null,
    // clinic went over on the 4th: its router was switched to the cheapest models.
    downgraded:
      tenant === 'clinic'
        ? { at: '2026-12-04T14:02:00.000Z', previous: { complex: 'gpt-4.1', faq: 'gpt-4.1-mini' } }
        : null,
    ...over,
  };
}

/** A re-price of acme's November: 1 840 calls read, 412 change from $12.40 to $13.10. */
export function reprice(applied: boolean): RepriceView {
  return {
    host: 'almaty-1',
    tenant: 'acme',
    from: '2026-11-01',
    to: '2026-11-30',
    priceVersion: PRICE_VERSION,
    applied,
    rows: 1840,
    changed: 412,
    oldUsd: '12.40',
    newUsd: '13.10',
    unpricedBefore: 3,
    unpricedAfter: 0,
    byModel: [
      { model: 'gpt-4.1-mini', changed: 409, oldUsd: '9.10', newUsd: '9.80' },
      { model: 'mistral-small-2503', changed: 3, oldUsd: '0', newUsd: '0' },
    ],
  };
}

/** The three tenants as the Tenants list has them (the screen's tenant picker reads them). */
export function tenantViews(): TenantView[] {
  return TENANTS.map((t) => ({
    host: t.host,
    slug: t.tenant,
    plan: 'starter',
    domain: `${t.tenant}.bots.example.kz`,
    modules: [{ name: 'core_chat', version: '1.0.0' }],
    templateVersion: '1',
    images: {},
    state: 'running',
    createdAt: '2026-09-01T00:00:00Z',
    createdBy: 'ops@laptop',
    updatedAt: '2026-09-01T00:00:00Z',
    lastOperation: {
      kind: 'create',
      state: 'succeeded',
      actor: 'ops@laptop',
      startedAt: '2026-09-01T00:00:00Z',
      finishedAt: '2026-09-01T00:04:00Z',
      step: null,
      error: null,
    },
  }));
}
