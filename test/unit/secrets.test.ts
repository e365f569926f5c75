import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { terminalPassphrase } from '../../src/main/cli/prompt';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider, type PassphraseContext } from '../../src/main/core/secrets/provider';
import { Store } from '../../src/main/core/store/store';
import { tempDir } from '../helpers/tmp';

const SECRET =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

describe('PassphraseProvider', () => {
  it('round-trips, and the ciphertext reveals nothing of the secret', async () => {
    const p = new PassphraseProvider(async () => 'correct horse battery');
    const enc = await p.encrypt(SECRET);
    const text = JSON.stringify(enc);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('b3BlbnNzaC1rZXktdjEAAAAA');
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 16));
    expect(await p.decrypt(enc)).toBe(SECRET);
    // A fresh salt and IV every time.
    expect((await p.encrypt(SECRET)).data).not.toBe(enc.data);
  });

  it('a wrong passphrase or altered data is an error, never garbage', async () => {
    const enc = await new PassphraseProvider(async () => 'correct horse battery').encrypt(SECRET);
    await expect(
      new PassphraseProvider(async () => 'wrong horse battery').decrypt(enc),
    ).rejects.toMatchObject({ code: 'secrets.wrong-passphrase' });
    const data = Buffer.from(enc.data, 'base64');
    data[0] = (data[0] ?? 0) ^ 1;
    await expect(
      new PassphraseProvider(async () => 'correct horse battery').decrypt({
        ...enc,
        data: data.toString('base64'),
      }),
    ).rejects.toMatchObject({ code: 'secrets.wrong-passphrase' });
  });

  it('refuses a short passphrase', async () => {
    await expect(new PassphraseProvider(async () => 'short').encrypt('x')).rejects.toMatchObject({
      code: 'secrets.passphrase-short',
    });
  });
});

describe('PassphraseProvider: the store check value', () => {
  let t: ReturnType<typeof tempDir>;
  const cores: Core[] = [];
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(async () => {
    await Promise.all(cores.splice(0).map((c) => c.close()));
    t.cleanup();
  });

  /** A provider as a console uses it: given to a Core on the store's home. */
  const bound = (store: Store, pp: string, seen: PassphraseContext[] = []): PassphraseProvider => {
    const p = new PassphraseProvider(async (ctx) => {
      seen.push(ctx);
      return pp;
    });
    cores.push(new Core({ home: store.home, secrets: p, mode: 'cli' }));
    return p;
  };

  it('the first seal stores a check value; a mistyped passphrase is then refused before anything is sealed', async () => {
    const store = new Store(t.dir);
    const seen: PassphraseContext[] = [];
    const first = bound(store, 'correct horse battery', seen);
    const enc = await first.encrypt(SECRET);
    await store.update((d) => {
      d.secrets['host:a:key'] = enc;
    });
    const raw = readFileSync(store.file, 'utf8');
    expect(JSON.parse(raw).passphraseCheck).toMatchObject({ provider: 'passphrase', kdf: 'scrypt' });
    expect(raw).not.toContain('correct horse battery');

    // A second console, mistyped: refused at once, seal and open alike, and the store is unchanged.
    const seen2: PassphraseContext[] = [];
    const typo = bound(store, 'correct horse batery', seen2);
    await expect(typo.encrypt('another secret')).rejects.toMatchObject({
      code: 'secrets.passphrase-mismatch',
      message: expect.stringMatching(/does not match the one the store was set up with/),
    });
    await expect(typo.decrypt(enc)).rejects.toMatchObject({ code: 'secrets.passphrase-mismatch' });
    expect(readFileSync(store.file, 'utf8')).toBe(raw);
    expect(seen2[0]).toEqual({ firstSetup: false });

    // The right one works, also from a fresh provider.
    expect(await bound(store, 'correct horse battery').decrypt(enc)).toBe(SECRET);
    expect(await bound(store, 'correct horse battery').encrypt('x')).toMatchObject({
      provider: 'passphrase',
    });
    // The first console was told it set the store up (the CLI then asks twice).
    expect(seen).toEqual([{ firstSetup: true }]);
  });

  it('a store from before check values gets one on the next successful unlock; a wrong passphrase never does', async () => {
    const store = new Store(t.dir);
    // Sealed by an older console: no check value.
    const enc = await new PassphraseProvider(async () => 'correct horse battery').encrypt(SECRET);
    await store.update((d) => {
      d.secrets['host:a:key'] = enc;
    });
    const before = readFileSync(store.file, 'utf8');
    expect(JSON.parse(before).passphraseCheck).toBeUndefined();

    const seen: PassphraseContext[] = [];
    await expect(bound(store, 'wrong horse battery', seen).encrypt('y')).rejects.toMatchObject({
      code: 'secrets.passphrase-mismatch',
    });
    expect(readFileSync(store.file, 'utf8')).toBe(before);
    expect(seen).toEqual([{ firstSetup: false }]);

    expect(await bound(store, 'correct horse battery').decrypt(enc)).toBe(SECRET);
    const check = (await store.read()).passphraseCheck;
    expect(check).toMatchObject({ provider: 'passphrase' });
    // From now on the check value alone refuses a wrong passphrase.
    await store.update((d) => {
      delete d.secrets['host:a:key'];
    });
    await expect(bound(store, 'wrong horse battery').encrypt('y')).rejects.toMatchObject({
      code: 'secrets.passphrase-mismatch',
    });
  });

  it('the terminal prompt asks twice on first setup and refuses two different answers', async () => {
    const answers = (xs: string[]): (() => Promise<string>) => {
      const q = [...xs];
      return async () => q.shift() ?? '';
    };
    const io = (xs: string[]): Parameters<typeof terminalPassphrase>[1] => ({
      ask: answers(xs),
      interactive: () => true,
      env: {},
    });
    await expect(
      terminalPassphrase('pp: ', io(['correct horse battery', 'correct horse batery']))({ firstSetup: true }),
    ).rejects.toMatchObject({ code: 'secrets.passphrase-confirm' });
    expect(
      await terminalPassphrase(
        'pp: ',
        io(['correct horse battery', 'correct horse battery']),
      )({ firstSetup: true }),
    ).toBe('correct horse battery');
    // Later unlocks ask once (the check value catches a typo).
    expect(await terminalPassphrase('pp: ', io(['once only', 'never asked']))({ firstSetup: false })).toBe(
      'once only',
    );
  });
});
