import { createHash } from 'node:crypto';

/**
 * A host's audit trail as a hash chain (pure: parsing and verifying; the host's writer is the
 * script in ./commands.ts). One record per line, in exactly this layout:
 *
 *   {"seq":N,"prev":"<64 hex>","hash":"<64 hex>","body":<the record, one JSON object>}
 *
 * `seq` counts from 1 with no gap; `prev` is the previous record's `hash` (64 zeros for the first);
 * `hash` = SHA-256 of `prev + "\n" + body` over the body's exact text. The body ends with what the
 * host's writer added — `actor` (from the key that logged in), `proof`, `hostAt` — after anything
 * the console sent, so a console's own "actor" is overridden, never believed (JSON's last key wins).
 *
 * What the chain alone proves: no record was altered, removed or reordered without rewriting every
 * later hash. What it cannot: someone root on the host rebuilding a self-consistent chain. For that
 * the console keeps checkpoints (seq → hash of heads it saw) off the host; `verifyChain` compares.
 */

export const GENESIS = '0'.repeat(64);

const LINE = /^\{"seq":(\d{1,15}),"prev":"([0-9a-f]{64})","hash":"([0-9a-f]{64})","body":(\{.*\})\}$/;

export interface ChainRecord {
  seq: number;
  prev: string;
  hash: string;
  /** The body's exact text (what was hashed). */
  bodyText: string;
  body: Record<string, unknown>;
}

/** A line of the trail as a record, or null when it is not one (torn, foreign, edited into another shape). */
export function parseChainLine(line: string): ChainRecord | null {
  const m = LINE.exec(line);
  if (!m) return null;
  let body: unknown;
  try {
    body = JSON.parse(m[4]!);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  return {
    seq: Number(m[1]),
    prev: m[2]!,
    hash: m[3]!,
    bodyText: m[4]!,
    body: body as Record<string, unknown>,
  };
}

export function chainHash(prev: string, bodyText: string): string {
  return createHash('sha256').update(`${prev}\n${bodyText}`, 'utf8').digest('hex');
}

/** A head of the chain this console saw (after its own append, or a verification). */
export interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
}

export type ChainProblemKind =
  'malformed' | 'altered' | 'broken-link' | 'removed' | 'reordered' | 'rewritten' | 'truncated';

export interface ChainProblem {
  kind: ChainProblemKind;
  /** The line of the file (1-based) where it shows; for `truncated`, the line after the last. */
  line: number;
  /** The record's sequence number as this console expected it there. */
  seq: number;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  records: number;
  head: { seq: number; hash: string } | null;
  /** Checkpoints compared (each one at or below the head). */
  checkpointsMatched: number;
  /** The first thing wrong, in file order; null when the chain holds. */
  problem: ChainProblem | null;
}

/**
 * Verifies a trail fed in pieces (pages of lines, in file order): every link, every hash, every
 * sequence number, and every checkpoint the console kept. Stops at the first problem.
 */
export class ChainVerifier {
  private line = 0;
  private seq = 0;
  private prev = GENESIS;
  private matched = 0;
  private problem: ChainProblem | null = null;
  private readonly checkpoints: Map<number, Checkpoint>;

  constructor(checkpoints: readonly Checkpoint[] = []) {
    this.checkpoints = new Map(checkpoints.map((c) => [c.seq, c]));
  }

  get failed(): boolean {
    return this.problem !== null;
  }

  /** Feeds the next lines; false once a problem is found (nothing more is read). */
  push(lines: readonly string[]): boolean {
    for (const text of lines) {
      if (this.problem) return false;
      this.line++;
      if (text === '') {
        this.fail('malformed', 'An empty line in the trail: a record was cut out or the file was edited.');
        return false;
      }
      const r = parseChainLine(text);
      const expect = this.seq + 1;
      if (!r) {
        this.fail('malformed', `Line ${this.line} is not a record of the chain (edited, torn or inserted).`);
        return false;
      }
      if (r.seq > expect) {
        this.fail(
          'removed',
          r.seq === expect + 1
            ? `Record ${expect} is missing: line ${this.line} holds record ${r.seq}.`
            : `Records ${expect}–${r.seq - 1} are missing: line ${this.line} holds record ${r.seq}.`,
        );
        return false;
      }
      if (r.seq < expect) {
        this.fail(
          'reordered',
          `Line ${this.line} holds record ${r.seq} where record ${expect} belongs (moved or repeated).`,
        );
        return false;
      }
      if (r.prev !== this.prev) {
        this.fail(
          'broken-link',
          `Record ${r.seq} does not follow record ${this.seq}: its link to the previous record was changed.`,
        );
        return false;
      }
      if (chainHash(r.prev, r.bodyText) !== r.hash) {
        this.fail('altered', `Record ${r.seq} was changed after it was written: its hash does not match it.`);
        return false;
      }
      const cp = this.checkpoints.get(r.seq);
      if (cp) {
        if (cp.hash !== r.hash) {
          this.fail(
            'rewritten',
            `Record ${r.seq} is not the one this console saw on ${cp.at}: the trail was rebuilt at or before it.`,
          );
          return false;
        }
        this.matched++;
      }
      this.seq = r.seq;
      this.prev = r.hash;
    }
    return true;
  }

  /** The verdict once every line was fed. */
  end(): ChainReport {
    if (!this.problem) {
      const beyond = [...this.checkpoints.values()]
        .filter((c) => c.seq > this.seq)
        .sort((a, b) => a.seq - b.seq);
      const first = beyond[0];
      if (first)
        this.fail(
          'truncated',
          `The trail ends at record ${this.seq}, but this console saw record ${first.seq} on ${first.at}: records were removed from its end.`,
          this.line + 1,
        );
    }
    return {
      ok: this.problem === null,
      records: this.seq,
      head: this.seq > 0 ? { seq: this.seq, hash: this.prev } : null,
      checkpointsMatched: this.matched,
      problem: this.problem,
    };
  }

  private fail(kind: ChainProblemKind, message: string, line = this.line): void {
    this.problem = { kind, line, seq: this.seq + 1, message };
  }
}

/** Verifies a whole trail held in memory (tests, small trails). */
export function verifyChain(lines: readonly string[], checkpoints: readonly Checkpoint[] = []): ChainReport {
  const v = new ChainVerifier(checkpoints);
  v.push(lines);
  return v.end();
}

/**
 * Which heads to keep as checkpoints: the newest `recent`, and before them one in every stretch of
 * `every` records (a rebuilt chain is then found within about `every` records of where it was changed).
 */
export function keepCheckpoints(
  all: readonly Checkpoint[],
  recent = 32,
  every = 64,
  max = 4000,
): Checkpoint[] {
  const bySeq = new Map<number, Checkpoint>();
  for (const c of all) bySeq.set(c.seq, c);
  const sorted = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const cut = sorted.length - recent;
  const buckets = new Set<number>();
  const kept = sorted.filter((c, i) => {
    if (i >= cut) return true;
    const b = Math.floor(c.seq / every);
    if (buckets.has(b)) return false;
    buckets.add(b);
    return true;
  });
  return kept.slice(-max);
}
