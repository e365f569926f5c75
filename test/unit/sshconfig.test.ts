import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../src/main/core/errors';
import { readSshConfig } from '../../src/main/core/ssh/sshconfig';
import type { ImportedHost, SshConfigImport } from '../../src/main/core/ssh/sshconfig';
import { tempDir } from '../helpers/tmp';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

/** A fake home folder with `.ssh/`; `write` puts a file under `.ssh/` (or at an absolute path). */
function home(): { home: string; ssh: string; write: (path: string, text: string) => string } {
  const t = tempDir('truffles-sshconfig-');
  cleanups.push(t.cleanup);
  const ssh = join(t.dir, '.ssh');
  mkdirSync(ssh);
  return {
    home: t.dir,
    ssh,
    write: (path, text) => {
      const full = path.startsWith('/') ? path : join(ssh, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
      return full;
    },
  };
}

/** The config text, one line per argument (so line numbers in assertions are easy to read). */
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

function byName(result: SshConfigImport): Record<string, ImportedHost> {
  return Object.fromEntries(result.hosts.map((h) => [h.name, h]));
}

async function load(
  text: string,
  opts: { user?: string } = {},
): Promise<{ result: SshConfigImport; hosts: Record<string, ImportedHost>; file: string; home: string }> {
  const h = home();
  const file = h.write('config', text);
  const result = await readSshConfig(file, { home: h.home, user: opts.user ?? 'me' });
  return { result, hosts: byName(result), file, home: h.home };
}

/** What OpenSSH itself resolves for `alias` (`ssh -G`: prints the config, connects nowhere). */
function sshG(file: string, alias: string): Record<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', file, alias], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cfg: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) (cfg[line.slice(0, sp)] ??= []).push(line.slice(sp + 1));
  }
  return cfg;
}

