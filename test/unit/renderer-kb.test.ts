import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ERROR_CODES,
  activeJobFor,
  docStatusView,
  docTypeLabel,
  dollars,
  headingPath,
  jobPercent,
  jobTone,
  knowledgeHash,
  knowledgeTenantFromHash,
  mergeJobs,
  needsReload,
  pageSpan,
  preview,
  scorePercent,
  sortDocuments,
  splitError,
  tenantsFromAgents,
} from '../../src/renderer/src/features/knowledge/kb';
import {
  KB_ACCEPT,
  KB_MAX_FILE_BYTES,
  KB_PART_BYTES,
  base64OfBytes,
  extensionOf,
  partRanges,
  refusalOf,
  sentPercent,
} from '../../src/renderer/src/features/knowledge/upload';
import { en } from '../../src/renderer/src/i18n/en';
import { ru } from '../../src/renderer/src/i18n/ru';
import { initI18n, setLanguage } from '../../src/renderer/src/i18n';
import i18n from 'i18next';
import { DOC_A, DOC_B, doc, job } from '../helpers/kb-views';

const MiB = 1024 * 1024;

describe('knowledge upload: parts', () => {
  it('cuts a file into 1 MiB ranges that cover every byte once, in order', () => {
    expect(KB_PART_BYTES).toBe(MiB);
    expect(partRanges(0)).toEqual([]);
    expect(partRanges(1)).toEqual([[0, 1]]);
    expect(partRanges(2 * MiB)).toEqual([
      [0, MiB],
      [MiB, 2 * MiB],
    ]);
    const size = 2 * MiB + 12345;
    const ranges = partRanges(size);
    expect(ranges).toHaveLength(3);
    expect(ranges[2]).toEqual([2 * MiB, size]);
    let next = 0;
    for (const [a, b] of ranges) {
      expect(a).toBe(next);
      expect(b - a).toBeLessThanOrEqual(MiB);
      expect(b).toBeGreaterThan(a);
      next = b;
    }
    expect(next).toBe(size);
    expect(partRanges(10, 4)).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
    expect(() => partRanges(10, 0)).toThrow(RangeError);
  });

  it('base64 of binary data round-trips, also past 64 KiB and for a whole part', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 0xffff, 0x10000 + 7, 200 * 1024, MiB]) {
      const bytes = new Uint8Array(randomBytes(n));
      const b64 = base64OfBytes(bytes.buffer);
      expect(b64, `${n} bytes`).toBe(Buffer.from(bytes).toString('base64'));
      expect(Buffer.from(b64, 'base64').equals(Buffer.from(bytes)), `${n} bytes back`).toBe(true);
    }
    // Every byte value survives (no text decoding on the way).
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Buffer.from(base64OfBytes(all), 'base64')).toEqual(Buffer.from(all));
    // A view into a larger buffer encodes only its own bytes.
    const big = new Uint8Array(randomBytes(1000));
    expect(base64OfBytes(big.subarray(10, 20))).toBe(Buffer.from(big.subarray(10, 20)).toString('base64'));
  });

  it('a 3 MiB buffer does not overflow the stack (the characters are made in slices)', () => {
    const bytes = new Uint8Array(randomBytes(3 * MiB));
    expect(base64OfBytes(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });

  describe('without btoa', () => {
    afterEach(() => vi.unstubAllGlobals());
    it('encodes the same by hand', () => {
      vi.stubGlobal('btoa', undefined);
      for (const n of [0, 1, 2, 3, 100, 70_000]) {
        const bytes = new Uint8Array(randomBytes(n));
        expect(base64OfBytes(bytes), `${n} bytes`).toBe(Buffer.from(bytes).toString('base64'));
      }
    });
  });

  it('sent percent is bounded and whole', () => {
    expect(sentPercent(0, 100)).toBe(0);
    expect(sentPercent(50, 200)).toBe(25);
    expect(sentPercent(300, 200)).toBe(100);
    expect(sentPercent(1, 0)).toBe(0);
  });
});

