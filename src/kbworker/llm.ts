/**
 * The tenant's OpenAI-compatible endpoint (OpenAI, a gateway, a local server): embeddings in
 * batches within the API's limits, each call retried on 429 and 5xx after the wait the server
 * asks for (`retry-after-ms`, `retry-after`), else with a growing backoff. Cancellable.
 */
import { WorkerError } from './errors';

export interface EmbedCall {
  vectors: number[][];
  model: string;
  /** The model the server says answered (usage rows record it). */
  responseModel: string | null;
  promptTokens: number;
}

export interface LlmEndpoint {
  baseUrl: string;
  apiKey: string | null;
}

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  attempts: number;
  /** The longest single wait, and the backoff's start. */
  maxWaitMs: number;
  baseWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, maxWaitMs: 60_000, baseWaitMs: 500 };
/** OpenAI's limits per embeddings request: 2048 inputs, 300k tokens; we stay well inside. */
export const MAX_BATCH_INPUTS = 64;
export const MAX_BATCH_TOKENS = 60_000;

/** Split inputs (with their token counts) into request batches inside the limits. */
export function batches(
  tokenCounts: number[],
  maxInputs = MAX_BATCH_INPUTS,
  maxTokens = MAX_BATCH_TOKENS,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  let tokens = 0;
  for (let i = 0; i < tokenCounts.length; i++) {
    const n = tokenCounts[i] ?? 0;
    if (i > start && (i - start >= maxInputs || tokens + n > maxTokens)) {
      out.push([start, i]);
      start = i;
      tokens = 0;
    }
    tokens += n;
  }
  if (start < tokenCounts.length) out.push([start, tokenCounts.length]);
  return out;
}

/** How long a 429/5xx answer asks to wait, in ms (null: it does not say). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const s = headers.get('retry-after');
  if (!s) return null;
  if (/^\d+(\.\d+)?$/.test(s.trim())) return Math.max(0, Number(s) * 1000);
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface CallOptions {
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Told of each retry (the job counts them). */
  onRetry?: (status: number | string, waitMs: number) => void;
  timeoutMs?: number;
}

/** POST `path` with JSON to the endpoint; answers the parsed JSON of a 2xx, retrying 429/5xx and cuts. */
export async function postJson<T>(
  ep: LlmEndpoint,
  path: string,
  body: unknown,
  o: CallOptions = {},
): Promise<T> {
  const policy = o.retry ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    let status: number | string;
    let last: string;
    let wait: number | null = null;
    try {
      const res = await fetch(`${ep.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(ep.apiKey ? { authorization: `Bearer ${ep.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: o.signal
          ? AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs ?? 120_000)])
          : AbortSignal.timeout(o.timeoutMs ?? 120_000),
      });
      const text = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new WorkerError(
            'llm-refused',
            `The LLM endpoint answered ${path} with something that is not JSON.`,
          );
        }
      }
      status = res.status;
      last = `HTTP ${res.status}: ${messageOf(text)}`;
      if (res.status !== 429 && res.status < 500)
        throw new WorkerError(
          res.status === 401 || res.status === 403 ? 'llm-not-configured' : 'llm-refused',
          `The LLM endpoint refused ${path}: ${last}`,
        );
      wait = retryAfterMs(res.headers);
    } catch (err) {
      if (err instanceof WorkerError) throw err;
      if (o.signal?.aborted) throw o.signal.reason as Error;
      status = 'cut';
      last = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    if (attempt >= policy.attempts)
      throw new WorkerError(
        status === 429 ? 'llm-rate-limited' : 'llm-unreachable',
        `The LLM endpoint failed ${path} ${attempt} times; the last: ${last}`,
      );
    const backoff = Math.min(policy.maxWaitMs, policy.baseWaitMs * 2 ** (attempt - 1));
    const ms = Math.min(policy.maxWaitMs, wait ?? backoff * (0.75 + Math.random() * 0.5));
    o.onRetry?.(status, ms);
    await sleep(ms, o.signal);
  }
}

interface EmbeddingsWire {
  data?: Array<{ index?: number; embedding?: unknown }>;
  model?: string;
  usage?: { prompt_tokens?: number };
}

/** One embeddings request for `input`; vectors in input order, checked. */
export async function embed(
  ep: LlmEndpoint,
  model: string,
  input: string[],
  o: CallOptions = {},
): Promise<EmbedCall> {
  const body = await postJson<EmbeddingsWire>(
    ep,
    '/embeddings',
    { model, input, encoding_format: 'float' },
    o,
  );
  const data = Array.isArray(body.data) ? body.data : [];
  if (data.length !== input.length)
    throw new WorkerError(
      'llm-refused',
      `The embeddings answer has ${data.length} vectors for ${input.length} inputs.`,
    );
  const vectors: number[][] = new Array<number[]>(input.length);
  data.forEach((d, i) => {
    const at = typeof d.index === 'number' ? d.index : i;
    if (!Array.isArray(d.embedding) || !d.embedding.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw new WorkerError(
        'llm-refused',
        'The embeddings answer holds a vector that is not a list of numbers.',
      );
    vectors[at] = d.embedding as number[];
  });
  const dims = vectors[0]?.length ?? 0;
  if (!dims || vectors.some((v) => !v || v.length !== dims))
    throw new WorkerError('llm-refused', 'The embeddings answer holds vectors of different lengths.');
  return {
    vectors,
    model,
    responseModel: typeof body.model === 'string' ? body.model : null,
    promptTokens: Math.max(0, Math.round(Number(body.usage?.prompt_tokens ?? 0))),
  };
}

function messageOf(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message);
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
