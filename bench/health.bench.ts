/**
 * `npm run bench:health`: the health feed at fleet scale on this machine.
 *
 * The world: 10 SSH hosts, each its own sshd (test/helpers/sandbox.ts startExtraSshd) behind a
 * user-space delay proxy of 15 ms each way (30 ms round trip: the kernel here has no netem), and
 * 200 light containers carrying tenant labels (40 tenants × 5 services, `sleep`) next to whatever
 * the test host runs. This machine has one Docker engine, so the ten hosts share it and one agent
 * serves all ten (the same agent socket behind ten SSH servers): the console-side figures are
 * ten hosts' worth, the agent's load is ten times one host's.
 *
 * Prints: cold and warm fleet refresh (p50/p95) beside a plain `docker ps` over SSH to every
 * host, Docker event → console latency, the CPU that dockerd + containerd spend with and without
 * the agent's sampling (same run), the agent's memory and CPU, and log throughput beside
 * `docker logs` over the same SSH. Asserts nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AppEvent } from '../src/shared/contract';
import { Core } from '../src/main/core/core';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
import { addSandboxHost } from '../test/helpers/hosts';
import { sandbox, startExtraSshd, type ExtraSshd } from '../test/helpers/sandbox';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 10);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 40);
const SERVICES = ['postgres', 'redis', 'qdrant', 'n8n', 'worker'];
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 15);
const LABEL = 'org.truffles.bench';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const ms = (v: number): string => `${v.toFixed(0)} ms`;
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));

/** A TCP proxy that holds every chunk `delay` ms in each direction, keeping order. */
function delayProxy(targetPort: number, delay: number): Promise<{ port: number; server: Server }> {
  const server = createServer((client: Socket) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pipeDelayed = (from: Socket, to: Socket): void => {
      from.on('data', (d) => {
        setTimeout(() => to.writable && to.write(d), delay);
      });
      from.on('close', () => setTimeout(() => to.destroy(), delay));
      from.on('error', () => to.destroy());
    };
    pipeDelayed(client, upstream);
    pipeDelayed(upstream, client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ port: typeof a === 'object' && a ? a.port : 0, server });
    }),
  );
}

