import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerHealth, WatchEvent } from '../../src/shared/agent/protocol';
import { AGENT_PROTOCOL, AGENT_VERSION } from '../../src/shared/agent/protocol';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { sandbox } from '../helpers/sandbox';
import { tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 13: the host agent on the real test host (real OpenSSH, real Docker, a real tenant). It is
 * installed with no registry reachable (it runs on the Node.js of the n8n image the host already
 * has), sees state from Docker's events stream, and keeps its history across being killed.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
const slug = uniqueSlug('hlth');
const extra: string[] = [];

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

async function until<T>(
  what: string,
  f: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 600)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function container(name: string): Promise<ContainerHealth | undefined> {
  return (await core.health.snapshot('sb')).containers.find((c) => c.name === name);
}

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'x'),
    mode: 'cli',
  });
  await tenantHost(core);
  await core.tenants.create({
    slug,
    host: 'sb',
    plan: 'starter',
    modules: [],
    env: {},
    keepOnFailure: false,
  });
}, 600_000);

afterAll(async () => {
  for (const c of extra) docker('rm', '-f', c);
  await core?.tenants.delete(slug, slug, 'sb').catch(() => undefined);
  try {
    docker('rm', '-f', 'truffles-agent');
  } catch {
    // not there
  }
  await core?.close();
  t?.cleanup();
}, 120_000);

