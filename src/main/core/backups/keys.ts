import { open } from 'node:fs/promises';
import * as age from 'age-encryption';
import { CoreError } from '../errors';
import type { SecretProvider } from '../secrets/provider';
import { wrongProvider } from '../secrets/provider';
import type { Store } from '../store/store';

/**
 * The fleet's backup key (issue 5). Backups are encrypted on the hosts to a public key (an age
 * X25519 recipient, `age1…`), so a host can write backups it can never read; the private key
 * (`AGE-SECRET-KEY-1…`) exists only on operators' machines, encrypted by the secret provider
 * like every other secret. `age` is the well-kept format for this: the hosts' `age` tool and the
 * console's `age-encryption` library read each other's files.
 */

const IDENTITY_SECRET = 'backup:identity';
export const RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const IDENTITY = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

export interface BackupKeyInfo {
  recipient: string;
  createdAt: string;
}

export class BackupKeys {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretProvider,
  ) {}

  /** The public key, or null before `init`. */
  async info(): Promise<BackupKeyInfo | null> {
    const { backup } = await this.store.read();
    return backup.recipient && backup.createdAt
      ? { recipient: backup.recipient, createdAt: backup.createdAt }
      : null;
  }

  /**
   * Make the fleet's key pair, or take an existing identity (another operator's, exported with
   * `backup key export`). Refused when one exists, unless `replace`: backups made for the old
   * key could no longer be read here.
   */
  async init(opts: { identity?: string; replace?: boolean } = {}): Promise<BackupKeyInfo> {
    const existing = await this.info();
    if (existing && !opts.replace)
      throw new CoreError(
        'backup.key-exists',
        `A backup key already exists (${existing.recipient}, made ${existing.createdAt}).`,
        'Keep it: backups made for it can only be read with it. Replace it only on purpose (--replace).',
      );
    const identity = opts.identity?.trim() ?? (await age.generateX25519Identity());
    if (!IDENTITY.test(identity))
      throw new CoreError(
        'backup.key-invalid',
        'That is not an age X25519 identity (it starts AGE-SECRET-KEY-1 and has 74 characters).',
        'Give the identity exported from another operator’s console.',
      );
    const recipient = await age.identityToRecipient(identity);
    const sealed = await this.secrets.encrypt(identity);
    const createdAt = new Date().toISOString();
    await this.store.update((data) => {
      data.secrets[IDENTITY_SECRET] = sealed;
      data.backup = { recipient, createdAt };
    });
    return { recipient, createdAt };
  }

  /** The public key hosts encrypt to. */
  async recipient(): Promise<string> {
    const info = await this.info();
    if (!info || !RECIPIENT.test(info.recipient))
      throw new CoreError(
        'backup.no-key',
        'There is no backup key yet.',
        'Make one: truffles backup key init',
      );
    return info.recipient;
  }

  /**
   * A recovery copy of the private key (issue 11, item 8): an age identity file as `age-keygen`
   * writes it, readable by the `age` CLI (`age -d -i FILE`) and by `backup key init
   * --identity-file` on another console. Decrypting the sealed identity needs the secret
   * provider (the passphrase, or the OS keychain in the app); the file is created with mode
   * 0600 and never over an existing file.
   */
  async exportIdentity(file: string): Promise<BackupKeyInfo & { file: string }> {
    const info = await this.info();
    const identity = await this.identity();
    if (!info)
      throw new CoreError(
        'backup.no-key',
        'There is no backup key yet.',
        'Make one: truffles backup key init',
      );
    const text = [
      `# created: ${info.createdAt}`,
      `# public key: ${info.recipient}`,
      '# Truffles backup identity: whoever holds this file can read every backup encrypted to it.',
      identity,
      '',
    ].join('\n');
    let handle;
    try {
      handle = await open(file, 'wx', 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new CoreError(
        code === 'EEXIST' ? 'backup.export-exists' : 'backup.export-failed',
        code === 'EEXIST'
          ? `${file} already exists; an export never overwrites a file.`
          : `Cannot create ${file} (${code}).`,
        code === 'EEXIST' ? 'Give a new file name (--out FILE).' : 'Give a path in a folder you can write.',
      );
    }
    try {
      await handle.chmod(0o600);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { ...info, file };
  }

  /** The private key, decrypted in memory for a restore; never written anywhere. */
  async identity(): Promise<string> {
    const data = await this.store.read();
    const sealed = data.secrets[IDENTITY_SECRET];
    if (!sealed)
      throw new CoreError(
        'backup.no-key',
        'There is no backup key on this machine.',
        'Import it: truffles backup key init --identity-file FILE',
      );
    if (sealed.provider !== this.secrets.id) throw wrongProvider(sealed.provider, this.secrets.id);
    return this.secrets.decrypt(sealed);
  }
}
