import { analyse } from 'chardet';
import iconv from 'iconv-lite';

/**
 * The text of a plain-text file and its encoding: a BOM (UTF-8, UTF-16LE/BE), else valid UTF-8, else UTF-16
 * without a BOM (zero bytes), else chardet's guesses — where the single-byte Russian encodings (windows-1251,
 * koi8-r, ISO-8859-5, mac-cyrillic, cp866), which chardet often confuses, are decided by how Russian each
 * decoding reads.
 */

export interface Decoded {
  text: string;
  encoding: string;
}

const CYRILLIC_CANDIDATES = ['windows-1251', 'koi8-r', 'iso-8859-5', 'x-mac-cyrillic', 'ibm866'];
const ICONV_NAMES: Record<string, string> = { 'x-mac-cyrillic': 'maccyrillic' };
const COMMON_RU = new Set('оеаинтсрвл');

function decode(bytes: Uint8Array, encoding: string): string {
  return iconv.decode(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ICONV_NAMES[encoding] ?? encoding,
  );
}

/**
 * How much a decoding reads like Russian, 0..3: the share of its non-ASCII characters that are Russian letters,
 * the share of those letters among the ten most frequent (о е а и н т с р в л: ~0.6 in Russian) and the share
 * that are lower case (~0.9).
 */
export function russianScore(text: string): number {
  let nonAscii = 0;
  let russian = 0;
  let common = 0;
  let lower = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) continue;
    nonAscii++;
    if (/[а-яё]/.test(ch)) {
      russian++;
      lower++;
      if (COMMON_RU.has(ch)) common++;
    } else if (/[А-ЯЁ]/.test(ch)) {
      russian++;
      if (COMMON_RU.has(ch.toLowerCase())) common++;
    }
  }
  if (nonAscii === 0 || russian === 0) return 0;
  return russian / nonAscii + Math.min(1, common / russian / 0.6) + lower / russian;
}

function utf16WithoutBom(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const n = Math.min(bytes.length - (bytes.length % 2), 4096);
  if (n < 4) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZero++;
    if (bytes[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero > pairs * 0.3 && evenZero < pairs * 0.05) return 'utf-16le';
  if (evenZero > pairs * 0.3 && oddZero < pairs * 0.05) return 'utf-16be';
  // Cyrillic in UTF-16 has 0x04 as its high byte.
  let oddFour = 0;
  let evenFour = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i + 1] === 0 || bytes[i + 1] === 4) oddFour++;
    if (bytes[i] === 0 || bytes[i] === 4) evenFour++;
  }
  if (oddFour > pairs * 0.9 && evenFour < pairs * 0.3) return 'utf-16le';
  if (evenFour > pairs * 0.9 && oddFour < pairs * 0.3) return 'utf-16be';
  return undefined;
}

function validUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function decodeText(bytes: Uint8Array): Decoded {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  }
  const utf16 = utf16WithoutBom(bytes);
  if (utf16) return { text: new TextDecoder(utf16).decode(bytes), encoding: utf16 };
  const utf8 = validUtf8(bytes);
  if (utf8 !== undefined) return { text: utf8, encoding: 'utf-8' };

  const guesses = analyse(bytes).map((m) => m.name.toLowerCase());
  let best: Decoded | undefined;
  let bestScore = 0;
  for (const encoding of CYRILLIC_CANDIDATES) {
    const text = decode(bytes, encoding);
    const score = russianScore(text);
    if (score > bestScore) [best, bestScore] = [{ text, encoding }, score];
  }
  // A decoding where most non-ASCII characters are Russian letters, with Russian frequencies and cases.
  if (best && bestScore >= 2.2) return best;
  const guess = guesses.find((g) => iconv.encodingExists(ICONV_NAMES[g] ?? g) && !g.startsWith('utf-'));
  if (guess) return { text: decode(bytes, guess), encoding: guess };
  return { text: decode(bytes, 'windows-1252'), encoding: 'windows-1252' };
}
