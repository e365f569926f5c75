import { posix } from 'node:path';
import type { ClientChannel } from 'ssh2';
import { CoreError } from '../errors';
import { EXEC_OUTPUT_LIMIT, type ExecOptions, type ExecResult } from './types';

/** The program of a command, for `ssh.busy` messages ("docker compose", "sh -c", "cat"). */
export function commandLabel(argv: readonly string[]): string {
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

/** What a running command needs to know of its connection. */
export interface ChannelOwner {
  /** `'label' (address:port)`, for messages. */
  readonly where: string;
  isClosed(): boolean;
  closeReason(): CoreError | null;
}

/**
 * Run a command on an open exec channel to its end: output collected (bounded) or piped, input
 * piped or closed, a timeout or an abort stops it on the host (TERM, then KILL and close). The
 * session slot is released when the channel closes.
 */
export function runChannel(
  stream: ClientChannel,
  release: () => void,
  options: ExecOptions,
  owner: ChannelOwner,
): Promise<ExecResult> {
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
              `A command on ${owner.where} took longer than ${options.timeoutMs} ms and was stopped.`,
              'Check the host load and retry.',
            ),
          ),
        options.timeoutMs,
      );
    }
    const onAbort = (): void =>
      stop(new CoreError('exec.cancelled', 'The command was cancelled and stopped on the host.', ''));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted while the channel was being opened: the listener above will never fire for it.
    if (options.signal?.aborted) onAbort();
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
      if (code === undefined && signal === undefined && owner.isClosed()) {
        reject(
          owner.closeReason() ??
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

/**
 * Open a channel, or give up after `ms` (`no answer to the channel open`). One that opens after
 * that is closed at once: nobody will use it.
 */
export function openWithin<T>(
  open: (done: (err: Error | undefined, value?: T) => void) => void,
  ms: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`no answer to the channel open in ${ms / 1000} s`));
    }, ms);
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
}
