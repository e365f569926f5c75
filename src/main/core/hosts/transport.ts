import { spawn } from 'node:child_process';
import { chmod, rename, rm } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { dirname, basename, join } from 'node:path';
import { Duplex } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { CoreError } from '../errors';
import { tempSiblingName } from '../store/atomic';
import { serveTunnel } from '../tunnel';
import { Agent } from 'node:http';
import {
  withCallDeadline,
  DOCKER_CALL_TIMEOUT_MS,
  EXEC_OUTPUT_LIMIT,
  type SshConnection,
  type ExecOptions,
  type ExecResult,
  type Tunnel,
  type UploadOptions,
} from '../ssh/connection';
import { dockerViaAgent } from '../ssh/docker';
import { scriptCommand } from './commands';

/**
 * The variables a child of LocalTransport gets from the console's environment: what a shell,
 * Docker and Compose need — never the rest (TRUFFLES_PASSPHRASE, tokens, the console's own).
 */
const CHILD_ENV_KEYS = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CONTEXT',
  'DOCKER_CERT_PATH',
  'DOCKER_TLS_VERIFY',
  'XDG_RUNTIME_DIR',
];

/** The minimal environment of a local child: CHILD_ENV_KEYS from `from`, then the command's own. */
export function childEnv(
  extra: Record<string, string> | undefined,
  from: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of CHILD_ENV_KEYS) {
    const v = from[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return { ...env, ...extra };
}

/**
 * What the rest of the core needs from a host, whatever the way there: an SSH connection
 * (through jump hosts or not), or this machine itself (on-premise installs where the console
 * runs on the server).
 */
export interface HostTransport {
  readonly kind: 'ssh' | 'local';
  /** Run a command given as an argument array. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Run `sh -c SCRIPT` where SCRIPT was built from quoted argument arrays (see ssh/quote.ts). */
  execScript(script: string, options?: ExecOptions): Promise<ExecResult>;
  /** Docker Engine API for short calls. */
  docker(): Promise<Docker>;
  /** Docker Engine API for long streams (logs, stats, events), kept apart from short calls. */
  dockerStreams(): Promise<Docker>;
  /** Atomic upload (temporary name, mode, rename). */
  upload(source: string | Readable, remotePath: string, options?: UploadOptions): Promise<{ bytes: number }>;
  /** A local 127.0.0.1 port forwarded to `host:port` as the host sees it. */
  tunnel(host: string, port: number): Promise<Tunnel>;
  /** A stream to a Unix socket on the host (over SSH: direct-streamlocal on the one connection). */
  unixStream(socketPath: string): Promise<Duplex>;
  /** A command's stdin/stdout as one stream (over SSH: an exec channel kept open; the support door). */
  execStream(command: string): Promise<Duplex>;
  close(): void;
}

/**
 * An SSH host: at most one connection at a time, shared by every caller. Opened on first use;
 * after a drop, the next call opens a new one, with backoff after consecutive failures (0.5 s,
 * 1 s, 2 s … 30 s), so callers queue rather than storm a host that is down.
 */
export class SshTransport implements HostTransport {
  readonly kind = 'ssh' as const;
  private current: Promise<SshConnection> | null = null;
  private failures = 0;
  private nextAttemptAt = 0;
  private closed = false;
  /** How many SSH connections this transport has opened (for tests and diagnostics). */
  opened = 0;

  constructor(
    private readonly open: () => Promise<SshConnection>,
    private readonly dockerSocket: string,
    readonly label: string,
  ) {}

  async connection(): Promise<SshConnection> {
    if (this.closed)
      throw new CoreError('ssh.closed', `The console closed its connection to '${this.label}'.`, 'Retry.');
    const pending = this.current;
    if (pending) {
      const c = await pending.catch(() => null);
      if (c && !c.isClosed) return c;
      // Clear only the attempt we waited for: another caller may already have started the next one.
      if (this.current === pending) this.current = null;
    }
    this.current ??= this.attempt();
    return this.current;
  }

  private attempt(): Promise<SshConnection> {
    const wait = this.nextAttemptAt - Date.now();
    const attempt = (async (): Promise<SshConnection> => {
      if (wait > 0) await sleep(wait);
      try {
        const c = await this.open();
        this.opened += 1;
        this.failures = 0;
        this.nextAttemptAt = 0;
        return c;
      } catch (err) {
        // A refusal made here (an unconfirmed or changed host key) is no sign of a host that is
        // down: no backoff, or every later call would wait for it (a Tenants list took ~60 s).
        if (!(err instanceof CoreError && err.code.startsWith('hostkey.'))) {
          this.failures += 1;
          this.nextAttemptAt = Date.now() + Math.min(30_000, 500 * 2 ** (this.failures - 1));
        }
        throw err;
      }
    })();
    attempt.catch(() => {
      if (this.current === attempt) this.current = null;
    });
    return attempt;
  }

  async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return (await this.connection()).exec(argv, options);
  }
  async execScript(script: string, options?: ExecOptions): Promise<ExecResult> {
    return (await this.connection()).exec(scriptCommand(script), options);
  }
  async docker(): Promise<Docker> {
    return (await this.connection()).docker(this.dockerSocket);
  }
  async dockerStreams(): Promise<Docker> {
    return (await this.connection()).dockerStreams(this.dockerSocket);
  }
  async upload(
    source: string | Readable,
    remotePath: string,
    options?: UploadOptions,
  ): Promise<{ bytes: number }> {
    return (await this.connection()).upload(source, remotePath, options);
  }
  async tunnel(host: string, port: number): Promise<Tunnel> {
    return (await this.connection()).tunnel(host, port);
  }
  async unixStream(socketPath: string): Promise<Duplex> {
    return (await this.connection()).openUnixStream(socketPath);
  }
  async execStream(command: string): Promise<Duplex> {
    return (await this.connection()).execStream(command);
  }
  close(): void {
    this.closed = true;
    const c = this.current;
    this.current = null;
    c?.then((x) => x.close()).catch(() => undefined);
  }
}

