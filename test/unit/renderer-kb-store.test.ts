import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEvent, KbJobView } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import type { ConnectedApi, ConnectionState } from '../../src/renderer/src/api';
import { useConsole } from '../../src/renderer/src/app/store';
import { resetKnowledgeStore, useKnowledge } from '../../src/renderer/src/features/knowledge/kbStore';
import type { UploadSource } from '../../src/renderer/src/features/knowledge/upload';
import { fakeApi, fail, ok } from '../helpers/fakeApi';
import type { Answer } from '../helpers/fakeApi';
import { DOC_A, DOC_B, doc, job, kbList } from '../helpers/kb-views';

const MiB = 1024 * 1024;
const T = { host: 'h1', slug: 'acme' };
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

/** A file of `size` bytes (each byte its offset mod 251), as the upload reads it. */
function file(name: string, size: number): UploadSource & { bytes: Uint8Array } {
  const bytes = Uint8Array.from({ length: size }, (_, i) => i % 251);
  return {
    name,
    size,
    bytes,
    slice: (a, b) => ({ arrayBuffer: () => Promise.resolve(bytes.slice(a, b).buffer) }),
  };
}

function progress(
  jobs: KbJobView[],
  over: Partial<Extract<AppEvent, { type: 'kb.progress' }>> = {},
): AppEvent {
  return { type: 'kb.progress', host: 'h1', tenant: 'acme', jobs, ...over };
}

/** A fake core for one tenant's base; `answers` replace or add commands. */
function core(answers: Parameters<typeof fakeApi>[0] = {}) {
  let uploads = 0;
  const f = fakeApi({
    'kb.list': () => ok(kbList()),
    'kb.watch': () => ok({ watchId: 'kbw-1' }),
    'kb.unwatch': () => ok({ removed: true }),
    'kb.uploadOpen': () => ok({ id: `up-${++uploads}`, host: 'h1' }),
    'kb.uploadPart': (input) => {
      const i = input as { offset: number; data: string };
      return ok({ received: i.offset + Buffer.from(i.data, 'base64').length });
    },
    'kb.uploadClose': (input) =>
      ok(job({ id: `job-${(input as { id: string }).id}`, createdAt: new Date().toISOString() })),
    'kb.uploadAbort': () => ok({ aborted: true }),
    ...answers,
  });
  setApi(f.api);
  return f;
}

const names = (f: ReturnType<typeof fakeApi>): string[] => f.calls.map((c) => c.name);