describe('readSshConfig: hosts and settings', () => {
  it('reads each concrete alias with HostName, User, Port, IdentityFile and its file:line', async () => {
    const { result, hosts, file, home } = await load(
      lines(
        '# my servers',
        'Host web',
        '  HostName 203.0.113.10',
        '  User deploy',
        '  Port 2222',
        '  IdentityFile ~/.ssh/id_web',
        '  IdentityFile ~/.ssh/id_backup',
        '',
        'Host db',
        '  HostName db.internal',
      ),
    );
    expect(result.warnings).toEqual([]);
    expect(result.hosts.map((h) => h.name)).toEqual(['web', 'db']);
    expect(hosts.web).toEqual({
      name: 'web',
      address: '203.0.113.10',
      port: 2222,
      user: 'deploy',
      identityFiles: [join(home, '.ssh/id_web'), join(home, '.ssh/id_backup')],
      proxyJump: [],
      jumpHosts: [],
      source: `${file}:2`,
    });
    expect(hosts.db).toMatchObject({ address: 'db.internal', port: 22, user: 'me', source: `${file}:9` });
  });

  it('accepts Key=Value and Key Value, any keyword case, tabs, quoted values and comments', async () => {
    const { result, hosts } = await load(
      lines(
        'host=alpha beta # two aliases, then a comment',
        '\tHOSTNAME\t= alpha.example.org',
        '  user = "ops team"',
        '  pOrT=2201',
        '  IdentityFile "/keys/with space/id"   # quoted path',
        '  # IdentityFile /keys/commented-out',
        'Host "gamma"',
        '  HostName=gamma.example.org',
      ),
    );
    expect(result.warnings).toEqual([]);
    expect(result.hosts.map((h) => h.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(hosts.alpha).toMatchObject({
      address: 'alpha.example.org',
      user: 'ops team',
      port: 2201,
      identityFiles: ['/keys/with space/id'],
    });
    expect(hosts.beta).toMatchObject({ address: 'alpha.example.org', port: 2201 });
    expect(hosts.gamma).toMatchObject({ address: 'gamma.example.org', port: 22 });
  });

  it('expands %h in HostName and ~, %d %u %h %r %n %p %% and ${ENV} in IdentityFile', async () => {
    process.env.TRUFFLES_TEST_KEYDIR = '/env/keys';
    try {
      const { result, hosts, home, file } = await load(
        lines(
          'Host box',
          '  HostName %h.example.com',
          '  User admin',
          '  Port 2200',
          '  IdentityFile ~/.ssh/%n_%h_%r_%u_%p',
          '  IdentityFile %d/keys/100%%',
          '  IdentityFile ${TRUFFLES_TEST_KEYDIR}/id',
          '  IdentityFile ~/.ssh/%n_%h_%r_%u_%p',
          '  IdentityFile /k/%C',
        ),
      );
      expect(hosts.box).toMatchObject({
        address: 'box.example.com',
        identityFiles: [
          join(home, '.ssh/box_box.example.com_admin_me_2200'),
          `${home}/keys/100%`,
          '/env/keys/id',
          '/k/%C',
        ],
      });
      expect(result.warnings).toEqual([
        `${file}:9: IdentityFile "/k/%C": token %C is not supported here; left as written.`,
      ]);
    } finally {
      delete process.env.TRUFFLES_TEST_KEYDIR;
    }
  });

  it('defaults to port 22 and the given user, else $USER', async () => {
    const { hosts } = await load(lines('Host plain'), { user: 'alice' });
    expect(hosts.plain).toMatchObject({ address: 'plain', port: 22, user: 'alice', identityFiles: [] });

    const saved = process.env.USER;
    process.env.USER = 'from-env';
    try {
      const h = home();
      const file = h.write('config', lines('Host plain'));
      const { hosts: [only] = [] } = await readSshConfig(file, { home: h.home });
      expect(only).toMatchObject({ name: 'plain', user: 'from-env', port: 22 });
    } finally {
      if (saved === undefined) delete process.env.USER;
      else process.env.USER = saved;
    }
  });
});

describe('readSshConfig: patterns as defaults', () => {
  const config = lines(
    'Host *.prod !db.prod', // 1
    '  User deploy',
    '  IdentityFile /keys/prod',
    'Host web.prod', // 4
    '  User ignored-first-value-wins',
    '  Port 2201',
    'Host db.prod', // 7
    '  Port 2202',
    'Host web-?', // 9
    '  User ops',
    'Host web-1 web-22', // 11
    '  HostName %h.lan',
    'Host !nothing-matches-this', // 13
    '  Port 2999',
    'Host *', // 15
    '  User fallback',
    '  Port 2299',
    '  IdentityFile /keys/common',
  );

  it('imports only concrete aliases; wildcard and negated blocks apply to the hosts they match, first value wins', async () => {
    const { result, hosts } = await load(config);
    expect(result.warnings).toEqual([]);
    expect(result.hosts.map((h) => h.name)).toEqual(['web.prod', 'db.prod', 'web-1', 'web-22']);
    expect(hosts['web.prod']).toMatchObject({
      user: 'deploy',
      port: 2201,
      identityFiles: ['/keys/prod', '/keys/common'],
    });
    // `!db.prod` keeps the *.prod block away from db.prod.
    expect(hosts['db.prod']).toMatchObject({ user: 'fallback', port: 2202, identityFiles: ['/keys/common'] });
    // `web-?` matches one character only.
    expect(hosts['web-1']).toMatchObject({ address: 'web-1.lan', user: 'ops', port: 2299 });
    expect(hosts['web-22']).toMatchObject({ address: 'web-22.lan', user: 'fallback', port: 2299 });
  });

  it('agrees with OpenSSH (ssh -G) on every imported host', async () => {
    const { result, file } = await load(config, { user: 'fallback' });
    for (const host of result.hosts) {
      const g = sshG(file, host.name);
      expect(
        {
          address: host.address,
          port: String(host.port),
          user: host.user,
          identityFiles: host.identityFiles,
        },
        host.name,
      ).toEqual({
        address: g.hostname?.[0],
        port: g.port?.[0],
        user: g.user?.[0],
        identityFiles: g.identityfile ?? [],
      });
    }
  });

  it('settings before the first Host apply to every host and win over later blocks', async () => {
    const { hosts } = await load(lines('User everyone', 'Host a', '  User a-user', 'Host b'));
    expect(hosts.a?.user).toBe('everyone');
    expect(hosts.b?.user).toBe('everyone');
  });

  it('matches Host patterns case-insensitively and merges repeated aliases (first value wins)', async () => {
    const { result, hosts, file } = await load(
      lines(
        'Host Box',
        '  Port 2001',
        'Host *.EXAMPLE.com',
        '  User u',
        'Host box',
        '  Port 2002',
        '  HostName x',
      ),
    );
    expect(result.hosts.map((h) => h.name)).toEqual(['Box']);
    expect(hosts.Box).toMatchObject({ port: 2001, address: 'x', source: `${file}:1` });
  });
});

describe('readSshConfig: ProxyJump', () => {
  const config = lines(
    'Host target', // 1
    '  ProxyJump ops@jump1:2201,jump2',
    'Host jump1', // 3
    '  HostName 192.0.2.1',
    '  ProxyJump edge',
    'Host jump2', // 6
    '  HostName 192.0.2.2',
    '  Port 2202',
    '  User j2',
    '  ProxyJump far', // only when jump2 is the first hop
    'Host edge', // 11
    '  HostName edge.example.net',
    'Host v6', // 13
    '  ProxyJump ssh://root@uri-hop:2222,[2001:db8::2]:2200,[2001:db8::3]',
    'Host tokens', // 15
    '  HostName tokens.lan',
    '  ProxyJump gw-%h',
    'Host direct', // 18
    '  ProxyJump none',
    'Host d*', // 20
    '  ProxyJump far.example.net',
    'Host dbox', // 22
  );

  it('keeps the hops as written and resolves the route through the config, first hop first', async () => {
    const { result, hosts } = await load(config, { user: 'me' });
    expect(result.warnings).toEqual([]);
    expect(hosts.target?.proxyJump).toEqual(['ops@jump1:2201', 'jump2']);
    // jump1 is reached through its own ProxyJump (edge); jump2's own ProxyJump is overridden by -J jump1.
    expect(hosts.target?.jumpHosts).toEqual([
      { address: 'edge.example.net', port: 22 },
      { user: 'ops', address: '192.0.2.1', port: 2201 },
      { user: 'j2', address: '192.0.2.2', port: 2202 },
    ]);
    expect(hosts.jump2?.jumpHosts).toEqual([{ address: 'far', port: 22 }]);
    expect(hosts.v6?.jumpHosts).toEqual([
      { user: 'root', address: 'uri-hop', port: 2222 },
      { address: '2001:db8::2', port: 2200 },
      { address: '2001:db8::3', port: 22 },
    ]);
    expect(hosts.tokens?.jumpHosts).toEqual([{ address: 'gw-tokens.lan', port: 22 }]);
  });

  it('ProxyJump none wins over a later wildcard ProxyJump, which applies to the others', async () => {
    const { hosts } = await load(config);
    expect(hosts.direct).toMatchObject({ proxyJump: [], jumpHosts: [] });
    expect(hosts.dbox).toMatchObject({
      proxyJump: ['far.example.net'],
      jumpHosts: [{ address: 'far.example.net', port: 22 }],
    });
    expect(hosts.edge).toMatchObject({ proxyJump: [], jumpHosts: [] });
    expect(hosts.jump1?.jumpHosts).toEqual([{ address: 'edge.example.net', port: 22 }]);
  });

  it('agrees with OpenSSH (ssh -G) on each host ProxyJump', async () => {
    const { result, file } = await load(config);
    for (const host of result.hosts) {
      const g = sshG(file, host.name);
      expect(host.proxyJump.join(','), host.name).toBe(g.proxyjump?.[0] ?? '');
    }
  });

  it('warns about a malformed hop, a ProxyCommand and a loop, and never follows one forever', async () => {
    const { result, hosts, file } = await load(
      lines(
        'Host broken',
        '  ProxyJump good,bad@,x:99999,2001:db8::1,[::1,ssh://a/b',
        'Host loop-a',
        '  ProxyJump loop-b',
        'Host loop-b',
        '  ProxyJump loop-a',
        'Host cmd',
        '  ProxyCommand ssh -W %h:%p gw',
        '  ProxyJump ignored-after-proxycommand',
      ),
    );
    expect(hosts.broken?.proxyJump).toEqual(['good', 'bad@', 'x:99999', '2001:db8::1', '[::1', 'ssh://a/b']);
    expect(hosts.broken?.jumpHosts).toEqual([{ address: 'good', port: 22 }]);
    expect(hosts.cmd).toMatchObject({ proxyJump: [], jumpHosts: [] });
    expect(hosts['loop-a']?.jumpHosts.length).toBeLessThanOrEqual(16);
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        `${file}:2: ProxyJump hop "bad@" is not [user@]host[:port]; left out of the route.`,
        `${file}:2: ProxyJump hop "x:99999" is not [user@]host[:port]; left out of the route.`,
        `${file}:2: ProxyJump hop "2001:db8::1" is not [user@]host[:port]; left out of the route.`,
        `${file}:2: ProxyJump hop "[::1" is not [user@]host[:port]; left out of the route.`,
        `${file}:2: ProxyJump hop "ssh://a/b" is not [user@]host[:port]; left out of the route.`,
        expect.stringMatching(/ProxyJump loop through loop-/),
        `${file}:8: Host cmd reaches its server through a ProxyCommand, which is not imported; add the route by hand.`,
      ]),
    );
  });
});

