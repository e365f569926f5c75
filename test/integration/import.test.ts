import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportPreview, Result } from '../../src/shared/contract';
import { runCli } from '../../src/main/cli/cli';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { sandbox, startExtraSshd, type ExtraSshd, type SandboxInfo } from '../helpers/sandbox';
import { tempDir } from '../helpers/tmp';

/**
 * Importing hosts from an OpenSSH client config and known_hosts, against real sshd instances:
 * keys are pinned only from known_hosts (hashed lines too), the rest wait for the operator, jump
 * routes become inventory chains, and a confirmed pin lands in the audit trail on the host.
 */
let sb: SandboxInfo;
let t: ReturnType<typeof tempDir>;
let core: Core;
let sshHome: string;
const servers: ExtraSshd[] = [];

function newCore(): Core {
  return new Core({
    home: join(t.dir, 'truffles'),
    secrets: new PassphraseProvider(async () => 'import passphrase'),
    mode: 'cli',
    hostOptions: { connectTimeoutMs: 5000, sshHome },
  });
}

function publicKeyLine(pubPath: string): string {
  const [type, blob] = readFileSync(pubPath, 'utf8').trim().split(/\s+/);
  return `${type} ${blob}`;
}

/** Write known_hosts lines, hashed with ssh-keygen -H when asked (as HashKnownHosts yes leaves them). */
function writeKnownHosts(lines: string[], hashed: boolean): string {
  const path = join(sshHome, '.ssh', 'known_hosts');
  writeFileSync(path, lines.join('\n') + '\n');
  if (hashed) execFileSync('ssh-keygen', ['-q', '-H', '-f', path], { stdio: 'ignore' });
  return path;
}

beforeEach(() => {
  sb = sandbox();
  t = tempDir();
  sshHome = join(t.dir, 'home');
  mkdirSync(join(sshHome, '.ssh'), { recursive: true });
  core = newCore();
});
afterEach(async () => {
  await core.close();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  t.cleanup();
});

