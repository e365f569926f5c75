/*
 * What the LLM STAND-IN (NOT OpenAI) says to a chat request — deterministic, from the messages:
 *   1. the tenant workflow's intent classifier (a system message with «классификатор интентов»)
 *      gets `{"intent": …, "confidence": 0.9}` from keyword rules on the user message;
 *   2. an answer with a «Контекст:» section of numbered sources `[n] (file) text` gets the
 *      sentence(s) of the source most similar to the question (the stand-in's embeddings), cited
 *      as `[n]`, or the «нет ответа» reply when nothing is near enough;
 *   3. anything else gets «Ответ стенда (stand-in): …» and the start of the last user message.
 */

import { cosine, embed, normalise, words } from './embed';
import { contentText } from './tokens';

export type Intent = 'greeting' | 'faq' | 'complex' | 'escalate';
export const INTENTS: readonly Intent[] = ['greeting', 'faq', 'complex', 'escalate'];
export type ChatStage = 'classify' | 'rag' | 'no-answer' | 'echo';

export const CLASSIFIER_MARK = 'классификатор интентов';
export const NO_CONTEXT_MARK = '(в базе знаний ничего не найдено)';
export const NO_ANSWER =
  'К сожалению, в базе знаний нет ответа на этот вопрос. Напишите «оператор», и менеджер подключится.';
export const ECHO_PREFIX = 'Ответ стенда (stand-in): ';
export const CLASSIFIER_CONFIDENCE = 0.9;
/** A source (or sentence) must be at least this similar to the question to be answered from. */
export const MIN_SOURCE_SCORE = 0.1;
/** A second sentence is added when it scores at least this share of the best one. */
const SECOND_SENTENCE_SHARE = 0.75;
const SIM_DIMENSIONS = 1536;

export interface ChatMessageLike {
  role?: unknown;
  content?: unknown;
}

export interface ChatOutcome {
  content: string;
  stage: ChatStage;
  /** User and assistant messages before the last user message (the dialog history). */
  historyLength: number;
  intent?: Intent;
  /** The number of the source answered from. */
  source?: number;
  /** The best source's similarity to the question. */
  score?: number;
}

// --- the classifier -------------------------------------------------------------------------

// Matched at the start of a word (so «жалоб» finds «жалоба», «жалобу»), after lowercasing and ё→е.
const ESCALATE = [
  'жалоб',
  'пожалуюсь',
  'оператор',
  'менеджер',
  'человеком',
  'живой человек',
  'живого человека',
  'живым человеком',
  'позовите человека',
  'нужен человек',
  'администратор',
  'руководств',
  'ужас',
  'безобраз',
  'отврат',
  'кошмар',
  'обман',
  'мошенн',
  'хамств',
  'претензи',
  'верните деньги',
  'верните мои деньги',
  'вернуть деньги',
  'complaint',
  'operator',
  'manager',
  'human',
  'refund',
  'terrible',
  'awful',
];
// Whole words or phrases; only in a short message without a question mark.
const GREETING = [
  'привет',
  'приветствую',
  'здравствуй',
  'здравствуйте',
  'здрасте',
  'добрый день',
  'добрый вечер',
  'доброе утро',
  'доброй ночи',
  'спасибо',
  'благодарю',
  'до свидания',
  'пока',
  'всего доброго',
  'хорошего дня',
  'салем',
  'салам',
  'сәлем',
  'салеметсиз бе',
  'сәлеметсіз бе',
  'рахмет',
  'hello',
  'hi',
  'hey',
  'thanks',
  'thank you',
  'bye',
];
const GREETING_MAX_WORDS = 6;
// Start of a word or phrase.
const COMPLEX = [
  'почему',
  'зачем',
  'сравни',
  'сравнен',
  'объясни',
  'объяснит',
  'рассчитай',
  'рассчитать',
  'расчет',
  'посчитай',
  'посчитать',
  'посоветуй',
  'посоветует',
  'что лучше',
  'какой лучше',
  'какая лучше',
  'какое лучше',
  'какие лучше',
  'в чем разница',
  'чем отличается',
  'чем отличаются',
  'разница между',
  'why',
  'compare',
  'explain',
];
const COMPLEX_MAX_WORDS = 25;

const spaced = (text: string) => ` ${words(text).join(' ')} `;
const hasPrefix = (norm: string, keys: readonly string[]) => keys.some((k) => norm.includes(` ${k}`));
const hasWord = (norm: string, keys: readonly string[]) => keys.some((k) => norm.includes(` ${k} `));

/** The user's text in a classifier request, without the workflow's «Сообщение: » lead. */
export function classifierText(text: string): string {
  return text.replace(/^\s*Сообщение:\s*/i, '');
}

/**
 * The intent of a user message. `overrides` (regular expression source → intent, tried in order,
 * case-insensitive) come first; then escalate, greeting, complex, and faq for the rest.
 */
