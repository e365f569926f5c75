import { describe, expect, it } from 'vitest';
import { costUsd, priceFor, PRICE_TABLE, sumUsd } from '../../src/shared/cost/prices';
import type { PriceTable } from '../../src/shared/cost/prices';

const at = new Date('2026-11-15T12:00:00Z');

describe('cost: prices as data', () => {
  it('prices a model by its longest prefix at a word boundary, and leaves an unknown one unpriced', () => {
    expect(priceFor('gpt-4.1-mini-2025-04-14', at)?.model).toBe('gpt-4.1-mini');
    expect(priceFor('gpt-4.1-2025-04-14', at)?.model).toBe('gpt-4.1');
    expect(priceFor('gpt-4.1', at)?.usd.output).toBe('8.00');
    expect(priceFor('gpt-4omni', at)).toBeNull();
    expect(priceFor('mystery-model', at)).toBeNull();
    expect(costUsd(priceFor('mystery-model', at), { input: 100 })).toBeNull();
  });

  it('costs a 20-token embedding call more than zero, exactly', () => {
    const e = priceFor('text-embedding-3-small', at);
    expect(costUsd(e, { input: 20 })).toBe('0.0000004');
    expect(costUsd(priceFor('gpt-4.1-mini', at), { input: 140, output: 11 })).toBe('0.0000736');
    // cached input at its own price
    expect(costUsd(priceFor('gpt-4.1', at), { input: 1_000_000, cachedInput: 400_000, output: 0 })).toBe(
      '1.4',
    );
    expect(sumUsd(['0.1', '0.2', null, '0.0000004'])).toBe('0.3000004');
  });

  it('uses the version in force at the call’s time', () => {
    const table: PriceTable = {
      version: 't',
      entries: [
        {
          provider: 'openai',
          model: 'm',
          usd: { input: '1' },
          from: '2026-01-01',
          to: '2026-11-01',
          source: 's',
          checkedOn: null,
        },
        {
          provider: 'openai',
          model: 'm',
          usd: { input: '2' },
          from: '2026-11-01',
          source: 's',
          checkedOn: null,
        },
      ],
    };
    expect(priceFor('m', new Date('2026-10-31T23:59:59Z'), table)?.usd.input).toBe('1');
    expect(priceFor('m', new Date('2026-11-01T00:00:00Z'), table)?.usd.input).toBe('2');
    expect(priceFor('m', new Date('2025-12-31T00:00:00Z'), table)).toBeNull();
  });

  it('has one entry per model and day, each with a source, every price a decimal string', () => {
    const keys = PRICE_TABLE.entries.map((e) => `${e.model}@${e.from}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of PRICE_TABLE.entries) {
      expect(e.source).toMatch(/\S/);
      for (const v of Object.values(e.usd)) expect(v).toMatch(/^\d+(\.\d+)?$/);
    }
  });
});
