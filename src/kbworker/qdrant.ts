/**
 * The tenant's Qdrant over REST (the collection `knowledge` the bot searches): create it when
 * missing, write points in batches, delete and count a document's points, search.
 */
import { WorkerError } from './errors';

export const COLLECTION = 'knowledge';

export interface QdrantTarget {
  url: string;
  apiKey: string;
}

export interface Point {
  id: string;
  vector: number[];
  payload: Record<string, unknown>;
}

async function call<T>(
  q: QdrantTarget,
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<{ status: number; result: T | null }> {
  let res: Response;
  try {
    res = await fetch(`${q.url}${path}`, {
      method,
      headers: { 'api-key': q.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000),
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason as Error;
    throw new WorkerError(
      'qdrant',
      `Qdrant did not answer ${method} ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const text = await res.text();
  let parsed: { result?: T; status?: { error?: string } | string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not JSON
  }
  if (res.status === 404) return { status: 404, result: null };
  if (!res.ok) {
    const why = typeof parsed.status === 'object' ? parsed.status?.error : text.slice(0, 200);
    throw new WorkerError('qdrant', `Qdrant answered ${res.status} to ${method} ${path}: ${why ?? ''}`);
  }
  return { status: res.status, result: parsed.result ?? null };
}

interface CollectionInfo {
  points_count?: number | null;
  config?: { params?: { vectors?: { size?: number } } };
}

/** The collection's vector size, or null when there is none. */
export async function collectionSize(q: QdrantTarget): Promise<{ size: number; points: number } | null> {
  const r = await call<CollectionInfo>(q, 'GET', `/collections/${COLLECTION}`);
  if (!r.result) return null;
  return {
    size: Number(r.result.config?.params?.vectors?.size ?? 0),
    points: Number(r.result.points_count ?? 0),
  };
}

/**
 * Make sure the collection holds vectors of `size` (Cosine) with a keyword index on
 * document_id. A collection of another size (the embedding model changed) is refused unless
 * `recreate`: then it is dropped and made again, and every document must be re-indexed.
 */
export async function ensureCollection(
  q: QdrantTarget,
  size: number,
  recreate = false,
): Promise<'exists' | 'created' | 'recreated'> {
  const now = await collectionSize(q);
  if (now && now.size === size) return 'exists';
  if (now && !recreate)
    throw new WorkerError(
      'qdrant',
      `The collection holds vectors of ${now.size} dimensions and the embedding model gives ${size}: re-index every document (it recreates the collection).`,
    );
  if (now) await call(q, 'DELETE', `/collections/${COLLECTION}`);
  await call(q, 'PUT', `/collections/${COLLECTION}`, { vectors: { size, distance: 'Cosine' } });
  await call(q, 'PUT', `/collections/${COLLECTION}/index?wait=true`, {
    field_name: 'document_id',
    field_schema: 'keyword',
  });
  return now ? 'recreated' : 'created';
}

export async function upsert(q: QdrantTarget, points: Point[], signal?: AbortSignal): Promise<void> {
  if (!points.length) return;
  await call(q, 'PUT', `/collections/${COLLECTION}/points?wait=true`, { points }, signal);
}

const byDoc = (documentId: string): unknown => ({
  must: [{ key: 'document_id', match: { value: documentId } }],
});

export async function countDocument(q: QdrantTarget, documentId: string): Promise<number> {
  const r = await call<{ count: number }>(q, 'POST', `/collections/${COLLECTION}/points/count`, {
    filter: byDoc(documentId),
    exact: true,
  });
  return Number(r.result?.count ?? 0);
}

/** Ids of the document's points (for resuming: which chunks are already indexed). */
export async function pointIds(q: QdrantTarget, documentId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let offset: unknown = null;
  for (;;) {
    const r = await call<{ points: Array<{ id: string | number }>; next_page_offset?: unknown }>(
      q,
      'POST',
      `/collections/${COLLECTION}/points/scroll`,
      {
        filter: byDoc(documentId),
        limit: 1000,
        with_payload: false,
        with_vector: false,
        ...(offset === null ? {} : { offset }),
      },
    );
    if (!r.result) return ids;
    for (const p of r.result.points) ids.add(String(p.id));
    offset = r.result.next_page_offset ?? null;
    if (offset === null) return ids;
  }
}

export async function deleteDocument(q: QdrantTarget, documentId: string): Promise<number> {
  const before = (await collectionSize(q)) ? await countDocument(q, documentId) : 0;
  if (before)
    await call(q, 'POST', `/collections/${COLLECTION}/points/delete?wait=true`, {
      filter: byDoc(documentId),
    });
  return before;
}

export interface Hit {
  id: string;
  score: number;
  payload: Record<string, unknown>;
}

export async function search(
  q: QdrantTarget,
  vector: number[],
  limit: number,
  threshold: number,
): Promise<Hit[]> {
  const r = await call<Array<{ id: string | number; score: number; payload?: Record<string, unknown> }>>(
    q,
    'POST',
    `/collections/${COLLECTION}/points/search`,
    { vector, limit, with_payload: true, score_threshold: threshold },
  );
  return (r.result ?? []).map((h) => ({ id: String(h.id), score: h.score, payload: h.payload ?? {} }));
}
