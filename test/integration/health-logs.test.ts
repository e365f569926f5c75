import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, LogLine } from '../../src/shared/contract';
import { Core } from '../../src/main/core/core';
import type { SshTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { addSandboxHost } from '../helpers/hosts';
import { sandbox } from '../helpers/sandbox';
import { uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 13: live logs through the host agent on the real test host. Containers carrying a tenant's
 * labels print numbered lines (Node.js of the test host's n8n image); the console must receive
 * every line once, in order, also across a killed SSH connection.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
const started: string[] = [];

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** A container of tenant `slug`, service `service`, printing `total` numbered lines at `perSecond`. */
function generator(slug: string, service: string, total: number, perSecond: number): string {
  const name = `${slug}-${service}`;
  const tick = 10;
  const per = Math.max(1, Math.round((perSecond * tick) / 1000));
  const script = `let n=0;const t=setInterval(()=>{let s='';for(let i=0;i<${per}&&n<${total};i++){n++;s+='${service} seq='+n+' '+'.'.repeat(40)+'\\n'}process.stdout.write(s);if(n>=${total}){clearInterval(t);setTimeout(()=>{},3600e3)}},${tick})`;
  docker(
    'run',
    '--detach',
    '--name',
    name,
    '--label',
    `org.truffles.tenant=${slug}`,
    '--label',
    `com.docker.compose.service=${service}`,
    '--entrypoint',
    'node',
    sandbox().images.n8n,
    '-e',
    script,
  );
  started.push(name);
  return name;
}

function collect(streamId: () => string | null): {
  lines: LogLine[];
  resumed: number;
  ended: Promise<AppEvent>;
} {
  const lines: LogLine[] = [];
  let resumed = 0;
  let end!: (e: AppEvent) => void;
  const ended = new Promise<AppEvent>((r) => (end = r));
  const pending: Extract<AppEvent, { type: 'logs.lines' }>[] = [];
  const take = (e: Extract<AppEvent, { type: 'logs.lines' }>): void => {
    lines.push(...e.lines);
    if (e.resumed) resumed += 1;
    if (e.ended) end(e);
  };
  core.onEvent((e) => {
    if (e.type !== 'logs.lines') return;
    const id = streamId();
    if (id === null) pending.push(e);
    else {
      for (const p of pending.splice(0)) if (p.streamId === id) take(p);
      if (e.streamId === id) take(e);
    }
  });
  return {
    lines,
    get resumed() {
      return resumed;
    },
    ended,
  };
}

function seqs(lines: LogLine[], service: string): number[] {
  return lines.filter((l) => l.service === service).map((l) => Number(/seq=(\d+)/.exec(l.text)?.[1]));
}

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'x'),
    mode: 'cli',
  });
  await addSandboxHost(core, 'sb');
  await core.images.set('sb', { ...sandbox().images });
  const s = await core.call('agent.install', { host: 'sb' });
  expect(s.state).toBe('answering');
}, 120_000);

afterAll(async () => {
  for (const c of started) docker('rm', '-f', c);
  await core?.close();
  t?.cleanup();
}, 60_000);

