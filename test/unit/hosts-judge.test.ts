import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { HostFacts, Problem } from '../../src/shared/contract';
import { failedCheck, passedCheck } from '../../src/main/core/hosts/check';
import { knownHostsPathsOf, sshDirOf } from '../../src/main/core/hosts/records';
import { CoreError } from '../../src/main/core/errors';
import { HostConnector, pinnedPolicy } from '../../src/main/core/hosts/connector';
import type { SecretProvider } from '../../src/main/core/secrets/provider';
import type { HostRecord, StoreData } from '../../src/main/core/store/schema';
import type { Store } from '../../src/main/core/store/store';
import { judgeDockerError, judgeFacts, judgeStateDir } from '../../src/main/core/hosts/facts';

const disk = (mount: string, used: number, size = 100) => ({
  filesystem: '/dev/x',
  mount,
  sizeBytes: size,
  usedBytes: used,
  availableBytes: size - used,
});
const v2 = { version: '2.29.1', v2: true };

describe('judging facts', () => {
  it('a healthy host has no problems', () => {
    expect(judgeFacts({ compose: v2, disks: [disk('/', 50)] }, null, null)).toEqual([]);
  });

  it('Compose missing or v1 is an error with the same fix', () => {
    const [missing] = judgeFacts({ compose: null, disks: [] }, null, null);
    const [v1] = judgeFacts({ compose: { version: '1.29.2', v2: false }, disks: [] }, null, null);
    expect(missing).toEqual({
      code: 'compose.missing',
      severity: 'error',
      message: 'Docker Compose is not installed.',
      fix: 'Install the Compose v2 plugin: apt-get install docker-compose-plugin (Docker repo) or docker-compose from Debian 13.',
    });
    expect(v1?.code).toBe('compose.v1');
    expect(v1?.message).toBe(
      'Only the old docker-compose 1.29.2 (v1) is installed; tenant stacks need Compose v2 ("docker compose").',
    );
    expect(v1?.fix).toBe(missing?.fix);
  });

  it('disks: over 85 % a warning, over 95 % an error, an empty size never', () => {
    const p = judgeFacts(
      { compose: v2, disks: [disk('/', 85), disk('/a', 86), disk('/b', 96), disk('/c', 5, 0)] },
      null,
      null,
    );
    expect(p.map((x) => [x.code, x.severity, x.message])).toEqual([
      ['disk.full', 'warning', 'Disk /a is 86 % full.'],
      ['disk.full', 'error', 'Disk /b is 96 % full.'],
    ]);
    expect(p[0]?.fix).toBe('Free space on /a (docker system prune, old backups) or grow the volume.');
  });

  it('keeps the order: Docker, state folder, Compose, disks', () => {
    const docker: Problem = { code: 'docker.missing', severity: 'error', message: 'd', fix: 'f' };
    const state = judgeStateDir('readonly', '/opt/truffles', 'ops');
    const p = judgeFacts({ compose: null, disks: [disk('/', 99)] }, docker, state);
    expect(p.map((x) => x.code)).toEqual([
      'docker.missing',
      'state.unwritable',
      'compose.missing',
      'disk.full',
    ]);
  });

  it('the state folder: writable or creatable is fine; readonly and missing say so', () => {
    expect(judgeStateDir('writable', '/s', 'u')).toBeNull();
    expect(judgeStateDir('creatable', '/s', 'u')).toBeNull();
    expect(judgeStateDir('readonly', '/s', 'u')?.message).toBe(
      '/s exists but u cannot write to it; tenants and the audit trail cannot be kept there.',
    );
    expect(judgeStateDir('missing', '/s', 'u')).toEqual({
      code: 'state.unwritable',
      severity: 'warning',
      message: '/s does not exist and u cannot create it; tenants and the audit trail need it.',
      fix: 'On the host, run: sudo install -d -o u -m 0750 /s',
    });
  });
});

describe('judging a Docker Engine that does not answer', () => {
  const sock = '/var/run/docker.sock';
  const prohibited = new CoreError('ssh.streamlocal-prohibited', 'h does not allow streams', 'x');
  const failed = new CoreError('ssh.streamlocal-failed', 'h could not open', 'x');
  const fix = 'Set "AllowStreamLocalForwarding yes" in the host\'s sshd_config and reload sshd.';

  it('sshd forbids streams: its own message', () => {
    expect(judgeDockerError(prohibited, undefined, 'ops', sock)).toEqual({
      code: 'docker.unreachable',
      severity: 'error',
      message: 'h does not allow streams',
      fix,
    });
  });

  it('the socket is usable but the stream failed: forwarding is off', () => {
    expect(judgeDockerError(failed, 0, 'ops', sock)).toEqual({
      code: 'docker.unreachable',
      severity: 'error',
      message:
        'The SSH server refuses to forward to /var/run/docker.sock although the socket is there and the user may use it.',
      fix,
    });
  });

  it('not permitted: by the socket check (4), EACCES, or the words', () => {
    const eacces = Object.assign(new Error('x'), { code: 'EACCES' });
    for (const [err, code] of [
      [failed, 4],
      [eacces, undefined],
      [new Error('connect: Permission denied'), null],
    ] as const) {
      expect(judgeDockerError(err, code, 'ops', sock)).toEqual({
        code: 'docker.denied',
        severity: 'error',
        message: "User 'ops' may not use Docker on this host (no access to /var/run/docker.sock).",
        fix: 'On the host: sudo usermod -aG docker ops, then reconnect.',
      });
    }
  });

  it('no socket (3), or no answer', () => {
    const fixInstall =
      'Install Docker Engine (apt-get install docker.io) and start it (systemctl enable --now docker).';
    expect(judgeDockerError(failed, 3, 'ops', sock)).toEqual({
      code: 'docker.missing',
      severity: 'error',
      message: 'Docker Engine is not running on this host (/var/run/docker.sock does not exist).',
      fix: fixInstall,
    });
    expect(judgeDockerError(new Error('socket hang up'), undefined, 'ops', sock).message).toBe(
      'Docker Engine does not answer: socket hang up',
    );
  });
});

