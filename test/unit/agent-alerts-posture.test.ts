import { describe, expect, it } from 'vitest';
import {
  bruteForceGuard,
  fail2banSshJail,
  readPosture,
  sshdPasswordAuthentication,
  ufwState,
} from '../../src/agent/alerts/posture';
import { emptyState, evaluate } from '../../src/agent/alerts/rules';

/** The host's posture from its files, as Debian 12 / Ubuntu 24.04 write them. */

const DEBIAN_SSHD = `# This is the sshd server system-wide configuration file.
Include /etc/ssh/sshd_config.d/*.conf
#PasswordAuthentication yes
#PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
Subsystem sftp /usr/lib/openssh/sftp-server
`;

describe('sshd', () => {
  it('unset means yes (OpenSSH’s default); the first value wins, Include files in place', () => {
    expect(sshdPasswordAuthentication({ '/etc/ssh/sshd_config': DEBIAN_SSHD })).toBe(true);
    expect(
      sshdPasswordAuthentication({
        '/etc/ssh/sshd_config': DEBIAN_SSHD + 'PasswordAuthentication yes\n',
        '/etc/ssh/sshd_config.d/10-hardening.conf': 'PasswordAuthentication no\n',
      }),
    ).toBe(false);
    // later lines do not override the first (a common mistake the check must not repeat)
    expect(
      sshdPasswordAuthentication({
        '/etc/ssh/sshd_config': 'PasswordAuthentication yes\nPasswordAuthentication no\n',
      }),
    ).toBe(true);
    expect(
      sshdPasswordAuthentication({ '/etc/ssh/sshd_config': 'passwordauthentication=no # hardened\n' }),
    ).toBe(false);
  });

  it('a Match block that allows passwords counts', () => {
    expect(
      sshdPasswordAuthentication({
        '/etc/ssh/sshd_config':
          'PasswordAuthentication no\nMatch User backup\n  PasswordAuthentication yes\n',
      }),
    ).toBe(true);
    expect(
      sshdPasswordAuthentication({
        '/etc/ssh/sshd_config':
          'Match User backup\n  X11Forwarding no\nMatch all\nPasswordAuthentication no\n',
      }),
    ).toBe(false);
  });
});

describe('ufw', () => {
  const rules = `*filter
:ufw-user-input - [0:0]
### RULES ###

### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in
-A ufw-user-input -p tcp --dport 22 -j ACCEPT

### tuple ### allow tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 Nginx%20Full - in
### tuple ### allow tcp 5432 0.0.0.0/0 any 10.0.0.0/8 in
### tuple ### limit tcp 2222 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow udp 51820 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 6000:6002 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### deny tcp 25 0.0.0.0/0 any 0.0.0.0/0 in
### END RULES ###
`;

  it('active, and the TCP ports open to anyone (a source range, UDP and denies are not)', () => {
    expect(
      ufwState({ '/etc/ufw/ufw.conf': 'ENABLED=yes\nLOGLEVEL=low\n', '/etc/ufw/user.rules': rules }),
    ).toEqual({
      active: true,
      tool: 'ufw',
      openPorts: [22, 80, 443, 2222, 6000, 6001, 6002],
    });
    expect(ufwState({ '/etc/ufw/ufw.conf': 'ENABLED=no\n' })).toMatchObject({ active: false });
    expect(ufwState({})).toBeNull();
  });

  it('a default of ACCEPT, or an allow without a port, opens everything', () => {
    expect(
      ufwState({ '/etc/ufw/ufw.conf': 'ENABLED=yes', '/etc/default/ufw': 'DEFAULT_INPUT_POLICY="ACCEPT"\n' }),
    ).toMatchObject({ openAll: true });
    expect(
      ufwState({
        '/etc/ufw/ufw.conf': 'ENABLED=yes',
        '/etc/ufw/user6.rules': '### tuple ### allow any any ::/0 any ::/0 in\n',
      }),
    ).toMatchObject({ openAll: true });
  });
});

describe('fail2ban', () => {
  const debian = {
    '/etc/fail2ban/jail.conf': '[DEFAULT]\nenabled = false\n[sshd]\nport = ssh\n',
    '/etc/fail2ban/jail.d/defaults-debian.conf': '[sshd]\nenabled = true\n',
  };

  it('Debian’s defaults turn the sshd jail on; jail.local turning it off wins', () => {
    expect(fail2banSshJail(debian)).toBe(true);
    expect(
      fail2banSshJail({ ...debian, '/etc/fail2ban/jail.local': '[sshd]\nenabled = false ; not here\n' }),
    ).toBe(false);
    expect(fail2banSshJail({ '/etc/fail2ban/jail.conf': '[DEFAULT]\nenabled = true\n' })).toBe(true);
    expect(fail2banSshJail({})).toBe(false);
  });

  it('running from the host’s process names; crowdsec and sshguard count as equivalents', () => {
    expect(bruteForceGuard(debian, ['systemd', 'sshd', 'fail2ban-server'])).toEqual({
      running: true,
      sshJail: true,
      tool: 'fail2ban',
    });
    expect(bruteForceGuard(debian, ['sshd'])).toEqual({ running: false, sshJail: true, tool: 'fail2ban' });
    expect(bruteForceGuard({}, ['crowdsec'])).toMatchObject({ running: true, tool: 'crowdsec' });
    expect(bruteForceGuard({}, [])).toEqual({ running: false, sshJail: false, tool: 'none' });
  });
});

describe('the posture, judged', () => {
  it('a tapbot-like host with UFW off, no fail2ban and sshd defaults gives three alerts with fixes', () => {
    const security = readPosture(
      { '/etc/ssh/sshd_config': DEBIAN_SSHD, '/etc/ufw/ufw.conf': 'ENABLED=no\n' },
      ['systemd', 'sshd', 'dockerd'],
    );
    const r = evaluate({ host: 'tap1' }, emptyState(), { security }, Date.UTC(2025, 0, 1));
    expect(r.notices.map((n) => [n.alert.kind, n.alert.fix])).toEqual([
      ['firewall', 'firewall-enable'],
      ['fail2ban', 'fail2ban-install'],
      ['ssh-password', 'ssh-password'],
    ]);
  });

  it('a host set up as it should be gives none; no firewall tool at all is reported as off', () => {
    const good = readPosture(
      {
        '/etc/ssh/sshd_config': DEBIAN_SSHD,
        '/etc/ssh/sshd_config.d/00-truffles.conf': 'PasswordAuthentication no\n',
        '/etc/ufw/ufw.conf': 'ENABLED=yes\n',
        '/etc/ufw/user.rules': '### tuple ### allow tcp 22,80,443 0.0.0.0/0 any 0.0.0.0/0 in\n',
        '/etc/fail2ban/jail.d/defaults-debian.conf': '[sshd]\nenabled = true\n',
      },
      ['fail2ban-server'],
    );
    expect(evaluate({ host: 'h' }, emptyState(), { security: good }, 0).notices).toEqual([]);
    expect(readPosture({}, []).firewall).toEqual({ active: false, tool: 'none', openPorts: [] });
    const open = readPosture(
      { '/etc/ufw/ufw.conf': 'ENABLED=yes', '/etc/default/ufw': 'DEFAULT_INPUT_POLICY="ACCEPT"' },
      [],
    );
    const r = evaluate({ host: 'h' }, emptyState(), { security: { firewall: open.firewall } }, 0);
    expect(r.notices[0]!.alert).toMatchObject({ fix: 'firewall-default', facts: { extraPorts: 'all' } });
  });
});
