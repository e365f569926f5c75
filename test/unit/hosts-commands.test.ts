import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AUDIT_APPEND_SCRIPT,
  AUDIT_PAGE_SCRIPT,
  AUDIT_READ_SCRIPT,
  auditAppendCommand,
  auditReadCommand,
} from '../../src/main/core/audit/commands';
import { parseChainLine, verifyChain } from '../../src/main/core/audit/chain';
import {
  DOCKER_SOCKET_SCRIPT,
  STATE_DIR_SCRIPT,
  dockerSocketCommand,
  factsScript,
  noopCommand,
  positionalScript,
  scriptCommand,
  stateDirCommand,
} from '../../src/main/core/hosts/commands';
import { shellJoin } from '../../src/main/core/ssh/quote';

/** Inputs a person could type (or a hostile store could hold) for a path or a line. */
const HOSTILE = [
  '/opt/truffles; rm -rf /',
  '$(touch /tmp/truffles-pwned)',
  '`id`',
  "it's",
  'a\nb',
  '--',
  '-n',
  '"$2"',
  '',
];

/** Run an argument array as sshd would: the quoted command line through `sh -c`. */
function runAsSshd(argv: readonly string[]): { code: number; stdout: string } {
  try {
    return {
      code: 0,
      stdout: execFileSync('sh', ['-c', shellJoin(argv)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, stdout: e.stdout };
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'truffles-cmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('generic command shapes', () => {
  it('noopCommand is `true`', () => {
    expect(noopCommand()).toEqual(['true']);
  });

  it('scriptCommand is sh -c SCRIPT with nothing after it', () => {
    expect(scriptCommand('echo hi; exit 3')).toEqual(['sh', '-c', 'echo hi; exit 3']);
  });

  it('positionalScript puts $0 = sh and the inputs as $1..$n, each one argument', () => {
    expect(positionalScript('echo "$1"', HOSTILE)).toEqual(['sh', '-c', 'echo "$1"', 'sh', ...HOSTILE]);
    expect(positionalScript('true', [])).toEqual(['sh', '-c', 'true', 'sh']);
  });
});

describe('audit commands', () => {
  it('append: the constant script, then the folder, the record and the vouched actor as $1..$3', () => {
    expect(auditAppendCommand('/opt/truffles', '{"a":1}')).toEqual([
      'sh',
      '-c',
      AUDIT_APPEND_SCRIPT,
      'sh',
      '/opt/truffles',
      '{"a":1}',
      '',
    ]);
    for (const h of HOSTILE) {
      expect(auditAppendCommand(h, h, h)).toEqual(['sh', '-c', AUDIT_APPEND_SCRIPT, 'sh', h, h, h]);
    }
  });

  it('read: the constant script, then the folder and the count as text', () => {
    expect(auditReadCommand("/srv/it's here", 1)).toEqual([
      'sh',
      '-c',
      AUDIT_READ_SCRIPT,
      'sh',
      "/srv/it's here",
      '1',
    ]);
  });

  it('append then read through a real shell: a hostile folder name and record arrive literally', () => {
    const dir = join(tmp, "state $(touch pwned) `id` it's");
    const rec = '{"x":"$(touch pwned2); `id` \' \\" %s %n"}';
    expect(runAsSshd(auditAppendCommand(dir, rec)).code).toBe(0);
    expect(runAsSshd(auditAppendCommand(dir, '{"second":true}', '$(touch pwned3)')).code).toBe(0);
    const lines = readFileSync(join(dir, 'audit', 'trail.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(verifyChain(lines).ok).toBe(true);
    expect(parseChainLine(lines[0]!)!.body.x).toBe(JSON.parse(rec).x);
    // A vouched actor that is not a plain name is not written as given.
    expect(parseChainLine(lines[1]!)!.body.actor).toBe('unnamed');
    expect(runAsSshd(auditReadCommand(dir, 1))).toEqual({ code: 0, stdout: `${lines[1]}\n` });
    expect(existsSync('pwned')).toBe(false);
    expect(existsSync(join(tmp, 'pwned'))).toBe(false);
    expect(existsSync(join(tmp, 'pwned3'))).toBe(false);
    // No trail yet: nothing, successfully.
    expect(runAsSshd(auditReadCommand(join(tmp, 'none'), 5))).toEqual({ code: 0, stdout: '' });
  });

  it('append refuses a folder it cannot create (exit 3)', () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    expect(runAsSshd(auditAppendCommand(join(file, 'sub'), '{"x":1}')).code).toBe(3);
  });
});

describe('facts commands', () => {
  it('the state-folder check: constant script, the folder as $1', () => {
    expect(stateDirCommand('/opt/truffles')).toEqual(['sh', '-c', STATE_DIR_SCRIPT, 'sh', '/opt/truffles']);
    expect(STATE_DIR_SCRIPT).toBe(
      'if test -d "$1"; then if test -w "$1"; then echo writable; else echo readonly; fi; ' +
        'elif test -w "$(dirname -- "$1")"; then echo creatable; else echo missing; fi',
    );
    for (const h of HOSTILE) expect(stateDirCommand(h)).toEqual(['sh', '-c', STATE_DIR_SCRIPT, 'sh', h]);
  });

  it('the state-folder check through a real shell', () => {
    const dir = join(tmp, 'state -n $(id)');
    mkdirSync(dir);
    expect(runAsSshd(stateDirCommand(dir)).stdout).toBe('writable\n');
    expect(runAsSshd(stateDirCommand(join(dir, "new 'one'"))).stdout).toBe('creatable\n');
    expect(runAsSshd(stateDirCommand(join(dir, 'a', 'b'))).stdout).toBe('missing\n');
  });

  it('the docker-socket check: constant script, the path as $1; exit 3 when no socket', () => {
    expect(dockerSocketCommand('/var/run/docker.sock')).toEqual([
      'sh',
      '-c',
      'test -S "$1" || exit 3; test -r "$1" -a -w "$1" || exit 4; exit 0',
      'sh',
      '/var/run/docker.sock',
    ]);
    expect(dockerSocketCommand('$(reboot)')).toEqual(['sh', '-c', DOCKER_SOCKET_SCRIPT, 'sh', '$(reboot)']);
    const notSocket = join(tmp, 'plain $(id)');
    writeFileSync(notSocket, '');
    chmodSync(notSocket, 0o600);
    expect(runAsSshd(dockerSocketCommand(notSocket)).code).toBe(3);
  });

  it('the facts script, exactly', () => {
    expect(factsScript()).toBe(
      'LC_ALL=C; export LC_ALL; ' +
        'echo @@truffles-fact@@os; cat /etc/os-release 2>/dev/null; ' +
        'echo @@truffles-fact@@kernel; uname -r 2>/dev/null; ' +
        'echo @@truffles-fact@@arch; uname -m 2>/dev/null; ' +
        'echo @@truffles-fact@@cpus; nproc 2>/dev/null; ' +
        'echo @@truffles-fact@@meminfo; cat /proc/meminfo 2>/dev/null; ' +
        'echo @@truffles-fact@@df; df -P -T -B1 -x tmpfs -x devtmpfs -x overlay -x squashfs -x efivarfs 2>/dev/null; ' +
        'echo @@truffles-fact@@loadavg; cat /proc/loadavg 2>/dev/null; ' +
        'echo @@truffles-fact@@uptime; cat /proc/uptime 2>/dev/null; ' +
        'echo @@truffles-fact@@compose; docker compose version --short 2>/dev/null; ' +
        'echo @@truffles-fact@@compose1; docker-compose version --short 2>/dev/null',
    );
    expect(scriptCommand(factsScript())).toEqual(['sh', '-c', factsScript()]);
  });

  it('every constant script reads its inputs only as "$1".."$n"', () => {
    for (const script of [AUDIT_READ_SCRIPT, AUDIT_PAGE_SCRIPT, STATE_DIR_SCRIPT, DOCKER_SOCKET_SCRIPT]) {
      const refs = script.match(/\$[^1-9]/g) ?? [];
      // The one other use of `$`: the parent folder, computed from "$1".
      expect(refs.filter((r) => r !== '$(')).toEqual([]);
      expect(script.match(/\$\(/g)?.length ?? 0).toBe(script.includes('$(dirname -- "$1")') ? 1 : 0);
    }
  });
});