/** This machine: processes are spawned without a shell, Docker is the local socket. */
export class LocalTransport implements HostTransport {
  readonly kind = 'local' as const;
  private dockerClient: Docker | null = null;
  private dockerStreamClient: Docker | null = null;
  constructor(
    private readonly dockerSocket: string,
    private readonly options: { dockerTimeoutMs?: number } = {},
  ) {}

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [cmd, ...args] = argv;
    if (!cmd)
      return Promise.reject(
        new CoreError('quote.empty', 'Empty command.', 'This is a bug; please report it.'),
      );
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        stdio: [options.stdin || options.holdStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        env: childEnv(options.env),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const size = { out: 0, err: 0 };
      const truncated = { out: false, err: false };
      const keep = (into: Buffer[], which: 'out' | 'err', d: Buffer): void => {
        const room = EXEC_OUTPUT_LIMIT - size[which];
        if (room <= 0 || d.length > room) truncated[which] = true;
        if (room <= 0) return;
        const part = d.length > room ? d.subarray(0, room) : d;
        into.push(part);
        size[which] += part.length;
      };
      if (options.stdin && child.stdin) {
        child.stdin.on('error', () => undefined); // EPIPE when the command exits early
        // An input that fails stops the command: it must not take a cut-off input as complete.
        options.stdin.on('error', () => child.kill('SIGTERM'));
        options.stdin.pipe(child.stdin);
      }
      if (options.stdout && child.stdout) child.stdout.pipe(options.stdout);
      else
        child.stdout?.on('data', (d: Buffer) => {
          keep(out, 'out', d);
          options.onStdout?.(d);
        });
      child.stderr?.on('data', (d: Buffer) => {
        keep(err, 'err', d);
        options.onStderr?.(d);
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.name === 'AbortError')
          reject(new CoreError('exec.cancelled', 'The command was cancelled.', ''));
        else if (e.code === 'ENOENT')
          resolve({ code: 127, signal: null, stdout: '', stderr: `${cmd}: not found\n` });
        else
          reject(
            new CoreError(
              'exec.failed',
              `Could not run ${cmd}: ${e.message}`,
              'Check that it is installed on this machine.',
            ),
          );
      });
      child.on('close', (code, signal) =>
        resolve({
          code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          ...(truncated.out ? { stdoutTruncated: true } : {}),
          ...(truncated.err ? { stderrTruncated: true } : {}),
        }),
      );
    });
  }

  execScript(script: string, options?: ExecOptions): Promise<ExecResult> {
    return this.exec(scriptCommand(script), options);
  }

  async docker(): Promise<Docker> {
    // Short calls have a deadline (a hung dockerd gives docker.timeout); streams do not.
    this.dockerClient ??= dockerViaAgent(
      new LocalDockerAgent(this.dockerSocket),
      this.options.dockerTimeoutMs ?? DOCKER_CALL_TIMEOUT_MS,
    );
    return this.dockerClient;
  }

  async dockerStreams(): Promise<Docker> {
    this.dockerStreamClient ??= new Docker({ socketPath: this.dockerSocket });
    return this.dockerStreamClient;
  }

  async upload(
    source: string | Readable,
    remotePath: string,
    options: UploadOptions = {},
  ): Promise<{ bytes: number }> {
    const tmp = join(dirname(remotePath), tempSiblingName(basename(remotePath)));
    const input = typeof source === 'string' ? createReadStream(source) : source;
    let bytes = 0;
    input.on('data', (d: Buffer) => (bytes += d.length));
    try {
      await pipeline(input, createWriteStream(tmp, { mode: options.mode ?? 0o644, flags: 'wx' }));
      await chmod(tmp, options.mode ?? 0o644);
      await rename(tmp, remotePath);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new CoreError(
        'upload.failed',
        `Writing ${remotePath} failed: ${(err as Error).message}`,
        'Check the folder exists and is writable, and the disk is not full.',
      );
    }
    return { bytes };
  }

  unixStream(socketPath: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(socketPath);
      socket.once('connect', () => resolve(socket));
      socket.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new CoreError(
            'unix.connect',
            `Could not connect to ${socketPath} on this machine: ${err.code ?? err.message}.`,
            'Check that the program serving it runs and that this user may use the socket.',
          ),
        ),
      );
    });
  }

  execStream(command: string): Promise<Duplex> {
    const argv = command.split(' ');
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    return Promise.resolve(Duplex.from({ readable: child.stdout, writable: child.stdin }));
  }

  async tunnel(host: string, port: number): Promise<Tunnel> {
    const t = await serveTunnel(
      () =>
        new Promise<Duplex>((resolve, reject) => {
          const remote = netConnect({ host, port });
          remote.once('connect', () => resolve(remote));
          remote.once('error', reject);
        }),
    );
    return { localPort: t.localPort, close: t.close };
  }

  close(): void {
    /* nothing held open */
  }
}

/** Connections of the local Docker client: the unix socket, with docker-modem's timeout as a deadline. */
class LocalDockerAgent extends Agent {
  constructor(private readonly socketPath: string) {
    super({ keepAlive: false });
  }
  override createConnection(): Duplex {
    const sock = netConnect(this.socketPath);
    withCallDeadline(sock as unknown as Duplex, 'this machine');
    return sock;
  }
}

/** The local Docker socket: DOCKER_HOST when it names a unix socket, else the usual path. */
export function localDockerSocket(env: NodeJS.ProcessEnv = process.env): string {
  const dh = env.DOCKER_HOST;
  if (dh && dh.startsWith('unix://')) return dh.slice('unix://'.length);
  return '/var/run/docker.sock';
}
