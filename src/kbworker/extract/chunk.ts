import { lineSpans, paragraphSpans, sentenceSpans, wordSpans, type Span } from './split';
import { countTokens } from './tokens';
import { HEADING_SEPARATOR, type Chunk, type Section } from './types';

/**
 * Sections into chunks for embedding. Structure first: a chunk holds one top-level heading's text (two only when
 * both are tiny) and starts anew at a sub-heading once it has minTokens; whole paragraphs fill it up to
 * maxTokens, balanced so a section's last chunk isn't a scrap; a paragraph too long for a chunk is split on
 * lines, then sentences, then words. Consecutive chunks of one section overlap by ~overlapTokens of whole
 * sentences. Each chunk's first line is its heading path («Доставка › По Алматы»).
 */

export interface ChunkOptions {
  /** The embedding model: picks the tokenizer. */
  model?: string;
  minTokens?: number;
  maxTokens?: number;
  overlapTokens?: number;
}

interface Unit {
  text: string;
  tokens: number;
  page?: number;
  headings: string[];
  key: string;
  top: string;
  charStart: number;
  /** What joins it to the unit before it in the same paragraph ('\n' line, ' ' sentence/word), or a new paragraph. */
  join: '\n\n' | '\n' | ' ';
}

const pathLine = (headings: string[]) => headings.join(HEADING_SEPARATOR);

type Piece = Span & { join: Unit['join'] };

/** Packs spans greedily into pieces of at most `limit` tokens, splitting a span too long with `finer`. */
function pack(
  spans: Span[],
  limit: number,
  count: (t: string) => number,
  finer: Array<(t: string, base: number) => Span[]>,
  sep: '\n' | ' ',
): Piece[] {
  const out: Piece[] = [];
  let cur: Piece | undefined;
  let curTokens = 0;
  for (const s of spans) {
    const n = count(s.text);
    const [next, ...rest] = finer;
    if (n > limit && next) {
      if (cur) out.push(cur);
      cur = undefined;
      curTokens = 0;
      pack(next(s.text, s.start), limit, count, rest, ' ').forEach((p, i) =>
        out.push(i === 0 ? { ...p, join: sep } : p),
      );
      continue;
    }
    if (cur && curTokens + n + 1 <= limit) {
      cur = { text: cur.text + sep + s.text, start: cur.start, join: cur.join };
      curTokens += n + 1;
    } else {
      if (cur) out.push(cur);
      cur = { ...s, join: sep };
      curTokens = n;
    }
  }
  if (cur) out.push(cur);
  return out;
}

function units(
  sections: Section[],
  limitFor: (headings: string[]) => number,
  count: (t: string) => number,
): Unit[] {
  const out: Unit[] = [];
  let offset = 0;
  for (const s of sections) {
    const key = pathLine(s.headings);
    const top = s.headings[0] ?? '';
    const limit = limitFor(s.headings);
    for (const p of paragraphSpans(s.text, offset)) {
      const base = { headings: s.headings, key, top, ...(s.page !== undefined ? { page: s.page } : {}) };
      const tokens = count(p.text);
      if (tokens <= limit) {
        out.push({ ...base, text: p.text, tokens, charStart: p.start, join: '\n\n' });
        continue;
      }
      const byLine = p.text.includes('\n');
      const pieces = byLine
        ? pack(lineSpans(p.text, p.start), limit, count, [sentenceSpans, wordSpans], '\n')
        : pack(sentenceSpans(p.text, p.start), limit, count, [wordSpans], ' ');
      pieces.forEach((piece, i) => {
        const join = i === 0 ? '\n\n' : piece.join;
        out.push({ ...base, text: piece.text, tokens: count(piece.text), charStart: piece.start, join });
      });
    }
    offset += s.text.length + 2;
  }
  return out;
}

/** The tail of a chunk's text to repeat at the start of the next: whole sentences, else words, up to `budget`. */
function overlapTail(text: string, budget: number, count: (t: string) => number): string {
  if (budget <= 0) return '';
  const sentences = sentenceSpans(text);
  let tail = '';
  for (let i = sentences.length - 1; i >= 0; i--) {
    const s = sentences[i]!;
    const candidate = text.slice(s.start);
    if (count(candidate) > budget) break;
    tail = candidate;
  }
  if (tail) return tail.trim();
  const words = wordSpans(text);
  for (let i = words.length - 1; i >= 0; i--) {
    const candidate = text.slice(words[i]!.start);
    if (count(candidate) > budget) break;
    tail = candidate;
  }
  return tail.trim();
}

