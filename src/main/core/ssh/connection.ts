import { createReadStream } from 'node:fs';
import { Agent, type AgentOptions } from 'node:http';
import type { Server } from 'node:net';
import { posix } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import type { Duplex, Readable } from 'node:stream';
import Docker from 'dockerode';
import ssh2, {
  type ClientChannel,
  type ConnectConfig,
  type SFTPWrapper,
  type ServerHostKeyAlgorithm,
} from 'ssh2';
import { CoreError } from '../errors';
import { tempSiblingName } from '../store/atomic';
import { serveTunnel, type Tunnel } from '../tunnel';

export type { Tunnel };
import { noopCommand } from './commands';
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
  /** Streamed output, as it arrives (the result still carries all of it). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /**
   * Standard output piped here with backpressure instead of being collected (the result's
   * `stdout` is then empty): for large output such as a backup archive.
   */
  stdout?: Writable;
  /** Streamed to the command's standard input (with backpressure); ended when it ends. */
  stdin?: Readable;
  /**
   * Keep standard input open until the command ends (it reads EOF when the console goes away:
   * how host-side locks die with their holder). Otherwise stdin is closed at once.
   */
  holdStdin?: boolean;
  /** What this command is, in an `ssh.busy` message (default: its program name). Never secrets. */
  label?: string;
}

export interface ConnectOptions {
  /** An already open stream to the SSH server (a forward through a jump host). */
  sock?: Duplex;
  /** Handshake + authentication must finish within this (default 15 s). */
  readyTimeoutMs?: number;
  /** Session channels (exec, SFTP) open at once; OpenSSH's MaxSessions defaults to 10. */
  maxSessions?: number;
  /** Connections this one rides on (jump hosts), closed with it — however it ends. */
  hops?: SshConnection[];
  /** How long a command waits for a free session channel before `ssh.busy` (default 3 min). */
  slotWaitMs?: number;
  /** An SFTP request unanswered this long fails its upload (default SFTP_STALL_MS). */
  sftpStallMs?: number;
  /** A session channel the server has not opened within this fails with `ssh.channel` (default 60 s). */
  channelOpenMs?: number;
}

export interface UploadOptions {
  mode?: number;
}

/**
 * A counting semaphore with a FIFO queue: at most `limit` holders at once, the rest wait their
 * turn — for at most `waitMs` (then `ssh.busy`, naming what holds the slots). Guards the server's
 * session-channel budget (MaxSessions).
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ grant: () => void }> = [];
  private readonly holders = new Map<number, string>();
  private nextHolder = 1;
  constructor(
    private readonly limit: number,
    private readonly waitMs: number = DEFAULT_SLOT_WAIT_MS,
    private readonly where: string = 'the host',
  ) {}
  get inUse(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiters.length;
  }
  get capacity(): number {
    return this.limit;
  }
  /** What holds the slots now ("3× exec docker, 1× sftp"). */
  describeHolders(): string {
    const counts = new Map<string, number>();
    for (const what of this.holders.values()) counts.set(what, (counts.get(what) ?? 0) + 1);
    return [...counts].map(([what, n]) => `${n}× ${what}`).join(', ') || 'nothing';
  }
  async acquire(what = 'a command'): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const waiter = { grant: (): void => undefined };
        const timer = setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(
            new CoreError(
              'ssh.busy',
              `${what} waited ${Math.round(this.waitMs / 1000)} s for a session channel on ${this.where} and gave up: all ${this.limit} are in use (${this.describeHolders()}), ${this.waiters.length} more waiting.`,
              "Other operations on this host hold its channels: let them finish (or lower the fleet concurrency), then retry. More channels: raise MaxSessions in the host's sshd_config.",
              { inUse: this.active, limit: this.limit, holders: this.describeHolders() },
            ),
          );
        }, this.waitMs);
        timer.unref?.();
        waiter.grant = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.push(waiter);
      });
    } else this.active += 1;
    const id = this.nextHolder++;
    this.holders.set(id, what);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders.delete(id);
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.active -= 1;
    };
  }
}

/** How long a command waits for a free session channel before `ssh.busy` (ConnectOptions.slotWaitMs). */
export const DEFAULT_SLOT_WAIT_MS = 180_000;

