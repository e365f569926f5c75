/**
 * The real test host ("sandbox", test/sandbox/up.sh) for the integration and end-to-end tests: a
 * real OpenSSH server on 127.0.0.1 with a real Docker Engine behind it. `sandbox()` reads what
 * up.sh wrote; `startExtraSshd()` starts one more real sshd for the same operator user, with a
 * host key of its own (a host whose key changes, an sshd that forbids stream-local forwarding, a
 * jump host, ...). Extra sshds live in $STATE/extra/<id>/; test/sandbox/down.sh ends any left over.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The test host's images for the image catalog (qdrant and traefik are stand-ins, see their READMEs). */
export interface SandboxImages {
  n8n: string;
  postgres: string;
  redis: string;
  qdrant: string;
  traefik: string;
}

export interface SandboxInfo {
  images: SandboxImages;
  address: string;
  port: number;
  user: string;
  /** A second user with the same key who is not in the docker group (to test refused Docker access). */
  noDockerUser: string;
  keyPath: string;
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** The sshd's public host key (OpenSSH line), e.g. for a known_hosts file that pins it. */
  hostPublicKeyPath: string;
  dockerVersion: string;
  composeVersion: string;
  stateDir: string;
}

export interface ExtraSshd {
  /** The address it listens on: 127.0.0.1 unless started with `listenAddress`. */
  address: string;
  /** Its port on that address. */
  port: number;
  /** The fingerprint of the host key it started with (rotateHostKey returns the new one). */
  fingerprint: string;
  /** Its host key (private; the public key is next to it, `.pub`). */
  hostKeyPath: string;
  /** Its folder: sshd_config, sshd.pid, sshd.log, the host key. */
  dir: string;
  /** A new ed25519 host key, then a restart on the same port; resolves with the new fingerprint once it is offered. */
  rotateHostKey(): Promise<string>;
  /** Ends it (and the sessions it forked, with what runs in them) and removes its folder. Idempotent. */
  stop(): Promise<void>;
  /** Kills it and every session it forked, as a crash would, keeping its folder and key (see restart). */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same host key after kill(). */
  restart(): Promise<void>;
  /** How many SSH logins it accepted so far (its log, server side). */
  acceptedLogins(): number;
}

const SSHD = '/usr/sbin/sshd';
const SSH_KEYGEN = 'ssh-keygen';
const SSH_KEYSCAN = 'ssh-keyscan';
const ADDRESS = '127.0.0.1';

function stateDir(): string {
  return process.env.TRUFFLES_SANDBOX_DIR ?? '/var/lib/truffles-sandbox';
}

/** What test/sandbox/up.sh wrote to $STATE/sandbox.json. Throws when the sandbox was never set up. */
export function sandbox(): SandboxInfo {
  const dir = stateDir();
  const file = join(dir, 'sandbox.json');
  if (!existsSync(file)) {
    throw new Error(
      `The real test host is not set up: ${file} is missing. Run \`npm run sandbox\` as root (test/sandbox/up.sh), ` +
        'or set TRUFFLES_SANDBOX_DIR to the state folder of a running sandbox.',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(
      `${file} is not valid JSON (${(e as Error).message}); run \`npm run sandbox\` as root again.`,
      { cause: e },
    );
  }
  const j = (raw ?? {}) as Record<string, unknown>;
  const str = (k: string): string => {
    const v = j[k];
    if (typeof v !== 'string' || v === '')
      throw new Error(`${file}: "${k}" is missing; run \`npm run sandbox\` as root again.`);
    return v;
  };
  const port = j.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`${file}: "port" is missing or invalid; run \`npm run sandbox\` as root again.`);
  }
  return {
    address: str('address'),
    port,
    user: str('user'),
    noDockerUser: str('noDockerUser'),
    keyPath: str('keyPath'),
    fingerprint: str('fingerprint'),
    hostPublicKeyPath:
      typeof j.hostPublicKeyPath === 'string' && j.hostPublicKeyPath !== ''
        ? j.hostPublicKeyPath
        : join(
            typeof j.stateDir === 'string' && j.stateDir !== '' ? j.stateDir : dir,
            'ssh_host_ed25519_key.pub',
          ),
    dockerVersion: str('dockerVersion'),
    composeVersion: str('composeVersion'),
    stateDir: typeof j.stateDir === 'string' && j.stateDir !== '' ? j.stateDir : dir,
    images: sandboxImages(j.images, file),
  };
}

