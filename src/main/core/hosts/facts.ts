import type { HostFacts, Problem } from '../../../shared/contract';
import { CoreError } from '../errors';
import { dockerSocketCommand, FACT_MARK as MARK, factsScript, stateDirCommand } from './commands';
import type { HostTransport } from './transport';

export { factsScript };

export function splitSections(stdout: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | null = null;
  let buf: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(MARK)) {
      if (current) sections.set(current, buf.join('\n').trim());
      current = line.slice(MARK.length).trim();
      buf = [];
    } else buf.push(line);
  }
  if (current) sections.set(current, buf.join('\n').trim());
  return sections;
}

function parseOsRelease(text: string): HostFacts['os'] {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) kv.set(m[1], (m[2] ?? '').replace(/^"(.*)"$/, '$1'));
  }
  return {
    id: kv.get('ID') ?? 'unknown',
    name: kv.get('PRETTY_NAME') ?? kv.get('NAME') ?? 'unknown',
    version: kv.get('VERSION_ID') ?? '',
  };
}

function meminfoBytes(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
  return m?.[1] ? Number(m[1]) * 1024 : 0;
}

function parseDf(text: string): HostFacts['disks'] {
  const disks: HostFacts['disks'] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 7) continue;
    const [filesystem, , size, used, avail] = parts;
    const mount = parts.slice(6).join(' ');
    if (!mount.startsWith('/') || seen.has(mount)) continue;
    seen.add(mount);
    disks.push({
      filesystem: filesystem ?? '',
      mount,
      sizeBytes: Number(size) || 0,
      usedBytes: Number(used) || 0,
      availableBytes: Number(avail) || 0,
    });
  }
  return disks;
}

export function parseFacts(stdout: string): Omit<HostFacts, 'docker'> {
  const s = splitSections(stdout);
  const get = (k: string): string => s.get(k) ?? '';
  const load = get('loadavg').split(/\s+/).slice(0, 3).map(Number);
  const composeV2 = get('compose').split('\n')[0]?.trim() ?? '';
  const composeV1 = get('compose1').split('\n')[0]?.trim() ?? '';
  let compose: HostFacts['compose'] = null;
  if (/^v?2\.|^v?[3-9]\./.test(composeV2)) compose = { version: composeV2.replace(/^v/, ''), v2: true };
  else if (composeV1) compose = { version: composeV1.replace(/^v/, ''), v2: false };
  return {
    os: parseOsRelease(get('os')),
    kernel: get('kernel'),
    arch: get('arch'),
    cpus: Number(get('cpus')) || 0,
    memoryBytes: meminfoBytes(get('meminfo'), 'MemTotal'),
    memoryAvailableBytes: meminfoBytes(get('meminfo'), 'MemAvailable'),
    disks: parseDf(get('df')),
    load: [load[0] ?? 0, load[1] ?? 0, load[2] ?? 0],
    uptimeSeconds: Math.round(Number(get('uptime').split(/\s+/)[0]) || 0),
    compose,
  };
}

/** The platform's state folder on the host (tenants, locks, audit trail) must be writable by the SSH user. */
export function judgeStateDir(verdict: string, stateDir: string, user: string): Problem | null {
  if (verdict === 'writable' || verdict === 'creatable') return null;
  return {
    code: 'state.unwritable',
    severity: 'warning',
    message:
      verdict === 'readonly'
        ? `${stateDir} exists but ${user} cannot write to it; tenants and the audit trail cannot be kept there.`
        : `${stateDir} does not exist and ${user} cannot create it; tenants and the audit trail need it.`,
    fix: `On the host, run: sudo install -d -o ${user} -m 0750 ${stateDir}`,
  };
}

export interface FactsResult {
  facts: HostFacts;
  problems: Problem[];
}

/** Gather a host's facts and judge them: every problem carries a one-line fix. */
export async function gatherFacts(
  transport: HostTransport,
  user: string,
  socketPath = '/var/run/docker.sock',
  stateDir = '/opt/truffles',
): Promise<FactsResult> {
  const [script, docker, state] = await Promise.all([
    transport.execScript(factsScript(), { timeoutMs: 30_000 }),
    dockerVersion(transport, user, socketPath),
    transport.exec(stateDirCommand(stateDir), { timeoutMs: 30_000 }),
  ]);
  const base = parseFacts(script.stdout);
  const problems = judgeFacts(base, docker.problem, judgeStateDir(state.stdout.trim(), stateDir, user));
  return { facts: { ...base, docker: docker.version }, problems };
}

