/**
 * `npm run bench:fleet` (issue 18 item 4): a fleet update of 20 tenants on one host, four at a time,
 * next to the sum of the same updates done one by one. The update is the usual one: a new n8n
 * image in the host's catalog (here the same image under another tag, so every tenant's n8n is
 * recreated, boots, and is proven healthy and routed), each with its pre-update backup.
 *
 *   1. 20 tenants (plan starter, base modules) are created, four at a time.
 *   2. One by one: the catalog's n8n becomes `…:bench-a`, `fleet.update` with concurrency 1. Its
 *      total is the sum of 20 single updates (each tenant's own time is printed too).
 *   3. Four at a time: the catalog's n8n goes back, `fleet.update` with concurrency 4.
 * The test host's edge and Qdrant are stand-ins; PostgreSQL, Redis and n8n are real. Prints
 * figures; asserts nothing. Everything it made is removed at the end (tenants without a final
 * backup, their backups, the extra tag, the catalog override). BENCH_TENANTS=N for another count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Core } from '../src/main/core/core';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
import type { AppEvent, CommandOutput } from '../src/shared/contract';
import { sandbox } from '../test/helpers/sandbox';
import { tenantHost, uniqueSlug } from '../test/helpers/tenants';

const N = Number(process.env.BENCH_TENANTS ?? 20);
const CONCURRENCY = 4;
const sb = sandbox();
const home = mkdtempSync(join(tmpdir(), 'truffles-bench-fleet-'));
const core = new Core({
  home,
  secrets: new PassphraseProvider(async () => 'bench fleet passphrase'),
  mode: 'cli',
});
const slugs = Array.from({ length: N }, (_, i) => uniqueSlug(`fb${i}`));
const created: string[] = [];

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function inBatches<T>(items: T[], n: number, f: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += n) await Promise.all(items.slice(i, i + n).map(f));
}

/** One fleet update over every tenant: its wall time, each tenant's time from start to outcome, and the outcomes. */
async function fleetUpdate(
  opId: string,
  concurrency: number,
): Promise<{ ms: number; perTenant: number[]; outcomes: string[] }> {
  const began = new Map<string, number>();
  const took = new Map<string, number>();
  let t0 = performance.now();
  const off = core.onEvent((e: AppEvent) => {
    if (e.type !== 'fleet.progress' || e.opId !== opId) return;
    if (e.state === 'backup' && !began.has(e.slug)) began.set(e.slug, performance.now());
    if (['updated', 'rolled-back', 'failed', 'skipped'].includes(e.state)) {
      took.set(e.slug, performance.now() - (began.get(e.slug) ?? performance.now()));
      // Each outcome as it comes, so a long pass can be followed (and a stopped one still says something).
      console.log(
        `   ${String(took.size).padStart(2)}/${N} ${e.slug} ${e.state} in ${secs(took.get(e.slug) ?? 0)} (pass at ${secs(performance.now() - t0)})`,
      );
    }
  });
  t0 = performance.now();
  const r = await core.dispatch('fleet.update', {
    selection: { slugs },
    concurrency,
    stopAfterFailures: N,
    opId,
  });
  const ms = performance.now() - t0;
  off();
  if (!r.ok) throw new Error(`fleet.update failed: ${JSON.stringify(r.error)}`);
  const { outcomes } = r.value as CommandOutput<'fleet.update'>;
  return { ms, perTenant: [...took.values()], outcomes: outcomes.map((o) => `${o.slug} ${o.outcome}`) };
}

const original = sb.images.n8n;
const retag = `${original.split(':')[0]}:bench-a`;
try {
  await tenantHost(core, 'sb');
  await core.backupKeys.init();
  // A fresh key on a test host other runs set up: taken over on purpose (refused otherwise).
  await core.backups.rekey({ host: 'sb', confirm: 'sb' });
  const t = await core.hosts.transport('sb');
  const load = async (): Promise<string> =>
    (await t.exec(['cat', '/proc/loadavg'])).stdout.split(' ').slice(0, 3).join(' ');
  console.log(`Test host ready (edge and Qdrant are stand-ins). ${N} tenants, plan starter, base modules.`);

  let t0 = performance.now();
  await inBatches(slugs, CONCURRENCY, async (slug) => {
    await core.tenants.create({
      slug,
      host: 'sb',
      plan: 'starter',
      modules: [],
      env: {},
      keepOnFailure: false,
    });
    created.push(slug);
  });
  console.log(`Created ${N} tenants, ${CONCURRENCY} at a time, in ${secs(performance.now() - t0)}.\n`);

  const tag = await t.exec(['docker', 'tag', original, retag]);
  if (tag.code !== 0) throw new Error(`docker tag failed: ${tag.stderr}`);

  console.log(`1. One by one: n8n ${original} → ${retag} (load before: ${await load()})`);
  await core.images.set('sb', { ...sb.images, n8n: retag });
  t0 = performance.now();
  const one = await fleetUpdate('bench-fleet-1', 1);
  const bad1 = one.outcomes.filter((o) => !o.endsWith(' updated'));
  console.log(
    `   total ${secs(one.ms)} = the sum of ${N} single updates; each: median ${secs(median(one.perTenant))}, min ${secs(Math.min(...one.perTenant))}, max ${secs(Math.max(...one.perTenant))}${bad1.length ? `; not updated: ${bad1.join(', ')}` : ''}`,
  );

  console.log(`2. ${CONCURRENCY} at a time: n8n ${retag} → ${original} (load before: ${await load()})`);
  await core.images.set('sb', { ...sb.images });
  const four = await fleetUpdate('bench-fleet-4', CONCURRENCY);
  const bad4 = four.outcomes.filter((o) => !o.endsWith(' updated'));
  console.log(
    `   total ${secs(four.ms)}; each: median ${secs(median(four.perTenant))}, min ${secs(Math.min(...four.perTenant))}, max ${secs(Math.max(...four.perTenant))}${bad4.length ? `; not updated: ${bad4.join(', ')}` : ''} (load after: ${await load()})`,
  );
  console.log(
    `\nFleet update of ${N} tenants on one host: ${secs(four.ms)} at concurrency ${CONCURRENCY}, against ${secs(one.ms)} for the same updates one by one (${(one.ms / four.ms).toFixed(2)}× faster; the host has ${(await t.exec(['nproc'])).stdout.trim()} CPUs).`,
  );
} finally {
  await core.images.set('sb', { ...sb.images }).catch(() => undefined);
  const t = await core.hosts.transport('sb').catch(() => null);
  await inBatches(created, CONCURRENCY, async (s) => {
    await core.fleet.deleteTenant(s, s, 'sb', true).catch(() => undefined);
    await t?.exec(['rm', '-rf', '--', `/opt/truffles/backups/${s}`]).catch(() => undefined);
  });
  await t?.exec(['docker', 'rmi', retag]).catch(() => undefined);
  await core.close();
  rmSync(home, { recursive: true, force: true });
}
