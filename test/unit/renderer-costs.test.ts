/**
 * The Costs screen: its model (money, days, colours), the rates CSV reader, its store against a
 * fake core (which commands with which inputs), and the screen as a person sees it, in English
 * and Russian. The renderer's unit tests run in Node (no DOM here): the screen is rendered to
 * markup with react-dom/server after the store has read the fake core, and the assertions are on
 * its text, its test ids and its data attributes. recharts draws nothing without a DOM, so each
 * chart is checked through what it also gives every reader: its summary and its table.
 */
import Decimal from 'decimal.js';
import { createElement as h } from 'react';
import type { ComponentType } from 'react';
import type * as Zustand from 'zustand';
import type { StateCreator } from 'zustand';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CostView, RepriceView } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import { useConsole } from '../../src/renderer/src/app/store';
import {
  almatyToday,
  budgetTone,
  conversationTone,
  costsHash,
  dayRuns,
  formatMoney,
  moneyIn,
  rangeDays,
  rangeProblem,
  scopeFromHash,
  sumDecimals,
} from '../../src/renderer/src/features/costs/costs';
import { resetCostsStore, useCosts } from '../../src/renderer/src/features/costs/costsStore';
import type { ConversationState } from '../../src/renderer/src/features/costs/costsStore';
import { priceFromDraft, rateLineText } from '../../src/renderer/src/features/costs/forms';
import { parseRates } from '../../src/renderer/src/features/costs/rates';
import { useTenants } from '../../src/renderer/src/features/tenants/tenantsStore';
import { initI18n, setLanguage } from '../../src/renderer/src/i18n';
import { en } from '../../src/renderer/src/i18n/en';
import { ru } from '../../src/renderer/src/i18n/ru';
import {
  CONV,
  budgetOf,
  conversationDetail,
  costView,
  emptyView,
  monthView,
  priceTables,
  rateTables,
  reprice,
  tenantViews,
} from '../helpers/cost-views';
import { fakeApi, fail, ok } from '../helpers/fakeApi';
import type { Answer } from '../helpers/fakeApi';

// ---------- the screen's modules and what the markup says ----------

/**
 * A server render reads each store's "server snapshot", which zustand makes the store's initial
 * state; the page's own (client) render reads the current one. Here the stores' hooks read the
 * current state in both, so the markup shows what the stores hold after the fake core answered.
 */
vi.mock('zustand', async (importOriginal) => {
  const z = await importOriginal<typeof Zustand>();
  const { useSyncExternalStore } = await import('react');
  const bind = (createState: StateCreator<object>) => {
    const api = z.createStore<object>()(createState);
    const useBound = (selector: (s: object) => unknown = (s) => s) =>
      useSyncExternalStore(
        api.subscribe,
        () => selector(api.getState()),
        () => selector(api.getState()),
      );
    return Object.assign(useBound, api);
  };
  const create = (createState?: StateCreator<object>) => (createState ? bind(createState) : bind);
  return { ...z, create };
});

/**
 * The screen's components are TSX, which the Node type-check project does not compile (the web
 * project checks them): they are imported by a path held in a variable, with the props typed here.
 */
const FEATURE = '../../src/renderer/src/features/costs/';
async function load<T>(file: string): Promise<T> {
  return (await import(/* @vite-ignore */ `${FEATURE}${file}`)) as T;
}
type Screen = { CostsScreen: ComponentType };
type Dialog = { ConversationBody: ComponentType<{ state: ConversationState }> };
type Reprice = {
  RepriceResult: ComponentType<{ r: RepriceView }>;
  RepriceConfirmBody: ComponentType<{ dry: RepriceView }>;
};

/** The visible text of some markup: tags out, entities decoded, every run of spaces (NBSP too) one space. */
function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[\s\u00a0\u202f]+/g, ' ')
    .trim();
}

/** The element carrying `attr="value"` (the first), with everything in it. */
function el(html: string, value: string, attr = 'data-testid'): string {
  const at = html.indexOf(`${attr}="${value}"`);
  if (at < 0) throw new Error(`no element with ${attr}="${value}"`);
  const start = html.lastIndexOf('<', at);
  const tag = /^<([a-zA-Z0-9]+)/.exec(html.slice(start))?.[1] ?? '';
  const re = new RegExp(`<(/?)${tag}(?=[\\s>/])[^>]*?(/?)>`, 'g');
  re.lastIndex = start;
  let depth = 0;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m[1]) depth -= 1;
    else if (!m[2]) depth += 1;
    if (depth === 0) return html.slice(start, re.lastIndex);
  }
  throw new Error(`unclosed <${tag}>`);
}
const has = (html: string, value: string, attr = 'data-testid'): boolean =>
  html.includes(`${attr}="${value}"`);
/** The values of an attribute, in the order of the markup. */
const attrs = (html: string, attr: string): string[] =>
  [...html.matchAll(new RegExp(`${attr}="([^"]*)"`, 'g'))].map((m) => m[1] ?? '');

/** The markup of `node` (the stores' hooks read their current state: see the zustand mock above). */
function render(node: ReturnType<typeof h>): string {
  return renderToStaticMarkup(node);
}

// ---------- a fake core ----------

/** 2026-12-05, 11:00 in Almaty. */
const NOW = Date.parse('2026-12-05T06:00:00Z');
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

type ViewInput = { host?: string; tenant?: string; from?: string; to?: string };
/** cost.view as the core answers it: this month (with its projection) unless days are given. */
function answerView(input: unknown): ReturnType<Answer> {
  const i = input as ViewInput;
  const scope = { ...(i.host ? { host: i.host } : {}), ...(i.tenant ? { tenant: i.tenant } : {}) };
  return ok(i.from && i.to ? costView({ ...scope, from: i.from, to: i.to }) : monthView(scope));
}

