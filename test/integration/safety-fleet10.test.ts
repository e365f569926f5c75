import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { fleetPerHostLimit } from '../../src/main/core/fleet/service';
import type { AppEvent, CommandOutput } from '../../src/shared/contract';
import { tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, Done-when: "A fleet update with concurrency 16 over 10 tenants on one host finishes (or
 * fails each tenant cleanly) within its timeouts; no command waits without a deadline." Ten real
 * tenants on the test host (real PostgreSQL, Redis, n8n; Qdrant and the edge are STAND-INS), one
 * fleet update through Core.dispatch on the default connection (budget 10), a read beside it.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
const slugs = Array.from({ length: 10 }, (_, i) => uniqueSlug(`f${i}`));
const ACTIVE = new Set(['backup', 'updating', 'health', 'rolling-back']);
const FINAL = new Set(['updated', 'rolled-back', 'failed', 'skipped']);
/** Ceiling for the whole fleet update: ten tenants, four at a time, each a backup and a compose up. */
const FLEET_CEILING_MS = 1_200_000;

/** Run `f` over `items`, `n` at a time (as an operator's script would create a batch). */
async function inBatches<T>(items: T[], n: number, f: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += n) await Promise.all(items.slice(i, i + n).map(f));
}

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'fleet10 passphrase'),
    mode: 'cli',
  });
  await tenantHost(core, 'sb');
  await core.backupKeys.init();
  await inBatches(slugs, 5, (slug) =>
    core.tenants.create({ slug, host: 'sb', plan: 'starter', modules: [], env: {}, keepOnFailure: false }),
  );
  // A fresh key on a test host other tests set up: taken over on purpose (refused otherwise).
  await core.backups.rekey({ host: 'sb', confirm: 'sb' });
}, 1_500_000);

afterAll(async () => {
  // Also when the test failed, even with a stuck connection: the first console is closed (that
  // drops its connection and with it any lock it held) and a fresh one on the same home deletes
  // every tenant, without a final backup, and its backups too.
  await Promise.race([core.close(), new Promise((r) => setTimeout(r, 30_000))]).catch(() => undefined);
  const cleaner = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'fleet10 passphrase'),
    mode: 'cli',
  });
  const ct = await cleaner.hosts.transport('sb');
  await inBatches(slugs, 5, async (s) => {
    await cleaner.fleet.deleteTenant(s, s, 'sb', true).catch(() => undefined);
    await ct.exec(['rm', '-rf', '--', `/opt/truffles/backups/${s}`]).catch(() => undefined);
  });
  await cleaner.close();
  t.cleanup();
}, 900_000);

describe('fleet update over ten tenants on one host', () => {
  it('concurrency 16 on the default connection: every tenant has an outcome, at most the per-host bound at once, reads and later commands answer', async () => {
    const perHost = fleetPerHostLimit(core.hosts.sessionBudget());
    expect(perHost).toBe(4);
    const events: Extract<AppEvent, { type: 'fleet.progress' }>[] = [];
    let readDuring: Promise<Awaited<ReturnType<Core['dispatch']>>> | null = null;
    const off = core.onEvent((e) => {
      if (e.type !== 'fleet.progress' || e.opId !== 'fleet10') return;
      events.push(e);
      // While the fleet update runs (the first tenant is being backed up), a read must answer.
      if (!readDuring && e.state === 'backup') readDuring = core.dispatch('tenants.list', { host: 'sb' });
    });
    let ceiling: NodeJS.Timeout | undefined;
    const run = core.dispatch('fleet.update', {
      selection: { slugs },
      concurrency: 16,
      stopAfterFailures: 10,
      opId: 'fleet10',
    });
    const result = await Promise.race([
      run,
      new Promise<never>((_, reject) => {
        ceiling = setTimeout(() => {
          const last = new Map(events.map((e) => [e.slug, `${e.state} ${e.detail}`]));
          reject(new Error(`fleet update still running: ${JSON.stringify([...last])}`));
        }, FLEET_CEILING_MS);
      }),
    ]).finally(() => clearTimeout(ceiling));
    off();
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    const { outcomes } = result.value as CommandOutput<'fleet.update'>;

    // Every tenant has exactly one outcome, in the order asked; each one that did not update says why.
    expect(outcomes.map((o) => o.slug)).toEqual(slugs);
    for (const o of outcomes) {
      expect(['updated', 'failed', 'rolled-back']).toContain(o.outcome);
      if (o.outcome !== 'updated') expect(o.detail.length).toBeGreaterThan(10);
    }
    // On this host nothing should make an update fail: each is updated, with its safety backup.
    expect(outcomes.map((o) => [o.slug, o.outcome])).toEqual(slugs.map((s) => [s, 'updated']));
    for (const o of outcomes) expect(o.backupId).toMatch(/-pre-update$/);

    // Each tenant's progress ends in its outcome; at no point more than the per-host bound ran at once.
    for (const s of slugs) {
      const mine = events.filter((e) => e.slug === s).map((e) => e.state);
      expect(mine[0]).toBe('queued');
      expect(FINAL.has(mine.at(-1) ?? '')).toBe(true);
    }
    const active = new Set<string>();
    let most = 0;
    for (const e of events) {
      if (ACTIVE.has(e.state)) active.add(e.slug);
      else active.delete(e.slug);
      most = Math.max(most, active.size);
    }
    expect(most).toBeLessThanOrEqual(perHost);
    expect(most).toBeGreaterThan(1);

    // The read issued while the update ran answered, with all ten tenants.
    expect(readDuring).not.toBeNull();
    const listed = await readDuring!;
    expect(listed.ok, JSON.stringify(listed)).toBe(true);
    if (listed.ok) {
      const names = (listed.value as CommandOutput<'tenants.list'>).tenants.map((x) => x.slug);
      for (const s of slugs) expect(names).toContain(s);
    }

    // Afterwards the host's connection still answers plain commands, and a tenant is healthy.
    const check = await core.dispatch('hosts.check', { name: 'sb' });
    expect(check.ok, JSON.stringify(check)).toBe(true);
    const st = await core.dispatch('tenants.status', { slug: slugs[9]!, host: 'sb' });
    expect(st.ok, JSON.stringify(st)).toBe(true);
    if (st.ok)
      expect(
        (st.value as CommandOutput<'tenants.status'>).services.every((x) => x.health === 'healthy'),
      ).toBe(true);
  }, 1_500_000);
});
