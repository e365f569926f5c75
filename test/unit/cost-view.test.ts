import Decimal from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { parseRatesCsv } from '../../src/main/cli/cost';
import {
  addDays,
  almatyDay,
  dayStart,
  emptyUsage,
  mergeCostParts,
  mixQuantile,
  monthEnd,
  rateOn,
  type HostCostPart,
} from '../../src/shared/cost/view';

const usage = (usd: string, kzt: string | null, calls = 1) => ({
  ...emptyUsage(),
  calls,
  inputTokens: 100 * calls,
  outputTokens: 10 * calls,
  usd,
  kzt,
});

function part(host: string, days: Array<[string, string]>, extra: Partial<HostCostPart> = {}): HostCostPart {
  return {
    host,
    priceVersion: '2026-12-06.1',
    rates: { missing: [], latest: { date: '2026-12-04', kztPerUsd: '500' } },
    days: days.map(([day, usd]) => ({
      day,
      ...usage(usd, new Decimal(usd).mul(500).toFixed()),
      live: false,
      rate: { kztPerUsd: '500', date: day },
    })),
    models: [{ provider: 'openai', model: 'gpt-4.1-mini', ...usage('1', '500') }],
    stages: [{ stage: 'faq', ...usage('1', '500') }],
    tenants: [{ tenant: `${host}-t`, ...usage('1', '500'), conversations: 2, budget: null }],
    conversations: {
      sketch: { count: 0, usd: [], kzt: [] },
      overTarget: 0,
      top: [],
    },
    router: { replies: [{ tier: 'faq', count: 3 }], savingUsd: '0.5', allComplexUsd: '2' },
    errors: [],
    ...extra,
  };
}

describe('cost days (Asia/Almaty, UTC+5)', () => {
  it('an instant belongs to its Almaty day; a day starts at 19:00 UTC the day before', () => {
    expect(almatyDay(Date.parse('2026-12-05T18:59:59Z'))).toBe('2026-12-05');
    expect(almatyDay(Date.parse('2026-12-05T19:00:00Z'))).toBe('2026-12-06');
    expect(new Date(dayStart('2026-12-06')).toISOString()).toBe('2026-12-05T19:00:00.000Z');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(monthEnd('2028-02-10')).toBe('2028-02-29');
    expect(monthEnd('2026-12-06')).toBe('2026-12-31');
  });

  it('the rate of a day is the newest on or before it (a weekend keeps Friday’s)', () => {
    const rates = [
      { date: '2026-12-03', kztPerUsd: '501' },
      { date: '2026-12-04', kztPerUsd: '502' },
      { date: '2026-12-07', kztPerUsd: '503' },
    ];
    expect(rateOn(rates, '2026-12-06')?.kztPerUsd).toBe('502');
    expect(rateOn(rates, '2026-12-07')?.kztPerUsd).toBe('503');
    expect(rateOn(rates, '2026-12-02')).toBeNull();
  });
});

describe('mergeCostParts', () => {
  const now = Date.parse('2026-12-06T10:00:00+05:00');

  it('sums hosts exactly, flags a day over 3× the median of the seven before, projects the month', () => {
    const flat = Array.from({ length: 12 }, (_, i) => addDays('2026-11-24', i));
    const a = part(
      'a',
      flat.map((d) => [d, d === '2026-12-05' ? '0.7' : '0.1']),
    );
    const b = part(
      'b',
      flat.map((d) => [d, '0.0000004']),
    );
    const v = mergeCostParts(
      [a, b],
      [
        { host: 'a', ok: true, error: null, tookMs: 1 },
        { host: 'b', ok: true, error: null, tookMs: 1 },
      ],
      { from: '2026-12-01', to: '2026-12-06' },
      now,
    );
    // Dec 1–5: four days of 0.1 and 0.7 on the 5th from a, five of 0.0000004 from b (none on the 6th)
    expect(v.totals.cost.usd).toBe('1.100002');
    expect(v.totals.cost.kzt).toBe(new Decimal(v.totals.cost.usd).mul(500).toFixed());
    const fifth = v.byDay.find((d) => d.day === '2026-12-05')!;
    expect(fifth.anomaly).toBe(true);
    expect(fifth.median7Usd).toBe('0.1000004');
    expect(v.byDay.filter((d) => d.anomaly)).toHaveLength(1);
    expect(v.byDay.at(-1)).toMatchObject({ day: '2026-12-06', live: true });
    // A month to date 5 days and 10 hours in, of 31: projected at that pace.
    const elapsed = now - dayStart('2026-12-01');
    const expected = new Decimal(v.totals.cost.usd)
      .mul(31 * 86_400_000)
      .div(elapsed)
      .toDecimalPlaces(6);
    expect(v.projection?.usd).toBe(expected.toFixed());
    expect(v.byTenant.map((t) => t.host)).toEqual(['a', 'b']);
    expect(v.router).toEqual({ replies: [{ tier: 'faq', count: 6 }], savingUsd: '1', allComplexUsd: '4' });
  });

  it('tenge is unknown (null), not zero, when a day with spend has no rate; no projection for a past range', () => {
    const a = part('a', [['2026-11-10', '1']]);
    a.days[0]!.kzt = null;
    a.days[0]!.rate = null;
    const v = mergeCostParts([a], [], { from: '2026-11-01', to: '2026-11-30' }, now);
    expect(v.totals.cost).toEqual({ usd: '1', kzt: null });
    expect(v.projection).toBeNull();
    expect(v.byDay).toHaveLength(30);
  });

  it('conversation percentiles: exact for one sketch, a weighted mixture for several', () => {
    const q = Array.from({ length: 101 }, (_, i) => String(i));
    const one = { count: 101, usd: q, kzt: q.map((x) => String(Number(x) * 500)) };
    expect(mixQuantile([one], 'usd', 0.5)).toBe('50');
    expect(mixQuantile([one], 'usd', 0.95)).toBe('95');
    const other = { count: 303, usd: q.map(() => '1000'), kzt: null };
    expect(mixQuantile([one, other], 'usd', 0.5)).toBe('1000'); // three quarters are 1000
    expect(mixQuantile([one, other], 'kzt', 0.5)).toBeNull(); // one has no tenge
  });
});

describe('parseRatesCsv', () => {
  it('reads comma, semicolon and decimal-comma lines with a header; refuses the rest with the line', () => {
    const r = parseRatesCsv(
      'date,rate\n2026-12-04,512.34\n2026-12-05;512,9\n\n# note\n2026-12-06,abc\n2026-12-07,0\n',
    );
    expect(r.rates).toEqual([
      { date: '2026-12-04', kztPerUsd: '512.34' },
      { date: '2026-12-05', kztPerUsd: '512.9' },
    ]);
    expect(r.errors).toEqual([
      'line 6: "2026-12-06,abc" is not "YYYY-MM-DD,rate"',
      'line 7: the rate must be a positive number',
    ]);
  });
});
