import { describe, expect, it } from 'vitest';
import {
  DOOR_COMMAND,
  parseSupportGid,
  SUPPORT_SETUP_SCRIPT,
  supportKeyLine,
  supportSetupCommand,
} from '../../src/main/core/access/support';
import { agentRunCommand } from '../../src/main/core/health/commands';

describe('the support account, as commands', () => {
  it('a support key line forces the door, named, with nothing else allowed', () => {
    expect(supportKeyLine('sam', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA', null)).toBe(
      `restrict,command="${DOOR_COMMAND} sam" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA truffles:sam`,
    );
    expect(supportKeyLine('sam.k', 'ssh-ed25519 AAAA', '20270131')).toBe(
      'restrict,command="truffles-door sam.k",expiry-time="20270131" ssh-ed25519 AAAA truffles:sam.k',
    );
  });

  it('refuses a name, key or day that could break out of its options', () => {
    for (const name of ['Sam', 'sam"', 'sam x', 'sam,permitopen="*"', '', 'a'.repeat(65)])
      expect(() => supportKeyLine(name, 'ssh-ed25519 AAAA', null), name).toThrow();
    for (const key of [
      'ssh-ed25519 AAAA\nssh-rsa BBBB',
      'ssh-ed25519 AA"AA',
      'ssh-ed25519',
      'command="x" ssh-ed25519 AAAA',
    ])
      expect(() => supportKeyLine('sam', key, null), key).toThrow();
    expect(() => supportKeyLine('sam', 'ssh-ed25519 AAAA', '2027-01-31')).toThrow();
  });

  it('sets up as root in the host’s / from a one-shot container with no network, the inputs as arguments', () => {
    const argv = supportSetupCommand('img:1', '#!/usr/bin/perl', 'add', 'sam', 'LINE');
    expect(argv.slice(0, 12)).toEqual([
      'docker',
      'run',
      '--rm',
      '--network',
      'none',
      '--user',
      '0:0',
      '--volume',
      '/:/host',
      '--label',
      'org.truffles.oneshot=support-setup',
      '--entrypoint',
    ]);
    expect(argv.slice(12)).toEqual([
      'chroot',
      '--',
      'img:1',
      '/host',
      'sh',
      '-c',
      SUPPORT_SETUP_SCRIPT,
      'sh',
      '#!/usr/bin/perl',
      'add',
      'sam',
      'LINE',
    ]);
    // The script never splices its inputs: they are only "$1".."$4".
    expect(SUPPORT_SETUP_SCRIPT).not.toMatch(/\$\{?[5-9]/);
  });

  it('reads the support group id from getent, and nothing else', () => {
    expect(parseSupportGid('truffles-support:x:998:\n')).toBe(998);
    expect(parseSupportGid('')).toBeNull();
    expect(parseSupportGid('other:x:998:')).toBeNull();
    expect(parseSupportGid('truffles-support:x:0:')).toBeNull();
  });

  it('the agent serves the support door only when the host has the account', () => {
    const base = {
      image: 'n8n',
      version: '1',
      sha256: 'a'.repeat(64),
      stateDir: '/opt/truffles',
      dockerSocket: '/var/run/docker.sock',
      socketGid: 999,
      program: 'p.mjs',
      hostName: 'sb',
    };
    const plain = agentRunCommand(base).join(' ');
    expect(plain).not.toContain('SUPPORT');
    const withSupport = agentRunCommand({
      ...base,
      support: { gid: 998, runDir: '/var/lib/truffles-support/run' },
    });
    const text = withSupport.join(' ');
    expect(text).toContain('--label org.truffles.agent.support=998');
    expect(text).toContain('--env TRUFFLES_SUPPORT_SOCKET=/support/support.sock');
    expect(text).toContain('--env TRUFFLES_SUPPORT_GID=998');
    expect(text).toContain('--volume /var/lib/truffles-support/run:/support');
    expect(text).toContain('--volume /opt/truffles/audit:/state/audit');
  });
});
