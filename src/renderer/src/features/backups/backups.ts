/**
 * The renderer's logic for backups, kept apart from React so it is unit tested: how fresh a
 * tenant's last backup is (green up to 26 h, amber beyond, red beyond 48 h or when there is none),
 * the colours of a run, a drill and a tenant's row, the one-line summary of a backup's counts,
 * the gate of the restore dialog (the slug typed again), the schedule form, and the
 * `#/backups/…` routes.
 */
import { HHMMSchema, commands } from '../../../../shared/contract';
import type { CommandInput, CommandOutput } from '../../../../shared/contract';
import type { Tone } from '../tenants/tenants';
import { tenantHash, tenantInHash } from '../../kit/tenantHash';

export type { Tone };

export type BackupOverview = CommandOutput<'backups.overview'>;
export type BackupSummary = BackupOverview['tenants'][number];
export type BackupList = CommandOutput<'backups.list'>;
export type BackupEntry = BackupList['backups'][number];
export type BackupRun = BackupList['runs'][number];
export type RestoreReport = BackupList['restores'][number];
export type BackupSchedule = CommandOutput<'backups.schedule'>;
export type BackupKind = BackupEntry['kind'];
export type BackupKeyInfo = CommandOutput<'backups.keyInfo'>;

// ---------- freshness ----------

/** A backup older than this is shown amber: the nightly one was missed. */
export const STALE_WARNING_HOURS = 26;
/** Older than this (or none at all) is red: two nights without a backup. */
export const STALE_ERROR_HOURS = 48;

const HOUR_MS = 3_600_000;

/** Milliseconds since a backup was made (never negative; NaN for an unreadable time). */
export function backupAgeMs(createdAt: string, now: number = Date.now()): number {
  const t = Date.parse(createdAt);
  if (Number.isNaN(t)) return Number.NaN;
  return Math.max(0, now - t);
}

/**
 * How fresh a tenant's newest backup is: none at all red; older than 48 h red; older than 26 h
 * amber; otherwise green. A time that cannot be read is treated as no backup.
 */
export function freshnessTone(last: { createdAt: string } | null, now: number = Date.now()): Tone {
  if (!last) return 'error';
  const age = backupAgeMs(last.createdAt, now);
  if (Number.isNaN(age)) return 'error';
  if (age > STALE_ERROR_HOURS * HOUR_MS) return 'error';
  if (age > STALE_WARNING_HOURS * HOUR_MS) return 'warning';
  return 'ok';
}

/** The last run of the agent: succeeded green, failed red, skipped (tenant busy) blue, none grey. */
export function runTone(run: Pick<BackupRun, 'ok' | 'skipped'> | null): Tone {
  if (!run) return 'unknown';
  if (run.skipped) return 'info';
  return run.ok ? 'ok' : 'error';
}

/** A run's offsite copy: made green, failed red with its reason; null when none is set up. */
export function offsiteState(run: Pick<BackupRun, 'offsite'> | null): {
  tone: 'ok' | 'error';
  label: 'backups.run.offsiteOk' | 'backups.run.offsiteFailed';
  error: string | null;
} | null {
  const o = run?.offsite;
  if (!o) return null;
  return o.ok
    ? { tone: 'ok', label: 'backups.run.offsiteOk', error: null }
    : { tone: 'error', label: 'backups.run.offsiteFailed', error: o.error };
}

/** The last drill (or restore): passed green, failed red, none grey. */
export function drillTone(report: Pick<RestoreReport, 'ok'> | null): Tone {
  if (!report) return 'unknown';
  return report.ok ? 'ok' : 'error';
}

const SEVERITY: Record<Tone, number> = { error: 0, warning: 1, info: 2, unknown: 3, ok: 4 };

/** The worse of two colours (red over amber over blue over grey over green). */
export function worseTone(a: Tone, b: Tone): Tone {
  return SEVERITY[a] <= SEVERITY[b] ? a : b;
}

/**
 * A tenant's row: its freshness, made red by a failed last run. ("Never restored" is marked on
 * its own, in amber, and does not colour the row: a new tenant's backups are all unproven.)
 */
export function summaryTone(s: Pick<BackupSummary, 'last' | 'lastRun'>, now: number = Date.now()): Tone {
  const tone = freshnessTone(s.last, now);
  return s.lastRun && !s.lastRun.ok && !s.lastRun.skipped ? worseTone(tone, 'error') : tone;
}

/** How a restore or a drill ended: every count as in the backup, some counts off, or failed before counting. */
export function reportOutcome(r: Pick<RestoreReport, 'ok' | 'mismatches'>): 'ok' | 'mismatched' | 'failed' {
  if (r.ok) return 'ok';
  return r.mismatches.length > 0 ? 'mismatched' : 'failed';
}

/** Whether a backup was never restored or drilled successfully ("never restored"). */
export function neverRestored(entry: Pick<BackupEntry, 'provenAt'> | null): boolean {
  return entry !== null && entry.provenAt === null;
}

/** Rows that need attention first (red, amber, …), then by host and slug. */
export function sortSummaries(rows: readonly BackupSummary[], now: number = Date.now()): BackupSummary[] {
  return [...rows].sort(
    (a, b) =>
      SEVERITY[summaryTone(a, now)] - SEVERITY[summaryTone(b, now)] ||
      a.host.localeCompare(b.host) ||
      a.slug.localeCompare(b.slug),
  );
}

