/**
 * `npm run bench:provision`: five tenant creates on the test host (images already there), each to
 * healthy + migrated + routed, with the time of every step and the console's peak memory. The
 * edge and Qdrant are the test host's stand-ins. Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Core } from '../src/main/core/core';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
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

const totals: number[] = [];
const perStep = new Map<string, number[]>(CREATE_STEPS.map((s) => [s, []]));
try {
  await tenantHost(core, 'sb');
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
    console.log(`create ${i + 1}/${RUNS} ${slug}: ${(ms / 1000).toFixed(1)} s`);
    await core.tenants.delete(slug, slug, 'sb');
  }
  console.log('\nPer step (median over the runs):');
  for (const [step, xs] of perStep)
    console.log(`  ${step.padEnd(12)} ${(median(xs) / 1000).toFixed(2).padStart(6)} s`);
  console.log(
    `\nCreate to healthy + migrated + routed: median ${(median(totals) / 1000).toFixed(1)} s, min ${(Math.min(...totals) / 1000).toFixed(1)} s, max ${(Math.max(...totals) / 1000).toFixed(1)} s (goal ≤ 30 s)`,
  );
  console.log(
    `Console peak memory: RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, heap ${(peakHeap / 2 ** 20).toFixed(0)} MiB`,
  );
} finally {
  clearInterval(sampler);
  await core.close();
  rmSync(home, { recursive: true, force: true });
}
