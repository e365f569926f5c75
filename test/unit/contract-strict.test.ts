import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { commands, PortSchema } from '../../src/shared/contract';
import { ruSchemaMessages } from '../../src/renderer/src/i18n/ru';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, item 15 (contract part): every object anywhere in a command's input refuses keys it
 * does not know (naming the field), and a port is a port, not whatever coerces to a number.
 */
interface Def {
  type: string;
  checks?: { _zod: { def: { check: string; error?: (issue?: unknown) => unknown } } }[];
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  items?: z.ZodType[];
  in?: z.ZodType;
  out?: z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Every schema reachable from `root`, with its path. */
function walk(root: z.ZodType, path: string, visit: (s: z.ZodType, d: Def, path: string) => void): void {
  const d = defOf(root);
  visit(root, d, path);
  const next = (s: z.ZodType | undefined, p: string): void => {
    if (s) walk(s, p, visit);
  };
  switch (d.type) {
    case 'object':
      for (const [k, v] of Object.entries(d.shape ?? {})) next(v, `${path}.${k}`);
      break;
    case 'array':
      next(d.element, `${path}[]`);
      break;
    case 'record':
      next(d.keyType, `${path}{key}`);
      next(d.valueType, `${path}{value}`);
      break;
    case 'union':
      (d.options ?? []).forEach((o, i) => next(o, `${path}|${i}`));
      break;
    case 'tuple':
      (d.items ?? []).forEach((o, i) => next(o, `${path}[${i}]`));
      break;
    case 'pipe':
      next(d.in, path);
      next(d.out, path);
      break;
    default:
      next(d.innerType, path);
  }
}

let t: ReturnType<typeof tempDir>;
let core: Core;
beforeAll(() => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'unused'),
    mode: 'cli',
  });
});
afterAll(async () => {
  await core.close();
  t.cleanup();
});

