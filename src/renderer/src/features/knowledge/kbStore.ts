/**
 * The Knowledge screen's state: the tenant shown (from the address `#/knowledge/<host>/<slug>`,
 * else the last one chosen), its documents, summary and jobs (`kb.list`, then kept live by the
 * `kb.progress` events a `kb.watch` brings, merged by job id; the documents are read again when a
 * job ends or registers a new document), the upload queue (files sent one after another in 1 MiB
 * parts, each cancellable while waiting, while sent and once queued on the host), one document's
 * chunks (paged), the test search and the bot's answer. Actions never throw: the list's and the
 * panels' errors are kept here, the others go to the console's error (scope `knowledge`).
 */
import { create } from 'zustand';
import type {
  AppEvent,
  ErrorInfo,
  KbAnswerView,
  KbJobView,
  KbList,
  KbSearchView,
} from '../../../../shared/contract';
import type { CommandOutput } from '../../../../shared/contract';
import { call, toErrorInfo } from '../../api';
import { useConsole } from '../../app/store';
import { busySetter } from '../../kit/busy';
import { coalesced } from '../../kit/coalesce';
import { busyRunner, eventSubscription } from '../../kit/listStore';
import { CHUNK_PAGE, mergeJobs, needsReload, sameTenant } from './kb';
import type { TenantRef } from './kb';
import { base64OfBytes, partRanges, refusalOf } from './upload';
import { watchJobs, type JobsWatch } from './kbWatch';
import { remember } from './remembered';
import type { Refusal, UploadSource } from './upload';

export type UploadState = 'refused' | 'waiting' | 'sending' | 'closing' | 'queued' | 'failed' | 'cancelled';

/** One file of the upload queue. Its bytes (the File) are kept outside the state. */
export interface UploadItem {
  key: string;
  host: string;
  slug: string;
  name: string;
  size: number;
  /** Bytes the host has received. */
  sent: number;
  state: UploadState;
  refusal: Refusal | null;
  error: ErrorInfo | null;
  /** The upload's id while it is open on the core. */
  uploadId: string | null;
  /** The host's job, once the file is queued there. */
  jobId: string | null;
}

export type ChunkPage = CommandOutput<'kb.chunks'>;

/** The chunks dialog: a document and one page of its chunks. */
export interface ChunksView {
  documentId: string;
  filename: string;
  offset: number;
  page: ChunkPage | null;
  error: ErrorInfo | null;
}

export interface PanelResult<T> {
  /** What was asked (the query or the question). */
  asked: string;
  value: T | null;
  error: ErrorInfo | null;
}

export interface KnowledgeState {
  tenant: TenantRef | null;
  list: KbList | null;
  listAt: string | null;
  listError: ErrorInfo | null;
  jobs: KbJobView[];
  /** Why the live progress could not be followed (null while it is, or not tried). */
  watchError: ErrorInfo | null;
  uploads: UploadItem[];
  chunks: ChunksView | null;
  search: PanelResult<KbSearchView> | null;
  answer: PanelResult<KbAnswerView> | null;
  /** 'list', 'chunks', 'search', 'ask', 'delete:<id>', 'reindex:<id|all>', 'cancel:<job>', 'upload:<key>'. */
  busy: Record<string, boolean>;

  /** Show this tenant's base (its data is read; the last one is remembered). */
  selectTenant(t: TenantRef | null): void;
  load(opts?: { quiet?: boolean }): Promise<void>;
  /** Follow this tenant's jobs (`kb.watch`) until the returned function is called (`kb.unwatch`). */
  watch(t: TenantRef): () => void;
  /** Queue files to upload to the current tenant; refused ones are listed with the reason. */
  addFiles(files: readonly UploadSource[]): void;
  cancelUpload(key: string): Promise<void>;
  retryUpload(key: string): void;
  /** Drop the finished, refused, failed and cancelled files from the queue. */
  clearUploads(): void;
  cancelJob(jobId: string): Promise<void>;
  deleteDocument(documentId: string, filename: string): Promise<boolean>;
  /** Re-index one document, or all when no id. */
  reindex(documentId?: string): Promise<boolean>;
  openChunks(documentId: string, filename: string): Promise<void>;
  loadChunks(offset: number): Promise<void>;
  closeChunks(): void;
  runSearch(query: string, topK?: number): Promise<void>;
  ask(question: string): Promise<void>;
}

