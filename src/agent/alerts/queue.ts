/**
 * The agent's outbound delivery queue: persisted (journal.ts), strictly ordered per destination
 * (chat + topic), rate limited (ratelimit.ts), with digests. The sender is injected (telegram.ts
 * gives one); it answers with a SendOutcome and the queue decides:
 *
 *   sent         → journaled done, next message;
 *   retry-after  → (Telegram 429) that chat pauses `retry_after` seconds, then THE SAME message
 *                  is sent again: nothing behind it overtakes it;
 *   transient    → (network, timeout, 5xx) the same message again after an exponential back-off
 *                  (1 s, 2 s, 4 s … capped at 60 s), for as long as it takes;
 *   permanent    → (400 bad request or chat not found, 403 blocked) journaled as failed with
 *                  Telegram's description, reported, and the queue moves on: one bad message
 *                  never blocks the ones behind it;
 *   unauthorized → (401/404: a wrong token) nothing to any destination can succeed: the
 *                  destination waits (5 min between tries) and keeps every message;
 *   migrated     → (a group became a supergroup) the chat id is replaced, journaled, and the
 *                  same message goes to the new id.
 *
 * Digest: when one host has more than `threshold` (5) messages accepted for a destination within
 * `windowMs` (a minute), the ones after that, until a minute from then, are held and sent as one
 * digest at its end; a storm that goes on gives one digest a minute.
 *
 * Duplicates: a message id is accepted once (the ids of done messages are kept, 5000 of them,
 * across compactions), so the engine offering the same notice again after a crash adds nothing.
 * A message is sent at least once: a kill between Telegram's answer and the journal's `done`,
 * or a timeout after Telegram took it, sends it again on the next try — at most one duplicate
 * per such event and destination (one message is in flight per destination). The Bot API has no
 * idempotency key, so this cannot be closed from our side.
 */
import type { Destination, JournalOp, QueuedMessage } from './journal';
import { Journal } from './journal';
import { RateLimiter, realClock, TELEGRAM_LIMITS } from './ratelimit';
import type { Clock, RateLimits } from './ratelimit';

export type { Destination, QueuedMessage } from './journal';
export type { Clock, RateLimits } from './ratelimit';

export type SendOutcome =
  | { kind: 'sent'; messageId?: number }
  | { kind: 'retry-after'; seconds: number }
  | { kind: 'transient'; error: string }
  | { kind: 'permanent'; code: number; error: string }
  | { kind: 'unauthorized'; error: string }
  | { kind: 'migrated'; toChatId: string };

export type Sender = (dest: Destination, msg: { text: string; silent: boolean }) => Promise<SendOutcome>;

export interface QueueInput {
  id: string;
  dest: Destination;
  host: string;
  text: string;
  silent: boolean;
  summary?: string;
}

export type QueueEvent =
  | { type: 'sent'; ids: string[]; dest: Destination; digest: boolean }
  | { type: 'failed'; ids: string[]; dest: Destination; error: string }
  | { type: 'retry'; ids: string[]; dest: Destination; waitMs: number; reason: string }
  | { type: 'migrated'; from: string; to: string }
  | { type: 'unauthorized'; dest: Destination; error: string }
  | { type: 'journal-error'; error: string };

export interface Failure {
  ids: string[];
  dest: Destination;
  at: number;
  error: string;
}

export interface QueueOptions {
  /** The journal (e.g. `data/alerts-queue.jsonl`). */
  file: string;
  send: Sender;
  /** The text of a digest of these messages' summary lines, for this destination (its language). */
  renderDigest: (host: string, summaries: string[], dest: Destination) => string;
  limits?: Partial<RateLimits>;
  digest?: { threshold?: number; windowMs?: number };
  backoff?: { initialMs?: number; maxMs?: number };
  unauthorizedRetryMs?: number;
  /** Compact the journal past this many lines (default 1000). */
  compactAfter?: number;
  clock?: Clock;
  onEvent?: (e: QueueEvent) => void;
}

const KEEP_DONE_IDS = 5000;
const KEEP_FAILURES = 50;

export const destKey = (d: Destination): string =>
  d.threadId !== undefined ? `${d.chatId}#${d.threadId}` : d.chatId;

export class DeliveryQueue {
  private readonly journal: Journal;
  private readonly limiter: RateLimiter;
  private readonly clock: Clock;
  private readonly pendingById = new Map<string, QueuedMessage>();
  private readonly doneIds: string[] = [];
  private readonly doneSet = new Set<string>();
  private readonly reserved = new Set<string>();
  private readonly migrations = new Map<string, string>();
  private readonly recent = new Map<string, number[]>();
  private readonly digests = new Map<string, { group: string; until: number }>();
  private readonly workers = new Map<string, Promise<void>>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly failureLog: Failure[] = [];
  private readonly stopper = new AbortController();
  private seq = 0;
  private started = false;
  private abandoned = false;
  /** What loading the journal found wrong (null: nothing). */
  loadProblem: string | null = null;