function core(answers: Parameters<typeof fakeApi>[0] = {}) {
  const f = fakeApi({
    'cost.view': answerView,
    'cost.conversation': (input) =>
      ok(conversationDetail((input as { conversationId: string }).conversationId)),
    'cost.budget': (input) => ok(budgetOf((input as { tenant: 'acme' | 'clinic' | 'bakery' }).tenant)),
    'cost.budgetSet': (input) => {
      const i = input as { host: string; tenant: string; budget: unknown };
      return ok({ host: i.host, tenant: i.tenant, budget: i.budget });
    },
    'cost.prices': () => ok(priceTables()),
    'cost.pricesSet': () =>
      ok(priceTables(['almaty-1']).map((t) => ({ ...t, table: { ...t.table, version: '2026-12-05.2' } }))),
    'cost.rates': () => ok(rateTables()),
    'cost.ratesImport': (input) => {
      const n = (input as { rates: unknown[] }).rates.length;
      return ok([
        { host: 'almaty-1', count: 21 + n, added: n, replaced: 0 },
        { host: 'almaty-2', count: 21 + n, added: n, replaced: 0 },
      ]);
    },
    'cost.reprice': (input) => ok(reprice((input as { apply: boolean }).apply)),
    ...answers,
  });
  setApi(f.api);
  return f;
}
const callsOf = (f: ReturnType<typeof fakeApi>, name: string): unknown[] =>
  f.calls.filter((c) => c.name === name).map((c) => c.input);

/** The fleet over the fixture's 31 days (custom range), read from the fake core. */
async function fleet31(): Promise<void> {
  useCosts.getState().setRange({ preset: 'custom', from: '2026-11-05', to: '2026-12-05' });
  await flush();
}

beforeAll(() => {
  initI18n('en');
});

beforeEach(async () => {
  await setLanguage('en');
  resetCostsStore(() => NOW);
  useTenants.setState({ tenants: tenantViews(), loaded: true });
  useConsole.setState({ error: null, toasts: [] });
});
afterEach(() => setApi(null));

// ---------- the model ----------

/** The same text with every space a no-break space (as the formatters write them). */
const nb = (s: string): string => s.replace(/ /g, '\u00a0');

describe('costs: money, days and colours', () => {
  it('writes money exactly, per locale: tenge after the figure; dollars before in English, after in Russian', () => {
    expect(formatMoney('12345.678', 'KZT', 'en')).toBe(nb('12,345.68 ₸'));
    expect(formatMoney('12345.678', 'KZT', 'ru')).toBe(nb('12 345,68 ₸'));
    expect(formatMoney('64.608909', 'USD', 'en')).toBe('$64.61');
    expect(formatMoney('64.608909', 'USD', 'ru')).toBe(nb('64,61 $'));
    // Small figures keep their digits; nothing is lost to a float on the way.
    expect(formatMoney('0.0000004', 'USD', 'en')).toBe('$0.0000004');
    expect(formatMoney('0.0031', 'USD', 'en')).toBe('$0.0031');
    expect(formatMoney('0.5', 'USD', 'en')).toBe('$0.50');
    expect(formatMoney('0', 'KZT', 'en')).toBe(nb('0.00 ₸'));
    expect(formatMoney('12345678901234567.895', 'KZT', 'en')).toBe(nb('12,345,678,901,234,567.90 ₸'));
    expect(formatMoney('0.70', 'USD', 'en', { signed: true })).toBe('+$0.70');
    expect(formatMoney('-0.7', 'USD', 'en')).toBe('\u2212$0.70');
    expect(formatMoney('5', 'KZT', 'en', { whole: true })).toBe(nb('5 ₸'));
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
  });

  it('falls back to dollars when a figure has no tenge, and says so', () => {
    expect(moneyIn({ usd: '1.5', kzt: '768.51' }, 'KZT')).toEqual({
      value: '768.51',
      currency: 'KZT',
      fellBack: false,
    });
    expect(moneyIn({ usd: '1.5', kzt: null }, 'KZT')).toEqual({
      value: '1.5',
      currency: 'USD',
      fellBack: true,
    });
    expect(moneyIn({ usd: '1.5', kzt: null }, 'USD')).toEqual({
      value: '1.5',
      currency: 'USD',
      fellBack: false,
    });
  });

  it('reckons the ranges in Almaty days', () => {
    const today = '2026-12-05';
    expect(almatyToday(NOW)).toBe(today);
    expect(almatyToday(Date.parse('2026-12-05T20:00:00Z'))).toBe('2026-12-06');
    expect(rangeDays({ preset: 'month', from: '', to: '' }, today)).toEqual({});
    expect(rangeDays({ preset: 'lastMonth', from: '', to: '' }, today)).toEqual({
      from: '2026-11-01',
      to: '2026-11-30',
    });
    expect(rangeDays({ preset: 'lastMonth', from: '', to: '' }, '2026-01-15')).toEqual({
      from: '2025-12-01',
      to: '2025-12-31',
    });
    expect(rangeDays({ preset: '7d', from: '', to: '' }, today)).toEqual({ from: '2026-11-29', to: today });
    expect(rangeDays({ preset: '30d', from: '', to: '' }, today)).toEqual({ from: '2026-11-06', to: today });
    expect(rangeProblem({ preset: 'custom', from: '2026-12-05', to: '2026-12-01' })).toBe('order');
    expect(rangeProblem({ preset: 'custom', from: '2026-02-30', to: '2026-03-01' })).toBe('from');
    expect(rangeProblem({ preset: 'custom', from: '2026-12-01', to: '2026-12-05' })).toBeNull();
    expect(dayRuns(['2026-11-06', '2026-11-05', '2026-11-09'])).toEqual([
      { from: '2026-11-05', to: '2026-11-06' },
      { from: '2026-11-09', to: '2026-11-09' },
    ]);
  });

  it('keeps the scope in the address', () => {
    expect(costsHash({ host: null, tenant: null })).toBe('#/costs');
    expect(costsHash({ host: 'almaty 1', tenant: 'acme' })).toBe('#/costs/almaty%201/acme');
    expect(scopeFromHash('#/costs/almaty%201/acme')).toEqual({ host: 'almaty 1', tenant: 'acme' });
    expect(scopeFromHash('#/costs/almaty-2')).toEqual({ host: 'almaty-2', tenant: null });
    expect(scopeFromHash('#/costs')).toEqual({ host: null, tenant: null });
    expect(scopeFromHash('#/knowledge/h/acme')).toBeNull();
  });

  it('colours: a budget amber from 80 %, red from 100 %; a conversation green under 5 ₸; grey when unknown', () => {
    expect(budgetTone(79.9)).toBe('ok');
    expect(budgetTone(80)).toBe('warning');
    expect(budgetTone(99.9)).toBe('warning');
    expect(budgetTone(100)).toBe('error');
    expect(budgetTone(null)).toBe('unknown');
    expect(conversationTone({ usd: '0.0097', kzt: '4.99' }, '5')).toBe('ok');
    expect(conversationTone({ usd: '0.0098', kzt: '5' }, '5')).toBe('warning');
    expect(conversationTone({ usd: '0.0098', kzt: null }, '5')).toBe('unknown');
    expect(conversationTone(null, '5')).toBe('unknown');
  });

  it('checks a price entry with the contract’s schema before sending it', () => {
    const draft = {
      provider: 'openai',
      model: 'gpt-4.1-nano',
      input: '0.10',
      cachedInput: '',
      output: '0,40',
      from: '2026-12-01',
      to: '',
      source: '',
      checkedOn: '',
      tenant: '',
    };
    const bad = priceFromDraft(draft, 'en');
    expect('errors' in bad && bad.errors).toEqual({
      output: 'A price is a decimal number of USD per 1M tokens.',
      source: 'required',
    });
    const badRu = priceFromDraft(draft, 'ru');
    expect('errors' in badRu && badRu.errors.output).toBe(
      'Цена — десятичное число долларов США за 1 млн токенов.',
    );
    const good = priceFromDraft(
      { ...draft, output: '0.40', source: 'https://openai.com/api/pricing/' },
      'en',
    );
    expect(good).toEqual({
      entry: {
        provider: 'openai',
        model: 'gpt-4.1-nano',
        usd: { input: '0.10', output: '0.40' },
        from: '2026-12-01',
        source: 'https://openai.com/api/pricing/',
        checkedOn: null,
      },
    });
  });
});

