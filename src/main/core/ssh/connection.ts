import type { Server } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { CoreError } from '../errors';
import { serveTunnel, type Tunnel } from '../tunnel';
import { noopCommand } from './commands';
import { dockerOverStreams, streamLocalError } from './docker';
import { forwardError, mapConnectError } from './errors';
import { commandLabel, openWithin, runChannel } from './exec';
import { algorithmOf } from './hostkey';
import { abandon, hostKeyAlgorithmsFor, offeredKey, pinnedTypeGone, refusedKey } from './probe';
import { shellJoin } from './quote';
import { Semaphore } from './semaphore';
import {
  CHANNEL_OPEN_TIMEOUT_MS,
  DEFAULT_SLOT_WAIT_MS,
  DOCKER_CALL_TIMEOUT_MS,
  READY_TIMEOUT_MS,
  SFTP_IDLE_MS,
  SFTP_STALL_MS,
  endpointText,
  type ConnectOptions,
  type ExecOptions,
  type ExecResult,
  type HostKeyPolicy,
  type OfferedKey,
  type SshCredentials,
  type SshEndpoint,
  type UploadOptions,
} from './types';
import { uploadOver } from './upload';

// What the rest of the core imports from here, wherever it lives now.
export type { Tunnel };
export type {
  ConnectOptions,
  ExecOptions,
  ExecResult,
  HostKeyPolicy,
  OfferedKey,
  SshCredentials,
  SshEndpoint,
  UploadOptions,
} from './types';
export { DEFAULT_SLOT_WAIT_MS, DOCKER_CALL_TIMEOUT_MS, EXEC_OUTPUT_LIMIT, SFTP_STALL_MS } from './types';
export { Semaphore } from './semaphore';
export { withCallDeadline } from './docker';
export { checkPrivateKey, mapConnectError } from './errors';
export { probeHostKey } from './probe';

// ssh2 is CommonJS: take its members from the default export (named imports fail under Node ESM).
const { Client } = ssh2;
type Client = InstanceType<typeof Client>;

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
          refusal = refusedKey(policy, offered, where, endpoint);
          return false;
        },
      };
      if (options.sock) config.sock = options.sock as unknown as ConnectConfig['sock'];
      if (credentials.agent) config.agent = credentials.agent;
      if (credentials.privateKey) config.privateKey = credentials.privateKey;
      if (credentials.passphrase) config.passphrase = credentials.passphrase;
      const onError = (err: Error): void => {
        abandon(client);
        if (!refusal && policy.kind === 'pinned' && /host key/i.test(err.message)) {
          // Asked only for the pinned key's type, the host has none of it any more.
          refusal = pinnedTypeGone(policy, where, endpoint);
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
          const value = await openWithin(open, this.channelOpenMs);
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
    return runChannel(stream, release, options, {
      where: endpointText(this.endpoint),
      isClosed: () => this.closed,
      closeReason: () => this.closeReason,
    });
  }

  /**
   * A command whose stdin and stdout are one stream, held open for as long as the caller keeps it
   * (the support door: a support account's forced command is the only way in, no forwarding). Its
   * session slot is given back when the channel closes.
   */
  async execStream(command: string): Promise<Duplex> {
    const { value: channel, release } = await this.withSessionSlot<ClientChannel>(
      `exec ${command.split(' ', 1)[0] ?? ''}`,
      (done) => this.client.exec(command, {}, (err, ch) => done(err, ch)),
    );
    let released = false;
    const free = (): void => {
      if (!released) {
        released = true;
        release();
      }
    };
    channel.once('close', free);
    // What the program says on stderr (the bridge's refusal) goes with the error the stream ends with.
    let stderr = '';
    channel.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 2000) stderr += c.toString();
    });
    channel.once('exit', (code: number | null) => {
      if (code) channel.emit('refused', stderr.trim() || `exit ${String(code)}`);
    });
    return channel;
  }

  /** A stream to a unix socket on the host (OpenSSH's direct-streamlocal). */
  openUnixStream(socketPath: string): Promise<Duplex> {
    this.ensureOpen();
    return new Promise((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(socketPath, (err, stream) => {
        if (err) reject(streamLocalError(err, endpointText(this.endpoint), socketPath));
        else resolve(stream);
      });
    });
  }

  /** A TCP stream to `host:port` as seen from the SSH server (direct-tcpip). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    this.ensureOpen();
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err) reject(forwardError(err, endpointText(this.endpoint), host, port));
        else resolve(stream);
      });
    });
  }

  /** The Docker Engine API for short calls (list, inspect, version): pooled channels. */
  docker(socketPath = '/var/run/docker.sock'): Docker {
    // A hung dockerd must fail a call (docker-modem: 'socket hang up' / timeout), not hang it.
    this.dockerShort ??= this.dockerOver(socketPath, DOCKER_CALL_TIMEOUT_MS);
    return this.dockerShort;
  }

  /** The Docker Engine API for long streams (logs, stats, events, pulls): a channel each, never queued behind short calls. */
  dockerStreams(socketPath = '/var/run/docker.sock'): Docker {
    this.dockerLong ??= this.dockerOver(socketPath);
    return this.dockerLong;
  }

  private dockerOver(socketPath: string, timeoutMs?: number): Docker {
    return dockerOverStreams(
      () => this.openUnixStream(socketPath),
      socketPath,
      endpointText(this.endpoint),
      timeoutMs,
    );
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
    return uploadOver(sftp, source, remotePath, options, this.sftpStallMs, endpointText(this.endpoint), () =>
      this.ensureOpen(),
    );
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
