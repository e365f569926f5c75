import { posix } from 'node:path';
import type { CommandOutput } from '../../../shared/contract';
import type { HostRecord } from '../store/schema';
import { agentVersion, backupDirOf, missingTools, readConfig } from './agent';
import { listBackupsCommand, scheduledViaCommand } from './commands';
import {
  defaultConfig,
  type AgentConfig,
  type BackupEntry,
  type BackupRun,
  type BackupSchedule,
  type KeyStatus,
  type RestoreReport,
} from './config';
import { where, type BackupDeps } from './context';
import { parseListing } from './decisions';

/** What is there: a tenant's backups, the fleet's overview, a host's keys and schedule. Reads only. */

export async function list(
  d: BackupDeps,
  slug: string,
  hostName?: string,
): Promise<{ backups: BackupEntry[]; runs: BackupRun[]; restores: RestoreReport[] }> {
  const { host, t } = await where(d, slug, hostName);
  const dir = posix.join(await backupDirOf(t, host), slug);
  const r = await t.exec(listBackupsCommand(dir), { timeoutMs: 30_000 });
  return parseListing(r.stdout, host.name);
}

export async function overview(d: BackupDeps, hostName?: string): Promise<CommandOutput<'backups.overview'>> {
  const listed = await d.tenants.list(hostName);
  const tenants: CommandOutput<'backups.overview'>['tenants'] = [];
  await Promise.all(
    listed.tenants.map(async (tv) => {
      try {
        const l = await list(d, tv.slug, tv.host);
        tenants.push({
          host: tv.host,
          slug: tv.slug,
          state: tv.state,
          last: l.backups[0] ?? null,
          lastRun: l.runs[0] ?? null,
          lastDrill: l.restores.find((x) => x.kind === 'drill') ?? null,
          count: l.backups.length,
          bytes: l.backups.reduce((n, b) => n + b.size, 0),
        });
      } catch {
        tenants.push({
          host: tv.host,
          slug: tv.slug,
          state: tv.state,
          last: null,
          lastRun: null,
          lastDrill: null,
          count: 0,
          bytes: 0,
        });
      }
    }),
  );
  tenants.sort((a, b) => (a.host + a.slug < b.host + b.slug ? -1 : 1));
  return {
    tenants,
    unreachable: listed.unreachable.map((u) => ({ host: u.host, error: u.error.message })),
  };
}

export async function keyStatus(d: BackupDeps, hostName: string): Promise<KeyStatus> {
  const host = await d.hosts.get(hostName);
  const t = await d.hosts.transport(hostName);
  return statusOf(d, host, await readConfig(t, host));
}

export async function statusOf(
  d: BackupDeps,
  host: HostRecord,
  config: AgentConfig | null,
): Promise<KeyStatus> {
  const ours = (await d.keys.info())?.recipient ?? null;
  const recipients = (config?.recipients ?? []).map((r) => ({ ...r, ours: r.recipient === ours }));
  return {
    host: host.name,
    configured: config !== null,
    ours,
    matches: recipients.some((r) => r.ours),
    recipients,
  };
}

export async function scheduleInfo(d: BackupDeps, hostName: string): Promise<BackupSchedule> {
  const host = await d.hosts.get(hostName);
  const t = await d.hosts.transport(hostName);
  const config = await readConfig(t, host);
  const missing = await missingTools(t);
  const r = await t.exec(scheduledViaCommand(), { timeoutMs: 15_000 });
  const via = (['systemd', 'cron'].includes(r.stdout.trim()) ? r.stdout.trim() : 'none') as
    'systemd' | 'cron' | 'none';
  const base = config ?? defaultConfig(host, '');
  return {
    host: hostName,
    installed: config !== null && via !== 'none',
    at: base.at,
    via,
    agentVersion: config ? await agentVersion(t, host) : null,
    backupDir: base.backupDir,
    retention: base.retention,
    offsite: base.offsite
      ? {
          target: `${base.offsite.target}:${base.offsite.path}`,
          keep: base.offsite.keep,
          fingerprint: base.offsite.hostKey?.fingerprint ?? null,
        }
      : null,
    recipients: base.recipients,
    drillWeekday: base.drillWeekday,
    missing,
  };
}