// ---------- the rates CSV ----------

describe('costs: the rates CSV', () => {
  const lines = [
    'Дата;Курс', // 1: a header
    '2026-12-01;512,34', // 2
    '', // 3: blank
    '2026-12-02,513.10', // 4
    '03.12.2026\t514,2', // 5: the bank's own day, a tab
    '"2026-12-04";"512,34";', // 6: quoted, a trailing separator
    '2026-12-05,512,34', // 7: a comma decimal with a comma separator
    '2026-02-30,500', // 8: no such day
    '2026-12-06,abc', // 9
    '2026-12-07,0', // 10
    '2026-12-01,511', // 11: the day of line 2 again
    'total,1000', // 12: words after the first line
  ];

  it('takes the lines it can read, exactly, and says for each other line why not', () => {
    const p = parseRates(`\uFEFF${lines.join('\r\n')}`);
    expect(p.header).toBe(true);
    expect(p.rates).toEqual([
      { date: '2026-12-01', kztPerUsd: '512.34' },
      { date: '2026-12-02', kztPerUsd: '513.10' },
      { date: '2026-12-03', kztPerUsd: '514.2' },
      { date: '2026-12-04', kztPerUsd: '512.34' },
    ]);
    expect(p.errors.map((e) => [e.line, e.code])).toEqual([
      [7, 'fields'],
      [8, 'date'],
      [9, 'rate'],
      [10, 'zero'],
      [11, 'duplicate'],
      [12, 'date'],
    ]);
    expect(p.errors.find((e) => e.code === 'duplicate')?.first).toBe(2);
    expect(p.tooMany).toBe(false);
    expect(parseRates('2026-12-01,512.34').header).toBe(false);
  });

  it('words the refused lines in English and Russian', async () => {
    const p = parseRates(lines.join('\n'));
    const dup = p.errors.find((e) => e.code === 'duplicate');
    const fields = p.errors.find((e) => e.code === 'fields');
    if (!dup || !fields) throw new Error('expected refusals');
    expect(rateLineText(dup)).toBe('Line 11 (“2026-12-01,511”): the same day as line 2');
    expect(rateLineText(fields)).toBe(
      'Line 7 (“2026-12-05,512,34”): it needs a day and a rate, separated by a comma, a semicolon or a tab',
    );
    await setLanguage('ru');
    expect(rateLineText(dup)).toBe('Строка 11 («2026-12-01,511»): тот же день, что в строке 2');
    expect(rateLineText(p.errors[1] ?? dup)).toBe(
      'Строка 8 («2026-02-30,500»): это не день (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)',
    );
  });

  it('refuses more than one import takes', () => {
    const many = Array.from({ length: 5001 }, (_, i) => {
      const d = new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10);
      return `${d},500.${String(i % 100).padStart(2, '0')}`;
    }).join('\n');
    const p = parseRates(many);
    expect(p.errors).toEqual([]);
    expect(p.rates).toHaveLength(5001);
    expect(p.tooMany).toBe(true);
  });
});

