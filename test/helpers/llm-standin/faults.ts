/*
 * The LLM STAND-IN's faults (NOT OpenAI's real limits): the mode a test sets through the control
 * API, its checks, a seeded pseudo-random draw for a repeatable share of 429s, and a rolling
 * minute of tokens for `tokensPerMinute`.
 */

import { INTENTS } from './chat';
import type { Intent } from './chat';

export type FailWith = 500 | 502 | 503 | 'reset' | 'hang';
export const FAIL_WITH: readonly FailWith[] = [500, 502, 503, 'reset', 'hang'];

export interface RateLimitMode {
  /** The share of API requests answered 429, 0…1. */
  ratio: number;
  /** The `retry-after` header, in seconds. */
  retryAfter: number;
  /** The `retry-after-ms` header (default retryAfter × 1000); the official clients prefer it. */
  retryAfterMs?: number;
  /** The pseudo-random seed: the same seed gives the same 429s in the same order. */
  seed: number;
}

export interface LlmStandinMode {
  rateLimit: RateLimitMode | null;
  /** The next N API requests fail with `failWith`. */
  failNext: number;
  failWith: FailWith;
  /** Every answer waits this long. */
  latencyMs: number;
  /** 429 (type `tokens`) when the prompt tokens of the last minute would pass this; 0: no limit. */
  tokensPerMinute: number;
  /** Regular expression source (case-insensitive) → the classifier's intent, tried first. */
  classify: Record<string, Intent>;
}

export type LlmStandinModeChange = Partial<Omit<LlmStandinMode, 'rateLimit'>> & {
  rateLimit?: (Partial<RateLimitMode> & { ratio: number }) | null;
};

export const DEFAULT_SEED = 1;

export function freshMode(): LlmStandinMode {
  return { rateLimit: null, failNext: 0, failWith: 500, latencyMs: 0, tokensPerMinute: 0, classify: {} };
}

const isNum = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isFinite(v) && v >= min;

/** The mode after a change (shallow merge), or an Error naming what is wrong with the change. */
export function mergeMode(mode: LlmStandinMode, change: unknown): LlmStandinMode {
  if (!change || typeof change !== 'object' || Array.isArray(change))
    throw new Error('the mode change is a JSON object');
  const c = change as Record<string, unknown>;
  const next: LlmStandinMode = { ...mode };
  for (const [k, v] of Object.entries(c)) {
    switch (k) {
      case 'rateLimit': {
        if (v === null) {
          next.rateLimit = null;
          break;
        }
        const r = v as Partial<RateLimitMode> | undefined;
        if (!r || typeof r !== 'object' || !isNum(r.ratio) || r.ratio > 1)
          throw new Error('rateLimit.ratio is a number from 0 to 1');
        if (r.retryAfter !== undefined && !isNum(r.retryAfter))
          throw new Error('rateLimit.retryAfter: seconds');
        if (r.retryAfterMs !== undefined && !isNum(r.retryAfterMs))
          throw new Error('rateLimit.retryAfterMs: ms');
        if (r.seed !== undefined && !Number.isInteger(r.seed))
          throw new Error('rateLimit.seed is an integer');
        next.rateLimit = {
          ratio: r.ratio,
          retryAfter: r.retryAfter ?? (r.retryAfterMs !== undefined ? Math.ceil(r.retryAfterMs / 1000) : 1),
          ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}),
          seed: r.seed ?? DEFAULT_SEED,
        };
        break;
      }
      case 'failNext':
        if (!Number.isInteger(v) || (v as number) < 0) throw new Error('failNext is a count');
        next.failNext = v as number;
        break;
      case 'failWith':
        if (!FAIL_WITH.includes(v as FailWith)) throw new Error(`failWith is one of ${FAIL_WITH.join(', ')}`);
        next.failWith = v as FailWith;
        break;
      case 'latencyMs':
        if (!isNum(v)) throw new Error('latencyMs is a number of milliseconds');
        next.latencyMs = v;
        break;
      case 'tokensPerMinute':
        if (!isNum(v)) throw new Error('tokensPerMinute is a number (0: no limit)');
        next.tokensPerMinute = v;
        break;
      case 'classify': {
        if (!v || typeof v !== 'object' || Array.isArray(v))
          throw new Error('classify maps regular expressions to intents');
        for (const [src, intent] of Object.entries(v)) {
          if (!INTENTS.includes(intent as Intent))
            throw new Error(`classify: "${String(intent)}" is not one of ${INTENTS.join(', ')}`);
          try {
            new RegExp(src, 'iu');
          } catch (e) {
            throw new Error(
              `classify: bad regular expression ${JSON.stringify(src)}: ${(e as Error).message}`,
              { cause: e },
            );
          }
        }
        next.classify = { ...(v as Record<string, Intent>) };
        break;
      }
      default:
        throw new Error(`unknown stand-in mode "${k}"`);
    }
  }
  return next;
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tokens taken in the last minute, for `tokensPerMinute`. */
export class TokenWindow {
  private entries: Array<{ at: number; tokens: number }> = [];
  constructor(private readonly windowMs = 60_000) {}

  used(now: number): number {
    this.entries = this.entries.filter((e) => now - e.at < this.windowMs);
    return this.entries.reduce((n, e) => n + e.tokens, 0);
  }

  /** Milliseconds until `need` more tokens fit under `limit` (0: they fit now). */
  waitFor(need: number, limit: number, now: number): number {
    let used = this.used(now);
    if (used + need <= limit) return 0;
    for (const e of this.entries) {
      used -= e.tokens;
      if (used + need <= limit) return Math.max(1, e.at + this.windowMs - now);
    }
    return this.windowMs;
  }

  take(tokens: number, now: number): void {
    this.entries.push({ at: now, tokens });
  }

  clear(): void {
    this.entries = [];
  }
}
