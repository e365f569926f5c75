import { Agent, type AgentOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import ssh2, { type ClientChannel, type ConnectConfig } from 'ssh2';
import { CoreError } from '../errors';
import { algorithmOf, fingerprintOf } from './hostkey';
import { shellJoin } from './quote';

/** What the console knows of a host key before connecting. */
export type HostKeyPolicy =
  /** The pinned key: anything else is refused. */
  | { kind: 'pinned'; key: Buffer; fingerprint: string }
  /** The operator just confirmed this fingerprint: accept exactly it. */
  | { kind: 'confirmed'; fingerprint: string };

export interface SshCredentials {
  privateKey?: string | Buffer;
  passphrase?: string;
  /** Path of an ssh-agent socket. */
  agent?: string;
}

export interface SshEndpoint {
  address: string;
  port: number;
  user: string;
  /** Host name in the inventory, for messages. */
  label?: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string>;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface OfferedKey {
  key: Buffer;
  fingerprint: string;
  algorithm: string;
}

// ssh2 is CommonJS: take its members from the default export (named imports fail under Node ESM).
const { Client, utils } = ssh2;
type Client = InstanceType<typeof Client>;

const READY_TIMEOUT_MS = 15_000;

function endpointText(e: { address: string; port: number; label?: string }): string {
  return `${e.label ? `'${e.label}' ` : ''}(${e.address}:${e.port})`;
}

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

/**
 * Read a host's key without authenticating or trusting anything: the handshake is stopped at the
 * host-key check. Used to show the fingerprint to the operator before pinning.
 */
export function probeHostKey(
  address: string,
  port: number,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<OfferedKey> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let offered: OfferedKey | null = null;
    const done = (fn: () => void): void => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end();
      fn();
    };
    client.on('error', (err) => {
      if (offered) {
        const o = offered;
        done(() => resolve(o));
      } else done(() => reject(mapConnectError(err, { address, port })));
    });
    client.on('ready', () => done(() => (offered ? resolve(offered) : reject(new Error('no host key')))));
    client.connect({
      host: address,
      port,
      username: 'truffles-probe',
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        offered = { key: Buffer.from(key), fingerprint: fingerprintOf(key), algorithm: algorithmOf(key) };
        return false;
      },
    });
  });
}

/**
 * One SSH connection to one host. Everything for that host goes over it: exec channels and the
 * Docker Engine API through a stream-local forward to the docker socket.
 */
export class SshConnection {
  private closed = false;
  private dockerClient: Docker | null = null;
  readonly offered: OfferedKey;

