/**
 * truffles-kb: the knowledge-base worker on a host (a container the console starts, restart
 * policy unless-stopped, next to the host agent). It owns every upload once the file is on the
 * host: extracts, chunks, embeds through the tenant's own OpenAI-compatible endpoint and writes
 * the tenant's PostgreSQL and Qdrant, so a long upload does not need the laptop. It answers the
 * console on a Unix socket with the agent's frames (src/shared/kb/protocol.ts).
 *
 * Configuration (environment):
 *   TRUFFLES_KB_DIR         its folder (default /kb, the host's <stateDir>/kb): run/kb.sock,
 *                           tenants/<slug>/{incoming,files,jobs}
 *   TRUFFLES_TENANTS_DIR    the tenants' folders, read-only (default /tenants: <stateDir>/tenants)
 *   TRUFFLES_KB_GID         the group that may use the door, when it runs as root (the console runs it
 *                           as the state folder's owner, who owns the door)
 *   TRUFFLES_KB_CONCURRENCY documents processed at once (default 2)
 *   TRUFFLES_KB_RETRY_MAX_WAIT_MS  the longest wait between retries of an LLM call (default 60000)
 *   TRUFFLES_KB_BATCH       texts per embeddings request (default 64)
 *   DOCKER_SOCKET           default /var/run/docker.sock (to find the tenants' containers)
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KbJob, KbMethods } from '../shared/kb/protocol';
import { KB_FINAL_PHASES, KB_MAX_FILE_BYTES, KB_PROTOCOL, KB_VERSION } from '../shared/kb/protocol';
import { DockerApi } from '../agent/docker';
import { RequestError, serveDoor } from '../agent/server';
import type { Door, MethodHandler } from '../agent/server';
import * as db from './db';
import { errorOf } from './errors';
import { runJob } from './ingest';
import { JobStore, MAX_ATTEMPTS, newJobId } from './jobs';
import { DEFAULT_RETRY, embed, MAX_BATCH_INPUTS } from './llm';
import * as qd from './qdrant';
import { Queue } from './queue';
import { ask, testSearch } from './search';
import { checkSlug, tenantAccess } from './tenant';

const env = process.env;
const kbDir = env['TRUFFLES_KB_DIR'] ?? '/kb';
const tenantsDir = env['TRUFFLES_TENANTS_DIR'] ?? '/tenants';
const gid = env['TRUFFLES_KB_GID'] ? Number(env['TRUFFLES_KB_GID']) : null;
const concurrency = Math.max(1, Number(env['TRUFFLES_KB_CONCURRENCY'] ?? 2));
const maxWaitMs = Number(env['TRUFFLES_KB_RETRY_MAX_WAIT_MS'] ?? DEFAULT_RETRY.maxWaitMs);
const batchInputs = Math.max(1, Math.min(2048, Number(env['TRUFFLES_KB_BATCH'] ?? MAX_BATCH_INPUTS)));
const startedAt = new Date().toISOString();
const docker = new DockerApi(env['DOCKER_SOCKET'] ?? '/var/run/docker.sock');
const store = new JobStore(kbDir);
const access = (slug: string): ReturnType<typeof tenantAccess> => tenantAccess(tenantsDir, docker, slug);
const fileOf = (job: Pick<KbJob, 'tenant' | 'sha256'>): string =>
  join(store.tenantDir(job.tenant), 'files', job.sha256);

const queue = new Queue(
  store,
  (job, signal) =>
    runJob(
      job,
      { store, access, filePath: fileOf, retry: { ...DEFAULT_RETRY, maxWaitMs }, batchInputs },
      signal,
    ),
  concurrency,
);

function str(p: Record<string, unknown>, key: string, max = 1000): string {
  const v = p[key];
  if (typeof v !== 'string' || !v.trim() || v.length > max)
    throw new RequestError(
      'bad-request',
      `"${key}" must be a non-empty string of at most ${max} characters.`,
    );
  return v;
}

function tenantOf(p: Record<string, unknown>): string {
  try {
    return checkSlug(p['tenant']);
  } catch (err) {
    throw new RequestError('bad-request', (err as Error).message);
  }
}

/** The worker's failures reach the console with their code in the message: "[code] message". */
function wrap(fn: MethodHandler): MethodHandler {
  return async (p, caller) => {
    try {
      return await fn(p, caller);
    } catch (err) {
      if (err instanceof RequestError) throw err;
      const e = errorOf(err);
      throw new RequestError(e.code === 'tenant' ? 'not-found' : 'internal', `[${e.code}] ${e.message}`);
    }
  };
}

