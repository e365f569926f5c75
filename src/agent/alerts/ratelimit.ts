/**
 * Telegram's rate limits, kept by the sender's side: at most one message a second in one chat,
 * 20 a minute in one group (negative ids, @channels), 30 a second over all chats; a 429's
 * `retry_after` pauses that chat. `wait` resolves when a message to the chat may go and counts
 * it as gone (the check and the count happen together: JavaScript runs one thing at a time).
 */

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface RateLimits {
  /** Between two messages to one chat (Telegram: about 1 s). */
  perChatMs: number;
  /** Messages a minute to one group or channel (Telegram: 20). */
  groupPerMinute: number;
  /** Messages a second over all chats (Telegram: about 30). */
  globalPerSecond: number;
}

export const TELEGRAM_LIMITS: RateLimits = { perChatMs: 1000, groupPerMinute: 20, globalPerSecond: 30 };

const isGroup = (chatId: string): boolean => chatId.startsWith('-') || chatId.startsWith('@');

export class RateLimiter {
  private readonly last = new Map<string, number>();
  private readonly groupSends = new Map<string, number[]>();
  private readonly pausedUntil = new Map<string, number>();
  private globalSends: number[] = [];

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: Clock,
  ) {}

  /** The earliest time a message to `chatId` may go (now or later). */
  nextAt(chatId: string): number {
    const now = this.clock.now();
    let at = now;
    const last = this.last.get(chatId);
    if (last !== undefined) at = Math.max(at, last + this.limits.perChatMs);
    at = Math.max(at, this.pausedUntil.get(chatId) ?? 0);
    if (isGroup(chatId)) {
      const sends = (this.groupSends.get(chatId) ?? []).filter((t) => t > now - 60_000);
      this.groupSends.set(chatId, sends);
      if (sends.length >= this.limits.groupPerMinute)
        at = Math.max(at, sends[sends.length - this.limits.groupPerMinute]! + 60_000);
    }
    this.globalSends = this.globalSends.filter((t) => t > now - 1000);
    if (this.globalSends.length >= this.limits.globalPerSecond)
      at = Math.max(at, this.globalSends[this.globalSends.length - this.limits.globalPerSecond]! + 1000);
    return at;
  }

  /** Wait for a turn to send to `chatId` and take it; false when `signal` aborted first. */
  async take(chatId: string, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      const at = this.nextAt(chatId);
      const now = this.clock.now();
      if (at <= now) {
        this.last.set(chatId, now);
        if (isGroup(chatId)) this.groupSends.get(chatId)?.push(now);
        this.globalSends.push(now);
        return true;
      }
      await this.clock.sleep(at - now, signal);
    }
  }

  /** A 429: nothing goes to this chat before `until`. */
  pause(chatId: string, until: number): void {
    this.pausedUntil.set(chatId, Math.max(until, this.pausedUntil.get(chatId) ?? 0));
  }
}
