/**
 * AI prices as data (issue 16): a versioned table shipped with the console, USD per 1M tokens by
 * usage type, each entry valid from a date (and until one), with its source. A call is priced by
 * the entry in force at its time, matched by the longest model-name prefix of its provider; a
 * model no entry matches is *unpriced* (null), never free. Money is exact: decimal.js, prices
 * and costs as decimal strings. No price is fetched at run time.
 *
 * First step of issue 16: the table and the arithmetic. Not yet used by the workflows or views.
 */
import Decimal from 'decimal.js';

export type UsageKind = 'input' | 'cachedInput' | 'output';

export interface PriceEntry {
  provider: string;
  /** Model-name prefix: `gpt-4.1` matches `gpt-4.1-2025-04-14` (and not `gpt-4.1-mini`, which has its own, longer entry). */
  model: string;
  /** USD per 1M tokens, as decimal strings. Embeddings have only `input`. */
  usd: { input: string; cachedInput?: string; output?: string };
  /** In force from this day (inclusive, UTC), until `to` (exclusive) or for good. */
  from: string;
  to?: string;
  /** Where the figure comes from, and when it was last checked against it (null: not checked from here). */
  source: string;
  checkedOn: string | null;
  /** Only for this tenant: an override of the host's table (its entry wins at the same prefix length). */
  tenant?: string;
}

export interface PriceTable {
  version: string;
  entries: PriceEntry[];
}

const OPENAI = 'https://openai.com/api/pricing/';
const GOOGLE = 'https://ai.google.dev/gemini-api/docs/pricing';
const ANTHROPIC = 'https://www.anthropic.com/pricing#api';
const SPEC = 'Truffles platform spec §5.3';

/**
 * The table this console ships. The list prices are the providers' published ones as last known
 * to us; this build machine has no Internet, so `checkedOn` is null until someone checks them
 * against the source and records the day (a new version of the table, never an edit in place).
 */
export const PRICE_TABLE: PriceTable = {
  version: '2026-12-06.1',
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
      checkedOn: null,
    },
    {
      provider: 'openai',
      model: 'gpt-4.1-nano',
      usd: { input: '0.10', cachedInput: '0.025', output: '0.40' },
      from: '2025-04-14',
      source: OPENAI,
      checkedOn: null,
    },
    {
      provider: 'openai',
      model: 'gpt-4o',
      usd: { input: '2.50', cachedInput: '1.25', output: '10.00' },
      from: '2024-10-01',
      source: OPENAI,
      checkedOn: null,
    },
    {
      provider: 'openai',
      model: 'gpt-4o-mini',
      usd: { input: '0.15', cachedInput: '0.075', output: '0.60' },
      from: '2024-07-18',
      source: OPENAI,
      checkedOn: null,
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
      model: 'text-embedding-3-large',
      usd: { input: '0.13' },
      from: '2024-01-25',
      source: OPENAI,
      checkedOn: null,
    },
    {
      provider: 'openai',
      model: 'text-embedding-ada-002',
      usd: { input: '0.10' },
      from: '2022-12-15',
      source: OPENAI,
      checkedOn: null,
    },
    {
      provider: 'google',
      model: 'gemini-2.0-flash',
      usd: { input: '0.10', cachedInput: '0.025', output: '0.40' },
      from: '2025-02-05',
      source: GOOGLE,
      checkedOn: null,
    },
    {
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      usd: { input: '3.00', cachedInput: '0.30', output: '15.00' },
      from: '2025-05-22',
      source: ANTHROPIC,
      checkedOn: null,
    },
    {
      provider: 'local',
      model: 'llama3.3',
      usd: { input: '0', output: '0' },
      from: '2024-12-06',
      source: `${SPEC} (a local model: no per-token price)`,
      checkedOn: null,
    },
  ],
};

/**
 * The entry in force for `model` at `at` (the longest prefix), or null: unpriced. Matched by the
 * model's name alone: a gateway answers Gemini or Claude names under the provider "openai".
 */
export function priceFor(model: string, at: Date, table: PriceTable = PRICE_TABLE): PriceEntry | null {
  const day = at.toISOString().slice(0, 10);
  let best: PriceEntry | null = null;
  for (const e of table.entries) {
    if (!model.startsWith(e.model)) continue;
    // A prefix must end at a word boundary: `gpt-4o` does not price `gpt-4omni`.
    const next = model.charAt(e.model.length);
    if (next && !/[-_.:@/]/.test(next)) continue;
    if (day < e.from || (e.to && day >= e.to)) continue;
    if (
      !best ||
      e.model.length > best.model.length ||
      (e.model.length === best.model.length && e.from > best.from)
    )
      best = e;
  }
  return best;
}

export interface Usage {
  input: number;
  cachedInput?: number;
  output?: number;
}

/**
 * USD of one call, exact, as a decimal string (no rounding: a 20-token embedding call is
 * 0.0000004, not 0); null when unpriced. Cached input tokens are part of `input` (as OpenAI
 * reports them) and priced at `cachedInput` when the entry has one.
 */
export function costUsd(entry: PriceEntry | null, usage: Usage): string | null {
  if (!entry) return null;
  const cached = Math.min(usage.cachedInput ?? 0, usage.input);
  const fresh = usage.input - cached;
  const p = entry.usd;
  const total = new Decimal(fresh)
    .mul(p.input)
    .plus(new Decimal(cached).mul(p.cachedInput ?? p.input))
    .plus(new Decimal(usage.output ?? 0).mul(p.output ?? '0'))
    .div(1_000_000);
  return total.toFixed();
}

/** Exact sum of decimal strings (null entries are skipped; count them apart as unpriced). */
export function sumUsd(values: Array<string | null>): string {
  return values.reduce<Decimal>((s, v) => (v === null ? s : s.plus(v)), new Decimal(0)).toFixed();
}