describe('contract: nested objects are strict', () => {
  it('every object in every command input refuses unknown keys', () => {
    const loose: string[] = [];
    for (const [name, c] of Object.entries(commands)) {
      walk(c.input as z.ZodType, name, (_s, d, path) => {
        if (d.type === 'object' && (!d.catchall || defOf(d.catchall).type !== 'never')) loose.push(path);
      });
    }
    expect(loose).toEqual([]);
  });

  it('an unknown key inside auth is refused by dispatch, naming the field and the key', async () => {
    const r = await core.dispatch('hosts.add', {
      name: 'x1',
      address: '127.0.0.1',
      port: 22,
      user: 'ops',
      auth: { kind: 'keyFile', path: '/k', passphrase: 'p', passphrse: 'typo' },
      acceptFingerprint: `SHA256:${'A'.repeat(43)}`,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('contract.invalid-input');
    expect(r.error.message).toMatch(/^auth: .*passphrse/);
  });

  it('an unknown key in backups.schedule offsite is refused too', async () => {
    const r = await core.dispatch('backups.schedule', {
      host: 'h1',
      offsite: { target: 'u@r.example.kz', path: '/b', identityFile: '/k', extra: 1 },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^offsite: .*extra/);
  });
});

describe('contract: ports', () => {
  it('refuses booleans, hex, exponent, padded and fractional ports', async () => {
    for (const bad of [
      true,
      false,
      '0x16',
      '1e3',
      ' 22',
      '22 ',
      '22.0',
      22.5,
      '',
      null,
      [22],
      '+22',
      '-1',
      0,
      65536,
    ]) {
      expect(PortSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      const r = await core.dispatch('hosts.probe', { address: '127.0.0.1', port: bad });
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/^port: Port must be/);
    }
  });

  it('accepts whole numbers and decimal strings (the CLI and the form give strings)', () => {
    expect(PortSchema.parse(22)).toBe(22);
    expect(PortSchema.parse('2222')).toBe(2222);
    expect(PortSchema.parse(65535)).toBe(65535);
    expect(PortSchema.parse('1')).toBe(1);
  });
});

describe('contract: every string input has a limit', () => {
  const has = (d: Def, check: string): boolean => (d.checks ?? []).some((c) => c._zod.def.check === check);

  it('every string in every command input has a maximum length', () => {
    const unbounded: string[] = [];
    for (const [name, c] of Object.entries(commands)) {
      walk(c.input as z.ZodType, name, (_s, d, path) => {
        if (d.type === 'string' && !has(d, 'max_length')) unbounded.push(path);
      });
    }
    expect(unbounded).toEqual([]);
  });

  const hostAdd = (auth: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    core.dispatch('hosts.add', {
      name: 'x1',
      address: '127.0.0.1',
      user: 'ops',
      auth,
      acceptFingerprint: `SHA256:${'A'.repeat(43)}`,
      ...extra,
    });

  it('paths, passphrases and pasted keys are refused past their limits with a clear message', async () => {
    const cases: [Promise<Awaited<ReturnType<Core['dispatch']>>>, RegExp][] = [
      [
        hostAdd({ kind: 'keyFile', path: `/${'k'.repeat(4096)}` }),
        /^auth\.path: The path is longer than 4096/,
      ],
      [
        hostAdd({ kind: 'keyFile', path: '/k', passphrase: 'p'.repeat(1024 + 1) }),
        /^auth\.passphrase: The passphrase is longer than 1024/,
      ],
      [
        hostAdd({ kind: 'storedKey', privateKey: 'k'.repeat(16384 + 1) }),
        /^auth\.privateKey: The private key is longer than 16384/,
      ],
      [
        core.dispatch('hosts.importPreview', { configPath: `/${'c'.repeat(4096)}` }),
        /^configPath: The path is longer than 4096/,
      ],
      [
        core.dispatch('backups.schedule', { host: 'h1', backupDir: `/${'b'.repeat(4096)}` }),
        /^backupDir: The path is longer than 4096/,
      ],
      [
        core.dispatch('tenants.delete', { slug: 'acme', confirm: 'a'.repeat(65) }),
        /^confirm: The confirmation is longer than 64/,
      ],
    ];
    for (const [p, re] of cases) {
      const r = await p;
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('contract.invalid-input');
        expect(r.error.message).toMatch(re);
      }
    }
    // At the limit is fine (the contract lets it through to the handler).
    const atLimit = await hostAdd({
      kind: 'keyFile',
      path: '/nonexistent/key',
      passphrase: 'p'.repeat(1024),
    });
    expect(!atLimit.ok && atLimit.error.code).toBe('ssh.key-unreadable');
  });

  it('label and env maps have a size limit as well as key and value limits', async () => {
    const labels = Object.fromEntries(Array.from({ length: 32 + 1 }, (_, i) => [`l${i}`, 'v']));
    const r1 = await hostAdd({ kind: 'agent' }, { labels });
    expect(!r1.ok && r1.error.message).toMatch(/^labels: At most 32 labels/);
    const env = Object.fromEntries(Array.from({ length: 100 + 1 }, (_, i) => [`V_${i}`, 'x']));
    const r2 = await core.dispatch('tenants.create', { slug: 'acme', host: 'h1', env });
    expect(!r2.ok && r2.error.message).toMatch(/^env: At most 100 variables/);
    const r3 = await core.dispatch('tenants.update', {
      slug: 'acme',
      env: { API_KEY: 'x'.repeat(4096 + 1) },
    });
    expect(!r3.ok && r3.error.message).toMatch(/^env\.API_KEY: A value is longer than 4096/);
    const r4 = await core.dispatch('tenants.update', { slug: 'acme', env: { ['A'.repeat(65)]: 'x' } });
    expect(!r4.ok && r4.error.message).toMatch(/^env\.A{65}: Invalid key/);
  });

  it('the new limit messages have Russian versions', () => {
    for (const m of [
      'The passphrase is longer than 1024 characters.',
      'The private key is longer than 16384 characters: paste one OpenSSH or PEM private key.',
      'At most 32 labels.',
      'At most 100 variables.',
      'A value is longer than 4096 characters.',
      'The confirmation is longer than 64 characters: type the slug again.',
      'The path is longer than 4096 characters.',
    ])
      expect(ruSchemaMessages[m], m).toBeTruthy();
  });

  it('every message the contract writes for a command input has a Russian version', () => {
    const missing = new Set<string>();
    for (const [name, c] of Object.entries(commands)) {
      walk(c.input as z.ZodType, name, (_s, d) => {
        for (const check of d.checks ?? []) {
          const m = check._zod.def.error?.();
          if (typeof m === 'string' && !ruSchemaMessages[m]) missing.add(m);
        }
      });
    }
    expect([...missing]).toEqual([]);
  });
});
