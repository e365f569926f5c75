/** Splitting text into spans — paragraphs, lines, sentences, words — with their offsets. */

export interface Span {
  text: string;
  start: number;
}

function spans(text: string, re: RegExp, base: number): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(re)) {
    const raw = m[0];
    const lead = raw.length - raw.trimStart().length;
    const t = raw.trim();
    if (t) out.push({ text: t, start: base + (m.index ?? 0) + lead });
  }
  return out;
}

/** Paragraphs: separated by blank lines. */
export function paragraphSpans(text: string, base = 0): Span[] {
  return spans(text, /[^\n]+(?:\n(?!\s*\n)[^\n]*)*/g, base);
}

export function lineSpans(text: string, base = 0): Span[] {
  return spans(text, /[^\n]+/g, base);
}

/**
 * Sentences: up to a «.», «!», «?» or «…» (with closing quotes and brackets) followed by a space and not an
 * abbreviation's dot («т.е.», «г.», «ул.» before a lower-case word stay in the sentence), or a line's end.
 */
export function sentenceSpans(text: string, base = 0): Span[] {
  return spans(text, /[^\n]*?(?:[.!?…]+[»"'”)\]]*(?=\s+[^\p{Ll}\s]|\s*$)|\n|$)/gu, base);
}

export function wordSpans(text: string, base = 0): Span[] {
  return spans(text, /\S+/g, base);
}
