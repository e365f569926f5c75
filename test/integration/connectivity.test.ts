import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { SshTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { sandbox, startExtraSshd, type ExtraSshd, type SandboxInfo } from '../helpers/sandbox';
import { addSandboxHost } from '../helpers/hosts';
import { tempDir } from '../helpers/tmp';

/**
 * The connection layer against real OpenSSH servers that the tests start themselves: jump hosts,
 * one connection carrying everything, drops and recovery, and each failure's own clear error.
 */
const CONNECT_TIMEOUT_MS = 2500;
let sb: SandboxInfo;
let t: ReturnType<typeof tempDir>;
let core: Core;
const servers: ExtraSshd[] = [];

function newCore(): Core {
  return new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'connectivity passphrase'),
    mode: 'cli',
    hostOptions: { connectTimeoutMs: CONNECT_TIMEOUT_MS },
  });
}

async function sshd(opts: Parameters<typeof startExtraSshd>[0] = {}): Promise<ExtraSshd> {
  const s = await startExtraSshd(opts);
  servers.push(s);
  return s;
}

function addHost(
  name: string,
  port: number,
  fingerprint: string,
  extra: { jump?: string[]; user?: string } = {},
): Promise<unknown> {
  return addSandboxHost(core, name, {
    address: '127.0.0.1',
    port,
    acceptFingerprint: fingerprint,
    ...(extra.user ? { user: extra.user } : {}),
    jump: extra.jump ?? [],
  });
}

beforeEach(() => {
  sb = sandbox();
  t = tempDir();
  core = newCore();
});
afterEach(async () => {
  await core.close();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  t.cleanup();
});

describe('jump hosts', () => {
  it('a host reached through a jump host works for exec, SFTP, Docker and a tunnel', async () => {
    const jump = await sshd();
    const target = await sshd();
    await addHost('bastion', jump.port, jump.fingerprint);
    const probe = await core.hosts.probe('127.0.0.1', target.port, ['bastion']);
    expect(probe.fingerprint).toBe(target.fingerprint);
    await addHost('inner', target.port, target.fingerprint, { jump: ['bastion'] });
    const jumpLoginsBefore = jump.acceptedLogins();

    const tr = await core.hosts.transport('inner');
    const who = await tr.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']);
    expect(who.code).toBe(0);
    // The target saw the connection arrive from the jump host's forward (port = target's).
    expect(who.stdout.trim().split(' ')[3]).toBe(String(target.port));
    const dir = `/tmp/truffles-jump-${randomBytes(4).toString('hex')}`;
    await tr.exec(['mkdir', '-p', dir]);
    const file = join(t.dir, 'payload.bin');
    const payload = randomBytes(300_000);
    writeFileSync(file, payload);
    await tr.upload(file, `${dir}/payload.bin`, { mode: 0o640 });
    const sum = await tr.exec(['sha256sum', `${dir}/payload.bin`]);
    expect(sum.stdout.split(' ')[0]).toBe(createHash('sha256').update(payload).digest('hex'));
    const docker = await tr.docker();
    expect((await docker.version()).Version).toBe(sb.dockerVersion);
    // A tunnel through both hops to the sandbox sshd: its banner comes back.
    const tunnel = await tr.tunnel('127.0.0.1', sb.port);
    const banner = await new Promise<string>((resolve, reject) => {
      const s = connect(tunnel.localPort, '127.0.0.1');
      s.once('data', (d: Buffer) => {
        resolve(d.toString());
        s.destroy();
      });
      s.once('error', reject);
    });
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    await tunnel.close();
    await tr.exec(['rm', '-rf', dir]);
    // Exactly one more login on the jump host carried all of it.
    expect(jump.acceptedLogins() - jumpLoginsBefore).toBe(1);
  });

  it('a jump host that forbids TCP forwarding stops the target with a clear error', async () => {
    const jump = await sshd({ allowTcpForwarding: false });
    const target = await sshd();
    await addHost('bastion', jump.port, jump.fingerprint);
    await expect(core.hosts.probe('127.0.0.1', target.port, ['bastion'])).rejects.toMatchObject({
      code: 'ssh.forward',
    });
  });

  it('a changed key on the jump host is refused too, naming the jump host', async () => {
    const jump = await sshd();
    const target = await sshd();
    await addHost('bastion', jump.port, jump.fingerprint);
    await addHost('inner', target.port, target.fingerprint, { jump: ['bastion'] });
    expect((await core.hosts.check('inner')).status).toBe('ok');
    await core.close();
    const newFp = await jump.rotateHostKey();
    core = newCore();
    const check = await core.hosts.check('inner');
    expect(check.status).toBe('key-changed');
    expect(check.error?.code).toBe('hostkey.changed');
    expect(check.error?.details).toMatchObject({ host: 'bastion', pinned: jump.fingerprint, offered: newFp });
    expect(check.error?.message).toContain("'bastion'");
  });

  it('refuses loops and unknown jump hosts before connecting', async () => {
    const target = await sshd();
    await expect(
      addHost('inner', target.port, target.fingerprint, { jump: ['nowhere'] }),
    ).rejects.toMatchObject({ code: 'host.jump-unknown' });
    await expect(
      addHost('inner', target.port, target.fingerprint, { jump: ['inner'] }),
    ).rejects.toMatchObject({ code: 'host.jump-loop' });
  });
});

