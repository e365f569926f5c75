import { readFile } from 'node:fs/promises';
import type { AuthInput } from '../../../shared/contract';
import { CoreError } from '../errors';
import type { SecretProvider } from '../secrets/provider';
import { wrongProvider } from '../secrets/provider';
import { checkPrivateKey, type SshCredentials } from '../ssh/connection';
import type { HostRecord, StoreData } from '../store/schema';
import { expandHome } from './records';

/** The credentials a connection logs in with: from what the operator gave, or from the store. */

/** Resolve the credentials an operator gave, checking the key before any connection. */
export async function credentialsFromInput(auth: AuthInput): Promise<SshCredentials> {
  switch (auth.kind) {
    case 'agent':
      return { agent: agentSocket() };
    case 'keyFile': {
      const path = expandHome(auth.path);
      const key = await readKeyFile(path);
      checkPrivateKey(key, auth.passphrase, path);
      return { privateKey: key, ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) };
    }
    case 'storedKey':
      checkPrivateKey(auth.privateKey, auth.passphrase, 'you pasted');
      return { privateKey: auth.privateKey, ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) };
  }
}

/** The credentials of a host in the inventory, its stored secrets decrypted. */
export async function credentialsFor(
  secrets: SecretProvider,
  host: HostRecord,
  data: StoreData,
): Promise<SshCredentials> {
  const secret = async (id: string | undefined): Promise<string | undefined> => {
    if (!id) return undefined;
    const enc = data.secrets[id];
    if (!enc)
      throw new CoreError(
        'secrets.missing',
        `A stored secret of host '${host.name}' is missing.`,
        'Forget the host and add it again.',
      );
    if (enc.provider !== secrets.id) throw wrongProvider(enc.provider, secrets.id);
    return secrets.decrypt(enc);
  };
  switch (host.auth.kind) {
    case 'agent':
      return { agent: agentSocket() };
    case 'keyFile': {
      const passphrase = await secret(host.auth.passphraseSecret);
      return {
        privateKey: await readKeyFile(expandHome(host.auth.path)),
        ...(passphrase ? { passphrase } : {}),
      };
    }
    case 'storedKey': {
      const passphrase = await secret(host.auth.passphraseSecret);
      return {
        privateKey: (await secret(host.auth.keySecret)) ?? '',
        ...(passphrase ? { passphrase } : {}),
      };
    }
    case 'none':
      return {};
  }
}

function agentSocket(): string {
  const sock = process.env.SSH_AUTH_SOCK;
  if (!sock) {
    throw new CoreError(
      'ssh.agent-missing',
      'No ssh-agent is running for this console (SSH_AUTH_SOCK is not set).',
      'Start ssh-agent and ssh-add your key, or use a key file.',
    );
  }
  return sock;
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CoreError(
      'ssh.key-unreadable',
      code === 'ENOENT'
        ? `The key file ${path} does not exist.`
        : `The key file ${path} cannot be read (${code ?? (err as Error).message}).`,
      'Give the path of your private key, e.g. ~/.ssh/id_ed25519.',
    );
  }
}
