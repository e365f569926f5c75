import { CoreError } from '../errors';
import { appendAudit } from '../audit/trail';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { ensureAgent } from './agent';
import { agentRunCommand, type RunKind } from './commands';
import type { BackupEntry } from './config';
import { log, type BackupDeps } from './context';
import { parseRunResult } from './decisions';
import { list } from './queries';

/** Taking a backup: the host's agent does the work, on demand here. */

/** Run the agent for one tenant now; resolves with the new backup, or throws with the agent's reason. */
export async function create(
  d: BackupDeps,
  slug: string,
  hostName?: string,
  kind: 'manual' | 'safety' | 'pre-update' | 'final' = 'manual',
  signal?: AbortSignal,
): Promise<BackupEntry> {
  const { host, t } = await d.tenants.locate(slug, hostName);
  return runAgent(d, t, host, slug, kind, signal ? { signal } : {});
}

/**
 * Runs the agent for one tenant. The agent takes the tenant's lock itself (non-blocking: a busy
 * tenant is refused with `tenant.locked`) unless the caller holds it already (`lockHeld`: the
 * restore's safety backup), which the agent is told so that it does not wait for itself.
 */
export async function runAgent(
  d: BackupDeps,
  t: HostTransport,
  host: HostRecord,
  slug: string,
  kind: RunKind,
  options: { lockHeld?: boolean; signal?: AbortSignal } = {},
): Promise<BackupEntry> {
  const config = await ensureAgent(d, t, host);
  log(d, slug, 'info', `Backing up '${slug}' on ${host.name} (${kind})…`);
  let pending = '';
  const r = await t.exec(
    agentRunCommand(host.stateDir, slug, kind, config.recipient, options.lockHeld === true),
    {
      timeoutMs: 6 * 3600_000,
      ...(options.signal ? { signal: options.signal } : {}),
      onStderr: (data) => {
        pending += data.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) log(d, slug, 'info', l);
      },
    },
  );
  const result = parseRunResult(r.stdout);
  if (result?.skipped)
    throw new CoreError(
      'tenant.locked',
      `Tenant '${slug}' was not backed up: ${result.error ?? 'it is busy'}.`,
      'Wait for that operation to finish, then retry. Earlier backups are untouched.',
      { run: result },
    );
  if (r.code !== 0 || !result?.ok || !result.id) {
    const why =
      result?.error ?? (r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${String(r.code)}`);
    log(d, slug, 'error', `Backup failed: ${why}`);
    throw new CoreError(
      'backup.failed',
      `The backup of '${slug}' on ${host.name} failed: ${why}`,
      /full/i.test(why)
        ? `Free space in ${config.backupDir} on the host (or move backups elsewhere: truffles backup schedule ${host.name} --dir PATH). Earlier backups are untouched.`
        : 'Earlier backups are untouched. Check the tenant’s health (truffles tenant status) and retry.',
      { run: result ?? null },
    );
  }
  const entry = (await list(d, slug, host.name)).backups.find((b) => b.id === result.id);
  if (!entry)
    throw new CoreError(
      'backup.missing',
      `The agent reported backup ${result.id}, but it is not in ${config.backupDir}/${slug}.`,
      'Look at the host’s backup folder.',
    );
  await appendAudit(t, host, {
    action: 'backup.create',
    subject: `tenant:${slug}`,
    details: { id: entry.id, kind, size: entry.size },
  }).catch(() => undefined);
  d.emit({ type: 'backups.changed', host: host.name, slug });
  return entry;
}
