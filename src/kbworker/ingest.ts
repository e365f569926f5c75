/**
 * One document through the pipeline: extract → chunk → embed (batches, retried) → index (Qdrant
 * points, id = chunk id) → ready. Every step is safe to run again: a resumed job re-extracts
 * (cheap, deterministic), keeps the chunks whose point is already in Qdrant, and embeds only
 * the rest. A failure marks the document `error` with its reason; a cancel removes what a new
 * document had written.
 */
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import type { KbJob } from '../shared/kb/protocol';
import * as db from './db';
import { errorOf, WorkerError } from './errors';
import { chunk, extract } from './extract';
import type { JobStore } from './jobs';
import { batches, embed } from './llm';
import type { RetryPolicy } from './llm';
import * as qd from './qdrant';
import type { TenantAccess } from './tenant';

export interface IngestDeps {
  store: JobStore;
  access(tenant: string): Promise<TenantAccess>;
  /** Where the job's file is kept on the host. */
  filePath(job: KbJob): string;
  retry?: RetryPolicy;
  /** Inputs per embeddings request (default MAX_BATCH_INPUTS). */
  batchInputs?: number;
}

export async function runJob(job: KbJob, deps: IngestDeps, signal: AbortSignal): Promise<void> {
  const { store } = deps;
  const set = (patch: Partial<KbJob>): Promise<KbJob> => store.update(job, patch);
  let created = false;
  let t: TenantAccess | null = null;
  try {
    t = await deps.access(job.tenant);
    await db.withDb(t, async (c) => {
      const r = await db.router(c);
      // The same file already in the base: nothing to embed.
      if (job.kind === 'ingest' && !job.documentId) {
        const same = await db.byHash(c, job.sha256);
        if (same && same.status === 'ready') {
          await set({
            phase: 'done',
            documentId: same.id,
            chunkCount: same.chunkCount,
            duplicateOf: same.id,
            done: same.chunkCount,
            total: same.chunkCount,
          });
          return;
        }
      }
      await set({ phase: 'extracting' });
      const bytes = await readFile(deps.filePath(job)).catch(() => {
        throw new WorkerError(
          'corrupt',
          `The uploaded file of '${job.filename}' is no longer on the host: upload it again.`,
        );
      });
      const doc = await extract(new Uint8Array(bytes), job.filename);
      signal.throwIfAborted();
      await set({
        phase: 'chunking',
        type: doc.type,
        pages: doc.pages ?? null,
        encoding: doc.encoding ?? null,
        warnings: doc.warnings,
      });
      const parts = chunk(doc.sections, { model: r.embedding });
      if (!parts.length) throw new WorkerError('empty', `'${job.filename}' has no text to index.`);
      const meta = {
        uploaded_by: job.uploadedBy,
        pages: doc.pages ?? null,
        encoding: doc.encoding ?? null,
        embedding_model: r.embedding,
        job: job.id,
      };
      if (!job.documentId) {
        const existing = await db.byHash(c, job.sha256);
        created = !existing;
        const id = await db.register(c, {
          filename: job.filename,
          type: doc.type,
          sizeBytes: job.sizeBytes,
          sha256: job.sha256,
          metadata: meta,
        });
        await set({ documentId: id });
      } else {
        await db.setStatus(c, job.documentId, 'processing', { error: null, metadata: meta });
        // A re-index embeds every chunk again (the model may have changed): on its first start
        // its chunks forget their vectors; a resumed re-index keeps what it embedded already.
        if (job.kind === 'reindex' && job.attempts === 0 && !job.done)
          await db.forgetVectors(c, job.documentId);
      }
      const documentId = job.documentId!;
      const { rows, removed } = await db.putChunks(
        c,
        documentId,
        parts.map((p) => ({
          content: p.content,
          tokenCount: p.tokenCount,
          metadata: { page: p.page ?? null, page_end: p.pageEnd ?? null, headings: p.headings },
        })),
      );
      await index(c, t!, r, job, documentId, rows, removed, deps, signal);
      await db.setStatus(c, documentId, 'ready', { error: null, chunkCount: rows.length });
      await db.audit(
        c,
        job.uploadedBy,
        job.kind === 'reindex' ? 'knowledge.reindex' : 'knowledge.ingest',
        documentId,
        {
          filename: job.filename,
          chunks: rows.length,
          job: job.id,
        },
      );
      await set({ phase: 'done', chunkCount: rows.length, error: null });
    });
  } catch (err) {
    if (signal.aborted && (signal.reason as Error | undefined)?.message === 'shutdown') return; // resumed on the next start
    if (signal.aborted) {
      await cleanupCancelled(job, t, created).catch(() => undefined);
      await set({ phase: 'cancelled' });
      return;
    }
    const e = errorOf(err);
    await set({ phase: 'error', error: e });
    if (t && job.documentId) {
      await db
        .withDb(t, (c) =>
          db.setStatus(c, job.documentId!, 'error', { error: `${e.code}: ${e.message}`.slice(0, 2000) }),
        )
        .catch(() => undefined);
    }
  }
}

