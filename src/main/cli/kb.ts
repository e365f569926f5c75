import type { Command } from 'commander';
import { SlugSchema } from '../../shared/contract';
import type { KbJobView, KbList } from '../../shared/contract';
import type { KbAnswerView, KbSearchView } from '../../shared/contract/kb';
import { hostOption, parseArg, UsageError } from './args';
import { tenantVerb, type CliContext } from './context';
import { bytes, table } from './format';

const FINAL = ['done', 'error', 'cancelled'];

/**
 * `truffles kb list|upload|delete|reindex|search|ask|chunks|cancel SLUG …`: a tenant's knowledge
 * base. Uploads are streamed to the tenant's host and processed there; `--wait` follows them.
 */
export function registerKbCommands(program: Command, ctx: CliContext): void {
  const { getCore, print, io, json } = ctx;
  const kb = program
    .command('kb')
    .description("a tenant's knowledge base: documents, uploads, test search, ask the bot");
  const where = (o: { host?: string }): { host?: string } => {
    const host = hostOption(o.host);
    return host ? { host } : {};
  };

  tenantVerb(
    kb,
    'list <slug>',
    'documents with status, chunks, size, who uploaded them; the jobs at work',
  ).action(async (slugArg: string, o: { host?: string }) => {
    const slug = parseArg(SlugSchema, slugArg, 'SLUG');
    const r = await getCore().call('kb.list', { slug, ...where(o) });
    print(listText(r), r);
    if (r.documents.some((d) => d.status === 'error')) ctx.setExitCode(1);
  });

  tenantVerb(
    kb,
    'upload <slug> <files...>',
    'upload PDF, DOCX, TXT or Markdown files; they are indexed on the host',
  )
    .option('--wait', 'follow the jobs until every file is ready (exit 1 when one fails)')
    .action(async (slugArg: string, files: string[], o: { host?: string; wait?: boolean }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const core = getCore();
      let jobs = await core.call('kb.upload', { slug, paths: files, ...where(o) });
      if (!json) for (const j of jobs) io.out(`queued ${j.filename} (${bytes(j.sizeBytes)}) as job ${j.id}`);
      if (o.wait) jobs = await follow(ctx, slug, jobs, o);
      print(jobsText(jobs), jobs);
      if (jobs.some((j) => j.phase === 'error')) ctx.setExitCode(1);
    });

  tenantVerb(kb, 'delete <slug> <document>', 'delete a document: its rows and its vectors')
    .option('--yes', 'do it (without it, nothing is deleted)')
    .action(async (slugArg: string, doc: string, o: { host?: string; yes?: boolean }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      if (!o.yes) throw new UsageError('Deleting a document cannot be undone.', 'Add --yes to delete it.');
      const r = await getCore().call('kb.delete', { slug, document: doc, ...where(o) });
      print(`Deleted ${r.document}: ${r.chunks} chunks, ${r.points} vectors.`, r);
    });

  tenantVerb(
    kb,
    'reindex <slug> [document]',
    'embed again one document, or every document (e.g. after a model change)',
  )
    .option('--wait', 'follow the jobs until they finish')
    .action(async (slugArg: string, doc: string | undefined, o: { host?: string; wait?: boolean }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      let jobs = await getCore().call('kb.reindex', { slug, ...(doc ? { document: doc } : {}), ...where(o) });
      if (o.wait) jobs = await follow(ctx, slug, jobs, o);
      print(jobsText(jobs), jobs);
      if (jobs.some((j) => j.phase === 'error')) ctx.setExitCode(1);
    });

  tenantVerb(kb, 'cancel <slug> <job>', 'stop a queued or running job').action(
    async (slugArg: string, job: string, o: { host?: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const j = await getCore().call('kb.cancel', { slug, job, ...where(o) });
      print(jobsText([j]), j);
    },
  );

  tenantVerb(
    kb,
    'search <slug> <query...>',
    'what the bot would retrieve for a question, with scores and sources',
  )
    .option('--top-k <n>', "how many (default: the tenant's model_router top_k)")
    .option('--min-score <x>', "the lowest score (default: the tenant's min_score)")
    .action(
      async (slugArg: string, words: string[], o: { host?: string; topK?: string; minScore?: string }) => {
        const slug = parseArg(SlugSchema, slugArg, 'SLUG');
        const r = await getCore().call('kb.search', {
          slug,
          query: words.join(' '),
          ...(o.topK ? { topK: Number(o.topK) } : {}),
          ...(o.minScore ? { minScore: Number(o.minScore) } : {}),
          ...where(o),
        });
        print(searchText(r), r);
      },
    );

  tenantVerb(kb, 'ask <slug> <question...>', "ask the tenant's bot through its real chat webhook").action(
    async (slugArg: string, words: string[], o: { host?: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const r = await getCore().call('kb.ask', { slug, question: words.join(' '), ...where(o) });
      print(answerText(r), r);
    },
  );

  tenantVerb(kb, 'chunks <slug> <document>', "a document's chunks as the bot retrieves them")
    .option('--offset <n>', 'from this chunk', '0')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (slugArg: string, doc: string, o: { host?: string; offset: string; limit: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const r = await getCore().call('kb.chunks', {
        slug,
        document: doc,
        offset: Number(o.offset) || 0,
        limit: Number(o.limit) || 20,
        ...where(o),
      });
      const text = r.chunks
        .map(
          (c) =>
            `#${c.index} ${c.tokenCount ?? '?'} tokens${c.page ? `, p. ${c.page}` : ''}${c.headings.length ? ` — ${c.headings.join(' › ')}` : ''}\n${c.content}`,
        )
        .join('\n\n');
      print(`${r.document.filename}: ${r.total} chunks\n\n${text}`, r);
    });
}

/** Follow jobs through `kb.progress` until each is final; prints a line per phase change. */
async function follow(
  ctx: CliContext,
  slug: string,
  jobs: KbJobView[],
  o: { host?: string },
): Promise<KbJobView[]> {
  const core = ctx.getCore();
  const state = new Map(jobs.map((j) => [j.id, j]));
  const said = new Map<string, string>();
  const pending = (): boolean => [...state.values()].some((j) => !FINAL.includes(j.phase));
  if (!pending()) return jobs;
  return new Promise<KbJobView[]>((resolve, reject) => {
    let watchId: string | null = null;
    const finish = (): void => {
      off();
      clearInterval(poll);
      if (watchId) void core.call('kb.unwatch', { watchId }).catch(() => undefined);
      resolve([...state.values()]);
    };
    const take = (list: KbJobView[]): void => {
      for (const j of list) {
        if (!state.has(j.id)) continue;
        state.set(j.id, j);
        const line = `${j.filename}: ${j.phase}${j.total ? ` ${j.done}/${j.total}` : ''}${j.error ? ` — ${j.error.message}` : ''}`;
        const key = `${j.phase}${j.phase === 'embedding' ? Math.floor((j.done / Math.max(1, j.total)) * 4) : ''}`;
        if (!ctx.json && said.get(j.id) !== key) ctx.io.err(line);
        said.set(j.id, key);
      }
      if (!pending()) finish();
    };
    const off = core.onEvent((e) => {
      if (e.type === 'kb.progress' && e.tenant === slug) take(e.jobs);
    });
    // The stream says every change; a poll every 5 s covers a dropped connection.
    const poll = setInterval(() => {
      void core.call('kb.list', { slug, ...(o.host ? { host: o.host } : {}) }).then(
        (r) => take(r.jobs),
        () => undefined,
      );
    }, 5000);
    core
      .call('kb.watch', { slug, ...(o.host ? { host: o.host } : {}) })
      .then((w) => (watchId = w.watchId), reject);
  });
}

function listText(r: KbList): string {
  const s = r.summary;
  const head = `${s.tenant} on ${r.host}: ${s.documents} documents (${s.ready} ready, ${s.processing} processing, ${s.error} error), ${s.chunks} chunks, ${s.points ?? 0} vectors · ${s.embeddingModel} (${s.dimensions} dims)`;
  const rows = [
    ['ID', 'FILE', 'STATUS', 'CHUNKS', 'SIZE', 'UPLOADED BY', 'WHEN'],
    ...r.documents.map((d) => [
      d.id.slice(0, 8),
      d.filename,
      d.status === 'error' ? `error: ${(d.error ?? '').slice(0, 60)}` : d.status,
      String(d.chunkCount),
      d.sizeBytes === null ? '-' : bytes(d.sizeBytes),
      d.uploadedBy ?? '-',
      d.createdAt.slice(0, 16).replace('T', ' '),
    ]),
  ];
  const active = r.jobs.filter((j) => !FINAL.includes(j.phase));
  return [head, '', table(rows), ...(active.length ? ['', 'At work:', jobsText(active)] : [])].join('\n');
}

function jobsText(jobs: KbJobView[]): string {
  return table([
    ['JOB', 'FILE', 'PHASE', 'PROGRESS', 'DOCUMENT', 'NOTE'],
    ...jobs.map((j) => [
      j.id,
      j.filename,
      j.phase,
      j.total ? `${j.done}/${j.total}` : '-',
      j.documentId?.slice(0, 8) ?? '-',
      j.error
        ? `${j.error.code}: ${j.error.message}`
        : j.duplicateOf
          ? 'already in the base (nothing embedded)'
          : j.retries
            ? `${j.retries} retries`
            : '',
    ]),
  ]);
}

function searchText(r: KbSearchView): string {
  const head = `${r.hits.length} hits for "${r.query}" (${r.model}, top ${r.topK}, score ≥ ${r.minScore}, ${r.tookMs} ms)`;
  return [
    head,
    ...r.hits.map(
      (h, i) =>
        `\n[${i + 1}] ${h.score.toFixed(3)} ${h.filename} #${h.chunkIndex}${h.page ? ` p. ${h.page}` : ''}${h.headings.length ? ` — ${h.headings.join(' › ')}` : ''}\n${h.content.slice(0, 400)}`,
    ),
  ].join('\n');
}

function answerText(r: KbAnswerView): string {
  return [
    r.reply ?? '(no reply)',
    '',
    `intent ${r.intent ?? '-'} · model ${r.model ?? 'template (no LLM)'} · $${r.costUsd ?? 'unpriced'} · ${r.tookMs} ms${r.escalated ? ' · escalated' : ''}`,
    ...r.sources.map((s) => `[${s.n}] ${s.filename ?? '?'} (${s.score?.toFixed(3) ?? '-'})`),
  ].join('\n');
}
