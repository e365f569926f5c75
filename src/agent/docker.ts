/**
 * The few Docker Engine API calls the agent makes, over the host's Docker socket with node:http
 * (no dependency): a JSON call with a deadline, and a line stream (the events stream) that ends
 * when its signal aborts or the daemon closes it.
 */
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { LineSplitter } from '../shared/agent/protocol';

export class DockerError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export class DockerApi {
  constructor(readonly socketPath: string) {}

  /** GET `path` and parse its JSON answer; fails after `timeoutMs` or when `signal` aborts. */
  json<T>(path: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          path,
          method: 'GET',
          signal: opts.signal,
          timeout: opts.timeoutMs ?? 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300) {
              reject(
                new DockerError(
                  `Docker answered ${res.statusCode} to GET ${path}: ${messageOf(text)}`,
                  res.statusCode ?? null,
                ),
              );
              return;
            }
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(new DockerError(`Docker's answer to GET ${path} is not JSON`, res.statusCode ?? null));
            }
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new DockerError(`GET ${path} took longer than ${opts.timeoutMs ?? 10_000} ms`, null)),
      );
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * GET `path` as a stream of lines (Docker's events stream writes one JSON object per line);
   * resolves when the daemon ends the stream, rejects on an error; aborting `signal` ends it.
   */
  lines(path: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const req = request(
        { socketPath: this.socketPath, path, method: 'GET', signal },
        (res: IncomingMessage) => {
          if ((res.statusCode ?? 0) >= 300) {
            res.resume();
            reject(
              new DockerError(`Docker answered ${res.statusCode} to GET ${path}`, res.statusCode ?? null),
            );
            return;
          }
          const splitter = new LineSplitter();
          res.on('data', (chunk: Buffer) => {
            for (const line of splitter.push(chunk)) if (line.trim()) onLine(line.trim());
            if (splitter.pending > 1024 * 1024) splitter.clear(); // a line this long is not an event
          });
          res.on('end', () => resolve());
          res.on('error', reject);
        },
      );
      req.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      req.end();
    });
  }
}

function messageOf(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