describe('knowledge upload: what is refused before sending', () => {
  it('takes PDF, DOCX, TXT, MD and Markdown in any case', () => {
    expect(KB_ACCEPT).toBe('.pdf,.docx,.txt,.md,.markdown');
    for (const name of ['a.pdf', 'B.PDF', 'c.docx', 'notes.txt', 'readme.md', 'guide.Markdown', 'v1.2.pdf'])
      expect(refusalOf({ name, size: 10 }), name).toBeNull();
  });

  it('refuses other types, naming the extension', () => {
    expect(refusalOf({ name: 'setup.exe', size: 10 })).toEqual({ code: 'type', extension: 'exe' });
    expect(refusalOf({ name: 'old.doc', size: 10 })).toEqual({ code: 'type', extension: 'doc' });
    expect(refusalOf({ name: 'table.xlsx', size: 10 })).toEqual({ code: 'type', extension: 'xlsx' });
    expect(refusalOf({ name: 'README', size: 10 })).toEqual({ code: 'type', extension: '' });
    expect(refusalOf({ name: '.pdf', size: 10 })).toEqual({ code: 'type', extension: '' });
    expect(refusalOf({ name: 'a.pdf.zip', size: 10 })).toEqual({ code: 'type', extension: 'zip' });
  });

  it('refuses empty files and files over 50 MiB, not one of exactly 50 MiB', () => {
    expect(KB_MAX_FILE_BYTES).toBe(50 * MiB);
    expect(refusalOf({ name: 'a.pdf', size: 0 })).toEqual({ code: 'empty' });
    expect(refusalOf({ name: 'a.pdf', size: 50 * MiB })).toBeNull();
    expect(refusalOf({ name: 'a.pdf', size: 50 * MiB + 1 })).toEqual({
      code: 'too-large',
      sizeBytes: 50 * MiB + 1,
      maxBytes: 50 * MiB,
    });
  });

  it('refuses names the contract refuses', () => {
    expect(refusalOf({ name: 'a/b.pdf', size: 1 })).toEqual({ code: 'name' });
    expect(refusalOf({ name: `${'x'.repeat(252)}.pdf`, size: 1 })).toEqual({ code: 'name' });
    expect(refusalOf({ name: '', size: 1 })).toEqual({ code: 'name' });
  });

  it('reads extensions', () => {
    expect(extensionOf('Report.Final.DOCX')).toBe('docx');
    expect(extensionOf('noext')).toBe('');
    expect(extensionOf('trailing.')).toBe('');
  });
});

describe('knowledge: the address', () => {
  it('names a tenant as #/knowledge/<host>/<slug>, encoded, and back', () => {
    expect(knowledgeHash({ host: 'almaty 1', slug: 'acme' })).toBe('#/knowledge/almaty%201/acme');
    expect(knowledgeTenantFromHash('#/knowledge/almaty%201/acme')).toEqual({
      host: 'almaty 1',
      slug: 'acme',
    });
    expect(knowledgeTenantFromHash('#/knowledge')).toBeNull();
    expect(knowledgeTenantFromHash('#/backups/h1/acme')).toBeNull();
    expect(knowledgeHash(null)).toBe('#/knowledge');
  });

  it('a support console’s tenants are the ones the agents show containers of, once per host', () => {
    const c = (tenant: string | null): { tenant: string | null } => ({ tenant });
    expect(
      tenantsFromAgents({
        h1: { containers: { a: c('acme'), b: c('acme'), x: c(null), d: c('beta') } },
        h2: { containers: { e: c('acme') } },
        h3: { containers: {} },
      }),
    ).toEqual([
      { host: 'h1', slug: 'acme', state: null },
      { host: 'h1', slug: 'beta', state: null },
      { host: 'h2', slug: 'acme', state: null },
    ]);
  });
});