/** CPU seconds used so far by every process whose command name is one of `names`. */
function cpuSecondsOf(names: string[]): number {
  let ticks = 0;
  for (const pid of execFileSync('pgrep', ['-x', names.join('|')], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

async function dockerCpu(seconds: number): Promise<number> {
  const a = cpuSecondsOf(['dockerd', 'containerd', 'containerd-shim-runc-v2']);
  await sleep(seconds * 1000);
  return ((cpuSecondsOf(['dockerd', 'containerd', 'containerd-shim-runc-v2']) - a) / seconds) * 100;
}

const sb = sandbox();
const home = mkdtempSync(join(tmpdir(), 'truffles-bench-health-'));
const sshds: ExtraSshd[] = [];
const proxies: Server[] = [];
const names: string[] = [];
let core = new Core({ home, secrets: new PassphraseProvider(async () => 'bench'), mode: 'cli' });

try {
  console.log(
    `World: ${HOSTS} SSH hosts (own sshd each, +${2 * DELAY_MS} ms round trip in user space), ${TENANTS * SERVICES.length} labelled containers.`,
  );
  for (let i = 0; i < HOSTS; i++) {
    const s = await startExtraSshd({ hostKeyPath: join(sb.stateDir, 'ssh_host_ed25519_key') });
    sshds.push(s);
    const p = await delayProxy(s.port, DELAY_MS);
    proxies.push(p.server);
    await addSandboxHost(core, `h${i}`, { port: p.port, acceptFingerprint: s.fingerprint });
  }
  await core.images.set('h0', { ...sb.images });
  const t0 = performance.now();
  const batch: Promise<void>[] = [];
  for (let t = 0; t < TENANTS; t++)
    for (const svc of SERVICES) {
      const name = `bench-t${t}-${svc}`;
      names.push(name);
      batch.push(
        new Promise<void>((resolve) => {
          const p = spawn(
            'docker',
            [
              'run',
              '--detach',
              '--no-healthcheck',
              '--name',
              name,
              '--label',
              LABEL,
              '--label',
              `org.truffles.tenant=bench-t${t}`,
              '--label',
              `com.docker.compose.service=${svc}`,
              '--entrypoint',
              'sleep',
              sb.images.postgres,
              'infinity',
            ],
            { stdio: 'ignore' },
          );
          p.on('close', () => resolve());
        }),
      );
      if (batch.length >= 8) await Promise.all(batch.splice(0));
    }
  await Promise.all(batch);
  console.log(`${names.length} containers started in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // dockerd + containerd with no agent sampling (the agent stopped), then with it.
  try {
    docker('stop', 'truffles-agent');
  } catch {
    // not installed yet
  }
  await sleep(15_000); // dockerd settles after 200 starts
  const idleCpu = await dockerCpu(30);
  const inst = await core.call('agent.install', { host: 'h0' });
  console.log(`agent: ${inst.state}, version ${inst.version}, on ${inst.image}`);
  await sleep(12_000); // a first sweep of every container
  const cpuBefore = (await core.health.snapshot('h0')).agent.cpuSeconds;
  const sampledCpu = await dockerCpu(60);
  const snapAfter = await core.health.snapshot('h0');
  const agentCpu = ((snapAfter.agent.cpuSeconds - cpuBefore) / 60) * 100;
  console.log(
    `dockerd+containerd: ${idleCpu.toFixed(2)} % of a core without sampling, ${sampledCpu.toFixed(2)} % with` +
      ` (+${(sampledCpu - idleCpu).toFixed(2)} %; goal ≤ 1 %), sweep of ${snapAfter.containers.length} containers: ${snapAfter.agent.lastSweepMs} ms`,
  );
  console.log(
    `agent: ${(snapAfter.agent.rssBytes / 2 ** 20).toFixed(1)} MB resident, of which ${((snapAfter.agent.anonBytes ?? NaN) / 2 ** 20).toFixed(1)} MB its own (RssAnon; the rest is the Node binary's shared file pages) (goal ≤ 50 MB), ${agentCpu.toFixed(2)} % of a core`,
  );

  // Plain tool: `docker stats --no-stream` over every container, the same job as one sweep.
  const s0 = performance.now();
  execFileSync('docker', ['stats', '--no-stream', '--format', '{{.Name}}'], { encoding: 'utf8' });
  console.log(`plain tool: docker stats --no-stream (all containers): ${ms(performance.now() - s0)}`);

  // Fleet refresh: cold (a new console: ten SSH handshakes and agent greetings), warm (connections up).
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    await core.close();
    core = new Core({ home, secrets: new PassphraseProvider(async () => 'bench'), mode: 'cli' });
    const a = performance.now();
    const f = await core.call('health.fleet', {});
    cold.push(performance.now() - a);
    if (i === 0)
      console.log(
        `fleet: ${f.hosts.filter((h) => h.snapshot).length}/${f.hosts.length} hosts answered, ${f.hosts[0]?.snapshot?.containers.length} containers each`,
      );
  }
  const warm: number[] = [];
  for (let i = 0; i < 50; i++) {
    const a = performance.now();
    await core.call('health.fleet', {});
    warm.push(performance.now() - a);
  }
  const plain: number[] = [];
  for (let i = 0; i < 10; i++) {
    const a = performance.now();
    await Promise.all(
      Array.from({ length: HOSTS }, async (_, h) => {
        const tr = await core.hosts.transport(`h${h}`);
        await tr.exec(['docker', 'ps', '--all', '--format', '{{json .}}']);
      }),
    );
    plain.push(performance.now() - a);
  }
  console.log(`fleet refresh, cold: p50 ${ms(pct(cold, 50))}, p95 ${ms(pct(cold, 95))} (goal ≤ 2 s)`);
  console.log(`fleet refresh, warm: p50 ${ms(pct(warm, 50))}, p95 ${ms(pct(warm, 95))} (goal ≤ 300 ms)`);
  console.log(
    `plain tool, warm: docker ps -a on every host over the same SSH connections: p50 ${ms(pct(plain, 50))}, p95 ${ms(pct(plain, 95))} (state only: no health output, no stats)`,
  );

  // Docker event → console: a container killed, its record in a health.changed event.
  const lat: number[] = [];
  const waiters = new Map<string, (at: number) => void>();
  core.hub.attach('bench', { send: () => undefined, ready: () => true });
  core.hub.subscribe('bench', ['health.changed']);
  const off = core.onEvent((e: AppEvent) => {
    if (e.type !== 'health.changed' || e.host !== 'h0') return;
    for (const c of e.containers ?? []) if (c.state !== 'running') waiters.get(c.name)?.(performance.now());
  });
  await sleep(3_000);
  for (let i = 0; i < 20; i++) {
    const name = names[i * 7] as string;
    const seen = new Promise<number>((r) => waiters.set(name, r));
    const a = performance.now();
    docker('kill', name);
    lat.push((await Promise.race([seen, sleep(5_000).then(() => NaN)])) - a);
    waiters.delete(name);
  }
  off();
  core.hub.detach('bench');
  console.log(
    `docker kill → health.changed at the console: p50 ${ms(pct(lat, 50))}, p95 ${ms(pct(lat, 95))} (goal ≤ 1 s; includes the docker CLI)`,
  );

  // Log throughput: one container printing as fast as it can; ours against `docker logs` over SSH.
  const gen = 'bench-loggen';
  names.push(gen);
  const total = 200_000;
  docker(
    'run',
    '--detach',
    '--no-healthcheck',
    '--name',
    gen,
    '--label',
    LABEL,
    '--label',
    'org.truffles.tenant=bench-logs',
    '--label',
    'com.docker.compose.service=gen',
    '--entrypoint',
    'node',
    sb.images.n8n,
    '-e',
    `let s='';for(let i=1;i<=${total};i++){s+='line '+i+' '+'.'.repeat(60)+'\\n';if(s.length>65536){process.stdout.write(s);s=''}}process.stdout.write(s);setTimeout(()=>{},3600e3)`,
  );
  await sleep(4_000);
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const offLogs = core.onEvent((e) => {
    if (e.type === 'logs.lines') {
      got += e.lines.length;
      if (e.ended) done();
    }
  });
  const la = performance.now();
  await core.call('logs.follow', { host: 'h0', slug: 'bench-logs', tail: 5000, since: '1h', follow: false });
  // A promise nobody resolves would let Node exit here without the cleanup below: bound it.
  const keepAlive = setInterval(() => undefined, 1000);
  await Promise.race([finished, sleep(120_000)]);
  clearInterval(keepAlive);
  const ours = performance.now() - la;
  offLogs();
  const pa = performance.now();
  const tr = await core.hosts.transport('h0');
  const plainLogs = await tr.exec(['docker', 'logs', '--timestamps', gen], { timeoutMs: 120_000 });
  const plainMs = performance.now() - pa;
  const plainLines = plainLogs.stdout.split('\n').length - 1;
  console.log(
    `logs: ${got} lines in ${ms(ours)} (${Math.round((got * 1000) / ours)} lines/s) through the agent; ` +
      `plain docker logs over SSH: ${plainLines} lines in ${ms(plainMs)} (${Math.round((plainLines * 1000) / plainMs)} lines/s${plainLogs.stdoutTruncated ? ', output cut at the exec limit' : ''})`,
  );
} finally {
  for (const n of names) {
    try {
      docker('rm', '-f', n);
    } catch {
      // gone
    }
  }
  await core.close();
  for (const p of proxies) p.close();
  for (const s of sshds) await s.stop();
  rmSync(home, { recursive: true, force: true });
}