describe('one connection carries everything', () => {
  it('100 concurrent mixed operations (exec, Docker, SFTP, tunnelled PostgreSQL) over exactly one SSH connection', async () => {
    const s = await sshd({ maxSessions: 10 });
    await addHost('busy', s.port, s.fingerprint);
    const loginsAfterAdd = s.acceptedLogins();
    const tr = await core.hosts.transport('busy');
    const docker = await tr.docker();
    const name = `truffles-it-pg-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const container = await docker.createContainer({
      Image: 'truffles/postgres:15',
      name,
      Env: [`POSTGRES_PASSWORD=${password}`, 'POSTGRES_DB=it'],
      Labels: { 'org.truffles.test': 'connectivity' },
      // Polled often so the test does not wait on the default interval. Over TCP (-h 127.0.0.1):
      // the image's entrypoint first runs a temporary server on the unix socket only, which a
      // socket check calls ready; a client then reaching TCP while that server restarts is cut.
      Healthcheck: {
        Test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -U postgres -d it'],
        Interval: 500_000_000,
        Timeout: 3_000_000_000,
        Retries: 60,
      },
    });
    try {
      await container.start();
      let ip = '';
      for (let i = 0; i < 120; i++) {
        const info = await container.inspect();
        ip = info.NetworkSettings.Networks['bridge']?.IPAddress ?? '';
        if (info.State.Health?.Status === 'healthy') break;
        if (!info.State.Running) throw new Error(`postgres container stopped: ${JSON.stringify(info.State)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const tunnel = await tr.tunnel(ip, 5432);
      const dir = `/tmp/truffles-busy-${randomBytes(4).toString('hex')}`;
      await tr.exec(['mkdir', '-p', dir]);
      const ops = Array.from({ length: 100 }, (_, i) => async (): Promise<string> => {
        switch (i % 4) {
          case 0: {
            const r = await tr.exec(['echo', `op-${i}`]);
            return r.stdout.trim();
          }
          case 1: {
            const list = await docker.listContainers({ filters: { name: [name] } });
            const info = await docker.getContainer(list[0]?.Id ?? '').inspect();
            return `${info.Name.replace(/^\//, '')}-${i}`;
          }
          case 2: {
            const body = `file ${i}\n`;
            const { Readable } = await import('node:stream');
            await tr.upload(Readable.from([Buffer.from(body)]), `${dir}/f${i}`, { mode: 0o600 });
            return `up-${i}`;
          }
          default: {
            const client = new pg.Client({
              host: '127.0.0.1',
              port: tunnel.localPort,
              user: 'postgres',
              password,
              database: 'it',
            });
            await client.connect();
            try {
              const r = await client.query('select $1::int as n', [i]);
              return `pg-${r.rows[0].n}`;
            } finally {
              await client.end();
            }
          }
        }
      });
      const results = await Promise.all(ops.map((op) => op()));
      expect(results).toEqual(
        Array.from({ length: 100 }, (_, i) => [`op-${i}`, `${name}-${i}`, `up-${i}`, `pg-${i}`][i % 4]),
      );
      const files = await tr.exec(['sh', '-c', `ls ${dir} | wc -l; cat ${dir}/f2`]);
      expect(files.stdout).toBe('25\nfile 2\n');
      await tr.exec(['rm', '-rf', dir]);
      await tunnel.close();
      // Server side: one login for all of it; client side: one connection opened.
      expect(s.acceptedLogins() - loginsAfterAdd).toBe(1);
      expect((tr as SshTransport).opened).toBe(1);
    } finally {
      await container.remove({ force: true, v: true });
    }
  });

  it('an upload is atomic and gets its mode; a cancelled command stops on the host', async () => {
    await addHost('sb', sb.port, sb.fingerprint);
    const tr = await core.hosts.transport('sb');
    const dir = `/tmp/truffles-up-${randomBytes(4).toString('hex')}`;
    await tr.exec(['mkdir', '-p', dir]);
    const file = join(t.dir, 'big.bin');
    const payload = randomBytes(5 * 1024 * 1024);
    writeFileSync(file, payload);
    const r = await tr.upload(file, `${dir}/.env`, { mode: 0o600 });
    expect(r.bytes).toBe(payload.length);
    const st = await tr.exec([
      'sh',
      '-c',
      `stat -c %a "$1"; sha256sum < "$1"; ls -A "$2"`,
      'sh',
      `${dir}/.env`,
      dir,
    ]);
    const [mode, sum, ...entries] = st.stdout.trim().split('\n');
    expect(mode).toBe('600');
    expect(sum?.split(' ')[0]).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(entries).toEqual(['.env']);
    await tr.exec(['rm', '-rf', dir]);

    const marker = `317.${Math.floor(Math.random() * 1000)}`;
    const ac = new AbortController();
    const running = tr.exec(['sleep', marker], { signal: ac.signal });
    await new Promise((r2) => setTimeout(r2, 400));
    ac.abort();
    await expect(running).rejects.toMatchObject({ code: 'exec.cancelled' });
    await new Promise((r2) => setTimeout(r2, 500));
    const left = await tr.exec(['sh', '-c', `ps -eo args | grep -c "^sleep ${marker}$" || true`]);
    expect(left.stdout.trim()).toBe('0');
  });
});