const COMPOSE_FIX =
  'Install the Compose v2 plugin: apt-get install docker-compose-plugin (Docker repo) or docker-compose from Debian 13.';

/** A host's problems in the order an operator reads them: Docker, the state folder, Compose, disks. */
export function judgeFacts(
  base: Pick<HostFacts, 'compose' | 'disks'>,
  dockerProblem: Problem | null,
  stateDirProblem: Problem | null,
): Problem[] {
  const problems: Problem[] = [];
  if (dockerProblem) problems.push(dockerProblem);
  if (stateDirProblem) problems.push(stateDirProblem);
  if (!base.compose) {
    problems.push({
      code: 'compose.missing',
      severity: 'error',
      message: 'Docker Compose is not installed.',
      fix: COMPOSE_FIX,
    });
  } else if (!base.compose.v2) {
    problems.push({
      code: 'compose.v1',
      severity: 'error',
      message: `Only the old docker-compose ${base.compose.version} (v1) is installed; tenant stacks need Compose v2 ("docker compose").`,
      fix: COMPOSE_FIX,
    });
  }
  for (const d of base.disks) {
    const pct = d.sizeBytes > 0 ? d.usedBytes / d.sizeBytes : 0;
    if (pct > 0.85) {
      problems.push({
        code: 'disk.full',
        severity: pct > 0.95 ? 'error' : 'warning',
        message: `Disk ${d.mount} is ${Math.round(pct * 100)} % full.`,
        fix: `Free space on ${d.mount} (docker system prune, old backups) or grow the volume.`,
      });
    }
  }
  return problems;
}

async function dockerVersion(
  transport: HostTransport,
  user: string,
  socketPath: string,
): Promise<{ version: HostFacts['docker']; problem: Problem | null }> {
  try {
    const v = await (await transport.docker()).version();
    return { version: { version: v.Version, apiVersion: v.ApiVersion }, problem: null };
  } catch (err) {
    // The socket could not be opened: missing (Docker not installed / not running) or not permitted.
    // Asked only when sshd did not already say it forbids the stream.
    const sock = streamLocalProhibited(err)
      ? null
      : await transport.exec(dockerSocketCommand(socketPath), { timeoutMs: 10_000 }).catch(() => null);
    return { version: null, problem: judgeDockerError(err, sock?.code, user, socketPath) };
  }
}

function streamLocalProhibited(err: unknown): err is CoreError {
  return err instanceof CoreError && err.code === 'ssh.streamlocal-prohibited';
}

const STREAMLOCAL_FIX = 'Set "AllowStreamLocalForwarding yes" in the host\'s sshd_config and reload sshd.';

/**
 * Why the Docker Engine API did not answer, from its error and the exit code of the socket check
 * (`dockerSocketCommand`: 0 usable, 3 no socket, 4 not permitted; absent when not run or failed).
 */
export function judgeDockerError(
  err: unknown,
  socketCheck: number | null | undefined,
  user: string,
  socketPath: string,
): Problem {
  const e = err as NodeJS.ErrnoException & { statusCode?: number };
  if (streamLocalProhibited(err)) {
    return { code: 'docker.unreachable', severity: 'error', message: err.message, fix: STREAMLOCAL_FIX };
  }
  if (socketCheck === 0 && err instanceof CoreError && err.code === 'ssh.streamlocal-failed') {
    // The socket is there and the user may open it, yet sshd would not: stream forwarding is off.
    return {
      code: 'docker.unreachable',
      severity: 'error',
      message: `The SSH server refuses to forward to ${socketPath} although the socket is there and the user may use it.`,
      fix: STREAMLOCAL_FIX,
    };
  }
  const denied = socketCheck === 4 || e.code === 'EACCES' || /permission denied/i.test(e.message ?? '');
  if (denied) {
    return {
      code: 'docker.denied',
      severity: 'error',
      message: `User '${user}' may not use Docker on this host (no access to ${socketPath}).`,
      fix: `On the host: sudo usermod -aG docker ${user}, then reconnect.`,
    };
  }
  return {
    code: 'docker.missing',
    severity: 'error',
    message:
      socketCheck === 3
        ? `Docker Engine is not running on this host (${socketPath} does not exist).`
        : `Docker Engine does not answer: ${e.message ?? String(err)}`,
    fix: 'Install Docker Engine (apt-get install docker.io) and start it (systemctl enable --now docker).',
  };
}
