/**
 * The cost methods of the agent's door (CostMethods in src/shared/agent/cost.ts): each request's
 * params checked by hand (the agent has no schema library; the console validated them against the
 * contract too), then handed to the CostEngine.
 */
import type { PriceEntry } from '../shared/cost/prices';
import type { Rate } from '../shared/cost/view';
import type { CostEngine } from './cost/engine';
import { RequestError } from './server';

type Params = Record<string, unknown>;
type Method = (p: Params) => unknown;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

function str(p: Params, key: string, max = 255, re?: RegExp): string {
  const v = p[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max || (re && !re.test(v)))
    throw new RequestError('bad-request', `${key} is missing or malformed.`);
  return v;
}

function entries(v: unknown): PriceEntry[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 200)
    throw new RequestError('bad-request', 'entries must list 1 to 200 price entries.');
  return v.map((raw: unknown, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const usd = (e['usd'] ?? {}) as Record<string, unknown>;
    const bad = (what: string): never => {
      throw new RequestError('bad-request', `entries[${i}]: ${what}.`);
    };
    if (typeof e['provider'] !== 'string' || !e['provider']) bad('provider is missing');
    if (typeof e['model'] !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,99}$/.test(e['model'] as string))
      bad('model is not a model name');
    for (const k of ['input', 'cachedInput', 'output'])
      if (usd[k] !== undefined && (typeof usd[k] !== 'string' || !DECIMAL.test(usd[k] as string)))
        bad(`usd.${k} is not a decimal`);
    if (typeof usd['input'] !== 'string') bad('usd.input is missing');
    if (typeof e['from'] !== 'string' || !DAY.test(e['from'] as string)) bad('from is not a day');
    if (
      e['to'] !== undefined &&
      (typeof e['to'] !== 'string' ||
        !DAY.test(e['to'] as string) ||
        (e['to'] as string) <= (e['from'] as string))
    )
      bad('to is not a day after from');
    return {
      provider: e['provider'] as string,
      model: e['model'] as string,
      usd: {
        input: usd['input'] as string,
        ...(usd['cachedInput'] !== undefined ? { cachedInput: usd['cachedInput'] as string } : {}),
        ...(usd['output'] !== undefined ? { output: usd['output'] as string } : {}),
      },
      from: e['from'] as string,
      ...(e['to'] !== undefined ? { to: e['to'] as string } : {}),
      source: typeof e['source'] === 'string' ? e['source'].slice(0, 300) : 'operator',
      checkedOn: typeof e['checkedOn'] === 'string' && DAY.test(e['checkedOn']) ? e['checkedOn'] : null,
      ...(typeof e['tenant'] === 'string' ? { tenant: e['tenant'] } : {}),
    };
  });
}

function rates(v: unknown): Rate[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 5000)
    throw new RequestError('bad-request', 'rates must list 1 to 5000 rates.');
  return v.map((raw: unknown, i) => {
    const r = (raw ?? {}) as Record<string, unknown>;
    if (typeof r['date'] !== 'string' || !DAY.test(r['date']))
      throw new RequestError('bad-request', `rates[${i}].date is not a day.`);
    if (typeof r['kztPerUsd'] !== 'string' || !DECIMAL.test(r['kztPerUsd']) || Number(r['kztPerUsd']) <= 0)
      throw new RequestError('bad-request', `rates[${i}].kztPerUsd is not a positive decimal.`);
    return { date: r['date'], kztPerUsd: r['kztPerUsd'] };
  });
}

export function costMethods(cost: CostEngine): Record<string, Method> {
  return {
    'cost.view': (p) =>
      cost.view(
        str(p, 'from', 10, DAY),
        str(p, 'to', 10, DAY),
        p['tenant'] === undefined ? undefined : str(p, 'tenant', 32),
      ),
    'cost.conversation': (p) => cost.conversation(str(p, 'tenant', 32), str(p, 'conversationId', 36)),
    'cost.prices': () => cost.prices(),
    'cost.pricesSet': (p) => cost.setPrices(entries(p['entries']), str(p, 'by')),
    'cost.reprice': (p) =>
      cost.reprice(
        str(p, 'tenant', 32),
        str(p, 'from', 10, DAY),
        str(p, 'to', 10, DAY),
        p['apply'] === true,
        str(p, 'by'),
      ),
    'cost.rates': async (p) => {
      const all = await cost.rateList();
      const limit = typeof p['limit'] === 'number' && p['limit'] > 0 ? Math.min(p['limit'], 5000) : 60;
      return { count: all.length, rates: all.slice(-limit).reverse() };
    },
    'cost.ratesImport': (p) => cost.importRates(rates(p['rates']), str(p, 'by')),
    'cost.budget': (p) => cost.budget(str(p, 'tenant', 32)),
    'cost.budgetSet': (p) => {
      const b = p['budget'];
      if (b !== null && (typeof b !== 'object' || Array.isArray(b)))
        throw new RequestError('bad-request', 'budget must be an object or null.');
      return cost.setBudget(str(p, 'tenant', 32), b as never, str(p, 'by'));
    },
  };
}