async function index(
  c: pg.Client,
  t: TenantAccess,
  r: db.Router,
  job: KbJob,
  documentId: string,
  rows: db.ChunkRow[],
  removed: string[],
  deps: IngestDeps,
  signal: AbortSignal,
): Promise<void> {
  const set = (patch: Partial<KbJob>): Promise<KbJob> => deps.store.update(job, patch);
  const q = t.qdrant;
  const existing = await qd.collectionSize(q);
  const have = existing ? await qd.pointIds(q, documentId) : new Set<string>();
  if (removed.length && existing) await qd.deleteDocument(q, documentId).then(() => have.clear()); // positions changed: the old points go
  const todo = rows.filter((x) => !(x.vectorId && have.has(x.id)));
  const total = rows.length;
  let done = total - todo.length;
  await set({ phase: 'embedding', done, total });
  let ensured = !!existing;
  for (const [from, to] of batches(
    todo.map((x) => x.tokenCount),
    deps.batchInputs,
  )) {
    signal.throwIfAborted();
    const part = todo.slice(from, to);
    const call = await embed(
      t.llm,
      r.embedding,
      part.map((x) => x.content),
      {
        signal,
        ...(deps.retry ? { retry: deps.retry } : {}),
        onRetry: () => void set({ retries: job.retries + 1 }),
      },
    );
    await db.bill(c, r, call, { stage: 'ingest', document_id: documentId, chunks: part.length, job: job.id });
    await set({ embeddingCalls: job.embeddingCalls + 1 });
    const size = call.vectors[0]!.length;
    if (!ensured) {
      await qd.ensureCollection(q, size);
      ensured = true;
    } else if (existing && existing.size !== size) {
      throw new WorkerError(
        'qdrant',
        `The collection holds vectors of ${existing.size} dimensions and ${r.embedding} gives ${size}: re-index every document (it recreates the collection).`,
      );
    }
    await qd.upsert(
      q,
      part.map((x, k) => ({
        id: x.id,
        vector: call.vectors[k]!,
        payload: {
          document_id: documentId,
          chunk_index: x.index,
          content: x.content,
          filename: job.filename,
          page: x.page,
          page_end: x.pageEnd,
          headings: x.headings,
        },
      })),
      signal,
    );
    await db.markIndexed(
      c,
      part.map((x) => x.id),
    );
    done += part.length;
    await set({ done });
  }
  await set({ phase: 'indexing', done: total, total });
  const points = await qd.countDocument(q, documentId);
  if (points !== total)
    throw new WorkerError('qdrant', `Qdrant holds ${points} points of this document for ${total} chunks.`);
}

async function cleanupCancelled(job: KbJob, t: TenantAccess | null, created: boolean): Promise<void> {
  if (!t || !job.documentId) return;
  if (created) {
    await qd.deleteDocument(t.qdrant, job.documentId);
    await db.withDb(t, (c) => db.remove(c, job.documentId!));
    job.documentId = null;
  } else {
    await db.withDb(t, (c) =>
      db.setStatus(c, job.documentId!, 'error', {
        error: 'cancelled: the re-index was cancelled; re-index it again',
      }),
    );
  }
}
