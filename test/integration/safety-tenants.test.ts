import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { acquireTenantLock } from '../../src/main/core/tenants/lock';
import { N8N_STARTED_LINE } from '../../src/main/core/tenants/service';
import * as contract from '../../src/shared/contract';
import { startExtraSshd, type ExtraSshd } from '../helpers/sandbox';
import { leftovers, tenantHost, uniqueSlug, withTenantDb } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, items 1, 2 and 14, on the real test host (edge and Qdrant are the stand-ins):
 * a tenant never takes over another compose project (nor the edge), its teardown removes only
 * what carries its own label; a safe update with a wrong input takes no backup and restores
 * nothing; a create whose console is gone reads as interrupted, with how to resume it.
 */
const STATE = '/opt/truffles';
/** The test host's Debian base image (built by test/sandbox/up.sh; no registry is reachable). */
const BASE_IMAGE = 'truffles/debian-base:bookworm';
let t: ReturnType<typeof tempDir>;
let core: Core;
let tr: HostTransport;
let cut: ExtraSshd;
let hook: ((step: string, slug: string) => Promise<void> | void) | null = null;
const cleanup: (() => Promise<unknown>)[] = [];

const input = (slug: string, host = 'sb') => ({
  slug,
  host,
  plan: 'starter' as const,
  modules: [],
  env: {},
  keepOnFailure: false,
});

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Everything Docker has of a compose project (by its label or `<name>_…`), with ids and start times. */
function projectSnapshot(project: string): string[] {
  const ids = docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`)
    .split('\n')
    .filter(Boolean);
  const containers = ids.map((id) =>
    docker('inspect', '-f', '{{.Id}} {{.State.Status}} {{.State.StartedAt}}', id),
  );
  const volumes = docker('volume', 'ls', '-q')
    .split('\n')
    .filter((v) => v.startsWith(`${project}_`));
  const networks = docker('network', 'ls', '--format', '{{.Name}} {{.ID}}')
    .split('\n')
    .filter((n) => n.startsWith(`${project}_`));
  return [...containers, ...volumes, ...networks].sort();
}

async function lockIsFree(slug: string): Promise<boolean> {
  const lock = await acquireTenantLock(tr, STATE, slug, 'test').catch(() => null);
  await lock?.release();
  return lock !== null;
}

async function noTenantDir(slug: string): Promise<boolean> {
  return (await tr.exec(['test', '-e', `${STATE}/tenants/${slug}`])).code !== 0;
}

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'safety passphrase'),
    mode: 'cli',
    hostOptions: { connectTimeoutMs: 5000 },
    tenantOptions: { beforeStep: (step, slug) => hook?.(step, slug) },
  });
  await tenantHost(core, 'sb');
  tr = await core.hosts.transport('sb');
}, 300_000);

afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
  await core.close();
  await cut?.stop();
  t.cleanup();
}, 300_000);

describe('item 1: a tenant cannot take over another compose project', () => {
  it('a slug naming a compose project that runs on the host is refused before anything changes', async () => {
    const project = uniqueSlug('mon');
    const yaml = [
      'services:',
      '  agent:',
      `    image: ${BASE_IMAGE}`,
      "    command: ['sleep', '3600']",
      "    volumes: ['data:/srv/data']",
      'volumes:',
      '  data: {}',
    ].join('\n');
    cleanup.push(async () =>
      execFileSync('docker', ['compose', '-p', project, '-f', '-', 'down', '-v', '-t', '1'], { input: yaml }),
    );
    execFileSync('docker', ['compose', '-p', project, '-f', '-', 'up', '-d'], { input: yaml, stdio: 'pipe' });
    const before = projectSnapshot(project);
    expect(before.length).toBeGreaterThanOrEqual(3); // container, volume, network
    // Should the create get past its checks, fail it right after `compose up` (whose
    // --remove-orphans took the project's container), so its rollback runs (which removed the rest).
    hook = (step, slug) => {
      if (slug === project && step === 'health') throw new CoreError('test.injected', 'past compose up', '');
    };
    let err: unknown;
    try {
      err = await core.tenants.create(input(project)).catch((e: unknown) => e);
    } finally {
      hook = null;
    }
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('tenant.project-exists');
    expect((err as CoreError).message).toContain(`${project}-agent-1`);
    expect((err as CoreError).message).toContain(`${project}_data`);
    expect((err as CoreError).hint).toContain('Nothing was changed');
    expect(projectSnapshot(project)).toEqual(before);
    expect(await noTenantDir(project)).toBe(true);
    expect(await lockIsFree(project)).toBe(true);
  }, 300_000);

  it('a slug whose <slug>_… volume exists (no project of ours) is refused too', async () => {
    const slug = uniqueSlug('vol');
    docker('volume', 'create', `${slug}_pg_data`);
    cleanup.push(async () => docker('volume', 'rm', `${slug}_pg_data`));
    hook = (step, s) => {
      if (s === slug && step === 'health') throw new CoreError('test.injected', 'past compose up', '');
    };
    let err: unknown;
    try {
      err = await core.tenants.create(input(slug)).catch((e: unknown) => e);
    } finally {
      hook = null;
    }
    expect((err as CoreError).code).toBe('tenant.project-exists');
    expect((err as CoreError).message).toContain(`volume ${slug}_pg_data`);
    expect(docker('volume', 'ls', '-q', '--filter', `name=${slug}_pg_data`)).toBe(`${slug}_pg_data`);
    expect(await noTenantDir(slug)).toBe(true);
  }, 300_000);

  it('the edge’s own project (truffles-edge) is refused by the contract and by the core, the edge untouched', async () => {
    // Guard first: nothing below may reach a create of truffles-edge on code that would accept it.
    expect(contract.NewSlugSchema?.safeParse('truffles-edge').success).toBe(false);
    const before = projectSnapshot('truffles-edge');
    expect(before.some((x) => x.includes(' running '))).toBe(true);
    const viaContract = await core.dispatch('tenants.create', { slug: 'truffles-edge', host: 'sb' });
    expect(viaContract.ok).toBe(false);
    if (!viaContract.ok) expect(viaContract.error.message).toContain('reserved for the console');
    const direct = await core.tenants.create(input('truffles-edge')).catch((e: unknown) => e);
    expect((direct as CoreError).code).toBe('tenant.slug');
    expect(projectSnapshot('truffles-edge')).toEqual(before);
  }, 120_000);

  it('a domain is refused when it is the edge’s dashboard or another tenant’s', async () => {
    const a = await core.tenants
      .create({ ...input(uniqueSlug('dash')), domain: 'traefik.bots.test' })
      .catch((e: unknown) => e);
    expect((a as CoreError).code).toBe('tenant.domain-taken');
    expect((a as CoreError).message).toContain('dashboard');
  }, 120_000);
});

describe('one real tenant: safe update refusals (item 2), domains and teardown (item 1)', () => {
  const slug = uniqueSlug('sft');

  function withDb<T>(fn: (db: pg.Client) => Promise<T>): Promise<T> {
    return withTenantDb(core, tr, slug, fn, STATE);
  }

  beforeAll(async () => {
    // A fleet key, so a backup *could* be taken: the refusals below must not take one.
    await core.backupKeys.init();
    cleanup.push(() => tr.exec(['rm', '-rf', '--', `${STATE}/backups/${slug}`]));
    cleanup.push(() => core.fleet.deleteTenant(slug, slug, 'sb', true));
    await core.tenants.create(input(slug));
    // A fresh key on a test host other tests set up: taken over on purpose (refused otherwise).
    await core.backups.rekey({ host: 'sb', confirm: 'sb' });
  }, 900_000);

  it('tenant update with an unknown --env name: refused, no backup, no restore, the rows in place', async () => {
    await withDb((db) =>
      db.query(`insert into customers (phone, name, channel) values ('77770001111', 'before update', 'web')`),
    );
    const before = await core.tenants.status(slug, 'sb');
    const backupsBefore = (await core.backups.list(slug, 'sb')).backups.length;
    const err = await core.fleet
      .updateTenant(slug, { addModules: [], removeModules: [], env: { NO_SUCH_VARIABLE: 'x' } }, 'sb')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('tenant.env-unknown');
    expect((err as CoreError).hint).toContain('no backup was taken');
    const after = await core.backups.list(slug, 'sb');
    expect(after.backups.length).toBe(backupsBefore);
    expect(after.restores).toEqual([]);
    expect(
      await withDb(
        async (db) => (await db.query(`select name from customers where phone = '77770001111'`)).rows,
      ),
    ).toEqual([{ name: 'before update' }]);
    const now = await core.tenants.status(slug, 'sb');
    expect(now.updatedAt).toBe(before.updatedAt);
    expect(now.lastOperation).toEqual(before.lastOperation);
  }, 600_000);

  it('a fleet-style safe update of a module already installed says it was refused, with no backup', async () => {
    const r = await core.fleet.safeUpdate(
      slug,
      { addModules: ['core_chat'], removeModules: [], env: {} },
      'sb',
    );
    expect(r.outcome).toBe('failed');
    expect(r.backupId).toBeNull();
    expect(r.detail).toMatch(/^refused, nothing changed, no backup taken: core_chat is already installed/);
    expect((await core.backups.list(slug, 'sb')).backups).toEqual([]);
  }, 600_000);

  it('another tenant cannot take its domain', async () => {
    const other = uniqueSlug('dup');
    const err = await core.tenants
      .create({ ...input(other), domain: `${slug}.bots.test` })
      .catch((e: unknown) => e);
    expect((err as CoreError).code).toBe('tenant.domain-taken');
    expect((err as CoreError).message).toContain(`'${slug}'`);
    expect(await noTenantDir(other)).toBe(true);
  }, 120_000);

  it('item 12: the route is waited for while n8n is still starting (a CPU-starved n8n restarted)', async () => {
    const id = docker(
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${slug}`,
      '--filter',
      'label=com.docker.compose.service=n8n',
    );
    expect(id).not.toBe('');
    // As on a loaded host: n8n gets half a CPU and starts again (the tenant is deleted next).
    docker('update', '--cpus', '0.5', id);
    docker('restart', '-t', '5', id);
    const notes: string[] = [];
    const detail = await core.tenants.waitRoute(tr, STATE, slug, `${slug}.bots.test`, (n) => notes.push(n));
    expect(detail).toContain(`200 from ${slug}`);
    expect(notes.some((n) => n.startsWith('waiting for n8n to finish starting'))).toBe(true);
    expect(docker('logs', id)).toContain(N8N_STARTED_LINE);
  }, 900_000);

  it('delete removes only what carries the tenant’s own label', async () => {
    // Someone else's container and volume under the tenant's compose project name.
    const intruder = `${slug}-intruder`;
    docker(
      'run',
      '-d',
      '--name',
      intruder,
      '--label',
      `com.docker.compose.project=${slug}`,
      '--label',
      'com.docker.compose.service=intruder',
      BASE_IMAGE,
      'sleep',
      '3600',
    );
    docker('volume', 'create', '--label', `com.docker.compose.project=${slug}`, `${slug}_intruder`);
    cleanup.push(async () => docker('volume', 'rm', '-f', `${slug}_intruder`));
    cleanup.push(async () => docker('rm', '-f', intruder));
    await core.fleet.deleteTenant(slug, slug, 'sb', true);
    const left = await leftovers(tr, slug);
    expect(left).toEqual({
      containers: [`/${intruder}`],
      volumes: [`${slug}_intruder`],
      networks: [],
      dir: false,
    });
    expect(docker('inspect', '-f', '{{.State.Running}}', intruder)).toBe('true');
  }, 600_000);
});

