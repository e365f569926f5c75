import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../src/main/core/errors';
import { LocalTransport } from '../../src/main/core/hosts/transport';
import { tempDir } from '../helpers/tmp';

/** Issue 11, item 15: what LocalTransport (the console on the server itself) gives its children. */
const saved = process.env.TRUFFLES_PASSPHRASE;
afterEach(() => {
  if (saved === undefined) delete process.env.TRUFFLES_PASSPHRASE;
  else process.env.TRUFFLES_PASSPHRASE = saved;
});

describe('LocalTransport', () => {
  it("children get a minimal environment: never TRUFFLES_PASSPHRASE or the console's other variables", async () => {
    process.env.TRUFFLES_PASSPHRASE = 'the fleet passphrase';
    process.env.TRUFFLES_TEST_OTHER = 'console-only';
    try {
      const r = await new LocalTransport('/var/run/docker.sock').exec(['env'], { env: { GIVEN: 'yes' } });
      expect(r.code).toBe(0);
      const names = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=')[0]);
      expect(names).not.toContain('TRUFFLES_PASSPHRASE');
      expect(names).not.toContain('TRUFFLES_TEST_OTHER');
      expect(r.stdout).not.toContain('the fleet passphrase');
      expect(names).toContain('PATH');
      expect(r.stdout).toContain('GIVEN=yes');
    } finally {
      delete process.env.TRUFFLES_TEST_OTHER;
    }
  });

  it('keeps at most 8 MiB of output in memory and says it was cut; onStdout still sees all of it', async () => {
    let streamed = 0;
    const limit = 8 * 1024 * 1024;
    const total = limit + 1024 * 1024;
    const r = await new LocalTransport('/var/run/docker.sock').exec(
      ['head', '-c', String(total), '/dev/zero'],
      {
        onStdout: (d) => (streamed += d.length),
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(limit);
    expect(r.stdoutTruncated).toBe(true);
    expect(streamed).toBe(total);
  });

  it('a Docker socket that never answers fails a call with docker.timeout instead of hanging', async () => {
    const t = tempDir();
    const path = join(t.dir, 'hung.sock');
    const held: Socket[] = [];
    const server: Server = createServer((s) => held.push(s)); // accepts, never answers
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const docker = await new LocalTransport(path, { dockerTimeoutMs: 500 }).docker();
      const err = await docker.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('docker.timeout');
      expect((err as CoreError).message).toContain('did not answer within');
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => server.close(r));
      t.cleanup();
    }
  });
});
