/**
 * What the bot would retrieve, and what it answers: the test search embeds the question with the
 * tenant's embedding model and searches its collection with the model router's top_k and
 * min_score, as chat_handler does; "ask" posts the question to the tenant's real chat/message
 * webhook and reads back the reply's intent, model, sources and billing rows.
 */
import type { KbAnswer, KbHit, KbSearchResult } from '../shared/kb/protocol';
import * as db from './db';
import { WorkerError } from './errors';
import { embed } from './llm';
import * as qd from './qdrant';
import type { TenantAccess } from './tenant';

export async function testSearch(
  t: TenantAccess,
  query: string,
  topK?: number,
  minScore?: number,
): Promise<KbSearchResult> {
  const q = query.trim();
  if (!q) throw new WorkerError('empty', 'The search text is empty.');
  if (q.length > 4096) throw new WorkerError('too-large', 'The search text is longer than 4096 characters.');
  const started = performance.now();
  return db.withDb(t, async (c) => {
    const r = await db.router(c);
    const k = topK ?? Number(r.top_k ?? 5);
    const min = minScore ?? Number(r.min_score ?? 0);
    const call = await embed(t.llm, r.embedding, [q], {
      retry: { attempts: 3, maxWaitMs: 5_000, baseWaitMs: 300 },
    });
    await db.bill(c, r, call, { stage: 'test_search' });
    const exists = await qd.collectionSize(t.qdrant);
    const hits = exists ? await qd.search(t.qdrant, call.vectors[0]!, k, min) : [];
    return {
      query: q,
      model: r.embedding,
      topK: k,
      minScore: min,
      hits: hits.map(toHit),
      embeddingTokens: call.promptTokens,
      tookMs: Math.round(performance.now() - started),
    };
  });
}

function toHit(h: qd.Hit): KbHit {
  const p = h.payload;
  return {
    score: h.score,
    documentId: String(p['document_id'] ?? ''),
    filename: String(p['filename'] ?? ''),
    chunkIndex: Number(p['chunk_index'] ?? 0),
    content: String(p['content'] ?? ''),
    page: typeof p['page'] === 'number' ? p['page'] : null,
    headings: Array.isArray(p['headings']) ? (p['headings'] as string[]) : [],
  };
}

/** The number the console's test questions come from (a customer row of its own in the tenant). */
export const TEST_PHONE = '70000000001';

interface ChatAnswer {
  conversation_id?: string;
  message_id?: string;
  reply_message_id?: string | null;
  reply?: string | null;
  intent?: string | null;
  model?: string | null;
  escalated?: boolean;
}

export async function ask(t: TenantAccess, question: string, phone = TEST_PHONE): Promise<KbAnswer> {
  const text = question.trim();
  if (!text) throw new WorkerError('empty', 'The question is empty.');
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(`${t.n8n.url}/webhook/chat/message`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(t.n8n.apiKey ? { 'x-truffles-key': t.n8n.apiKey } : {}),
      },
      body: JSON.stringify({
        channel: 'web',
        phone,
        name: 'Truffles console test',
        text,
        metadata: { source: 'truffles-console' },
      }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (err) {
    throw new WorkerError(
      'tenant',
      `The bot's webhook did not answer: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const body = (await res.json().catch(() => null)) as ChatAnswer | null;
  if (!res.ok || !body) throw new WorkerError('tenant', `The bot's webhook answered HTTP ${res.status}.`);
  const tookMs = Math.round(performance.now() - started);
  return db.withDb(t, async (c) => {
    const calls = await c.query<{
      stage: string | null;
      model_name: string;
      input_tokens: number;
      output_tokens: number;
      cost_usd: string | null;
    }>(
      `SELECT metadata->>'stage' AS stage, model_name, input_tokens, output_tokens, cost_usd::text
       FROM billing_events WHERE metadata->>'message_id' = $1 ORDER BY id`,
      [body.message_id ?? ''],
    );
    const meta = body.reply_message_id
      ? ((
          await c.query<{ metadata: { sources?: Array<Record<string, unknown>> } }>(
            'SELECT metadata FROM messages WHERE id = $1',
            [body.reply_message_id],
          )
        ).rows[0]?.metadata ?? {})
      : {};
    const costs = calls.rows.map((x) => x.cost_usd);
    const cost = costs.some((x) => x === null) ? null : sumDecimals(costs as string[]);
    return {
      question: text,
      reply: body.reply ?? null,
      intent: body.intent ?? null,
      model: body.model ?? null,
      escalated: body.escalated === true,
      sources: (meta.sources ?? []).map((s) => ({
        n: Number(s['n'] ?? 0),
        documentId: typeof s['document_id'] === 'string' ? s['document_id'] : null,
        filename: typeof s['filename'] === 'string' ? s['filename'] : null,
        score: typeof s['score'] === 'number' ? s['score'] : null,
      })),
      costUsd: cost,
      calls: calls.rows.map((x) => ({
        stage: x.stage ?? '',
        model: x.model_name,
        inputTokens: x.input_tokens,
        outputTokens: x.output_tokens,
        costUsd: x.cost_usd,
      })),
      conversationId: body.conversation_id ?? null,
      tookMs,
    };
  });
}

/** Sum of numeric(10,6) strings, exactly (in millionths). */
export function sumDecimals(values: string[]): string {
  let micro = 0n;
  for (const v of values) {
    const [i = '0', f = ''] = v.split('.');
    const neg = i.startsWith('-');
    const n = BigInt(i.replace('-', '') || '0') * 1_000_000n + BigInt((f + '000000').slice(0, 6));
    micro += neg ? -n : n;
  }
  const s = micro < 0n ? '-' : '';
  const a = micro < 0n ? -micro : micro;
  return `${s}${a / 1_000_000n}.${String(a % 1_000_000n).padStart(6, '0')}`;
}
