import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { FAQ_DOCUMENTS, faqFilePath, loadFaqSet } from '../fixtures/kb';
import { gatewayAddress, kbCounts, waitJobs, writeFixture } from '../helpers/kb';
import { cp1251Txt, docxFromMarkdown, russianPdf, scannedPdf } from '../helpers/kb-fixtures';
import { start as startLlm } from '../helpers/llm-standin/server';
import type { LlmStandin } from '../helpers/llm-standin/server';
import { tenantHost, uniqueSlug, withTenantDb } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 15 on the real test host: a tenant's knowledge base filled through the host's
 * knowledge-base worker, and the tenant's real bot (its n8n chat_handler) answering from it. The
 * LLM and embeddings endpoint is a STAND-IN (test/helpers/llm-standin; not OpenAI), reached
 * through the tenant's OPENAI_BASE_URL; Qdrant and the edge are stand-ins too.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
let tr: HostTransport;
let llm: LlmStandin;
const slug = uniqueSlug('kb');
const API_KEY = 'sk-standin-kb';
const docs = new Map<string, string>(); // fixture name → document id

const embeddingCalls = (): number =>
  llm.requests().filter((r) => r.path.endsWith('/embeddings') && r.status === 200).length;

beforeAll(async () => {
  t = tempDir();
  llm = await startLlm({ host: '0.0.0.0', port: 0, apiKey: API_KEY });
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'kb test passphrase'),
    mode: 'cli',
    kbOptions: { workerEnv: { TRUFFLES_KB_RETRY_MAX_WAIT_MS: '3000', TRUFFLES_KB_BATCH: '16' } },
  });
  await tenantHost(core, 'sb');
  tr = await core.hosts.transport('sb');
  await core.tenants.create({
    slug,
    host: 'sb',
    plan: 'starter',
    modules: [],
    env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: `http://${gatewayAddress()}:${llm.port}/v1` },
    keepOnFailure: false,
  });
  // The stand-in's embeddings are hashed character n-grams: a short question and the long chunk
  // that answers it score 0.15–0.5 (OpenAI's models: 0.3–0.7), so the tenant's min_score is set
  // lower, as an operator would for a weaker model.
  await withTenantDb(core, tr, slug, (db) =>
    db.query(
      "UPDATE settings SET value = jsonb_set(value, '{min_score}', '0.05') WHERE key = 'model_router'",
    ),
  );
}, 600_000);

afterAll(async () => {
  await core.tenants.delete(slug, slug, 'sb').catch(() => undefined);
  await core.close();
  await llm.close();
  t.cleanup();
}, 300_000);