/** Output an exec keeps in memory per stream (more is dropped and the result marked truncated). */
export const EXEC_OUTPUT_LIMIT = 8 * 1024 * 1024;

/** Docker Engine API calls on the short client fail after this long without an answer. */
export const DOCKER_CALL_TIMEOUT_MS = 120_000;

/** An SFTP request (open, write, rename) unanswered this long fails the upload. */
export const SFTP_STALL_MS = 120_000;

/** A session channel the server has not opened within this is given up (and retried). */
const CHANNEL_OPEN_TIMEOUT_MS = 60_000;

/** The SFTP session is closed after this long unused, freeing its session channel. */
const SFTP_IDLE_MS = 10_000;

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Set when more output came than an exec keeps (EXEC_OUTPUT_LIMIT): the text is its start. */
  stdoutTruncated?: boolean;
  stderrTruncated?: boolean;
}

export interface OfferedKey {
  key: Buffer;
  fingerprint: string;
  algorithm: string;
}

/**
 * docker-modem's `timeout` reaches a connection as `req.setTimeout(ms)`: here it becomes a
 * deadline for the call (from the request on), failing it with a clear error instead of the
 * modem's bare 'socket hang up' — a hung dockerd must not hang a health wait.
 */
export function withCallDeadline(
  sock: Duplex & { setTimeout?: (ms?: number) => unknown },
  where: string,
): void {
  let timer: NodeJS.Timeout | null = null;
  sock.setTimeout = (ms?: number): Duplex => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (ms) {
      timer = setTimeout(
        () =>
          sock.destroy(
            new CoreError(
              'docker.timeout',
              `The Docker Engine on ${where} did not answer within ${Math.round(ms / 1000)} s.`,
              'dockerd on the host may be hung or overloaded: check it (systemctl status docker, journalctl -u docker), then retry.',
            ),
          ),
        ms,
      );
      timer.unref();
    }
    return sock;
  };
  sock.once('close', () => {
    if (timer) clearTimeout(timer);
  });
}

/**
 * The http.Agent behind dockerode: each HTTP connection it wants becomes one stream-local channel
 * to the Docker socket on the SSH connection.
 *
 * It describes itself briefly to util.inspect. docker-modem formats the options of every request,
 * this agent among them, with `util.inspect(options, { showHidden: true, depth: null })` for a debug
 * line, whether debugging is on or not. Without this, that walks every channel in the agent and,
 * through each, the whole ssh2 client with all its channels again (util.inspect spots only cycles,
 * not shared objects): with 25 Docker calls in flight, ~19 MB of text and ~1.7 s of blocked event
 * loop per request, which stalled every other operation on the connection too.
 */
class StreamLocalAgent extends Agent {
  constructor(
    private readonly openStream: () => Promise<Duplex>,
    private readonly socketPath: string,
    options: AgentOptions,
    private readonly where: string = 'the host',
  ) {
    super(options);
  }

  override createConnection(
    _options: unknown,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.openStream().then(
      (s) => {
        // http.Agent's keep-alive bookkeeping expects socket methods a channel lacks.
        const sock = s as Duplex & {
          setKeepAlive?: () => void;
          setNoDelay?: () => void;
          setTimeout?: (ms?: number) => void;
          ref?: () => void;
          unref?: () => void;
        };
        sock.setKeepAlive ??= () => undefined;
        sock.setNoDelay ??= () => undefined;
        if (!sock.setTimeout) withCallDeadline(sock, this.where);
        sock.ref ??= () => undefined;
        sock.unref ??= () => undefined;
        callback?.(null, sock);
      },
      // On an error http.Agent reads only the error (the typings insist on a stream).
      (e: Error) => callback?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }

  [inspect.custom](): string {
    const count = (m: NodeJS.ReadOnlyDict<unknown[]>): number =>
      Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
    return `StreamLocalAgent { socket: ${this.socketPath}, channels: ${count(this.sockets)}, free: ${count(this.freeSockets)}, queued: ${count(this.requests)} }`;
  }
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

function offeredKey(key: Buffer): OfferedKey {
  return { key: Buffer.from(key), fingerprint: fingerprintOf(key), algorithm: algorithmOf(key) };
}

/**
 * Read a host's key without authenticating or trusting anything: the handshake is stopped at the
 * host-key check. Used to show the fingerprint to the operator before pinning.
 */
export function probeHostKey(
  address: string,
  port: number,
  timeoutMs: number = READY_TIMEOUT_MS,
  sock?: Duplex,
  /** The pinned key's type, when there is one: asked for first, so the probe shows that key. */
  preferKeyType?: string,
): Promise<OfferedKey> {
  const preferred = preferKeyType ? hostKeyAlgorithmsFor(preferKeyType) : null;
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
      // Remove, then put in front: ssh2's `prepend` skips what the default list already has.
      ...(preferred
        ? { algorithms: { serverHostKey: { remove: preferred, prepend: preferred, append: [] } } }
        : {}),
      ...(sock ? { sock: sock as unknown as ConnectConfig['sock'] } : {}),
      hostVerifier: (key: Buffer) => {
        offered = offeredKey(key);
        return false;
      },
    });
  });
}

