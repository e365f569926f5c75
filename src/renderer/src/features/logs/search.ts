/**
 * Searching the pane: a query as plain text or a regular expression, case-sensitive only when it
 * has a capital letter (as Dozzle does); the pieces of a line to highlight; and the running list
 * of matching entries, kept up to date as lines arrive and old ones are dropped.
 */
import type { LogBuffer, LogEntry } from './buffer';

export interface CompiledQuery {
  /** Null when there is nothing to search for (empty query) or the pattern is invalid. */
  re: RegExp | null;
  /** Why the pattern is invalid, in the engine's words. */
  error: string | null;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Smart case: a query with a capital letter matches case-sensitively; otherwise case is ignored. */
export function isCaseSensitive(query: string): boolean {
  return query !== query.toLowerCase();
}

export function compileQuery(query: string, regex: boolean): CompiledQuery {
  if (!query) return { re: null, error: null };
  const flags = isCaseSensitive(query) ? 'g' : 'gi';
  try {
    const re = new RegExp(regex ? query : escapeRegExp(query), flags);
    // A pattern that matches the empty string would highlight nothing and match everything.
    if (re.test('')) return { re: null, error: 'empty' };
    return { re, error: null };
  } catch (e) {
    return { re: null, error: e instanceof Error ? e.message : String(e) };
  }
}

export function matches(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  const ok = re.test(text);
  re.lastIndex = 0;
  return ok;
}

export interface Piece {
  text: string;
  match: boolean;
}

/** A line cut into plain and matching pieces, in order; at most `limit` matches are cut out. */
export function splitMatches(text: string, re: RegExp | null, limit = 200): Piece[] {
  if (!re) return [{ text, match: false }];
  const out: Piece[] = [];
  let last = 0;
  let found = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m && found < limit; m = re.exec(text)) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    if (m.index > last) out.push({ text: text.slice(last, m.index), match: false });
    out.push({ text: m[0], match: true });
    last = m.index + m[0].length;
    found++;
  }
  re.lastIndex = 0;
  if (last < text.length || out.length === 0) out.push({ text: text.slice(last), match: false });
  return out;
}

/** What a search looks at in an entry: a log line's text (notices are never matched). */
const searchable = (e: LogEntry): string | null => (e.notice ? null : e.text);

/**
 * The seqs of the entries that match, oldest first, updated incrementally: `update` tests only
 * the entries that arrived since the last call and forgets the ones the buffer dropped.
 */
export class MatchIndex {
  private seqs: number[] = [];
  /** Index in `seqs` of the first one still held (the front is trimmed lazily). */
  private from = 0;
  private scanned: number;

  constructor(
    private readonly buffer: LogBuffer,
    readonly re: RegExp,
  ) {
    this.scanned = buffer.startSeq;
  }

  get count(): number {
    return this.seqs.length - this.from;
  }

  seqAt(i: number): number | undefined {
    return i < 0 || i >= this.count ? undefined : this.seqs[this.from + i];
  }

  /** The position of the first match at or after `seq` (= `count` when none). */
  indexOfSeq(seq: number): number {
    let lo = this.from;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.from;
  }

  update(): void {
    const b = this.buffer;
    for (let s = Math.max(this.scanned, b.startSeq); s < b.endSeq; s++) {
      const text = searchable(b.bySeq(s)!);
      if (text !== null && matches(this.re, text)) this.seqs.push(s);
    }
    this.scanned = b.endSeq;
    while (this.from < this.seqs.length && this.seqs[this.from]! < b.startSeq) this.from++;
    if (this.from > 4096 && this.from * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.from);
      this.from = 0;
    }
  }
}
