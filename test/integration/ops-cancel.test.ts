import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { addSandboxHost } from '../helpers/hosts';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 12, item 5: a long operation can be cancelled by its id, and cancelling stops its command
 * on the host (real OpenSSH, real Docker). The operation: shipping images from a file that never
 * ends (a FIFO), so `docker load` on the host waits for more until it is stopped.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'x'),
    mode: 'cli',
  });
  await addSandboxHost(core, 'sb');
});
afterAll(async () => {
  await core.close();
  t.cleanup();
});

/** `docker load` commands running on the host, as the host's own process list shows them. */
async function loadsOnHost(): Promise<string[]> {
  const tr = await core.hosts.transport('sb');
  const r = await tr.exec(['sh', '-c', 'ps -eo pid=,args= | grep "[d]ocker load" || true']);
  return r.stdout.split('\n').filter((l) => l.trim());
}

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('cancelling a running operation', () => {
  it('ops.cancel stops images.ship: the call fails with op.cancelled and docker load is gone from the host', async () => {
    expect(await loadsOnHost()).toEqual([]);
    const fifo = join(t.dir, 'endless.tar');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    writer.write(Buffer.alloc(4096)); // some bytes, then nothing more: the load waits for the rest
    try {
      const running = core.dispatch('images.ship', { host: 'sb', file: fifo, opId: 'ship-endless' });
      const ops = await until(
        'the operation to be listed',
        () => core.call('ops.list', {}),
        (l) => l.length === 1,
      );
      expect(ops[0]).toMatchObject({
        opId: 'ship-endless',
        kind: 'images.ship',
        subject: 'sb',
        cancelled: false,
      });
      await until('docker load on the host', loadsOnHost, (l) => l.length === 1);
      // A second operation under the same id is refused while it runs.
      const twice = await core.dispatch('images.ship', { host: 'sb', file: fifo, opId: 'ship-endless' });
      expect(!twice.ok && twice.error.code).toBe('op.duplicate');

      expect(await core.call('ops.cancel', { opId: 'ship-endless' })).toEqual({ cancelled: true });
      const r = await running;
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('op.cancelled');
        expect(r.error.message).toMatch(
          /images\.ship of sb was cancelled; its command on the host was stopped/,
        );
      }
      await until('docker load to end on the host', loadsOnHost, (l) => l.length === 0, 15_000);
      expect(await core.call('ops.list', {})).toEqual([]);
      expect(await core.call('ops.cancel', { opId: 'ship-endless' })).toEqual({ cancelled: false });
      // The connection is fine afterwards.
      expect((await core.call('hosts.check', { name: 'sb' })).status).toBe('ok');
    } finally {
      writer.destroy();
    }
  });
});
