import { describe, expect, it } from 'vitest';
import {
  pdTester,
  phonePattern,
  phoneVariants,
  redactJson,
  redactText,
  redisKeyPatterns,
  retentionEnd,
} from '../../src/main/core/privacy/match';
import { PhoneSchema, phoneDigits } from '../../src/shared/contract/privacy';

describe('personal-data matching', () => {
  it('finds a phone however it is written, in the domestic form too, and not inside a longer number', () => {
    const re = new RegExp(phonePattern('77015550177'));
    for (const t of ['+77015550177', 'tel: +7 701 555-01-77.', '8 (701) 555 01 77', '7(701)5550177'])
      expect(re.test(t), t).toBe(true);
    for (const t of ['177015550177', '770155501770', '+7 701 555 01 78', '7701555017'])
      expect(re.test(t), t).toBe(false);
    expect(phoneVariants('77015550177')).toEqual(['77015550177', '87015550177']);
    expect(phoneVariants('4915112345678')).toEqual(['4915112345678']);
  });

  it('matches the emails case-insensitively and treats their dots literally', () => {
    const has = pdTester('77015550177', ['a.b@example.kz']);
    expect(has('write to A.B@Example.KZ')).toBe(true);
    expect(has('axb@example.kz')).toBe(false);
  });

  it('redacts every occurrence, in texts and in JSON keys and values', () => {
    expect(redactText('call 8 701 555 01 77 or +77015550177, x@y.kz', '77015550177', ['X@y.kz'])).toBe(
      'call [erased] or [erased], [erased]',
    );
    expect(
      redactJson({ text: 'p: 77015550177', n: 3, nested: [{ '77015550177': 'yes' }] }, '77015550177', []),
    ).toEqual({ text: 'p: [erased]', n: 3, nested: [{ '[erased]': 'yes' }] });
  });

  it('asks Redis for keys with the digits, the email or an id, glob characters escaped', () => {
    expect(redisKeyPatterns('77015550177', ['a*b@x.kz'], ['id-1'])).toEqual([
      '*77015550177*',
      '*87015550177*',
      '*a\\*b@x.kz*',
      '*id-1*',
    ]);
  });

  it('validates the phone: separators allowed, letters and short numbers refused', () => {
    expect(PhoneSchema.parse(' +7 (701) 555-01-77 ')).toBe('+7 (701) 555-01-77');
    expect(phoneDigits('+7 (701) 555-01-77')).toBe('77015550177');
    expect(PhoneSchema.safeParse('12345').success).toBe(false);
    expect(PhoneSchema.safeParse('+7 701 abc').success).toBe(false);
  });

  it('says when the retention rule removes the last backup that holds the data', () => {
    const rule = { daily: 7, weekly: 4 };
    expect(retentionEnd([], rule)).toBeNull();
    const manual = retentionEnd([{ id: '20261201T000000Z-manual', createdAt: '2026-12-01T00:00:00Z' }], rule);
    expect(manual?.toISOString()).toBe('2026-12-09T00:00:00.000Z');
    const scheduled = retentionEnd(
      [{ id: '20261201T000000Z-scheduled', createdAt: '2026-12-01T00:00:00Z' }],
      rule,
    );
    expect(scheduled?.toISOString()).toBe('2027-01-05T00:00:00.000Z');
    expect(
      retentionEnd([{ id: '20261201T000000Z-final', createdAt: '2026-12-01T00:00:00Z' }], rule),
    ).toBeNull();
  });
});