/**
 * One SSH connection to one host. Everything for that host goes over it: exec channels (within a
 * session budget, queued beyond it), one SFTP session, the Docker Engine API through stream-local
 * forwards to the docker socket, and TCP tunnels. When it drops, work in flight fails with
 * `ssh.connection-lost`; the owner (HostService) opens a new one for the next call.
 */
export class SshConnection {
  private closed = false;
  private closeReason: CoreError | null = null;
  private dockerShort: Docker | null = null;
  private dockerLong: Docker | null = null;
  private sftpSession: Promise<SFTPWrapper> | null = null;
  private releaseSftpSlot: (() => void) | null = null;
  private sftpUsers = 0;
  private sftpIdle: NodeJS.Timeout | null = null;
  private readonly tunnels = new Set<Server>();
  private readonly closeListeners = new Set<(reason: CoreError) => void>();
  readonly sessions: Semaphore;
  readonly offered: OfferedKey;
  private readonly hops: SshConnection[];
  private readonly sftpStallMs: number;
  private readonly channelOpenMs: number;

  private constructor(
    private readonly client: Client,
    offered: OfferedKey,
    readonly endpoint: SshEndpoint,
    options: ConnectOptions,
  ) {
    this.offered = offered;
    this.hops = options.hops ?? [];
    this.sftpStallMs = options.sftpStallMs ?? SFTP_STALL_MS;
    this.channelOpenMs = options.channelOpenMs ?? CHANNEL_OPEN_TIMEOUT_MS;
    this.sessions = new Semaphore(
      Math.max(1, options.maxSessions ?? 10),
      options.slotWaitMs ?? DEFAULT_SLOT_WAIT_MS,
      endpointText(endpoint),
    );
    const lost = (why: string): void => {
      if (this.closed) return;
      this.markClosed(
        new CoreError(
          'ssh.connection-lost',
          `The SSH connection to ${endpointText(endpoint)} was lost${why ? ` (${why})` : ''}.`,
          'The console reconnects on the next operation; retry it. If it keeps happening, check the network and the host.',
        ),
      );
    };
    client.on('close', () => lost(''));
    client.on('end', () => lost(''));
    client.on('error', (err: Error) => lost(err.message));
    // A hop going away takes this connection with it.
    for (const hop of this.hops) hop.onClose(() => this.client.end());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: (reason: CoreError) => void): () => void {
    if (this.closed && this.closeReason) listener(this.closeReason);
    else this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  private markClosed(reason: CoreError): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    for (const t of this.tunnels) t.close();
    this.tunnels.clear();
    for (const l of [...this.closeListeners]) l(reason);
    this.closeListeners.clear();
    // The jump hosts this connection rode on serve nothing else: they go with it, however it
    // ended (a drop too — else every reconnect would leave a chain of hop connections behind).
    for (const hop of this.hops) hop.close();
  }

