import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { CoreError, toErrorInfo } from '../errors';
import { appendAudit } from '../audit/trail';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { readHostFile, removeInside, tenantDir } from '../tenants/hostfs';
import { acquireTenantLock } from '../tenants/lock';
import { backupDirOf, ensureAgent, sweep } from './agent';
import { appendReportCommand } from './commands';
import type { RestoreReport } from './config';
import { execOk, log, type BackupDeps } from './context';
import { runAgent } from './create';
import { liftCpuLimit, putCpuLimitBack, restoreData } from './data';
import { putFilesBackCommand, startStackCommand, stopDataUsersCommand, stopN8nCommand } from './datacommands';
import { stage } from './stage';

/**
 * Restoring a tenant in place, under its lock: the backup is staged and checked whole first
 * (stage.ts), a safety backup taken, n8n stopped, the files and data put back (data.ts), the
 * tenant started and its route checked, and a report recorded beside the backups.
 */

/** A restore's or drill's report, beside the backups of the tenant it read (never fails the caller). */
export async function recordReport(
  t: HostTransport,
  host: HostRecord,
  slug: string,
  report: RestoreReport,
): Promise<void> {
  const dir = posix.join(await backupDirOf(t, host), slug);
  await t
    .exec(appendReportCommand(dir, JSON.stringify(report)), { timeoutMs: 15_000 })
    .catch(() => undefined);
}

export async function restore(
  d: BackupDeps,
  input: {
    slug: string;
    host?: string | undefined;
    backupId: string;
    confirm: string;
    skipSafetyBackup?: boolean | undefined;
  },
): Promise<RestoreReport> {
  const { slug, backupId } = input;
  if (input.confirm !== slug)
    throw new CoreError(
      'backup.confirm',
      `To restore '${slug}', confirm with its slug (got '${input.confirm}').`,
      `Add --confirm ${slug}`,
    );
  const started = Date.now();
  const { host, t, record } = await d.tenants.locate(slug, input.host);
  const dir = tenantDir(host.stateDir, slug);
  const lock = await acquireTenantLock(t, host.stateDir, slug, 'restore');
  // Leftovers first: a restore or drill cut off earlier left decrypted data behind.
  await ensureAgent(d, t, host)
    .then(() => sweep(d, t, host, slug))
    .catch((e: unknown) => log(d, slug, 'warn', `No sweep before the restore: ${(e as Error).message}`));
  const stageDir = posix.join(
    await backupDirOf(t, host),
    slug,
    `.restore-${backupId}-${randomBytes(3).toString('hex')}`,
  );
  let safety: string | null = null;
  let touched = false;
  try {
    log(d, slug, 'info', `Checking backup ${backupId} (decrypting here, every part against its sha256)…`);
    const manifest = await stage(d, { t, host, slug, backupId }, { t, host, dir: stageDir }, slug);
    if (!input.skipSafetyBackup) {
      log(d, slug, 'info', 'Taking a safety backup of the current state…');
      safety = (await runAgent(d, t, host, slug, 'safety', { lockHeld: true })).id;
    }
    // Only what uses the data stops (n8n and anything but the three data services): PostgreSQL,
    // Qdrant and Redis keep running, the database is dropped and recreated under them.
    log(d, slug, 'info', 'Stopping n8n');
    touched = true;
    await execOk(t, 'backup.restore-stop', `Stopping '${slug}'`, stopDataUsersCommand(dir, slug), {
      timeoutMs: 5 * 60_000,
    });
    // The tenant's files as they were (its .env holds the n8n key its credentials were encrypted with).
    await execOk(t, 'backup.restore-files', `Putting the files back`, putFilesBackCommand(stageDir, dir), {
      timeoutMs: 60_000,
    });
    const compared = await restoreData(d, t, dir, slug, stageDir, manifest);
    log(d, slug, 'info', 'Starting the tenant');
    await execOk(t, 'backup.restore-start', `Starting '${slug}'`, startStackCommand(dir, slug), {
      timeoutMs: 10 * 60_000,
    });
    // n8n boots as in a create: with every CPU of the host until its route answers.
    const n8nLifted = await liftCpuLimit(d, t, dir, slug, 'n8n');
    try {
      log(d, slug, 'info', 'Waiting for every service to be healthy');
      await d.tenants.waitHealthy(t, slug);
      log(d, slug, 'info', 'Healthy; checking the route');
      const restoredRecord = await readHostFile(t, posix.join(dir, 'tenant.json'));
      const restored = restoredRecord
        ? (JSON.parse(restoredRecord) as { state?: string; domain?: string })
        : record;
      if (restored.state === 'suspended') await t.exec(stopN8nCommand(dir, slug), { timeoutMs: 5 * 60_000 });
      // n8n answers its webhooks some seconds after it reports healthy: the route is awaited as a
      // create awaits it (n8n's own log line, then the edge asked again soon), for as long as n8n
      // makes progress.
      else
        await d.tenants.waitRoute(t, host.stateDir, slug, restored.domain ?? record.domain, (note) =>
          log(d, slug, 'info', note),
        );
    } finally {
      if (n8nLifted) await putCpuLimitBack(d, t, slug, n8nLifted, 'n8n');
    }
    log(d, slug, 'info', 'Recording the report');
    const report: RestoreReport = {
      tenant: slug,
      host: host.name,
      backupId,
      kind: 'restore',
      ok: compared.mismatches.length === 0,
      at: new Date().toISOString(),
      safetyBackupId: safety,
      target: slug,
      seconds: (Date.now() - started) / 1000,
      checked: compared.checked,
      mismatches: compared.mismatches,
      detail:
        compared.mismatches.length === 0
          ? `Restored ${manifest.createdAt}; ${compared.checked} counts match the manifest.`
          : `Restored, but ${compared.mismatches.length} of ${compared.checked} counts differ from the manifest.`,
    };
    await recordReport(t, host, slug, report);
    await appendAudit(t, host, {
      action: 'backup.restore',
      subject: `tenant:${slug}`,
      details: { backupId, safety, ok: report.ok },
    }).catch(() => undefined);
    d.emit({ type: 'backups.changed', host: host.name, slug });
    d.emit({ type: 'tenants.changed', host: host.name });
    return report;
  } catch (err) {
    if (touched) {
      const info = toErrorInfo(err);
      await recordReport(t, host, slug, {
        tenant: slug,
        host: host.name,
        backupId,
        kind: 'restore',
        ok: false,
        at: new Date().toISOString(),
        safetyBackupId: safety,
        target: slug,
        seconds: (Date.now() - started) / 1000,
        checked: 0,
        mismatches: [],
        detail: info.message,
      });
      throw new CoreError(
        'backup.restore-failed',
        `Restoring '${slug}' from ${backupId} failed: ${info.message}`,
        safety
          ? `The state before the restore is in backup ${safety}: truffles backup restore ${slug} --backup ${safety} --no-safety-backup`
          : info.hint,
        { cause: info, safetyBackupId: safety },
      );
    }
    throw err;
  } finally {
    await removeInside(t, posix.dirname(stageDir), stageDir).catch(() => undefined);
    await lock.release();
  }
}