describe('knowledge store', () => {
  beforeEach(() => {
    resetKnowledgeStore();
    useConsole.setState({ error: null, toasts: [] });
  });
  afterEach(() => setApi(null));

  it('reads the chosen tenant’s base; switching resets what belonged to the other', async () => {
    const f = core({
      'kb.list': (input) => {
        const slug = (input as { slug: string }).slug;
        return ok(slug === 'acme' ? kbList([doc()], [job({ id: 'j-acme' })]) : kbList([], []));
      },
    });
    useKnowledge.getState().selectTenant(T);
    await flush();
    expect(f.calls.filter((c) => c.name === 'kb.list').map((c) => c.input)).toEqual([
      { slug: 'acme', host: 'h1' },
    ]);
    expect(useKnowledge.getState().list?.documents.map((d) => d.id)).toEqual([DOC_A]);
    expect(useKnowledge.getState().jobs.map((j) => j.id)).toEqual(['j-acme']);

    useKnowledge.getState().selectTenant({ host: 'h2', slug: 'beta' });
    expect(useKnowledge.getState().list).toBeNull();
    expect(useKnowledge.getState().jobs).toEqual([]);
    await flush();
    expect(useKnowledge.getState().list?.documents).toEqual([]);
    expect(useKnowledge.getState().tenant).toEqual({ host: 'h2', slug: 'beta' });
  });

  it('a failed first read is kept as the list’s error', async () => {
    core({ 'kb.list': () => fail('kb.unreachable', 'The worker does not answer.', 'Install it.') });
    useKnowledge.getState().selectTenant(T);
    await flush();
    expect(useKnowledge.getState().list).toBeNull();
    expect(useKnowledge.getState().listError).toMatchObject({ code: 'kb.unreachable', hint: 'Install it.' });
  });

  it('merges kb.progress of its tenant by job id, in order; a job ending reads the documents again', async () => {
    const running = job({
      id: 'a',
      phase: 'embedding',
      done: 10,
      total: 340,
      documentId: DOC_A,
      updatedAt: '2026-12-06T10:01:00Z',
    });
    const f = core({ 'kb.list': () => ok(kbList([doc({ status: 'processing' })], [running])) });
    useKnowledge.getState().selectTenant(T);
    await flush();
    const lists = (): number => f.calls.filter((c) => c.name === 'kb.list').length;
    expect(lists()).toBe(1);

    f.emit(progress([{ ...running, done: 120, updatedAt: '2026-12-06T10:02:00Z' }]));
    f.emit(progress([{ ...running, done: 60, updatedAt: '2026-12-06T10:01:30Z' }])); // late: ignored
    f.emit(progress([{ ...running, done: 999 }], { tenant: 'other' })); // another tenant's
    f.emit(progress([{ ...running, done: 999 }], { host: 'h2' })); // another host's
    await flush();
    expect(useKnowledge.getState().jobs.find((j) => j.id === 'a')).toMatchObject({
      phase: 'embedding',
      done: 120,
    });
    expect(lists()).toBe(1);

    const b = job({ id: 'b', createdAt: '2026-12-06T11:00:00Z', updatedAt: '2026-12-06T11:00:00Z' });
    f.emit(progress([b]));
    await flush();
    expect(useKnowledge.getState().jobs.map((j) => j.id)).toEqual(['b', 'a']);
    expect(lists()).toBe(1);

    f.emit(
      progress([{ ...running, phase: 'done', done: 340, total: 340, updatedAt: '2026-12-06T10:05:00Z' }]),
    );
    await flush();
    expect(useKnowledge.getState().jobs.find((j) => j.id === 'a')?.phase).toBe('done');
    expect(lists()).toBe(2);

    f.emit({ type: 'events.dropped', count: 3 });
    await flush();
    expect(lists()).toBe(3);
  });

  it('watches the tenant and unwatches it; a stop before the watch answers still unwatches', async () => {
    let release: (v: ReturnType<typeof ok>) => void = () => {};
    const f = core({
      'kb.watch': () => new Promise((r) => (release = r)),
    });
    const stop = useKnowledge.getState().watch(T);
    expect(f.calls.find((c) => c.name === 'kb.watch')?.input).toEqual({ slug: 'acme', host: 'h1' });
    stop();
    release(ok({ watchId: 'kbw-late' }));
    await flush();
    expect(f.calls.filter((c) => c.name === 'kb.unwatch').map((c) => c.input)).toEqual([
      { watchId: 'kbw-late' },
    ]);

    const g = core();
    const stop2 = useKnowledge.getState().watch(T);
    await flush();
    expect(g.calls.filter((c) => c.name === 'kb.unwatch')).toEqual([]);
    stop2();
    stop2();
    await flush();
    expect(g.calls.filter((c) => c.name === 'kb.unwatch').map((c) => c.input)).toEqual([
      { watchId: 'kbw-1' },
    ]);
  });

  it('in browser mode, watches again and reads the list again after the socket came back', async () => {
    const f = core();
    const conn = new Set<(s: ConnectionState) => void>();
    const api: ConnectedApi = {
      ...f.api,
      connectionState: 'open',
      onConnection: (l) => {
        conn.add(l);
        return () => conn.delete(l);
      },
    };
    setApi(api);
    useKnowledge.getState().selectTenant(T);
    const stop = useKnowledge.getState().watch(T);
    await flush();
    const count = (n: string): number => f.calls.filter((c) => c.name === n).length;
    expect([count('kb.watch'), count('kb.list')]).toEqual([1, 1]);
    conn.forEach((l) => l('closed'));
    conn.forEach((l) => l('open'));
    await flush();
    expect([count('kb.watch'), count('kb.list')]).toEqual([2, 2]);
    stop();
    expect(conn.size).toBe(0);
  });

  it('a watch the core ended (its worker unreachable) is shown, and made again 10 s later', async () => {
    vi.useFakeTimers();
    try {
      const f = core();
      useKnowledge.getState().selectTenant(T);
      const stop = useKnowledge.getState().watch(T);
      await vi.advanceTimersByTimeAsync(0);
      const count = (): number => f.calls.filter((c) => c.name === 'kb.watch').length;
      expect(count()).toBe(1);
      const error = { code: 'kb.unreachable', message: 'socket gone', hint: 'h' };
      f.emit(progress([], { tenant: 'other', error })); // another tenant's: not this watch
      expect(useKnowledge.getState().watchError).toBeNull();
      f.emit(progress([], { error }));
      expect(useKnowledge.getState().watchError?.message).toBe('socket gone');
      f.emit(progress([], { error })); // twice: still one new watch
      await vi.advanceTimersByTimeAsync(9_000);
      expect(count()).toBe(1);
      await vi.advanceTimersByTimeAsync(1_500);
      expect(count()).toBe(2);
      expect(useKnowledge.getState().watchError).toBeNull();
      // Stopped while waiting to watch again: no new watch.
      f.emit(progress([], { error }));
      stop();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(count()).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('uploads a file in 1 MiB base64 parts at their offsets, then closes it and shows its job', async () => {
    const f = core();
    useKnowledge.getState().selectTenant(T);
    await flush();
    const src = file('prices.pdf', 2 * MiB + 5000);
    useKnowledge.getState().addFiles([src]);
    await flush();
    const parts = f.calls
      .filter((c) => c.name === 'kb.uploadPart')
      .map((c) => c.input as { id: string; offset: number; data: string });
    expect(f.calls.find((c) => c.name === 'kb.uploadOpen')?.input).toEqual({
      slug: 'acme',
      host: 'h1',
      filename: 'prices.pdf',
      sizeBytes: 2 * MiB + 5000,
    });
    expect(parts.map((p) => p.offset)).toEqual([0, MiB, 2 * MiB]);
    expect(parts.every((p) => p.id === 'up-1')).toBe(true);
    const sent = Buffer.concat(parts.map((p) => Buffer.from(p.data, 'base64')));
    expect(sent.equals(Buffer.from(src.bytes))).toBe(true);
    expect(f.calls.find((c) => c.name === 'kb.uploadClose')?.input).toEqual({ id: 'up-1' });
    const [u] = useKnowledge.getState().uploads;
    expect(u).toMatchObject({ state: 'queued', jobId: 'job-up-1', sent: 2 * MiB + 5000 });
    expect(useKnowledge.getState().jobs.map((j) => j.id)).toContain('job-up-1');
  });

  it('sends files one after another and refuses the wrong ones without calling the core', async () => {
    const f = core();
    useKnowledge.getState().selectTenant(T);
    await flush();
    useKnowledge.getState().addFiles([
      file('a.md', 10),
      file('setup.exe', 10),
      {
        name: 'huge.pdf',
        size: 60 * MiB,
        slice: () => ({ arrayBuffer: () => Promise.reject(new Error('read')) }),
      },
      file('b.txt', 20),
    ]);
    await flush();
    const uploads = useKnowledge.getState().uploads;
    expect(uploads.map((u) => [u.name, u.state, u.refusal?.code ?? null])).toEqual(
      [
        ['a.md', 'queued', null],
        ['setup.exe', 'refused', null],
        ['huge.pdf', 'refused', null],
        ['b.txt', 'queued', null],
      ].map(([n, s]) => [n, s, n === 'setup.exe' ? 'type' : n === 'huge.pdf' ? 'too-large' : null]),
    );
    const flow = names(f).filter((n) => n.startsWith('kb.upload'));
    expect(flow).toEqual([
      'kb.uploadOpen',
      'kb.uploadPart',
      'kb.uploadClose',
      'kb.uploadOpen',
      'kb.uploadPart',
      'kb.uploadClose',
    ]);
    expect(
      f.calls
        .filter((c) => c.name === 'kb.uploadOpen')
        .map((c) => (c.input as { filename: string }).filename),
    ).toEqual(['a.md', 'b.txt']);

    useKnowledge.getState().clearUploads();
    expect(useKnowledge.getState().uploads).toEqual([]);
  });

  it('cancels a file while it is sent (abort, no close) and once queued (kb.cancel)', async () => {
    let releasePart: () => void = () => {};
    const f = core({
      'kb.uploadPart': ((input: unknown) => {
        const i = input as { offset: number; data: string };
        return new Promise((r) => {
          releasePart = () => r(ok({ received: i.offset + Buffer.from(i.data, 'base64').length }));
        });
      }) as Answer,
      'kb.cancel': (input) =>
        ok(
          job({ id: (input as { job: string }).job, phase: 'cancelled', updatedAt: '2030-01-01T00:00:00Z' }),
        ),
    });
    useKnowledge.getState().selectTenant(T);
    await flush();
    useKnowledge.getState().addFiles([file('big.pdf', 3 * MiB), file('small.md', 5)]);
    await flush();
    const key = useKnowledge.getState().uploads[0]?.key ?? '';
    expect(useKnowledge.getState().uploads[0]?.state).toBe('sending');
    await useKnowledge.getState().cancelUpload(key);
    expect(f.calls.filter((c) => c.name === 'kb.uploadAbort').map((c) => c.input)).toEqual([{ id: 'up-1' }]);
    releasePart();
    await flush();
    // The next file goes on; the cancelled one never closes.
    releasePart();
    await flush();
    const closes = f.calls.filter((c) => c.name === 'kb.uploadClose').map((c) => c.input);
    expect(closes).toEqual([{ id: 'up-2' }]);
    expect(
      f.calls.filter((c) => c.name === 'kb.uploadPart' && (c.input as { id: string }).id === 'up-1'),
    ).toHaveLength(1);
    const [big, small] = useKnowledge.getState().uploads;
    expect(big?.state).toBe('cancelled');
    expect(small).toMatchObject({ state: 'queued', jobId: 'job-up-2' });

    await useKnowledge.getState().cancelUpload(small?.key ?? '');
    expect(f.calls.filter((c) => c.name === 'kb.cancel').map((c) => c.input)).toEqual([
      { slug: 'acme', host: 'h1', job: 'job-up-2' },
    ]);
    expect(useKnowledge.getState().jobs.find((j) => j.id === 'job-up-2')?.phase).toBe('cancelled');
  });

  it('a failed upload says why, aborts, and can be tried again', async () => {
    let failOnce = true;
    const f = core({
      'kb.uploadClose': (input) => {
        if (failOnce) {
          failOnce = false;
          return fail('kb.upload-failed', 'Sending to the host failed.', 'Upload it again.');
        }
        return ok(job({ id: `job-${(input as { id: string }).id}` }));
      },
    });
    useKnowledge.getState().selectTenant(T);
    await flush();
    useKnowledge.getState().addFiles([file('a.md', 10)]);
    await flush();
    const [u] = useKnowledge.getState().uploads;
    expect(u).toMatchObject({ state: 'failed', error: { code: 'kb.upload-failed' } });
    expect(f.calls.filter((c) => c.name === 'kb.uploadAbort').map((c) => c.input)).toEqual([{ id: 'up-1' }]);
    useKnowledge.getState().retryUpload(u?.key ?? '');
    await flush();
    expect(useKnowledge.getState().uploads[0]).toMatchObject({
      state: 'queued',
      jobId: 'job-up-2',
      error: null,
    });
  });

  it('deletes a document (its row goes, the list is read again), re-indexes, and shows a failure', async () => {
    let docs = [doc(), doc({ id: DOC_B, filename: 'faq.md' })];
    const f = core({
      'kb.list': () => ok(kbList(docs)),
      'kb.delete': (input) => {
        const id = (input as { document: string }).document;
        docs = docs.filter((d) => d.id !== id);
        return ok({ document: id, chunks: 12, points: 12 });
      },
      'kb.reindex': () => ok([job({ id: 'r1', kind: 'reindex', documentId: DOC_A })]),
    });
    useKnowledge.getState().selectTenant(T);
    await flush();
    expect(await useKnowledge.getState().deleteDocument(DOC_B, 'faq.md')).toBe(true);
    expect(f.calls.find((c) => c.name === 'kb.delete')?.input).toEqual({
      slug: 'acme',
      host: 'h1',
      document: DOC_B,
    });
    await flush();
    expect(useKnowledge.getState().list?.documents.map((d) => d.id)).toEqual([DOC_A]);
    expect(useConsole.getState().toasts.map((t) => t.key)).toContain('toast.kbDeleted');

    expect(await useKnowledge.getState().reindex()).toBe(true);
    expect(f.calls.find((c) => c.name === 'kb.reindex')?.input).toEqual({ slug: 'acme', host: 'h1' });
    expect(useKnowledge.getState().jobs.map((j) => j.id)).toContain('r1');

    core({ 'kb.delete': () => fail('kb.not-found', 'No such document.') });
    expect(await useKnowledge.getState().deleteDocument(DOC_A, 'prices.pdf')).toBe(false);
    expect(useConsole.getState().error).toMatchObject({ scope: 'knowledge', code: 'kb.not-found' });
  });

  it('pages chunks 50 at a time; keeps search and ask results or their errors', async () => {
    const f = core({
      'kb.chunks': (input) => {
        const i = input as { offset: number; limit: number };
        return ok({
          document: doc(),
          total: 120,
          chunks: [
            {
              id: `c${i.offset}`,
              index: i.offset,
              content: 'x',
              tokenCount: 5,
              page: 1,
              pageEnd: 1,
              headings: [],
              indexed: true,
            },
          ],
        });
      },
      'kb.search': () => fail('kb.llm-unreachable', 'The embedding provider does not answer.'),
      'kb.ask': () =>
        ok({
          question: 'hi',
          reply: 'Hello',
          intent: 'greeting',
          model: null,
          escalated: false,
          sources: [],
          costUsd: null,
          calls: [],
          conversationId: null,
          tookMs: 12,
        }),
    });
    useKnowledge.getState().selectTenant(T);
    await flush();
    await useKnowledge.getState().openChunks(DOC_A, 'prices.pdf');
    await useKnowledge.getState().loadChunks(50);
    expect(f.calls.filter((c) => c.name === 'kb.chunks').map((c) => c.input)).toEqual([
      { slug: 'acme', host: 'h1', document: DOC_A, offset: 0, limit: 50 },
      { slug: 'acme', host: 'h1', document: DOC_A, offset: 50, limit: 50 },
    ]);
    expect(useKnowledge.getState().chunks).toMatchObject({ offset: 50, page: { total: 120 } });

    await useKnowledge.getState().runSearch('  delivery  ');
    expect(f.calls.find((c) => c.name === 'kb.search')?.input).toEqual({
      slug: 'acme',
      host: 'h1',
      query: 'delivery',
    });
    expect(useKnowledge.getState().search).toMatchObject({
      asked: 'delivery',
      value: null,
      error: { code: 'kb.llm-unreachable' },
    });

    await useKnowledge.getState().ask('hi');
    expect(useKnowledge.getState().answer?.value).toMatchObject({ reply: 'Hello', model: null });
    await useKnowledge.getState().ask('   ');
    expect(f.calls.filter((c) => c.name === 'kb.ask')).toHaveLength(1);
  });
});