  static connect(
    endpoint: SshEndpoint,
    credentials: SshCredentials,
    policy: HostKeyPolicy,
    options: ConnectOptions = {},
  ): Promise<SshConnection> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let offered: OfferedKey | null = null;
      let refusal: CoreError | null = null;
      const where = endpointText(endpoint);
      const pinnedAlgs = policy.kind === 'pinned' ? hostKeyAlgorithmsFor(algorithmOf(policy.key)) : null;
      const config: ConnectConfig = {
        host: endpoint.address,
        port: endpoint.port,
        username: endpoint.user,
        readyTimeout: options.readyTimeoutMs ?? READY_TIMEOUT_MS,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        // Like OpenSSH with a known key: ask only for the pinned key's type, so a host holding
        // several keys offers the pinned one (an RSA pin is not "changed" by an ed25519 key).
        ...(pinnedAlgs ? { algorithms: { serverHostKey: pinnedAlgs } } : {}),
        hostVerifier: (key: Buffer) => {
          offered = offeredKey(key);
          if (policy.kind === 'pinned' ? key.equals(policy.key) : offered.fingerprint === policy.fingerprint)
            return true;
          refusal =
            policy.kind === 'pinned'
              ? new CoreError(
                  'hostkey.changed',
                  `HOST KEY CHANGED for ${where}: refusing to connect.\n  pinned:  ${policy.fingerprint}\n  offered: ${offered.fingerprint} (${offered.algorithm})\nSomeone may be intercepting the connection, or the host was reinstalled.`,
                  `Verify the offered fingerprint with the host's administrator (ssh-keygen -lf on the host). If the change is expected, re-pin it: truffles host repin ${endpoint.label ?? 'NAME'} --accept-fingerprint ${offered.fingerprint}`,
                  {
                    host: endpoint.label ?? endpoint.address,
                    pinned: policy.fingerprint,
                    offered: offered.fingerprint,
                    algorithm: offered.algorithm,
                  },
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
      if (options.sock) config.sock = options.sock as unknown as ConnectConfig['sock'];
      if (credentials.agent) config.agent = credentials.agent;
      if (credentials.privateKey) config.privateKey = credentials.privateKey;
      if (credentials.passphrase) config.passphrase = credentials.passphrase;
      const onError = (err: Error): void => {
        client.removeAllListeners();
        client.on('error', () => undefined);
        client.end();
        if (!refusal && policy.kind === 'pinned' && /host key/i.test(err.message)) {
          // Asked only for the pinned key's type, the host has none of it any more.
          const type = algorithmOf(policy.key);
          refusal = new CoreError(
            'hostkey.changed',
            `HOST KEY CHANGED for ${where}: it no longer offers a ${type} key, and that is what is pinned.\n  pinned:  ${policy.fingerprint}`,
            `Verify the host's keys with its administrator (ssh-keygen -lf on the host), then re-pin: truffles host repin ${endpoint.label ?? 'NAME'}`,
            { host: endpoint.label ?? endpoint.address, pinned: policy.fingerprint, offered: null },
          );
        }
        reject(refusal ?? mapConnectError(err, endpoint));
      };
      client.once('error', onError);
      client.once('ready', () => {
        client.removeListener('error', onError);
        // Small request/response exchanges (exec, Docker API) otherwise wait on Nagle + delayed ACK (~40 ms each).
        client.setNoDelay(true);
        resolve(new SshConnection(client, offered as unknown as OfferedKey, endpoint, options));
      });
      client.connect(config);
    });
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw (
        this.closeReason ??
        new CoreError(
          'ssh.closed',
          `The SSH connection to ${endpointText(this.endpoint)} is closed.`,
          'Retry; the console reconnects.',
        )
      );
    }
  }

  /**
   * Open a session channel within the budget; a refused open (the server's MaxSessions reached by
   * someone else, a transient failure) is retried with backoff.
   */
  private async withSessionSlot<T>(
    what: string,
    open: (done: (err: Error | undefined, value?: T) => void) => void,
  ): Promise<{ value: T; release: () => void }> {
    this.ensureOpen();
    const release = await this.sessions.acquire(what);
    try {
      for (let attempt = 0; ; attempt++) {
        this.ensureOpen();
        try {
          // The open has a deadline too: a server that never answers must not hold the slot.
          const value = await new Promise<T>((resolve, reject) => {
            let late = false;
            const timer = setTimeout(() => {
              late = true;
              reject(new Error(`no answer to the channel open in ${this.channelOpenMs / 1000} s`));
            }, this.channelOpenMs);
            timer.unref();
            open((err, v) => {
              clearTimeout(timer);
              if (late) {
                // Opened after we gave up on it: close it, nobody will use it.
                (v as { close?: () => void; end?: () => void } | undefined)?.close?.();
                return;
              }
              if (err) reject(err);
              else resolve(v as T);
            });
          });
          return { value, release };
        } catch (err) {
          this.ensureOpen();
          if (attempt >= 4 || /no answer to the channel open/.test((err as Error).message)) {
            throw new CoreError(
              'ssh.channel',
              `Could not open a session channel on ${endpointText(this.endpoint)}: ${(err as Error).message}`,
              'The host limits sessions (MaxSessions in sshd_config) or is overloaded; retry in a moment.',
            );
          }
          await sleep(50 * 2 ** attempt);
        }
      }
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Run a command given as an argument array. */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.execRaw(shellJoin(argv), { label: commandLabel(argv), ...options });
  }

  /**
   * Run a command line the caller built with `shellJoin` (several quoted commands joined by
   * fixed shell syntax). Never pass text a person typed here without quoting it.
   */
  async execRaw(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (options.signal?.aborted)
      throw new CoreError('exec.cancelled', 'The command was cancelled before it started.', '');
    const { value: stream, release } = await this.withSessionSlot<ClientChannel>(
      `exec ${options.label ?? commandLabel(command.split(' ', 1))}`,
      (done) =>
        this.client.exec(command, options.env ? { env: options.env } : {}, (err, ch) => done(err, ch)),
    );
    return new Promise((resolve, reject) => {
      const out = new BoundedBuffer(EXEC_OUTPUT_LIMIT);
      const errOut = new BoundedBuffer(EXEC_OUTPUT_LIMIT);
      let timer: NodeJS.Timeout | undefined;
      let aborted: CoreError | null = null;
      const stop = (reason: CoreError): void => {
        aborted = reason;
        // OpenSSH >= 7.9 delivers the signal to the command; closing the channel finishes the job.
        sendSignal(stream, 'TERM');
        setTimeout(() => {
          sendSignal(stream, 'KILL');
          stream.close();
        }, 200).unref();
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
      const onAbort = (): void =>
        stop(new CoreError('exec.cancelled', 'The command was cancelled and stopped on the host.', ''));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.stdout) {
        const sink = options.stdout;
        sink.on('error', (e: Error) =>
          stop(new CoreError('exec.stdout', `Storing a command's output failed: ${e.message}`, 'Retry.')),
        );
        stream.pipe(sink);
      } else
        stream.on('data', (d: Buffer) => {
          out.push(d);
          options.onStdout?.(d);
        });
      stream.stderr.on('data', (d: Buffer) => {
        errOut.push(d);
        options.onStderr?.(d);
      });
      if (options.stdin) {
        options.stdin.on('error', (e: Error) =>
          stop(new CoreError('exec.stdin', `Reading the input for a command failed: ${e.message}`, 'Retry.')),
        );
        options.stdin.pipe(stream);
      } else if (!options.holdStdin) stream.end();
      stream.on('close', (code: number | null | undefined, signal: string | null | undefined) => {
        if (timer) clearTimeout(timer);
        options.stdin?.unpipe(stream);
        release();
        options.signal?.removeEventListener('abort', onAbort);
        if (aborted) {
          reject(aborted);
          return;
        }
        if (code === undefined && signal === undefined && this.closed) {
          reject(
            this.closeReason ??
              new CoreError('ssh.connection-lost', 'The SSH connection was lost.', 'Retry.'),
          );
          return;
        }
        resolve({
          code: code ?? null,
          signal: signal ?? null,
          stdout: out.text(),
          stderr: errOut.text(),
          ...(out.truncated ? { stdoutTruncated: true } : {}),
          ...(errOut.truncated ? { stderrTruncated: true } : {}),
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
          // RFC 4254 reason 1: administratively prohibited. OpenSSH answers 2 ("open failed") both when it
          // forbids stream forwarding and when the socket cannot be opened; facts.ts tells them apart.
          const prohibited = (err as Error & { reason?: number }).reason === 1;
          reject(
            prohibited
              ? new CoreError(
                  'ssh.streamlocal-prohibited',
                  `${endpointText(this.endpoint)} does not allow streams to unix sockets such as ${socketPath}.`,
                  'Allow it in the host\'s sshd_config: "AllowStreamLocalForwarding yes", then reload sshd.',
                )
              : new CoreError(
                  'ssh.streamlocal-failed',
                  `${endpointText(this.endpoint)} could not open ${socketPath}: ${err.message}`,
                  'Check that the socket exists and that the SSH user may open it.',
                ),
          );
        } else resolve(stream);
      });
    });
  }

  /** A TCP stream to `host:port` as seen from the SSH server (direct-tcpip). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    this.ensureOpen();
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err) {
          reject(
            new CoreError(
              'ssh.forward',
              `${endpointText(this.endpoint)} refused to forward to ${host}:${port}: ${err.message}`,
              'Allow TCP forwarding in the host\'s sshd_config ("AllowTcpForwarding yes") and check that the target listens.',
            ),
          );
        } else resolve(stream);
      });
    });
  }

  private dockerAgent(socketPath: string, keepAlive: boolean): Agent {
    return new StreamLocalAgent(
      () => this.openUnixStream(socketPath),
      socketPath,
      { keepAlive, ...(keepAlive ? { maxSockets: 6, maxFreeSockets: 6 } : {}) },
      endpointText(this.endpoint),
    );
  }

  /** The Docker Engine API for short calls (list, inspect, version): pooled channels. */
  docker(socketPath = '/var/run/docker.sock'): Docker {
    this.dockerShort ??= new Docker({
      protocol: 'http',
      host: 'docker',
      port: 80,
      agent: this.dockerAgent(socketPath, false),
      // A hung dockerd must fail a call (docker-modem: 'socket hang up' / timeout), not hang it.
      timeout: DOCKER_CALL_TIMEOUT_MS,
    } as Docker.DockerOptions);
    return this.dockerShort;
  }

  /** The Docker Engine API for long streams (logs, stats, events, pulls): a channel each, never queued behind short calls. */
  dockerStreams(socketPath = '/var/run/docker.sock'): Docker {
    this.dockerLong ??= new Docker({
      protocol: 'http',
      host: 'docker',
      port: 80,
      agent: this.dockerAgent(socketPath, false),
    } as Docker.DockerOptions);
    return this.dockerLong;
  }

  /**
   * sshd turns TCP_NODELAY on for its side of a connection only when a session starts
   * (ssh_packet_set_interactive, from do_exec). A jump host that only forwards would otherwise
   * hold back small packets for our delayed ACK: ~40 ms per exchange through it. A no-op exec.
   */
  async primeNoDelay(): Promise<void> {
    await this.exec(noopCommand(), { timeoutMs: 5000 }).catch(() => undefined);
  }

  /**
   * The connection's one SFTP session. It holds one session slot while open, and is closed once
   * unused for a few seconds (see upload), so it does not keep that slot for good.
   */
  sftp(): Promise<SFTPWrapper> {
    if (this.sftpSession) return this.sftpSession;
    const opening = this.withSessionSlot<SFTPWrapper>('sftp', (done) =>
      this.client.sftp((err, s) => done(err, s)),
    ).then(({ value, release }) => {
      this.releaseSftpSlot = release;
      value.on('close', () => {
        this.sftpSession = null;
        this.releaseSftpSlot?.();
        this.releaseSftpSlot = null;
      });
      return value;
    });
    this.sftpSession = opening;
    opening.catch(() => {
      this.sftpSession = null;
    });
    return opening;
  }

  /**
   * Upload a file or stream atomically: written to a temporary name beside the target, given its
   * mode, then renamed over the target — a reader never sees a half-written file.
   */
  async upload(
    source: string | Readable,
    remotePath: string,
    options: UploadOptions = {},
  ): Promise<{ bytes: number }> {
    this.sftpUsers += 1;
    if (this.sftpIdle) clearTimeout(this.sftpIdle);
    this.sftpIdle = null;
    try {
      return await this.uploadOnce(source, remotePath, options);
    } finally {
      this.sftpUsers -= 1;
      if (this.sftpUsers === 0 && this.sftpSession) {
        const session = this.sftpSession;
        this.sftpIdle = setTimeout(() => {
          this.sftpIdle = null;
          if (this.sftpUsers === 0 && this.sftpSession === session)
            session.then((s) => s.end()).catch(() => undefined);
        }, SFTP_IDLE_MS);
        this.sftpIdle.unref();
      }
    }
  }

  private async uploadOnce(
    source: string | Readable,
    remotePath: string,
    options: UploadOptions,
  ): Promise<{ bytes: number }> {
    const sftp = await this.sftp();
    const tmp = posix.join(posix.dirname(remotePath), tempSiblingName(posix.basename(remotePath)));
    const mode = options.mode ?? 0o644;
    let bytes: number;
    const stalled = (what: string): Error =>
      new Error(`the host did not answer ${what} for ${Math.round(this.sftpStallMs / 1000)} s`);
    // Every request gets a deadline: a stalled SFTP server fails the upload instead of holding it.
    const withDeadline = <T>(what: string, p: Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(stalled(what)), this.sftpStallMs);
        timer.unref();
        p.then(
          (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          (e: unknown) => {
            clearTimeout(timer);
            reject(e as Error);
          },
        );
      });
    const sftpCall = (fn: (cb: (err: Error | null | undefined) => void) => void): Promise<void> =>
      withDeadline(
        'a file request',
        new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve()))),
      );
    try {
      const handle = await withDeadline(
        'the open',
        new Promise<Buffer>((resolve, reject) =>
          sftp.open(tmp, 'w', { mode }, (err, h) => (err ? reject(err) : resolve(h))),
        ),
      );
      try {
        // The source is opened (and starts flowing) only now, with the handle ready.
        const input =
          typeof source === 'string' ? createReadStream(source, { highWaterMark: 256 * 1024 }) : source;
        const out = pipelinedWriter(sftp, handle, UPLOAD_DEPTH, UPLOAD_CHUNK, this.sftpStallMs, stalled);
        await pipeline(input, out);
        bytes = out.bytesWritten;
      } finally {
        await sftpCall((cb) => sftp.close(handle, cb)).catch(() => undefined);
      }
      await sftpCall((cb) => sftp.chmod(tmp, mode, cb));
      await sftpCall((cb) => sftp.ext_openssh_rename(tmp, remotePath, cb)).catch(async () =>
        sftpCall((cb) => sftp.rename(tmp, remotePath, cb)),
      );
    } catch (err) {
      // A stream source that never got read (the open failed) must not be left hanging.
      if (typeof source !== 'string' && !source.destroyed) source.destroy();
      await sftpCall((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
      if (err instanceof CoreError) throw err;
      this.ensureOpen();
      throw new CoreError(
        'sftp.upload',
        `Upload to ${endpointText(this.endpoint)}:${remotePath} failed: ${(err as Error).message}`,
        'Check the target folder exists and is writable, and the disk is not full.',
      );
    }
    return { bytes };
  }

  /**
   * A TCP tunnel: a listener on 127.0.0.1 (random port) on this machine whose connections are
   * forwarded to `host:port` as seen from the SSH server — e.g. a tenant's PostgreSQL inside a
   * Docker network. Closed with the connection.
   */
  async tunnel(host: string, port: number): Promise<Tunnel> {
    this.ensureOpen();
    const t = await serveTunnel(() => this.forwardOut(host, port));
    this.tunnels.add(t.server);
    t.server.on('close', () => this.tunnels.delete(t.server));
    return { localPort: t.localPort, close: t.close };
  }

  close(): void {
    this.markClosed(
      new CoreError(
        'ssh.closed',
        `The SSH connection to ${endpointText(this.endpoint)} was closed by the console.`,
        '',
      ),
    );
    this.client.end();
  }
}

