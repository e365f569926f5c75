import ssh2 from 'ssh2';
import { CoreError } from '../errors';
import { endpointText, type SshEndpoint } from './types';

// ssh2 is CommonJS: take its members from the default export (named imports fail under Node ESM).
const { utils } = ssh2;

/** Turn what ssh2 and the socket layer throw into errors an operator can act on. */
export function mapConnectError(
  err: unknown,
  e: SshEndpoint | { address: string; port: number; label?: string },
): CoreError {
  if (err instanceof CoreError) return err;
  const error = err as NodeJS.ErrnoException & { level?: string };
  const where = endpointText(e);
  const msg = error?.message ?? String(err);
  switch (error?.code) {
    case 'ECONNREFUSED':
      return new CoreError(
        'ssh.refused',
        `Connection to ${where} was refused: nothing listens there.`,
        'Check the address and port, and that sshd runs on the host.',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CoreError(
        'ssh.dns',
        `The address of ${where} does not resolve.`,
        'Check the spelling of the address, or use its IP address.',
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new CoreError(
        'ssh.unreachable',
        `${where} is unreachable from this machine.`,
        'Check the network (VPN, jump host, firewall).',
      );
    case 'ETIMEDOUT':
      return new CoreError(
        'ssh.timeout',
        `Connecting to ${where} timed out.`,
        'Check the address, the port and any firewall in between.',
      );
    case 'ECONNRESET':
      return new CoreError(
        'ssh.reset',
        `${where} closed the connection.`,
        'The SSH server dropped us; check its logs (MaxStartups, AllowUsers, fail2ban).',
      );
    default:
      break;
  }
  if (/Timed out while waiting for handshake/i.test(msg)) {
    return new CoreError(
      'ssh.timeout',
      `${where} did not complete the SSH handshake in time.`,
      'Check that the port is an SSH server and the network is not filtering it.',
    );
  }
  if (error?.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    return new CoreError(
      'ssh.auth',
      `${where} refused the login${'user' in e ? ` of user '${e.user}'` : ''}.`,
      "Check the user name and that the key's public half is in that user's ~/.ssh/authorized_keys on the host.",
    );
  }
  return new CoreError(
    'ssh.failed',
    `SSH connection to ${where} failed: ${msg}`,
    'Check the host, the port and the SSH server logs.',
  );
}

/** Check a private key before connecting, so a bad key gives a clear error, not an auth failure. */
export function checkPrivateKey(
  privateKey: string | Buffer,
  passphrase: string | undefined,
  source: string,
): void {
  const parsed = utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) {
    if (/encrypted/i.test(parsed.message) && !passphrase) {
      throw new CoreError(
        'ssh.key-encrypted',
        `The private key ${source} is protected by a passphrase.`,
        'Give its passphrase, or use ssh-agent.',
      );
    }
    if (/bad passphrase|integrity check failed/i.test(parsed.message)) {
      throw new CoreError(
        'ssh.key-passphrase',
        `The passphrase for the private key ${source} is wrong.`,
        'Type the passphrase again.',
      );
    }
    throw new CoreError(
      'ssh.key-invalid',
      `${source} is not a private key this console can use: ${parsed.message}.`,
      'Give an OpenSSH or PEM private key (ed25519, ecdsa or rsa).',
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key && !key.isPrivateKey()) {
    throw new CoreError(
      'ssh.key-public',
      `${source} is a public key.`,
      'Give the private key file (the one without .pub).',
    );
  }
}

/** Why a TCP forward (direct-tcpip) through the host was refused. */
export function forwardError(err: Error, where: string, host: string, port: number): CoreError {
  return new CoreError(
    'ssh.forward',
    `${where} refused to forward to ${host}:${port}: ${err.message}`,
    'Allow TCP forwarding in the host\'s sshd_config ("AllowTcpForwarding yes") and check that the target listens.',
  );
}
