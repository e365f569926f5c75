/**
 * The Knowledge screen's logic, kept apart from React so it is unit tested: the address of a
 * tenant's knowledge base (`#/knowledge/<host>/<slug>`), merging the jobs `kb.progress` events
 * carry, when a change calls for reading the documents again, what colour and words a document's
 * status and a job's phase get, what to do about each error code, and small formatting of the
 * search hits and the bot's answer.
 */
import type { KbDocumentView, KbJobView, TenantView } from '../../../../shared/contract';
import { KB_FINAL_PHASES } from '../../../../shared/kb/protocol';
import type { KbPhase } from '../../../../shared/kb/protocol';
import { tenantHash, tenantInHash } from '../../kit/tenantHash';

/** The colours of the UI: green, blue (at work), amber, red, grey. */
export type Tone = 'ok' | 'info' | 'warning' | 'error' | 'unknown';

export interface TenantRef {
  host: string;
  slug: string;
}

// ---------- the address ----------

/** The tenant `#/knowledge/<host>/<slug>` names, or null for `#/knowledge`. */
export function knowledgeTenantFromHash(hash: string): TenantRef | null {
  return tenantInHash(hash, 'knowledge');
}

export function knowledgeHash(t: TenantRef | null): string {
  return t ? tenantHash('knowledge', t.host, t.slug) : '#/knowledge';
}

export function sameTenant(a: TenantRef | null, b: TenantRef | null): boolean {
  return a?.host === b?.host && a?.slug === b?.slug;
}

/** A tenant the picker offers: where it is, and its state when the tenant records are read. */
export interface PickerTenant extends TenantRef {
  state: TenantView['state'] | null;
}

/**
 * A support console's tenants (issue 17): a support key cannot read the tenant records, so they
 * are the ones the hosts' agents show containers of (with no state).
 */
export function tenantsFromAgents(
  hosts: Readonly<Record<string, { containers: Readonly<Record<string, { tenant: string | null }>> }>>,
): PickerTenant[] {
  const out: PickerTenant[] = [];
  for (const [host, entry] of Object.entries(hosts)) {
    const slugs = new Set<string>();
    for (const c of Object.values(entry.containers)) if (c.tenant) slugs.add(c.tenant);
    for (const slug of slugs) out.push({ host, slug, state: null });
  }
  return out;
}

// ---------- jobs ----------

export function isFinal(phase: KbPhase): boolean {
  return KB_FINAL_PHASES.includes(phase);
}

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/** Newest first (by creation), then by id so the order is stable. */
export function sortJobs(jobs: readonly KbJobView[]): KbJobView[] {
  return [...jobs].sort((a, b) => time(b.createdAt) - time(a.createdAt) || a.id.localeCompare(b.id));
}

/**
 * The jobs with `incoming` merged in by id: a job replaces the one known when it is not older
 * (`updatedAt`), so a late event never takes a job back to an earlier phase. Newest first.
 * Returns `current` itself when nothing changed.
 */
export function mergeJobs(current: readonly KbJobView[], incoming: readonly KbJobView[]): KbJobView[] {
  if (incoming.length === 0) return current as KbJobView[];
  const byId = new Map(current.map((j) => [j.id, j]));
  let changed = false;
  for (const j of incoming) {
    const known = byId.get(j.id);
    if (known && time(j.updatedAt) < time(known.updatedAt)) continue;
    if (known && known.updatedAt === j.updatedAt && known.phase === j.phase && known.done === j.done) {
      // The same record again (the watch's first batch repeats what kb.list gave).
      if (JSON.stringify(known) === JSON.stringify(j)) continue;
    }
    byId.set(j.id, j);
    changed = true;
  }
  return changed ? sortJobs([...byId.values()]) : (current as KbJobView[]);
}

/**
 * Whether the documents should be read again after `incoming` was merged into `before`: a job
 * reached a final phase (its document is ready, failed or gone), or a job registered a document
 * the list does not hold yet (a new upload's row appears while it is indexed).
 */
export function needsReload(
  before: readonly KbJobView[],
  incoming: readonly KbJobView[],
  documentIds: ReadonlySet<string>,
): boolean {
  const known = new Map(before.map((j) => [j.id, j]));
  return incoming.some((j) => {
    const prev = known.get(j.id);
    if (prev && time(j.updatedAt) < time(prev.updatedAt)) return false;
    if (isFinal(j.phase)) return !prev || !isFinal(prev.phase);
    return j.documentId !== null && !documentIds.has(j.documentId) && prev?.documentId !== j.documentId;
  });
}

/** The newest job at work on a document (not final), if any. */
export function activeJobFor(jobs: readonly KbJobView[], documentId: string): KbJobView | undefined {
  return jobs.find((j) => j.documentId === documentId && !isFinal(j.phase));
}

/** A job's phase colour: at work blue, done green (a duplicate blue), failed red, queued or cancelled grey. */
export function jobTone(job: Pick<KbJobView, 'phase' | 'duplicateOf'>): Tone {
  switch (job.phase) {
    case 'done':
      return job.duplicateOf ? 'info' : 'ok';
    case 'error':
      return 'error';
    case 'queued':
    case 'cancelled':
      return 'unknown';
    default:
      return 'info';
  }
}

