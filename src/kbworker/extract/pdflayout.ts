/**
 * pdf.js text items into lines and paragraphs: items join into a line until one ends a line (hasEOL) or the
 * baseline moves; lines join into a paragraph until the font size changes or the gap to the next line is
 * larger than a line's. Running headers, footers and page numbers are dropped; headings are told by size.
 */

export interface PdfTextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL?: boolean;
}

export interface Line {
  text: string;
  y: number;
  size: number;
}

export interface Paragraph {
  text: string;
  size: number;
}

function itemSize(it: PdfTextItem): number {
  const [, , c = 0, d = 0] = it.transform;
  return Math.hypot(c, d) || it.height || 1;
}

/** The lines of a page, top to bottom as the content stream has them. */
export function pageLines(items: PdfTextItem[]): Line[] {
  const lines: Line[] = [];
  let cur: (Line & { endX: number }) | undefined;
  let endsLine = false;
  for (const it of items) {
    const x = it.transform[4] ?? 0;
    const y = it.transform[5] ?? 0;
    const size = itemSize(it);
    if (it.str !== '') {
      if (cur && !endsLine && Math.abs(y - cur.y) <= 0.5 * Math.max(size, cur.size)) {
        const gap = x - cur.endX;
        if (gap > 0.15 * size && !/\s$/.test(cur.text) && !/^\s/.test(it.str)) cur.text += ' ';
        cur.text += it.str;
        cur.endX = x + it.width;
        cur.size = Math.max(cur.size, size);
      } else {
        if (cur) lines.push(cur);
        cur = { text: it.str, y, size, endX: x + it.width };
      }
      endsLine = false;
    }
    if (it.hasEOL) endsLine = true;
  }
  if (cur) lines.push(cur);
  return lines
    .map(({ text, y, size }) => ({ text: text.replace(/\s+/g, ' ').trim(), y, size }))
    .filter((l) => l.text !== '');
}

/** A page number alone on a line: «7», «— 7 —», «Стр. 7», «Страница 7 из 100», «Page 7 of 100», «7/100». */
const PAGE_NUMBER =
  /^[-–—\s]*((стр\.?|страница|бет|page|p\.)\s*)?\d{1,4}(\s*(из|of|\/)\s*\d{1,4})?[-–—\s]*$/i;

/**
 * Drops page numbers and running headers/footers: a first or last line of a page that, with its digits
 * blanked, is the first or last line of at least half the pages (and three of them).
 */
export function dropRunningLines(pages: Line[][]): Line[][] {
  const key = (l: Line) => l.text.replace(/\d+/g, '#').toLowerCase();
  const counts = new Map<string, number>();
  for (const lines of pages) {
    const edge = new Set(
      [lines[0], lines[1], lines[lines.length - 2], lines[lines.length - 1]].filter((l) => l),
    );
    for (const l of edge) if (l) counts.set(key(l), (counts.get(key(l)) ?? 0) + 1);
  }
  const threshold = Math.max(3, pages.length / 2);
  return pages.map((lines) =>
    lines.filter((l, i) => {
      const atEdge = i <= 1 || i >= lines.length - 2;
      if (!atEdge) return true;
      if (PAGE_NUMBER.test(l.text)) return false;
      return (counts.get(key(l)) ?? 0) < threshold;
    }),
  );
}

/** Joins a page's lines into paragraphs. */
export function paragraphs(lines: Line[]): Paragraph[] {
  const out: Paragraph[] = [];
  let cur: Paragraph | undefined;
  let prev: Line | undefined;
  for (const l of lines) {
    const sameSize = prev !== undefined && Math.abs(l.size - prev.size) <= 0.1 * prev.size;
    const drop = prev === undefined ? 0 : prev.y - l.y;
    const close = drop > 0 && drop <= 1.6 * Math.max(l.size, prev?.size ?? 0);
    if (cur && sameSize && close) {
      // A line broken after a hyphen («колл-» / «центра») joins without a space; a soft hyphen goes.
      if (/\p{L}\u00ad$/u.test(cur.text)) cur.text = cur.text.slice(0, -1) + l.text;
      else if (/\p{L}[-‐]$/u.test(cur.text) && /^\p{L}/u.test(l.text)) cur.text += l.text;
      else cur.text += ' ' + l.text;
    } else {
      if (cur) out.push(cur);
      cur = { text: l.text, size: l.size };
    }
    prev = l;
  }
  if (cur) out.push(cur);
  return out;
}

/** The body size: the size most characters have. */
export function bodySize(pages: Paragraph[][]): number {
  const chars = new Map<number, number>();
  for (const ps of pages)
    for (const p of ps) chars.set(round(p.size), (chars.get(round(p.size)) ?? 0) + p.text.length);
  let best = 0;
  let size = 0;
  for (const [s, n] of chars) if (n > best) [best, size] = [n, s];
  return size;
}

function round(size: number): number {
  return Math.round(size * 2) / 2;
}

/** Heading levels by size: paragraphs larger than the body and short; the largest size is level 1. */
export function headingLevels(pages: Paragraph[][]): (p: Paragraph) => number | undefined {
  const body = bodySize(pages);
  const isHeading = (p: Paragraph) => p.size >= body * 1.15 && p.text.length <= 150;
  const sizes = new Set<number>();
  for (const ps of pages) for (const p of ps) if (isHeading(p)) sizes.add(round(p.size));
  const ranked = [...sizes].sort((a, b) => b - a);
  return (p) => (isHeading(p) ? Math.min(6, ranked.indexOf(round(p.size)) + 1) : undefined);
}
