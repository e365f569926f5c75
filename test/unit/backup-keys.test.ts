import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupKeys } from '../../src/main/core/backups/keys';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { Store } from '../../src/main/core/store/store';
import { tempDir } from '../helpers/tmp';

let t: ReturnType<typeof tempDir>;
let store: Store;
const keys = (pass = 'right passphrase'): BackupKeys =>
  new BackupKeys(store, new PassphraseProvider(async () => pass));

beforeEach(() => {
  t = tempDir();
  store = new Store(join(t.dir, 'home'));
});
afterEach(() => t.cleanup());

async function encryptTo(recipient: string, text: string): Promise<Uint8Array> {
  const e = new age.Encrypter();
  e.addRecipient(recipient);
  const chunks: Uint8Array[] = [];
  const input = new ReadableStream<Uint8Array>({
    start(c): void {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
  for await (const chunk of await e.encrypt(input)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('the fleet backup key', () => {
  it('a new key: hosts get the public half; the private half is only in the store, encrypted', async () => {
    const k = keys();
    await expect(k.recipient()).rejects.toMatchObject({ code: 'backup.no-key' });
    const info = await k.init();
    expect(info.recipient).toMatch(/^age1[a-z0-9]{58}$/);
    expect(await k.recipient()).toBe(info.recipient);
    const identity = await k.identity();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1/);
    const onDisk = readFileSync(join(t.dir, 'home', 'store.json'), 'utf8');
    expect(onDisk).toContain(info.recipient);
    expect(onDisk).not.toContain(identity);
    expect(onDisk).not.toContain(identity.slice(15, 40));

    // What a host encrypts to the public key, this console reads with the private one.
    const sealed = await encryptTo(info.recipient, 'pg_dump bytes');
    const d = new age.Decrypter();
    d.addIdentity(identity);
    expect(new TextDecoder().decode(await d.decrypt(sealed))).toBe('pg_dump bytes');
  });

  it('is never replaced by accident; another operator’s identity can be taken; bad input is refused', async () => {
    const first = await keys().init();
    await expect(keys().init()).rejects.toMatchObject({ code: 'backup.key-exists' });
    expect(await keys().recipient()).toBe(first.recipient);
    const other = await age.generateX25519Identity();
    await expect(keys().init({ identity: 'AGE-SECRET-KEY-1NOPE', replace: true })).rejects.toMatchObject({
      code: 'backup.key-invalid',
    });
    expect(await keys().recipient()).toBe(first.recipient);
    const taken = await keys().init({ identity: other, replace: true });
    expect(taken.recipient).toBe(await age.identityToRecipient(other));
    expect(await keys().identity()).toBe(other);
  });

  it('the private key cannot be read with another passphrase', async () => {
    await keys().init();
    await expect(keys('wrong passphrase').identity()).rejects.toThrow();
  });
});

describe('a recovery copy of the private key (issue 11, item 8)', () => {
  it('exports an age identity file (0600) that the age CLI decrypts with; never over an existing file', async () => {
    const info = await keys().init();
    const file = join(t.dir, 'recovery-key.txt');
    const r = await keys().exportIdentity(file);
    expect(r).toMatchObject({ file, recipient: info.recipient });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`# public key: ${info.recipient}`);
    expect(text).toContain(await keys().identity());
    // The standard tool reads what a host's agent would write for this key.
    const sealed = join(t.dir, 'sealed.age');
    writeFileSync(sealed, await encryptTo(info.recipient, 'tar bytes'));
    expect(execFileSync('age', ['-d', '-i', file, sealed], { encoding: 'utf8' })).toBe('tar bytes');
    // A second export to the same name is refused and leaves the file as it was.
    writeFileSync(join(t.dir, 'other.txt'), 'keep me');
    await expect(keys().exportIdentity(join(t.dir, 'other.txt'))).rejects.toMatchObject({
      code: 'backup.export-exists',
    });
    expect(readFileSync(join(t.dir, 'other.txt'), 'utf8')).toBe('keep me');
    // Another console takes it back in.
    const home2 = new Store(join(t.dir, 'home2'));
    const k2 = new BackupKeys(home2, new PassphraseProvider(async () => 'another passphrase'));
    const line = text.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) ?? '';
    expect((await k2.init({ identity: line })).recipient).toBe(info.recipient);
  });

  it('needs the passphrase: a wrong one exports nothing', async () => {
    await keys().init();
    const file = join(t.dir, 'nope.txt');
    await expect(keys('wrong passphrase').exportIdentity(file)).rejects.toThrow();
    expect(() => statSync(file)).toThrow();
  });
});
