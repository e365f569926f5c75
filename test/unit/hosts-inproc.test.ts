import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src/shared/contract';
import type { CoreError } from '../../src/main/core/errors';
import { HostService } from '../../src/main/core/hosts/service';
import type { SshTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { fingerprintOf } from '../../src/main/core/ssh/hostkey';
import { Store } from '../../src/main/core/store/store';
import { tempDir } from '../helpers/tmp';

/**
 * HostService end to end against an in-process ssh2 server on 127.0.0.1 (no sshd): probe, add
 * (the audit line over the new connection), a host behind a jump host (direct-tcpip through the
 * hop, each pinned by its route), one shared connection, check and a refused re-pin.
 */

const { Server, utils } = ssh2;
const hostKey = utils.generateKeyPairSync('ed25519');
const userKey = utils.generateKeyPairSync('ed25519');
const hostFingerprint = (() => {
  const parsed = utils.parseKey(hostKey.public);
  if (parsed instanceof Error) throw parsed;
  return fingerprintOf((Array.isArray(parsed) ? parsed[0] : parsed).getPublicSSH());
})();

const commands: string[] = [];
let forwards = 0;
let server: InstanceType<typeof Server>;
let port = 0;
let t: ReturnType<typeof tempDir>;
let hosts: HostService;
const events: AppEvent[] = [];

beforeAll(async () => {
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) =>
      ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey']),
    );
    client.on('ready', () => {
      client.on('tcpip', (accept, _reject, info) => {
        forwards += 1;
        const ch = accept();
        const sock = connect(info.destPort, info.destIP);
        sock.on('error', () => ch.close());
        ch.pipe(sock).pipe(ch);
      });
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          commands.push(info.command);
          const ch = acceptExec();
          // The audit writer answers with the chain's new head (seq, hash, actor, proof).
          if (info.command.includes('trail.jsonl')) ch.write(`1 ${'0'.repeat(64)} account:op none\n`);
          ch.exit(0);
          ch.end();
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  t = tempDir();
  hosts = new HostService(
    new Store(join(t.dir, 'home')),
    new PassphraseProvider(async () => 'in-process hosts passphrase'),
    (e) => events.push(e),
    { sshHome: join(t.dir, 'sshhome') },
  );
});

afterAll(async () => {
  await hosts.closeAll();
  server.close();
  t.cleanup();
});

const auth = (): { kind: 'storedKey'; privateKey: string } => ({
  kind: 'storedKey',
  privateKey: userKey.private,
});

describe('HostService against an in-process server', () => {
  it('probes, adds a host (audit line sent), and a host behind it as a jump host', async () => {
    const probe = await hosts.probe('127.0.0.1', port);
    expect(probe).toMatchObject({ fingerprint: hostFingerprint, algorithm: 'ssh-ed25519', known: 'new' });

    const gw = await hosts.add({
      name: 'gw',
      address: '127.0.0.1',
      port,
      user: 'ops',
      auth: auth(),
      acceptFingerprint: hostFingerprint,
    });
    expect(gw).toMatchObject({ name: 'gw', fingerprint: hostFingerprint, authKind: 'storedKey' });
    expect(commands.at(-1)).toMatch(/^sh -c .*audit\.jsonl.* sh \/opt\/truffles '\{"at":/s);
    expect(events.some((e) => e.type === 'log')).toBe(false);

    // Behind gw: reached by a forward through it; its pin is keyed by the route.
    expect((await hosts.probe('127.0.0.1', port, ['gw'])).known).toBe('new');
    const app = await hosts.add({
      name: 'app',
      address: '127.0.0.1',
      port,
      user: 'ops',
      auth: auth(),
      acceptFingerprint: hostFingerprint,
      jump: ['gw'],
    });
    expect(app).toMatchObject({ jump: ['gw'], fingerprint: hostFingerprint });
    expect(Object.keys((await (hosts as unknown as { store: Store }).store.read()).knownHosts)).toEqual([
      `[127.0.0.1]:${port}`,
      `[127.0.0.1]:${port} > [127.0.0.1]:${port}`,
    ]);
    expect(forwards).toBeGreaterThanOrEqual(2);
  });

  it('one shared connection per host, through the jump chain; a check reaches it', async () => {
    const tr = (await hosts.transport('app')) as SshTransport;
    const before = forwards;
    await Promise.all([tr.exec(['true']), tr.exec(['echo', 'a b']), tr.exec(['true'])]);
    expect(tr.opened).toBe(1);
    expect(forwards).toBe(before + 1);
    expect(commands).toContain("echo 'a b'");
    const check = await hosts.check('app');
    expect(check).toMatchObject({ host: 'app', keyStatus: 'ok', error: null });
    expect(typeof check.latencyMs).toBe('number');
    expect(tr.opened).toBe(1);
  });

  it('two first uses at once share one transport (a command and its audit record)', async () => {
    await hosts.closeAll();
    const [a, b, c] = await Promise.all([
      hosts.transport('app'),
      hosts.transport('app'),
      hosts.transport('app'),
    ]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    await Promise.all([a.exec(['true']), b.exec(['true'])]);
    expect((a as SshTransport).opened).toBe(1);
  });

  it('a re-pin to a fingerprint the host does not offer changes nothing', async () => {
    const err = (await hosts.repin('app', 'SHA256:other').catch((e: unknown) => e)) as CoreError;
    expect(err.code).toBe('hostkey.mismatch');
    expect(err.message).toBe(
      `'app' offers ${hostFingerprint}, not the fingerprint you gave (SHA256:other); nothing was changed.`,
    );
  });

  it('forgetting the jump host leaves the host behind it unreachable with a clear error', async () => {
    await hosts.forget('gw');
    await hosts.closeAll();
    const err = (await (await hosts.transport('app')).exec(['true']).catch((e: unknown) => e)) as CoreError;
    expect(err.code).toBe('host.jump-unknown');
  });
});
