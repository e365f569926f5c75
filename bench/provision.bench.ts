/**
 * `npm run bench:provision`: five tenant creates on the test host (images already there), each to
 * healthy + migrated + routed, with the time of every step and the console's peak memory. The
 * edge and Qdrant are the test host's stand-ins. Prints figures; asserts nothing.
 *
 * The floor (issue 18), measured in the same run after each create: a plain `docker compose up
 * --detach --wait` of the stack that create rendered (its compose.yaml and .env, copied, under a
 * project of its own), with nothing imported or migrated and no route, then `down --volumes`.
 * The only addition is n8n's schema, made by an init script of PostgreSQL's image (n8n cannot
 * boot without it; create makes it by SQL). Twice: at the plan's limits as rendered, and with n8n's
 * CPU limit lifted to the host's CPUs, as create lifts it while n8n boots.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Core } from '../src/main/core/core';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
import type { HostTransport } from '../src/main/core/hosts/transport';
import { shellJoin } from '../src/main/core/ssh/quote';
import { compose } from '../src/main/core/tenants/compose';
import { tenantDir } from '../src/main/core/tenants/hostfs';
import { CREATE_STEPS } from '../src/main/core/tenants/service';
import { tenantHost, uniqueSlug } from '../test/helpers/tenants';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const home = mkdtempSync(join(tmpdir(), 'truffles-bench-provision-'));
const core = new Core({ home, secrets: new PassphraseProvider(async () => 'bench'), mode: 'cli' });
let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 50);

/** A copy of a created tenant's rendered stack on the host, to bring up plainly with Compose. */
async function floorCopy(
  t: HostTransport,
  from: string,
  to: string,
  project: string,
  cpus: string | null,
): Promise<void> {
  const override = [
    'services:',
    '  postgres:',
    '    volumes:',
    `      - ${to}/floor-init.sql:/docker-entrypoint-initdb.d/floor-init.sql:ro`,
    ...(cpus
      ? ['  n8n:', '    deploy:', '      resources:', '        limits:', `          cpus: '${cpus}'`]
      : []),
    '',
  ].join('\n');
  const script = [
    'set -e',
    'rm -rf "$2" && mkdir -p "$2" && chmod 755 "$2"',
    'cp "$1/compose.yaml" "$1/.env" "$2/"',
    // The floor's containers are not the tenant's: a project and labels of their own.
    'sed -i "s/^CLIENT_SLUG=.*/CLIENT_SLUG=$3/" "$2/.env"',
    'printf "create schema if not exists n8n;\\n" > "$2/floor-init.sql" && chmod 644 "$2/floor-init.sql"',
    'printf "%s" "$4" > "$2/floor.yaml"',
  ].join('\n');
  const r = await t.exec(['sh', '-c', script, 'sh', from, to, project, override]);
  if (r.code !== 0) throw new Error(`floor copy failed: ${r.stderr.trim()}`);
}

/** The project's one compose builder, with the floor's override as a second file. */
function floorCompose(dir: string, project: string, ...args: string[]): string[] {
  return compose(dir, project, '--file', `${dir}/floor.yaml`, ...args);
}

/** `docker compose up --detach --wait` of the copy, timed; then down with its volumes. */
async function floorUp(t: HostTransport, dir: string, project: string): Promise<number> {
  const t0 = performance.now();
  const up = await t.exec(floorCompose(dir, project, 'up', '--detach', '--wait'), { timeoutMs: 600_000 });
  const ms = performance.now() - t0;
  const down = await t.exec(floorCompose(dir, project, 'down', '--volumes', '--timeout', '5'), {
    timeoutMs: 300_000,
  });
  await t.exec(['rm', '-rf', dir]);
  if (up.code !== 0)
    throw new Error(
      `${shellJoin(floorCompose(dir, project, 'up', '--detach', '--wait'))}: ${up.stderr.trim().slice(-600)}`,
    );
  if (down.code !== 0) throw new Error(`compose down failed: ${down.stderr.trim().slice(-400)}`);
  return ms;
}

const totals: number[] = [];
const floors: number[] = [];
const floorsLifted: number[] = [];
const perStep = new Map<string, number[]>(CREATE_STEPS.map((s) => [s, []]));
try {
  await tenantHost(core, 'sb');
  const t = await core.hosts.transport('sb');
  const stateDir = (await core.hosts.get('sb')).stateDir;
  const hostCpus = (await t.exec(['nproc'])).stdout.trim();
  console.log(
    `Test host ready (edge and Qdrant are stand-ins). ${RUNS} creates, plan starter, base modules.\n`,
  );
  for (let i = 0; i < RUNS; i++) {
    const slug = uniqueSlug('bench');
    const started = new Map<string, number>();
    const off = core.onEvent((e) => {
      if (e.type !== 'progress') return;
      if (e.state === 'running' && !started.has(e.step)) started.set(e.step, performance.now());
      if (e.state === 'done')
        perStep.get(e.step)?.push(performance.now() - (started.get(e.step) ?? performance.now()));
    });
    const t0 = performance.now();
    await core.tenants.create({
      slug,
      host: 'sb',
      plan: 'starter',
      modules: [],
      env: {},
      keepOnFailure: false,
    });
    const ms = performance.now() - t0;
    off();
    totals.push(ms);
    const capped = `/tmp/truffles-floor-${slug}`;
    const lifted = `/tmp/truffles-floor-${slug}-lifted`;
    await floorCopy(t, tenantDir(stateDir, slug), capped, `floor-${slug}`, null);
    await floorCopy(t, tenantDir(stateDir, slug), lifted, `floorl-${slug}`, hostCpus);
    await core.tenants.delete(slug, slug, 'sb');
    const f = await floorUp(t, capped, `floor-${slug}`);
    const fl = await floorUp(t, lifted, `floorl-${slug}`);
    floors.push(f);
    floorsLifted.push(fl);
    console.log(
      `create ${i + 1}/${RUNS} ${slug}: ${(ms / 1000).toFixed(1)} s   floor (compose up --wait): ${(f / 1000).toFixed(1)} s at the plan's limits, ${(fl / 1000).toFixed(1)} s with n8n's CPUs lifted`,
    );
  }
  console.log('\nPer step (median over the runs):');
  for (const [step, xs] of perStep)
    console.log(`  ${step.padEnd(12)} ${(median(xs) / 1000).toFixed(2).padStart(6)} s`);
  const m = median(totals);
  console.log(
    `\nCreate to healthy + migrated + routed: median ${(m / 1000).toFixed(1)} s, min ${(Math.min(...totals) / 1000).toFixed(1)} s, max ${(Math.max(...totals) / 1000).toFixed(1)} s (goal ≤ 15 s: ${m <= 15_000 ? 'PASS' : 'MISS'})`,
  );
  const mf = median(floors);
  const mfl = median(floorsLifted);
  console.log(
    `Floor, plain compose up --wait of the same stack: median ${(mf / 1000).toFixed(1)} s at the plan's limits (create = ${(m / mf).toFixed(2)}×, goal ≤ 1.3×: ${m / mf <= 1.3 ? 'PASS' : 'MISS'}); ${(mfl / 1000).toFixed(1)} s with n8n's CPU limit lifted as create lifts it (create = ${(m / mfl).toFixed(2)}×)`,
  );
  console.log(
    `Console peak memory: RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, heap ${(peakHeap / 2 ** 20).toFixed(0)} MiB`,
  );
} finally {
  clearInterval(sampler);
  await core.close();
  rmSync(home, { recursive: true, force: true });
}