describe('knowledge: jobs from kb.progress', () => {
  it('merges by id, newest first, and never takes a job back to an older state', () => {
    const a = job({ id: 'a', createdAt: '2026-12-06T10:00:00Z', updatedAt: '2026-12-06T10:00:00Z' });
    const b = job({ id: 'b', createdAt: '2026-12-06T11:00:00Z', updatedAt: '2026-12-06T11:00:00Z' });
    let jobs = mergeJobs([], [a, b]);
    expect(jobs.map((j) => j.id)).toEqual(['b', 'a']);

    const aEmbedding = {
      ...a,
      phase: 'embedding' as const,
      done: 120,
      total: 340,
      updatedAt: '2026-12-06T10:05:00Z',
    };
    jobs = mergeJobs(jobs, [aEmbedding]);
    expect(jobs.find((j) => j.id === 'a')).toMatchObject({ phase: 'embedding', done: 120, total: 340 });
    expect(jobs.map((j) => j.id)).toEqual(['b', 'a']);

    // A late event (older updatedAt) is ignored; the array is the same when nothing changed.
    const late = mergeJobs(jobs, [{ ...a, phase: 'extracting', updatedAt: '2026-12-06T10:01:00Z' }]);
    expect(late).toBe(jobs);
    expect(mergeJobs(jobs, [aEmbedding])).toBe(jobs);
    expect(mergeJobs(jobs, [])).toBe(jobs);

    const done = { ...aEmbedding, phase: 'done' as const, done: 340, updatedAt: '2026-12-06T10:09:00Z' };
    const c = job({ id: 'c', createdAt: '2026-12-06T12:00:00Z' });
    jobs = mergeJobs(jobs, [done, c]);
    expect(jobs.map((j) => [j.id, j.phase])).toEqual([
      ['c', 'queued'],
      ['b', 'queued'],
      ['a', 'done'],
    ]);
  });

  it('asks to read the documents again when a job ends or registers a new document, not on progress', () => {
    const running = job({ id: 'a', phase: 'embedding', done: 1, total: 10, documentId: DOC_A });
    const known = new Set([DOC_A]);
    const later = (over: Parameters<typeof job>[0]) => ({
      ...running,
      updatedAt: '2026-12-06T10:10:00Z',
      ...over,
    });
    expect(needsReload([running], [later({ done: 5 })], known)).toBe(false);
    expect(needsReload([running], [later({ phase: 'done', done: 10 })], known)).toBe(true);
    expect(needsReload([running], [later({ phase: 'error' })], known)).toBe(true);
    expect(needsReload([running], [later({ phase: 'cancelled' })], known)).toBe(true);
    // Already final: the same again is no news.
    const finished = later({ phase: 'done' });
    expect(needsReload([finished], [finished], known)).toBe(false);
    // A stale final older than what is known does not count.
    expect(needsReload([later({ done: 9 })], [{ ...running, phase: 'error' }], known)).toBe(false);
    // A new upload registers its document: the list gets its row.
    const queued = job({ id: 'n', phase: 'extracting' });
    expect(
      needsReload(
        [queued],
        [{ ...queued, phase: 'chunking', documentId: DOC_B, updatedAt: '2026-12-06T10:01:00Z' }],
        known,
      ),
    ).toBe(true);
    expect(
      needsReload(
        [queued],
        [{ ...queued, phase: 'chunking', documentId: DOC_A, updatedAt: '2026-12-06T10:01:00Z' }],
        known,
      ),
    ).toBe(false);
    // A job never seen that is already finished (e.g. a duplicate upload) also reloads.
    expect(needsReload([], [job({ id: 'z', phase: 'done', duplicateOf: DOC_A })], known)).toBe(true);
  });

  it('finds the job at work on a document; counts progress only while embedding or indexing', () => {
    const jobs = [
      job({ id: 'old', phase: 'done', documentId: DOC_A }),
      job({ id: 'now', phase: 'indexing', done: 30, total: 40, documentId: DOC_A }),
    ];
    expect(activeJobFor(jobs, DOC_A)?.id).toBe('now');
    expect(activeJobFor(jobs, DOC_B)).toBeUndefined();
    expect(jobPercent(job({ phase: 'embedding', done: 120, total: 340 }))).toBe(35);
    expect(jobPercent(job({ phase: 'indexing', done: 40, total: 40 }))).toBe(100);
    expect(jobPercent(job({ phase: 'embedding', done: 0, total: 0 }))).toBeNull();
    expect(jobPercent(job({ phase: 'chunking', done: 3, total: 9 }))).toBeNull();
  });

  it('colours phases: at work blue, done green, duplicate blue, failed red, queued and cancelled grey', () => {
    expect(jobTone(job({ phase: 'embedding' }))).toBe('info');
    expect(jobTone(job({ phase: 'extracting' }))).toBe('info');
    expect(jobTone(job({ phase: 'done' }))).toBe('ok');
    expect(jobTone(job({ phase: 'done', duplicateOf: DOC_A }))).toBe('info');
    expect(jobTone(job({ phase: 'error' }))).toBe('error');
    expect(jobTone(job({ phase: 'queued' }))).toBe('unknown');
    expect(jobTone(job({ phase: 'cancelled' }))).toBe('unknown');
  });
});

