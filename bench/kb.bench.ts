/**
 * `npm run bench:kb`: a tenant's knowledge base on the real test host (its sshd, Docker, the
 * tenant's real PostgreSQL and n8n), with an OpenAI-compatible STAND-IN for embeddings and chat
 * (test/helpers/llm-standin; not OpenAI: its embeddings are hashed character n-grams, so the
 * recall figure measures our chunking and retrieval path, not a real embedding model) and the
 * Qdrant stand-in.
 *
 * Prints:
 * - ingest of the FAQ set (5 documents) and of a 100-page Russian PDF: wall time from the
 *   upload's start to `ready`, pages/s and chunks/s;
 * - recall@5 of the test search on the FAQ set's labelled questions (a question is recalled
 *   when one of the top 5 chunks comes from its document and holds one of its answer strings;
 *   also the document-level figure);
 * - test-search latency p50/p95 through the console (SSH → worker → embeddings → Qdrant), beside
 *   the same embed + search done directly from this machine over SSH tunnels (the plain way);
 * - the worker's memory after the run.
 * Asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../src/main/core/core';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
import { withTenantQdrant } from '../src/main/core/tenantdata/qdrant';
import { readHostFile } from '../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../src/main/core/tenants/service';
import { FAQ_DOCUMENTS, faqFilePath, loadFaqSet } from '../test/fixtures/kb';
import { gatewayAddress, waitJobs } from '../test/helpers/kb';
import { cp1251Txt, docxFromMarkdown, russianPdf } from '../test/helpers/kb-fixtures';
import { start as startLlm } from '../test/helpers/llm-standin/server';
import { tenantHost, uniqueSlug } from '../test/helpers/tenants';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const home = mkdtempSync(join(tmpdir(), 'truffles-bench-kb-'));
const files = mkdtempSync(join(tmpdir(), 'truffles-bench-kb-files-'));
const llm = await startLlm({ host: '0.0.0.0', port: 0, apiKey: 'sk-bench' });
const core = new Core({ home, secrets: new PassphraseProvider(async () => 'bench passphrase'), mode: 'cli' });
const slug = uniqueSlug('kbb');
const fileName = (doc: string): string => (doc === 'delivery.md' ? 'delivery.docx' : doc);

try {
  await tenantHost(core, 'sb');
  const tr = await core.hosts.transport('sb');
  console.log(`creating tenant ${slug} …`);
  await core.tenants.create({
    slug,
    host: 'sb',
    plan: 'starter',
    modules: [],
    env: { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: `http://${gatewayAddress()}:${llm.port}/v1` },
    keepOnFailure: false,
  });
  await core.kb.ensure('sb');

  // Ingest: the FAQ set (markdown, cp1251 text, DOCX) …
  const set = loadFaqSet();
  const paths: string[] = [];
  for (const name of FAQ_DOCUMENTS) {
    const text = set.documents.find((d) => d.name === name)!.text;
    const p = join(files, fileName(name));
    if (name === 'hours-contacts.txt') writeFileSync(p, cp1251Txt(text));
    else if (name === 'delivery.md') writeFileSync(p, await docxFromMarkdown(text));
    paths.push(name === 'hours-contacts.txt' || name === 'delivery.md' ? p : faqFilePath(name).pathname);
  }
  let t0 = performance.now();
  let jobs = await core.call('kb.upload', { slug, paths });
  let done = await waitJobs(
    core,
    slug,
    jobs.map((j) => j.id),
    600_000,
  );
  let s = (performance.now() - t0) / 1000;
  const faqChunks = done.reduce((n, j) => n + (j.chunkCount ?? 0), 0);
  console.log(
    `FAQ set: ${done.length} documents, ${faqChunks} chunks in ${s.toFixed(2)} s (${(faqChunks / s).toFixed(1)} chunks/s); ${done.filter((j) => j.phase !== 'done').length} not done`,
  );

  // … and a 100-page PDF.
  const pdf = join(files, 'catalog-100.pdf');
  writeFileSync(pdf, await russianPdf({ pages: 100 }));
  t0 = performance.now();
  jobs = await core.call('kb.upload', { slug, paths: [pdf] });
  done = await waitJobs(
    core,
    slug,
    jobs.map((j) => j.id),
    900_000,
  );
  s = (performance.now() - t0) / 1000;
  const pj = done[0]!;
  console.log(
    `100-page PDF: ${pj.phase}, ${pj.chunkCount} chunks, ${pj.embeddingCalls} embedding calls in ${s.toFixed(2)} s: ${(100 / s).toFixed(1)} pages/s, ${((pj.chunkCount ?? 0) / s).toFixed(1)} chunks/s`,
  );

  // Recall@5 on the labelled questions.
  const labelled = set.questions.filter((q) => q.kind === 'faq' && q.document);
  let hit = 0;
  let docHit = 0;
  const lat: number[] = [];
  const missed: string[] = [];
  for (const q of labelled) {
    const t = performance.now();
    const r = await core.call('kb.search', { slug, query: q.question, topK: 5, minScore: 0 });
    lat.push(performance.now() - t);
    const want = fileName(q.document!);
    const fromDoc = r.hits.filter((h) => h.filename === want);
    if (fromDoc.length) docHit++;
    const norm = (x: string): string => x.replace(/\s+/g, ' ');
    if (fromDoc.some((h) => q.answer_contains.some((a) => norm(h.content).includes(norm(a))))) hit++;
    else missed.push(`${q.id} ${q.question}`);
  }
  console.log(
    `recall@5 (chunk holds the answer): ${((hit / labelled.length) * 100).toFixed(1)} % (${hit}/${labelled.length}); document-level: ${((docHit / labelled.length) * 100).toFixed(1)} %`,
  );
  if (missed.length)
    console.log(`  missed: ${missed.slice(0, 10).join(' | ')}${missed.length > 10 ? ' …' : ''}`);
  console.log(
    `test search through the console: p50 ${pct(lat, 50).toFixed(0)} ms, p95 ${pct(lat, 95).toFixed(0)} ms (${lat.length} searches)`,
  );

  // The plain way from this machine: embed here, search Qdrant through an SSH tunnel.
  const env = parseEnvFile((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '');
  const plain: number[] = [];
  await withTenantQdrant(tr, slug, env['QDRANT_API_KEY'], async (qc) => {
    for (const q of labelled.slice(0, 40)) {
      const t = performance.now();
      const res = await fetch(`${llm.baseUrl}/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
        body: JSON.stringify({ model: 'text-embedding-3-small', input: q.question }),
      });
      const v = ((await res.json()) as { data: Array<{ embedding: number[] }> }).data[0]!.embedding;
      await qc.search('knowledge', { vector: v, limit: 5, with_payload: true });
      plain.push(performance.now() - t);
    }
  });
  console.log(
    `plain embed + Qdrant search over an SSH tunnel: p50 ${pct(plain, 50).toFixed(0)} ms, p95 ${pct(plain, 95).toFixed(0)} ms`,
  );
  const st = await (await core.kb.client('sb')).request('kb.status', {});
  const mem = execFileSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', 'truffles-kb'], {
    encoding: 'utf8',
  }).trim();
  console.log(`worker: ${(st.rssBytes / 2 ** 20).toFixed(1)} MB resident (docker: ${mem})`);
} finally {
  await core.tenants.delete(slug, slug, 'sb').catch(() => undefined);
  await core.close();
  await llm.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
}
