/**
 * The tenant's PostgreSQL, as the knowledge base uses it: the model router's settings, the
 * documents and chunks (core_chat's knowledge_documents / knowledge_chunks), the billing rows of
 * embedding calls (the workflows' shape) and the tenant's own audit log. Every statement is
 * parameterised.
 */
import pg from 'pg';
import type { KbChunk, KbDocStatus, KbDocument } from '../shared/kb/protocol';
import { WorkerError } from './errors';
import type { TenantAccess } from './tenant';

export interface Router {
  embedding: string;
  provider: string;
  top_k: number;
  min_score: number;
  embedding_dimensions: number;
  prices_usd_per_1m: Record<string, [number, number]>;
}

export const DEFAULT_ROUTER: Router = {
  embedding: 'text-embedding-3-small',
  provider: 'openai',
  top_k: 5,
  min_score: 0.3,
  embedding_dimensions: 1536,
  prices_usd_per_1m: {},
};

export async function withDb<T>(t: TenantAccess, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...t.pg, connectionTimeoutMillis: 10_000, statement_timeout: 60_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new WorkerError(
      'database',
      `The database of '${t.slug}' did not accept a connection: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function router(c: pg.Client): Promise<Router> {
  const r = await c.query<{ value: Partial<Router> }>(
    "SELECT value FROM settings WHERE key = 'model_router'",
  );
  return { ...DEFAULT_ROUTER, ...(r.rows[0]?.value ?? {}) };
}

/**
 * USD of a call by the router's price table, exact, as decimal text (as the workflows bill it:
 * integer arithmetic on the price's 12 decimals, so 20 tokens of text-embedding-3-small are
 * 0.0000004, not 0): the longest model-name prefix ending at a word boundary; null when unpriced.
 */
export function priceOf(r: Router, model: string, input: number, output = 0): string | null {
  let key: string | null = null;
  for (const k of Object.keys(r.prices_usd_per_1m ?? {})) {
    if (!model.startsWith(k)) continue;
    const next = model.charAt(k.length);
    if (next && !/[-_.:@/]/.test(next)) continue;
    if (!key || k.length > key.length) key = k;
  }
  const p = key ? r.prices_usd_per_1m[key] : null;
  if (!Array.isArray(p)) return null;
  const scaled = (v: unknown): bigint =>
    BigInt(
      Math.max(0, Number(v) || 0)
        .toFixed(12)
        .replace('.', ''),
    );
  const total =
    BigInt(Math.max(0, Math.round(input))) * scaled(p[0]) +
    BigInt(Math.max(0, Math.round(output))) * scaled(p[1]);
  const digits = total.toString().padStart(19, '0');
  const text = `${digits.slice(0, -18)}.${digits.slice(-18)}`.replace(/0+$/, '').replace(/\.$/, '');
  return text;
}

export async function bill(
  c: pg.Client,
  r: Router,
  call: { model: string; responseModel: string | null; promptTokens: number },
  meta: Record<string, unknown>,
): Promise<void> {
  await c.query(
    `INSERT INTO billing_events (event_type, model_provider, model_name, input_tokens, output_tokens, cost_usd, workflow_id, metadata)
     VALUES ('embedding', $1, $2, $3, 0, $4, 'truffles-kb', $5)`,
    [
      r.provider,
      call.model,
      call.promptTokens,
      priceOf(r, call.model, call.promptTokens),
      JSON.stringify({ ...meta, response_model: call.responseModel }),
    ],
  );
}

interface DocRow {
  id: string;
  filename: string;
  file_type: string | null;
  file_size_bytes: string | null;
  content_hash: string | null;
  status: string;
  error_message: string | null;
  chunk_count: number;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const DOC_COLUMNS =
  'id, filename, file_type, file_size_bytes, content_hash, status, error_message, chunk_count, metadata, created_at, updated_at';

function toDoc(r: DocRow): KbDocument {
  const m = r.metadata ?? {};
  return {
    id: r.id,
    filename: r.filename,
    type: r.file_type,
    sizeBytes: r.file_size_bytes === null ? null : Number(r.file_size_bytes),
    sha256: r.content_hash,
    status: (['processing', 'ready', 'error'].includes(r.status) ? r.status : 'error') as KbDocStatus,
    error: r.error_message,
    chunkCount: r.chunk_count,
    pages: typeof m['pages'] === 'number' ? m['pages'] : null,
    uploadedBy: typeof m['uploaded_by'] === 'string' ? m['uploaded_by'] : null,
    embeddingModel: typeof m['embedding_model'] === 'string' ? m['embedding_model'] : null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function documents(c: pg.Client): Promise<KbDocument[]> {
  const r = await c.query<DocRow>(
    `SELECT ${DOC_COLUMNS} FROM knowledge_documents WHERE status <> 'deleted' ORDER BY created_at DESC`,
  );
  return r.rows.map(toDoc);
}

export async function document(c: pg.Client, id: string): Promise<KbDocument | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const r = await c.query<DocRow>(
    `SELECT ${DOC_COLUMNS} FROM knowledge_documents WHERE id = $1 AND status <> 'deleted'`,
    [id],
  );
  return r.rows[0] ? toDoc(r.rows[0]) : null;
}

export async function byHash(c: pg.Client, sha256: string): Promise<KbDocument | null> {
  const r = await c.query<DocRow>(
    `SELECT ${DOC_COLUMNS} FROM knowledge_documents WHERE content_hash = $1 AND status <> 'deleted'`,
    [sha256],
  );
  return r.rows[0] ? toDoc(r.rows[0]) : null;
}

export async function register(
  c: pg.Client,
  d: {
    filename: string;
    type: string | null;
    sizeBytes: number;
    sha256: string;
    metadata: Record<string, unknown>;
  },
): Promise<string> {
  const r = await c.query<{ id: string }>(
    `INSERT INTO knowledge_documents (filename, original_filename, file_type, file_size_bytes, content_hash, metadata, status)
     VALUES ($1, $1, $2, $3, $4, $5, 'processing')
     ON CONFLICT (content_hash) WHERE content_hash IS NOT NULL AND status <> 'deleted'
     DO UPDATE SET status = 'processing', error_message = NULL, metadata = knowledge_documents.metadata || EXCLUDED.metadata
     RETURNING id`,
    [d.filename.slice(0, 255), d.type, d.sizeBytes, d.sha256, JSON.stringify(d.metadata)],
  );
  return r.rows[0]!.id;
}

export async function setStatus(
  c: pg.Client,
  id: string,
  status: KbDocStatus,
  fields: { error?: string | null; chunkCount?: number; metadata?: Record<string, unknown> } = {},
): Promise<void> {
  await c.query(
    `UPDATE knowledge_documents SET status = $2, error_message = $3,
       chunk_count = COALESCE($4, chunk_count), metadata = metadata || COALESCE($5::jsonb, '{}'::jsonb)
     WHERE id = $1`,
    [
      id,
      status,
      fields.error ?? null,
      fields.chunkCount ?? null,
      fields.metadata ? JSON.stringify(fields.metadata) : null,
    ],
  );
}

export interface ChunkRow {
  id: string;
  index: number;
  content: string;
  tokenCount: number;
  vectorId: string | null;
  page: number | null;
  pageEnd: number | null;
  headings: string[];
}

/**
 * Write the document's chunks (by position; a changed chunk loses its vector) and remove those
 * past the new count; answers every chunk with its id (the Qdrant point id).
 */
export async function putChunks(
  c: pg.Client,
  documentId: string,
  chunks: Array<{ content: string; tokenCount: number; metadata: Record<string, unknown> }>,
): Promise<{ rows: ChunkRow[]; removed: string[] }> {
  const rows: ChunkRow[] = [];
  const step = 500;
  for (let i = 0; i < chunks.length; i += step) {
    const part = chunks.slice(i, i + step);
    const r = await c.query<{
      id: string;
      chunk_index: number;
      content: string;
      token_count: number;
      vector_id: string | null;
      metadata: Record<string, unknown>;
    }>(
      `INSERT INTO knowledge_chunks (document_id, chunk_index, content, token_count, metadata)
       SELECT $1, (x->>'i')::int, x->>'c', (x->>'t')::int, x->'m' FROM jsonb_array_elements($2::jsonb) AS x
       ON CONFLICT (document_id, chunk_index) DO UPDATE
         SET content = EXCLUDED.content, token_count = EXCLUDED.token_count, metadata = EXCLUDED.metadata,
             vector_id = CASE WHEN knowledge_chunks.content = EXCLUDED.content THEN knowledge_chunks.vector_id END
       RETURNING id, chunk_index, content, token_count, vector_id, metadata`,
      [
        documentId,
        JSON.stringify(part.map((p, k) => ({ i: i + k, c: p.content, t: p.tokenCount, m: p.metadata }))),
      ],
    );
    for (const x of r.rows)
      rows.push({
        id: x.id,
        index: x.chunk_index,
        content: x.content,
        tokenCount: x.token_count,
        vectorId: x.vector_id,
        page: typeof x.metadata?.['page'] === 'number' ? x.metadata['page'] : null,
        pageEnd: typeof x.metadata?.['page_end'] === 'number' ? x.metadata['page_end'] : null,
        headings: Array.isArray(x.metadata?.['headings']) ? (x.metadata['headings'] as string[]) : [],
      });
  }
  const gone = await c.query<{ id: string }>(
    'DELETE FROM knowledge_chunks WHERE document_id = $1 AND chunk_index >= $2 RETURNING id',
    [documentId, chunks.length],
  );
  rows.sort((a, b) => a.index - b.index);
  return { rows, removed: gone.rows.map((g) => g.id) };
}

export async function forgetVectors(c: pg.Client, documentId: string): Promise<void> {
  await c.query('UPDATE knowledge_chunks SET vector_id = NULL WHERE document_id = $1', [documentId]);
}

export async function markIndexed(c: pg.Client, ids: string[]): Promise<void> {
  if (ids.length)
    await c.query('UPDATE knowledge_chunks SET vector_id = id::text WHERE id = ANY($1::uuid[])', [ids]);
}

export async function chunks(
  c: pg.Client,
  documentId: string,
  offset: number,
  limit: number,
): Promise<{ total: number; chunks: KbChunk[] }> {
  const total = await c.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM knowledge_chunks WHERE document_id = $1',
    [documentId],
  );
  const r = await c.query<{
    id: string;
    chunk_index: number;
    content: string;
    token_count: number | null;
    vector_id: string | null;
    metadata: Record<string, unknown>;
  }>(
    'SELECT id, chunk_index, content, token_count, vector_id, metadata FROM knowledge_chunks WHERE document_id = $1 ORDER BY chunk_index OFFSET $2 LIMIT $3',
    [documentId, offset, limit],
  );
  return {
    total: total.rows[0]?.n ?? 0,
    chunks: r.rows.map((x) => ({
      id: x.id,
      index: x.chunk_index,
      content: x.content,
      tokenCount: x.token_count,
      page: typeof x.metadata?.['page'] === 'number' ? x.metadata['page'] : null,
      pageEnd: typeof x.metadata?.['page_end'] === 'number' ? x.metadata['page_end'] : null,
      headings: Array.isArray(x.metadata?.['headings']) ? (x.metadata['headings'] as string[]) : [],
      indexed: x.vector_id !== null,
    })),
  };
}

export async function chunkCount(c: pg.Client): Promise<number> {
  const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM knowledge_chunks');
  return r.rows[0]?.n ?? 0;
}

/** Delete the document and (cascade) its chunks; answers how many chunks went. */
export async function remove(c: pg.Client, id: string): Promise<number> {
  const r = await c.query<{ n: number }>(
    `WITH ch AS (SELECT count(*)::int AS n FROM knowledge_chunks WHERE document_id = $1),
          d AS (DELETE FROM knowledge_documents WHERE id = $1 RETURNING id)
     SELECT ch.n FROM ch, d`,
    [id],
  );
  return r.rows[0]?.n ?? 0;
}

/** The tenant's own audit log (core_chat's audit_logs): who did what to which document. */
export async function audit(
  c: pg.Client,
  actor: string,
  action: string,
  documentId: string,
  value: Record<string, unknown>,
): Promise<void> {
  await c.query(
    `INSERT INTO audit_logs (actor_type, actor_id, action, resource_type, resource_id, new_value)
     VALUES ('user', $1, $2, 'knowledge_document', $3, $4)`,
    [actor.slice(0, 255), action, documentId, JSON.stringify(value)],
  );
}
