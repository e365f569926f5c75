/**
 * The log pane's memory: a bounded ring of entries (log lines and the pane's own notices), each
 * numbered in arrival order (`seq`). When full, the oldest entries are dropped and counted, so a
 * follow can run for hours at thousands of lines a second in constant memory.
 */
import type { LogLine } from '../../../../shared/contract';
import { guessLevel, type LogLevel } from './level';

/** What the pane says in the stream itself: the follow resumed, events were lost, it ended. */
export type LogNotice = 'resumed' | 'eventsDropped' | 'ended' | 'failed';

export interface LogEntry {
  /** Arrival number, from 0, never reused within a buffer. */
  seq: number;
  /** RFC 3339 moment (Docker's, with nanoseconds); a notice's is the console's clock. */
  t: string;
  service: string;
  stream: 'stdout' | 'stderr';
  text: string;
  level: LogLevel;
  notice?: LogNotice;
}

/** How many entries the pane keeps by default. */
export const LOG_CAPACITY = 20_000;

export class LogBuffer {
  private readonly ring: (LogEntry | undefined)[];
  private head = 0;
  private count = 0;
  private next = 0;

  constructor(readonly capacity: number = LOG_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.ring = new Array<LogEntry | undefined>(capacity);
  }

  /** Entries held now. */
  get size(): number {
    return this.count;
  }

  /** Entries dropped from the front since the buffer was made. */
  get dropped(): number {
    return this.next - this.count;
  }

  /** The seq of the oldest entry held (= `endSeq` when empty). */
  get startSeq(): number {
    return this.next - this.count;
  }

  /** The seq the next entry will get. */
  get endSeq(): number {
    return this.next;
  }

  /** The i-th entry held, oldest first. */
  at(i: number): LogEntry | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.ring[(this.head + i) % this.capacity];
  }

  /** The entry numbered `seq`, when still held. */
  bySeq(seq: number): LogEntry | undefined {
    return this.at(seq - this.startSeq);
  }

  /** Adds log lines in order (their level guessed), dropping the oldest past the capacity. */
  pushLines(lines: readonly LogLine[]): void {
    // Only the last `capacity` of a huge batch can stay: skip the rest, but count them.
    const skip = Math.max(0, lines.length - this.capacity);
    if (skip) this.skip(skip);
    for (let i = skip; i < lines.length; i++) {
      const l = lines[i]!;
      this.add({
        seq: 0,
        t: l.t,
        service: l.service,
        stream: l.stream,
        text: l.text,
        level: guessLevel(l.text),
      });
    }
  }

  /** Adds one of the pane's notices (`text` for a reason, such as an error's message). */
  pushNotice(notice: LogNotice, text = '', t: string = new Date().toISOString()): void {
    this.add({
      seq: 0,
      t,
      service: '',
      stream: 'stdout',
      text,
      level: notice === 'failed' ? 'error' : 'info',
      notice,
    });
  }

  /** Every entry held, oldest first. */
  toArray(): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.at(i)!);
    return out;
  }

  private add(e: LogEntry): void {
    e.seq = this.next++;
    if (this.count < this.capacity) {
      this.ring[(this.head + this.count) % this.capacity] = e;
      this.count++;
    } else {
      this.ring[this.head] = e;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  /** Counts `n` entries as arrived and dropped at once (the buffer is emptied first). */
  private skip(n: number): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.next += n;
  }
}