/** The program of a command, for `ssh.busy` messages ("docker compose", "sh -c", "cat"). */
function commandLabel(argv: readonly string[]): string {
  const [cmd = '?', sub] = argv;
  const base = posix.basename(cmd).slice(0, 40);
  if (base === 'docker' && sub && /^[a-z-]+$/.test(sub)) return `docker ${sub}`;
  if ((base === 'sh' || base === 'bash') && sub === '-c') return `${base} -c`;
  return base;
}

/** Collects output up to `limit` bytes; the rest is counted, not kept. */
class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(d: Buffer): void {
    if (this.size >= this.limit) {
      this.truncated = true;
      return;
    }
    const room = this.limit - this.size;
    const part = d.length > room ? d.subarray(0, room) : d;
    if (part.length < d.length) this.truncated = true;
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Send a signal to the command on a session channel. ssh2's `signal()` sends nothing once our
 * side sent EOF (stdin closed), though RFC 4254 allows it — EOF only ends our data. Then the
 * request goes out through the protocol object directly, so a cancelled command is stopped
 * whether or not its input was closed.
 */
function sendSignal(stream: ClientChannel, name: 'TERM' | 'KILL'): void {
  try {
    const ch = stream as unknown as {
      outgoing?: { state?: string; id?: number };
      _client?: { _protocol?: { signal?: (id: number, sig: string) => void } };
    };
    if (ch.outgoing?.state === 'eof' && typeof ch.outgoing.id === 'number' && ch._client?._protocol?.signal)
      ch._client._protocol.signal(ch.outgoing.id, name);
    else stream.signal(name);
  } catch {
    /* the channel is gone, or the server does not take signals */
  }
}

const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-dss',
];