  private constructor(private readonly opts: QueueOptions) {
    this.journal = new Journal(opts.file);
    this.clock = opts.clock ?? realClock;
    this.limiter = new RateLimiter({ ...TELEGRAM_LIMITS, ...opts.limits }, this.clock);
  }

  /** The queue as its journal left it (a missing journal: empty). Not sending until `start`. */
  static async open(opts: QueueOptions): Promise<DeliveryQueue> {
    const q = new DeliveryQueue(opts);
    const { ops, skipped } = await q.journal.load();
    if (skipped) q.loadProblem = `${opts.file}: ${skipped} unreadable line(s) skipped`;
    q.replay(ops);
    return q;
  }

  private replay(ops: JournalOp[]): void {
    const now = this.clock.now();
    const windowMs = this.opts.digest?.windowMs ?? 60_000;
    for (const o of ops) {
      if (o.op === 'add') {
        this.seq = Math.max(this.seq, o.m.seq);
        if (o.m.summary !== undefined && o.m.at > now - windowMs) this.note(o.m, o.m.at);
        if (this.doneSet.has(o.m.id) || this.pendingById.has(o.m.id)) continue;
        this.pendingById.set(o.m.id, o.m);
      } else if (o.op === 'done' || o.op === 'seen') {
        for (const id of o.ids) {
          this.pendingById.delete(id);
          this.remember(id);
        }
      } else {
        this.migrations.set(o.from, o.to);
      }
    }
    for (const m of this.pendingById.values()) {
      m.dest = this.migrated(m.dest);
      if (m.group && m.hold !== undefined && m.hold > now) {
        this.digests.set(this.digestKey(m), { group: m.group, until: m.hold });
      }
    }
  }

  private remember(id: string): void {
    if (this.doneSet.has(id)) return;
    this.doneSet.add(id);
    this.doneIds.push(id);
    if (this.doneIds.length > KEEP_DONE_IDS) this.doneSet.delete(this.doneIds.shift()!);
  }

  private migrated(d: Destination): Destination {
    let chatId = d.chatId;
    for (let i = 0; i < 10 && this.migrations.has(chatId); i++) chatId = this.migrations.get(chatId)!;
    return chatId === d.chatId ? d : { ...d, chatId };
  }

  private digestKey(m: { host: string; dest: Destination }): string {
    return `${m.host}|${destKey(m.dest)}`;
  }

  private note(m: { host: string; dest: Destination }, at: number): number {
    const windowMs = this.opts.digest?.windowMs ?? 60_000;
    const k = this.digestKey(m);
    const times = (this.recent.get(k) ?? []).filter((t) => t > at - windowMs);
    times.push(at);
    this.recent.set(k, times);
    return times.length;
  }

  /**
   * Accept messages: journaled (fsync'd) before this resolves, then sent in order. Resolves to
   * the ids newly accepted (an id seen before is left out).
   */
  async enqueue(inputs: QueueInput | QueueInput[]): Promise<string[]> {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const now = this.clock.now();
    const threshold = this.opts.digest?.threshold ?? 5;
    const windowMs = this.opts.digest?.windowMs ?? 60_000;
    const accepted: QueuedMessage[] = [];
    for (const input of list) {
      if (this.doneSet.has(input.id) || this.pendingById.has(input.id) || this.reserved.has(input.id))
        continue;
      this.reserved.add(input.id);
      const m: QueuedMessage = { ...input, dest: this.migrated(input.dest), seq: ++this.seq, at: now };
      if (m.summary !== undefined) {
        const k = this.digestKey(m);
        const count = this.note(m, now);
        let open = this.digests.get(k);
        if ((!open || open.until <= now) && count > threshold) {
          open = { group: `digest:${k}:${now}`, until: now + windowMs };
          this.digests.set(k, open);
        }
        if (open && open.until > now) {
          m.hold = open.until;
          m.group = open.group;
        }
      }
      accepted.push(m);
    }
    try {
      await this.journal.append(accepted.map((m) => ({ op: 'add', m })));
    } finally {
      for (const m of accepted) this.reserved.delete(m.id);
    }
    for (const m of accepted) this.pendingById.set(m.id, m);
    this.kick();
    return accepted.map((m) => m.id);
  }

  /** Start sending (each destination's messages in order). */
  start(): void {
    this.started = true;
    this.kick();
  }

  /** Stop after the message in flight (its outcome journaled). */
  async stop(): Promise<void> {
    this.started = false;
    this.stopper.abort();
    await Promise.all(this.workers.values());
    await this.journal.idle();
  }

  /** Stop at once, as a killed agent would: an answer still on its way is not journaled. */
  abandon(): void {
    this.abandoned = true;
    this.started = false;
    this.stopper.abort();
  }

