import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { SshTransport } from '../../src/main/core/hosts/transport';
import { SshConnection } from '../../src/main/core/ssh/connection';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { addSandboxHost } from '../helpers/hosts';
import { sandbox, startExtraSshd, type ExtraSshd } from '../helpers/sandbox';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, item 15 (connections): a target connection's jump-host connections close with it,
 * however it ends, and exec output over SSH is bounded. Against the real test host: a jump sshd
 * (startExtraSshd) in front of the sandbox's sshd.
 */
let t: ReturnType<typeof tempDir>;
const cores: Core[] = [];
const servers: ExtraSshd[] = [];

beforeEach(() => {
  t = tempDir();
});
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  t.cleanup();
});

/** TCP connections established to 127.0.0.1:port, as the kernel sees them. */
async function established(port: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ss', [
    '-Htn',
    'state',
    'established',
    `( dport = :${port} )`,
  ]);
  return stdout.split('\n').filter((l) => l.trim()).length;
}

async function settle(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('connections', () => {
  it('reconnecting through a jump host five times leaves one hop connection, not six', async () => {
    const jump = await startExtraSshd();
    servers.push(jump);
    const core = new Core({
      home: join(t.dir, 'home'),
      secrets: new PassphraseProvider(async () => 'conn passphrase'),
      mode: 'cli',
      hostOptions: { connectTimeoutMs: 10_000 },
    });
    cores.push(core);
    await addSandboxHost(core, 'j', {
      address: '127.0.0.1',
      port: jump.port,
      acceptFingerprint: jump.fingerprint,
    });
    await addSandboxHost(core, 'h', { jump: ['j'] });
    const tr = (await core.hosts.transport('h')) as SshTransport;
    for (let i = 0; i < 6; i++) {
      expect((await tr.exec(['echo', `round ${i}`])).stdout.trim()).toBe(`round ${i}`);
      if (i === 5) break;
      // The target connection drops (its forwarded stream through the hop ends); the hop itself is fine.
      const conn = await tr.connection();
      (conn as unknown as { client: { _sock: { destroy: () => void } } }).client._sock.destroy();
      await settle(async () => conn.isClosed);
    }
    expect(tr.opened).toBe(6);
    expect(jump.acceptedLogins()).toBeGreaterThanOrEqual(6);
    // Only the live chain's hop is still connected to the jump sshd.
    await settle(async () => (await established(jump.port)) === 1);
    expect(await established(jump.port)).toBe(1);
  }, 120_000);

  it('exec output over SSH is kept to 8 MiB per stream and marked truncated; onStdout sees it all', async () => {
    const core = new Core({
      home: join(t.dir, 'home2'),
      secrets: new PassphraseProvider(async () => 'conn passphrase'),
      mode: 'cli',
    });
    cores.push(core);
    await addSandboxHost(core, 'h');
    const tr = await core.hosts.transport('h');
    const total = 9 * 1024 * 1024;
    let streamed = 0;
    const r = await tr.exec(['head', '-c', String(total), '/dev/zero'], {
      onStdout: (d) => (streamed += d.length),
    });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(8 * 1024 * 1024);
    expect(r.stdoutTruncated).toBe(true);
    expect(streamed).toBe(total);
    expect(sandbox().address).toBe('127.0.0.1');
  }, 60_000);

  it('an SFTP upload to a server that stopped answering fails at its deadline instead of hanging', async () => {
    const s = await startExtraSshd();
    servers.push(s);
    const sb = sandbox();
    const conn = await SshConnection.connect(
      { address: '127.0.0.1', port: s.port, user: sb.user, label: 'stall' },
      { privateKey: readFileSync(sb.keyPath) },
      { kind: 'confirmed', fingerprint: s.fingerprint },
      { sftpStallMs: 1000 },
    );
    const stopped: number[] = [];
    try {
      const remote = `/tmp/truffles-stall-${s.port}`;
      expect((await conn.upload(Readable.from([Buffer.from('one')]), remote)).bytes).toBe(3);
      // Freeze the sshd processes serving this connection (SFTP is internal-sftp, in them).
      const { stdout } = await promisify(execFile)('ss', [
        '-Htnp',
        'state',
        'established',
        `( sport = :${s.port} )`,
      ]);
      for (const m of stdout.matchAll(/pid=(\d+)/g)) stopped.push(Number(m[1]));
      expect(stopped.length).toBeGreaterThan(0);
      for (const pid of stopped) process.kill(pid, 'SIGSTOP');
      const err = await conn.upload(Readable.from([Buffer.from('two')]), remote).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('sftp.upload');
      expect((err as CoreError).message).toMatch(/did not answer the open for 1 s/);
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
      await conn
        .exec(['rm', '-f', '--', `/tmp/truffles-stall-${s.port}`], { timeoutMs: 5000 })
        .catch(() => undefined);
      conn.close();
    }
  }, 60_000);

  it('a command on a server that stopped answering fails when its channel is not opened in time', async () => {
    const s = await startExtraSshd();
    servers.push(s);
    const sb = sandbox();
    const conn = await SshConnection.connect(
      { address: '127.0.0.1', port: s.port, user: sb.user, label: 'frozen' },
      { privateKey: readFileSync(sb.keyPath) },
      { kind: 'confirmed', fingerprint: s.fingerprint },
      { channelOpenMs: 1000 },
    );
    const stopped: number[] = [];
    try {
      expect((await conn.exec(['echo', 'before'])).stdout.trim()).toBe('before');
      const { stdout } = await promisify(execFile)('ss', [
        '-Htnp',
        'state',
        'established',
        `( sport = :${s.port} )`,
      ]);
      for (const m of stdout.matchAll(/pid=(\d+)/g)) stopped.push(Number(m[1]));
      expect(stopped.length).toBeGreaterThan(0);
      for (const pid of stopped) process.kill(pid, 'SIGSTOP');
      const err = await conn.exec(['echo', 'during']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('ssh.channel');
      expect((err as CoreError).message).toContain('no answer to the channel open in 1 s');
      // The slot it waited in is free again.
      expect(conn.sessions.inUse).toBe(0);
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
      conn.close();
    }
  }, 60_000);
});
