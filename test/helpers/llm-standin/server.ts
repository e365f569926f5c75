/*
 * An OpenAI-compatible LLM STAND-IN for the Truffles tests. This is NOT OpenAI and no model.
 *
 * The test machines reach no Internet and hold no model weights, so the tenant bot (n8n workflows)
 * and the knowledge-base ingestion are tested against this plain-`node:http` server, which speaks
 * OpenAI's wire protocol for /v1/embeddings, /v1/chat/completions (not streamed) and /v1/models:
 * OpenAI's envelopes, error bodies, status codes and headers, token counts from OpenAI's own
 * tokenizers — and deterministic, word-based embeddings and replies (embed.ts, chat.ts). A control
 * API under /__standin/ lets a test inject faults (faults.ts). README.md says what it does and does
 * not reproduce.
 *
 * From a test: `const llm = await start({ port: 0 })`, then `new OpenAI({ baseURL: llm.baseUrl })`.
 */

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { CreateEmbeddingResponse, Embedding, EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { Model } from 'openai/resources/models';
import { reply } from './chat';
import type { ChatStage, Intent } from './chat';
import { defaultDimensions, embed, supportsDimensions, toBase64 } from './embed';
import { freshMode, mergeMode, seededRandom, TokenWindow, DEFAULT_SEED } from './faults';
import type { LlmStandinMode, LlmStandinModeChange } from './faults';
import { countChatPromptTokens, countTokens, decode, encode, MAX_TOKEN_ID } from './tokens';

export type { LlmStandinMode, LlmStandinModeChange } from './faults';

export const STANDIN_BANNER = 'OpenAI API STAND-IN for Truffles tests (NOT OpenAI, no model)';
export const OWNED_BY = 'truffles-standin';
export const MAX_EMBEDDING_INPUTS = 2048;
export const MAX_EMBEDDING_INPUT_TOKENS = 8192;
export const MAX_EMBEDDING_REQUEST_TOKENS = 300_000;
/** The requests-per-minute limit the x-ratelimit headers report (not enforced). */
export const REQUESTS_PER_MINUTE = 10_000;
/** The tokens-per-minute limit the headers report when `tokensPerMinute` is not set. */
export const NOMINAL_TOKENS_PER_MINUTE = 10_000_000;
const MAX_BODY = 64 * 1024 * 1024;
const API_DOCS = 'https://platform.openai.com/docs/api-reference';

/** The models GET /v1/models lists. Chat and embeddings take any model name. */
export const MODELS: readonly Model[] = [
  ['gpt-4.1', 1744316542],
  ['gpt-4.1-mini', 1744318173],
  ['gpt-4.1-nano', 1744321707],
  ['gpt-4o', 1715367049],
  ['gpt-4o-mini', 1721172741],
  ['o4-mini', 1744225351],
  ['gpt-3.5-turbo', 1677610602],
  ['text-embedding-3-small', 1705948997],
  ['text-embedding-3-large', 1705953180],
  ['text-embedding-ada-002', 1671217299],
].map(([id, created]) => ({
  id: id as string,
  created: created as number,
  object: 'model',
  owned_by: OWNED_BY,
}));

export type RecordedStage = 'embeddings' | ChatStage | 'models';
export type RecordedFault = 'auth' | 'failNext' | 'rateLimit' | 'tokensPerMinute';

export interface RecordedUsage {
  prompt_tokens: number;
  completion_tokens?: number;
  total_tokens: number;
}

/** One API call, as `requests()` and GET /__standin/requests give it. */
export interface RecordedRequest {
  at: number;
  requestId: string;
  method: string;
  path: string;
  /** The body's model (or the model asked for by GET /v1/models/{id}). */
  model: string | null;
  /** The HTTP status, or how a fault ended it ('reset': socket destroyed, 'hang': never answered). */
  status: number | 'reset' | 'hang';
  /** What answered: embeddings, the classifier, an answer from the context (rag), no answer, echo. */
  stage: RecordedStage | null;
  fault: RecordedFault | null;
  /** The request body, parsed (null: none or not JSON). */
  body: unknown;
  usage: RecordedUsage | null;
  /** Chat: user/assistant messages before the last user message. */
  historyLength?: number;
  intent?: Intent;
  /** Chat with a context: the number of the source answered from. */
  source?: number;
  /** The error message answered, if any. */
  error?: string;
}

export interface LlmStandin {
  /** http://host:port (127.0.0.1 when listening on 0.0.0.0). */
  url: string;
  /** url + '/v1', the `baseURL` of an OpenAI client. */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
  requests(): RecordedRequest[];
  setMode(change: LlmStandinModeChange): void;
  mode(): LlmStandinMode;
  /** Forget the requests and the mode; requests left hanging are cut. */
  reset(): void;
}

export interface LlmStandinOptions {
  /** 0 (the default): any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every API call needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Default true: no log line. */
  quiet?: boolean;
}

type ErrorType = 'invalid_request_error' | 'server_error' | 'requests' | 'tokens';

/** An answer in OpenAI's error envelope: `{ error: { message, type, param, code } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const invalid = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, 'invalid_request_error', param, code);

const CLOUDFLARE_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

// --- /v1/embeddings -------------------------------------------------------------------------

type WireEmbedding = Omit<Embedding, 'embedding'> & { embedding: number[] | string };
/** CreateEmbeddingResponse, with base64 strings for `encoding_format: 'base64'`. */
export type WireEmbeddingResponse = Omit<CreateEmbeddingResponse, 'data'> & { data: WireEmbedding[] };

interface Handled<T> {
  response: T;
  usage: RecordedUsage;
  stage: RecordedStage;
  extra?: Partial<RecordedRequest>;
}

function embeddingInputs(input: unknown, model: string): Array<{ text: string; tokens: number }> {
  const bad = () => invalid(`'$.input' is invalid. Please check the API reference: ${API_DOCS}.`);
  const isTokens = (a: unknown): a is number[] =>
    Array.isArray(a) && a.length > 0 && a.every((t) => Number.isInteger(t));
  const fromTokens = (ids: number[]) => {
    if (ids.some((t) => t < 0 || t > MAX_TOKEN_ID)) throw bad();
    return { text: decode(ids, model), tokens: ids.length };
  };
  const fromText = (s: unknown) => {
    if (typeof s !== 'string' || s === '') throw bad();
    return { text: s, tokens: countTokens(s, model) };
  };
  let items: Array<{ text: string; tokens: number }>;
  if (input === undefined || input === null)
    throw invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof input === 'string') items = [fromText(input)];
  else if (!Array.isArray(input) || input.length === 0) throw bad();
  else if (isTokens(input)) items = [fromTokens(input)];
  else {
    if (input.length > MAX_EMBEDDING_INPUTS)
      throw invalid(
        `Invalid 'input': array too long. Expected an array with maximum length ${MAX_EMBEDDING_INPUTS}, but got an array with length ${input.length} instead.`,
        'input',
        'array_above_max_length',
      );
    items = input.map((x: unknown) =>
      typeof x === 'string' ? fromText(x) : isTokens(x) ? fromTokens(x) : fromText(x),
    );
  }
  for (const it of items)
    if (it.tokens > MAX_EMBEDDING_INPUT_TOKENS)
      throw invalid(
        `This model's maximum context length is ${MAX_EMBEDDING_INPUT_TOKENS} tokens, however you requested ${it.tokens} tokens (${it.tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
      );
  const total = items.reduce((n, it) => n + it.tokens, 0);
  if (total > MAX_EMBEDDING_REQUEST_TOKENS)
    throw invalid(
      `Requested ${total} tokens, max ${MAX_EMBEDDING_REQUEST_TOKENS} tokens per request`,
      null,
      'max_tokens_per_request',
    );
  return items;
}

export function createEmbeddings(body: unknown): Handled<WireEmbeddingResponse> {
  if (!isObject(body)) throw invalid('The request body must be a JSON object.');
  const p = body as Partial<EmbeddingCreateParams>;
  if (typeof p.model !== 'string' || !p.model) throw invalid('you must provide a model parameter');
  const model = p.model;
  const format = p.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64')
    throw invalid(
      `Invalid value for 'encoding_format' = ${String(format)}. Supported values are: 'float' and 'base64'.`,
      'encoding_format',
      'invalid_value',
    );
  const max = defaultDimensions(model);
  let dims = max;
  if (p.dimensions !== undefined && p.dimensions !== null) {
    if (!supportsDimensions(model)) throw invalid('This model does not support specifying dimensions.');
    if (!Number.isInteger(p.dimensions) || p.dimensions < 1)
      throw invalid(
        `Invalid value for 'dimensions' = ${String(p.dimensions)}. Must be greater than or equal to 1.`,
        'dimensions',
        'invalid_value',
      );
    if (p.dimensions > max)
      throw invalid(
        `Invalid value for 'dimensions' = ${p.dimensions}. Must be less than or equal to ${max}.`,
        'dimensions',
        'invalid_value',
      );
    dims = p.dimensions;
  }
  const items = embeddingInputs(p.input, model);
  const tokens = items.reduce((n, it) => n + it.tokens, 0);
  const data = items.map((it, index): WireEmbedding => {
    const v = embed(it.text, dims);
    return { object: 'embedding', index, embedding: format === 'base64' ? toBase64(v) : v };
  });
  const usage = { prompt_tokens: tokens, total_tokens: tokens };
  return { response: { object: 'list', data, model, usage }, usage, stage: 'embeddings' };
}

// --- /v1/chat/completions -------------------------------------------------------------------

export function createChatCompletion(
  body: unknown,
  classify: Readonly<Record<string, Intent>> = {},
): Handled<ChatCompletion> {
  if (!isObject(body)) throw invalid('The request body must be a JSON object.');
  const p = body as Partial<ChatCompletionCreateParamsNonStreaming>;
  if (typeof p.model !== 'string' || !p.model) throw invalid('you must provide a model parameter');
  const model = p.model;
  // A streaming request is typed ChatCompletionCreateParamsStreaming; this one may still say so.
  if (body.stream === true) throw invalid('the stand-in does not stream', 'stream', 'unsupported_value');
  if (p.messages === undefined)
    throw invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(p.messages))
    throw invalid("Invalid type for 'messages': expected an array.", 'messages');
  if (p.messages.length === 0)
    throw invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  if (p.messages.some((m) => !isObject(m) || typeof m.role !== 'string'))
    throw invalid("Invalid 'messages': every message is an object with a role.", 'messages');
  const n = p.n ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 128)
    throw invalid(`Invalid value for 'n' = ${String(n)}. Must be between 1 and 128.`, 'n', 'invalid_value');
  const maxTokens = p.max_completion_tokens ?? p.max_tokens ?? null;
  if (maxTokens !== null && (!Number.isInteger(maxTokens) || maxTokens < 1))
    throw invalid(
      `Invalid 'max_tokens': integer below minimum value.`,
      'max_tokens',
      'integer_below_min_value',
    );

  const outcome = reply(p.messages, { classify });
  let content = outcome.content;
  let finish: 'stop' | 'length' = 'stop';
  let completionTokens = countTokens(content, model);
  if (maxTokens !== null && completionTokens > maxTokens) {
    content = decode(encode(content, model).slice(0, maxTokens), model);
    completionTokens = maxTokens;
    finish = 'length';
  }
  const promptTokens = countChatPromptTokens(p.messages, model);
  const usage: CompletionUsage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens * n,
    total_tokens: promptTokens + completionTokens * n,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
  const response: ChatCompletion = {
    id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant' as const, content, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: finish,
    })),
    usage,
    service_tier: 'default',
    system_fingerprint: 'fp_standin',
  };
  const extra: Partial<RecordedRequest> = { historyLength: outcome.historyLength };
  if (outcome.intent) extra.intent = outcome.intent;
  if (outcome.source !== undefined) extra.source = outcome.source;
  return {
    response,
    usage: {
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      total_tokens: usage.total_tokens,
    },
    stage: outcome.stage,
    extra,
  };
}

// --- the server -----------------------------------------------------------------------------

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'Request body too large.'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function maskKey(key: string): string {
  return key.length <= 8
    ? '*'.repeat(key.length)
    : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

type Route = { kind: 'embeddings' } | { kind: 'chat' } | { kind: 'models' } | { kind: 'model'; id: string };

function route(method: string, path: string): Route | null {
  if (method === 'POST' && path === '/v1/embeddings') return { kind: 'embeddings' };
  if (method === 'POST' && path === '/v1/chat/completions') return { kind: 'chat' };
  if (method === 'GET' && path === '/v1/models') return { kind: 'models' };
  const m = /^\/v1\/models\/(.+)$/.exec(path);
  if (method === 'GET' && m) {
    let id = m[1]!;
    try {
      id = decodeURIComponent(id);
    } catch {
      // a malformed escape: the id as sent (it names no model)
    }
    return { kind: 'model', id };
  }
  return null;
}

/** Start the stand-in (see LlmStandinOptions). Resolves once it listens. */
export async function start(opts: LlmStandinOptions = {}): Promise<LlmStandin> {
  const { port = 0, host = '127.0.0.1', apiKey, quiet = true } = opts;
  let mode = freshMode();
  let requests: RecordedRequest[] = [];
  let draw = seededRandom(DEFAULT_SEED);
  const tokenWindow = new TokenWindow();
  const hanging = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  function setMode(change: LlmStandinModeChange): void {
    const next = mergeMode(mode, change);
    if ('rateLimit' in change) draw = seededRandom(next.rateLimit?.seed ?? DEFAULT_SEED);
    mode = next;
  }

  function reset(): void {
    mode = freshMode();
    requests = [];
    draw = seededRandom(DEFAULT_SEED);
    tokenWindow.clear();
    for (const res of hanging) res.socket?.destroy();
    hanging.clear();
  }

  function rateHeaders(now: number): Record<string, string> {
    const recent = requests.filter((r) => now - r.at < 60_000);
    const tokenLimit = mode.tokensPerMinute || NOMINAL_TOKENS_PER_MINUTE;
    const oldest = recent[0]?.at;
    return {
      'x-ratelimit-limit-requests': String(REQUESTS_PER_MINUTE),
      'x-ratelimit-remaining-requests': String(Math.max(0, REQUESTS_PER_MINUTE - recent.length)),
      'x-ratelimit-reset-requests': oldest === undefined ? '0s' : `${Math.max(0, oldest + 60_000 - now)}ms`,
      'x-ratelimit-limit-tokens': String(tokenLimit),
      'x-ratelimit-remaining-tokens': String(Math.max(0, tokenLimit - tokenWindow.used(now))),
      'x-ratelimit-reset-tokens': '0s',
    };
  }

  function send(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    contentType = 'application/json',
  ): void {
    if (res.headersSent || res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(text)),
      'x-standin': 'llm',
      ...headers,
    });
    res.end(text);
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const entry: RecordedRequest = {
      at: started,
      requestId: `req_${randomBytes(16).toString('hex')}`,
      method,
      path,
      model: null,
      status: 200,
      stage: null,
      fault: null,
      body: null,
      usage: null,
    };
    requests.push(entry);
    const headers = (): Record<string, string> => ({
      'x-request-id': entry.requestId,
      'openai-processing-ms': String(Date.now() - started),
      'openai-version': '2020-10-01',
      'openai-organization': OWNED_BY,
      ...rateHeaders(Date.now()),
    });
    const raw = await readBody(req).catch((e: unknown) => {
      entry.status = e instanceof ApiError ? e.status : 500;
      throw e;
    });
    let parsed: unknown = null;
    let parseError = false;
    if (raw.trim()) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        parseError = true;
      }
    }
    entry.body = parsed;
    if (isObject(parsed) && typeof parsed.model === 'string') entry.model = parsed.model;
    if (mode.latencyMs > 0) await sleep(mode.latencyMs);
    try {
      const r = route(method, path);
      if (!r) throw new ApiError(404, `Invalid URL (${method} ${path})`);
      if (r.kind === 'model') entry.model = r.id;
      if (apiKey !== undefined) {
        const auth = /^Bearer\s+(.*)$/i.exec(String(req.headers.authorization ?? ''));
        const given = auth?.[1]?.trim() ?? '';
        if (given !== apiKey) {
          entry.fault = 'auth';
          throw new ApiError(
            401,
            given
              ? `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`
              : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
            'invalid_request_error',
            null,
            'invalid_api_key',
          );
        }
      }
      if (mode.failNext > 0) {
        mode = { ...mode, failNext: mode.failNext - 1 };
        entry.fault = 'failNext';
        const how = mode.failWith;
        entry.status = how;
        if (how === 'reset') return void req.socket.destroy();
        if (how === 'hang') return void hanging.add(res);
        if (how === 502) {
          entry.error = '502 Bad Gateway';
          return send(res, 502, CLOUDFLARE_502, headers(), 'text/html');
        }
        throw new ApiError(
          how,
          how === 503
            ? 'The server is overloaded or not ready yet.'
            : 'The server had an error while processing your request. Sorry about that!',
          'server_error',
        );
      }
      const rl = mode.rateLimit;
      if (rl && draw() < rl.ratio) {
        entry.fault = 'rateLimit';
        const ms = rl.retryAfterMs ?? rl.retryAfter * 1000;
        throw new ApiError(
          429,
          `Rate limit reached for ${entry.model ?? 'requests'} in organization ${OWNED_BY} on requests per min (RPM): Limit ${REQUESTS_PER_MINUTE}, Used ${REQUESTS_PER_MINUTE}, Requested 1. Please try again in ${ms}ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          'requests',
          null,
          'rate_limit_exceeded',
          {
            'retry-after': String(rl.retryAfter),
            'retry-after-ms': String(ms),
            'x-ratelimit-remaining-requests': '0',
          },
        );
      }
      if (parseError)
        throw invalid(
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
        );
      let handled: Handled<unknown>;
      if (r.kind === 'embeddings') handled = createEmbeddings(parsed);
      else if (r.kind === 'chat') handled = createChatCompletion(parsed, mode.classify);
      else if (r.kind === 'models')
        handled = {
          response: { object: 'list', data: MODELS },
          usage: { prompt_tokens: 0, total_tokens: 0 },
          stage: 'models',
        };
      else {
        const found = MODELS.find((m) => m.id === r.id);
        if (!found)
          throw new ApiError(
            404,
            `The model '${r.id}' does not exist`,
            'invalid_request_error',
            'model',
            'model_not_found',
          );
        handled = { response: found, usage: { prompt_tokens: 0, total_tokens: 0 }, stage: 'models' };
      }
      entry.stage = handled.stage;
      Object.assign(entry, handled.extra ?? {});
      const limit = mode.tokensPerMinute;
      const need = handled.usage.prompt_tokens;
      if (limit > 0 && need > 0) {
        const now = Date.now();
        const used = tokenWindow.used(now);
        if (need > limit) {
          entry.fault = 'tokensPerMinute';
          throw new ApiError(
            429,
            `Request too large for ${entry.model ?? 'the model'} in organization ${OWNED_BY} on tokens per min (TPM): Limit ${limit}, Requested ${need}. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.`,
            'tokens',
            null,
            'rate_limit_exceeded',
          );
        }
        const wait = tokenWindow.waitFor(need, limit, now);
        if (wait > 0) {
          entry.fault = 'tokensPerMinute';
          throw new ApiError(
            429,
            `Rate limit reached for ${entry.model ?? 'the model'} in organization ${OWNED_BY} on tokens per min (TPM): Limit ${limit}, Used ${used}, Requested ${need}. Please try again in ${(wait / 1000).toFixed(3)}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
            'tokens',
            null,
            'rate_limit_exceeded',
            { 'retry-after': String(Math.ceil(wait / 1000)), 'retry-after-ms': String(wait) },
          );
        }
        tokenWindow.take(need, now);
      }
      if (r.kind === 'embeddings' || r.kind === 'chat') entry.usage = handled.usage;
      send(res, 200, handled.response, headers());
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      entry.status = e.status;
      entry.error = e.message;
      send(res, e.status, e.body(), { ...headers(), ...e.headers });
    }
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, what: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (what === 'requests' && method === 'GET') return send(res, 200, { requests });
    if (what === 'mode' && method === 'GET') return send(res, 200, { mode });
    if (what === 'mode' && method === 'POST') {
      let change: unknown;
      try {
        change = JSON.parse((await readBody(req)) || '{}');
      } catch {
        return send(res, 400, { error: 'the mode is a JSON object' });
      }
      try {
        setMode(change as LlmStandinModeChange);
      } catch (e) {
        return send(res, 400, { error: (e as Error).message });
      }
      return send(res, 200, { mode });
    }
    if (what === 'reset' && method === 'POST') {
      reset();
      return send(res, 200, { reset: true });
    }
    return send(res, 404, { error: `no control ${method} /__standin/${what}` });
  }

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://standin').pathname;
    const handle = async () => {
      if (path.startsWith('/__standin/')) return control(req, res, path.slice('/__standin/'.length));
      if (path === '/' && req.method === 'GET')
        return send(res, 200, `${STANDIN_BANNER}\n`, {}, 'text/plain; charset=utf-8');
      return api(req, res, path.replace(/\/+$/, '') || '/');
    };
    handle().catch((e: unknown) => {
      const err =
        e instanceof ApiError
          ? e
          : new ApiError(500, `stand-in error: ${(e as Error).message}`, 'server_error');
      if (!res.headersSent) send(res, err.status, err.body());
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${actual}`;
  if (!quiet) process.stdout.write(`${STANDIN_BANNER} listening on ${url} (base URL ${url}/v1)\n`);
  return {
    url,
    baseUrl: `${url}/v1`,
    port: actual,
    requests: () => requests.slice(),
    setMode,
    mode: () => structuredClone(mode),
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        hanging.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
