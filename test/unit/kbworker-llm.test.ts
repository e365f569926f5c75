import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { batches, embed, postJson, retryAfterMs } from '../../src/kbworker/llm';
import { WorkerError } from '../../src/kbworker/errors';
import { parseEnv } from '../../src/agent/tenantenv';
import { priceOf, DEFAULT_ROUTER } from '../../src/kbworker/db';
import { sumDecimals } from '../../src/kbworker/search';

/** A small HTTP server answering from a script of responses, one per request (the last repeats). */
async function scripted(
  script: Array<(req: IncomingMessage, res: ServerResponse, body: string) => void>,
): Promise<{ url: string; calls: string[]; close: () => Promise<void> }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push(body);
      const step = script[Math.min(calls.length - 1, script.length - 1)]!;
      step(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_q: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

const vectors = (_q: IncomingMessage, res: ServerResponse, body: string): void => {
  const input = (JSON.parse(body) as { input: string[] }).input;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      object: 'list',
      model: 'text-embedding-3-small',
      // answered out of order on purpose: the client sorts by index
      data: input.map((t, i) => ({ object: 'embedding', index: i, embedding: [t.length, i, 1] })).reverse(),
      usage: { prompt_tokens: input.length * 7, total_tokens: input.length * 7 },
    }),
  );
};

let closeAll: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closeAll.map((c) => c()));
  closeAll = [];
});

const FAST = { attempts: 5, maxWaitMs: 50, baseWaitMs: 5 };

describe('kb worker: the LLM endpoint client', () => {
  it('splits inputs into batches by count and by tokens', () => {
    expect(batches([1, 1, 1, 1, 1], 2, 100)).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    expect(batches([60, 50, 10, 90], 10, 100)).toEqual([
      [0, 1],
      [1, 3],
      [3, 4],
    ]);
    // one input over the token budget still goes, alone
    expect(batches([500, 1], 10, 100)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(batches([])).toEqual([]);
  });

  it('reads Retry-After in ms, seconds and as a date', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1500);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2026-12-06T10:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 06 Dec 2026 10:00:03 GMT' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({}))).toBeNull();
  });

  it('retries 429 and 5xx, waiting what the server asks, and answers vectors in input order', async () => {
    const s = await scripted([
      json(429, { error: { message: 'slow down' } }, { 'retry-after-ms': '30' }),
      json(503, { error: 'busy' }),
      vectors,
    ]);
    closeAll.push(s.close);
    const retries: Array<number | string> = [];
    const started = Date.now();
    const r = await embed({ baseUrl: s.url, apiKey: 'k' }, 'text-embedding-3-small', ['a', 'bbb'], {
      retry: FAST,
      onRetry: (st) => retries.push(st),
    });
    expect(retries).toEqual([429, 503]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(r.vectors).toEqual([
      [1, 0, 1],
      [3, 1, 1],
    ]);
    expect(r.promptTokens).toBe(14);
    expect(s.calls).toHaveLength(3);
  });

  it('gives up after its attempts with a rate-limit error, and refuses a 401 at once', async () => {
    const s = await scripted([json(429, { error: { message: 'quota' } })]);
    closeAll.push(s.close);
    const err = await postJson({ baseUrl: s.url, apiKey: null }, '/embeddings', {}, { retry: FAST }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as WorkerError).code).toBe('llm-rate-limited');
    expect(s.calls).toHaveLength(5);

    const a = await scripted([json(401, { error: { message: 'Incorrect API key' } })]);
    closeAll.push(a.close);
    const e2 = await postJson({ baseUrl: a.url, apiKey: 'bad' }, '/embeddings', {}, { retry: FAST }).catch(
      (e: unknown) => e,
    );
    expect((e2 as WorkerError).code).toBe('llm-not-configured');
    expect((e2 as WorkerError).message).toContain('Incorrect API key');
    expect(a.calls).toHaveLength(1);
  });

  it('retries a cut connection, and stops waiting when cancelled', async () => {
    const s = await scripted([(q, res) => res.destroy(), vectors]);
    closeAll.push(s.close);
    const r = await embed({ baseUrl: s.url, apiKey: null }, 'm', ['x'], { retry: FAST });
    expect(r.vectors).toEqual([[1, 0, 1]]);

    const slow = await scripted([json(429, {}, { 'retry-after': '30' })]);
    closeAll.push(slow.close);
    const ac = new AbortController();
    const p = postJson(
      { baseUrl: slow.url, apiKey: null },
      '/embeddings',
      {},
      { signal: ac.signal, retry: { attempts: 5, maxWaitMs: 60_000, baseWaitMs: 10 } },
    );
    setTimeout(() => ac.abort(new Error('cancelled')), 50);
    await expect(p).rejects.toThrow('cancelled');
  });

  it('refuses an answer with the wrong number of vectors', async () => {
    const s = await scripted([
      json(200, { data: [{ index: 0, embedding: [1] }], usage: { prompt_tokens: 1 } }),
    ]);
    closeAll.push(s.close);
    await expect(embed({ baseUrl: s.url, apiKey: null }, 'm', ['a', 'b'], { retry: FAST })).rejects.toThrow(
      '1 vectors for 2 inputs',
    );
  });
});

describe('kb worker: small pieces', () => {
  it("reads the tenant's .env as the console writes it", () => {
    const env = parseEnv("# Written by Truffles Console\nA='x=y'\nB=plain\n\nC='it''s'\nBAD\n");
    expect(env).toEqual({ A: 'x=y', B: 'plain', C: "it''s" });
  });

  it('prices a call by the longest model prefix, and leaves an unknown model unpriced', () => {
    const r = {
      ...DEFAULT_ROUTER,
      prices_usd_per_1m: {
        'gpt-4.1': [2, 8] as [number, number],
        'gpt-4.1-mini': [0.4, 1.6] as [number, number],
        'text-embedding-3-small': [0.02, 0] as [number, number],
      },
    };
    expect(priceOf(r, 'gpt-4.1-mini-2025', 1_000_000, 1_000_000)).toBe('2');
    expect(priceOf(r, 'gpt-4.1', 1000, 500)).toBe('0.006');
    expect(priceOf(r, 'text-embedding-3-small', 20)).toBe('0.0000004');
    expect(priceOf(r, 'gpt-4.1x', 10)).toBeNull();
    expect(priceOf(r, 'text-embedding-3-small', 50_000)).toBe('0.001');
    expect(priceOf(r, 'mystery-model', 10)).toBeNull();
  });

  it('sums numeric strings exactly', () => {
    expect(sumDecimals(['0.000001', '0.100000', '2.5'])).toBe('2.600001');
    expect(sumDecimals([])).toBe('0.000000');
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.300000');
  });
});