describe('drops and recovery', () => {
  it('killing the SSH server mid-stream fails the operation clearly; the next one after it is back succeeds', async () => {
    const s = await sshd();
    await addHost('flaky', s.port, s.fingerprint);
    const tr = await core.hosts.transport('flaky');
    expect((await tr.exec(['echo', 'before'])).stdout).toBe('before\n');
    const inflight = tr.exec(['sh', '-c', 'echo started; sleep 30']).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    await s.kill();
    const err = await inflight;
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('ssh.connection-lost');
    expect((err as CoreError).message).toContain("'flaky'");
    // While the server is down: a clear error, not a hang.
    await expect(tr.exec(['true'])).rejects.toMatchObject({ code: 'ssh.refused' });
    await s.restart();
    // Same console, same transport: it reconnects (after its backoff).
    const after = await tr.exec(['echo', 'after']);
    expect(after.stdout).toBe('after\n');
  });
});

describe('each failure has its own clear error, within the configured timeout', () => {
  async function timed<T>(p: Promise<T>): Promise<{ err: unknown; ms: number }> {
    const t0 = performance.now();
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    return { err, ms: performance.now() - t0 };
  }

  it('wrong user', async () => {
    const { err, ms } = await timed(addHost('x', sb.port, sb.fingerprint, { user: 'no-such-user' }));
    expect(err).toMatchObject({ code: 'ssh.auth' });
    expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS + 2000);
  });

  it('wrong key', async () => {
    const other = join(t.dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const { err } = await timed(addSandboxHost(core, 'x', { auth: { kind: 'keyFile', path: other } }));
    expect(err).toMatchObject({ code: 'ssh.auth' });
    expect((err as CoreError).hint).toMatch(/authorized_keys/);
  });

  it('an address where something listens but never speaks SSH times out at the configured limit', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const { err, ms } = await timed(core.hosts.probe('127.0.0.1', port));
      expect(err).toMatchObject({ code: 'ssh.timeout' });
      expect(ms).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS + 2000);
    } finally {
      silent.close();
    }
  });

  it('a closed port', async () => {
    const { err } = await timed(core.hosts.probe('127.0.0.1', 1));
    expect(err).toMatchObject({ code: 'ssh.refused' });
  });

  it('sshd without stream forwarding: Docker is named unreachable with the sshd setting to change', async () => {
    const s = await sshd({ allowStreamLocalForwarding: false });
    await addHost('nofwd', s.port, s.fingerprint);
    const check = await core.hosts.check('nofwd');
    expect(check.problems.map((p) => p.code)).toEqual(['docker.unreachable']);
    expect(check.problems[0]?.fix).toContain('AllowStreamLocalForwarding yes');
  });

  it('a user without Docker access: the fix names the docker group', async () => {
    await addHost('nodocker', sb.port, sb.fingerprint, { user: sb.noDockerUser });
    const check = await core.hosts.check('nodocker');
    expect(check.status).toBe('error');
    // The test host's state folder belongs to the operator user, so this user also gets the
    // state-folder warning; the Docker problem comes first and is the error.
    expect(check.problems.map((p) => p.code)).toEqual(['docker.denied', 'state.unwritable']);
    expect(check.problems[1]?.severity).toBe('warning');
    expect(check.problems[0]?.fix).toBe(
      `On the host: sudo usermod -aG docker ${sb.noDockerUser}, then reconnect.`,
    );
  });
});