// ---------- the store ----------

const events = eventSubscription();
const listLoad = coalesced();
/** The files of the queue by item key (kept out of the state: a File is not data). */
const sources = new Map<string, UploadSource>();
let pumping = false;
let uploadSeq = 1;
/** The watch running now (kbWatch.ts): made again when the core ended it. */
let watching: JobsWatch | null = null;

const noop = (): void => {};
const FINISHED: readonly UploadState[] = ['refused', 'queued', 'failed', 'cancelled'];

/** What the store holds before a tenant is shown (and again after a test resets it). */
const EMPTY = {
  tenant: null,
  list: null,
  listAt: null,
  listError: null,
  jobs: [],
  watchError: null,
  uploads: [],
  chunks: null,
  search: null,
  answer: null,
  busy: {},
} satisfies Partial<KnowledgeState>;

export const useKnowledge = create<KnowledgeState>()((set, get) => {
  const setBusy = busySetter(set);
  const act = busyRunner(() => get().busy, setBusy);
  const showError = (err: unknown): void => useConsole.getState().showError('knowledge', err);

  function patchUpload(key: string, patch: Partial<UploadItem>): void {
    set((s) => ({ uploads: s.uploads.map((u) => (u.key === key ? { ...u, ...patch } : u)) }));
  }
  const item = (key: string): UploadItem | undefined => get().uploads.find((u) => u.key === key);
  const cancelled = (key: string): boolean => item(key)?.state === 'cancelled';

  /** Jobs the core answered with (an upload closed, a re-index, a cancel): shown at once. */
  function takeJobs(t: TenantRef, jobs: readonly KbJobView[]): void {
    if (!sameTenant(get().tenant, t)) return;
    const before = get().jobs;
    const ids = new Set(get().list?.documents.map((d) => d.id) ?? []);
    const reload = needsReload(before, jobs, ids);
    set({ jobs: mergeJobs(before, jobs) });
    if (reload) void get().load({ quiet: true });
  }

  function onEvent(e: AppEvent): void {
    if (e.type === 'events.dropped') {
      if (get().tenant) void get().load({ quiet: true });
      return;
    }
    if (e.type !== 'kb.progress') return;
    const t = get().tenant;
    if (!t || e.host !== t.host || e.tenant !== t.slug) return;
    if (e.error) {
      // The core gave the watch up (its worker unreachable for a minute): say so, and try again.
      set({ watchError: e.error });
      if (watching && sameTenant(watching.tenant, t)) watching.again();
      return;
    }
    const before = get().jobs;
    const list = get().list;
    const reload = list !== null && needsReload(before, e.jobs, new Set(list.documents.map((d) => d.id)));
    const jobs = mergeJobs(before, e.jobs);
    if (jobs !== before) set({ jobs });
    if (reload) void get().load({ quiet: true });
  }

  async function send(key: string): Promise<void> {
    const u = item(key);
    const src = sources.get(key);
    if (!u || !src) return;
    const t = { host: u.host, slug: u.slug };
    patchUpload(key, { state: 'sending', sent: 0, error: null, uploadId: null });
    let id: string | null = null;
    const abort = (): Promise<unknown> =>
      id ? call('kb.uploadAbort', { id }).catch(noop) : Promise.resolve();
    try {
      const opened = await call('kb.uploadOpen', {
        slug: u.slug,
        host: u.host,
        filename: u.name,
        sizeBytes: u.size,
      });
      id = opened.id;
      patchUpload(key, { uploadId: id });
      for (const [a, b] of partRanges(u.size)) {
        if (cancelled(key)) return void (await abort());
        const data = base64OfBytes(await src.slice(a, b).arrayBuffer());
        if (cancelled(key)) return void (await abort());
        const r = await call('kb.uploadPart', { id, offset: a, data });
        patchUpload(key, { sent: r.received });
      }
      if (cancelled(key)) return void (await abort());
      patchUpload(key, { state: 'closing' });
      const job = await call('kb.uploadClose', { id });
      sources.delete(key);
      if (cancelled(key)) {
        // Cancelled while the host queued it: cancel the job too.
        patchUpload(key, { jobId: job.id, uploadId: null });
        const stopped = await call('kb.cancel', { slug: t.slug, host: t.host, job: job.id }).catch(() => job);
        takeJobs(t, [stopped]);
        return;
      }
      patchUpload(key, { state: 'queued', jobId: job.id, uploadId: null, sent: u.size });
      takeJobs(t, [job]);
    } catch (err) {
      if (cancelled(key)) return;
      await abort();
      patchUpload(key, { state: 'failed', error: toErrorInfo(err), uploadId: null });
    }
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        const next = get().uploads.find((u) => u.state === 'waiting');
        if (!next) break;
        setBusy(`upload:${next.key}`, true);
        try {
          await send(next.key);
        } finally {
          setBusy(`upload:${next.key}`, false);
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    ...EMPTY,

    selectTenant(t) {
      if (sameTenant(get().tenant, t)) return;
      set({
        tenant: t,
        list: null,
        listAt: null,
        listError: null,
        jobs: [],
        watchError: null,
        chunks: null,
        search: null,
        answer: null,
      });
      if (!t) return;
      remember(t);
      void get().load();
    },

    load(opts) {
      events.ensure(onEvent);
      if (!get().tenant) return Promise.resolve();
      return listLoad.run(
        async () => {
          // Read at each run: a switch while a read runs makes the next run read the new tenant.
          const t = get().tenant;
          if (!t) return;
          try {
            const list = await call('kb.list', { slug: t.slug, host: t.host });
            if (!sameTenant(get().tenant, t)) return;
            set((s) => ({
              list,
              listAt: new Date().toISOString(),
              listError: null,
              jobs: mergeJobs(s.jobs, list.jobs),
            }));
          } catch (err) {
            if (!sameTenant(get().tenant, t)) return;
            // A background read that fails keeps what is shown, and says why.
            set({ listError: toErrorInfo(err) });
            if (opts?.quiet && get().list) return;
            throw err;
          }
        },
        { busy: (on) => setBusy('list', on), fail: noop },
      );
    },

    watch(t) {
      events.ensure(onEvent);
      const w = watchJobs(t, {
        status: (error) => {
          if (sameTenant(get().tenant, t)) set({ watchError: error });
        },
        reload: () => void get().load({ quiet: true }),
      });
      watching = w;
      return () => {
        w.stop();
        if (watching === w) watching = null;
      };
    },

    addFiles(files) {
      const t = get().tenant;
      if (!t || files.length === 0) return;
      const added: UploadItem[] = files.map((f) => {
        const key = `u${uploadSeq++}`;
        const refusal = refusalOf(f);
        if (!refusal) sources.set(key, f);
        return {
          key,
          host: t.host,
          slug: t.slug,
          name: f.name,
          size: f.size,
          sent: 0,
          state: refusal ? 'refused' : 'waiting',
          refusal,
          error: null,
          uploadId: null,
          jobId: null,
        };
      });
      set((s) => ({ uploads: [...s.uploads, ...added] }));
      void pump();
    },

    async cancelUpload(key) {
      const u = item(key);
      if (!u) return;
      if (u.state === 'waiting' || u.state === 'sending' || u.state === 'closing') {
        patchUpload(key, { state: 'cancelled' });
        sources.delete(key);
        if (u.uploadId) await call('kb.uploadAbort', { id: u.uploadId }).catch(noop);
        return;
      }
      if (u.state === 'queued' && u.jobId) await get().cancelJob(u.jobId);
    },

    retryUpload(key) {
      const u = item(key);
      if (!u || u.state !== 'failed' || !sources.has(key)) return;
      patchUpload(key, { state: 'waiting', sent: 0, error: null });
      void pump();
    },

    clearUploads() {
      for (const u of get().uploads) if (FINISHED.includes(u.state)) sources.delete(u.key);
      set((s) => ({ uploads: s.uploads.filter((u) => !FINISHED.includes(u.state)) }));
    },

    cancelJob(jobId) {
      const t = get().tenant;
      if (!t) return Promise.resolve();
      return act(`cancel:${jobId}`, undefined, {
        run: async () => {
          const job = await call('kb.cancel', { slug: t.slug, host: t.host, job: jobId });
          takeJobs(t, [job]);
        },
        fail: showError,
      });
    },

    deleteDocument(documentId, filename) {
      const t = get().tenant;
      if (!t) return Promise.resolve(false);
      return act(`delete:${documentId}`, false, {
        clearsError: true,
        run: async () => {
          await call('kb.delete', { slug: t.slug, host: t.host, document: documentId });
          if (sameTenant(get().tenant, t)) {
            set((s) => ({
              list: s.list
                ? { ...s.list, documents: s.list.documents.filter((d) => d.id !== documentId) }
                : null,
            }));
            if (get().chunks?.documentId === documentId) set({ chunks: null });
          }
          useConsole.getState().pushToast('success', 'toast.kbDeleted', { name: filename });
          void get().load({ quiet: true });
          return true;
        },
        fail: (err) => {
          showError(err);
          return false;
        },
      });
    },

    reindex(documentId) {
      const t = get().tenant;
      if (!t) return Promise.resolve(false);
      return act(`reindex:${documentId ?? 'all'}`, false, {
        clearsError: true,
        run: async () => {
          const jobs = await call('kb.reindex', {
            slug: t.slug,
            host: t.host,
            ...(documentId ? { document: documentId } : {}),
          });
          takeJobs(t, jobs);
          useConsole.getState().pushToast('info', 'toast.kbReindex', { count: String(jobs.length) });
          void get().load({ quiet: true });
          return true;
        },
        fail: (err) => {
          showError(err);
          return false;
        },
      });
    },

    async openChunks(documentId, filename) {
      set({ chunks: { documentId, filename, offset: 0, page: null, error: null } });
      await get().loadChunks(0);
    },

    loadChunks(offset) {
      const t = get().tenant;
      const c = get().chunks;
      if (!t || !c) return Promise.resolve();
      const { documentId } = c;
      set({ chunks: { ...c, offset, page: offset === c.offset ? c.page : null, error: null } });
      return act('chunks', undefined, {
        run: async () => {
          const page = await call('kb.chunks', {
            slug: t.slug,
            host: t.host,
            document: documentId,
            offset,
            limit: CHUNK_PAGE,
          });
          const now = get().chunks;
          if (now?.documentId === documentId && now.offset === offset) set({ chunks: { ...now, page } });
        },
        fail: (err) => {
          const now = get().chunks;
          if (now?.documentId === documentId) set({ chunks: { ...now, error: toErrorInfo(err) } });
        },
      });
    },

    closeChunks() {
      set({ chunks: null });
    },

    runSearch(query, topK) {
      const t = get().tenant;
      const q = query.trim();
      if (!t || !q) return Promise.resolve();
      return act('search', undefined, {
        run: async () => {
          const value = await call('kb.search', {
            slug: t.slug,
            host: t.host,
            query: q,
            ...(topK ? { topK } : {}),
          });
          if (sameTenant(get().tenant, t)) set({ search: { asked: q, value, error: null } });
        },
        fail: (err) => {
          if (sameTenant(get().tenant, t))
            set({ search: { asked: q, value: null, error: toErrorInfo(err) } });
        },
      });
    },

    ask(question) {
      const t = get().tenant;
      const q = question.trim();
      if (!t || !q) return Promise.resolve();
      return act('ask', undefined, {
        run: async () => {
          const value = await call('kb.ask', { slug: t.slug, host: t.host, question: q });
          if (sameTenant(get().tenant, t)) set({ answer: { asked: q, value, error: null } });
        },
        fail: (err) => {
          if (sameTenant(get().tenant, t))
            set({ answer: { asked: q, value: null, error: toErrorInfo(err) } });
        },
      });
    },
  };
});

/** For tests: forget the subscription, the queue's files and a read in flight. */
export function resetKnowledgeStore(): void {
  events.reset();
  listLoad.reset();
  sources.clear();
  pumping = false;
  useKnowledge.setState({ ...EMPTY });
}
