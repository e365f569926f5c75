import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt as scryptCb,
  type ScryptOptions,
} from 'node:crypto';
import { LIMITS } from '../../../shared/contract';
import { CoreError } from '../errors';
import type { EncryptedSecret } from '../store/schema';
import type { Store } from '../store/store';

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

/** What the check value seals: a known plaintext, never the passphrase. */
const CHECK_PLAINTEXT = 'truffles passphrase check v1';

/** What the passphrase callback is told: whether the store has nothing sealed yet (first setup). */
export interface PassphraseContext {
  firstSetup: boolean;
}

/**
 * Where the passphrase vault keeps its check value (the store's `passphraseCheck`): a known
 * plaintext sealed like a secret, with its own salt, so a passphrase can be tested before it
 * seals or opens anything.
 */
export interface PassphraseCheckStore {
  /** The check value, and (for stores from before check values) any secret sealed by passphrase. */
  read(): Promise<{ check: EncryptedSecret | null; sample: EncryptedSecret | null }>;
  /** Stores `check` unless one is there already; returns the one that is stored. */
  create(check: EncryptedSecret): Promise<EncryptedSecret>;
}

/** The check store of a Store file (one read-modify-write under its lock to create it). */
export function storePassphraseChecks(store: Store): PassphraseCheckStore {
  return {
    async read() {
      const data = await store.read();
      return {
        check: data.passphraseCheck ?? null,
        sample: Object.values(data.secrets).find((s) => s.provider === 'passphrase') ?? null,
      };
    },
    create: (check) =>
      store.update((data) => {
        data.passphraseCheck ??= check;
        return data.passphraseCheck;
      }),
  };
}

function passphraseMismatch(): CoreError {
  return new CoreError(
    'secrets.passphrase-mismatch',
    'This passphrase does not match the one the store was set up with; nothing was changed.',
    'Give the passphrase the first secret was stored with (TRUFFLES_PASSPHRASE or the prompt).',
  );
}

/**
 * AES-256-GCM with a key derived by scrypt from the operator's passphrase (a fresh salt and IV
 * per secret). The passphrase comes from a callback (TRUFFLES_PASSPHRASE or a terminal prompt)
 * and lives only in memory. GCM's tag makes a wrong passphrase or a tampered file an error,
 * never garbage.
 */
export class PassphraseProvider implements SecretProvider {
  readonly id = 'passphrase' as const;
  private passphrase: Promise<string> | null = null;
  private checks: PassphraseCheckStore | null = null;
  /** The passphrase was taken on a store with nothing sealed: the first seal stores the check value. */
  private checkPending = false;

  constructor(private readonly getPassphrase: (ctx: PassphraseContext) => Promise<string>) {}

  /**
   * Test every passphrase against the store's check value before it seals or opens anything
   * (the Core binds its store). Without one, a mistyped first passphrase would seal silently.
   */
  bindCheckStore(checks: PassphraseCheckStore): void {
    this.checks = checks;
    this.passphrase = null;
    this.checkPending = false;
  }

  /** The passphrase, asked once, long enough, and matching the store's check value. */
  private unlocked(): Promise<string> {
    this.passphrase ??= (async () => {
      const state = this.checks ? await this.checks.read() : null;
      const pp = await this.getPassphrase({ firstSetup: state !== null && !state.check && !state.sample });
      if (pp.length < 8) {
        throw new CoreError(
          'secrets.passphrase-short',
          'The secrets passphrase is shorter than 8 characters.',
          'Choose a longer passphrase (TRUFFLES_PASSPHRASE or the prompt).',
        );
      }
      if (pp.length > LIMITS.passphrase) {
        throw new CoreError(
          'secrets.passphrase-long',
          `The secrets passphrase is longer than ${LIMITS.passphrase} characters.`,
          'Choose a shorter passphrase (TRUFFLES_PASSPHRASE or the prompt).',
        );
      }
      if (state?.check) {
        if ((await openWith(pp, state.check)) !== CHECK_PLAINTEXT) throw passphraseMismatch();
      } else if (state?.sample) {
        // A store from before check values: the passphrase must open what is sealed, then it gets one.
        if ((await openWith(pp, state.sample)) === null) throw passphraseMismatch();
        await this.storeCheck(pp);
      } else if (state) {
        this.checkPending = true;
      }
      return pp;
    })();
    return this.passphrase.catch((err: unknown) => {
      this.passphrase = null;
      this.checkPending = false;
      throw err;
    });
  }

  /** Store a check value for `pp`; when another process stored one first, `pp` must match it. */
  private async storeCheck(pp: string): Promise<void> {
    if (!this.checks) return;
    const mine = await sealWith(pp, CHECK_PLAINTEXT);
    const stored = await this.checks.create(mine);
    if (stored.data !== mine.data && (await openWith(pp, stored)) !== CHECK_PLAINTEXT) {
      this.passphrase = null;
      this.checkPending = false;
      throw passphraseMismatch();
    }
  }

  async encrypt(plain: string): Promise<EncryptedSecret> {
    const pp = await this.unlocked();
    if (this.checkPending) {
      // The first secret of this store: its check value goes in before the secret is handed out.
      await this.storeCheck(pp);
      this.checkPending = false;
    }
    return sealWith(pp, plain);
  }

  async decrypt(secret: EncryptedSecret): Promise<string> {
    if (secret.provider !== 'passphrase') throw wrongProvider(secret.provider, this.id);
    const plain = await openWith(await this.unlocked(), secret);
    if (plain === null) {
      this.passphrase = null;
      throw new CoreError(
        'secrets.wrong-passphrase',
        'A stored secret could not be decrypted: the passphrase is wrong or the data file was altered.',
        'Give the passphrase the secret was stored with (TRUFFLES_PASSPHRASE or the prompt).',
      );
    }
    return plain;
  }
}

function key(pp: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return scrypt(pp, salt, 32, { N, r, p, maxmem: 256 * N * r });
}

async function sealWith(pp: string, plain: string): Promise<EncryptedSecret> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const k = await key(pp, salt, KDF.N, KDF.r, KDF.p);
  const cipher = createCipheriv('aes-256-gcm', k, iv);
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

/** The plaintext of a passphrase-sealed secret, or null when `pp` does not open it (or it was altered). */
async function openWith(pp: string, secret: EncryptedSecret): Promise<string | null> {
  const num = (k: string): number => Number(secret[k]);
  const b64 = (k: string): Buffer => Buffer.from(String(secret[k] ?? ''), 'base64');
  try {
    const k = await key(pp, b64('salt'), num('N'), num('r'), num('p'));
    const decipher = createDecipheriv('aes-256-gcm', k, b64('iv'));
    decipher.setAuthTag(b64('tag'));
    return Buffer.concat([decipher.update(b64('data')), decipher.final()]).toString('utf8');
  } catch {
    return null;
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
