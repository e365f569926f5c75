import { FINGERPRINT, hostView } from '../helpers/views';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/shared/contract';
import { en } from '../../src/renderer/src/i18n/en';
import { ru, ruSchemaMessages } from '../../src/renderer/src/i18n/ru';
import {
  addInputFromDraft,
  emptyDraft,
  validateDraft,
} from '../../src/renderer/src/features/hosts/validation';
import type { HostDraft } from '../../src/renderer/src/features/hosts/validation';
import {
  diskLevel,
  effectiveStatus,
  formatBytes,
  formatUptime,
  hostKeyFile,
} from '../../src/renderer/src/kit/format';
import type { HostCheck } from '../../src/shared/contract';

const FP = FINGERPRINT;
const good: HostDraft = {
  ...emptyDraft,
  name: 'almaty-1',
  address: '203.0.113.10',
  port: '2222',
  user: 'root',
};

describe('add-host form validation', () => {
  it('accepts a good draft, and what it sends passes the contract schema', () => {
    expect(validateDraft(good)).toEqual({});
    for (const d of [
      good,
      { ...good, authKind: 'keyFile' as const, keyPath: '~/.ssh/id_ed25519', passphrase: 'p' },
      { ...good, authKind: 'storedKey' as const, keyText: '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n' },
    ]) {
      const input = addInputFromDraft(d, FP);
      expect(() => commands['hosts.add'].input.parse(input)).not.toThrow();
    }
    expect(addInputFromDraft(good, FP)).toMatchObject({
      port: 2222,
      auth: { kind: 'agent' },
      acceptFingerprint: FP,
    });
    // An empty passphrase is not sent.
    expect(addInputFromDraft({ ...good, authKind: 'keyFile', keyPath: 'k' }, FP).auth).toEqual({
      kind: 'keyFile',
      path: 'k',
    });
  });

  it('reports each bad field with the contract’s own message', () => {
    const errors = validateDraft({ ...emptyDraft, name: 'bad name', port: '70000', authKind: 'keyFile' });
    expect(Object.keys(errors).sort()).toEqual(['address', 'key-path', 'name', 'port', 'user']);
    expect(errors.name).toMatch(/only letters, digits/);
    expect(errors.port).toBe('Port must be between 1 and 65535.');
    expect(validateDraft({ ...good, port: 'abc' }).port).toBe('Port must be a number between 1 and 65535.');
    expect(validateDraft({ ...good, port: '' }).port).toBeTruthy();
    expect(validateDraft({ ...good, authKind: 'storedKey' })['key-text']).toMatch(/Private key is empty/);
  });

  it('every validation message the form can show has a Russian version', () => {
    const drafts: HostDraft[] = [
      { ...emptyDraft, port: 'x', authKind: 'keyFile' },
      { ...emptyDraft, name: '-x', address: 'a b', port: '0', user: '-', authKind: 'storedKey' },
      { ...emptyDraft, name: 'x'.repeat(64), address: 'a'.repeat(254), port: '1.5', user: 'u'.repeat(65) },
    ];
    const messages = new Set(drafts.flatMap((d) => Object.values(validateDraft(d))));
    expect(messages.size).toBeGreaterThan(8);
    for (const m of messages) expect(ruSchemaMessages[m], m).toBeTruthy();
  });
});

type Tree = { [k: string]: string | Tree };
function flatten(t: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

describe('translations', () => {
  const e = flatten(en as Tree);
  const r = flatten(ru as unknown as Tree);

  it('Russian has exactly the English keys, none empty, with the same {{placeholders}}', () => {
    expect([...r.keys()].sort()).toEqual([...e.keys()].sort());
    for (const [k, v] of e) {
      const rv = r.get(k) ?? '';
      expect(rv.trim(), k).not.toBe('');
      const vars = (s: string): string[] => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? '').sort();
      expect(vars(rv), k).toEqual(vars(v));
    }
  });

  it('Russian is actually translated (Cyrillic), apart from names and units that stay as they are', () => {
    const same = [...e].filter(([k, v]) => r.get(k) === v).map(([k]) => k);
    // Product names, protocol names, version labels and plan names are the same in both languages
    // (and the alerts' bare patterns: `{{from}}–{{to}} ({{zone}})`).
    expect(
      same.every((k) =>
        /^(app\.name|kind\.ssh|auth\.agent|common\.none|hosts\.col\.docker|hosts\.signal\.docker|import\.(agent|alias)|details\.(docker|compose|composeV2|dockerApi)|plan\.(pro|enterprise)|tenants\.modulesMore|alerts\.kind\.fail2ban|alerts\.host\.(telegram|failure|quietValue|window)|inbox\.tenantOption|inbox\.channels\.(whatsapp|telegram|instagram)|privacy\.store\.(postgres|qdrant|redis|n8n))$/.test(
          k,
        ),
      ),
      same.join(', '),
    ).toBe(true);
    expect(r.get('nav.hosts')).toBe('Хосты');
  });
});

describe('formatting', () => {
  const units = {
    B: 'B',
    KiB: 'KiB',
    MiB: 'MiB',
    GiB: 'GiB',
    TiB: 'TiB',
    day: 'd',
    hour: 'h',
    minute: 'min',
  };
  it('sizes and durations', () => {
    expect(formatBytes(512, 'en', units)).toBe('512 B');
    expect(formatBytes(3.84 * 1024 ** 3, 'en', units)).toBe('3.8 GiB');
    expect(formatBytes(3.84 * 1024 ** 3, 'ru', units)).toBe('3,8 GiB');
    expect(formatBytes(200 * 1024 ** 3, 'en', units)).toBe('200 GiB');
    expect(formatUptime(37 * 86400 + 5 * 3600 + 60, units)).toBe('37 d 5 h');
    expect(formatUptime(125 * 60, units)).toBe('2 h 5 min');
  });

  it('disk thresholds: amber above 85 %, red above 95 %', () => {
    expect(diskLevel(85)).toBe('ok');
    expect(diskLevel(85.1)).toBe('warning');
    expect(diskLevel(95)).toBe('warning');
    expect(diskLevel(95.5)).toBe('error');
  });

  it('which host key file to compare, by algorithm', () => {
    expect(hostKeyFile('ssh-ed25519')).toBe('/etc/ssh/ssh_host_ed25519_key.pub');
    expect(hostKeyFile('rsa-sha2-512')).toBe('/etc/ssh/ssh_host_rsa_key.pub');
    expect(hostKeyFile('ecdsa-sha2-nistp256')).toBe('/etc/ssh/ssh_host_ecdsa_key.pub');
  });

  it('the newest of the last check and a later status event wins', () => {
    const check = (at: string, status: HostCheck['status']): HostCheck => ({
      host: 'h',
      checkedAt: at,
      status,
      latencyMs: 1,
      keyStatus: 'ok',
      facts: null,
      problems: [],
      error: null,
    });
    const host = hostView({ name: 'h', lastCheck: check('2026-01-01T10:00:00Z', 'ok') });
    expect(effectiveStatus({ ...host, lastCheck: null }, undefined, undefined)).toBe('unknown');
    expect(effectiveStatus(host, undefined, undefined)).toBe('ok');
    expect(effectiveStatus(host, undefined, { status: 'unreachable', at: '2026-01-01T11:00:00Z' })).toBe(
      'unreachable',
    );
    expect(
      effectiveStatus(host, check('2026-01-01T12:00:00Z', 'warning'), {
        status: 'unreachable',
        at: '2026-01-01T11:00:00Z',
      }),
    ).toBe('warning');
  });
});
