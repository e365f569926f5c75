import { describe, expect, it } from 'vitest';
import { isoDay, parseAccessLine, parseAccessList } from '../../src/shared/access/keys';

describe('the host access list (one parser for the console and the support door)', () => {
  it('reads each entry, with or without an end day', () => {
    const text = [
      'SHA256:aaa anna support - 2026-01-01T00:00:00Z',
      '  SHA256:ccc sam support 20261208 2026-02-01T00:00:00Z  ',
      '',
    ].join('\n');
    expect(parseAccessList(text)).toEqual([
      {
        fingerprint: 'SHA256:aaa',
        name: 'anna',
        role: 'support',
        expires: null,
        addedAt: '2026-01-01T00:00:00Z',
      },
      {
        fingerprint: 'SHA256:ccc',
        name: 'sam',
        role: 'support',
        expires: '20261208',
        addedAt: '2026-02-01T00:00:00Z',
      },
    ]);
    expect(isoDay('20261208')).toBe('2026-12-08');
  });

  it('leaves out what is not an entry: blank, short, no fingerprint, the @me line', () => {
    for (const line of [
      '',
      '   ',
      '@me SHA256:aaa',
      'anna support - 2026',
      'MD5:aa anna support - 2026',
      'SHA256:a b c d',
    ])
      expect(parseAccessLine(line), line).toBeNull();
    // An end day that is not YYYYMMDD is no end day (as the grant script writes only those or -).
    expect(parseAccessLine('SHA256:a b support 2026-12-08 x')?.expires).toBeNull();
  });
});