describe('import from ~/.ssh/config', () => {
  it('pins keys from hashed known_hosts, maps ProxyJump to the inventory, never runs Match exec', async () => {
    const bastion = await startExtraSshd();
    servers.push(bastion);
    const tag = randomBytes(3).toString('hex');
    const pwned = join(t.dir, 'match-exec-ran');
    writeFileSync(
      join(sshHome, '.ssh', 'config'),
      [
        `Host gate-${tag}`,
        '  HostName 127.0.0.1',
        `  Port ${bastion.port}`,
        `  User ${sb.user}`,
        `  IdentityFile ${sb.keyPath}`,
        '',
        `Match exec "touch ${pwned}"`,
        '  User root',
        '',
        `Host inner-${tag}`,
        '  HostName localhost',
        `  Port ${sb.port}`,
        `  User ${sb.user}`,
        `  IdentityFile ${sb.keyPath}`,
        `  ProxyJump gate-${tag}`,
        '',
        'Host *',
        '  ServerAliveInterval 30',
      ].join('\n'),
    );
    // Only the bastion is in known_hosts (hashed); the inner host has to be confirmed.
    writeKnownHosts([`[127.0.0.1]:${bastion.port} ${publicKeyLine(`${bastion.hostKeyPath}.pub`)}`], true);
    expect(readFileSync(join(sshHome, '.ssh', 'known_hosts'), 'utf8')).toMatch(/^\|1\|/);

    const preview = (await core.dispatch('hosts.importPreview', {})) as Result<ImportPreview>;
    expect(preview.ok).toBe(true);
    if (!preview.ok) return;
    const byAlias = new Map(preview.value.candidates.map((c) => [c.alias, c]));
    expect([...byAlias.keys()]).toEqual([`gate-${tag}`, `inner-${tag}`]);
    expect(byAlias.get(`gate-${tag}`)).toMatchObject({
      action: 'add',
      authKind: 'keyFile',
      keyFile: sb.keyPath,
      knownKey: { fingerprint: bastion.fingerprint },
    });
    expect(byAlias.get(`inner-${tag}`)).toMatchObject({
      action: 'add',
      address: 'localhost',
      jump: [`gate-${tag}`],
      knownKey: null,
    });
    expect(preview.value.warnings.join('\n')).toMatch(/Match/);
    // Preview changes nothing.
    expect(await core.hosts.list()).toEqual([]);

    // Asking for the inner host alone brings its jump host along, jump host first.
    const r = await core.hosts.importHosts({}, [`inner-${tag}`]);
    expect(r.added.map((h) => h.name)).toEqual([`gate-${tag}`, `inner-${tag}`]);
    expect(r.added[0]?.fingerprint).toBe(bastion.fingerprint);
    expect(r.added[1]?.fingerprint).toBeNull();
    expect(r.added[1]?.jump).toEqual([`gate-${tag}`]);
    expect(existsSync(pwned)).toBe(false);

    // The bastion works with the key from known_hosts; the inner host waits for confirmation.
    expect((await core.hosts.check(`gate-${tag}`)).status).toMatch(/^(ok|warning)$/);
    const waiting = await core.hosts.check(`inner-${tag}`);
    expect(waiting).toMatchObject({ status: 'key-unconfirmed', keyStatus: 'unconfirmed' });
    expect(waiting.error?.hint).toContain(`truffles host repin inner-${tag}`);

    // Probing through the jump host shows the key, and that known_hosts does not know it.
    const probe = await core.hosts.probe('localhost', sb.port, [`gate-${tag}`]);
    expect(probe).toMatchObject({
      fingerprint: sb.fingerprint,
      known: 'new',
      knownHosts: { status: 'absent' },
    });
    const pinned = await core.hosts.repin(`inner-${tag}`, probe.fingerprint);
    expect(pinned.fingerprint).toBe(sb.fingerprint);
    expect(pinned.auditError).toBeNull();
    const ok = await core.hosts.check(`inner-${tag}`);
    expect(ok.status).toMatch(/^(ok|warning)$/);
    expect(ok.facts?.docker?.version).toBe(sb.dockerVersion);

    // The pin is in the audit trail on the host, read back by a second console.
    const other = newCore();
    try {
      const lines = await other.hosts.audit(`inner-${tag}`, 200);
      const mine = lines.find((l) => l.subject === `host:inner-${tag}`);
      expect(mine).toMatchObject({
        action: 'host.pin',
        details: { previous: null, fingerprint: sb.fingerprint },
      });
      // Who: from the key that logged in (the test host has ExposeAuthInfo on); what the console said, beside it.
      expect(mine?.proof).toBe('key');
      expect(mine?.claimed).toMatch(/.+@.+/);
    } finally {
      await other.close();
    }
  });

  it('a known_hosts key the host no longer offers is pinned as trusted, so the host is refused as changed', async () => {
    const host = await startExtraSshd();
    servers.push(host);
    const oldLine = `[127.0.0.1]:${host.port} ${publicKeyLine(`${host.hostKeyPath}.pub`)}`;
    const newFp = await host.rotateHostKey();
    writeFileSync(
      join(sshHome, '.ssh', 'config'),
      `Host moved\n  HostName 127.0.0.1\n  Port ${host.port}\n  User ${sb.user}\n  IdentityFile ${sb.keyPath}\n`,
    );
    writeKnownHosts([oldLine], false);
    const { added } = await core.hosts.importHosts({}, ['moved']);
    expect(added[0]?.fingerprint).toBe(host.fingerprint);
    const check = await core.hosts.check('moved');
    expect(check.status).toBe('key-changed');
    expect(check.error?.message).toContain(host.fingerprint);
    expect(check.error?.message).toContain(newFp);
    // The dialog's probe says known_hosts disagrees with what is offered now.
    const probe = await core.hosts.probe('127.0.0.1', host.port);
    expect(probe).toMatchObject({ known: 'changed', knownHosts: { status: 'mismatch' } });
  });

  it('a host with ed25519 and RSA keys, known only by its RSA key, is pinned to that key and connects', async () => {
    const rsa = join(t.dir, 'host_rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const host = await startExtraSshd({ extraHostKeyPaths: [rsa] });
    servers.push(host);
    writeFileSync(
      join(sshHome, '.ssh', 'config'),
      `Host two-keys\n  HostName 127.0.0.1\n  Port ${host.port}\n  User ${sb.user}\n  IdentityFile ${sb.keyPath}\n`,
    );
    writeKnownHosts([`[127.0.0.1]:${host.port} ${publicKeyLine(`${rsa}.pub`)}`], false);
    const { added } = await core.hosts.importHosts({}, ['two-keys']);
    expect(added[0]?.keyAlgorithm).toBe('ssh-rsa');
    // Without asking for the pinned type, ssh2 would take the ed25519 key and call it a changed key.
    const check = await core.hosts.check('two-keys');
    expect(check.keyStatus).toBe('ok');
    expect(check.status).toMatch(/^(ok|warning)$/);
    // The fingerprint dialog's probe shows the pinned RSA key as matching, too.
    expect((await core.hosts.probe('127.0.0.1', host.port)).known).toBe('match');
  });

  it('a @revoked key is never pinned', async () => {
    writeFileSync(
      join(sshHome, '.ssh', 'config'),
      `Host revoked-one\n  HostName ${sb.address}\n  Port ${sb.port}\n  User ${sb.user}\n  IdentityFile ${sb.keyPath}\n`,
    );
    const line = publicKeyLine(sb.hostPublicKeyPath);
    writeKnownHosts([`[${sb.address}]:${sb.port} ${line}`, `@revoked * ${line}`], false);
    const preview = await core.hosts.importPreview({});
    expect(preview.candidates[0]).toMatchObject({ action: 'add', knownKey: null });
    expect(preview.candidates[0]?.note).toMatch(/revoked/);
    const probe = await core.hosts.probe(sb.address, sb.port);
    expect(probe.knownHosts.status).toBe('revoked');
  });

  it('hosts already in the inventory are shown as such and not imported twice', async () => {
    writeFileSync(
      join(sshHome, '.ssh', 'config'),
      `Host first\n  HostName ${sb.address}\n  Port ${sb.port}\n  User ${sb.user}\n  IdentityFile ${sb.keyPath}\n`,
    );
    writeKnownHosts([`[${sb.address}]:${sb.port} ${publicKeyLine(sb.hostPublicKeyPath)}`], false);
    expect((await core.hosts.importHosts({}, ['first'])).added).toHaveLength(1);
    const again = await core.hosts.importPreview({});
    expect(again.candidates[0]).toMatchObject({ action: 'exists' });
    const r = await core.hosts.importHosts({}, ['first', 'nope']);
    expect(r.added).toEqual([]);
    expect(r.skipped.map((s) => s.alias).sort()).toEqual(['first', 'nope']);
    expect(await core.hosts.list()).toHaveLength(1);
  });

  it('a config that does not exist is a clear error', async () => {
    const r = await core.dispatch('hosts.importPreview', { configPath: join(t.dir, 'nowhere', 'config') });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toContain('nowhere');
      expect(r.error.hint).toBeTruthy();
    }
  });
});