  private constructor(
    private readonly client: Client,
    offered: OfferedKey,
    readonly endpoint: SshEndpoint,
  ) {
    this.offered = offered;
    client.on('close', () => {
      this.closed = true;
    });
    client.on('error', () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  static connect(
    endpoint: SshEndpoint,
    credentials: SshCredentials,
    policy: HostKeyPolicy,
  ): Promise<SshConnection> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let offered: OfferedKey | null = null;
      let refusal: CoreError | null = null;
      const where = endpointText(endpoint);
      const config: ConnectConfig = {
        host: endpoint.address,
        port: endpoint.port,
        username: endpoint.user,
        readyTimeout: READY_TIMEOUT_MS,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          offered = { key: Buffer.from(key), fingerprint: fingerprintOf(key), algorithm: algorithmOf(key) };
          if (policy.kind === 'pinned' ? key.equals(policy.key) : offered.fingerprint === policy.fingerprint)
            return true;
          refusal =
            policy.kind === 'pinned'
              ? new CoreError(
                  'hostkey.changed',
                  `HOST KEY CHANGED for ${where}: refusing to connect.\n  pinned:  ${policy.fingerprint}\n  offered: ${offered.fingerprint} (${offered.algorithm})\nSomeone may be intercepting the connection, or the host was reinstalled.`,
                  `Verify the offered fingerprint with the host's administrator (ssh-keygen -lf on the host). If the change is expected, forget the host and add it again to pin the new key.`,
                  { pinned: policy.fingerprint, offered: offered.fingerprint, algorithm: offered.algorithm },
                )
              : new CoreError(
                  'hostkey.mismatch',
                  `${where} offered a key other than the one you confirmed.\n  confirmed: ${policy.fingerprint}\n  offered:   ${offered.fingerprint} (${offered.algorithm})`,
                  'Probe the host again and compare the fingerprint with the one on the host before confirming.',
                  {
                    confirmed: policy.fingerprint,
                    offered: offered.fingerprint,
                    algorithm: offered.algorithm,
                  },
                );
          return false;
        },
      };
      if (credentials.agent) config.agent = credentials.agent;
      if (credentials.privateKey) config.privateKey = credentials.privateKey;
      if (credentials.passphrase) config.passphrase = credentials.passphrase;
      const onError = (err: Error): void => {
        client.removeAllListeners();
        client.on('error', () => undefined);
        client.end();
        reject(refusal ?? mapConnectError(err, endpoint));
      };
      client.once('error', onError);
      client.once('ready', () => {
        client.removeListener('error', onError);
        // Small request/response exchanges (exec, Docker API) otherwise wait on Nagle + delayed ACK (~40 ms each).
        client.setNoDelay(true);
        resolve(new SshConnection(client, offered as unknown as OfferedKey, endpoint));
      });
      client.connect(config);
    });
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new CoreError(
        'ssh.closed',
        `The SSH connection to ${endpointText(this.endpoint)} is closed.`,
        'Retry; the console reconnects.',
      );
    }
  }

  /** Run a command given as an argument array; output is collected (for short commands). */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.execRaw(shellJoin(argv), options);
  }

  /**
   * Run a command line the caller built with `shellJoin` (several quoted commands joined by
   * fixed shell syntax). Never pass text a person typed here without quoting it.
   */
  execRaw(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.ensureOpen();
    return new Promise((resolve, reject) => {
      this.client.exec(command, options.env ? { env: options.env } : {}, (err, stream: ClientChannel) => {
        if (err) {
          reject(
            new CoreError(
              'ssh.channel',
              `Could not open a command channel on ${endpointText(this.endpoint)}: ${err.message}`,
              'Retry in a moment; the host may be limiting sessions (MaxSessions).',
            ),
          );
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let timer: NodeJS.Timeout | undefined;
        let aborted: CoreError | null = null;
        const stop = (reason: CoreError): void => {
          aborted = reason;
          try {
            stream.signal('KILL');
          } catch {
            /* not supported by every server */
          }
          stream.close();
        };
        if (options.timeoutMs) {
          timer = setTimeout(
            () =>
              stop(
                new CoreError(
                  'exec.timeout',
                  `A command on ${endpointText(this.endpoint)} took longer than ${options.timeoutMs} ms and was stopped.`,
                  'Check the host load and retry.',
                ),
              ),
            options.timeoutMs,
          );
        }
        const onAbort = (): void => stop(new CoreError('exec.cancelled', 'The command was cancelled.', ''));
        options.signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('close', (code: number | null, signal: string | null) => {
          if (timer) clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          if (aborted) {
            reject(aborted);
            return;
          }
          resolve({
            code: code ?? null,
            signal: signal ?? null,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
          });
        });
      });
    });
  }

  /** A stream to a unix socket on the host (OpenSSH's direct-streamlocal). */
  openUnixStream(socketPath: string): Promise<Duplex> {
    this.ensureOpen();
    return new Promise((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(socketPath, (err, stream) => {
        if (err) {
          reject(
            new CoreError(
              'ssh.streamlocal',
              `${endpointText(this.endpoint)} refused a stream to ${socketPath}: ${err.message}`,
              'Allow it in the host\'s sshd_config: "AllowStreamLocalForwarding yes", then reload sshd. Also check that the socket exists.',
            ),
          );
        } else resolve(stream);
      });
    });
  }

  /** The Docker Engine API of the host, over this SSH connection. */
  docker(socketPath = '/var/run/docker.sock'): Docker {
    if (this.dockerClient) return this.dockerClient;
    const agent = new Agent({ keepAlive: false } as AgentOptions);
    // Each HTTP connection dockerode wants becomes one stream-local channel on the same SSH connection.
    (agent as unknown as { createConnection: unknown }).createConnection = (
      _opts: unknown,
      cb: (err: Error | null, stream?: Duplex) => void,
    ) => {
      this.openUnixStream(socketPath).then(
        (s) => cb(null, s),
        (e: Error) => cb(e),
      );
      return undefined;
    };
    this.dockerClient = new Docker({
      protocol: 'http',
      host: 'docker',
      port: 80,
      agent,
    } as Docker.DockerOptions);
    return this.dockerClient;
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }
}