describe('readSshConfig: Include', () => {
  it('reads a glob relative to ~/.ssh in lexical order, skipping hidden files, where the Include stands', async () => {
    const h = home();
    h.write('config.d/20-b.conf', lines('Host b', '  Port 2002', 'Host *', '  User from-include'));
    h.write('config.d/10-a.conf', lines('Host a', '  Port 2001', '  User a-user'));
    h.write('config.d/.hidden', lines('Host hidden'));
    const file = h.write(
      'config',
      lines('Include config.d/*', 'Port 2888', 'Host a b', '  Port 2999', 'Host c', '  User c-user'),
    );
    const result = await readSshConfig(file, { home: h.home, user: 'me' });
    const hosts = byName(result);
    expect(result.warnings).toEqual([]);
    expect(result.hosts.map((x) => x.name)).toEqual(['a', 'b', 'c']);
    expect(hosts.a).toMatchObject({ port: 2001, user: 'a-user', source: `${h.ssh}/config.d/10-a.conf:1` });
    expect(hosts.b).toMatchObject({
      port: 2002,
      user: 'from-include',
      source: `${h.ssh}/config.d/20-b.conf:1`,
    });
    // The included files' Host blocks end with their file: `Port 2888` applies to every host again.
    expect(hosts.c).toMatchObject({ port: 2888, user: 'from-include', source: `${file}:5` });
  });

  it('follows absolute and ~/ paths and several files on one line', async () => {
    const h = home();
    const abs = h.write(join(h.home, 'elsewhere/abs.conf'), lines('Host abs'));
    h.write(join(h.home, 'tilde.conf'), lines('Host tilde'));
    h.write('q.conf', lines('Host quoted'));
    const file = h.write('config', lines(`Include ${abs} ~/tilde.conf "q.conf"`));
    const result = await readSshConfig(file, { home: h.home, user: 'me' });
    expect(result.warnings).toEqual([]);
    expect(result.hosts.map((x) => x.name)).toEqual(['abs', 'tilde', 'quoted']);
  });

  it('an Include inside a Host block applies to that block only, as in OpenSSH', async () => {
    const h = home();
    const inner = h.write(
      join(h.home, 'inner.conf'),
      lines('User from-inner', 'Host innerhost', '  Port 2300'),
    );
    const file = h.write(
      'config',
      lines('Host outer', `  Include ${inner}`, '  Port 2400', 'Host other', '  Port 2500'),
    );
    const result = await readSshConfig(file, { home: h.home, user: 'me' });
    const hosts = byName(result);
    expect(hosts.outer).toMatchObject({ user: 'from-inner', port: 2400 });
    expect(hosts.other).toMatchObject({ user: 'me', port: 2500 });
    // ssh innerhost never reads that block (the include sits in a Host block that does not match).
    expect(result.hosts.map((x) => x.name)).toEqual(['outer', 'other']);
    expect(result.warnings).toEqual([
      `${inner}:2: Host innerhost sits in a file included from a Host block that does not match it, so ssh never applies it; not imported.`,
    ]);
    const g = sshG(file, 'outer');
    expect([g.user?.[0], g.port?.[0]]).toEqual(['from-inner', '2400']);
    expect(sshG(file, 'innerhost').port?.[0]).toBe('22');
  });

  it('warns about missing files, a glob matching nothing, folders, loops and too deep nesting', async () => {
    const h = home();
    mkdirSync(join(h.ssh, 'folder.conf'));
    h.write('loop.conf', lines('Include loop.conf', 'Host in-loop'));
    for (let i = 0; i < 20; i++)
      h.write(`deep/${i}.conf`, lines(`Include deep/${i + 1}.conf`, `Host deep${i}`));
    const file = h.write(
      'config',
      lines(
        'Include missing.conf',
        'Include nothing.d/*.conf',
        'Include folder.conf',
        'Include loop.conf',
        'Include config',
        'Include deep/0.conf',
        'Host main',
      ),
    );
    const result = await readSshConfig(file, { home: h.home, user: 'me' });
    expect(result.warnings).toEqual([
      `${file}:1: Include missing.conf: ${h.ssh}/missing.conf does not exist; ignored.`,
      `${file}:2: Include nothing.d/*.conf: no file matches ${h.ssh}/nothing.d/*.conf; ignored.`,
      `${file}:3: Include ${h.ssh}/folder.conf: cannot be read (it is a folder); ignored.`,
      `${h.ssh}/loop.conf:1: Include loop: ${h.ssh}/loop.conf is already being read; not followed.`,
      `${file}:5: Include loop: ${h.ssh}/config is already being read; not followed.`,
      `${h.ssh}/deep/15.conf:1: Include ${h.ssh}/deep/16.conf: nested deeper than 16 levels; not followed.`,
    ]);
    const names = result.hosts.map((x) => x.name);
    expect(names).toContain('in-loop');
    expect(names).toContain('main');
    expect(names).toContain('deep15');
    expect(names).not.toContain('deep16');
  });
});