describe('knowledge: a document’s status', () => {
  it('ready is green, failed red with its code and reason, processing blue with its job', () => {
    expect(docStatusView(doc(), [])).toMatchObject({ status: 'ready', tone: 'ok', busy: false, job: null });

    const failed = docStatusView(
      doc({ status: 'error', error: 'needs-ocr: no text on any of 12 pages' }),
      [],
    );
    expect(failed).toMatchObject({
      status: 'error',
      tone: 'error',
      code: 'needs-ocr',
      reason: 'no text on any of 12 pages',
    });

    const odd = docStatusView(doc({ status: 'error', error: 'something broke: badly' }), []);
    expect(odd).toMatchObject({ tone: 'error', code: null, reason: 'something broke: badly' });

    const working = job({ id: 'w', phase: 'embedding', done: 120, total: 340, documentId: DOC_A });
    const processing = docStatusView(doc({ status: 'processing', chunkCount: 0 }), [working]);
    expect(processing).toMatchObject({ status: 'processing', tone: 'info', busy: true });
    expect(processing.job?.id).toBe('w');

    // A ready or failed document being re-indexed shows its job.
    expect(docStatusView(doc(), [working]).status).toBe('processing');
    expect(docStatusView(doc({ status: 'error', error: 'qdrant: down' }), [working]).tone).toBe('info');
    // A finished job does not make it processing.
    expect(docStatusView(doc(), [{ ...working, phase: 'done' }]).status).toBe('ready');
  });

  it('splits the worker’s error texts', () => {
    expect(splitError('interrupted: the indexing stopped before it finished; re-index the document')).toEqual(
      {
        code: 'interrupted',
        reason: 'the indexing stopped before it finished; re-index the document',
      },
    );
    expect(splitError('llm-rate-limited: 429')).toEqual({ code: 'llm-rate-limited', reason: '429' });
    expect(splitError('cancelled: the re-index was cancelled; re-index it again').code).toBe('cancelled');
    expect(splitError(null)).toEqual({ code: null, reason: null });
    expect(splitError('plain words').code).toBeNull();
  });

  it('labels types, sorts newest first', () => {
    expect(docTypeLabel('pdf', 'x.pdf')).toBe('PDF');
    expect(docTypeLabel(null, 'notes.markdown')).toBe('MD');
    expect(docTypeLabel('md', 'x.md')).toBe('MD');
    expect(docTypeLabel(null, 'plain.txt')).toBe('TXT');
    const older = doc({ id: DOC_B, filename: 'b.txt', createdAt: '2026-01-01T00:00:00Z' });
    expect(sortDocuments([older, doc()]).map((d) => d.id)).toEqual([DOC_A, DOC_B]);
  });
});

describe('knowledge: search hits and the answer', () => {
  it('previews long chunks, draws scores, formats pages, headings and dollars', () => {
    const long = 'word '.repeat(200);
    const p = preview(long);
    expect(p.cut).toBe(true);
    expect(p.text.length).toBeLessThanOrEqual(401);
    expect(p.text.endsWith('…')).toBe(true);
    expect(preview('short')).toEqual({ text: 'short', cut: false });
    expect(scorePercent(0.734)).toBe(73);
    expect(scorePercent(-0.2)).toBe(0);
    expect(scorePercent(1.3)).toBe(100);
    expect(pageSpan(3, 5)).toBe('3–5');
    expect(pageSpan(3, 3)).toBe('3');
    expect(pageSpan(null, null)).toBeNull();
    expect(headingPath(['Prices', '', 'Delivery'])).toBe('Prices › Delivery');
    expect(dollars('0.00123')).toBe('$0.00123');
    expect(dollars(null)).toBeNull();
    expect(dollars('n/a')).toBeNull();
  });
});

type Tree = { [k: string]: string | Tree };
function flatten(t: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

describe('knowledge: strings', () => {
  beforeAll(() => {
    initI18n('en');
  });
  afterEach(async () => {
    await setLanguage('en');
  });

  it('every English knowledge string has a Russian one, with the same placeholders, translated', () => {
    const e = flatten(en.kb as unknown as Tree);
    const r = flatten(ru.kb as unknown as Tree);
    expect(e.size).toBeGreaterThan(150);
    expect([...r.keys()].sort()).toEqual([...e.keys()].sort());
    const vars = (s: string): string[] => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? '').sort();
    for (const [k, v] of e) {
      const rv = r.get(k) ?? '';
      expect(rv.trim(), k).not.toBe('');
      expect(rv, k).not.toBe(v);
      expect(vars(rv), k).toEqual(vars(v));
    }
    for (const k of ['kbDeleted', 'kbReindex'] as const) {
      expect(ru.toast[k]).toBeTruthy();
      expect(vars(ru.toast[k])).toEqual(vars(en.toast[k]));
    }
  });

  it('every error code has an action hint in both languages; a scan asks for OCR', async () => {
    for (const code of [...ERROR_CODES, 'unknown', 'duplicate'] as const) {
      const key = `kb.hint.${code}` as const;
      expect(i18n.exists(key, { lng: 'en' }), key).toBe(true);
      expect(i18n.exists(key, { lng: 'ru' }), key).toBe(true);
    }
    expect(i18n.t('kb.hint.needs-ocr')).toBe(
      'Looks like a scan: there is no text. It needs OCR or a text version.',
    );
    await setLanguage('ru');
    expect(i18n.t('kb.hint.needs-ocr')).toBe('Похоже, это скан: текста нет. Нужен OCR или текстовая версия.');
    expect(i18n.t('kb.progress', { phase: i18n.t('kb.phase.embedding'), done: 120, total: 340 })).toBe(
      'Эмбеддинги: 120 из 340',
    );
  });
});