function sandboxImages(v: unknown, file: string): SandboxImages {
  const o = (v ?? {}) as Record<string, unknown>;
  const keys = ['n8n', 'postgres', 'redis', 'qdrant', 'traefik'] as const;
  const out = {} as SandboxImages;
  for (const k of keys) {
    const x = o[k];
    if (typeof x !== 'string' || x === '')
      throw new Error(`${file}: images.${k} is missing; run \`npm run sandbox\` as root again.`);
    out[k] = x;
  }
  return out;
}

function run(
  cmd: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new Error(`${cmd}: ${err.message}`));
        return;
      }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function mustRun(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  return r.stdout;
}

/** `SHA256:<base64 without padding>` of an OpenSSH public key line, like `ssh-keygen -lf`. */
function fingerprintOfPub(pubLine: string): string {
  const blob = pubLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an OpenSSH public key: ${pubLine.slice(0, 40)}`);
  return (
    'SHA256:' + createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, ADDRESS, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Resolves true once something on the port answers with an SSH banner. */
function bannerOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: ADDRESS, port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.once('error', () => done(false));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.length >= 4) done(buf.startsWith('SSH-'));
    });
    sock.once('end', () => done(buf.startsWith('SSH-')));
  });
}

/** The fingerprint of the ed25519 key the sshd on the port offers (ssh-keyscan), or '' if none yet. */
async function offeredFingerprint(port: number, address = ADDRESS, netns?: string): Promise<string> {
  const scan = [SSH_KEYSCAN, '-T', '3', '-t', 'ed25519', '-p', String(port), address];
  const r = netns
    ? await run('ip', ['netns', 'exec', netns, ...scan], 10_000)
    : await run(scan[0]!, scan.slice(1), 10_000);
  const line = r.stdout.split('\n').find((l) => l.includes('ssh-ed25519'));
  if (!line) return '';
  const parts = line.trim().split(/\s+/);
  return parts.length >= 3 ? fingerprintOfPub(`${parts[1]} ${parts[2]}`) : '';
}

/** Running, and not a zombie (PID 1 on these machines reaps orphans only every second or two). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : null;
  } catch {
    return null;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Every live process below `pid`: the sessions an sshd listener forked and the commands they run. */
function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parentOf.set(Number(name), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [child, parent] of parentOf) if (frontier.includes(parent)) next.push(child);
    out.push(...next);
    frontier = next;
  }
  return out;
}

async function killAndWait(pid: number, ms = 5000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + ms;
  while (pidAlive(pid) && Date.now() < until) await sleep(50);
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    while (pidAlive(pid)) await sleep(50);
  }
}

/** Extra sshds still running in this process: ended if the test process exits without stop(). */
const live = new Map<string, () => void>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const end of live.values()) end();
  });
}

export async function startExtraSshd(
  opts: {
    hostKeyPath?: string;
    /** More host keys it offers besides the first (whose fingerprint is `fingerprint`). */
    extraHostKeyPaths?: string[];
    allowStreamLocalForwarding?: boolean;
    allowTcpForwarding?: boolean;
    maxSessions?: number;
    /**
     * A network namespace (`ip netns`) to run it in, with its own loopback: another machine at
     * the same address:port as seen from a jump host in that namespace. The caller makes and
     * removes the namespace.
     */
    netns?: string;
    /** Where it listens (default 127.0.0.1). */
    listenAddress?: string;
    /** The port to listen on (default: a free one on 127.0.0.1). */
    port?: number;
  } = {},
): Promise<ExtraSshd> {
  const address = opts.listenAddress ?? ADDRESS;
  const sb = sandbox();
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('startExtraSshd needs root (sshd switches to the operator user); run the tests as root.');
  }
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const extraRoot = join(sb.stateDir, 'extra');
  mkdirSync(extraRoot, { recursive: true, mode: 0o755 });
  chmodSync(extraRoot, 0o755);
  const id = randomBytes(6).toString('hex');
  const dir = join(extraRoot, id);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755); // sshd's StrictModes: not group/world-writable, whatever the umask

  const hostKeyPath = join(dir, 'ssh_host_key');
  const pidFile = join(dir, 'sshd.pid');
  const conf = join(dir, 'sshd_config');
  const logFile = join(dir, 'sshd.log');

  try {
    if (opts.hostKeyPath) {
      copyFileSync(opts.hostKeyPath, hostKeyPath);
      chmodSync(hostKeyPath, 0o600);
      writeFileSync(`${hostKeyPath}.pub`, await mustRun(SSH_KEYGEN, ['-y', '-f', hostKeyPath]), {
        mode: 0o644,
      });
    } else {
      await mustRun(SSH_KEYGEN, [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        `truffles-extra-${id}`,
        '-f',
        hostKeyPath,
      ]);
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const fingerprint = fingerprintOfPub(readFileSync(`${hostKeyPath}.pub`, 'utf8'));
  const extraKeys = (opts.extraHostKeyPaths ?? []).map((src, i) => {
    const dst = join(dir, `ssh_host_extra_${i}`);
    copyFileSync(src, dst);
    chmodSync(dst, 0o600);
    return dst;
  });
  const q = (s: string): string => `"${s}"`;

  const writeConfig = (port: number): void => {
    const lines = [
      `# Extra test sshd ${id} (test/helpers/sandbox.ts startExtraSshd); test/sandbox/down.sh ends it.`,
      `ListenAddress ${address}`,
      `Port ${port}`,
      `HostKey ${q(hostKeyPath)}`,
      ...extraKeys.map((k) => `HostKey ${q(k)}`),
      `PidFile ${q(pidFile)}`,
      `AuthorizedKeysFile ${q(join(sb.stateDir, 'authorized_keys', '%u'))} .ssh/authorized_keys`,
      'ExposeAuthInfo yes',
      `AllowUsers ${sb.user} ${sb.noDockerUser}`,
      'PermitRootLogin no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `AllowStreamLocalForwarding ${opts.allowStreamLocalForwarding === false ? 'no' : 'yes'}`,
      `AllowTcpForwarding ${opts.allowTcpForwarding === false ? 'no' : 'yes'}`,
      'StrictModes yes',
      'LogLevel VERBOSE',
      'MaxStartups 100',
      `MaxSessions ${opts.maxSessions ?? 64}`,
      'Subsystem sftp internal-sftp',
      '',
    ];
    writeFileSync(conf, lines.join('\n'), { mode: 0o644 });
  };

  /** Starts sshd on the port (daemon; it writes its pid file) and waits for it to offer `expectFp`. */
  const launch = async (port: number, expectFp: string): Promise<void> => {
    writeConfig(port);
    rmSync(pidFile, { force: true });
    const logStart = sizeOf(logFile);
    const r = opts.netns
      ? await run('ip', ['netns', 'exec', opts.netns, SSHD, '-f', conf, '-E', logFile])
      : await run(SSHD, ['-f', conf, '-E', logFile]);
    if (r.code !== 0) {
      throw new Error(
        `sshd (extra ${id}) did not start on ${address}:${port} (exit ${r.code}): ${r.stderr.trim()} ${tail(logFile)}`,
      );
    }
    // sshd daemonizes before it binds: a taken port shows only in its log (and no pid file).
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      if (/Cannot bind any address|fatal/i.test(readFrom(logFile, logStart))) {
        throw new Error(`sshd (extra ${id}) could not listen on ${address}:${port}. ${tail(logFile)}`);
      }
      const pid = readPid(pidFile);
      // In another namespace or on another address, ssh-keyscan alone shows it answers.
      const plain = !opts.netns && address === ADDRESS;
      if (pid && pidAlive(pid) && (!plain || (await bannerOnce(port)))) {
        const offered = await offeredFingerprint(port, address, opts.netns);
        if (offered === expectFp) return;
      }
      await sleep(50);
    }
    throw new Error(
      `sshd (extra ${id}) on ${address}:${port} did not offer ${expectFp} within 15 s. ${tail(logFile)}`,
    );
  };

  /** Sessions forked by listeners that rotateHostKey replaced: they outlive them (as after a real restart) until stop(). */
  const earlierSessions: number[] = [];
  /** Ends the listener; with sessions, also what it (and earlier listeners) forked; else remembers those sessions. */
  const end = async (withSessions: boolean): Promise<void> => {
    const pid = readPid(pidFile);
    if (pid && pidAlive(pid) && cmdlineOf(pid).includes(conf)) {
      const tree = descendantsOf(pid);
      await killAndWait(pid);
      if (withSessions) await Promise.all(tree.map((c) => killAndWait(c)));
      else earlierSessions.push(...tree.filter((c) => cmdlineOf(c).startsWith('sshd')));
    }
    if (withSessions) {
      const rest = earlierSessions.splice(0).filter((c) => pidAlive(c) && cmdlineOf(c).startsWith('sshd'));
      const trees = rest.flatMap((c) => [c, ...descendantsOf(c)]);
      await Promise.all(trees.map((c) => killAndWait(c)));
    }
    rmSync(pidFile, { force: true });
  };

  // A free port can be taken between the probe and sshd's bind: try a few.
  let port = 0;
  let lastErr: unknown;
  for (let attempt = 0; attempt < (opts.port ? 1 : 5) && !port; attempt++) {
    const p = opts.port ?? (await freePort());
    try {
      await launch(p, fingerprint);
      port = p;
    } catch (e) {
      lastErr = e;
      await end(true);
    }
  }
  if (!port) {
    rmSync(dir, { recursive: true, force: true });
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  let stopped = false;
  installExitHook();
  live.set(dir, () => {
    try {
      const pid = readPid(pidFile);
      const listener = pid && pidAlive(pid) && cmdlineOf(pid).includes(conf) ? [pid] : [];
      const sessions = earlierSessions.filter((c) => pidAlive(c) && cmdlineOf(c).startsWith('sshd'));
      const all = [
        ...listener,
        ...listener.flatMap(descendantsOf),
        ...sessions,
        ...sessions.flatMap(descendantsOf),
      ];
      for (const c of all) {
        try {
          process.kill(c, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit; down.sh ends what is left
    }
  });

  return {
    address,
    port,
    fingerprint,
    hostKeyPath,
    dir,
    async rotateHostKey(): Promise<string> {
      if (stopped) throw new Error(`extra sshd ${id} is stopped`);
      const tmp = join(dir, `new_host_key.${randomBytes(4).toString('hex')}`);
      await mustRun(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', `truffles-extra-${id}`, '-f', tmp]);
      renameSync(`${tmp}.pub`, `${hostKeyPath}.pub`);
      renameSync(tmp, hostKeyPath);
      const newFp = fingerprintOfPub(readFileSync(`${hostKeyPath}.pub`, 'utf8'));
      // Open sessions stay on the old listener's children, as after a real restart.
      await end(false);
      await launch(port, newFp);
      return newFp;
    },
    async kill(): Promise<void> {
      await end(true);
    },
    async restart(): Promise<void> {
      if (stopped) throw new Error(`extra sshd ${id} is stopped`);
      await launch(port, fingerprintOfPub(readFileSync(`${hostKeyPath}.pub`, 'utf8')));
    },
    acceptedLogins(): number {
      return (readFrom(logFile, 0).match(/Accepted publickey for /g) ?? []).length;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await end(true);
      live.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  try {
    return readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

function tail(file: string, lines = 15): string {
  try {
    const t = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return t ? `\n--- ${file} ---\n${t}` : '';
  } catch {
    return '';
  }
}
