/**
 * `npm run bench:ssh`: the shared SSH connection against the real test host (run `npm run sandbox`
 * first; needs root for the jump host, a second real sshd). Latency of a no-op exec and of a Docker
 * container list, direct and through a jump host; SFTP upload throughput of a 100 MB file next to
 * the system `scp` of the same file, direct and through the jump host. Prints figures; asserts
 * nothing.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Core } from '../src/main/core/core';
import type { HostTransport } from '../src/main/core/hosts/transport';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
import { addSandboxHost } from '../test/helpers/hosts';
import { sandbox, startExtraSshd, type ExtraSshd } from '../test/helpers/sandbox';

const WARMUP = 5;
const SAMPLES = 200;
const UPLOAD_RUNS = 3;
/** 100 MB (10^6 bytes each); MB/s below uses the same MB. */
const FILE_BYTES = 100 * 1_000_000;
const MB = 1_000_000;
const GOAL_DOCKER_P50_MS = 15;
const GOAL_SFTP_RATIO = 0.8;

interface Stats {
  n: number;
  mean: number;
  p50: number;
  p95: number;
}

function summarize(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: pick(0.5), p95: pick(0.95) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

const ms = (x: number): string => `${x.toFixed(2).padStart(7)} ms`;
const rate = (x: number): string => `${x.toFixed(1).padStart(6)} MB/s`;

function printLatency(name: string, st: Stats): void {
  console.log(
    `${name.padEnd(40)} n=${String(st.n).padStart(3)}  mean ${ms(st.mean)}  p50 ${ms(st.p50)}  p95 ${ms(st.p95)}`,
  );
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** WARMUP unmeasured calls, then SAMPLES measured ones, one after another. */
async function latency(name: string, fn: () => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) samples.push(await time(fn));
  const st = summarize(samples);
  printLatency(name, st);
  return st;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 600_000, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

/** A file of random data, written in 1 MB chunks (never all in memory); returns its SHA-256. */
async function randomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let left = bytes; left > 0; left -= MB) {
      const b = randomBytes(Math.min(MB, left));
      hash.update(b);
      yield b;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
  return hash.digest('hex');
}

async function remoteSha256(t: HostTransport, path: string): Promise<string> {
  const r = await t.exec(['sha256sum', path]);
  return r.code === 0
    ? (r.stdout.split(' ')[0] ?? '')
    : `sha256sum exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`;
}

interface Throughput {
  best: number;
  median: number;
}

function throughput(seconds: number[]): Throughput {
  const rates = seconds.map((s) => FILE_BYTES / MB / s);
  return { best: Math.max(...rates), median: median(rates) };
}

const sb = sandbox();
const home = mkdtempSync(join(tmpdir(), 'truffles-bench-ssh-'));
const core = new Core({ home, secrets: new PassphraseProvider(async () => 'x'), mode: 'cli' });
const remoteDir = `/tmp/truffles-bench-${randomBytes(4).toString('hex')}`;
let jump: ExtraSshd | null = null;
/** Where the remote folder gets removed at the end, once it exists. */
let cleanupVia: HostTransport | null = null;
try {
  console.log(
    `Test host ${sb.user}@${sb.address}:${sb.port}; warm-up ${WARMUP} calls, ${SAMPLES} samples each.\n`,
  );
  jump = await startExtraSshd();
  await addSandboxHost(core, 'sb');
  await addSandboxHost(core, 'bastion', { port: jump.port, acceptFingerprint: jump.fingerprint });
  // The same sandbox sshd, reached through the jump host (one more login there carries it all).
  await addSandboxHost(core, 'sb-via-jump', { jump: ['bastion'] });
  const direct = await core.hosts.transport('sb');
  const viaJump = await core.hosts.transport('sb-via-jump');
  const who = await viaJump.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']);
  console.log(
    `jump host: extra sshd on 127.0.0.1:${jump.port}; target sees the connection from ${who.stdout.trim().split(' ').slice(0, 2).join(':')}\n`,
  );

  console.log('Latency over the shared connection');
  const execDirect = await latency('exec `true`, direct', () => direct.exec(['true']));
  const dockerDirect = await latency('docker listContainers({all}), direct', async () =>
    (await direct.docker()).listContainers({ all: true }),
  );
  const execJump = await latency('exec `true`, via jump host', () => viaJump.exec(['true']));
  const dockerJump = await latency('docker listContainers({all}), via jump', async () =>
    (await viaJump.docker()).listContainers({ all: true }),
  );

  // Upload: a 100 MB random file, our atomic SFTP upload next to the system scp, alternating.
  const local = join(home, 'payload.bin');
  const sha = await randomFile(local, FILE_BYTES);
  const small = join(home, 'small.bin');
  writeFileSync(small, randomBytes(1024));
  const made = await direct.exec(['mkdir', '-m', '700', remoteDir]);
  if (made.code !== 0) throw new Error(`mkdir ${remoteDir} on the test host failed: ${made.stderr.trim()}`);
  cleanupVia = direct;

  // scp with the pinned host keys (checking stays on), the operator key, no agent, no user config.
  const knownHosts = join(home, 'known_hosts');
  const hostKey = readFileSync(sb.hostPublicKeyPath, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const jumpKey = readFileSync(`${jump.hostKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(knownHosts, `[${sb.address}]:${sb.port} ${hostKey}\n[127.0.0.1]:${jump.port} ${jumpKey}\n`);
  const sshOpts = [
    '-F',
    '/dev/null',
    '-i',
    sb.keyPath,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
  ];
  // Through the jump host: ProxyCommand with the same options, so the hop is pinned too (-J would
  // not pass command-line options on to the hop).
  const proxy = `ssh ${sshOpts.join(' ')} -p ${jump.port} -W %h:%p ${sb.user}@127.0.0.1`;
  const scp = (src: string, dst: string, viaJumpHost: boolean): Promise<void> =>
    run('scp', [
      '-q',
      ...sshOpts,
      ...(viaJumpHost ? ['-o', `ProxyCommand=${proxy}`] : []),
      '-P',
      String(sb.port),
      src,
      `${sb.user}@${sb.address}:${dst}`,
    ]);
  const sshTrue = (viaJumpHost: boolean): Promise<void> =>
    run('ssh', [
      ...sshOpts,
      ...(viaJumpHost ? ['-o', `ProxyCommand=${proxy}`] : []),
      '-p',
      String(sb.port),
      `${sb.user}@${sb.address}`,
      'true',
    ]);

  const uploads: { label: string; ours: Throughput; scp: Throughput; connectMs: number }[] = [];
  for (const [label, t, viaJumpHost] of [
    ['direct', direct, false],
    ['via jump host', viaJump, true],
  ] as const) {
    // Warm up: the SFTP session (opened on first use), scp's and ssh's first start.
    await t.upload(small, `${remoteDir}/small.bin`, { mode: 0o600 });
    await scp(small, `${remoteDir}/small.bin`, viaJumpHost);
    const connect: number[] = [];
    for (let i = 0; i < 3; i++) connect.push(await time(() => sshTrue(viaJumpHost)));
    const oursS: number[] = [];
    const scpS: number[] = [];
    for (let i = 0; i < UPLOAD_RUNS; i++) {
      oursS.push((await time(() => t.upload(local, `${remoteDir}/ours.bin`, { mode: 0o600 }))) / 1000);
      scpS.push((await time(() => scp(local, `${remoteDir}/scp.bin`, viaJumpHost))) / 1000);
    }
    const shaOurs = await remoteSha256(t, `${remoteDir}/ours.bin`);
    const shaScp = await remoteSha256(t, `${remoteDir}/scp.bin`);
    const check = (found: string): string => (found === sha ? 'ok' : `MISMATCH (${found}, want ${sha})`);
    const u = { label, ours: throughput(oursS), scp: throughput(scpS), connectMs: median(connect) };
    uploads.push(u);
    console.log(
      `\nUpload ${FILE_BYTES / MB} MB random file, ${label}, ${UPLOAD_RUNS} runs each (1 MB = 10^6 bytes)`,
    );
    console.log(
      `  ours (transport.upload, SFTP)  best ${rate(u.ours.best)}  median ${rate(u.ours.median)}  runs ${oursS.map((s) => s.toFixed(2)).join(' ')} s  sha256 ${check(shaOurs)}`,
    );
    console.log(
      `  system scp (new connection)    best ${rate(u.scp.best)}  median ${rate(u.scp.median)}  runs ${scpS.map((s) => s.toFixed(2)).join(' ')} s  sha256 ${check(shaScp)}`,
    );
    console.log(
      `  ratio ours/scp                 best ${(u.ours.best / u.scp.best).toFixed(2)}  median ${(u.ours.median / u.scp.median).toFixed(2)}   (scp includes its own SSH connect: \`ssh … true\` takes ${u.connectMs.toFixed(0)} ms)`,
    );
  }

  const d = uploads[0]!;
  const ratio = d.ours.median / d.scp.median;
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
  console.log('\nSummary');
  console.log(
    `  exec \`true\` p50: direct ${execDirect.p50.toFixed(2)} ms, via jump ${execJump.p50.toFixed(2)} ms`,
  );
  console.log(
    `  Docker list p50 ${dockerDirect.p50.toFixed(2)} ms (goal ≤ ${GOAL_DOCKER_P50_MS} ms) ${verdict(dockerDirect.p50 <= GOAL_DOCKER_P50_MS)}   (via jump ${dockerJump.p50.toFixed(2)} ms ${verdict(dockerJump.p50 <= GOAL_DOCKER_P50_MS)})`,
  );
  const j = uploads[1];
  console.log(
    `  SFTP/scp ratio ${ratio.toFixed(2)} (goal ≥ ${GOAL_SFTP_RATIO}) ${verdict(ratio >= GOAL_SFTP_RATIO)}   (direct, medians; via jump ${j ? `${(j.ours.median / j.scp.median).toFixed(2)} ${verdict(j.ours.median / j.scp.median >= GOAL_SFTP_RATIO)}` : '-'})`,
  );
} finally {
  if (cleanupVia) await cleanupVia.exec(['rm', '-rf', remoteDir]).catch(() => undefined);
  await core.close();
  await jump?.stop();
  rmSync(home, { recursive: true, force: true });
}