/**
 * The host-key algorithms that yield a key of this blob type (RSA keys sign with three); null
 * for a type ssh2 does not know (then nothing is narrowed and the key comparison decides).
 */
function hostKeyAlgorithmsFor(keyType: string): ServerHostKeyAlgorithm[] | null {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return KEY_TYPES.includes(keyType) ? [keyType as ServerHostKeyAlgorithm] : null;
}

/** WRITE requests in flight per upload, and their size: 2 MiB, OpenSSH's channel window. */
const UPLOAD_DEPTH = 32;
const UPLOAD_CHUNK = 64 * 1024;

/** A Writable onto an open SFTP handle with up to `depth` WRITE requests in flight. */
function pipelinedWriter(
  sftp: SFTPWrapper,
  handle: Buffer,
  depth: number,
  chunk: number,
  stallMs: number,
  stalled: (what: string) => Error,
): Writable & { bytesWritten: number } {
  let pos = 0;
  let inflight = 0;
  let failed: Error | null = null;
  let waiter: (() => void) | null = null;
  // No WRITE answered for stallMs while some are in flight: the upload fails.
  let watchdog: NodeJS.Timeout | null = null;
  const arm = (): void => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = null;
    if (inflight === 0 || failed) return;
    watchdog = setTimeout(() => {
      if (!failed) failed = stalled('a write');
      wake();
    }, stallMs);
    watchdog.unref();
  };
  const wake = (): void => {
    const w = waiter;
    waiter = null;
    w?.();
  };
  const w = new Writable({
    highWaterMark: depth * chunk,
    write(data: Buffer, _enc, cb): void {
      const go = (off: number): void => {
        if (failed) return cb(failed);
        while (off < data.length && inflight < depth) {
          const len = Math.min(chunk, data.length - off);
          inflight++;
          if (!watchdog) arm();
          sftp.write(handle, data, off, len, pos, (err) => {
            inflight--;
            if (err && !failed) failed = err;
            else if (!err) w.bytesWritten += len;
            arm();
            wake();
          });
          pos += len;
          off += len;
        }
        if (off >= data.length) return cb();
        waiter = () => go(off);
      };
      go(0);
    },
    final(cb): void {
      const check = (): void => (failed ? cb(failed) : inflight === 0 ? cb() : void (waiter = check));
      check();
    },
    destroy(err, cb): void {
      if (watchdog) clearTimeout(watchdog);
      cb(err);
    },
  }) as Writable & { bytesWritten: number };
  w.bytesWritten = 0;
  return w;
}
