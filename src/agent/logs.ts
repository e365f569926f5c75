/**
 * Logs, followed from Docker's log API (never a re-read of the tail): one request per container
 * with `follow`, `timestamps` and `since`, the 8-byte stream headers taken apart by hand (a TTY
 * container has none), messages Docker split at 16 KiB joined again, lines sent in batches and
 * held back while the console's socket is full (the HTTP response is paused meanwhile).
 */
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { DockerApi } from './docker';

/** A line: [RFC 3339 nanosecond timestamp, 0 stdout / 1 stderr, text]. */
export type WireLine = [string, 0 | 1, string];
export interface LogsEvent {
  service: string;
  lines: WireLine[];
}

export interface LogsTarget {
  id: string;
  service: string;
  /** RFC 3339 (nanoseconds allowed): only lines after it. */
  since?: string;
}

const BATCH_LINES = 1000;
const BATCH_MS = 50;
const MAX_LINE = 256 * 1024;

/** Docker wants `since`/`until` as Unix seconds with a fraction. */
export function dockerTime(rfc3339: string): string {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(rfc3339);
  const seconds = Math.floor(Date.parse(`${m?.[1] ?? rfc3339}Z`) / 1000);
  if (!Number.isFinite(seconds)) throw new Error(`Not a moment: ${rfc3339}`);
  return `${seconds}.${(m?.[2] ?? '').padEnd(9, '0')}`;
}

/**
 * Splits Docker's log stream into messages: non-TTY answers are frames of [stream, 0, 0, 0,
 * size (4 bytes, big-endian)] + payload; a TTY answer is the raw bytes of stdout.
 */
export class LogDemux {
  private buf: Buffer = Buffer.alloc(0);
  private readonly partial: [string, string] = ['', ''];
  private readonly partialTs: [string, string] = ['', ''];

  constructor(private readonly tty: boolean) {}

  /** The complete lines in `chunk` (and what came before it). */
  push(chunk: Buffer): WireLine[] {
    const out: WireLine[] = [];
    if (this.tty) {
      this.text(0, chunk.toString('utf8'), out);
      return out;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      const stream = this.buf[0] === 2 ? 1 : 0;
      this.text(stream, this.buf.subarray(8, 8 + size).toString('utf8'), out);
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }

  /** What is left when the stream ends: a last line without its newline. */
  flush(): WireLine[] {
    const out: WireLine[] = [];
    for (const s of [0, 1] as const) {
      if (this.partial[s]) out.push([this.partialTs[s], s, this.partial[s]]);
      this.partial[s] = '';
    }
    return out;
  }

  /** Messages carry `<timestamp> <text>`; one without a final newline continues in the next. */
  private text(stream: 0 | 1, payload: string, out: WireLine[]): void {
    let rest = payload;
    while (rest.length) {
      const nl = rest.indexOf('\n');
      const piece = nl < 0 ? rest : rest.slice(0, nl);
      rest = nl < 0 ? '' : rest.slice(nl + 1);
      const sp = piece.indexOf(' ');
      const looksStamped = sp > 0 && /^\d{4}-\d{2}-\d{2}T/.test(piece);
      const ts = looksStamped ? piece.slice(0, sp) : this.partialTs[stream];
      const body = looksStamped ? piece.slice(sp + 1) : piece;
      if (this.partial[stream]) this.partial[stream] += body;
      else {
        this.partial[stream] = body;
        this.partialTs[stream] = ts;
      }
      if (this.partial[stream].length > MAX_LINE)
        this.partial[stream] = this.partial[stream].slice(0, MAX_LINE);
      if (nl >= 0) {
        out.push([this.partialTs[stream], stream, this.partial[stream].replace(/\r$/, '')]);
        this.partial[stream] = '';
      }
    }
  }
}

/**
 * Follow the logs of `targets`: each container's lines in order, sent as they come in batches
 * (at most every 50 ms or 1000 lines). When a followed container stops, `next` says which
 * container carries its lines on: the same one started again, or the one that replaced it (a
 * compose recreate gives the service a new container); the follow goes on there from the last
 * line's moment. Resolves when every target has ended (at the end of the lines when not
 * following, or when `next` gives none); `signal` stops it.
 */
export async function followLogs(
  docker: DockerApi,
  targets: Array<LogsTarget & { tty: boolean }>,
  opts: { tail: number; follow: boolean; until?: string },
  send: (e: LogsEvent) => boolean,
  drained: () => Promise<void>,
  signal: AbortSignal,
  next: (id: string, signal: AbortSignal) => Promise<string | null> = async () => null,
): Promise<void> {
  await Promise.all(
    targets.map(async (target) => {
      let t = target;
      for (;;) {
        const last = await followOne(docker, t, opts, send, drained, signal);
        const since = last ?? t.since ?? new Date().toISOString();
        if (!opts.follow || signal.aborted) return;
        const id = await next(t.id, signal);
        if (!id) return;
        t = { ...t, id, since };
      }
    }),
  );
}

/** One request of Docker's log API; resolves with the moment of the last line it sent. */
function followOne(
  docker: DockerApi,
  t: LogsTarget & { tty: boolean },
  opts: { tail: number; follow: boolean; until?: string },
  send: (e: LogsEvent) => boolean,
  drained: () => Promise<void>,
  signal: AbortSignal,
): Promise<string | undefined> {
  const q = new URLSearchParams({
    stdout: '1',
    stderr: '1',
    timestamps: '1',
    follow: opts.follow ? '1' : '0',
    tail: t.since ? 'all' : String(opts.tail),
  });
  if (t.since) q.set('since', dockerTime(t.since));
  if (opts.until) q.set('until', dockerTime(opts.until));
  const demux = new LogDemux(t.tty);
  let batch: WireLine[] = [];
  let lastAt: string | undefined;
  let timer: NodeJS.Timeout | null = null;
  let res: IncomingMessage | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!batch.length) return;
    const lines = batch;
    batch = [];
    if (!send({ service: t.service, lines }) && res && !res.isPaused()) {
      const r = res;
      r.pause();
      void drained().then(() => r.resume());
    }
  };
  const take = (lines: WireLine[]): void => {
    for (const l of lines) {
      batch.push(l);
      lastAt = l[0] || lastAt;
    }
    if (batch.length >= BATCH_LINES) flush();
    else timer ??= setTimeout(flush, BATCH_MS);
  };
  return new Promise<string | undefined>((resolve, reject) => {
    const req = request(
      { socketPath: docker.socketPath, path: `/containers/${encodeURIComponent(t.id)}/logs?${q}`, signal },
      (r) => {
        res = r;
        if ((r.statusCode ?? 0) >= 300) {
          r.resume();
          reject(new Error(`Docker answered ${r.statusCode} for the logs of ${t.service}.`));
          return;
        }
        r.on('data', (c: Buffer) => take(demux.push(c)));
        r.on('end', () => {
          take(demux.flush());
          flush();
          resolve(lastAt);
        });
        r.on('error', (e) => (signal.aborted ? resolve(lastAt) : reject(e)));
      },
    );
    req.on('error', (e) => (signal.aborted ? resolve(lastAt) : reject(e)));
    req.end();
  });
}
