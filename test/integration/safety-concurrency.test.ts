import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { SshTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { acquireTenantLock, type TenantLock } from '../../src/main/core/tenants/lock';
import type { AppEvent, CommandOutput } from '../../src/shared/contract';
import { addSandboxHost } from '../helpers/hosts';
import { tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, item 3: tenant locks must not starve a connection's session channels. Every lock a
 * console holds on a host lives in one multiplexer command; waiting for a channel has a deadline.
 * Against the real test host (OpenSSH, Docker Engine).
 */
let t: ReturnType<typeof tempDir>;
const cores: Core[] = [];

function newCore(hostOptions: ConstructorParameters<typeof Core>[0]['hostOptions'] = {}): Core {
  const c = new Core({
    home: join(t.dir, `c${cores.length}`),
    secrets: new PassphraseProvider(async () => 'concurrency passphrase'),
    mode: 'cli',
    hostOptions: { connectTimeoutMs: 10_000, ...hostOptions },
  });
  cores.push(c);
  return c;
}

beforeEach(() => {
  t = tempDir();
});
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  t.cleanup();
});

describe('session channels under many locks', () => {
  it('twelve tenant locks on one connection (budget 10) leave exec, SFTP and Docker working', async () => {
    const core = newCore();
    await addSandboxHost(core, 'h');
    const tr = (await core.hosts.transport('h')) as SshTransport;
    const stateDir = (await core.hosts.get('h')).stateDir;
    const slugs = Array.from({ length: 12 }, () => uniqueSlug('cc'));
    const locks: TenantLock[] = [];
    try {
      for (const slug of slugs) locks.push(await acquireTenantLock(tr, stateDir, slug, 'concurrency test'));
      const conn = await tr.connection();
      // All twelve ride on one session channel.
      expect(conn.sessions.inUse).toBe(1);
      // Each is a real flock on the host, with its owner file.
      const held = await tr.exec([
        'sh',
        '-c',
        'for s in "$@"; do flock -n "$0/locks/$s.lock" true && echo free || echo held; done',
        stateDir,
        ...slugs,
      ]);
      expect(held.stdout.trim().split('\n')).toEqual(slugs.map(() => 'held'));
      const owners = await tr.exec(['cat', '--', ...slugs.map((s) => `${stateDir}/locks/${s}.owner`)]);
      expect(owners.code).toBe(0);
      expect(owners.stdout.trim().split('\n')).toHaveLength(12);

      // Commands, an upload and Docker calls, several at once, still complete.
      const remote = `/tmp/truffles-cc-${slugs[0]}`;
      const [echoes, up, ping, list] = await Promise.all([
        Promise.all(Array.from({ length: 8 }, (_, i) => tr.exec(['echo', `hi ${i}`]))),
        tr.upload(Readable.from([Buffer.from('payload')]), remote),
        (await tr.docker()).ping(),
        (await tr.docker()).listContainers(),
      ]);
      expect(echoes.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 8 }, (_, i) => `hi ${i}`));
      expect(up.bytes).toBe(7);
      expect((await tr.exec(['cat', remote])).stdout).toBe('payload');
      await tr.exec(['rm', '-f', '--', remote]);
      expect(String(ping)).toBe('OK');
      expect(Array.isArray(list)).toBe(true);
    } finally {
      await Promise.all(locks.map((l) => l.release()));
    }
    // Released: a second console takes every one of them at once.
    const other = newCore();
    await addSandboxHost(other, 'h');
    const tr2 = await other.hosts.transport('h');
    const again = await Promise.all(slugs.map((s) => acquireTenantLock(tr2, stateDir, s, 'after')));
    expect(again.map((l) => l.owner.operation)).toEqual(slugs.map(() => 'after'));
    await Promise.all(again.map((l) => l.release()));
    await tr2.exec([
      'sh',
      '-c',
      'cd "$0/locks" && for s in "$@"; do rm -f -- "$s.lock" "$s.work"; done',
      stateDir,
      ...slugs,
    ]);
  }, 90_000);

  it('a command waiting for a session channel fails at its deadline with ssh.busy, naming what holds them', async () => {
    const core = newCore({ maxSessions: 2, slotWaitMs: 1500 });
    await addSandboxHost(core, 'h');
    const tr = await core.hosts.transport('h');
    const stop = new AbortController();
    const long = [1, 2].map(() => tr.exec(['sleep', '60'], { signal: stop.signal }).catch((e: unknown) => e));
    // Both channels taken (the two sleeps run on the host).
    await new Promise((r) => setTimeout(r, 500));
    const err = await tr.exec(['echo', 'late']).catch((e: unknown) => e);
    stop.abort();
    await Promise.all(long);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('ssh.busy');
    expect((err as CoreError).message).toContain('all 2 are in use (2× exec sleep)');
    expect((err as CoreError).hint).toMatch(/let them finish/);
    // With the channels free again, commands run.
    expect((await tr.exec(['echo', 'ok'])).stdout.trim()).toBe('ok');
  }, 60_000);

  it('a fleet update at concurrency 16 on a host whose connection carries 4 channels runs one tenant at a time there and finishes', async () => {
    // Budget 4: the per-host bound is (4 - 2) / 2 = 1, whatever the concurrency asked.
    const core = newCore({ maxSessions: 4 });
    await tenantHost(core, 'sb');
    await core.backupKeys.init();
    const slugs = [uniqueSlug('cf'), uniqueSlug('cg')];
    const tr = await core.hosts.transport('sb');
    try {
      await Promise.all(
        slugs.map((slug) =>
          core.tenants.create({
            slug,
            host: 'sb',
            plan: 'starter',
            modules: [],
            env: {},
            keepOnFailure: false,
          }),
        ),
      );
      // A fresh key on a test host other tests set up: taken over on purpose (refused otherwise).
      await core.backups.rekey({ host: 'sb', confirm: 'sb' });
      const events: Extract<AppEvent, { type: 'fleet.progress' }>[] = [];
      const off = core.onEvent((e) => {
        if (e.type === 'fleet.progress' && e.opId === 'conc-16') events.push(e);
      });
      const result = await core.dispatch('fleet.update', {
        selection: { slugs },
        concurrency: 16,
        stopAfterFailures: 5,
        opId: 'conc-16',
      });
      off();
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const { outcomes } = result.value as CommandOutput<'fleet.update'>;
      expect(outcomes.map((o) => [o.slug, o.outcome])).toEqual(slugs.map((s) => [s, 'updated']));
      // One at a time on the host: the second starts its backup only after the first is done.
      const [a, b] = slugs as [string, string];
      const aDone = events.findIndex((e) => e.slug === a && e.state === 'updated');
      const bStart = events.findIndex((e) => e.slug === b && e.state === 'backup');
      expect(aDone).toBeGreaterThan(-1);
      expect(bStart).toBeGreaterThan(aDone);
    } finally {
      for (const s of slugs) {
        await core.fleet.deleteTenant(s, s, 'sb', true).catch(() => undefined);
        await tr.exec(['rm', '-rf', '--', `/opt/truffles/backups/${s}`]).catch(() => undefined);
      }
    }
  }, 900_000);
});
