import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { CoreError, toErrorInfo } from '../errors';
import { appendAudit } from '../audit/trail';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { parseHostCatalog, resolveImages } from '../tenants/catalog';
import { mkdirHost, readHostFile, removeInside, tenantDir, writeHostFile } from '../tenants/hostfs';
import { acquireTenantLock, locksDir } from '../tenants/lock';
import { renderEnv } from '../tenants/render';
import { parseEnvFile } from '../tenants/resources';
import { backupDirOf, ensureAgent, readConfig, sweep } from './agent';
import { drillDownCommand, drillLockFilesCommand, nameTakenCommand } from './commands';
import type { RestoreReport } from './config';
import { log, where, type BackupDeps } from './context';
import { restoreData } from './data';
import { drillsDue } from './decisions';
import { drillCompose, drillName, drillsDir, DRILL_NAME } from './drillstack';
import { list, overview } from './queries';
import { recordReport } from './restore';
import { stage } from './stage';

/**
 * Restore drills: a backup restored into a throw-away, unrouted stack (drillstack.ts), its counts
 * compared with the manifest, the stack removed and the result recorded beside the backup; and
 * the weekly drills that are due.
 */

/** A drill's name must be free: no tenant folder, no drill folder, no compose project of that name. */
async function refuseTaken(t: HostTransport, host: HostRecord, name: string): Promise<void> {
  const r = await t.exec(
    nameTakenCommand(name, tenantDir(host.stateDir, name), posix.join(drillsDir(host.stateDir), name)),
    { timeoutMs: 60_000 },
  );
  const taken = r.stdout.split('\n').filter(Boolean);
  if (r.code !== 0 || taken.length)
    throw new CoreError(
      'backup.drill-name-taken',
      `The drill's name ${name} is already used on ${host.name}: ${taken.join(', ') || r.stderr.trim()}.`,
      'Nothing was touched. Run the drill again (it picks another name).',
    );
}

/** The drill's stack from the staged backup's compose file (see drillCompose), fresh secrets in its .env. */
async function makeDrillStack(
  t: HostTransport,
  host: HostRecord,
  dir: string,
  name: string,
  stageDir: string,
): Promise<void> {
  const backupCompose = await readHostFile(t, posix.join(stageDir, 'files', 'compose.yaml'));
  if (backupCompose === null)
    throw new CoreError(
      'backup.drill-files',
      'The backup holds no compose file.',
      'Drill another backup; this one cannot be restored as made.',
    );
  const backupEnv = parseEnvFile((await readHostFile(t, posix.join(stageDir, 'files', 'env'))) ?? '');
  const catalogText = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
  const images = resolveImages(
    host,
    parseHostCatalog(catalogText, `${host.name}:${host.stateDir}/catalog.json`),
  ).images;
  const secret = (): string => randomBytes(24).toString('hex');
  const env = {
    CLIENT_SLUG: name,
    TENANT_DOMAIN: '',
    TIMEZONE: backupEnv.TIMEZONE ?? 'UTC',
    POSTGRES_DB: backupEnv.POSTGRES_DB ?? 'truffles',
    POSTGRES_USER: backupEnv.POSTGRES_USER ?? 'truffles',
    POSTGRES_PASSWORD: secret(),
    QDRANT_API_KEY: secret(),
    REDIS_PASSWORD: secret(),
  };
  await mkdirHost(t, drillsDir(host.stateDir), '0750');
  await mkdirHost(t, dir, '0700');
  await writeHostFile(t, posix.join(dir, '.env'), renderEnv(env), 0o600);
  await writeHostFile(t, posix.join(dir, 'compose.yaml'), drillCompose(backupCompose, name, images), 0o640);
}

/** The drill's stack down with its volumes, then its folder. */
async function drillDown(t: HostTransport, host: HostRecord, dir: string, name: string): Promise<void> {
  if (!DRILL_NAME.test(name)) return;
  await t.exec(drillDownCommand(dir, name), {
    timeoutMs: 5 * 60_000,
  });
  await removeInside(t, drillsDir(host.stateDir), dir);
}

/**
 * The weekly drills that are due now: on hosts with a drill weekday equal to today's (this
 * machine's calendar), each running tenant with a backup whose last drill is older than six
 * days. Run one after another; the open console calls this hourly, `truffles backup drill-due`
 * does it from an operator's cron.
 */
