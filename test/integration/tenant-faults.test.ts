import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { acquireTenantLock } from '../../src/main/core/tenants/lock';
import { CREATE_STEPS, type CreateStep } from '../../src/main/core/tenants/service';
import { startExtraSshd, type ExtraSshd } from '../helpers/sandbox';
import { leftovers, NOTHING, tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * A create that fails, or whose connection is cut, at every step boundary in turn. Against the
 * real test host (edge and Qdrant are the stand-ins). A failure leaves nothing behind; a cut is
 * resumed by running the same create again, which reaches a healthy tenant with exactly its own
 * containers, volumes and network — no duplicates, no orphans.
 */
let t: ReturnType<typeof tempDir>;
let hook: ((step: CreateStep, slug: string) => Promise<void> | void) | null = null;
let core: Core;
let tr: HostTransport;
let cut: ExtraSshd;

function newCore(resourcesDir?: string): Core {
  return new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'faults passphrase'),
    mode: 'cli',
    hostOptions: { connectTimeoutMs: 5000 },
    tenantOptions: {
      beforeStep: (step, slug) => hook?.(step as CreateStep, slug),
      ...(resourcesDir ? { resourcesDir } : {}),
    },
  });
}

const input = (slug: string, host = 'sb') => ({
  slug,
  host,
  plan: 'starter' as const,
  modules: [],
  env: {},
  keepOnFailure: false,
});

beforeAll(async () => {
  t = tempDir();
  core = newCore();
  await tenantHost(core, 'sb');
  // The same machine through a second sshd, which the tests kill to cut the connection.
  cut = await startExtraSshd();
  await tenantHost(core, 'cut', { address: '127.0.0.1', port: cut.port, acceptFingerprint: cut.fingerprint });
  tr = await core.hosts.transport('sb');
}, 300_000);

afterAll(async () => {
  await core.close();
  await cut.stop();
  t.cleanup();
}, 120_000);

async function lockIsFree(slug: string): Promise<boolean> {
  const lock = await acquireTenantLock(tr, '/opt/truffles', slug, 'test').catch(() => null);
  await lock?.release();
  return lock !== null;
}

describe('a create made to fail at every step leaves nothing behind', () => {
  for (const step of CREATE_STEPS) {
    it(`fails at ${step}`, async () => {
      const slug = uniqueSlug(`f-${step}`.slice(0, 12));
      hook = (s) => {
        if (s === step) throw new CoreError('test.injected', `injected failure at ${step}`, '');
      };
      try {
        await expect(core.tenants.create(input(slug))).rejects.toMatchObject({ code: 'test.injected' });
      } finally {
        hook = null;
      }
      expect(await leftovers(tr, slug)).toEqual(NOTHING);
      expect(await lockIsFree(slug)).toBe(true);
    }, 300_000);
  }

  it('cancelled through ops.cancel, a create stops at the next step boundary and is rolled back: nothing left', async () => {
    const slug = uniqueSlug('cancel');
    const opId = `it-cancel-${slug}`;
    const seen: string[] = [];
    const off = core.onEvent((e) => {
      if (e.type === 'progress' && e.opId === opId) seen.push(`${e.step} ${e.state}`);
    });
    hook = async (s) => {
      if (s === 'start') expect(await core.call('ops.cancel', { opId })).toEqual({ cancelled: true });
    };
    try {
      const r = await core.dispatch('tenants.create', { ...input(slug), opId });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.code).toBe('op.cancelled');
    } finally {
      hook = null;
      off();
    }
    // Its progress carried the caller's id from the first event; it never started the stack.
    expect(seen[0]).toBe('validate running');
    expect(seen).toContain('upload done');
    expect(seen).not.toContain('start running');
    expect(seen.at(-1)).toBe('start failed');
    expect(await core.call('ops.list', {})).toEqual([]);
    expect(await leftovers(tr, slug)).toEqual(NOTHING);
    expect(await lockIsFree(slug)).toBe(true);
  }, 300_000);

  it('a real failure (a module migration that does not apply) is rolled back too', async () => {
    const res = join(t.dir, 'resources');
    const root = join(import.meta.dirname, '..', '..');
    cpSync(join(root, 'modules'), join(res, 'modules'), { recursive: true });
    cpSync(join(root, 'templates'), join(res, 'templates'), { recursive: true });
    writeFileSync(
      join(res, 'modules', 'core_chat', 'migrations', '001_init.sql'),
      'CREATE TABLE broken (;\n',
    );
    const c = newCore(res);
    const slug = uniqueSlug('badmig');
    try {
      const err = await c.tenants.create(input(slug)).catch((e: unknown) => e);
      expect((err as CoreError).code).toBe('tenant.migration');
      expect((err as CoreError).message).toContain('core_chat/001_init.sql');
      expect(await leftovers(tr, slug)).toEqual(NOTHING);
    } finally {
      await c.close();
    }
  }, 300_000);

  it('asked to keep a failed create, it is kept for inspection and marked failed; delete removes it', async () => {
    const slug = uniqueSlug('keep');
    hook = (s) => {
      if (s === 'migrate') throw new CoreError('test.injected', 'injected failure at migrate', '');
    };
    try {
      await expect(core.tenants.create({ ...input(slug), keepOnFailure: true })).rejects.toMatchObject({
        code: 'test.injected',
      });
    } finally {
      hook = null;
    }
    const kept = await leftovers(tr, slug);
    expect(kept.dir).toBe(true);
    expect(kept.containers.length).toBe(3);
    const s = await core.tenants.status(slug);
    expect(s.state).toBe('failed');
    expect(s.lastOperation).toMatchObject({ kind: 'create', state: 'failed', step: 'migrate' });
    await core.tenants.delete(slug, slug);
    expect(await leftovers(tr, slug)).toEqual(NOTHING);
  }, 300_000);
});

