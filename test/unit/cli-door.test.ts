import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/cli';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 12, item 2: the CLI enters the core only through core.call, so what it does without a host
 * (the fleet's backup key, unknown hosts, bad input) behaves as before, through the same door as
 * the renderer: validated by the contract, asked of the policy.
 */
let t: ReturnType<typeof tempDir>;
const saved = { home: process.env.TRUFFLES_HOME, pass: process.env.TRUFFLES_PASSPHRASE };
beforeEach(() => {
  t = tempDir();
  process.env.TRUFFLES_HOME = join(t.dir, 'home');
  process.env.TRUFFLES_PASSPHRASE = 'cli door passphrase';
});
afterEach(() => {
  process.env.TRUFFLES_HOME = saved.home;
  process.env.TRUFFLES_PASSPHRASE = saved.pass;
  if (saved.home === undefined) delete process.env.TRUFFLES_HOME;
  if (saved.pass === undefined) delete process.env.TRUFFLES_PASSPHRASE;
  t.cleanup();
});

async function truffles(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

describe('truffles through the one door', () => {
  it('backup key: init, export-public, export (0600, never over a file), init again refused, replace by identity', async () => {
    const none = await truffles('backup', 'key', 'export-public');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(
      /^error: There is no backup key yet\.\nhint: Make one: truffles backup key init/,
    );

    const init = await truffles('backup', 'key', 'init', '--json');
    expect(init.code).toBe(0);
    const recipient = JSON.parse(init.out).recipient as string;
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);

    const pub = await truffles('backup', 'key', 'export-public');
    expect(pub.code).toBe(0);
    expect(pub.out.trim()).toBe(recipient);

    const file = join(t.dir, 'recovery.txt');
    const exp = await truffles('backup', 'key', 'export', '--out', file);
    expect(exp.code).toBe(0);
    expect(exp.err).toMatch(/WARNING: the file holds the private backup key in clear/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const identity = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-1'));
    expect(identity).toBeDefined();
    expect(readFileSync(file, 'utf8')).toContain(`# public key: ${recipient}`);

    writeFileSync(join(t.dir, 'keep.txt'), 'keep me');
    const over = await truffles('backup', 'key', 'export', '--out', join(t.dir, 'keep.txt'));
    expect(over.code).toBe(1);
    expect(readFileSync(join(t.dir, 'keep.txt'), 'utf8')).toBe('keep me');

    const again = await truffles('backup', 'key', 'init');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^error: A backup key already exists/);

    // A fresh key, then the exported identity taken back with --replace: the same public key.
    expect((await truffles('backup', 'key', 'init', '--replace')).code).toBe(0);
    expect((await truffles('backup', 'key', 'export-public')).out.trim()).not.toBe(recipient);
    const back = await truffles('backup', 'key', 'init', '--replace', '--identity-file', file, '--json');
    expect(back.code).toBe(0);
    expect(JSON.parse(back.out).recipient).toBe(recipient);
  });

  it('verbs on a host that is not in the inventory fail with host.unknown (exit 1), the same for every feature', async () => {
    for (const argv of [
      ['host', 'images', 'nowhere'],
      ['host', 'images', 'nowhere', '--set', 'n8n=registry.example.kz/n8n:1'],
      ['host', 'repin', 'nowhere'],
      ['host', 'check', 'nowhere'],
      ['host', 'forget', 'nowhere'],
      ['edge', 'status', '--host', 'nowhere'],
      ['backup', 'key', 'status', 'nowhere'],
    ]) {
      const r = await truffles(...argv, '--json');
      expect(r.code, argv.join(' ')).toBe(1);
      expect(JSON.parse(r.out).error.code, argv.join(' ')).toBe('host.unknown');
      expect(r.err, argv.join(' ')).toMatch(/^error: There is no host named 'nowhere'\./);
    }
  });

  it('input the contract refuses is a usage error (exit 2) that names the field', async () => {
    const many = Array.from({ length: 17 }, (_, i) => ['--set', `k${i}=img:${i}`]).flat();
    const r = await truffles('host', 'images', 'h1', ...many, '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'contract.invalid-input' });
    expect(r.err).toMatch(/^error: changes: At most 16 images\./);
    const e = await truffles('edge', 'install', '--host', 'h1', '--acme-email', 'not-an-address');
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/^error: --acme-email: Give an e-mail address\./);
  });
});