// ---------- the store ----------

describe('costs store', () => {
  it('reads the view for the scope and the range asked', async () => {
    const f = core();
    await useCosts.getState().load();
    useCosts.getState().setScope({ host: 'almaty-1', tenant: null });
    await flush();
    useCosts.getState().setScope({ host: 'almaty-1', tenant: 'acme' });
    await flush();
    useCosts.getState().setRange({ preset: '7d', from: '', to: '' });
    await flush();
    // A custom range that ends before it starts is not asked for.
    useCosts.getState().setRange({ preset: 'custom', from: '2026-12-05', to: '2026-12-01' });
    await flush();
    expect(callsOf(f, 'cost.view')).toEqual([
      {},
      { host: 'almaty-1' },
      { host: 'almaty-1', tenant: 'acme' },
      { host: 'almaty-1', tenant: 'acme', from: '2026-11-29', to: '2026-12-05' },
    ]);
    expect(callsOf(f, 'cost.budget')).toEqual([{ host: 'almaty-1', tenant: 'acme' }]);
    expect(useCosts.getState().view?.byTenant.map((r) => r.tenant)).toEqual(['acme']);
  });

  it('an answer that comes after the scope changed is not shown under the new scope', async () => {
    let release: (() => void) | null = null;
    core({
      'cost.view': (input) =>
        (input as ViewInput).host
          ? answerView(input)
          : new Promise((resolve) => {
              release = () => resolve(answerView(input) as never);
            }),
    });
    const first = useCosts.getState().load();
    await flush();
    useCosts.getState().setScope({ host: 'almaty-2', tenant: null });
    (release as (() => void) | null)?.();
    await first;
    await flush();
    expect(useCosts.getState().view?.byTenant.map((r) => r.tenant)).toEqual(['clinic']);
  });

  it('keeps a failed read’s ErrorInfo; a quiet read that fails keeps the figures shown', async () => {
    let down = true;
    core({
      'cost.view': (input) =>
        down ? fail('cost.unavailable', 'AI cost is being built.', 'Update the console.') : answerView(input),
    });
    await useCosts.getState().load();
    expect(useCosts.getState().view).toBeNull();
    expect(useCosts.getState().viewError).toMatchObject({
      code: 'cost.unavailable',
      hint: 'Update the console.',
    });
    down = false;
    await useCosts.getState().load();
    expect(useCosts.getState().viewError).toBeNull();
    const shown = useCosts.getState().view;
    down = true;
    await useCosts.getState().load({ quiet: true });
    expect(useCosts.getState().view).toBe(shown);
    expect(useCosts.getState().viewError?.code).toBe('cost.unavailable');
  });

  it('opens a conversation by its host, tenant and id; a failure stays on it', async () => {
    const f = core();
    await fleet31();
    const row = useCosts.getState().view?.conversations.top[0];
    if (!row) throw new Error('no conversation');
    await useCosts.getState().openConversation(row);
    expect(callsOf(f, 'cost.conversation')).toEqual([
      { host: 'almaty-1', tenant: 'acme', conversationId: CONV[0] },
    ]);
    expect(useCosts.getState().conversation?.detail?.messages).toHaveLength(5);
    core({ 'cost.conversation': () => fail('cost.not-found', 'No such conversation.') });
    await useCosts.getState().openConversation(row);
    expect(useCosts.getState().conversation).toMatchObject({
      detail: null,
      error: { code: 'cost.not-found' },
    });
    useCosts.getState().closeConversation();
    expect(useCosts.getState().conversation).toBeNull();
  });

  it('sets and removes a tenant’s budget, and reads it again after', async () => {
    const f = core();
    expect(await useCosts.getState().saveBudget({ amount: '1', currency: 'USD', action: 'notify' })).toBe(
      false,
    );
    useCosts.getState().setScope({ host: 'almaty-1', tenant: 'acme' });
    await flush();
    const budget = { amount: '50000', currency: 'KZT', action: 'cheapest' } as const;
    expect(await useCosts.getState().saveBudget(budget)).toBe(true);
    expect(await useCosts.getState().saveBudget(null)).toBe(true);
    expect(callsOf(f, 'cost.budgetSet')).toEqual([
      { host: 'almaty-1', tenant: 'acme', budget },
      { host: 'almaty-1', tenant: 'acme', budget: null },
    ]);
    expect(callsOf(f, 'cost.budget')).toHaveLength(3);
    core({ 'cost.budgetSet': () => fail('input.invalid', 'A budget is an amount, e.g. 50000 or 99.50.') });
    expect(await useCosts.getState().saveBudget(budget)).toBe(false);
    expect(useCosts.getState().budget?.saveError?.code).toBe('input.invalid');
  });

  it('re-price: a dry run first; Apply only once confirmed, with the dry run’s own inputs', async () => {
    const f = core();
    const input = { host: 'almaty-1', tenant: 'acme', from: '2026-11-01', to: '2026-11-30' };
    expect(await useCosts.getState().applyReprice()).toBe(false);
    await useCosts.getState().repriceDryRun(input);
    expect(useCosts.getState().reprice?.dry?.changed).toBe(412);
    // Not confirmed: nothing is applied.
    expect(await useCosts.getState().applyReprice()).toBe(false);
    useCosts.getState().askApplyReprice();
    expect(useCosts.getState().reprice?.confirming).toBe(true);
    useCosts.getState().cancelApplyReprice();
    expect(await useCosts.getState().applyReprice()).toBe(false);
    expect(callsOf(f, 'cost.reprice')).toEqual([{ ...input, apply: false }]);
    useCosts.getState().askApplyReprice();
    const views = callsOf(f, 'cost.view').length;
    expect(await useCosts.getState().applyReprice()).toBe(true);
    await flush();
    expect(callsOf(f, 'cost.reprice')).toEqual([
      { ...input, apply: false },
      { ...input, apply: true },
    ]);
    expect(useCosts.getState().reprice).toMatchObject({ confirming: false, applied: { applied: true } });
    expect(callsOf(f, 'cost.view').length).toBe(views + 1);
  });

  it('re-price: a dry run that changes nothing cannot be applied', async () => {
    core({ 'cost.reprice': () => ok({ ...reprice(false), changed: 0, newUsd: '12.40' }) });
    await useCosts
      .getState()
      .repriceDryRun({ host: 'almaty-1', tenant: 'acme', from: '2026-11-01', to: '2026-11-30' });
    useCosts.getState().askApplyReprice();
    expect(useCosts.getState().reprice?.confirming).toBe(false);
  });

  it('on the prices tab, a change of host reads that host’s prices and rates', async () => {
    const f = core();
    useCosts.getState().setTab('prices');
    await flush();
    useCosts.getState().setScope({ host: 'almaty-2', tenant: null });
    await flush();
    // A tenant of the same host does not read them again.
    useCosts.getState().setScope({ host: 'almaty-2', tenant: 'clinic' });
    await flush();
    expect(callsOf(f, 'cost.prices')).toEqual([{}, { host: 'almaty-2' }]);
    expect(callsOf(f, 'cost.rates')).toEqual([{ limit: 10 }, { host: 'almaty-2', limit: 10 }]);
  });

  it('imports the rates read on every host, adds a price on the scope’s host, and reads both again', async () => {
    const f = core();
    const rates = parseRates('2026-12-07,512.90\n2026-12-08;513,05').rates;
    expect(await useCosts.getState().importRates(rates)).toBe(true);
    expect(callsOf(f, 'cost.ratesImport')).toEqual([
      {
        rates: [
          { date: '2026-12-07', kztPerUsd: '512.90' },
          { date: '2026-12-08', kztPerUsd: '513.05' },
        ],
      },
    ]);
    await flush();
    expect(callsOf(f, 'cost.rates')).toEqual([{ limit: 10 }]);
    expect(useCosts.getState().ratesImport?.result?.[0]).toMatchObject({ host: 'almaty-1', added: 2 });
    expect(await useCosts.getState().importRates([])).toBe(false);

    useCosts.getState().setScope({ host: 'almaty-1', tenant: null });
    await useCosts.getState().loadPrices();
    const entry = {
      provider: 'openai',
      model: 'gpt-4.1-nano',
      usd: { input: '0.10', output: '0.40' },
      from: '2026-12-01',
      source: 'https://openai.com/api/pricing/',
      checkedOn: '2026-12-05',
    };
    expect(await useCosts.getState().addPrice(entry)).toBe(true);
    expect(callsOf(f, 'cost.prices')).toEqual([{ host: 'almaty-1' }]);
    expect(callsOf(f, 'cost.pricesSet')).toEqual([{ host: 'almaty-1', entries: [entry] }]);
    expect(useCosts.getState().priceSaved).toBe('2026-12-05.2');
    expect(
      useCosts
        .getState()
        .prices?.map((t) => [t.host, t.table.version])
        .sort(),
    ).toEqual([
      ['almaty-1', '2026-12-05.2'],
      ['almaty-2', '2026-12-06.1'],
    ]);
  });
});