function newJob(
  fields: Pick<KbJob, 'tenant' | 'kind' | 'filename' | 'sizeBytes' | 'sha256' | 'uploadedBy' | 'documentId'>,
): KbJob {
  const now = new Date().toISOString();
  return {
    id: newJobId(),
    type: null,
    createdAt: now,
    updatedAt: now,
    phase: 'queued',
    done: 0,
    total: 0,
    chunkCount: null,
    pages: null,
    encoding: null,
    duplicateOf: null,
    embeddingCalls: 0,
    retries: 0,
    attempts: 0,
    warnings: [],
    error: null,
    ...fields,
  };
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

const methods: { [K in keyof KbMethods]: MethodHandler } = {
  'kb.status': () => ({
    version: KB_VERSION,
    protocol: KB_PROTOCOL,
    startedAt,
    rssBytes: process.memoryUsage().rss,
    ...queue.counts,
    concurrency,
  }),
  'kb.enqueue': wrap(async (p) => {
    const tenant = tenantOf(p);
    const upload = str(p, 'upload', 100);
    if (!/^[A-Za-z0-9._-]+$/.test(upload) || upload.startsWith('.'))
      throw new RequestError('bad-request', '"upload" must be a file name in the incoming folder.');
    const filename = str(p, 'filename', 255);
    const sizeBytes = Number(p['sizeBytes']);
    const sha256 = str(p, 'sha256', 64).toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(sha256))
      throw new RequestError('bad-request', '"sha256" must be 64 hex digits.');
    const uploadedBy = str(p, 'uploadedBy', 255);
    const dir = store.tenantDir(tenant);
    const incoming = join(dir, 'incoming', upload);
    const st = await stat(incoming).catch(() => null);
    if (!st?.isFile())
      throw new RequestError('not-found', `The upload '${upload}' is not on the host: upload it again.`);
    if (st.size !== sizeBytes || st.size > KB_MAX_FILE_BYTES) {
      await rm(incoming, { force: true });
      throw new RequestError(
        'bad-request',
        `The upload has ${st.size} bytes, not ${sizeBytes}: it was cut; upload it again.`,
      );
    }
    const actual = await sha256File(incoming);
    if (actual !== sha256) {
      await rm(incoming, { force: true });
      throw new RequestError(
        'bad-request',
        'The upload does not match its checksum: it was damaged on the way; upload it again.',
      );
    }
    await mkdir(join(dir, 'files'), { recursive: true, mode: 0o750 });
    await rename(incoming, fileOf({ tenant, sha256 }));
    const job = newJob({ tenant, kind: 'ingest', filename, sizeBytes, sha256, uploadedBy, documentId: null });
    await store.add(job);
    queue.push(job);
    return job;
  }),
  'kb.jobs': (p) => store.list(p['tenant'] === undefined ? undefined : tenantOf(p)),
  'kb.cancel': wrap(async (p) => {
    const tenant = tenantOf(p);
    const job = store.get(str(p, 'job', 100));
    if (!job || job.tenant !== tenant) throw new RequestError('not-found', 'No such job.');
    if (!KB_FINAL_PHASES.includes(job.phase)) await queue.cancel(job.id);
    return job;
  }),
  'kb.documents': wrap(async (p) => {
    const tenant = tenantOf(p);
    const t = await access(tenant);
    return db.withDb(t, async (c) => {
      const r = await db.router(c);
      let docs = await db.documents(c);
      // A document "processing" with no job of this worker at work on it was left by a crash
      // the job could not record: it is an error, said so here and in the database.
      const live = new Set(
        store
          .list(tenant)
          .filter((j) => !KB_FINAL_PHASES.includes(j.phase))
          .map((j) => j.documentId),
      );
      for (const d of docs.filter((x) => x.status === 'processing' && !live.has(x.id))) {
        await db.setStatus(c, d.id, 'error', {
          error: 'interrupted: the indexing stopped before it finished; re-index the document',
        });
      }
      if (docs.some((x) => x.status === 'processing' && !live.has(x.id))) docs = await db.documents(c);
      const info = await qd.collectionSize(t.qdrant).catch(() => null);
      return {
        summary: {
          tenant,
          documents: docs.length,
          ready: docs.filter((d) => d.status === 'ready').length,
          processing: docs.filter((d) => d.status === 'processing').length,
          error: docs.filter((d) => d.status === 'error').length,
          chunks: await db.chunkCount(c),
          points: info ? info.points : null,
          embeddingModel: r.embedding,
          dimensions: info?.size ?? r.embedding_dimensions,
        },
        documents: docs,
      };
    });
  }),
  'kb.chunks': wrap(async (p) => {
    const t = await access(tenantOf(p));
    const id = str(p, 'document', 64);
    const offset = Math.max(0, Math.floor(Number(p['offset'] ?? 0)) || 0);
    const limit = Math.min(500, Math.max(1, Math.floor(Number(p['limit'] ?? 100)) || 100));
    return db.withDb(t, async (c) => {
      const d = await db.document(c, id);
      if (!d) throw new RequestError('not-found', 'No such document.');
      return { document: d, ...(await db.chunks(c, id, offset, limit)) };
    });
  }),
  'kb.delete': wrap(async (p) => {
    const tenant = tenantOf(p);
    const t = await access(tenant);
    const id = str(p, 'document', 64);
    const by = str(p, 'by', 255);
    // A job at work on it stops first: its points would come back otherwise.
    for (const j of store.list(tenant))
      if (j.documentId === id && !KB_FINAL_PHASES.includes(j.phase)) await queue.cancel(j.id);
    return db.withDb(t, async (c) => {
      const d = await db.document(c, id);
      if (!d) throw new RequestError('not-found', 'No such document.');
      const points = await qd.deleteDocument(t.qdrant, id);
      const chunks = await db.remove(c, id);
      await db.audit(c, by, 'knowledge.delete', id, { filename: d.filename, chunks, points });
      if (d.sha256) await rm(fileOf({ tenant, sha256: d.sha256 }), { force: true });
      return { document: id, chunks, points };
    });
  }),
  'kb.reindex': wrap(async (p) => {
    const tenant = tenantOf(p);
    const t = await access(tenant);
    const by = str(p, 'by', 255);
    const one = p['document'] === undefined ? null : str(p, 'document', 64);
    const docs = await db.withDb(t, async (c) => (one ? [await db.document(c, one)] : await db.documents(c)));
    if (one && !docs[0]) throw new RequestError('not-found', 'No such document.');
    if (!one) await fitCollection(t);
    const jobs: KbJob[] = [];
    for (const d of docs) {
      if (!d || !d.sha256) continue;
      const job = newJob({
        tenant,
        kind: 'reindex',
        filename: d.filename,
        sizeBytes: d.sizeBytes ?? 0,
        sha256: d.sha256,
        uploadedBy: by,
        documentId: d.id,
      });
      await store.add(job);
      queue.push(job);
      jobs.push(job);
    }
    return jobs;
  }),
  'kb.search': wrap(async (p) => {
    const t = await access(tenantOf(p));
    const topK =
      p['topK'] === undefined ? undefined : Math.min(50, Math.max(1, Math.floor(Number(p['topK'])) || 5));
    const minScore =
      p['minScore'] === undefined ? undefined : Math.min(1, Math.max(-1, Number(p['minScore']) || 0));
    return testSearch(t, str(p, 'query', 4096), topK, minScore);
  }),
  'kb.ask': wrap(async (p) => {
    const t = await access(tenantOf(p));
    const phone = p['phone'] === undefined ? undefined : str(p, 'phone', 20);
    return ask(t, str(p, 'question', 4096), phone);
  }),
};

