/**
 * The host's security posture from its files, as the agent sees them (the host's / read-only):
 * sshd's PasswordAuthentication, UFW's state and the ports it opens to the world, fail2ban's sshd
 * jail. Pure parsers: the agent reads the files (and /proc's process names) and passes their
 * text, keyed by absolute path.
 *
 * What a file cannot say is not guessed: ports Docker publishes go around UFW (Docker's own
 * iptables chain), and the agent (network none) cannot read the live rule set; a firewall
 * managed by another tool (nftables by hand, a cloud firewall) is reported as "no firewall tool".
 */
import type { SecurityObservation } from './observations';

/** Files by absolute path. */
export type FileMap = Record<string, string>;

function globToRe(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$');
}

function matching(files: FileMap, pattern: string): string[] {
  const re = globToRe(pattern);
  return Object.keys(files)
    .filter((p) => re.test(p))
    .sort();
}

/**
 * Does sshd allow password login: the first PasswordAuthentication outside a Match block wins
 * (sshd's rule), Include lines are read in place (relative to /etc/ssh), unset means yes
 * (OpenSSH's default); a Match block that turns it on counts as on (for someone it is).
 */
export function sshdPasswordAuthentication(files: FileMap, main = '/etc/ssh/sshd_config'): boolean {
  let global: boolean | null = null;
  let inMatch = false;
  let matchAllows = false;
  const read = (path: string, depth: number): void => {
    const text = files[path];
    if (text === undefined || depth > 8) return;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const m = /^(\S+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
      if (!m) continue;
      const key = m[1]!.toLowerCase();
      const value = m[2]!.trim();
      if (key === 'include') {
        for (const pat of value.split(/\s+/)) {
          const abs = pat.startsWith('/') ? pat : `/etc/ssh/${pat}`;
          for (const p of matching(files, abs)) read(p, depth + 1);
        }
      } else if (key === 'match') {
        inMatch = value.toLowerCase() !== 'all';
      } else if (key === 'passwordauthentication') {
        const on = value.toLowerCase() === 'yes';
        if (inMatch) matchAllows ||= on;
        else global ??= on;
      }
    }
  };
  read(main, 0);
  return (global ?? true) || matchAllows;
}

/** The TCP ports a `### tuple ###` line of UFW's user rules opens to anyone; 'all' for every port. */
function tuplePorts(line: string): number[] | 'all' | null {
  const m = /^### tuple ### (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)(.*)$/.exec(line.trim());
  if (!m) return null;
  const [, action, proto, dport, , , src, rest] = m;
  const direction = (rest ?? '').trim().split(/\s+/).at(-1) ?? 'in';
  if (action !== 'allow' && action !== 'limit') return null;
  if (proto !== 'tcp' && proto !== 'any') return null;
  if (!direction.startsWith('in')) return null;
  if (src !== '0.0.0.0/0' && src !== '::/0') return null;
  if (dport === 'any') return 'all';
  const ports: number[] = [];
  for (const part of (dport ?? '').split(',')) {
    const [a, b] = part.split(':').map(Number);
    if (!Number.isInteger(a)) continue;
    const end = Number.isInteger(b) ? Math.min(b!, a! + 1024) : a!;
    for (let p = a!; p <= end; p++) ports.push(p);
  }
  return ports;
}

/** UFW's state from /etc/ufw/ufw.conf, /etc/default/ufw and user(6).rules; null when UFW is not installed. */
export function ufwState(files: FileMap): NonNullable<SecurityObservation['firewall']> | null {
  const conf = files['/etc/ufw/ufw.conf'];
  if (conf === undefined) return null;
  const active = /^\s*ENABLED\s*=\s*"?yes"?\s*$/im.test(conf);
  const defaults = files['/etc/default/ufw'] ?? '';
  const acceptAll = /^\s*DEFAULT_INPUT_POLICY\s*=\s*"?ACCEPT"?\s*$/im.test(defaults);
  const open = new Set<number>();
  let all = acceptAll;
  for (const path of ['/etc/ufw/user.rules', '/etc/ufw/user6.rules']) {
    for (const line of (files[path] ?? '').split('\n')) {
      const ports = tuplePorts(line);
      if (ports === 'all') all = true;
      else if (ports) for (const p of ports) open.add(p);
    }
  }
  return {
    active,
    tool: 'ufw',
    openPorts: [...open].sort((a, b) => a - b),
    ...(all ? { openAll: true } : {}),
  };
}

/**
 * Is fail2ban's sshd jail on: jail.conf, jail.d/*.conf, jail.local, jail.d/*.local in that order,
 * the last `enabled` of [sshd] winning, else [DEFAULT]'s (Debian turns sshd on in
 * jail.d/defaults-debian.conf).
 */
export function fail2banSshJail(files: FileMap, dir = '/etc/fail2ban'): boolean {
  const order = [
    `${dir}/jail.conf`,
    ...matching(files, `${dir}/jail.d/*.conf`),
    `${dir}/jail.local`,
    ...matching(files, `${dir}/jail.d/*.local`),
  ];
  let sshd: boolean | null = null;
  let dflt = false;
  for (const path of order) {
    let section = '';
    for (const raw of (files[path] ?? '').split('\n')) {
      const line = raw.replace(/[#;].*/, '').trim();
      const s = /^\[([^\]]+)\]$/.exec(line);
      if (s) {
        section = s[1]!.trim().toLowerCase();
        continue;
      }
      const kv = /^enabled\s*[=:]\s*(\S+)/i.exec(line);
      if (!kv) continue;
      const on = /^(true|yes|1|on)$/i.test(kv[1]!);
      if (section === 'sshd') sshd = on;
      else if (section === 'default') dflt = on;
    }
  }
  return sshd ?? dflt;
}

/** fail2ban (or an equivalent) from the host's process names (/proc/<pid>/comm). */
export function bruteForceGuard(
  files: FileMap,
  comms: string[],
): NonNullable<SecurityObservation['fail2ban']> {
  const names = new Set(comms.map((c) => c.trim()));
  if (names.has('fail2ban-server'))
    return { running: true, sshJail: fail2banSshJail(files), tool: 'fail2ban' };
  if (names.has('crowdsec')) return { running: true, sshJail: true, tool: 'crowdsec' };
  if (names.has('sshguard')) return { running: true, sshJail: true, tool: 'sshguard' };
  const installed = Object.keys(files).some((p) => p.startsWith('/etc/fail2ban/'));
  return {
    running: false,
    sshJail: installed && fail2banSshJail(files),
    tool: installed ? 'fail2ban' : 'none',
  };
}

/** The posture in one: what the security rules look at. */
export function readPosture(files: FileMap, comms: string[]): SecurityObservation {
  return {
    firewall: ufwState(files) ?? { active: false, tool: 'none', openPorts: [] },
    fail2ban: bruteForceGuard(files, comms),
    sshd:
      files['/etc/ssh/sshd_config'] === undefined
        ? null
        : { passwordAuthentication: sshdPasswordAuthentication(files) },
  };
}
