import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { HostTransport } from '../hosts/transport';
import { readHostFile } from '../tenants/hostfs';
import { guardedByLock } from '../tenants/lock';
import { DATA_SERVICES } from '../tenants/compose';
import { liftCpus, putCpusBack, type CpuService, type LiftedCpus } from '../tenants/cpus';
import { parseEnvFile } from '../tenants/resources';
import type { BackupManifest } from './archive';
import { execOk, log, type BackupDeps } from './context';
import {
  copyDumpInCommand,
  countPointsCommand,
  countRowsCommand,
  pgRestoreCommand,
  qdrantKeyHeader,
  recreateDatabaseCommand,
  removeDumpInContainerCommand,
  restoreQdrantCommand,
  startDataServicesCommand,
} from './datacommands';
import {
  compareCounts,
  parsePointCounts,
  parseRowCounts,
  restoreJobs,
  snapshotCollections,
  type Compared,
  type Counts,
} from './decisions';

/**
 * A tenant's data put back from a staged backup, for a restore and for a drill: its PostgreSQL
 * (`docker compose exec postgres`: psql, pg_restore) and its Qdrant (curl from the host to the
 * container's address), then the counts compared with the manifest.
 */

/** Counts as the tenant's database and Qdrant hold them now. */
async function countsNow(
  d: BackupDeps,
  t: HostTransport,
  dir: string,
  slug: string,
  env: Record<string, string>,
): Promise<Counts> {
  const r = await execOk(t, 'backup.count', `Counting the rows of '${slug}'`, countRowsCommand(dir, slug), {
    timeoutMs: 30 * 60_000,
  });
  const tables = parseRowCounts(r.stdout);
  const ip = await d.tenants.containerIp(t, slug, 'qdrant');
  const q = await execOk(
    t,
    'backup.count',
    `Counting the Qdrant points of '${slug}'`,
    countPointsCommand(ip),
    {
      timeoutMs: 10 * 60_000,
      stdin: Readable.from([qdrantKeyHeader(env.QDRANT_API_KEY)]),
    },
  );
  return { tables, points: parsePointCounts(q.stdout) };
}

/**
 * Put a tenant's data back from a staged backup: PostgreSQL (database recreated, then
 * pg_restore), Qdrant (collections replaced by snapshot upload, priority=snapshot) at the same
 * time — with n8n stopped and the data services up (recreated if the backup's compose differs) —
 * and compare the counts before n8n starts.
 */
export async function restoreData(
  d: BackupDeps,
  t: HostTransport,
  dir: string,
  slug: string,
  stageDir: string,
  manifest: BackupManifest,
): Promise<Compared> {
  const env = parseEnvFile((await readHostFile(t, posix.join(dir, '.env'))) ?? '');
  await execOk(t, 'backup.restore-start', `Starting the database`, startDataServicesCommand(dir, slug), {
    timeoutMs: 10 * 60_000,
  });
  await d.tenants.waitHealthy(t, slug, undefined, DATA_SERVICES);
  // pg_restore -j reads a file it can seek in, inside the database container: copied there (after
  // compose up, which may have recreated the container) and before the database is dropped, so
  // a full disk stops the restore while the data is still the tenant's own.
  let lifted: LiftedCpus | null = null;
  try {
    const jobs = await copyDumpIn(d, t, dir, slug, stageDir);
    lifted = await liftCpuLimit(d, t, dir, slug);
    return await restoreDatabase(d, { t, dir, slug, stageDir }, manifest, env, jobs);
  } finally {
    if (lifted) await putCpuLimitBack(d, t, slug, lifted);
    // Also after a copy that failed half-way (a full disk): what it wrote goes.
    await t
      .exec(removeDumpInContainerCommand(dir, slug), {
        timeoutMs: 60_000,
      })
      .catch(() => undefined);
  }
}

/**
 * Copies the staged dump into the database container (as the container's user, through exec,
 * so pg_restore there can read it). Returns how many pg_restore jobs to run: the host's CPUs, 1–4.
 */