describe('readSshConfig: Match is never evaluated', () => {
  it('skips Match blocks, runs nothing, and warns with the line', async () => {
    const h = home();
    const marker = join(h.home, 'match-exec-ran');
    const marker2 = join(h.home, 'included-match-exec-ran');
    const marker3 = join(h.home, 'match-host-exec-ran');
    h.write('m.conf', lines(`Match exec "touch ${marker2}"`, '  User from-included-match'));
    const file = h.write(
      'config',
      lines(
        'Include m.conf', // 1: its Match block ends with that file
        'User plain', // 2
        `Match exec "touch ${marker}"`, // 3
        '  User from-match',
        '  Port 2999',
        '  Include m.conf',
        'Host after', // 7
        '  HostName after.example.org',
        `Match host * exec "touch ${marker3}"`, // 9
        'Host in-match-block-no', // 10: a Host line ends the Match block
        'Match exec', // 11: malformed, still a Match block
        '  Port 1234',
        'Host last', // 13
      ),
    );
    const result = await readSshConfig(file, { home: h.home, user: 'me' });
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(marker2)).toBe(false);
    expect(existsSync(marker3)).toBe(false);
    const hosts = byName(result);
    expect(result.hosts.map((x) => x.name)).toEqual(['after', 'in-match-block-no', 'last']);
    expect(hosts.after).toMatchObject({ address: 'after.example.org', user: 'plain', port: 22 });
    expect(hosts.last).toMatchObject({ user: 'plain', port: 22 });
    const skipped = (at: string): string =>
      `${at}: Match block skipped: Match conditions are never evaluated (Match exec is never run); its settings up to the next Host or Match line are ignored.`;
    expect(result.warnings).toEqual([
      skipped(`${h.ssh}/m.conf:1`),
      skipped(`${file}:3`),
      skipped(`${file}:9`),
      skipped(`${file}:11`),
    ]);

    // The same block under OpenSSH really runs its command: the fixture is not a dud.
    const oracle = h.write('oracle', lines(`Match exec "touch ${marker}"`, '  User x'));
    sshG(oracle, 'anything');
    expect(existsSync(marker)).toBe(true);
  });
});

