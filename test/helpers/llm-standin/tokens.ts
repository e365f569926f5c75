/*
 * Token counts for the LLM STAND-IN (NOT OpenAI), with OpenAI's own tokenizers (js-tiktoken):
 * o200k_base for the gpt-4o / gpt-4.1 / gpt-4.5 / gpt-5 / o-series names, cl100k_base for every
 * other name (gpt-4, gpt-3.5-turbo and the embedding models).
 *
 * A chat request's prompt tokens follow the OpenAI cookbook's approximation
 * (https://cookbook.openai.com/examples/how_to_count_tokens_with_tiktoken): 3 tokens per message,
 * the tokens of each message's role and content (and name, plus 1), and 3 for the reply's priming.
 * The real API's count can differ by a few tokens; a test that compares must use this same rule.
 */

import { Tiktoken } from 'js-tiktoken/lite';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';
import o200k_base from 'js-tiktoken/ranks/o200k_base';

export type EncodingName = 'cl100k_base' | 'o200k_base';

/** The highest token id a token array may hold (cl100k_base's last special token). */
export const MAX_TOKEN_ID = 100_276;
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const REPLY_PRIMING_TOKENS = 3;

const encoders = new Map<EncodingName, Tiktoken>();

export function encodingFor(model: string): EncodingName {
  const m = model.toLowerCase().replace(/^ft:/, '');
  return /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d)/.test(m) ? 'o200k_base' : 'cl100k_base';
}

function encoder(name: EncodingName): Tiktoken {
  let e = encoders.get(name);
  if (!e) {
    e = new Tiktoken(name === 'o200k_base' ? o200k_base : cl100k_base);
    encoders.set(name, e);
  }
  return e;
}

/** The tokens of a text as OpenAI reads it: special-token markers are plain text, not specials. */
export function encode(text: string, model: string): number[] {
  return encoder(encodingFor(model)).encode(text, [], []);
}

export function countTokens(text: string, model: string): number {
  return text ? encode(text, model).length : 0;
}

export function decode(tokens: number[], model: string): string {
  return encoder(encodingFor(model)).decode(tokens);
}

/** A message's content as text: a string, or the text parts of a content-part array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p: unknown) =>
        p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
      )
      .join('');
  return '';
}

export interface CountableMessage {
  role?: unknown;
  content?: unknown;
  name?: unknown;
}

/** The prompt tokens of a chat request, by the cookbook's rule (see the head of this file). */
export function countChatPromptTokens(messages: CountableMessage[], model: string): number {
  let n = 0;
  for (const m of messages) {
    n += TOKENS_PER_MESSAGE;
    n += countTokens(typeof m.role === 'string' ? m.role : '', model);
    n += countTokens(contentText(m.content), model);
    if (typeof m.name === 'string' && m.name) n += countTokens(m.name, model) + TOKENS_PER_NAME;
  }
  return n + REPLY_PRIMING_TOKENS;
}
