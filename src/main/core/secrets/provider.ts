import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt as scryptCb,
  type ScryptOptions,
} from 'node:crypto';
import { CoreError } from '../errors';
import type { EncryptedSecret } from '../store/schema';

/**
 * Encrypts secrets before they reach the store. The desktop app uses the OS keychain through
 * Electron's safeStorage (src/main/electron/keychain.ts); plain Node (CLI, browser mode, tests)
 * uses a passphrase the operator holds, never written to disk.
 */
export interface SecretProvider {
  readonly id: EncryptedSecret['provider'];
  encrypt(plain: string): Promise<EncryptedSecret>;
  decrypt(secret: EncryptedSecret): Promise<string>;
}

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const KDF = { N: 1 << 15, r: 8, p: 1 } as const;

/**
 * AES-256-GCM with a key derived by scrypt from the operator's passphrase (a fresh salt and IV
 * per secret). The passphrase comes from a callback (TRUFFLES_PASSPHRASE or a terminal prompt)
 * and lives only in memory. GCM's tag makes a wrong passphrase or a tampered file an error,
 * never garbage.
 */
export class PassphraseProvider implements SecretProvider {
  readonly id = 'passphrase' as const;
  private passphrase: Promise<string> | null = null;

  constructor(private readonly getPassphrase: () => Promise<string>) {}

  private async key(salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
    this.passphrase ??= this.getPassphrase().then((pp) => {
      if (pp.length < 8) {
        throw new CoreError(
          'secrets.passphrase-short',
          'The secrets passphrase is shorter than 8 characters.',
          'Choose a longer passphrase (TRUFFLES_PASSPHRASE or the prompt).',
        );
      }
      return pp;
    });
    const pp = await this.passphrase.catch((err: unknown) => {
      this.passphrase = null;
      throw err;
    });
    return scrypt(pp, salt, 32, { N, r, p, maxmem: 256 * N * r });
  }

  async encrypt(plain: string): Promise<EncryptedSecret> {
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const key = await this.key(salt, KDF.N, KDF.r, KDF.p);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return {
      provider: 'passphrase',
      kdf: 'scrypt',
      N: KDF.N,
      r: KDF.r,
      p: KDF.p,
      salt: salt.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  async decrypt(secret: EncryptedSecret): Promise<string> {
    if (secret.provider !== 'passphrase') throw wrongProvider(secret.provider, this.id);
    const num = (k: string): number => Number(secret[k]);
    const b64 = (k: string): Buffer => Buffer.from(String(secret[k] ?? ''), 'base64');
    const key = await this.key(b64('salt'), num('N'), num('r'), num('p'));
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, b64('iv'));
      decipher.setAuthTag(b64('tag'));
      return Buffer.concat([decipher.update(b64('data')), decipher.final()]).toString('utf8');
    } catch {
      this.passphrase = null;
      throw new CoreError(
        'secrets.wrong-passphrase',
        'A stored secret could not be decrypted: the passphrase is wrong or the data file was altered.',
        'Give the passphrase the secret was stored with (TRUFFLES_PASSPHRASE or the prompt).',
      );
    }
  }
}

export function wrongProvider(stored: string, active: string): CoreError {
  return new CoreError(
    'secrets.other-provider',
    `This secret was stored by the ${stored === 'safeStorage' ? 'desktop app (OS keychain)' : 'passphrase vault'} and cannot be opened here (${active}).`,
    stored === 'safeStorage'
      ? 'Use the desktop app for this host, or add the host again from here.'
      : 'Set TRUFFLES_PASSPHRASE to the passphrase used by the CLI, or add the host again.',
  );
}

/** The passphrase from the environment, or an error saying how to give one. */
export function passphraseFromEnv(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  return async () => {
    const pp = env.TRUFFLES_PASSPHRASE;
    if (pp && pp.length > 0) return pp;
    throw new CoreError(
      'secrets.passphrase-missing',
      'Stored secrets are encrypted with a passphrase, and none was given.',
      'Set TRUFFLES_PASSPHRASE, or run the command in a terminal to be asked for it.',
    );
  };
}