export interface BackupFilter {
  /** Host name, or '' for every host. */
  host: string;
  text: string;
  /** Only rows that are not green. */
  attention: boolean;
}

export function filterSummaries(
  rows: readonly BackupSummary[],
  f: BackupFilter,
  now: number = Date.now(),
): BackupSummary[] {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((r) => {
    if (f.host && r.host !== f.host) return false;
    if (f.attention && summaryTone(r, now) === 'ok') return false;
    if (words.length === 0) return true;
    const hay = [r.slug, r.host, r.state, r.last?.id ?? ''].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** Counts by freshness for the header: fresh, stale (amber), old or none (red). */
export function freshnessCounts(
  rows: readonly BackupSummary[],
  now: number = Date.now(),
): { ok: number; warning: number; error: number } {
  const out = { ok: 0, warning: 0, error: 0 };
  for (const r of rows) {
    const tone = freshnessTone(r.last, now);
    if (tone === 'ok' || tone === 'warning' || tone === 'error') out[tone] += 1;
  }
  return out;
}

// ---------- counts ----------

export interface CountsSummary {
  tables: number;
  rows: number;
  collections: number;
  points: number;
  workflows: number;
}

/** What a backup holds, summed: tables and their rows, Qdrant collections and points, workflows. */
export function summarizeCounts(counts: BackupEntry['counts']): CountsSummary {
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  return {
    tables: Object.keys(counts.tables).length,
    rows: sum(counts.tables),
    collections: Object.keys(counts.points).length,
    points: sum(counts.points),
    workflows: counts.workflows,
  };
}

// ---------- restore ----------

/** The restore dialog's gate: the slug typed again, exactly. */
export function restoreConfirmMatches(typed: string, slug: string): boolean {
  return typed.length > 0 && typed === slug;
}

/** Backups newest first (the core lists them so; made sure here for the drill's default). */
export function newestFirst<T extends { createdAt: string; id: string }>(entries: readonly T[]): T[] {
  return [...entries].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id.localeCompare(a.id),
  );
}

/** Runs and reports newest first by their `at`. */
export function newestAtFirst<T extends { at: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

// ---------- schedule ----------

export interface ScheduleDraft {
  at: string;
  daily: string;
  weekly: string;
  /** Where archives go on the host; empty leaves it to the host (its state folder's backups/). */
  backupDir: string;
  /** The weekday open consoles drill each tenant's newest backup: '0' (Sunday) to '6', or 'none'. */
  drillWeekday: string;
}

export function scheduleDraftFrom(s: BackupSchedule | null): ScheduleDraft {
  return {
    at: s?.at && HHMMSchema.safeParse(s.at).success ? s.at : '03:00',
    daily: String(s?.retention.daily ?? 7),
    weekly: String(s?.retention.weekly ?? 4),
    backupDir: s?.backupDir ?? '',
    drillWeekday: s && s.drillWeekday !== null ? String(s.drillWeekday) : 'none',
  };
}

/** The fields of the schedule form that are wrong: `true`, or the contract's message (the folder). */
export type ScheduleErrors = Partial<Record<'at' | 'daily' | 'weekly', true> & { backupDir: string }>;

export type ScheduleInput = CommandInput<'backups.schedule'>;

const scheduleInput = commands['backups.schedule'].input;

/** The schedule command's input from the form, or the fields that are wrong. */
export function scheduleInputFromDraft(
  host: string,
  d: ScheduleDraft,
): { ok: true; input: ScheduleInput } | { ok: false; errors: ScheduleErrors } {
  const errors: ScheduleErrors = {};
  const at = d.at.trim();
  if (!HHMMSchema.safeParse(at).success) errors.at = true;
  const daily = /^\d{1,3}$/.test(d.daily.trim()) ? Number(d.daily) : Number.NaN;
  const weekly = /^\d{1,3}$/.test(d.weekly.trim()) ? Number(d.weekly) : Number.NaN;
  if (!(daily >= 1 && daily <= 90)) errors.daily = true;
  if (!(weekly >= 0 && weekly <= 52)) errors.weekly = true;
  const backupDir = d.backupDir.trim();
  const input: ScheduleInput = { host, at, daily, weekly };
  if (/^[0-6]$/.test(d.drillWeekday)) input.drillWeekday = Number(d.drillWeekday);
  else if (d.drillWeekday === 'none') input.drillWeekday = null;
  if (backupDir) {
    input.backupDir = backupDir;
    const r = scheduleInput.safeParse({ host, backupDir });
    if (!r.success) errors.backupDir = r.error.issues[0]?.message ?? 'backupDir';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  // The contract has the last word (a host name it would refuse, say).
  if (!scheduleInput.safeParse(input).success) return { ok: false, errors: { at: true } };
  return { ok: true, input };
}

// ---------- routes ----------

export type BackupsRoute = { view: 'list' } | { view: 'tenant'; host: string; slug: string };

/** `#/backups` (every tenant), `#/backups/<host>/<slug>` (one tenant's backups). */
export function backupsRouteFromHash(hash: string): BackupsRoute {
  const tenant = tenantInHash(hash, 'backups');
  return tenant ? { view: 'tenant', ...tenant } : { view: 'list' };
}

export function hashForBackupsRoute(r: BackupsRoute): string {
  return r.view === 'tenant' ? tenantHash('backups', r.host, r.slug) : '#/backups';
}

export function backupKey(host: string, slug: string): string {
  return `${host}/${slug}`;
}