describe('readSshConfig: bad input', () => {
  it('absurd ports, broken lines and extra words become warnings, never a crash', async () => {
    const { result, hosts, file } = await load(
      lines(
        'Host p1', // 1
        '  Port 99999',
        '  Port 0',
        '  Port -1',
        '  Port twenty',
        '  Port 2022',
        'Host p2', // 7
        '  Port 70000',
        '  User "unterminated',
        '  HostName two words',
        'Host', // 11: no pattern; still ends p2's block
        '  Port 2555',
        '  User',
        'Host p3', // 14
        '  User ok',
      ),
    );
    expect(result.hosts.map((x) => x.name)).toEqual(['p1', 'p2', 'p3']);
    expect(hosts.p1).toMatchObject({ port: 2022 });
    expect(hosts.p2).toMatchObject({ port: 22, user: 'me', address: 'two' });
    expect(hosts.p3).toMatchObject({ port: 22, user: 'ok' });
    expect(result.warnings).toEqual([
      `${file}:2: Port "99999" is not a port number (1-65535); ignored.`,
      `${file}:3: Port "0" is not a port number (1-65535); ignored.`,
      `${file}:4: Port "-1" is not a port number (1-65535); ignored.`,
      `${file}:5: Port "twenty" is not a port number (1-65535); ignored.`,
      `${file}:8: Port "70000" is not a port number (1-65535); ignored.`,
      expect.stringMatching(new RegExp(`^${file}:9: cannot be parsed \\(.*\\); line ignored\\.$`)),
      `${file}:10: HostName takes one value; using "two".`,
      expect.stringMatching(new RegExp(`^${file}:11: cannot be parsed \\(.*\\); line ignored\\.$`)),
      `${file}:13: User has no value; ignored.`,
    ]);
  });

  it('survives random bytes', async () => {
    const h = home();
    for (let i = 0; i < 50; i++) {
      let text = '';
      const pool = 'Host Match Include Port User = " # * ! % ~ \t\n\r,@:[]abc\\';
      for (let j = 0; j < 300; j++) text += pool[Math.floor(Math.random() * pool.length)];
      const file = h.write('random', text);
      await expect(readSshConfig(file, { home: h.home, user: 'me' })).resolves.toBeDefined();
    }
  });

  it('a missing main file is a clear error; an unreadable one is a warning', async () => {
    const h = home();
    const missing = join(h.ssh, 'nope');
    const err = await readSshConfig(missing, { home: h.home }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect(err).toMatchObject({
      code: 'sshconfig.missing',
      message: `There is no SSH config file at ${missing}.`,
    });
    expect((err as CoreError).hint).toMatch(/create the file/);

    const folder = join(h.ssh, 'dir');
    mkdirSync(folder);
    expect(await readSshConfig(folder, { home: h.home })).toEqual({
      hosts: [],
      warnings: [`${folder}: cannot be read (it is a folder); nothing imported.`],
    });
  });

  it('expands ~ in the main file path', async () => {
    const h = home();
    h.write('config', lines('Host tilde-main'));
    const result = await readSshConfig('~/.ssh/config', { home: h.home, user: 'me' });
    expect(result.hosts.map((x) => x.name)).toEqual(['tilde-main']);
  });
});
