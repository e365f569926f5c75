import { safeStorage } from 'electron';
import { CoreError } from '../core/errors';
import { wrongProvider, type SecretProvider } from '../core/secrets/provider';
import type { EncryptedSecret } from '../core/store/schema';

/** Secrets encrypted by the OS keychain (Keychain, DPAPI, libsecret/kwallet) via safeStorage. */
export class SafeStorageProvider implements SecretProvider {
  readonly id = 'safeStorage' as const;

  private ensure(): void {
    if (!safeStorage.isEncryptionAvailable()) {
      throw new CoreError(
        'secrets.keychain-unavailable',
        'The OS keychain is not available, so secrets cannot be stored safely.',
        'Unlock or install a keychain (on Linux: gnome-keyring or kwallet), or use ssh-agent / a key file instead.',
      );
    }
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
      throw new CoreError(
        'secrets.keychain-weak',
        'No OS keychain is running; Electron would fall back to a hard-coded key.',
        'Start gnome-keyring or kwallet, or use ssh-agent / a key file instead.',
      );
    }
  }

  async encrypt(plain: string): Promise<EncryptedSecret> {
    this.ensure();
    return { provider: 'safeStorage', data: safeStorage.encryptString(plain).toString('base64') };
  }

  async decrypt(secret: EncryptedSecret): Promise<string> {
    if (secret.provider !== 'safeStorage') throw wrongProvider(secret.provider, this.id);
    this.ensure();
    return safeStorage.decryptString(Buffer.from(secret.data, 'base64'));
  }
}
