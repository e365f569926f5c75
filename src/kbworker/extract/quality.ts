/**
 * Is extracted text real text, or garbage that needs OCR? Pure heuristics on the text: replacement, private-use
 * and control characters; Cyrillic read in the wrong encoding (UTF-8 or cp1251 bytes shown as Latin-1 «Ð¿Ñ€Ð¸»,
 * «Ïðèâåò», KOI8 read as cp1251 «дПУФБЧЛБ», box-drawing characters); too few letters among the symbols; words
 * without vowels. Russian, Kazakh and English pass.
 */

export interface TextQuality {
  ok: boolean;
  /** Why the text was judged garbage (when not ok). */
  reason?: string;
  letters: number;
  /** Shares, each of the non-space characters unless told. */
  bad: number;
  latin1Accented: number; // of letters
  utf8Mojibake: number; // of letters
  boxDrawing: number;
  letterShare: number;
  caseSwapWords: number; // of words
  upperCase: number; // of letters
  vowellessWords: number; // of words of 4+ letters
}

const VOWELS = new Set('aeiouyаеёиоуыэюяәөұүіїєαεηιουω'.split(''));
/** Letters of a UTF-8 lead byte (Ð Ñ Ã Â) followed by a continuation byte shown in Latin-1 or cp1252. */
const UTF8_MOJIBAKE =
  /[ÐÑÃÂ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]/g;
const WORD = /[\p{L}]+/gu;

function share(n: number, of: number): number {
  return of === 0 ? 0 : n / of;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Judges text; below ~40 non-space characters there is too little to judge and it passes (emptiness is judged elsewhere). */
export function assessText(text: string): TextQuality {
  let nonSpace = 0;
  let letters = 0;
  let digits = 0;
  let bad = 0;
  let accented = 0;
  let box = 0;
  let upper = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (/\s/.test(ch)) continue;
    nonSpace++;
    if (c === 0xfffd || (c >= 0xe000 && c <= 0xf8ff) || c < 0x20 || (c >= 0x7f && c < 0xa0) || c >= 0xf0000)
      bad++;
    else if (c >= 0x2500 && c <= 0x259f) box++;
    else if (/\p{L}/u.test(ch)) {
      letters++;
      if (/\p{Lu}/u.test(ch)) upper++;
      if (c >= 0xc0 && c <= 0xff && c !== 0xd7 && c !== 0xf7) accented++;
    } else if (/\p{N}/u.test(ch)) digits++;
  }
  const mojibakePairs = text.match(UTF8_MOJIBAKE)?.length ?? 0;
  let words = 0;
  let caseSwap = 0;
  let longWords = 0;
  let vowelless = 0;
  for (const [w] of text.matchAll(WORD)) {
    words++;
    // A lower-case letter followed by an upper-case one inside a word: «пПХБЕР», «ОПХБЕр».
    if (/\p{Ll}\p{Lu}/u.test(w) && !/^\p{Lu}?\p{Ll}+\p{Lu}\p{Ll}+$/u.test(w)) caseSwap++;
    if (w.length >= 4) {
      longWords++;
      let hasVowel = false;
      for (const ch of w.toLowerCase()) if (VOWELS.has(ch)) hasVowel = true;
      if (!hasVowel) vowelless++;
    }
  }
  const q: TextQuality = {
    ok: true,
    letters,
    bad: share(bad, nonSpace),
    latin1Accented: share(accented, letters),
    utf8Mojibake: share(mojibakePairs * 2, letters),
    boxDrawing: share(box, nonSpace),
    letterShare: share(letters + digits, nonSpace),
    caseSwapWords: share(caseSwap, words),
    upperCase: share(upper, letters),
    vowellessWords: share(vowelless, longWords),
  };
  if (nonSpace < 40) return q;
  const reason =
    q.bad > 0.05
      ? `${pct(q.bad)} of the characters are unreadable (replacement, private-use or control characters): the fonts have no text mapping`
      : q.utf8Mojibake > 0.15
        ? `the text is UTF-8 read as Latin-1 («Ð¿Ñ€Ð¸»-like runs in ${pct(q.utf8Mojibake)} of the letters)`
        : q.latin1Accented > 0.3
          ? `the text is Cyrillic read as Latin-1 («Ïðèâåò»-like: ${pct(q.latin1Accented)} of the letters are accented Latin)`
          : q.boxDrawing > 0.05
            ? `${pct(q.boxDrawing)} of the characters are box-drawing characters: Cyrillic in the wrong code page`
            : q.caseSwapWords > 0.25 || (q.upperCase > 0.5 && q.caseSwapWords > 0.03)
              ? `${pct(q.caseSwapWords)} of the words mix cases inside the word («дПУФБЧЛБ»): Cyrillic in the wrong code page`
              : q.letterShare < 0.5
                ? `only ${pct(q.letterShare)} of the characters are letters or digits: symbol soup`
                : q.vowellessWords > 0.35
                  ? `${pct(q.vowellessWords)} of the words have no vowel: not words of a language`
                  : undefined;
  return reason === undefined ? q : { ...q, ok: false, reason };
}

/** Letters on the pages of a PDF, on average: below this a PDF is a scan (or drawings) without a text layer. */
export const MIN_LETTERS_PER_PAGE = 20;

export function countLetters(text: string): number {
  return text.match(/\p{L}/gu)?.length ?? 0;
}
