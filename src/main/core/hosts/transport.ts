import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import { CoreError } from '../errors';
import type { SshConnection } from '../ssh/connection';
import { type ExecOptions, type ExecResult } from '../ssh/connection';

/**
 * What the rest of the core needs from a host, whatever the way there: an SSH connection, or
 * this machine itself (on-premise installs where the console runs on the server).
 */
export interface HostTransport {
  readonly kind: 'ssh' | 'local';
  /** Run a command given as an argument array. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Run `sh -c SCRIPT` where SCRIPT was built from quoted argument arrays (see ssh/quote.ts). */
  execScript(script: string, options?: ExecOptions): Promise<ExecResult>;
  docker(): Docker;
  close(): void;
}

export class SshTransport implements HostTransport {
  readonly kind = 'ssh' as const;
  constructor(
    readonly connection: SshConnection,
    private readonly dockerSocket: string,
  ) {}
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.connection.exec(argv, options);
  }
  execScript(script: string, options?: ExecOptions): Promise<ExecResult> {
    return this.connection.exec(['sh', '-c', script], options);
  }
  docker(): Docker {
    return this.connection.docker(this.dockerSocket);
  }
  close(): void {
    this.connection.close();
  }
}

/** This machine: processes are spawned without a shell, Docker is the local socket. */
export class LocalTransport implements HostTransport {
  readonly kind = 'local' as const;
  private dockerClient: Docker | null = null;
  constructor(private readonly dockerSocket: string) {}

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [cmd, ...args] = argv;
    if (!cmd)
      return Promise.reject(
        new CoreError('quote.empty', 'Empty command.', 'This is a bug; please report it.'),
      );
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...options.env },
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
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
        }),
      );
    });
  }

  execScript(script: string, options?: ExecOptions): Promise<ExecResult> {
    return this.exec(['sh', '-c', script], options);
  }

  docker(): Docker {
    this.dockerClient ??= new Docker({ socketPath: this.dockerSocket });
    return this.dockerClient;
  }

  close(): void {
    /* nothing held open */
  }
}

/** The local Docker socket: DOCKER_HOST when it names a unix socket, else the usual path. */
export function localDockerSocket(env: NodeJS.ProcessEnv = process.env): string {
  const dh = env.DOCKER_HOST;
  if (dh && dh.startsWith('unix://')) return dh.slice('unix://'.length);
  return '/var/run/docker.sock';
}