  /** Resolves when nothing is queued (every message sent or failed). */
  idle(): Promise<void> {
    if (this.pendingById.size === 0) return this.journal.idle();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve)).then(() => this.journal.idle());
  }

  /** The messages queued, in order. */
  pending(): QueuedMessage[] {
    return [...this.pendingById.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The latest permanent failures (newest last). */
  failures(): Failure[] {
    return this.failureLog.slice();
  }

  private emit(e: QueueEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // a listener's failure is not the queue's
    }
  }

  private kick(): void {
    if (!this.started) return;
    for (const m of this.pending()) {
      const k = destKey(m.dest);
      if (this.workers.has(k)) continue;
      const w = this.work(k).finally(() => {
        this.workers.delete(k);
        this.kick(); // messages that came meanwhile, or moved to another chat id
      });
      this.workers.set(k, w);
    }
  }

  private checkIdle(): void {
    if (this.pendingById.size) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private head(k: string): QueuedMessage[] {
    const mine = this.pending().filter((m) => destKey(m.dest) === k);
    const first = mine[0];
    if (!first) return [];
    return first.group ? mine.filter((m) => m.group === first.group) : [first];
  }

  private async work(k: string): Promise<void> {
    const signal = this.stopper.signal;
    const initial = this.opts.backoff?.initialMs ?? 1000;
    const max = this.opts.backoff?.maxMs ?? 60_000;
    let backoff = initial;
    while (this.started && !signal.aborted) {
      const batch = this.head(k);
      const first = batch[0];
      if (!first) return;
      const now = this.clock.now();
      if (first.hold !== undefined && first.hold > now) {
        await this.clock.sleep(first.hold - now, signal);
        continue;
      }
      const dest = first.dest;
      const ids = batch.map((m) => m.id);
      const digest = batch.length > 1;
      const msg = digest
        ? {
            text: this.opts.renderDigest(
              first.host,
              batch.map((m) => m.summary ?? ''),
              dest,
            ),
            silent: batch.every((m) => m.silent),
          }
        : { text: first.text, silent: first.silent };
      if (!(await this.limiter.take(dest.chatId, signal))) return;
      let outcome: SendOutcome;
      try {
        outcome = await this.opts.send(dest, msg);
      } catch (err) {
        outcome = { kind: 'transient', error: err instanceof Error ? err.message : String(err) };
      }
      if (this.abandoned) return;
      switch (outcome.kind) {
        case 'sent':
          backoff = initial;
          await this.finish(batch, true);
          this.emit({ type: 'sent', ids, dest, digest });
          break;
        case 'permanent': {
          backoff = initial;
          const error = `${outcome.code} ${outcome.error}`;
          await this.finish(batch, false, error);
          this.failureLog.push({ ids, dest, at: this.clock.now(), error });
          if (this.failureLog.length > KEEP_FAILURES) this.failureLog.shift();
          this.emit({ type: 'failed', ids, dest, error });
          break;
        }
        case 'retry-after': {
          const waitMs = outcome.seconds * 1000;
          this.limiter.pause(dest.chatId, this.clock.now() + waitMs);
          this.emit({ type: 'retry', ids, dest, waitMs, reason: `429 retry after ${outcome.seconds}` });
          break; // the limiter holds the next try (the same message) until then
        }
        case 'transient':
          this.emit({ type: 'retry', ids, dest, waitMs: backoff, reason: outcome.error });
          await this.clock.sleep(backoff, signal);
          backoff = Math.min(backoff * 2, max);
          break;
        case 'unauthorized': {
          const waitMs = this.opts.unauthorizedRetryMs ?? 300_000;
          this.emit({ type: 'unauthorized', dest, error: outcome.error });
          await this.clock.sleep(waitMs, signal);
          break;
        }
        case 'migrated':
          await this.migrate(dest.chatId, outcome.toChatId);
          return; // the messages moved to another destination: its worker takes them
      }
    }
  }

  private async finish(batch: QueuedMessage[], ok: boolean, error?: string): Promise<void> {
    const ids = batch.map((m) => m.id);
    try {
      await this.journal.append([{ op: 'done', ids, at: this.clock.now(), ok, ...(error ? { error } : {}) }]);
    } catch (err) {
      this.emit({ type: 'journal-error', error: (err as Error).message });
    }
    for (const id of ids) {
      this.pendingById.delete(id);
      this.remember(id);
    }
    this.checkIdle();
    await this.compactIfLong();
  }

  private async migrate(from: string, to: string): Promise<void> {
    this.migrations.set(from, to);
    try {
      await this.journal.append([{ op: 'migrate', from, to, at: this.clock.now() }]);
    } catch (err) {
      this.emit({ type: 'journal-error', error: (err as Error).message });
    }
    for (const m of this.pendingById.values()) m.dest = this.migrated(m.dest);
    this.emit({ type: 'migrated', from, to });
  }

  private async compactIfLong(): Promise<void> {
    if (this.journal.lines <= (this.opts.compactAfter ?? 1000)) return;
    try {
      await this.journal.compact(() => [
        ...[...this.migrations].map(([from, to]): JournalOp => ({ op: 'migrate', from, to, at: 0 })),
        { op: 'seen', ids: this.doneIds.slice() },
        ...this.pending().map((m): JournalOp => ({ op: 'add', m })),
      ]);
    } catch (err) {
      this.emit({ type: 'journal-error', error: (err as Error).message });
    }
  }
}