/**
 * Before every document is embedded again: when the tenant's embedding model now gives vectors
 * of another length than the collection holds (the operator changed model_router.embedding), the
 * collection is made again at the new length — the old vectors could not be searched with the new
 * model anyway. One probe embedding (billed, stage `reindex_probe`) tells the length.
 */
async function fitCollection(t: Awaited<ReturnType<typeof access>>): Promise<void> {
  const now = await qd.collectionSize(t.qdrant);
  if (!now) return;
  await db.withDb(t, async (c) => {
    const r = await db.router(c);
    const probe = await embed(t.llm, r.embedding, ['probe'], { retry: { ...DEFAULT_RETRY, maxWaitMs } });
    await db.bill(c, r, probe, { stage: 'reindex_probe' });
    const size = probe.vectors[0]!.length;
    if (size !== now.size) {
      await qd.ensureCollection(t.qdrant, size, true);
      await c.query('UPDATE knowledge_chunks SET vector_id = NULL');
    }
  });
}

const door: Door = {
  hello: () => ({
    agent: 'truffles-kb',
    version: KB_VERSION,
    protocol: KB_PROTOCOL,
    startedAt,
    methods: [...Object.keys(methods), 'kb.watch'],
  }),
  methods,
  streams: {
    'kb.watch': (p, send) => {
      const tenant = typeof p['tenant'] === 'string' ? p['tenant'] : undefined;
      send({ jobs: store.list(tenant) });
      // At most one batch every 250 ms: progress of many chunks arrives as a few frames.
      const pending = new Map<string, KbJob>();
      let timer: NodeJS.Timeout | null = null;
      const off = store.onChange((job) => {
        if (tenant && job.tenant !== tenant) return;
        pending.set(job.id, { ...job });
        timer ??= setTimeout(() => {
          timer = null;
          const jobs = [...pending.values()];
          pending.clear();
          send({ jobs });
        }, 250);
      });
      return () => {
        off();
        if (timer) clearTimeout(timer);
      };
    },
  },
};

async function main(): Promise<void> {
  const resumed = await store.load();
  for (const job of resumed) {
    if (job.attempts + 1 >= MAX_ATTEMPTS) {
      await store.update(job, {
        phase: 'error',
        error: {
          code: 'interrupted',
          message: `Stopped ${job.attempts + 1} times before it finished; re-index the document.`,
        },
      });
      if (job.documentId)
        await access(job.tenant)
          .then((t) =>
            db.withDb(t, (c) =>
              db.setStatus(c, job.documentId!, 'error', { error: 'interrupted: re-index the document' }),
            ),
          )
          .catch(() => undefined);
      continue;
    }
    await store.update(job, { phase: 'queued', attempts: job.attempts + 1 });
    queue.push(job);
  }
  const server = await serveDoor(join(kbDir, 'run', 'kb.sock'), door, gid);
  process.stdout.write(`truffles-kb ${KB_VERSION} listening; ${resumed.length} job(s) resumed\n`);
  const stop = (): void => {
    queue.stop();
    server.close();
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`truffles-kb failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