describe('live logs through the agent', () => {
  it('5,000 lines/s for 60 s arrive complete, in order, once — across a killed SSH connection', async () => {
    const slug = uniqueSlug('logs');
    const total = 300_000;
    generator(slug, 'gen', total, 5_000);
    await new Promise((r) => setTimeout(r, 1500)); // the agent's events stream sees the new container
    let id: string | null = null;
    const got = collect(() => id);
    const t0 = Date.now();
    const r = await core.call('logs.follow', { host: 'sb', slug, since: '1h', tail: 0, follow: true });
    id = r.streamId;
    // Half-way, the SSH connection to the host is cut (as a network drop would).
    await new Promise((res) => setTimeout(res, 25_000));
    const tr = (await core.hosts.transport('sb')) as SshTransport;
    (await tr.connection()).close();
    const deadline = Date.now() + 120_000;
    while (got.lines.length < total && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 250));
    const ms = Date.now() - t0;
    await core.call('logs.stop', { streamId: id });
    const s = seqs(got.lines, 'gen');
    console.log(
      `logs: ${s.length} lines in ${(ms / 1000).toFixed(1)} s (${Math.round((s.length * 1000) / ms)} lines/s), ${got.resumed} resume(s)`,
    );
    expect(got.resumed).toBeGreaterThanOrEqual(1);
    expect(s.length).toBe(total);
    const wrong = s.findIndex((v, i) => v !== i + 1);
    expect(wrong).toBe(-1);
  }, 240_000);

  it("a tenant's four services merged keep each service's order; a follow without --follow ends by itself", async () => {
    const slug = uniqueSlug('merge');
    const services = ['postgres', 'redis', 'qdrant', 'n8n'];
    for (const s of services) generator(slug, s, 3_000, 3_000);
    await new Promise((r) => setTimeout(r, 3_000));
    let id: string | null = null;
    const got = collect(() => id);
    const r = await core.call('logs.follow', { host: 'sb', slug, tail: 5000, follow: false });
    id = r.streamId;
    expect(r.services.sort()).toEqual([...services].sort());
    const end = await got.ended;
    expect(end).toMatchObject({ ended: true });
    for (const s of services)
      expect(seqs(got.lines, s)).toEqual(Array.from({ length: 3_000 }, (_, i) => i + 1));
    // The merged order interleaves services (they printed at the same time).
    const firstSwitch = got.lines.findIndex((l, i) => i > 0 && l.service !== got.lines[i - 1]?.service);
    expect(firstSwitch).toBeGreaterThan(0);
  }, 60_000);

  it('a follow goes on across a restart of the container (Docker ends its follow when the container stops)', async () => {
    const slug = uniqueSlug('rst');
    const name = generator(slug, 'gen', 1_000, 2_000);
    await new Promise((r) => setTimeout(r, 2_000));
    let id: string | null = null;
    const got = collect(() => id);
    const r = await core.call('logs.follow', { host: 'sb', slug, tail: 5000, follow: true });
    id = r.streamId;
    await expect.poll(() => got.lines.length, { timeout: 10_000 }).toBe(1_000);
    docker('restart', '--time', '1', name);
    // The restarted program prints its 1,000 lines again: they arrive in the same follow.
    await expect.poll(() => got.lines.length, { timeout: 20_000 }).toBe(2_000);
    expect(seqs(got.lines, 'gen')).toEqual([
      ...Array.from({ length: 1_000 }, (_, i) => i + 1),
      ...Array.from({ length: 1_000 }, (_, i) => i + 1),
    ]);
    await core.call('logs.stop', { streamId: id });
  }, 60_000);
  it('a follow goes on across a recreate: the service’s new container (a new id) carries on', async () => {
    const slug = uniqueSlug('rcr');
    const name = generator(slug, 'gen', 1_000, 2_000);
    await new Promise((r) => setTimeout(r, 2_000));
    let id: string | null = null;
    const got = collect(() => id);
    let ended = false;
    void got.ended.then(() => (ended = true));
    const r = await core.call('logs.follow', { host: 'sb', slug, tail: 5000, follow: true });
    id = r.streamId;
    await expect.poll(() => got.lines.length, { timeout: 10_000 }).toBe(1_000);
    // What compose does to recreate a service: the old container removed, a new one of the same
    // tenant and service started.
    const oldId = docker('inspect', '--format', '{{.Id}}', name);
    docker('rm', '--force', name);
    started.splice(started.indexOf(name), 1);
    generator(slug, 'gen', 500, 2_000);
    expect(docker('inspect', '--format', '{{.Id}}', name)).not.toBe(oldId);
    await expect.poll(() => got.lines.length, { timeout: 20_000 }).toBe(1_500);
    expect(seqs(got.lines, 'gen')).toEqual([
      ...Array.from({ length: 1_000 }, (_, i) => i + 1),
      ...Array.from({ length: 500 }, (_, i) => i + 1),
    ]);
    expect(ended).toBe(false);
    await core.call('logs.stop', { streamId: id });
  }, 60_000);
});
