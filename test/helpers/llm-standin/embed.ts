/*
 * The LLM STAND-IN's embeddings (NOT OpenAI's): deterministic vectors that still carry the words of
 * the text, so a retrieval test can judge what was found. A text is lowercased (ё read as е), cut
 * into words (Unicode letters and digits), and each word gives features:
 *   - the whole word (weight 2),
 *   - its first 5 characters, a poor man's stem (weight 1.5, words of 6+ characters),
 *   - the character 3-grams of the word padded with spaces (weight 1 each).
 * Russian function words (и, в, на, что…) give none. Each feature is hashed (FNV-1a) into one of
 * the vector's dimensions with a sign from a second hash, weighted by a sublinear term frequency
 * (1 + ln tf), and the vector is L2-normalised — so the cosine of two texts grows with the words and
 * stems they share: «доставка», «доставку», «доставки» share all but their endings.
 */

export const DEFAULT_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
export const FALLBACK_DIMENSIONS = 1536;

export function defaultDimensions(model: string): number {
  return DEFAULT_DIMENSIONS[model] ?? FALLBACK_DIMENSIONS;
}

/** text-embedding-ada-002 has a fixed size; every other model takes `dimensions`. */
export function supportsDimensions(model: string): boolean {
  return model !== 'text-embedding-ada-002';
}

const WORD_WEIGHT = 2;
const STEM_WEIGHT = 1.5;
const GRAM_WEIGHT = 1;
const STEM_LENGTH = 5;

// Words that say nothing about a topic (Russian and a few English); they give no feature.
const STOP_WORDS = new Set(
  (
    'и в во на с со к ко по о об от до из у за для не ни но а да или же ли бы то это что как ' +
    'так там тут вот уже еще ещё мне меня мы вы вас вам нас нам он она оно они его ее её их ' +
    'я ты мой мою моя ваш ваша ваше ваши наш при про над под без если чтобы есть был была было ' +
    'можно нужно надо какой какая какое какие сколько когда где куда почему зачем кто чем который ' +
    'которая которые также тоже очень все всё весь вся ' +
    'the a an of to in on for and or is are be it this that with as at by from'
  ).split(' '),
);

export function normalise(text: string): string {
  return text.toLowerCase().replace(/ё/g, 'е');
}

export function words(text: string): string[] {
  return normalise(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The weighted features of a text (before hashing): name → weight × (1 + ln tf). */
export function features(text: string): Map<string, number> {
  const tf = new Map<string, { n: number; w: number }>();
  const add = (f: string, w: number) => {
    const e = tf.get(f);
    if (e) e.n++;
    else tf.set(f, { n: 1, w });
  };
  for (const word of words(text)) {
    if (STOP_WORDS.has(word)) continue;
    add(`w:${word}`, WORD_WEIGHT);
    if (word.length >= STEM_LENGTH) add(`s:${word.slice(0, STEM_LENGTH)}`, STEM_WEIGHT);
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) add(`g:${padded.slice(i, i + 3)}`, GRAM_WEIGHT);
  }
  const out = new Map<string, number>();
  for (const [f, { n, w }] of tf) out.set(f, w * (1 + Math.log(n)));
  return out;
}

/** 32-bit FNV-1a over the UTF-16 code units of a string, from a given offset basis. */
export function fnv1a(s: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SIGN_BASIS = 0x9747b28c;

/** The stand-in's embedding of a text: `dimensions` floats, L2 norm 1. */
export function embed(text: string, dimensions: number): number[] {
  const v = new Float64Array(dimensions);
  let feats = features(text);
  // A text without a word (punctuation, only function words) still gets a vector of its own.
  if (feats.size === 0) feats = new Map([[`raw:${normalise(text).trim()}`, 1]]);
  for (const [f, w] of feats) {
    const i = fnv1a(f) % dimensions;
    v[i]! += (fnv1a(f, SIGN_BASIS) & 1 ? -1 : 1) * w;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  // Rounded through float32, as the API's vectors are.
  return Array.from(v, (x) => Math.fround(norm > 0 ? x / norm : 0));
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** The cosine of two texts' stand-in embeddings. */
export function similarity(a: string, b: string, dimensions = FALLBACK_DIMENSIONS): number {
  return cosine(embed(a, dimensions), embed(b, dimensions));
}

/** An embedding as OpenAI's `encoding_format: 'base64'` sends it: little-endian float32s. */
export function toBase64(vector: ArrayLike<number>): string {
  const buf = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf.toString('base64');
}

export function fromBase64(b64: string): number[] {
  const buf = Buffer.from(b64, 'base64');
  const out: number[] = [];
  for (let i = 0; i + 4 <= buf.length; i += 4) out.push(buf.readFloatLE(i));
  return out;
}