describe('truffles host import-ssh-config', () => {
  function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const saved = { home: process.env.TRUFFLES_HOME, pass: process.env.TRUFFLES_PASSPHRASE };
    process.env.TRUFFLES_HOME = join(t.dir, 'cli-home');
    process.env.TRUFFLES_PASSPHRASE = 'cli passphrase';
    return runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) })
      .then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }))
      .finally(() => {
        if (saved.home === undefined) delete process.env.TRUFFLES_HOME;
        else process.env.TRUFFLES_HOME = saved.home;
        if (saved.pass === undefined) delete process.env.TRUFFLES_PASSPHRASE;
        else process.env.TRUFFLES_PASSPHRASE = saved.pass;
      });
  }

  beforeEach(() => {
    writeFileSync(
      join(sshHome, '.ssh', 'config'),
      `Host cli-a\n  HostName ${sb.address}\n  Port ${sb.port}\n  User ${sb.user}\n  IdentityFile ${sb.keyPath}\n`,
    );
    writeKnownHosts([`[${sb.address}]:${sb.port} ${publicKeyLine(sb.hostPublicKeyPath)}`], true);
  });

  it('--dry-run shows the plan and changes nothing; then the import pins from known_hosts', async () => {
    const config = join(sshHome, '.ssh', 'config');
    const knownHosts = join(sshHome, '.ssh', 'known_hosts');
    const dry = await cli([
      'host',
      'import-ssh-config',
      '--config',
      config,
      '--known-hosts',
      knownHosts,
      '--dry-run',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('cli-a');
    expect(dry.out).toContain(sb.fingerprint);
    expect(dry.out).toContain('Dry run');
    const list = await cli(['host', 'list', '--json']);
    expect(JSON.parse(list.out)).toEqual([]);

    const real = await cli([
      'host',
      'import-ssh-config',
      '--config',
      config,
      '--known-hosts',
      knownHosts,
      '--json',
    ]);
    expect(real.code).toBe(0);
    const r = JSON.parse(real.out) as { added: { name: string; fingerprint: string }[] };
    expect(r.added).toEqual([expect.objectContaining({ name: 'cli-a', fingerprint: sb.fingerprint })]);
  });

  it('--only with an alias that is not in the config is a usage error naming it', async () => {
    const r = await cli([
      'host',
      'import-ssh-config',
      '--config',
      join(sshHome, '.ssh', 'config'),
      '--only',
      'cli-a,ghost',
    ]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toContain('ghost');
    const list = await cli(['host', 'list', '--json']);
    expect(JSON.parse(list.out)).toEqual([]);
  });
});

describe('the audit trail on the host', () => {
  it('a user who cannot write the state folder gets the repin done, with the audit error and its fix', async () => {
    const { addSandboxHost } = await import('../helpers/hosts');
    await addSandboxHost(core, 'nd', { user: sb.noDockerUser });
    const events: string[] = [];
    core.onEvent((e) => {
      if (e.type === 'log') events.push(e.message);
    });
    const r = await core.hosts.repin('nd', sb.fingerprint);
    expect(r.fingerprint).toBe(sb.fingerprint);
    expect(r.auditError).toMatchObject({ code: 'audit.unwritable' });
    expect(r.auditError?.hint).toContain(`sudo install -d -o ${sb.noDockerUser} -m 0750 /opt/truffles`);
    expect(events.some((m) => m.includes('Audit trail not written (host.repin)'))).toBe(true);
    const check = await core.hosts.check('nd');
    expect(check.problems.map((p) => p.code)).toContain('state.unwritable');
  });
});
