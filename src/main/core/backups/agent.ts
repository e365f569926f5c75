import { readFile } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { Readable } from 'node:stream';
import { CoreError } from '../errors';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { mkdirHost, readHostFile, writeHostFile } from '../tenants/hostfs';
import {
  AGENT_FILE,
  agentDir,
  agentSweepCommand,
  agentVersionCommand,
  missingToolsCommand,
} from './commands';
import { AgentConfigSchema, defaultConfig, keyMismatch, withRecipients, type AgentConfig } from './config';
import { log, type BackupDeps } from './context';

/**
 * The agent on a host (templates/backup/truffles-backup): its settings, installing it, its
 * version, and its sweep of leftovers.
 */

export async function readConfig(t: HostTransport, host: HostRecord): Promise<AgentConfig | null> {
  const text = await readHostFile(t, posix.join(agentDir(host.stateDir), 'backup.json'));
  if (text === null) return null;
  try {
    return withRecipients(AgentConfigSchema.parse(JSON.parse(text)));
  } catch (err) {
    throw new CoreError(
      'backup.config-invalid',
      `The backup agent's settings on ${host.name} are not valid: ${(err as Error).message.slice(0, 200)}.`,
      `Write them again: truffles backup schedule ${host.name}`,
    );
  }
}

export async function missingTools(t: HostTransport): Promise<string[]> {
  const r = await t.exec(missingToolsCommand(), { timeoutMs: 15_000 });
  return r.stdout.split('\n').filter(Boolean);
}

/** Put the agent script and its settings on the host (the script is replaced when it differs). */
export async function installAgent(
  d: BackupDeps,
  t: HostTransport,
  host: HostRecord,
  config: AgentConfig,
): Promise<void> {
  const missing = await missingTools(t);
  if (missing.length)
    throw new CoreError(
      'backup.agent-tools',
      `${host.name} lacks what the backup agent needs: ${missing.join(', ')}.`,
      `On the host (Debian/Ubuntu): sudo apt-get install ${missing.filter((m) => m !== 'docker').join(' ') || 'docker.io'}`,
      { missing },
    );
  const dir = agentDir(host.stateDir);
  await mkdirHost(t, dir);
  const script = await readFile(join(d.templatesDir(), 'backup', AGENT_FILE));
  await t.upload(Readable.from([script]), posix.join(dir, AGENT_FILE), { mode: 0o750 });
  await writeHostFile(t, posix.join(dir, 'backup.json'), JSON.stringify(config, null, 2) + '\n', 0o640);
  await mkdirHost(t, config.backupDir);
}

/**
 * The agent's settings as they are (installed with this console's key when absent). Refused
 * when the host's agent does not encrypt to this console's key: another console set the host
 * up, and re-keying it silently would make every later backup unreadable to that console.
 */
export async function ensureAgent(d: BackupDeps, t: HostTransport, host: HostRecord): Promise<AgentConfig> {
  const recipient = await d.keys.recipient();
  const current = await readConfig(t, host);
  if (current && !current.recipients.some((r) => r.recipient === recipient))
    throw keyMismatch(host, current, recipient);
  const config = current ?? defaultConfig(host, recipient);
  const installedVersion = await agentVersion(t, host);
  const ours = await bundledVersion(d);
  if (!current || installedVersion !== ours) await installAgent(d, t, host, config);
  return config;
}

export async function bundledVersion(d: BackupDeps): Promise<string> {
  const text = await readFile(join(d.templatesDir(), 'backup', AGENT_FILE), 'utf8');
  return /^AGENT_VERSION=(\S+)$/m.exec(text)?.[1] ?? '?';
}

export async function agentVersion(t: HostTransport, host: HostRecord): Promise<string | null> {
  const r = await t.exec(agentVersionCommand(host.stateDir), { timeoutMs: 15_000 });
  return r.code === 0 ? r.stdout.trim() : null;
}

export async function backupDirOf(t: HostTransport, host: HostRecord): Promise<string> {
  return (await readConfig(t, host))?.backupDir ?? posix.join(host.stateDir, 'backups');
}

/**
 * Removes decrypted staging folders and drill stacks whose operation no longer holds its lock
 * (the agent's `sweep`; see the agent). Called right after an operation takes its lock and before
 * it stages anything: `held` is that lock, so what is there under it is stale too. A sweep that
 * fails is logged and does not stop the operation (the agent's next run sweeps again).
 */
export async function sweep(d: BackupDeps, t: HostTransport, host: HostRecord, held: string): Promise<void> {
  const r = await t
    .exec(agentSweepCommand(host.stateDir, held), {
      timeoutMs: 10 * 60_000,
    })
    .catch((e: unknown) => ({ code: 1, stdout: '', stderr: (e as Error).message }));
  for (const l of r.stderr.split('\n')) if (l.startsWith('[sweep] ')) log(d, held, 'info', l.slice(8));
  if (r.code !== 0)
    log(d, held, 'warn', `Sweeping leftovers on ${host.name} failed: ${r.stderr.trim().slice(-300)}`);
}