export function chunk(sections: Section[], opts: ChunkOptions = {}): Chunk[] {
  const max = opts.maxTokens ?? 1000;
  const min = Math.min(opts.minTokens ?? 500, max);
  const overlapBudget = Math.min(opts.overlapTokens ?? 100, Math.floor(max / 4));
  const count = (t: string) => countTokens(t, opts.model);
  const headerTokens = new Map<string, number>();
  const header = (headings: string[]) => {
    const k = pathLine(headings);
    let n = headerTokens.get(k);
    if (n === undefined) headerTokens.set(k, (n = k ? count(k) + 1 : 0));
    return n;
  };
  const all = units(sections, (h) => Math.max(32, max - header(h) - overlapBudget - 16), count);

  // Totals of each top-level block and of each heading path's run, for the tiny rule and balancing.
  const blockTotal: number[] = [];
  const groupRest: number[] = []; // tokens from a unit to the end of its heading path's run
  for (let i = 0; i < all.length;) {
    let j = i;
    let total = 0;
    while (j < all.length && all[j]!.top === all[i]!.top) total += all[j++]!.tokens + 2;
    for (let k = i; k < j; k++) blockTotal[k] = total;
    i = j;
  }
  for (let i = all.length - 1; i >= 0; i--) {
    const sameGroup = i + 1 < all.length && all[i + 1]!.key === all[i]!.key;
    groupRest[i] = all[i]!.tokens + 2 + (sameGroup ? groupRest[i + 1]! : 0);
  }
  /** Whether to end a chunk before unit i: the rest of its heading's run, spread evenly, makes this one full. */
  const balanced = (i: number, own: number): boolean => {
    const u = all[i]!;
    const cap = Math.max(1, max - header(u.headings) - overlapBudget - 16);
    const whole = own + groupRest[i]!;
    if (whole <= cap) return false;
    const target = whole / Math.ceil(whole / cap);
    return own + u.tokens / 2 >= target;
  };

  const chunks: Chunk[] = [];
  let cur: Unit[] = [];
  let curTokens = 0; // estimate: header, overlap, units and separators
  let ownTokens = 0;
  let overlap: { text: string; tokens: number; page?: number } | undefined;

  const render = (list: Unit[], lead?: string): string => {
    const first = list[0]!;
    let body = lead ?? '';
    list.forEach((u, i) => {
      const prev = list[i - 1];
      if (prev && u.key !== prev.key) body += `\n\n${pathLine(u.headings)}\n${u.text}`;
      else body += (body ? u.join : '') + u.text;
    });
    return first.key ? `${first.key}\n${body}` : body;
  };

  /** Emits the current chunk; returns how many units it gave back because the exact count was over max. */
  const flush = (withOverlap: boolean): number => {
    let gaveBack = 0;
    let content = render(cur, overlap?.text);
    let tokens = count(content);
    while (tokens > max && cur.length > 1) {
      cur.pop();
      gaveBack++;
      content = render(cur, overlap?.text);
      tokens = count(content);
    }
    const first = cur[0]!;
    const last = cur[cur.length - 1]!;
    const c: Chunk = {
      index: chunks.length,
      content,
      tokenCount: tokens,
      headings: first.headings,
      charStart: first.charStart,
    };
    const page = overlap?.page ?? first.page;
    if (page !== undefined) c.page = page;
    if (last.page !== undefined) c.pageEnd = last.page;
    chunks.push(c);
    overlap = undefined;
    if (withOverlap && gaveBack === 0) {
      const own = cur.filter((u) => u.key === last.key);
      const text = render(own).slice(last.key ? last.key.length + 1 : 0);
      const tail = overlapTail(text, overlapBudget, count);
      if (tail)
        overlap = {
          text: tail,
          tokens: count(tail),
          ...(last.page !== undefined ? { page: last.page } : {}),
        };
    }
    cur = [];
    curTokens = overlap ? overlap.tokens + 2 : 0;
    ownTokens = 0;
    return gaveBack;
  };

  let i = 0;
  while (i < all.length) {
    const u = all[i]!;
    const last = cur[cur.length - 1];
    let back = 0;
    if (last) {
      const room = curTokens + u.tokens + 2 <= max;
      if (u.top !== last.top) {
        const tiny = curTokens < min && blockTotal[i]! < min && room;
        if (!tiny) back = flush(false);
      } else if (u.key !== last.key) {
        if (curTokens >= min || curTokens + u.tokens + header(u.headings) + 2 > max) back = flush(false);
      } else if (!room || balanced(i, ownTokens)) {
        back = flush(true);
      }
    }
    if (back > 0) {
      i -= back; // the units given back start the next chunk
      continue;
    }
    if (cur.length === 0) curTokens += header(u.headings);
    else if (u.key !== cur[cur.length - 1]!.key) curTokens += header(u.headings) + 2;
    cur.push(u);
    curTokens += u.tokens + 2;
    ownTokens += u.tokens + 2;
    i++;
    if (i === all.length) i -= flush(false);
  }
  return chunks;
}