describe('the host agent', () => {
  it('installs with no registry (on the host’s n8n image), answers with its version, and a second install leaves it as it is', async () => {
    const s = await core.call('agent.install', { host: 'sb' });
    expect(s).toMatchObject({
      state: 'answering',
      version: AGENT_VERSION,
      protocol: AGENT_PROTOCOL,
      restarts: 0,
    });
    expect(s.image).toBe(sandbox().images.n8n);
    expect(s.eventsConnected).toBe(true);
    const started = docker('inspect', '--format', '{{.State.StartedAt}}', 'truffles-agent');
    const again = await core.call('agent.install', { host: 'sb' });
    expect(again.state).toBe('answering');
    expect(docker('inspect', '--format', '{{.State.StartedAt}}', 'truffles-agent')).toBe(started);
    // It listens on no network port: none of its process's sockets is a listening TCP socket or a
    // bound UDP one (it has the host's network, to reach Telegram and the edge, not to be reached).
    const pid = docker('inspect', '--format', '{{.State.Pid}}', 'truffles-agent');
    const inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`);
          } catch {
            return '';
          }
        })
        .filter((l) => l.startsWith('socket:['))
        .map((l) => l.slice(8, -1)),
    );
    expect(inodes.size).toBeGreaterThan(0);
    const listening = ['tcp', 'tcp6', 'udp', 'udp6'].flatMap((f) =>
      readFileSync(`/proc/${pid}/net/${f}`, 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/))
        .filter((c) => c.length > 9 && inodes.has(c[9]!) && (f.startsWith('udp') || c[3] === '0A')),
    );
    expect(listening).toEqual([]);
  }, 120_000);

  it("sees the tenant's four services, and killing its PostgreSQL reaches a watcher within 1 s of the Docker event", async () => {
    const snap = await core.call('health.tenant', { slug, host: 'sb' });
    expect(snap.containers.map((c) => c.service).sort()).toEqual(['n8n', 'postgres', 'qdrant', 'redis']);
    const pg = snap.containers.find((c) => c.service === 'postgres');
    expect(pg).toMatchObject({ state: 'running', tenant: slug });

    const seen: Array<{ at: number; c: ContainerHealth }> = [];
    const stream = await core.health.watch('sb', (e: WatchEvent) => {
      if (e.kind === 'containers') for (const c of e.containers) seen.push({ at: Date.now(), c });
    });
    try {
      const killedAt = Date.now();
      docker('kill', pg!.name);
      // Docker may already have restarted it by the time the agent inspects it (restart policy):
      // either way the watcher hears of the death — a stopped state, or one more restart.
      const died = (c: ContainerHealth): boolean =>
        c.id === pg!.id && (c.state !== 'running' || c.restarts > pg!.restarts);
      const down = await until(
        'postgres down in the watch stream',
        () => seen.find((s) => died(s.c)),
        (v) => v !== undefined,
        5_000,
      );
      const latency = down!.at - killedAt;
      console.log(`kill → watcher: ${latency} ms (${down!.c.state}, restarts ${down!.c.restarts})`);
      expect(latency).toBeLessThanOrEqual(1_000);
      // The fleet snapshot says so too, with no refresh of anything.
      const fleet = await core.call('health.fleet', {});
      const now = fleet.hosts.find((h) => h.host === 'sb')?.snapshot?.containers.find((c) => c.id === pg!.id);
      expect(now && died(now)).toBe(true);
      if (now?.state === 'exited') expect(now.exitCode).toBe(137);
    } finally {
      stream.close();
      if ((await container(pg!.name))?.state !== 'running') docker('start', pg!.name);
    }
    await until(
      'postgres running again',
      () => container(pg!.name),
      (c) => c?.state === 'running',
    );
  }, 60_000);

  it('a container whose health check starts failing turns unhealthy with the check’s output', async () => {
    const name = `${slug}-hc`;
    extra.push(name);
    docker(
      'run',
      '--detach',
      '--name',
      name,
      '--label',
      `org.truffles.tenant=${slug}-probe`,
      '--label',
      'com.docker.compose.service=probe',
      '--health-cmd',
      'if [ -f /tmp/bad ]; then echo "probe says: database refused"; exit 1; fi; echo ok',
      '--health-interval',
      '1s',
      '--health-retries',
      '2',
      '--health-start-period',
      '0s',
      '--entrypoint',
      'sleep',
      sandbox().images.postgres,
      'infinity',
    );
    await until(
      'healthy',
      () => container(name),
      (c) => c?.health === 'healthy',
      30_000,
    );
    docker('exec', name, 'touch', '/tmp/bad');
    const bad = await until(
      'unhealthy',
      () => container(name),
      (c) => c?.health === 'unhealthy',
      30_000,
    );
    expect(bad?.healthOutput).toContain('probe says: database refused');
    expect(bad?.failingStreak).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('a restart loop shows its restart count and exit code', async () => {
    const name = `${slug}-loop`;
    extra.push(name);
    docker(
      'run',
      '--detach',
      '--name',
      name,
      '--restart',
      'always',
      '--label',
      `org.truffles.tenant=${slug}-loop`,
      '--label',
      'com.docker.compose.service=crasher',
      '--entrypoint',
      'sh',
      sandbox().images.postgres,
      '-c',
      'sleep 0.3; exit 3',
    );
    const looping = await until(
      '3 restarts',
      () => container(name),
      (c) => (c?.restarts ?? 0) >= 3,
      60_000,
    );
    expect(looping?.exitCode === 3 || looping?.state === 'running' || looping?.state === 'restarting').toBe(
      true,
    );
    expect(looping?.tenant).toBe(`${slug}-loop`);
  }, 90_000);

  it('keeps samples and its history across its process being killed; Docker starts it again', async () => {
    const host = await until(
      'host samples',
      () => core.call('health.history', { host: 'sb', range: '1h' }),
      (s) => s.points.filter((p) => p.slice(1).some((v) => v !== null)).length >= 2,
      40_000,
    );
    const before = host.points.filter((p) => p.slice(1).some((v) => v !== null)).map((p) => p[0]);
    // PostgreSQL was killed and started again by the tests before: its stats are back within a few sweeps.
    const snap = await until(
      "the tenant's PostgreSQL with its stats",
      () => core.health.snapshot('sb'),
      (x) =>
        (x.containers.find((c) => c.tenant === slug && c.service === 'postgres')?.stats?.memBytes ?? 0) > 0,
      20_000,
    );
    expect(snap.host?.memTotalBytes).toBeGreaterThan(0);
    expect(snap.host?.disks.some((d) => d.mount === '/')).toBe(true);
    const pg = snap.containers.find((c) => c.tenant === slug && c.service === 'postgres');
    expect(pg?.stats?.memBytes).toBeGreaterThan(0);
    // Stats come from the host's cgroup files, not Docker's stats API, and agree with docker stats.
    // A sweep that met a container being removed reads it from Docker's API ('mixed'): the next
    // sweeps, with nothing being removed, read every container from the cgroup files.
    const cgroup = existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'cgroup-v2' : 'cgroup-v1';
    const status = await until(
      'a sweep read from the cgroup files',
      () => core.call('agent.status', { host: 'sb' }),
      (x) => x.statsSource === cgroup,
      40_000,
    );
    expect(status.statsSource).toBe(cgroup);
    // PostgreSQL's memory moves when a client connects (the agent's own cost reads do, once a
    // minute): docker stats is compared with the agent's next sweep after it, up to four times.
    const gaps: number[] = [];
    for (let i = 0; i < 4; i++) {
      const usage = docker('stats', '--no-stream', '--format', '{{.MemUsage}}', pg!.name).split(' / ')[0]!;
      const m = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(usage);
      const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m![2] as 'B'];
      const read = Date.now();
      const snap2 = await until(
        'a sweep after docker stats',
        () => core.health.snapshot('sb'),
        (x) => Date.parse(x.agent.lastSweepAt ?? '') > read,
        30_000,
      );
      const fresh = snap2.containers.find((c) => c.name === pg!.name)?.stats?.memBytes ?? 0;
      gaps.push(Math.abs(fresh - Number(m![1]) * unit) / (Number(m![1]) * unit));
      if (gaps.at(-1)! < 0.25) break;
    }
    expect(Math.min(...gaps), `gaps ${gaps.map((g) => g.toFixed(2)).join(', ')}`).toBeLessThan(0.25);

    const pid = docker('inspect', '--format', '{{.State.Pid}}', 'truffles-agent');
    execFileSync('kill', ['-9', pid]);
    const back = await until(
      'the agent answering again',
      () => core.call('agent.status', { host: 'sb' }),
      (s) => s.state === 'answering' && s.restarts >= 1,
      30_000,
    );
    expect(back.version).toBe(AGENT_VERSION);
    const after = await core.call('health.history', { host: 'sb', range: '1h' });
    const kept = new Set(after.points.filter((p) => p.slice(1).some((v) => v !== null)).map((p) => p[0]));
    for (const at of before) expect(kept.has(at)).toBe(true);
  }, 120_000);
});
