import { SectionBuilder } from './sections';
import type { Section } from './types';

/**
 * Plain text into Sections: paragraphs are separated by blank lines; a short line that stands alone before a
 * paragraph (no final punctuation), an ALL-CAPS line or a numbered one («1.», «2.3») starts a heading path
 * (keep it simple: no attempt at a document's real outline beyond that).
 */

const NUMBERED = /^(\d+(?:\.\d+)*)\.?\s+\S/;

type HeadingKind = { numbered: number } | 'caps' | 'plain';

function headingKind(line: string, standsAlone: boolean): HeadingKind | undefined {
  const t = line.trim();
  if (t.length === 0 || t.length > 80 || t.split(/\s+/).length > 12) return undefined;
  if (/[.,;:!?…]$/.test(t) && !/^\d+(\.\d+)*\.$/.test(t)) return undefined;
  if (!/^[\p{Lu}\d]/u.test(t)) return undefined;
  const numbered = NUMBERED.exec(t);
  if (numbered?.[1]) return { numbered: numbered[1].split('.').length };
  const letters = t.replace(/[^\p{L}]/gu, '');
  if (letters.length >= 3 && letters === letters.toUpperCase()) return 'caps';
  return standsAlone ? 'plain' : undefined;
}

export function textSections(text: string): Section[] {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((b) => b.replace(/^\n+|\n+$/g, ''))
    .filter((b) => b.trim() !== '');
  const out = new SectionBuilder();
  // ALL-CAPS and plain headings are level 1; numbered ones nest by their depth, under an ALL-CAPS one if any came.
  let capsSeen = false;
  const headingLevel = (line: string, standsAlone: boolean): number | undefined => {
    const kind = headingKind(line, standsAlone);
    if (kind === undefined) return undefined;
    if (kind === 'caps') capsSeen = true;
    return typeof kind === 'object' ? kind.numbered + (capsSeen ? 1 : 0) : 1;
  };
  blocks.forEach((block, i) => {
    const lines = block.split('\n');
    const first = lines[0] ?? '';
    const next = blocks[i + 1];
    if (lines.length === 1) {
      // A lone short line is a heading when a paragraph (a sentence, not another lone line as in a list) follows.
      const nextIsParagraph =
        next !== undefined && (next.includes('\n') || next.length > 80 || /[.!?…;:]$/.test(next.trim()));
      const level = headingLevel(first, nextIsParagraph);
      if (level !== undefined && next !== undefined) return out.heading(level, first);
      return out.paragraph(block);
    }
    const level = headingLevel(first, false);
    if (level !== undefined) {
      out.heading(level, first);
      return out.paragraph(lines.slice(1).join('\n'));
    }
    out.paragraph(unwrap(lines));
  });
  return out.done();
}

/** Lines of a paragraph: hard-wrapped prose joins into one line; lists and short lines keep their breaks. */
function unwrap(lines: string[]): string {
  const listLike = lines.filter((l) => /^\s*([-*•–]|\d+[.)])\s/.test(l)).length;
  if (listLike > 0 || lines.every((l) => l.trim().length < 50)) return lines.join('\n');
  return lines.join(' ');
}
