import { BackupRunSchema, RestoreReportSchema, type CommandOutput } from '../../../shared/contract';
import type { BackupManifest } from './archive';
import { SidecarSchema, type BackupEntry, type BackupRun, type RestoreReport } from './config';

/**
 * The choices backups make from what a host answered, as pure functions: which counts a restore
 * must find again and which differ, what a listing holds, what the agent reported, which drills
 * are due. Tested without a host (test/unit/backups-decisions.test.ts).
 */

export interface Counts {
  tables: Record<string, number>;
  points: Record<string, number>;
}
export interface Compared {
  checked: number;
  mismatches: RestoreReport['mismatches'];
}

/** Tables whose counts a restore must find again: the application's, and n8n's workflows and credentials. */
export function comparedTable(name: string): boolean {
  return name.startsWith('public.') || name === 'n8n.workflow_entity' || name === 'n8n.credentials_entity';
}

/** The manifest's counts against the restored ones: every compared table and every collection. */
export function compareCounts(manifest: Pick<BackupManifest, 'counts'>, now: Counts): Compared {
  const mismatches: RestoreReport['mismatches'] = [];
  let checked = 0;
  for (const [name, expected] of Object.entries(manifest.counts.tables)) {
    if (!comparedTable(name)) continue;
    checked += 1;
    const actual = now.tables[name] ?? null;
    if (actual !== expected) mismatches.push({ what: `rows ${name}`, expected, actual });
  }
  for (const [name, expected] of Object.entries(manifest.counts.points)) {
    checked += 1;
    const actual = now.points[name] ?? null;
    if (actual !== expected) mismatches.push({ what: `points ${name}`, expected, actual });
  }
  return { checked, mismatches };
}

/** psql's `<table>\t<rows>` lines (datacommands.ts: countRowsCommand). */
export function parseRowCounts(stdout: string): Record<string, number> {
  const tables: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const [name, n] = line.split('\t');
    if (name && n !== undefined) tables[name] = Number(n);
  }
  return tables;
}

/** `<collection>\t<points>` lines (datacommands.ts: countPointsCommand); a count that is not a number is left out. */
export function parsePointCounts(stdout: string): Record<string, number> {
  const points: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const [name, n] = line.split('\t');
    if (name && n && /^\d+$/.test(n)) points[name] = Number(n);
  }
  return points;
}

/** The collections a backup holds snapshots of (`qdrant/<name>.snapshot`). */
export function snapshotCollections(manifest: Pick<BackupManifest, 'parts'>): string[] {
  return manifest.parts
    .filter((p) => p.name.startsWith('qdrant/') && p.name.endsWith('.snapshot'))
    .map((p) => p.name.slice('qdrant/'.length, -'.snapshot'.length));
}

/** pg_restore's jobs from the last line the dump copy printed (nproc): the host's CPUs, 1–4. */
export function restoreJobs(stdout: string): number {
  const cpus = Number(stdout.trim().split('\n').pop());
  return Number.isInteger(cpus) && cpus > 0 ? Math.min(cpus, 4) : 1;
}

export { parseLifted } from '../tenants/commands';

/** The agent's `RESULT <json>` line: the first that is a valid run. */
export function parseRunResult(stdout: string): BackupRun | undefined {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) => BackupRunSchema.safeParse(JSON.parse(l.slice(7))))
    .find((p) => p.success)?.data;
}

/**
 * A tenant's backup folder as listBackupsCommand printed it: backups newest first, each proven
 * by its last successful restore or drill; runs and restores newest first.
 */
export function parseListing(
  stdout: string,
  hostName: string,
): { backups: BackupEntry[]; runs: BackupRun[]; restores: RestoreReport[] } {
  const backups: BackupEntry[] = [];
  const runs: BackupRun[] = [];
  const restores: RestoreReport[] = [];
  for (const line of stdout.split('\n')) {
    const json = (): unknown => {
      try {
        return JSON.parse(line.slice(2));
      } catch {
        return null;
      }
    };
    if (line.startsWith('B ')) {
      const p = SidecarSchema.safeParse(json());
      if (p.success) backups.push({ ...p.data, host: hostName, provenAt: null });
    } else if (line.startsWith('R ')) {
      const p = BackupRunSchema.safeParse(json());
      if (p.success) runs.push(p.data);
    } else if (line.startsWith('D ')) {
      const p = RestoreReportSchema.safeParse(json());
      if (p.success) restores.push(p.data);
    }
  }
  for (const b of backups)
    b.provenAt =
      restores
        .filter((x) => x.backupId === b.id && x.ok)
        .map((x) => x.at)
        .sort()
        .pop() ?? null;
  backups.sort((a, b) => (a.id < b.id ? 1 : -1));
  runs.reverse();
  restores.reverse();
  return { backups, runs, restores };
}

/**
 * The tenants of `hostName` whose weekly drill is due at `now`: running, with a backup, and no
 * drill in the last six days. (Whether today is the host's drill day is the caller's check.)
 */
export function drillsDue(
  tenants: CommandOutput<'backups.overview'>['tenants'],
  hostName: string,
  now: Date,
): string[] {
  const weekAgo = now.getTime() - 6 * 24 * 3600_000;
  return tenants
    .filter(
      (x) =>
        x.host === hostName &&
        x.state === 'running' &&
        x.last !== null &&
        !(x.lastDrill && Date.parse(x.lastDrill.at) > weekAgo),
    )
    .map((x) => x.slug);
}