/** Whether a job is at work now (a spinner). */
export function jobBusy(phase: KbPhase): boolean {
  return !isFinal(phase) && phase !== 'queued';
}

/** The phases whose progress is counted (chunks embedded, points written). */
export function countedPhase(phase: KbPhase): boolean {
  return phase === 'embedding' || phase === 'indexing';
}

/** A job's progress in its counted phase, 0–100; null when its phase is not counted. */
export function jobPercent(job: Pick<KbJobView, 'phase' | 'done' | 'total'>): number | null {
  if (!countedPhase(job.phase) || job.total <= 0) return null;
  return Math.max(0, Math.min(100, Math.round((job.done / job.total) * 100)));
}

// ---------- documents ----------

export type DocStatus = KbDocumentView['status'];

/** What a document's status cell shows. */
export interface DocStatusView {
  status: DocStatus;
  tone: Tone;
  busy: boolean;
  /** The error's code (`needs-ocr` …) when it failed and the text names one. */
  code: ErrorCode | null;
  /** The error's text without its code. */
  reason: string | null;
  /** The job at work on it (its phase and done/total), while processing. */
  job: KbJobView | null;
}

/** The error codes the worker sets (`code: message` in a document's error), each with its hint. */
export const ERROR_CODES = [
  'needs-ocr',
  'unsupported-type',
  'empty',
  'corrupt',
  'encrypted',
  'too-large',
  'llm-unreachable',
  'llm-refused',
  'llm-rate-limited',
  'llm-not-configured',
  'qdrant',
  'database',
  'tenant',
  'interrupted',
  'cancelled',
  'not-found',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function knownCode(code: string | null | undefined): ErrorCode | null {
  return code && (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : null;
}

/** A document's error text split into its code and its reason (`needs-ocr: no text on 12 pages`). */
export function splitError(text: string | null): { code: ErrorCode | null; reason: string | null } {
  if (!text) return { code: null, reason: null };
  const m = /^([a-z][a-z0-9-]*):\s*([\s\S]*)$/.exec(text.trim());
  const code = knownCode(m?.[1]);
  if (m && code) return { code, reason: m[2]?.trim() || null };
  return { code: null, reason: text };
}

/** Ready green; processing blue with its job's progress; error red with its code and reason. */
export function docStatusView(doc: KbDocumentView, jobs: readonly KbJobView[]): DocStatusView {
  const job = activeJobFor(jobs, doc.id) ?? null;
  if (doc.status === 'ready' && !job)
    return { status: 'ready', tone: 'ok', busy: false, code: null, reason: null, job: null };
  if (doc.status === 'error' && !job) {
    const { code, reason } = splitError(doc.error);
    return { status: 'error', tone: 'error', busy: false, code, reason, job: null };
  }
  // Processing, or a ready/failed document being indexed again.
  return { status: 'processing', tone: 'info', busy: true, code: null, reason: null, job };
}

/** The type a document is shown with: PDF, DOCX, TXT, MD (from its type, or its name). */
export function docTypeLabel(type: string | null, filename: string): string {
  const t = (type ?? filename.split('.').pop() ?? '').toLowerCase();
  if (t === 'markdown' || t === 'md') return 'MD';
  if (t === 'text') return 'TXT';
  return t ? t.toUpperCase().slice(0, 5) : '?';
}

/** Documents newest first, then by name. */
export function sortDocuments(docs: readonly KbDocumentView[]): KbDocumentView[] {
  return [...docs].sort(
    (a, b) => time(b.createdAt) - time(a.createdAt) || a.filename.localeCompare(b.filename),
  );
}

// ---------- chunks ----------

export const CHUNK_PAGE = 50;

/** "51–100": the rows one page of chunks shows (1-based), or null when there are none. */
export function pageRange(offset: number, count: number): { from: number; to: number } | null {
  return count > 0 ? { from: offset + 1, to: offset + count } : null;
}

/** The heading path of a chunk: "Chapter 1 › Prices". */
export function headingPath(headings: readonly string[]): string {
  return headings.filter((h) => h.trim()).join(' › ');
}

/** "p. 3" or "p. 3–5" as numbers; null when the chunk has no page. */
export function pageSpan(page: number | null, pageEnd: number | null): string | null {
  if (page === null) return null;
  return pageEnd !== null && pageEnd !== page ? `${page}–${pageEnd}` : String(page);
}

// ---------- search and ask ----------

export const PREVIEW_CHARS = 400;

/** The start of a long text (cut at a word near `max`), and whether it was cut. */
export function preview(text: string, max: number = PREVIEW_CHARS): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  const head = text.slice(0, max);
  const space = head.lastIndexOf(' ');
  return { text: `${(space > max * 0.6 ? head.slice(0, space) : head).trimEnd()}…`, cut: true };
}

/** A score's bar: cosine similarity 0–1 as 0–100 %. */
export function scorePercent(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.max(0, Math.min(100, Math.round(score * 100)));
}

/** "$0.0012" from the core's decimal string; null when it is unpriced (null or not a number). */
export function dollars(costUsd: string | null): string | null {
  if (costUsd === null) return null;
  const n = Number(costUsd);
  if (!Number.isFinite(n)) return null;
  return `$${costUsd.replace(/^\+/, '')}`;
}
