/**
 * The delivery queue's journal: JSON lines, appended and fsync'd before the queue goes on, so a
 * killed agent (or a crashed machine) finds every message it accepted and knows which were
 * done. Compaction rewrites it atomically (files.ts) as a snapshot: the migrations, the ids
 * already done (so the same message is not accepted twice), the messages still queued.
 *
 *   {"op":"add","m":{id,seq,at,dest,host,text,silent,summary?,hold?,group?}}
 *   {"op":"done","ids":[…],"at":…,"ok":true|false,"error"?:"…"}
 *   {"op":"migrate","from":"-123","to":"-100123","at":…}
 *   {"op":"seen","ids":[…]}                                      (snapshots only)
 *
 * A torn last line (killed mid-write) is skipped on load, and the next append starts a new line.
 */
import { promises as fsp } from 'node:fs';
import { appendDurable, atomicWrite } from './files';

export interface Destination {
  /** A chat id (`-100…` for a supergroup) or `@channelname`. */
  chatId: string;
  /** A forum topic (message_thread_id). */
  threadId?: number;
}

export interface QueuedMessage {
  /** Stable: the same message offered twice is kept once. */
  id: string;
  seq: number;
  /** When it was accepted. */
  at: number;
  dest: Destination;
  host: string;
  text: string;
  silent: boolean;
  /** Its line in a digest; a message without one never goes into a digest (a test message). */
  summary?: string;
  /** Held for a digest until this time, with the others of `group`. */
  hold?: number;
  group?: string;
}

export type JournalOp =
  | { op: 'add'; m: QueuedMessage }
  | { op: 'done'; ids: string[]; at: number; ok: boolean; error?: string }
  | { op: 'migrate'; from: string; to: string; at: number }
  | { op: 'seen'; ids: string[] };

export interface LoadedJournal {
  ops: JournalOp[];
  /** Lines that could not be read (a torn last line, garbage). */
  skipped: number;
}

function isOp(o: unknown): o is JournalOp {
  if (!o || typeof o !== 'object') return false;
  const r = o as Record<string, unknown>;
  switch (r['op']) {
    case 'add': {
      const m = r['m'] as Record<string, unknown> | undefined;
      return (
        !!m &&
        typeof m['id'] === 'string' &&
        typeof m['seq'] === 'number' &&
        typeof m['text'] === 'string' &&
        typeof m['host'] === 'string' &&
        !!m['dest'] &&
        typeof (m['dest'] as Record<string, unknown>)['chatId'] === 'string'
      );
    }
    case 'done':
    case 'seen':
      return Array.isArray(r['ids']) && r['ids'].every((x) => typeof x === 'string');
    case 'migrate':
      return typeof r['from'] === 'string' && typeof r['to'] === 'string';
    default:
      return false;
  }
}

export class Journal {
  private io: Promise<void> = Promise.resolve();
  /** Lines in the file (for compaction). */
  lines = 0;
  private torn = false;

  constructor(readonly path: string) {}

  async load(): Promise<LoadedJournal> {
    let text: string;
    try {
      text = await fsp.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ops: [], skipped: 0 };
      throw err;
    }
    this.torn = text.length > 0 && !text.endsWith('\n');
    const ops: JournalOp[] = [];
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      this.lines++;
      try {
        const o: unknown = JSON.parse(line);
        if (isOp(o)) ops.push(o);
        else skipped++;
      } catch {
        skipped++;
      }
    }
    return { ops, skipped };
  }

  /** Append and fsync, after every write queued before. */
  append(ops: JournalOp[]): Promise<void> {
    if (!ops.length) return this.io;
    return this.enqueue(async () => {
      const text = (this.torn ? '\n' : '') + ops.map((o) => JSON.stringify(o)).join('\n') + '\n';
      await appendDurable(this.path, text);
      this.torn = false;
      this.lines += ops.length;
    });
  }

  /** Replace the file by the snapshot `make()` gives when its turn comes (after the writes queued before). */
  compact(make: () => JournalOp[]): Promise<void> {
    return this.enqueue(async () => {
      const ops = make();
      await atomicWrite(this.path, ops.map((o) => JSON.stringify(o) + '\n').join(''));
      this.lines = ops.length;
      this.torn = false;
    });
  }

  idle(): Promise<void> {
    return this.io;
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.io.then(job);
    this.io = run.catch(() => {});
    return run;
  }
}
