import { SectionBuilder } from './sections';
import type { Section } from './types';

/**
 * Plain text into Sections: paragraphs are separated by blank lines; a short line that stands alone before a
 * paragraph (no final punctuation), an ALL-CAPS line or a numbered one («1.», «2.3») starts a heading path.
 */

const NUMBERED = /^(\d+(?:\.\d+)*)\.?\s+\S/;

function headingLevel(line: string, standsAlone: boolean): number | undefined {
  const t = line.trim();
  if (t.length === 0 || t.length > 80 || t.split(/\s+/).length > 12) return undefined;
  if (/[.,;:!?…]$/.test(t) && !/^\d+(\.\d+)*\.$/.test(t)) return undefined;
  if (!/^[\p{Lu}\d]/u.test(t)) return undefined;
  const numbered = NUMBERED.exec(t);
  if (numbered?.[1]) return numbered[1].split('.').length;
  const letters = t.replace(/[^\p{L}]/gu, '');
  if (letters.length >= 3 && letters === letters.toUpperCase()) return 1;
  return standsAlone ? 1 : undefined;
}

export function textSections(text: string): Section[] {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((b) => b.replace(/^\n+|\n+$/g, ''))
    .filter((b) => b.trim() !== '');
  const out = new SectionBuilder();
  blocks.forEach((block, i) => {
    const lines = block.split('\n');
    const first = lines[0] ?? '';
    const next = blocks[i + 1];
    if (lines.length === 1) {
      // A lone short line is a heading when a paragraph follows it (not another lone line, as in a list).
      const nextIsParagraph = next !== undefined && (next.includes('\n') || next.length > 80);
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