export async function runDueDrills(d: BackupDeps, now = new Date()): Promise<RestoreReport[]> {
  const reports: RestoreReport[] = [];
  for (const h of await d.hosts.list()) {
    let due: string[];
    try {
      const host = await d.hosts.get(h.name);
      const t = await d.hosts.transport(h.name);
      const config = await readConfig(t, host);
      if (config?.drillWeekday !== now.getDay()) continue;
      due = drillsDue((await overview(d, h.name)).tenants, h.name, now);
    } catch {
      continue; // an unreachable host is drilled when it is back
    }
    for (const slug of due) {
      if (d.drilling.has(`${h.name}/${slug}`)) continue;
      d.drilling.add(`${h.name}/${slug}`);
      try {
        reports.push(await drill(d, { slug, host: h.name }));
      } finally {
        d.drilling.delete(`${h.name}/${slug}`);
      }
    }
  }
  return reports;
}

/**
 * Restore a backup into a throw-away tenant (same host, or `into`), compare counts with the
 * manifest, remove the throw-away tenant, and record the result beside the backup.
 */
export async function drill(
  d: BackupDeps,
  input: {
    slug: string;
    host?: string | undefined;
    backupId?: string | undefined;
    into?: string | undefined;
  },
): Promise<RestoreReport> {
  const started = Date.now();
  const src = await where(d, input.slug, input.host);
  const listed = await list(d, input.slug, src.host.name);
  const backupId = input.backupId ?? listed.backups[0]?.id;
  if (!backupId)
    throw new CoreError(
      'backup.none',
      `'${input.slug}' has no backup to drill.`,
      `Make one: truffles backup create ${input.slug}`,
    );
  const into = input.into ?? src.host.name;
  const dstHost = await d.hosts.get(into);
  const dt = await d.hosts.transport(into);
  await ensureAgent(d, dt, dstHost);
  // The drill's own lock, named after its stack: while it is held the stack and its staging are
  // the drill's; once it is gone (console killed, connection cut) the next sweep removes them.
  const target = drillName();
  const lock = await acquireTenantLock(dt, dstHost.stateDir, target, 'drill');
  const stageDir = posix.join(await backupDirOf(dt, dstHost), '.drills', target);
  const dir = posix.join(drillsDir(dstHost.stateDir), target);
  let made = false;
  let report: RestoreReport;
  try {
    await sweep(d, dt, dstHost, target);
    await refuseTaken(dt, dstHost, target);
    log(d, input.slug, 'info', `Drill: checking backup ${backupId}…`);
    await mkdirHost(dt, posix.dirname(stageDir), '0700');
    const manifest = await stage(
      d,
      { t: src.t, host: src.host, slug: input.slug, backupId },
      { t: dt, host: dstHost, dir: stageDir },
      input.slug,
    );
    log(d, input.slug, 'info', `Drill: starting the throw-away stack ${target} on ${into} (unrouted)`);
    made = true;
    await makeDrillStack(dt, dstHost, dir, target, stageDir);
    const compared = await restoreData(d, dt, dir, target, stageDir, manifest);
    report = {
      tenant: input.slug,
      host: src.host.name,
      backupId,
      kind: 'drill',
      ok: compared.mismatches.length === 0,
      at: new Date().toISOString(),
      safetyBackupId: null,
      target: `${target}@${into}`,
      seconds: 0,
      checked: compared.checked,
      mismatches: compared.mismatches,
      detail:
        compared.mismatches.length === 0
          ? `Restored into ${target} on ${into}; ${compared.checked} counts match.`
          : `Restored into ${target} on ${into}; ${compared.mismatches.length} of ${compared.checked} counts differ.`,
    };
  } catch (err) {
    const info = toErrorInfo(err);
    report = {
      tenant: input.slug,
      host: src.host.name,
      backupId,
      kind: 'drill',
      ok: false,
      at: new Date().toISOString(),
      safetyBackupId: null,
      target: `${target}@${into}`,
      seconds: 0,
      checked: 0,
      mismatches: [],
      detail: `${info.code}: ${info.message}`,
    };
  } finally {
    if (made) await drillDown(dt, dstHost, dir, target).catch(() => undefined);
    await removeInside(dt, posix.dirname(stageDir), stageDir).catch(() => undefined);
    await lock.release();
    // A drill's name is never used again: its lock and work-lock files go too.
    await dt
      .exec(drillLockFilesCommand(locksDir(dstHost.stateDir), target), { timeoutMs: 15_000 })
      .catch(() => undefined);
  }
  report.seconds = (Date.now() - started) / 1000;
  await recordReport(src.t, src.host, input.slug, report);
  await appendAudit(src.t, src.host, {
    action: 'backup.drill',
    subject: `tenant:${input.slug}`,
    details: { backupId, into, ok: report.ok },
  }).catch(() => undefined);
  d.emit({ type: 'backups.changed', host: src.host.name, slug: input.slug });
  return report;
}