// ---------- the screen ----------

describe('costs screen, as a person sees it', () => {
  async function screen(): Promise<string> {
    const { CostsScreen } = await load<Screen>('CostsScreen.tsx');
    return render(h(CostsScreen));
  }

  it('shows the fleet’s month in figures, in English: totals, the target, unpriced calls, rates, anomaly, budgets', async () => {
    core();
    await fleet31();
    const html = await screen();

    const total = el(html, 'cost-total');
    expect(text(total)).toContain('Spent in the range $64.61');
    // A day of the range has no rate: the ₸ figure is in dollars, marked and said.
    expect(total).toContain('cost-fallback-mark');
    expect(text(total)).toContain('in US dollars: a day of it has no USD→KZT rate');
    expect(has(html, 'cost-projection')).toBe(false);
    expect(text(el(html, 'cost-calls'))).toBe('Calls 81,013');
    expect(text(el(html, 'cost-conversations'))).toBe('Conversations 27,945');
    expect(text(el(html, 'cost-tokens'))).toBe('Tokens in / out 41.4M / 5.2M in 41,374,300 · out 5,153,330');

    const perConversation = el(html, 'cost-per-conversation');
    expect(perConversation).toContain('data-tone="ok"');
    expect(text(perConversation)).toContain('1.59 ₸ median (p50)');
    expect(text(perConversation)).toContain('95th percentile (p95): 7.28 ₸');
    expect(text(perConversation)).toContain('under the 5 ₸ target');
    expect(text(perConversation)).toContain('12 % of conversations cost 5 ₸ or more');

    const unpriced = el(html, 'cost-unpriced');
    expect(unpriced).toContain('data-tone="warning"');
    expect(text(unpriced)).toContain('930 calls unpriced — their cost is unknown, not zero');

    expect(text(el(html, 'cost-rates-note'))).toBe(
      '₸ at the National Bank rate of each day; latest 512.34 on 4 Dec 2026. Prices: table 2026-12-06.1.',
    );
    expect(text(el(html, 'cost-rates-missing'))).toContain(
      'Days of the range without a USD→KZT rate (1): 5 Nov 2026. Their tenge are unknown',
    );

    const byDay = el(html, 'cost-by-day');
    expect(byDay).toContain('data-days="31"');
    expect(byDay).toContain('data-anomalies="2026-11-24"');
    expect(byDay).toContain('data-live="2026-12-05"');
    // One day has no tenge: the chart is drawn in dollars, and says so.
    expect(byDay).toContain('data-currency="USD"');
    expect(has(byDay, 'cost-by-day-in-usd')).toBe(true);
    const summary = text(el(byDay, 'cost-by-day-summary'));
    expect(summary).toContain('The costliest day is 24 Nov: $6.85.');
    expect(summary).toContain('Anomalies: 24 Nov (3.3× the 7-day median ($2.08)).');
    expect(summary).toContain('5 Dec is today: its figure is live and still growing.');
    const anomalyRow = el(byDay, '2026-11-24', 'data-day');
    expect(anomalyRow).toContain('cost-row-anomaly');
    expect(text(anomalyRow)).toContain('3.3× the 7-day median ($2.08)');
    expect(text(el(byDay, '2026-12-05', 'data-day'))).toContain('today, live');
    expect(el(byDay, '2026-11-20', 'data-day')).not.toContain('cost-row-anomaly');

    expect(el(html, 'cost-by-stage')).toContain(
      'data-stages="classifier,faq,complex,embedding,knowledge,other"',
    );
    expect(text(el(html, 'cost-by-stage-summary'))).toContain(
      'Complex $50.44 (78 %), Embedding $0.0101 (< 0.1 %), Knowledge base $0.0043 (< 0.1 %)',
    );
    const unpricedModel = el(el(html, 'cost-by-model'), 'mistral-small-2503', 'data-model');
    expect(unpricedModel).toContain('data-unpriced="930"');
    expect(text(unpricedModel)).toContain('unpriced: cost unknown');

    const tenants = el(html, 'cost-tenants');
    expect(attrs(tenants, 'data-tenant')).toEqual(['acme', 'clinic', 'bakery']);
    const acme = el(tenants, 'cost-tenant-budget-acme');
    expect(acme).toContain('data-tone="warning"');
    expect(text(acme)).toBe('84 % of 2,703 ₸');
    const clinic = el(tenants, 'cost-tenant-budget-clinic');
    expect(clinic).toContain('data-tone="error"');
    expect(text(clinic)).toBe('107 % of $2.70');
    expect(text(el(tenants, 'bakery', 'data-tenant'))).toContain('no budget');

    const top = el(html, 'cost-top-conversations');
    expect(attrs(top, 'data-conversation')).toEqual([CONV[0], CONV[1], CONV[2]]);
    expect(text(el(top, CONV[0], 'data-conversation'))).toContain('acme almaty-1 c0ffee00… 14 21.11 ₸');
    expect(el(top, CONV[0], 'data-conversation')).toContain('data-over="true"');

    expect(text(el(html, 'cost-router-saving'))).toBe(
      'Saved $57.94 of $122.54 (47 %) that the same calls would have cost all sent to the complex model.',
    );
  });

  it('shows the same in Russian, with Russian numbers', async () => {
    core();
    await fleet31();
    await setLanguage('ru');
    const html = await screen();
    expect(text(el(html, 'cost-total'))).toContain('Потрачено за период 64,61 $');
    expect(text(el(html, 'cost-calls'))).toBe('Вызовы 81 013');
    expect(text(el(html, 'cost-tokens'))).toContain('41,4 млн / 5,2 млн');
    expect(text(el(html, 'cost-unpriced'))).toContain(
      '930 вызовов без цены — их стоимость неизвестна, а не равна нулю',
    );
    expect(text(el(html, 'cost-per-conversation'))).toContain('ниже цели 5 ₸');
    expect(text(el(html, 'cost-rates-note'))).toContain('последний — 512,34 на 4 дек. 2026 г.');
    expect(text(el(html, 'cost-by-day-summary'))).toContain(
      'Аномалии: 24 нояб. (3,3× медианы за 7 дней (2,08 $)).',
    );
    expect(text(el(html, 'cost-tenant-budget-acme'))).toBe('84 % из 2 703 ₸');
    expect(text(el(html, 'cost-router-saving'))).toContain('Сэкономлено 57,94 $ из 122,54 $ (47 %)');
    expect(text(el(html, 'cost-tenants'))).toContain('По клиентам');
  });

  it('the currency toggle changes the figures: tenge by default, dollars when asked', async () => {
    core();
    await fleet31();
    const inKzt = await screen();
    expect(text(el(el(inKzt, 'cost-by-day'), '2026-11-24', 'data-day'))).toContain('3,490.81 ₸');
    expect(text(el(inKzt, 'cost-per-conversation'))).toContain('1.59 ₸');
    expect(el(inKzt, 'cost-currency-KZT')).toContain('aria-pressed="true"');

    useCosts.getState().setCurrency('USD');
    const inUsd = await screen();
    expect(text(el(el(inUsd, 'cost-by-day'), '2026-11-24', 'data-day'))).toContain('$6.85');
    expect(text(el(el(inUsd, 'cost-by-day'), '2026-11-24', 'data-day'))).not.toContain('₸');
    expect(text(el(inUsd, 'cost-per-conversation'))).toContain('$0.0031');
    expect(el(inUsd, 'cost-currency-USD')).toContain('aria-pressed="true"');
    // In dollars nothing falls back: no mark.
    expect(el(inUsd, 'cost-total')).not.toContain('cost-fallback-mark');
  });

  it('this month: the projection to the month’s end, in tenge with dollars beneath', async () => {
    const f = core();
    await useCosts.getState().load();
    expect(callsOf(f, 'cost.view')).toEqual([{}]);
    const html = await screen();
    expect(text(el(html, 'cost-projection'))).toBe('Projected to 31 Dec 32,420.88 ₸ $63.28');
    expect(text(el(html, 'cost-total'))).toBe('Spent in the range 4,698.08 ₸ $9.19');
    expect(has(html, 'cost-rates-missing')).toBe(false);
  });

  it('one tenant: no tenant table; its budget with its bar, and the router switched to the cheapest models', async () => {
    const f = core();
    useCosts.getState().setScope({ host: 'almaty-2', tenant: 'clinic' });
    await flush();
    expect(callsOf(f, 'cost.budget')).toEqual([{ host: 'almaty-2', tenant: 'clinic' }]);
    const html = await screen();
    expect(has(html, 'cost-tenants')).toBe(false);
    const budget = el(html, 'cost-budget');
    expect(text(budget)).toContain('Monthly budget of clinic · December 2026');
    expect(text(el(budget, 'cost-budget-value'))).toBe('$2.70');
    expect(text(el(budget, 'cost-budget-spent'))).toBe('$2.89');
    const meter = el(budget, 'cost-budget-meter');
    expect(meter).toContain('data-tone="error"');
    expect(meter).toContain('aria-valuenow="100"');
    expect(text(meter)).toBe('107 % of $2.70');
    expect(text(el(budget, 'cost-budget-downgraded'))).toContain(
      'The budget was reached: the router switched to the cheapest models',
    );
    expect(text(el(budget, 'cost-budget-downgraded'))).toContain(
      'Models before: complex: gpt-4.1, faq: gpt-4.1-mini',
    );
    expect(el(budget, 'cost-budget-action-cheapest')).toContain('checked=""');
    expect(text(budget)).toContain(
      'once the budget is reached the tenant’s router switches to its cheapest models',
    );
    expect(has(budget, 'cost-budget-remove')).toBe(true);
  });

  it('a tenant without a budget says so and offers to set one', async () => {
    core();
    useCosts.getState().setScope({ host: 'almaty-1', tenant: 'bakery' });
    await flush();
    const budget = el(await screen(), 'cost-budget');
    expect(text(el(budget, 'cost-budget-none'))).toBe(
      'No budget: nothing warns when this tenant’s spend grows.',
    );
    expect(has(budget, 'cost-budget-save')).toBe(true);
    expect(has(budget, 'cost-budget-remove')).toBe(false);
  });

  it('the conversation dialog shows the messages, who wrote them, and each message’s calls', async () => {
    core();
    await fleet31();
    const row = useCosts.getState().view?.conversations.top[0];
    if (!row) throw new Error('no conversation');
    const { ConversationBody } = await load<Dialog>('ConversationDialog.tsx');
    const opening = useCosts.getState().openConversation(row);
    const state0 = useCosts.getState().conversation;
    if (!state0) throw new Error('not opened');
    expect(text(render(h(ConversationBody, { state: state0 })))).toBe('Reading the conversation…');
    await opening;
    const state = useCosts.getState().conversation;
    if (!state) throw new Error('closed');
    const html = render(h(ConversationBody, { state }));
    expect(attrs(html, 'data-sender')).toEqual(['customer', 'bot', 'customer', 'bot', 'operator']);
    const all = text(html);
    expect(all).toContain('Customer');
    expect(all).toContain('Operator');
    expect(all).toContain('Доставка по Алматы — 1 500 ₸, бесплатно от 20 000 ₸.');
    expect(all).toContain('intent: delivery_price');
    expect(all).toContain('classifier gpt-4.1-mini 352 4 $0.000147');
    // The second bot message: two priced calls and one of a model with no price.
    expect(all).toContain('other mistral-small-2503 400 80 unpriced');
    expect(all).toContain('This message $0.00743 + 1 unpriced');
    expect(all).toContain('This message $0.000748');
    expect(text(el(html, 'cost-conversation-cost'))).toContain('21.11 ₸');
    await setLanguage('ru');
    const inRu = text(render(h(ConversationBody, { state })));
    expect(inRu).toContain('Покупатель');
    expect(inRu).toContain('Оператор');
    expect(inRu).toContain('без цены');
  });

  it('an empty range says there were no calls; a failed read shows its error, in the UI language', async () => {
    core({ 'cost.view': () => ok(emptyView()) });
    useCosts.getState().setRange({ preset: 'custom', from: '2026-10-01', to: '2026-10-07' });
    await flush();
    let html = await screen();
    expect(text(el(html, 'cost-empty'))).toBe(
      'No calls in this range (1 Oct 2026 – 7 Oct 2026): nothing was spent.',
    );
    expect(has(html, 'cost-total')).toBe(false);

    core({ 'cost.view': () => fail('cost.unavailable', 'AI cost is being built.', 'Update the console.') });
    await useCosts.getState().load();
    html = await screen();
    const banner = text(el(html, 'error-banner'));
    expect(banner).toContain('AI cost is being built.');
    expect(banner).toContain('What to do: Update the console.');

    // The renderer's own errors are worded in the UI language.
    core({ 'cost.view': () => fail('bridge.disconnected', 'The connection to the console server is lost.') });
    await useCosts.getState().load();
    await setLanguage('ru');
    html = await screen();
    expect(el(html, 'error-banner')).toContain('data-code="bridge.disconnected"');
    expect(text(el(html, 'error-banner'))).toMatch(/[А-Яа-я]/);
    expect(text(el(html, 'error-banner'))).not.toContain('The connection to the console server is lost.');
  });

  it('prices & rates: the tables with version, unchecked entries and the tenant override; rates per host', async () => {
    core();
    useCosts.getState().setTab('prices');
    await flush();
    const html = await screen();
    expect(el(html, 'cost-tab-prices')).toContain('aria-selected="true"');
    const prices = el(html, 'cost-prices');
    // The two hosts hold the same table: shown once.
    expect(text(prices)).toContain('almaty-1, almaty-2 · table 2026-12-06.1');
    expect(attrs(prices, 'data-testid').filter((x) => x === 'cost-price-unchecked')).toHaveLength(2);
    expect(text(el(prices, 'cost-price-override'))).toBe('only acme');
    expect(text(el(prices, 'gpt-4.1', 'data-model'))).toContain('$2.00 $0.50 $8.00');
    const rates = text(el(html, 'cost-rates'));
    expect(rates).toContain('almaty-1 21 days; latest 512.34 on 4 Dec 2026');
    expect(rates).toContain('almaty-2 21 days; latest 512.34 on 4 Dec 2026');
  });

  it('re-price: the dry run’s result, then Apply with a confirmation that shows the difference again', async () => {
    const f = core();
    useCosts.getState().setTab('prices');
    await useCosts
      .getState()
      .repriceDryRun({ host: 'almaty-1', tenant: 'acme', from: '2026-11-01', to: '2026-11-30' });
    let html = await screen();
    const dry = el(html, 'cost-reprice');
    expect(dry).toContain('data-applied="false"');
    expect(text(dry)).toContain('Dry run: nothing written');
    expect(text(el(dry, 'cost-reprice-change'))).toBe('$12.40 → $13.10 (+$0.70)');
    expect(text(el(dry, 'cost-reprice-changed'))).toBe('412');
    expect(text(el(dry, 'gpt-4.1-mini', 'data-model'))).toBe('gpt-4.1-mini 409 $9.10 $9.80 +$0.70');
    expect(has(html, 'cost-reprice-apply')).toBe(true);

    const { RepriceConfirmBody, RepriceResult } = await load<Reprice>('RepricePanel.tsx');
    const r = useCosts.getState().reprice?.dry;
    if (!r) throw new Error('no dry run');
    expect(text(render(h(RepriceConfirmBody, { dry: r })))).toBe(
      '412 of 1,840 calls of acme from 2026-11-01 to 2026-11-30 get the prices of table 2026-12-06.1: $12.40 → $13.10 (+$0.70) ' +
        'The stored cost of those calls is replaced and the days’ figures follow. Only another re-price changes them again.',
    );

    useCosts.getState().askApplyReprice();
    await useCosts.getState().applyReprice();
    expect(callsOf(f, 'cost.reprice').map((i) => (i as { apply: boolean }).apply)).toEqual([false, true]);
    html = await screen();
    expect(el(html, 'cost-reprice')).toContain('data-applied="true"');
    expect(text(el(html, 'cost-reprice'))).toContain('Applied');
    expect(has(html, 'cost-reprice-apply')).toBe(false);

    await setLanguage('ru');
    expect(text(render(h(RepriceResult, { r: reprice(false) })))).toContain(
      '12,40 $ → 13,10 $ (разница +0,70 $)',
    );
  });
});

