import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  kbEnvDigest,
  kbIncoming,
  kbProgramName,
  kbRunCommand,
  kbSocket,
} from '../../src/main/core/kb/commands';
import { docTypeOf } from '../../src/main/core/kb/uploads';
import { JobStore } from '../../src/kbworker/jobs';
import { Queue } from '../../src/kbworker/queue';
import type { KbJob } from '../../src/shared/kb/protocol';

function job(over: Partial<KbJob> = {}): KbJob {
  const now = new Date().toISOString();
  return {
    id: `j-${Math.random().toString(36).slice(2)}`,
    tenant: 'acme',
    kind: 'ingest',
    filename: 'a.md',
    type: null,
    sizeBytes: 10,
    sha256: 'a'.repeat(64),
    uploadedBy: 'op@laptop',
    createdAt: now,
    updatedAt: now,
    phase: 'queued',
    done: 0,
    total: 0,
    documentId: null,
    chunkCount: null,
    pages: null,
    encoding: null,
    duplicateOf: null,
    embeddingCalls: 0,
    retries: 0,
    attempts: 0,
    warnings: [],
    error: null,
    ...over,
  };
}

describe('kb: host paths and the worker container', () => {
  it('places the worker under the state folder and runs it apart from the agent, with its own limits', () => {
    expect(kbSocket('/opt/truffles')).toBe('/opt/truffles/kb/run/kb.sock');
    expect(kbIncoming('/opt/truffles', 'acme')).toBe('/opt/truffles/kb/tenants/acme/incoming');
    expect(kbProgramName('1.0.0', 'abcdef0123456789')).toBe('truffles-kb-1.0.0-abcdef012345.mjs');
    const argv = kbRunCommand({
      image: 'n8n:1',
      version: '1.0.0',
      sha256: 'f'.repeat(64),
      stateDir: '/opt/truffles',
      dockerSocket: '/var/run/docker.sock',
      socketGid: 998,
      user: '1001:1001',
      program: 'truffles-kb-1.0.0-ffffffffffff.mjs',
      env: { TRUFFLES_KB_BATCH: '16' },
    });
    const pairs = (flag: string): string[] => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));
    expect(pairs('--name')).toEqual(['truffles-kb']);
    expect(pairs('--restart')).toEqual(['unless-stopped']);
    expect(pairs('--memory')).toEqual(['768m']);
    expect(argv).toContain('--read-only');
    expect(pairs('--volume')).toEqual([
      '/var/run/docker.sock:/var/run/docker.sock',
      '/opt/truffles/kb:/kb',
      '/opt/truffles/tenants:/tenants:ro',
    ]);
    expect(pairs('--user')).toEqual(['1001:1001']);
    expect(pairs('--group-add')).toEqual(['998']);
    expect(pairs('--env')).toContain('TRUFFLES_KB_BATCH=16');
    // Its settings are labelled, so a console that runs it with others replaces it (not by order of keys).
    expect(pairs('--label')).toContain(`org.truffles.kb.env=${kbEnvDigest({ TRUFFLES_KB_BATCH: '16' })}`);
    expect(kbEnvDigest({ A: '1', B: '2' })).toBe(kbEnvDigest({ B: '2', A: '1' }));
    expect(kbEnvDigest({ A: '1' })).not.toBe(kbEnvDigest({ A: '2' }));
    expect(kbEnvDigest(undefined)).toBe('-');
    expect(kbEnvDigest({})).toBe('-');
    expect(argv.slice(-3)).toEqual([
      'n8n:1',
      '--max-old-space-size=512',
      '/kb/program/truffles-kb-1.0.0-ffffffffffff.mjs',
    ]);
  });

  it('knows the document types by extension', () => {
    expect(docTypeOf('Прайс.PDF')).toBe('pdf');
    expect(docTypeOf('a.markdown')).toBe('md');
    expect(docTypeOf('notes.txt')).toBe('txt');
    expect(docTypeOf('table.xlsx')).toBeNull();
    expect(docTypeOf('noext')).toBeNull();
  });
});

describe('kb worker: jobs on disk and the queue', () => {
  it('brings unfinished jobs back after a restart, and keeps finished ones as they were', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kbjobs-'));
    try {
      const a = new JobStore(dir);
      const running = job({ phase: 'embedding', done: 3, total: 10 });
      const finished = job({ phase: 'done' });
      await a.add(running);
      await a.add(finished);
      await a.update(running, { phase: 'indexing' });
      const file = JSON.parse(
        readFileSync(join(dir, 'tenants', 'acme', 'jobs', `${running.id}.json`), 'utf8'),
      ) as KbJob;
      expect(file.phase).toBe('indexing');

      const b = new JobStore(dir);
      const resumed = await b.load();
      expect(resumed.map((j) => j.id)).toEqual([running.id]);
      expect(b.get(finished.id)?.phase).toBe('done');
      expect(b.list('acme')).toHaveLength(2);
      expect(b.list('other')).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs at most its concurrency, one job per document at a time, and cancels queued and running jobs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kbq-'));
    // The jobs' own writes on abort, awaited before the folder goes (a slow machine is still
    // writing when the assertions are done).
    const writes: Promise<unknown>[] = [];
    try {
      const store = new JobStore(dir);
      const started: string[] = [];
      const release = new Map<string, () => void>();
      const queue = new Queue(
        store,
        (j, signal) =>
          new Promise<void>((resolve) => {
            started.push(j.id);
            release.set(j.id, resolve);
            signal.addEventListener('abort', () => {
              writes.push(store.update(j, { phase: 'cancelled' }).then(() => resolve()));
            });
          }),
        2,
      );
      const j1 = job({ documentId: 'd1' });
      const j2 = job({ documentId: 'd1' });
      const j3 = job({ documentId: 'd2' });
      const j4 = job();
      for (const j of [j1, j2, j3, j4]) {
        await store.add(j);
        queue.push(j);
      }
      // j2 waits for j1 (same document); j3 runs beside j1.
      expect(started).toEqual([j1.id, j3.id]);
      expect(queue.counts).toEqual({ running: 2, queued: 2 });
      expect(await queue.cancel(j4.id)).toBe(true);
      expect(store.get(j4.id)?.phase).toBe('cancelled');
      release.get(j1.id)!();
      await expect.poll(() => started).toEqual([j1.id, j3.id, j2.id]);
      expect(await queue.cancel(j3.id)).toBe(true);
      await expect.poll(() => store.get(j3.id)?.phase).toBe('cancelled');
      expect(await queue.cancel('nope')).toBe(false);
      release.get(j2.id)!();
      await expect.poll(() => queue.counts).toEqual({ running: 0, queued: 0 });
    } finally {
      await Promise.allSettled(writes);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
