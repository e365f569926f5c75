import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';
import o200k_base from 'js-tiktoken/ranks/o200k_base';

/**
 * Token counts as the embedding model counts them: cl100k_base, or o200k_base for the gpt-4o/4.1/o-series names.
 * The text is cut with the encoding's own pattern and each piece's count is remembered — BPE encodes pieces
 * independently, so the sum is the count, and the words of a document repeat (a 100-page PDF: ~10× faster).
 * Special-token strings («<|endoftext|>») count as plain text.
 */

export type EncodingName = 'cl100k_base' | 'o200k_base';

interface Counter {
  encoder: Tiktoken;
  pattern: RegExp;
  cache: Map<string, number>;
}

const counters = new Map<EncodingName, Counter>();
const CACHE_LIMIT = 200_000;

/** The encoding of a model: text-embedding-3-*, ada-002 and unknown models use cl100k_base. */
export function encodingFor(model?: string): EncodingName {
  const m = (model ?? '').toLowerCase().replace(/^.*\//, '');
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d)/.test(m)) return 'o200k_base';
  return 'cl100k_base';
}

function counterFor(model?: string): Counter {
  const name = encodingFor(model);
  let c = counters.get(name);
  if (!c) {
    const ranks: TiktokenBPE = name === 'o200k_base' ? o200k_base : cl100k_base;
    // Built once: building an encoder takes a few hundred milliseconds.
    c = { encoder: new Tiktoken(ranks), pattern: new RegExp(ranks.pat_str, 'gu'), cache: new Map() };
    counters.set(name, c);
  }
  return c;
}

/** The encoder of a model's encoding (cached). */
export function encoderFor(model?: string): Tiktoken {
  return counterFor(model).encoder;
}

export function countTokens(text: string, model?: string): number {
  if (text === '') return 0;
  const { encoder, pattern, cache } = counterFor(model);
  let n = 0;
  for (const [piece] of text.matchAll(pattern)) {
    let k = cache.get(piece);
    if (k === undefined) {
      k = encoder.encode(piece, [], []).length;
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(piece, k);
    }
    n += k;
  }
  return n;
}
