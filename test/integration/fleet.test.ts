import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import type { AppEvent, CommandOutput } from '../../src/shared/contract';
import { tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * A fleet update over four real tenants on the test host (real PostgreSQL, Redis, n8n; Qdrant and
 * the edge are STAND-INS), one of them broken: it stops after the configured number of failures
 * and reports every tenant's outcome.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
let tr: HostTransport;
const slugs = [uniqueSlug('fa'), uniqueSlug('fb'), uniqueSlug('fc'), uniqueSlug('fd')];

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'fleet passphrase'),
    mode: 'cli',
  });
  await tenantHost(core, 'sb');
  tr = await core.hosts.transport('sb');
  await core.backupKeys.init();
  await Promise.all(
    slugs.map((slug) =>
      core.tenants.create({ slug, host: 'sb', plan: 'starter', modules: [], env: {}, keepOnFailure: false }),
    ),
  );
  // A fresh key on a test host other tests set up: taken over on purpose (refused otherwise).
  await core.backups.rekey({ host: 'sb', confirm: 'sb' });
}, 600_000);

afterAll(async () => {
  for (const s of slugs) {
    await core.fleet.deleteTenant(s, s, 'sb', true).catch(() => undefined);
    await tr.exec(['rm', '-rf', '--', `/opt/truffles/backups/${s}`]).catch(() => undefined);
  }
  await core.close();
  t.cleanup();
}, 300_000);

describe('fleet update', () => {
  it('updates in order, stops after one failure, and reports each tenant’s outcome', async () => {
    const [a, b, c, d] = slugs as [string, string, string, string];
    // Break the second tenant: its Qdrant is down, so its safety backup (taken before any change) fails.
    const docker = await tr.docker();
    const [q] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${b}`, 'com.docker.compose.service=qdrant'] },
    });
    await docker.getContainer(q?.Id ?? 'missing').stop();
    const events: Extract<AppEvent, { type: 'fleet.progress' }>[] = [];
    const off = core.onEvent((e) => {
      if (e.type === 'fleet.progress' && e.opId === 'fleet-test') events.push(e);
    });
    const result = await core.dispatch('fleet.update', {
      selection: { slugs },
      concurrency: 1,
      stopAfterFailures: 1,
      opId: 'fleet-test',
    });
    off();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { outcomes, stopped } = result.value as CommandOutput<'fleet.update'>;
    expect(stopped).toBe(true);
    expect(outcomes.map((o) => [o.slug, o.outcome])).toEqual([
      [a, 'updated'],
      [b, 'failed'],
      [c, 'skipped'],
      [d, 'skipped'],
    ]);
    expect(outcomes[0]?.backupId).toMatch(/-pre-update$/);
    expect(outcomes[1]?.detail).toMatch(/qdrant/i);
    expect(outcomes[2]?.detail).toMatch(/stopped after 1 failure/);
    // Live progress for every tenant: queued first, then each one's own path.
    for (const s of slugs) expect(events.find((e) => e.slug === s)?.state).toBe('queued');
    expect(events.filter((e) => e.slug === a).map((e) => e.state)).toEqual([
      'queued',
      'backup',
      'updating',
      'updated',
    ]);
    expect(events.filter((e) => e.slug === c).map((e) => e.state)).toEqual(['queued', 'skipped']);
    // The updated tenant is healthy; the skipped ones were not touched (no pre-update backup).
    const sa = await core.tenants.status(a, 'sb');
    expect(sa.services.every((x) => x.health === 'healthy')).toBe(true);
    expect((await core.backups.list(c, 'sb')).backups).toEqual([]);
    expect((await core.backups.list(b, 'sb')).runs[0]).toMatchObject({ ok: false, kind: 'pre-update' });
  });
});
