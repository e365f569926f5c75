import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { HostTransport, SshTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { acquireTenantLock, endsWithStdin } from '../../src/main/core/tenants/lock';
import { addSandboxHost } from '../helpers/hosts';
import { uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, item 4: long host commands end with the tenant lock they run under. The connection
 * holding the lock is cut (its socket destroyed, as a network cut or a killed console would);
 * the command must be gone from the host, and a new lock + operation must work. What survives is
 * named when the next lock is refused. Against the real test host.
 */
let t: ReturnType<typeof tempDir>;
const cores: Core[] = [];

function newCore(): Core {
  const c = new Core({
    home: join(t.dir, `c${cores.length}`),
    secrets: new PassphraseProvider(async () => 'work passphrase'),
    mode: 'cli',
    hostOptions: { connectTimeoutMs: 10_000 },
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

/** Host processes (pid + args) whose program is `sleep` with an argument starting `arg` (seen from another connection). */
async function sleepers(tr: HostTransport, arg: string): Promise<string[]> {
  const r = await tr.exec(['ps', '-eo', 'pid=,args=']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => new RegExp(`^\\d+ sleep ${arg.replace(/\./g, '\\.')}`).test(l));
}

async function until(check: () => Promise<boolean>, tries = 150): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

/** Cut the SSH connection under the transport, as a network failure would (no clean close). */
async function cut(tr: SshTransport): Promise<void> {
  const conn = await tr.connection();
  (conn as unknown as { client: { _sock: { destroy: () => void } } }).client._sock.destroy();
}

describe('work ends with its lock', () => {
  it('a guarded host command and a container command die when the connection holding the lock is cut', async () => {
    const a = newCore();
    const b = newCore();
    await addSandboxHost(a, 'h');
    await addSandboxHost(b, 'h');
    const ta = (await a.hosts.transport('h')) as SshTransport;
    const tb = await b.hosts.transport('h');
    const stateDir = (await a.hosts.get('h')).stateDir;
    const slug = uniqueSlug('wk');
    const marker = String(3000 + Math.floor(Math.random() * 5000));
    // A one-off container of "the operation", labelled with the lock, as a restore's helper would be.
    const name = `truffles-wk-${slug}`;
    const lock = await acquireTenantLock(ta, stateDir, slug, 'restore');
    const started = await ta.exec([
      'docker',
      'run',
      '-d',
      '--name',
      name,
      ...lock.containerLabels,
      '--entrypoint',
      'sleep',
      'truffles/debian-base:bookworm',
      '600',
    ]);
    expect(started.code).toBe(0);
    try {
      // On the host: a long command (pg_restore's stand-in) under the lock.
      const host = ta.exec(lock.guarded(['sleep', `${marker}.5`], 'sleep (test)')).catch((e: unknown) => e);
      // In that container, through `docker exec -i`: stopped by its stdin closing with the lock.
      const inside = ta
        .exec(
          lock.guarded(
            ['docker', 'exec', '-i', name, 'sh', '-c', endsWithStdin(`exec sleep ${marker}.7`)],
            'sleep in a container (test)',
            { stdinFromLock: true },
          ),
        )
        .catch((e: unknown) => e);
      expect(await until(async () => (await sleepers(tb, `${marker}.`)).length === 2)).toBe(true);

      await cut(ta);
      await expect(lock.lost).rejects.toMatchObject({ code: 'tenant.lock-lost' });
      await Promise.all([host, inside]);
      // Both are gone from the host within seconds (the container's sleep is a host process too).
      expect(await until(async () => (await sleepers(tb, `${marker}.`)).length === 0)).toBe(true);

      // A new lock (another console) works, removes the dead operation's container, and runs work.
      const next = await acquireTenantLock(tb, stateDir, slug, 'restore again');
      const left = await tb.exec(['docker', 'ps', '-aq', '--filter', `name=^${name}$`]);
      expect(left.stdout.trim()).toBe('');
      const ok = await tb.exec(next.guarded(['sh', '-c', 'read x; echo "got $x"']), {
        stdin: (await import('node:stream')).Readable.from(['input\n']),
      });
      expect(ok.stdout.trim()).toBe('got input');
      expect(ok.code).toBe(0);
      await next.release();
    } finally {
      await tb.exec(['docker', 'rm', '-f', name]).catch(() => undefined);
      await tb.exec([
        'rm',
        '-f',
        '--',
        ...['lock', 'owner', 'work'].map((x) => `${stateDir}/locks/${slug}.${x}`),
      ]);
    }
  }, 120_000);

  it('while work of an operation that lost its lock still runs, the next lock is refused naming it', async () => {
    const a = newCore();
    const b = newCore();
    await addSandboxHost(a, 'h');
    await addSandboxHost(b, 'h');
    const ta = (await a.hosts.transport('h')) as SshTransport;
    const tb = await b.hosts.transport('h');
    const stateDir = (await a.hosts.get('h')).stateDir;
    const slug = uniqueSlug('wr');
    const marker = String(3000 + Math.floor(Math.random() * 5000));
    const lock = await acquireTenantLock(ta, stateDir, slug, 'restore');
    // A command that leaves a child outside its process group (a daemonizing tool would).
    const run = ta
      .exec(
        lock.guarded(
          ['sh', '-c', `setsid sleep ${marker}.3 </dev/null >/dev/null 2>&1 & exec sleep ${marker}.4`],
          'pg_restore (test)',
        ),
      )
      .catch((e: unknown) => e);
    try {
      expect(await until(async () => (await sleepers(tb, `${marker}.`)).length === 2)).toBe(true);
      await cut(ta);
      await run;
      expect(await until(async () => (await sleepers(tb, `${marker}.4`)).length === 0)).toBe(true);

      const err = await acquireTenantLock(tb, stateDir, slug, 'restore again').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('tenant.work-running');
      expect((err as CoreError).message).toMatch(
        /still runs work of an earlier operation that lost its lock: pid \d+ 'pg_restore \(test\)' \(restore by [^)]+\) since \d{4}-/,
      );
      // Once it is gone, the tenant can be locked again.
      await tb.exec(['pkill', '-f', `^sleep ${marker}\\.3$`]);
      expect(
        await until(async () => {
          const l = await acquireTenantLock(tb, stateDir, slug, 'after').catch(() => null);
          await l?.release();
          return !!l;
        }),
      ).toBe(true);
    } finally {
      await tb.exec(['pkill', '-f', `^sleep ${marker}\\.3$`]).catch(() => undefined);
      await tb.exec([
        'sh',
        '-c',
        'rm -f -- "$0".lock "$0".owner "$0".work "$0".work-*',
        `${stateDir}/locks/${slug}`,
      ]);
    }
  }, 120_000);
});
