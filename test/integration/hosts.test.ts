import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { SshConnection } from '../../src/main/core/ssh/connection';
import { HOSTILE } from '../helpers/hostile';
import { sandbox, startExtraSshd, type ExtraSshd, type SandboxInfo } from '../helpers/sandbox';
import { addSandboxHost } from '../helpers/hosts';
import { tempDir } from '../helpers/tmp';

/**
 * Against the real test host: a real OpenSSH server on loopback, a real Docker Engine behind it.
 * (`npm test` starts it; see test/sandbox/.)
 */
let sb: SandboxInfo;
let t: ReturnType<typeof tempDir>;
let core: Core;
const PASSPHRASE = 'integration passphrase';

function newCore(): Core {
  return new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => PASSPHRASE),
    mode: 'cli',
  });
}

beforeAll(() => {
  sb = sandbox();
});
beforeEach(() => {
  t = tempDir();
  core = newCore();
});
afterEach(async () => {
  await core.close();
  t.cleanup();
});

describe('a real host over real SSH', () => {
  it('probes the host key: the fingerprint is the one ssh-keygen prints on the host', async () => {
    const probe = await core.hosts.probe(sb.address, sb.port);
    expect(probe.fingerprint).toBe(sb.fingerprint);
    expect(probe.algorithm).toBe('ssh-ed25519');
    expect(probe.known).toBe('new');
  });

  it('adds the host with a key file, pins the key, and reads Docker and Compose from the real engine', async () => {
    const view = await addSandboxHost(core, 'sandbox');
    expect(view.fingerprint).toBe(sb.fingerprint);
    const check = await core.hosts.check('sandbox');
    expect(check.error).toBeNull();
    expect(check.status).toBe('ok');
    expect(check.keyStatus).toBe('ok');
    expect(check.facts?.docker?.version).toBe(sb.dockerVersion);
    expect(check.facts?.compose).toEqual({ version: sb.composeVersion, v2: true });
    expect(check.facts?.os.id).toMatch(/debian|ubuntu/);
    expect(check.facts?.cpus).toBeGreaterThan(0);
    expect(check.facts?.memoryBytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(check.facts?.disks.some((d) => d.mount === '/')).toBe(true);
    expect(check.latencyMs).toBeGreaterThan(0);
    // The last check is kept for the list view.
    const [listed] = await core.hosts.list();
    expect(listed?.lastCheck?.facts?.docker?.version).toBe(sb.dockerVersion);
  });

  it('the Docker API over the SSH stream-local forward sees the same containers as the engine itself', async () => {
    await addSandboxHost(core, 'sb');
    const transport = await core.hosts.transport('sb');
    const images = await (await transport.docker()).listImages();
    const tags = images.flatMap((i) => i.RepoTags ?? []);
    expect(tags).toContain('truffles/postgres:15');
    const local = execFileSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], {
      encoding: 'utf8',
    }).split('\n');
    expect(local).toContain('truffles/postgres:15');
  });

  it('remote exec receives hostile arguments byte for byte', async () => {
    await addSandboxHost(core, 'sb');
    const transport = await core.hosts.transport('sb');
    const r = await transport.exec(['printf', '%s\\0', ...HOSTILE]);
    expect(r.code).toBe(0);
    const parts = r.stdout.split('\0');
    parts.pop();
    expect(parts).toEqual(HOSTILE);
  });

  it('a stored private key is encrypted at rest: the store holds no clear text of it, and it still connects', async () => {
    const keyText = readFileSync(sb.keyPath, 'utf8');
    await addSandboxHost(core, 'stored', { auth: { kind: 'storedKey', privateKey: keyText } });
    const raw = readFileSync(join(t.dir, 'home', 'store.json'), 'utf8');
    const body = keyText.split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(raw).not.toContain('PRIVATE KEY');
    for (const line of body) expect(raw).not.toContain(line);
    expect(raw).not.toContain(Buffer.from(keyText).toString('base64').slice(0, 24));
    expect(raw).not.toContain(Buffer.from(keyText).toString('hex').slice(0, 24));
    // A fresh core (a new app start) decrypts it with the passphrase and connects.
    await core.close();
    core = newCore();
    const check = await core.hosts.check('stored');
    expect(check.status).toBe('ok');
    // With the wrong passphrase it cannot.
    const wrong = new Core({
      home: join(t.dir, 'home'),
      secrets: new PassphraseProvider(async () => 'not the passphrase'),
      mode: 'cli',
    });
    const bad = await wrong.hosts.check('stored');
    await wrong.close();
    expect(bad.status).toBe('error');
    expect(bad.error?.code).toBe('secrets.passphrase-mismatch');
  });

  it('refuses to add when the host offers another key than the one confirmed; nothing is stored', async () => {
    const other = 'SHA256:' + 'A'.repeat(43);
    await expect(addSandboxHost(core, 'x', { acceptFingerprint: other })).rejects.toMatchObject({
      code: 'hostkey.mismatch',
    });
    expect(await core.hosts.list()).toEqual([]);
    expect((await core.store.read()).knownHosts).toEqual({});
  });

  it('a wrong user is refused with a clear error and nothing is stored', async () => {
    const err = await core.hosts
      .add({
        name: 'x',
        address: sb.address,
        port: sb.port,
        user: 'nobody-here',
        auth: { kind: 'keyFile', path: sb.keyPath },
        acceptFingerprint: sb.fingerprint,
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ssh.auth' });
    expect((err as Error).message).toContain("'nobody-here'");
    expect(await core.hosts.list()).toEqual([]);
  });

  it('an unreachable port and a missing key file give errors that say what to do', async () => {
    await expect(core.hosts.probe('127.0.0.1', 1)).rejects.toMatchObject({ code: 'ssh.refused' });
    await expect(
      addSandboxHost(core, 'x', { auth: { kind: 'keyFile', path: '/nonexistent/key' } }),
    ).rejects.toMatchObject({ code: 'ssh.key-unreadable' });
  });
});

describe('a changed host key', () => {
  let extra: ExtraSshd;
  beforeEach(async () => {
    extra = await startExtraSshd();
  });
  afterEach(async () => {
    await extra.stop();
  });

  it('is refused, and the error shows the pinned and the offered fingerprints', async () => {
    await addSandboxHost(core, 'moving', {
      address: '127.0.0.1',
      port: extra.port,
      acceptFingerprint: extra.fingerprint,
    });
    expect((await core.hosts.check('moving')).status).toBe('ok');
    await core.close();
    const newFp = await extra.rotateHostKey();
    expect(newFp).not.toBe(extra.fingerprint);
    core = newCore();
    const check = await core.hosts.check('moving');
    expect(check.status).toBe('key-changed');
    expect(check.keyStatus).toBe('changed');
    expect(check.error?.code).toBe('hostkey.changed');
    expect(check.error?.message).toContain(extra.fingerprint);
    expect(check.error?.message).toContain(newFp);
    expect(check.error?.details).toMatchObject({ pinned: extra.fingerprint, offered: newFp });
    // The probe says so too, and the pin is unchanged.
    const probe = await core.hosts.probe('127.0.0.1', extra.port);
    expect(probe).toMatchObject({
      known: 'changed',
      fingerprint: newFp,
      pinnedFingerprint: extra.fingerprint,
    });
    expect((await core.hosts.list())[0]?.fingerprint).toBe(extra.fingerprint);
  });
});

describe('an sshd that forbids stream-local forwarding', () => {
  it('the check names the sshd setting that fixes Docker access', async () => {
    const extra = await startExtraSshd({ allowStreamLocalForwarding: false });
    try {
      await addSandboxHost(core, 'nofwd', {
        address: '127.0.0.1',
        port: extra.port,
        acceptFingerprint: extra.fingerprint,
      });
      const check = await core.hosts.check('nofwd');
      expect(check.status).toBe('error');
      expect(check.facts?.docker).toBeNull();
      const p = check.problems.find((x) => x.code === 'docker.unreachable');
      expect(p?.fix).toContain('AllowStreamLocalForwarding yes');
      // Exec still works on that host.
      expect(check.facts?.kernel).not.toBe('');
    } finally {
      await extra.stop();
    }
  });
});

describe('SshConnection', () => {
  it('a pinned key that differs in any byte is refused even before authentication', async () => {
    const probe = await core.hosts.probe(sb.address, sb.port);
    const fake = Buffer.alloc(51, 7);
    await expect(
      SshConnection.connect(
        { address: sb.address, port: sb.port, user: sb.user },
        { privateKey: readFileSync(sb.keyPath) },
        { kind: 'pinned', key: fake, fingerprint: 'SHA256:fake' },
      ),
    ).rejects.toMatchObject({ code: 'hostkey.changed', details: { offered: probe.fingerprint } });
  });
});

afterAll(() => undefined);

describe('this machine (local Docker socket)', () => {
  it('is a host kind with the same facts, without SSH', async () => {
    const info = await core.appInfo();
    expect(info.localDocker.available).toBe(true);
    expect(info.localDocker.version).toBe(sb.dockerVersion);
    const view = await core.hosts.addLocal('local');
    expect(view.kind).toBe('local');
    const check = await core.hosts.check('local');
    expect(check.error).toBeNull();
    expect(check.keyStatus).toBe('not-applicable');
    expect(check.facts?.docker?.version).toBe(sb.dockerVersion);
    expect(check.facts?.compose?.v2).toBe(true);
  });
});
