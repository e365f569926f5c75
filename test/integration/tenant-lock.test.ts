import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { acquireTenantLock } from '../../src/main/core/tenants/lock';
import { addSandboxHost } from '../helpers/hosts';
import { startExtraSshd, type ExtraSshd } from '../helpers/sandbox';
import { tempDir } from '../helpers/tmp';

/**
 * The per-tenant lock lives on the host (a real flock held by a command over SSH): a second
 * console is refused with who holds it, and the lock dies with its holder's connection.
 */
let t: ReturnType<typeof tempDir>;
const cores: Core[] = [];
const servers: ExtraSshd[] = [];

function newCore(name: string): Core {
  const c = new Core({
    home: join(t.dir, name),
    secrets: new PassphraseProvider(async () => 'lock passphrase'),
    mode: 'cli',
    hostOptions: { connectTimeoutMs: 5000 },
  });
  cores.push(c);
  return c;
}

beforeEach(() => {
  t = tempDir();
});
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  t.cleanup();
});

const slug = `lock-${Math.random().toString(36).slice(2, 8)}`;

describe('tenant lock on the host', () => {
  it('a second console is refused with who holds the lock and since when; released, it can take it', async () => {
    const a = newCore('a');
    const b = newCore('b');
    await addSandboxHost(a, 'h');
    await addSandboxHost(b, 'h');
    const ta = await a.hosts.transport('h');
    const tb = await b.hosts.transport('h');
    const stateDir = (await a.hosts.get('h')).stateDir;

    const held = await acquireTenantLock(ta, stateDir, slug, 'create');
    const err = await acquireTenantLock(tb, stateDir, slug, 'delete').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('tenant.locked');
    expect((err as CoreError).message).toContain(`running 'create' on it since ${held.owner.since}`);
    expect((err as CoreError).message).toContain(held.owner.actor);

    await held.release();
    const again = await acquireTenantLock(tb, stateDir, slug, 'delete');
    expect(again.owner.operation).toBe('delete');
    await again.release();
  });

  it('the lock goes away with the connection that held it (no stale lock)', async () => {
    const s = await startExtraSshd();
    servers.push(s);
    const a = newCore('a');
    const b = newCore('b');
    await addSandboxHost(a, 'h', { address: '127.0.0.1', port: s.port, acceptFingerprint: s.fingerprint });
    await addSandboxHost(b, 'h');
    const stateDir = (await a.hosts.get('h')).stateDir;
    const held = await acquireTenantLock(await a.hosts.transport('h'), stateDir, slug, 'create');
    const tb = await b.hosts.transport('h');
    await expect(acquireTenantLock(tb, stateDir, slug, 'x')).rejects.toMatchObject({ code: 'tenant.locked' });
    // The holder's SSH server dies (as a network cut or a killed console would end the session).
    await s.kill();
    await expect(held.lost).rejects.toMatchObject({ code: 'tenant.lock-lost' });
    let taken = null;
    for (let i = 0; i < 50 && !taken; i++) {
      taken = await acquireTenantLock(tb, stateDir, slug, 'after').catch(() => null);
      if (!taken) await new Promise((r) => setTimeout(r, 100));
    }
    expect(taken?.owner.operation).toBe('after');
    await taken?.release();
  });
});
