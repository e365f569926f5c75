import { posix } from 'node:path';
import { CoreError } from '../errors';
import { appendAudit } from '../audit/trail';
import type { HostTransport } from '../hosts/transport';
import { probeHostKey } from '../ssh/connection';
import type { HostRecord } from '../store/schema';
import { writeHostFile } from '../tenants/hostfs';
import { installAgent, readConfig } from './agent';
import {
  agentDir,
  agentPath,
  cronLine,
  enableTimerCommand,
  hasSshCommand,
  installCronCommand,
  removeFiles,
  schedulerKindCommand,
  SYSTEMD_SERVICE_FILE,
  SYSTEMD_TIMER_FILE,
  systemdUnits,
} from './commands';
import {
  defaultConfig,
  keyMismatch,
  type AgentConfig,
  type BackupSchedule,
  type OffsiteInput,
  type ScheduleInput,
} from './config';
import type { BackupDeps } from './context';
import { scheduleInfo } from './queries';

/** A host's daily backups: the agent's settings, its timer or cron line, and the offsite reserve's pinned key. */

const ABS_PATH = /^\/[A-Za-z0-9._/-]*$/;
const OFFSITE_KNOWN_HOSTS = 'offsite_known_hosts';

/** The key type inside an SSH public key blob (its first string): what a known_hosts line names. */
function keyType(blob: Buffer): string {
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('ascii');
}

/** Install or change the daily schedule (systemd timer when the SSH user may, else the user's crontab). */
export async function schedule(d: BackupDeps, input: ScheduleInput): Promise<BackupSchedule> {
  const host = await d.hosts.get(input.host);
  const t = await d.hosts.transport(input.host);
  if (input.backupDir !== undefined && (!ABS_PATH.test(input.backupDir) || input.backupDir.includes('..')))
    throw new CoreError(
      'backup.dir-invalid',
      `'${input.backupDir}' is not an absolute path of letters, digits, ".", "_", "-" and "/".`,
      'Give a plain absolute path, e.g. /srv/backups/truffles.',
    );
  const recipient = await d.keys.recipient();
  const existing = await readConfig(t, host);
  if (existing && !existing.recipients.some((r) => r.recipient === recipient))
    throw keyMismatch(host, existing, recipient);
  const current = existing ?? defaultConfig(host, recipient);
  const config: AgentConfig = {
    ...current,
    at: input.at ?? current.at,
    backupDir: input.backupDir ?? current.backupDir,
    retention: {
      daily: input.daily ?? current.retention.daily,
      weekly: input.weekly ?? current.retention.weekly,
    },
    offsite:
      input.offsite === undefined
        ? current.offsite
        : input.offsite === null
          ? null
          : await pinReserve(host, input.offsite),
    drillWeekday: input.drillWeekday !== undefined ? input.drillWeekday : current.drillWeekday,
  };
  if (config.offsite) {
    const ssh = await t.exec(hasSshCommand(), { timeoutMs: 15_000 });
    if (ssh.code !== 0)
      throw new CoreError(
        'backup.agent-tools',
        `${host.name} has no ssh client for the offsite copy.`,
        'On the host (Debian/Ubuntu): sudo apt-get install openssh-client',
        { missing: ['ssh'] },
      );
  }
  await installAgent(d, t, host, config);
  await writeReserveKey(t, host, config.offsite);
  const agent = agentPath(host.stateDir);
  const logFile = posix.join(agentDir(host.stateDir), 'agent.log');
  const how = await t.exec(schedulerKindCommand(), { timeoutMs: 15_000 });
  const via = how.stdout.trim();
  if (via === 'systemd') {
    const units = systemdUnits(agent, config.at);
    await writeHostFile(t, SYSTEMD_SERVICE_FILE, units.service, 0o644);
    await writeHostFile(t, SYSTEMD_TIMER_FILE, units.timer, 0o644);
    const r = await t.exec(enableTimerCommand(), {
      timeoutMs: 60_000,
    });
    if (r.code !== 0)
      throw new CoreError(
        'backup.schedule',
        `systemd refused the timer: ${r.stderr.trim()}`,
        'See the message.',
      );
  } else if (via === 'cron') {
    const r = await t.exec(installCronCommand(cronLine(agent, logFile, config.at)), { timeoutMs: 30_000 });
    if (r.code !== 0)
      throw new CoreError(
        'backup.schedule',
        `The crontab of ${host.user} on ${host.name} could not be written: ${r.stderr.trim()}`,
        'Check /etc/cron.allow and /etc/cron.deny on the host.',
      );
  }
  await appendAudit(t, host, {
    action: 'backup.schedule',
    subject: `host:${host.name}`,
    details: {
      at: config.at,
      via,
      backupDir: config.backupDir,
      retention: config.retention,
      offsite: config.offsite
        ? { target: config.offsite.target, fingerprint: config.offsite.hostKey?.fingerprint ?? null }
        : null,
    },
  }).catch(() => undefined);
  return scheduleInfo(d, input.host);
}

/**
 * The reserve server's host key, read from this console (the hosts' probe: handshake only,
 * nothing trusted) and kept only when it is the fingerprint the operator confirmed. The host's
 * agent then connects with StrictHostKeyChecking=yes against exactly this key.
 */
async function pinReserve(host: HostRecord, o: OffsiteInput): Promise<NonNullable<AgentConfig['offsite']>> {
  const address = o.target.slice(o.target.indexOf('@') + 1);
  const offered = await probeHostKey(address, o.port, 20_000).catch((err: unknown) => {
    throw new CoreError(
      'backup.offsite-unreachable',
      `The reserve server ${address}:${o.port} cannot be reached from this console to read its host key: ${(err as Error).message}`,
      'Check the address and port; the console reads the key the host will have to trust.',
    );
  });
  if (o.acceptFingerprint !== offered.fingerprint)
    throw new CoreError(
      'backup.offsite-fingerprint',
      o.acceptFingerprint
        ? `The reserve server ${address}:${o.port} offers ${offered.fingerprint}, not the confirmed ${o.acceptFingerprint}.`
        : `Confirm the reserve server's host key: ${address}:${o.port} offers ${offered.algorithm} ${offered.fingerprint}.`,
      `Compare it on the reserve (ssh-keygen -lf /etc/ssh/ssh_host_${offered.algorithm.replace(/^ssh-/, '')}_key.pub), then run again with --offsite-fingerprint ${offered.fingerprint}`,
      { fingerprint: offered.fingerprint, algorithm: offered.algorithm, host: host.name },
    );
  const name = o.port === 22 ? address : `[${address}]:${o.port}`;
  return {
    target: o.target,
    port: o.port,
    path: o.path,
    identityFile: o.identityFile,
    keep: o.keep,
    hostKey: {
      line: `${name} ${keyType(offered.key)} ${offered.key.toString('base64')}`,
      fingerprint: offered.fingerprint,
    },
  };
}

/** The agent's known_hosts for the reserve: the pinned key, and only it. */
async function writeReserveKey(t: HostTransport, host: HostRecord, o: AgentConfig['offsite']): Promise<void> {
  const file = posix.join(agentDir(host.stateDir), OFFSITE_KNOWN_HOSTS);
  if (o?.hostKey) await writeHostFile(t, file, `${o.hostKey.line}\n`, 0o640);
  else if (!o) await t.exec(removeFiles(file), { timeoutMs: 15_000 });
}