// ---------- the strings ----------

type Tree = { [k: string]: string | Tree };
function flatten(t: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

describe('costs: strings', () => {
  it('every English cost string has a Russian one with the same placeholders, translated', () => {
    const e = flatten(en.costs as unknown as Tree);
    const r = flatten(ru.costs as unknown as Tree);
    expect(e.size).toBeGreaterThan(250);
    expect([...r.keys()].sort()).toEqual([...e.keys()].sort());
    const vars = (s: string): string[] => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? '').sort();
    for (const [k, v] of e) {
      const rv = r.get(k) ?? '';
      expect(rv.trim(), k).not.toBe('');
      expect(rv, k).not.toBe(v);
      expect(vars(rv), k).toEqual(vars(v));
    }
  });
});

/** The fixture agrees with itself (its sums are of the same rows): what the tests above lean on. */
describe('costs: the fixture', () => {
  it('its days add up to its totals, its tenants too, and it has what the screen must show', () => {
    const v: CostView = costView();
    expect(v.byDay).toHaveLength(31);
    expect(new Decimal(sumDecimals(v.byDay.map((d) => d.cost.usd))).eq(v.totals.cost.usd)).toBe(true);
    expect(new Decimal(sumDecimals(v.byTenant.map((t) => t.cost.usd))).eq(v.totals.cost.usd)).toBe(true);
    expect(new Decimal(sumDecimals(v.byModel.map((m) => m.cost.usd))).eq(v.totals.cost.usd)).toBe(true);
    expect(v.byDay.filter((d) => d.anomaly).map((d) => d.day)).toEqual(['2026-11-24']);
    expect(v.rates.missing).toEqual(['2026-11-05']);
    expect(v.byModel.find((m) => m.model === 'mistral-small-2503')?.unpricedCalls).toBeGreaterThan(0);
    expect(new Set(v.byTenant.map((t) => t.host))).toEqual(new Set(['almaty-1', 'almaty-2']));
  });
});