describe('knowledge base through the host worker (LLM and Qdrant are stand-ins)', () => {
  it('Markdown, a cp1251 TXT and a DOCX reach ready with their Cyrillic intact; rows and vectors agree', async () => {
    const set = loadFaqSet();
    const paths: string[] = [];
    for (const name of FAQ_DOCUMENTS) {
      const text = set.documents.find((d) => d.name === name)!.text;
      if (name === 'hours-contacts.txt') paths.push(writeFixture(t.dir, name, cp1251Txt(text)));
      else if (name === 'delivery.md')
        paths.push(writeFixture(t.dir, 'delivery.docx', await docxFromMarkdown(text)));
      else paths.push(faqFilePath(name).pathname);
    }
    const jobs = await core.call('kb.upload', { slug, paths });
    expect(jobs.map((j) => j.phase)).toEqual(FAQ_DOCUMENTS.map(() => 'queued'));
    const done = await waitJobs(
      core,
      slug,
      jobs.map((j) => j.id),
    );
    for (const j of done) {
      expect(j, `${j.filename}: ${JSON.stringify(j.error)}`).toMatchObject({ phase: 'done', error: null });
      docs.set(j.filename, j.documentId!);
      const c = await kbCounts(core, tr, slug, j.documentId!);
      expect(c.chunks).toBeGreaterThan(0);
      expect(c.points).toBe(c.chunks);
    }
    expect(done.find((j) => j.filename === 'hours-contacts.txt')?.encoding).toBe('windows-1251');
    const list = await core.call('kb.list', { slug });
    expect(list.documents.filter((d) => d.status === 'ready')).toHaveLength(5);
    expect(list.summary.points).toBe(list.summary.chunks);
    // The Cyrillic as the customer will read it, from each of the converted files.
    const text = await withTenantDb(
      core,
      tr,
      slug,
      async (db) =>
        (
          await db.query<{ filename: string; content: string }>(
            'SELECT d.filename, c.content FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id',
          )
        ).rows,
    );
    const of = (f: string): string =>
      text
        .filter((r) => r.filename === f)
        .map((r) => r.content)
        .join('\n');
    expect(of('hours-contacts.txt')).toContain('Толе би');
    expect(of('delivery.docx')).toMatch(/[Дд]оставк/);
    expect(of('delivery.docx')).not.toMatch(/Ð|Ñ|�/);
    // Every embedding call is one billing row, with its tokens.
    const bills = await withTenantDb(
      core,
      tr,
      slug,
      async (db) =>
        (
          await db.query<{ n: number; tokens: number }>(
            "SELECT count(*)::int AS n, sum(input_tokens)::int AS tokens FROM billing_events WHERE event_type = 'embedding' AND metadata->>'stage' = 'ingest'",
          )
        ).rows[0]!,
    );
    expect(bills.n).toBe(done.reduce((s, j) => s + j.embeddingCalls, 0));
    expect(bills.tokens).toBeGreaterThan(0);
  }, 600_000);

  it('the same file again makes no embedding call; the test search finds the right document', async () => {
    const before = embeddingCalls();
    const [again] = await core.call('kb.upload', { slug, paths: [faqFilePath('prices.md').pathname] });
    const [j] = await waitJobs(core, slug, [again!.id]);
    expect(j).toMatchObject({ phase: 'done', duplicateOf: docs.get('prices.md'), embeddingCalls: 0 });
    expect(embeddingCalls()).toBe(before);

    const r = await core.call('kb.search', { slug, query: 'Сколько стоит доставка в пределах первой зоны?' });
    expect(r.model).toBe('text-embedding-3-small');
    expect(r.topK).toBe(5);
    expect(r.hits.length).toBeGreaterThan(0);
    expect(r.hits[0]!.filename).toBe('delivery.docx');
    expect(r.hits[0]!.score).toBeGreaterThan(r.minScore);
  }, 300_000);

  it('the bot: a greeting by template, a question answered from the base, complex to the complex model, history passed, every call billed', async () => {
    const calls = (): number => llm.requests().length;
    let n = calls();
    const hi = await core.call('kb.ask', { slug, question: 'Привет' });
    expect(hi).toMatchObject({ intent: 'greeting', model: null, calls: [] });
    expect(hi.reply).toBeTruthy();
    expect(calls()).toBe(n); // no LLM call at all

    n = calls();
    const q = await core.call('kb.ask', {
      slug,
      question: 'Во сколько открывается магазин на Толе би в субботу?',
    });
    expect(q.intent).toBe('faq');
    expect(q.model).toBe('gpt-4.1-mini');
    expect(q.sources.length).toBeGreaterThan(0);
    expect(q.sources[0]!.filename).toBe('hours-contacts.txt');
    expect(q.reply).toMatch(/\[\d\]/);
    // classifier, question embedding, answer: three calls, three rows with tokens and a cost
    expect(calls() - n).toBe(3);
    expect(q.calls.map((c) => c.stage).sort()).toEqual(['answer', 'classifier', 'question_embedding']);
    for (const c of q.calls) {
      expect(c.inputTokens).toBeGreaterThan(0);
      expect(c.costUsd).not.toBeNull();
    }
    expect(Number(q.costUsd)).toBeGreaterThan(0);

    const cx = await core.call('kb.ask', {
      slug,
      question:
        'Объясните, что выгоднее: заказать букет с доставкой в третью зону или забрать самому и почему?',
    });
    expect(cx.intent).toBe('complex');
    expect(cx.model).toBe('gpt-4.1');
    // History: the answer request of the third question carried the earlier exchange.
    const last = llm
      .requests()
      .filter((r) => r.path.endsWith('/chat/completions'))
      .at(-1)!;
    expect(last.model).toBe('gpt-4.1');
    expect(last.historyLength ?? 0).toBeGreaterThanOrEqual(2);
  }, 300_000);

  it('a 100-page Russian PDF: ready with rows = vectors; deleted: none of either; uploaded again: indexed again', async () => {
    const pdf = writeFixture(t.dir, 'catalog-100.pdf', await russianPdf({ pages: 100 }));
    const [job] = await core.call('kb.upload', { slug, paths: [pdf] });
    const [done] = await waitJobs(core, slug, [job!.id], 600_000);
    expect(done, JSON.stringify(done?.error)).toMatchObject({ phase: 'done', pages: 100 });
    const id = done!.documentId!;
    const c = await kbCounts(core, tr, slug, id);
    expect(c.chunks).toBe(done!.chunkCount);
    expect(c.points).toBe(c.chunks);
    expect(c.chunks).toBeGreaterThan(20);

    const chunks = await core.call('kb.chunks', { slug, document: id, offset: 0, limit: 5 });
    expect(chunks.total).toBe(c.chunks);
    expect(chunks.chunks[0]!.page).toBe(1);

    const del = await core.call('kb.delete', { slug, document: id });
    expect(del).toMatchObject({ chunks: c.chunks, points: c.points });
    expect(await kbCounts(core, tr, slug, id)).toEqual({ chunks: 0, points: 0, docs: 0 });

    const before = embeddingCalls();
    const [again] = await core.call('kb.upload', { slug, paths: [pdf] });
    const [done2] = await waitJobs(core, slug, [again!.id], 600_000);
    expect(done2).toMatchObject({ phase: 'done', duplicateOf: null });
    expect(embeddingCalls()).toBeGreaterThan(before);
    const c2 = await kbCounts(core, tr, slug, done2!.documentId!);
    expect(c2.points).toBe(c2.chunks);
    expect(c2.chunks).toBe(c.chunks);
  }, 900_000);

  it('a scanned PDF is refused as needing OCR, with nothing indexed', async () => {
    const scan = writeFixture(t.dir, 'scan.pdf', await scannedPdf());
    const [job] = await core.call('kb.upload', { slug, paths: [scan] });
    const [j] = await waitJobs(core, slug, [job!.id]);
    expect(j).toMatchObject({ phase: 'error', documentId: null });
    expect(j!.error?.code).toBe('needs-ocr');
  }, 300_000);

  it('with 30 % of requests answered 429, every document still reaches ready', async () => {
    llm.setMode({ rateLimit: { ratio: 0.3, retryAfter: 1, seed: 7 } });
    try {
      const paths = [1, 2, 3].map((k) =>
        writeFixture(
          t.dir,
          `notes-${k}.md`,
          `# Заметки ${k}\n\n${'Цветы любят прохладу и свежую воду. '.repeat(200 + k * 40)}\n\n## Раздел ${k}\n\n${'Курьер звонит за час до доставки. '.repeat(300)}`,
        ),
      );
      const jobs = await core.call('kb.upload', { slug, paths });
      const done = await waitJobs(
        core,
        slug,
        jobs.map((j) => j.id),
        600_000,
      );
      for (const j of done) {
        expect(j, JSON.stringify(j.error)).toMatchObject({ phase: 'done' });
        const c = await kbCounts(core, tr, slug, j.documentId!);
        expect(c.points).toBe(c.chunks);
      }
      expect(llm.requests().filter((r) => r.status === 429).length).toBeGreaterThan(0);
      expect(done.reduce((s, j) => s + j.retries, 0)).toBeGreaterThan(0);
    } finally {
      llm.setMode({ rateLimit: null });
    }
  }, 900_000);

  it('the worker killed while indexing: the document ends ready (resumed), never processing', async () => {
    // Each embeddings answer takes 1.5 s, so the document is mid-embedding for many seconds.
    llm.setMode({ latencyMs: 1500 });
    try {
      const pdf = writeFixture(t.dir, 'catalog-60.pdf', await russianPdf({ pages: 60 }));
      const seen = llm.requests().length;
      const [job] = await core.call('kb.upload', { slug, paths: [pdf] });
      // A watch opened before the crash (as the Knowledge screen holds one): what it brings.
      const watched: { at: number; phase: string }[] = [];
      const off = core.onEvent((e) => {
        if (e.type !== 'kb.progress' || e.tenant !== slug) return;
        for (const j of e.jobs) if (j.id === job!.id) watched.push({ at: Date.now(), phase: j.phase });
      });
      const { watchId } = await core.call('kb.watch', { slug });
      // Kill the worker's process as a crash would once two batches have been answered (watched on
      // the stand-in, not through a console read that may take longer than a batch on a busy host).
      const deadline = Date.now() + 120_000;
      for (;;) {
        const answered = llm
          .requests()
          .slice(seen)
          .filter((r) => r.stage === 'embeddings' && r.status === 200).length;
        if (answered >= 2) break;
        if (Date.now() > deadline) throw new Error(`never embedding: ${answered} batches answered`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const pid = execFileSync('docker', ['inspect', '--format', '{{.State.Pid}}', 'truffles-kb'], {
        encoding: 'utf8',
      }).trim();
      execFileSync('kill', ['-9', pid]);
      const killedAt = Date.now();
      // The console also loses its connection to the worker; the next read reconnects.
      const [done] = await waitJobs(core, slug, [job!.id], 600_000);
      expect(done, JSON.stringify(done?.error)).toMatchObject({ phase: 'done', attempts: 1 });
      // The watch came back on its own on the restarted worker and brought the job to its end.
      await expect
        .poll(() => watched.filter((w) => w.at > killedAt).map((w) => w.phase), { timeout: 30_000 })
        .toContain('done');
      expect((await core.call('kb.unwatch', { watchId })).removed).toBe(true);
      off();
      const c = await kbCounts(core, tr, slug, done!.documentId!);
      expect(c.points).toBe(c.chunks);
      // More than the two answered batches of 16: the kill came mid-embedding.
      expect(c.chunks).toBeGreaterThan(32);
      const list = await core.call('kb.list', { slug });
      expect(list.documents.some((d) => d.status === 'processing')).toBe(false);
    } finally {
      llm.setMode({ latencyMs: 0 });
    }
  }, 900_000);
  it('the LLM endpoint down: the document ends in error with the reason, not processing; re-indexed once it is back: ready', async () => {
    llm.setMode({ failNext: 1_000_000, failWith: 503 });
    let id: string;
    try {
      const p = writeFixture(
        t.dir,
        'down.md',
        `# Акция\n\n${'Скидка 10 % на все букеты по средам. '.repeat(120)}`,
      );
      const [job] = await core.call('kb.upload', { slug, paths: [p] });
      const [j] = await waitJobs(core, slug, [job!.id], 300_000);
      expect(j).toMatchObject({ phase: 'error' });
      expect(j!.error?.code).toBe('llm-unreachable');
      expect(j!.error?.message).toContain('503');
      id = j!.documentId!;
      const doc = (await core.call('kb.list', { slug })).documents.find((d) => d.id === id)!;
      expect(doc.status).toBe('error');
      expect(doc.error).toContain('llm-unreachable');
    } finally {
      llm.setMode({ failNext: 0 });
    }
    const [re] = await core.call('kb.reindex', { slug, document: id });
    const [r] = await waitJobs(core, slug, [re!.id]);
    expect(r).toMatchObject({ phase: 'done', documentId: id });
    const c = await kbCounts(core, tr, slug, id);
    expect(c.points).toBe(c.chunks);
    expect((await core.call('kb.list', { slug })).documents.find((d) => d.id === id)?.status).toBe('ready');
  }, 600_000);

  it("the console's connection cut while indexing changes nothing on the host; a cancelled new document leaves no rows or vectors", async () => {
    llm.setMode({ latencyMs: 300 });
    try {
      const a = writeFixture(t.dir, 'cut.pdf', await russianPdf({ pages: 30 }));
      const [ja] = await core.call('kb.upload', { slug, paths: [a] });
      // Cut the console's SSH connection (as a laptop closing its lid would): every sshd session
      // of the console's user ends; the next read opens a new connection.
      execFileSync('pkill', ['-f', '^sshd: truffles-op']);
      const [da] = await waitJobs(core, slug, [ja!.id], 300_000);
      expect(da).toMatchObject({ phase: 'done', attempts: 0 });

      const b = writeFixture(t.dir, 'cancel.pdf', await russianPdf({ pages: 40 }));
      const [jb] = await core.call('kb.upload', { slug, paths: [b] });
      for (let i = 0; ; i++) {
        const j = (await core.call('kb.list', { slug })).jobs.find((x) => x.id === jb!.id)!;
        if (j.phase === 'embedding' && j.documentId) break;
        if (i > 600) throw new Error(`never embedding: ${j.phase}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const docId = (await core.call('kb.list', { slug })).jobs.find((x) => x.id === jb!.id)!.documentId!;
      await core.call('kb.cancel', { slug, job: jb!.id });
      const [cb] = await waitJobs(core, slug, [jb!.id]);
      expect(cb!.phase).toBe('cancelled');
      expect(await kbCounts(core, tr, slug, docId)).toEqual({ chunks: 0, points: 0, docs: 0 });
    } finally {
      llm.setMode({ latencyMs: 0 });
    }
  }, 600_000);
  it('the embedding model changed to one of another length: re-indexing all remakes the collection and every document is ready again', async () => {
    // The same model first: one document re-indexed is embedded again, every chunk of it.
    const one = docs.get('returns.md')!;
    const n0 = embeddingCalls();
    const [rj] = await core.call('kb.reindex', { slug, document: one });
    const [rd] = await waitJobs(core, slug, [rj!.id]);
    expect(rd).toMatchObject({ phase: 'done', documentId: one });
    expect(rd!.embeddingCalls).toBeGreaterThan(0);
    expect(embeddingCalls()).toBeGreaterThan(n0);
    await withTenantDb(core, tr, slug, (db) =>
      db.query(
        "UPDATE settings SET value = jsonb_set(value, '{embedding}', '\"text-embedding-3-large\"') WHERE key = 'model_router'",
      ),
    );
    const before = await core.call('kb.list', { slug });
    expect(before.summary.dimensions).toBe(1536);
    const calls = embeddingCalls();
    const jobs = await core.call('kb.reindex', { slug });
    expect(jobs).toHaveLength(before.documents.length);
    const done = await waitJobs(
      core,
      slug,
      jobs.map((j) => j.id),
      600_000,
    );
    for (const j of done)
      expect(j, `${j.filename}: ${JSON.stringify(j.error)}`).toMatchObject({ phase: 'done' });
    // Every chunk was embedded again (not only the ones without a vector).
    expect(embeddingCalls() - calls).toBeGreaterThanOrEqual(before.documents.length + 1);
    const after = await core.call('kb.list', { slug });
    expect(after.summary).toMatchObject({ dimensions: 3072, ready: before.documents.length, error: 0 });
    expect(after.summary.points).toBe(after.summary.chunks);
    const r = await core.call('kb.search', { slug, query: 'Сколько стоит доставка в пределах первой зоны?' });
    expect(r.model).toBe('text-embedding-3-large');
    expect(r.hits[0]?.filename).toBe('delivery.docx');
  }, 600_000);
});