async function copyDumpIn(
  d: BackupDeps,
  t: HostTransport,
  dir: string,
  slug: string,
  stageDir: string,
): Promise<number> {
  log(d, slug, 'info', 'Copying the dump into the database container');
  const r = await execOk(
    t,
    'backup.restore-copy',
    `Copying the dump into the database container of '${slug}' (Docker's disk needs room for one more copy of the dump)`,
    copyDumpInCommand(dir, slug, posix.join(stageDir, 'postgres.dump')),
    { timeoutMs: 60 * 60_000 },
  );
  return restoreJobs(r.stdout);
}

/**
 * While n8n is stopped nothing else of the tenant wants the CPU its plan allows PostgreSQL
 * (0.5 CPU on starter), and pg_restore — COPY and the index builds — is bound by it: the
 * container may use every CPU of the host for the restore (under contention the kernel still
 * shares them out among containers by weight). Likewise n8n's boot after the restore, until its
 * route answers, as a create's (tenants/steps/stack.ts). The limit that goes back is the one its
 * compose file declares, also when an earlier restore died before putting it back.
 */
export function liftCpuLimit(
  d: BackupDeps,
  t: HostTransport,
  dir: string,
  slug: string,
  service: CpuService = 'postgres',
): Promise<LiftedCpus | null> {
  return liftCpus(t, dir, slug, service, 'during the restore', (level, message) =>
    log(d, slug, level, message),
  );
}

export function putCpuLimitBack(
  d: BackupDeps,
  t: HostTransport,
  slug: string,
  lifted: LiftedCpus,
  service: CpuService = 'postgres',
): Promise<void> {
  return putCpusBack(t, lifted, service, 'restore', (level, message) => log(d, slug, level, message));
}

async function restoreDatabase(
  d: BackupDeps,
  staged: { t: HostTransport; dir: string; slug: string; stageDir: string },
  manifest: BackupManifest,
  env: Record<string, string>,
  jobs: number,
): Promise<Compared> {
  const { t, dir, slug, stageDir } = staged;
  log(d, slug, 'info', 'PostgreSQL: recreating the database and restoring the dump');
  await execOk(t, 'backup.restore-pg', `Recreating the database`, recreateDatabaseCommand(dir, slug), {
    timeoutMs: 10 * 60_000,
  });
  // Under the tenant's lock: pg_restore (in the container) stops when the lock goes (issue 11, item 4).
  const pgRestore = execOk(
    t,
    'backup.restore-pg',
    `pg_restore`,
    guardedByLock(t, slug, pgRestoreCommand(dir, slug, jobs), 'pg_restore', { stdinFromLock: true }),
    { timeoutMs: 6 * 3600_000 },
  );
  // Qdrant is restored at the same time, on its own channel of the same connection.
  log(d, slug, 'info', 'Qdrant: replacing collections from their snapshots');
  const qdrant = restoreQdrant(d, t, slug, stageDir, manifest, env);
  const [pg, qd] = await Promise.allSettled([pgRestore, qdrant]);
  if (pg.status === 'rejected') throw pg.reason;
  if (qd.status === 'rejected') throw qd.reason;
  return compareCounts(manifest, await countsNow(d, t, dir, slug, env));
}

/** Every Qdrant collection the backup has replaces the live one (snapshot upload, priority=snapshot); others go. */
async function restoreQdrant(
  d: BackupDeps,
  t: HostTransport,
  slug: string,
  stageDir: string,
  manifest: BackupManifest,
  env: Record<string, string>,
): Promise<void> {
  const ip = await d.tenants.containerIp(t, slug, 'qdrant');
  await execOk(
    t,
    'backup.restore-qdrant',
    `Restoring Qdrant`,
    guardedByLock(
      t,
      slug,
      restoreQdrantCommand(ip, stageDir, snapshotCollections(manifest)),
      'Qdrant snapshot upload',
    ),
    { timeoutMs: 6 * 3600_000, stdin: Readable.from([qdrantKeyHeader(env.QDRANT_API_KEY)]) },
  );
}
