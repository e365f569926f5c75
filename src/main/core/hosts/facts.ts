import type { HostFacts, Problem } from '../../../shared/contract';
import { CoreError } from '../errors';
import { shellJoin } from '../ssh/quote';
import type { HostTransport } from './transport';

/** The commands whose output makes up a host's facts, each an argument array. */
const PROBES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['os', ['cat', '/etc/os-release']],
  ['kernel', ['uname', '-r']],
  ['arch', ['uname', '-m']],
  ['cpus', ['nproc']],
  ['meminfo', ['cat', '/proc/meminfo']],
  [
    'df',
    [
      'df',
      '-P',
      '-T',
      '-B1',
      '-x',
      'tmpfs',
      '-x',
      'devtmpfs',
      '-x',
      'overlay',
      '-x',
      'squashfs',
      '-x',
      'efivarfs',
    ],
  ],
  ['loadavg', ['cat', '/proc/loadavg']],
  ['uptime', ['cat', '/proc/uptime']],
  ['compose', ['docker', 'compose', 'version', '--short']],
  ['compose1', ['docker-compose', 'version', '--short']],
];

const MARK = '@@truffles-fact@@';

/**
 * One script, one channel: every probe's output after a marker line naming it. The C locale is
 * set inside the script, so it holds whether or not the server accepts environment requests.
 */
export function factsScript(): string {
  return (
    'LC_ALL=C; export LC_ALL; ' +
    PROBES.map(
      ([name, argv]) => `echo ${shellJoin([`${MARK}${name}`])}; ${shellJoin(argv)} 2>/dev/null`,
    ).join('; ')
  );
}

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

/** Prints `writable`, `readonly`, `creatable` (missing, parent writable) or `missing`. */
const STATE_DIR_SCRIPT =
  'if test -d "$1"; then if test -w "$1"; then echo writable; else echo readonly; fi; ' +
  'elif test -w "$(dirname -- "$1")"; then echo creatable; else echo missing; fi';

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
  const problems: Problem[] = [];
  const [script, docker, state] = await Promise.all([
    transport.execScript(factsScript(), { timeoutMs: 30_000 }),
    dockerVersion(transport, user, socketPath),
    transport.exec(['sh', '-c', STATE_DIR_SCRIPT, 'sh', stateDir], { timeoutMs: 30_000 }),
  ]);
  const base = parseFacts(script.stdout);
  if (docker.problem) problems.push(docker.problem);
  const stateDirProblem = judgeStateDir(state.stdout.trim(), stateDir, user);
  if (stateDirProblem) problems.push(stateDirProblem);
  if (!base.compose) {
    problems.push({
      code: 'compose.missing',
      severity: 'error',
      message: 'Docker Compose is not installed.',
      fix: 'Install the Compose v2 plugin: apt-get install docker-compose-plugin (Docker repo) or docker-compose from Debian 13.',
    });
  } else if (!base.compose.v2) {
    problems.push({
      code: 'compose.v1',
      severity: 'error',
      message: `Only the old docker-compose ${base.compose.version} (v1) is installed; tenant stacks need Compose v2 ("docker compose").`,
      fix: 'Install the Compose v2 plugin: apt-get install docker-compose-plugin (Docker repo) or docker-compose from Debian 13.',
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
  return { facts: { ...base, docker: docker.version }, problems };
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
    const e = err as NodeJS.ErrnoException & { statusCode?: number };
    if (err instanceof CoreError && err.code === 'ssh.streamlocal-prohibited') {
      return {
        version: null,
        problem: {
          code: 'docker.unreachable',
          severity: 'error',
          message: err.message,
          fix: 'Set "AllowStreamLocalForwarding yes" in the host\'s sshd_config and reload sshd.',
        },
      };
    }
    // The socket could not be opened: missing (Docker not installed / not running) or not permitted.
    const sock = await transport
      .exec(
        ['sh', '-c', 'test -S "$1" || exit 3; test -r "$1" -a -w "$1" || exit 4; exit 0', 'sh', socketPath],
        { timeoutMs: 10_000 },
      )
      .catch(() => null);
    if (sock?.code === 0 && err instanceof CoreError && err.code === 'ssh.streamlocal-failed') {
      // The socket is there and the user may open it, yet sshd would not: stream forwarding is off.
      return {
        version: null,
        problem: {
          code: 'docker.unreachable',
          severity: 'error',
          message: `The SSH server refuses to forward to ${socketPath} although the socket is there and the user may use it.`,
          fix: 'Set "AllowStreamLocalForwarding yes" in the host\'s sshd_config and reload sshd.',
        },
      };
    }
    const denied = sock?.code === 4 || e.code === 'EACCES' || /permission denied/i.test(e.message ?? '');
    if (denied) {
      return {
        version: null,
        problem: {
          code: 'docker.denied',
          severity: 'error',
          message: `User '${user}' may not use Docker on this host (no access to ${socketPath}).`,
          fix: `On the host: sudo usermod -aG docker ${user}, then reconnect.`,
        },
      };
    }
    return {
      version: null,
      problem: {
        code: 'docker.missing',
        severity: 'error',
        message:
          sock?.code === 3
            ? `Docker Engine is not running on this host (${socketPath} does not exist).`
            : `Docker Engine does not answer: ${e.message ?? String(err)}`,
        fix: 'Install Docker Engine (apt-get install docker.io) and start it (systemctl enable --now docker).',
      },
    };
  }
}