describe('a create whose connection is cut at every step boundary is resumed by running it again', () => {
  for (const step of CREATE_STEPS.slice(1)) {
    it(`cut before ${step}`, async () => {
      const slug = uniqueSlug(`c-${step}`.slice(0, 12));
      hook = async (s) => {
        if (s === step) await cut.kill();
      };
      let err: unknown;
      try {
        err = await core.tenants.create(input(slug, 'cut')).catch((e: unknown) => e);
      } finally {
        hook = null;
        await cut.restart();
      }
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toMatch(/^(ssh\.|tenant\.lock-lost)/);

      // The same command again, with the connection back.
      const view = await core.tenants.create(input(slug, 'cut'));
      expect(view.state).toBe('running');
      const status = await core.tenants.status(slug, 'cut');
      expect(status.services.every((x) => x.health === 'healthy')).toBe(true);
      const left = await leftovers(tr, slug);
      expect(left.containers).toHaveLength(4);
      expect(left.volumes.sort()).toEqual(
        ['n8n_data', 'pg_data', 'qdrant_data', 'redis_data'].map((v) => `${slug}_${v}`).sort(),
      );
      expect(left.networks).toEqual([`${slug}_internal`]);

      await core.tenants.delete(slug, slug, 'cut');
      expect(await leftovers(tr, slug)).toEqual(NOTHING);
    }, 600_000);
  }
});

describe('two operators', () => {
  it('a second operation on a tenant being created is refused with who holds the lock', async () => {
    const slug = uniqueSlug('busy');
    const other = new Core({
      home: join(t.dir, 'other'),
      secrets: new PassphraseProvider(async () => 'other'),
      mode: 'cli',
    });
    try {
      await tenantHost(other, 'sb');
      let refusal: unknown = null;
      hook = async (s) => {
        if (s === 'health') refusal = await other.tenants.delete(slug, slug, 'sb').catch((e: unknown) => e);
      };
      try {
        await core.tenants.create(input(slug));
      } finally {
        hook = null;
      }
      expect((refusal as CoreError).code).toBe('tenant.locked');
      expect((refusal as CoreError).message).toMatch(/running 'create' on it since/);
      await other.tenants.delete(slug, slug, 'sb');
      expect(await leftovers(tr, slug)).toEqual(NOTHING);
    } finally {
      await other.close();
    }
  }, 600_000);
});