describe('judging a check', () => {
  const facts = {} as HostFacts;
  const at = '2026-01-01T00:00:00.000Z';
  const warn: Problem = { code: 'disk.full', severity: 'warning', message: 'm', fix: 'f' };
  const err: Problem = { code: 'compose.missing', severity: 'error', message: 'm', fix: 'f' };

  it('reached: ok, warning or error by the worst problem; the key ok over SSH', () => {
    expect(passedCheck('h', 'ssh', at, 1.5, facts, [])).toEqual({
      host: 'h',
      checkedAt: at,
      status: 'ok',
      latencyMs: 1.5,
      keyStatus: 'ok',
      facts,
      problems: [],
      error: null,
    });
    expect(passedCheck('h', 'ssh', at, 1, facts, [warn]).status).toBe('warning');
    expect(passedCheck('h', 'ssh', at, 1, facts, [warn, err]).status).toBe('error');
    expect(passedCheck('h', 'local', at, 1, facts, []).keyStatus).toBe('not-applicable');
  });

  it('not reached: the key, the network, or an error', () => {
    const info = (code: string) => ({ code, message: 'x', hint: '' });
    const judged = (code: string, kind: 'ssh' | 'local' = 'ssh') => {
      const c = failedCheck('h', kind, at, info(code));
      return [c.status, c.keyStatus];
    };
    expect(judged('hostkey.changed')).toEqual(['key-changed', 'changed']);
    expect(judged('hostkey.unpinned')).toEqual(['key-unconfirmed', 'unconfirmed']);
    for (const code of [
      'ssh.refused',
      'ssh.dns',
      'ssh.unreachable',
      'ssh.timeout',
      'ssh.reset',
      'ssh.closed',
    ])
      expect(judged(code)).toEqual(['unreachable', 'ok']);
    expect(judged('ssh.auth')).toEqual(['error', 'ok']);
    expect(judged('ssh.connection-lost')).toEqual(['error', 'ok']);
    expect(judged('exec.failed', 'local')).toEqual(['error', 'not-applicable']);
    expect(failedCheck('h', 'ssh', at, info('ssh.auth'))).toEqual({
      host: 'h',
      checkedAt: at,
      status: 'error',
      latencyMs: null,
      keyStatus: 'ok',
      facts: null,
      problems: [],
      error: info('ssh.auth'),
    });
  });
});

describe('where the operator keeps OpenSSH files', () => {
  it('the .ssh folder of the home given, and the known_hosts files to read', () => {
    expect(sshDirOf('/home/ops')).toBe('/home/ops/.ssh');
    expect(knownHostsPathsOf('/home/ops')).toEqual([
      '/home/ops/.ssh/known_hosts',
      '/home/ops/.ssh/known_hosts2',
    ]);
    expect(knownHostsPathsOf('/home/ops', '/etc/ssh/ssh_known_hosts')).toEqual(['/etc/ssh/ssh_known_hosts']);
    expect(knownHostsPathsOf('/home/ops', '~/kh')).toEqual([`${homedir()}/kh`]);
  });
});

describe('a jump chain from the inventory', () => {
  const rec = (name: string, kind: 'ssh' | 'local' = 'ssh'): HostRecord => ({
    name,
    kind,
    address: `${name}.kz`,
    port: 22,
    user: 'ops',
    auth: { kind: 'agent' },
    dockerSocket: '/var/run/docker.sock',
    jump: [],
    labels: {},
    baseDomain: null,
    registryMirror: null,
    stateDir: '/opt/truffles',
    addedAt: '2026-01-01T00:00:00Z',
    lastCheck: null,
  });
  const data = { hosts: [rec('gw'), rec('mid'), rec('me', 'local')], knownHosts: {} } as unknown as StoreData;
  const connector = new HostConnector({} as Store, {} as SecretProvider, {});
  const refusal = (chain: string[], target?: string): [string, string] => {
    try {
      connector.jumpRecords(chain, data, target);
    } catch (e) {
      return [(e as CoreError).code, (e as CoreError).message];
    }
    return ['none', ''];
  };

  it('gives the records in order', () => {
    expect(connector.jumpRecords(['gw', 'mid'], data, 'app').map((r) => r.name)).toEqual(['gw', 'mid']);
    expect(connector.jumpRecords([], data)).toEqual([]);
  });

  it('refuses a loop, the host itself, an unknown host and this machine', () => {
    expect(refusal(['gw', 'mid', 'gw'])).toEqual([
      'host.jump-loop',
      "The jump chain gw → mid → gw visits 'gw' twice.",
    ]);
    expect(refusal(['gw', 'app'], 'app')[0]).toBe('host.jump-loop');
    expect(refusal(['nope'])).toEqual(['host.jump-unknown', "Jump host 'nope' is not in the inventory."]);
    expect(refusal(['me'])).toEqual([
      'host.jump-local',
      "'me' is this machine, not an SSH host; it cannot be a jump host.",
    ]);
  });

  it('a pin becomes the policy that accepts exactly its key', () => {
    const key = Buffer.from('a key blob');
    expect(pinnedPolicy({ key: key.toString('base64'), fingerprint: 'SHA256:x' })).toEqual({
      kind: 'pinned',
      key,
      fingerprint: 'SHA256:x',
    });
  });
});