export function classifyIntent(text: string, overrides: Readonly<Record<string, Intent>> = {}): Intent {
  for (const [src, intent] of Object.entries(overrides)) if (new RegExp(src, 'iu').test(text)) return intent;
  const norm = spaced(text);
  const count = words(text).length;
  if (hasPrefix(norm, ESCALATE)) return 'escalate';
  if (count > 0 && count <= GREETING_MAX_WORDS && !text.includes('?') && hasWord(norm, GREETING))
    return 'greeting';
  if (hasPrefix(norm, COMPLEX)) return 'complex';
  if (/(^|\s)если\s.+\sто(\s|$)/u.test(norm)) return 'complex';
  if ((text.match(/\?/g) ?? []).length >= 2) return 'complex';
  if (count > COMPLEX_MAX_WORDS) return 'complex';
  return 'faq';
}

// --- answers from a context -----------------------------------------------------------------

export interface ContextSource {
  n: number;
  filename: string | null;
  text: string;
}

/**
 * The numbered sources of a system message's «Контекст:» section, as the tenant workflow writes
 * them: `[n] (filename) text` or `[n] text`, separated by blank lines. Null without the section;
 * an empty list when it says nothing was found (or holds no numbered source).
 */
export function parseContext(system: string): ContextSource[] | null {
  const at = system.search(/(^|\n)Контекст:/);
  if (at < 0) return null;
  const body = system.slice(system.indexOf('Контекст:', at) + 'Контекст:'.length);
  if (body.includes(NO_CONTEXT_MARK)) return [];
  const starts = [...body.matchAll(/(?:^|\n)\[(\d+)\][ \t]*/g)];
  return starts.map((m, i) => {
    const from = m.index + m[0].length;
    const to = i + 1 < starts.length ? starts[i + 1]!.index : body.length;
    let text = body.slice(from, to).trim();
    let filename: string | null = null;
    const f = /^\(([^)\n]*)\)\s*/.exec(text);
    if (f) {
      filename = f[1]!;
      text = text.slice(f[0].length);
    }
    return { n: Number(m[1]), filename, text };
  });
}

export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+|\n+/u)
    .map((s) => s.trim())
    .filter((s) => words(s).length > 0);
}

export interface ContextAnswer {
  content: string;
  source: number | null;
  score: number;
}

/** The answer to a question from numbered sources (see the head of this file). */
export function answerFromContext(question: string, sources: ContextSource[]): ContextAnswer {
  const q = embed(question, SIM_DIMENSIONS);
  let best: { src: ContextSource; score: number } | null = null;
  for (const src of sources) {
    const score = cosine(q, embed(src.text, SIM_DIMENSIONS));
    if (!best || score > best.score) best = { src, score };
  }
  if (!best || best.score < MIN_SOURCE_SCORE)
    return { content: NO_ANSWER, source: null, score: best?.score ?? 0 };
  const scored = sentences(best.src.text).map((s, i) => ({
    s,
    i,
    score: cosine(q, embed(s, SIM_DIMENSIONS)),
  }));
  const ranked = [...scored].sort((a, b) => b.score - a.score || a.i - b.i);
  const top = ranked[0];
  if (!top) return { content: NO_ANSWER, source: null, score: best.score };
  const picked = [top];
  const second = ranked[1];
  if (second && second.score >= MIN_SOURCE_SCORE && second.score >= top.score * SECOND_SENTENCE_SHARE)
    picked.push(second);
  picked.sort((a, b) => a.i - b.i);
  return {
    content: `${picked.map((p) => p.s).join(' ')} [${best.src.n}]`,
    source: best.src.n,
    score: best.score,
  };
}

// --- the reply ------------------------------------------------------------------------------

export interface ReplyOptions {
  classify?: Readonly<Record<string, Intent>>;
}

/** The stand-in's reply to a chat request's messages. */
export function reply(messages: readonly ChatMessageLike[], opts: ReplyOptions = {}): ChatOutcome {
  const system = messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => contentText(m.content))
    .join('\n');
  const dialog = messages.filter((m) => m.role === 'user' || m.role === 'assistant');
  let lastUser = -1;
  for (let i = dialog.length - 1; i >= 0; i--)
    if (dialog[i]!.role === 'user') {
      lastUser = i;
      break;
    }
  const question = lastUser >= 0 ? contentText(dialog[lastUser]!.content) : '';
  const historyLength = Math.max(0, lastUser);

  if (normalise(system).includes(CLASSIFIER_MARK)) {
    const intent = classifyIntent(classifierText(question), opts.classify);
    return {
      content: JSON.stringify({ intent, confidence: CLASSIFIER_CONFIDENCE }),
      stage: 'classify',
      historyLength,
      intent,
    };
  }
  const context = parseContext(system);
  if (context) {
    const a = answerFromContext(question, context);
    return a.source === null
      ? { content: a.content, stage: 'no-answer', historyLength, score: a.score }
      : { content: a.content, stage: 'rag', historyLength, source: a.source, score: a.score };
  }
  return { content: ECHO_PREFIX + [...question.trim()].slice(0, 80).join(''), stage: 'echo', historyLength };
}