describe('item 14: an abandoned create reads as interrupted', () => {
  it('a create whose connection died lists as interrupted, with how to resume or delete it', async () => {
    cut = await startExtraSshd();
    await tenantHost(core, 'cut', {
      address: '127.0.0.1',
      port: cut.port,
      acceptFingerprint: cut.fingerprint,
    });
    const slug = uniqueSlug('intr');
    cleanup.push(() => core.tenants.delete(slug, slug, 'sb'));
    let whileRunning: contract.TenantView | undefined;
    hook = async (step, s) => {
      if (s !== slug || step !== 'start') return;
      // Still held by this create: running, as recorded.
      whileRunning = (await core.tenants.list('sb')).tenants.find((x) => x.slug === slug);
      await cut.kill();
    };
    let err: unknown;
    try {
      err = await core.tenants.create(input(slug, 'cut')).catch((e: unknown) => e);
    } finally {
      hook = null;
    }
    expect((err as CoreError).code).toMatch(/^(ssh\.|tenant\.lock-lost)/);
    expect(whileRunning?.lastOperation.state).toBe('running');

    const listed = (await core.tenants.list('sb')).tenants.find((x) => x.slug === slug);
    expect(listed?.state).toBe('creating');
    expect(listed?.lastOperation.state).toBe('interrupted');
    expect(listed?.lastOperation.error?.message).toContain('interrupted at step upload');
    expect(listed?.lastOperation.error?.hint).toContain(
      `truffles tenant create ${slug} --host sb --plan starter`,
    );
    expect(listed?.lastOperation.error?.hint).toContain(
      `truffles tenant delete ${slug} --host sb --confirm ${slug}`,
    );
    const status = await core.tenants.status(slug, 'sb');
    expect(status.lastOperation.state).toBe('interrupted');

    // A tenant from before volumes and networks carried our label: Compose's own labels only.
    // Its record is ours, so its teardown still removes the template's volumes and network.
    const project = `com.docker.compose.project=${slug}`;
    docker(
      'volume',
      'create',
      '--label',
      project,
      '--label',
      'com.docker.compose.volume=pg_data',
      `${slug}_pg_data`,
    );
    docker(
      'network',
      'create',
      '--internal',
      '--label',
      project,
      '--label',
      'com.docker.compose.network=internal',
      `${slug}_internal`,
    );
    cleanup.push(async () => docker('volume', 'rm', '-f', `${slug}_pg_data`));
    cleanup.push(async () => docker('network', 'rm', `${slug}_internal`));

    // Deleting it (as the hint says) leaves nothing.
    await core.tenants.delete(slug, slug, 'sb');
    expect(await noTenantDir(slug)).toBe(true);
    expect(await leftovers(tr, slug)).toEqual({ containers: [], volumes: [], networks: [], dir: false });
  }, 600_000);
});
