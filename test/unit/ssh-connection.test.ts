import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../src/main/core/errors';
import { fingerprintOf } from '../../src/main/core/ssh/hostkey';
import { probeHostKey, SshConnection } from '../../src/main/core/ssh/connection';

/**
 * SshConnection against an in-process ssh2 server on 127.0.0.1 (no sshd, no network): the
 * host-key checks, an exec's argument quoting, output and exit code, and a cancelled or timed
 * out command being stopped.
 */

const { Server, utils } = ssh2;

const hostKey = utils.generateKeyPairSync('ed25519');
const hostBlob = (() => {
  const parsed = utils.parseKey(hostKey.public);
  if (parsed instanceof Error) throw parsed;
  return (Array.isArray(parsed) ? parsed[0] : parsed).getPublicSSH();
})();

interface Seen {
  command: string;
}
const seen: Seen[] = [];
let server: InstanceType<typeof Server>;
let port = 0;

beforeAll(async () => {
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        const record: Seen = { command: '' };
        session.on('exec', (acceptExec, _reject, info) => {
          record.command = info.command;
          seen.push(record);
          const ch = acceptExec();
          if (info.command.startsWith('hang')) return; // never answers: only a signal or close ends it
          ch.write(`ran: ${info.command}\n`);
          ch.stderr.write('to stderr\n');
          ch.exit(3);
          ch.end();
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.close();
});

const endpoint = (): { address: string; port: number; user: string; label: string } => ({
  address: '127.0.0.1',
  port,
  user: 'ops',
  label: 'box',
});

describe('SshConnection against an in-process server', () => {
  it('a probe reads the host key without logging in', async () => {
    const offered = await probeHostKey('127.0.0.1', port);
    expect(offered.fingerprint).toBe(fingerprintOf(hostBlob));
    expect(offered.algorithm).toBe('ssh-ed25519');
    expect(offered.key.equals(hostBlob)).toBe(true);
  });

  it('refuses a key other than the pinned one, naming both fingerprints', async () => {
    const other = utils.generateKeyPairSync('ed25519');
    const parsed = utils.parseKey(other.public);
    if (parsed instanceof Error) throw parsed;
    const otherBlob = (Array.isArray(parsed) ? parsed[0] : parsed).getPublicSSH();
    const err = await SshConnection.connect(
      endpoint(),
      {},
      { kind: 'pinned', key: otherBlob, fingerprint: fingerprintOf(otherBlob) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('hostkey.changed');
    expect((err as CoreError).message).toBe(
      `HOST KEY CHANGED for 'box' (127.0.0.1:${port}): refusing to connect.\n  pinned:  ${fingerprintOf(otherBlob)}\n  offered: ${fingerprintOf(hostBlob)} (ssh-ed25519)\nSomeone may be intercepting the connection, or the host was reinstalled.`,
    );
  });

  it('refuses a key other than the confirmed one', async () => {
    const err = await SshConnection.connect(
      endpoint(),
      {},
      { kind: 'confirmed', fingerprint: 'SHA256:nope' },
    ).catch((e: unknown) => e);
    expect((err as CoreError).code).toBe('hostkey.mismatch');
  });

  it('runs an argument array quoted, with its output and exit code; cancels and times out', async () => {
    const conn = await SshConnection.connect(
      endpoint(),
      {},
      { kind: 'pinned', key: hostBlob, fingerprint: fingerprintOf(hostBlob) },
    );
    try {
      expect(conn.offered.fingerprint).toBe(fingerprintOf(hostBlob));
      const r = await conn.exec(['echo', "it's $(id)"]);
      expect(r).toEqual({
        code: 3,
        signal: null,
        stdout: `ran: echo 'it'\\''s $(id)'\n`,
        stderr: 'to stderr\n',
      });
      expect(seen.at(-1)?.command).toBe("echo 'it'\\''s $(id)'");
      expect(conn.sessions.inUse).toBe(0);

      const ac = new AbortController();
      const running = conn.exec(['hang', 'a'], { signal: ac.signal }).catch((e: unknown) => e);
      // Cancel once the server runs it (not after a fixed wait: a loaded machine opens channels late).
      for (let i = 0; i < 200 && !seen.some((x) => x.command === 'hang a'); i++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      ac.abort();
      const cancelled = (await running) as CoreError;
      expect(cancelled.code).toBe('exec.cancelled');
      expect(cancelled.message).toBe('The command was cancelled and stopped on the host.');
      // Stopped: TERM, then KILL and the channel closed, which gives its session slot back.
      expect(conn.sessions.inUse).toBe(0);

      const late = (await conn.exec(['hang', 'b'], { timeoutMs: 100 }).catch((e: unknown) => e)) as CoreError;
      expect(late.code).toBe('exec.timeout');
      expect(late.message).toBe(
        `A command on 'box' (127.0.0.1:${port}) took longer than 100 ms and was stopped.`,
      );
      expect(conn.sessions.inUse).toBe(0);
    } finally {
      conn.close();
    }
    expect(conn.isClosed).toBe(true);
    const closed = (await conn.exec(['true']).catch((e: unknown) => e)) as CoreError;
    expect(closed.code).toBe('ssh.closed');
  });
});
