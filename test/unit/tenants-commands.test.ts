import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freeLocksCommand,
  listDirsCommand,
  logsSinceCommand,
  machineIdCommand,
  mkdirCommand,
  inPostgres,
  N8N_SCHEMA_KEEP,
  n8nImportCommand,
  n8nSchemaLoadCommand,
  n8nSchemaSaveCommand,
  n8nSetActiveCommand,
  preflightCommand,
  pullCommand,
  REACH_PROBE,
  reachProbeCommand,
  readFileCommand,
  READ_MISSING_EXIT,
  removeCommand,
  startDataCommand,
  startN8nCommand,
  startStopCommand,
} from '../../src/main/core/tenants/commands';
import { compose, DATA_SERVICES, SERVICES } from '../../src/main/core/tenants/compose';
import { endsWithStdin, guardCommand, lockMuxCommand } from '../../src/main/core/tenants/lock-commands';
import { HOSTILE } from '../helpers/hostile';

/** Issue 12 item 3: every host command of the tenants feature is data, checked here with no SSH. */

const DIR = '/var/lib/truffles/tenants/acme';
/** What compose() puts before a stack's own arguments. */
const COMPOSE = [
  'docker',
  'compose',
  '--project-name',
  'acme',
  '--project-directory',
  DIR,
  '--file',
  `${DIR}/compose.yaml`,
  '--env-file',
  `${DIR}/.env`,
];
/** A path a person could not type by accident: quotes, spaces, a command substitution. */
const NASTY = `/srv/it's a "dir"/$(touch /tmp/pwned)/\`id\`;rm -rf ~`;

function run(argv: string[], env: NodeJS.ProcessEnv = process.env): { code: number; stdout: string } {
  try {
    const stdout = execFileSync(argv[0] ?? 'false', argv.slice(1), {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, stdout: stdout.toString('utf8') };
  } catch (err) {
    const e = err as { status: number; stdout: Buffer };
    return { code: e.status, stdout: e.stdout.toString('utf8') };
  }
}

/** The script of a `sh -c SCRIPT sh …` argv, which must not depend on the arguments. */
function scriptOf(argv: string[]): string {
  expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
  return argv[2] ?? '';
}

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'truffles-cmd-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('compose', () => {
  it('names the project, folder, compose file and env file, then the arguments', () => {
    expect(compose(DIR, 'acme', 'ps')).toEqual([...COMPOSE, 'ps']);
  });

  it('passes a hostile folder as one argument each time', () => {
    const argv = compose(NASTY, 'acme', 'ps');
    expect(argv).toEqual([
      'docker',
      'compose',
      '--project-name',
      'acme',
      '--project-directory',
      NASTY,
      '--file',
      `${NASTY}/compose.yaml`,
      '--env-file',
      `${NASTY}/.env`,
      'ps',
    ]);
  });
});

describe('files in the state folder', () => {
  it('reads a file with a constant script and the path as $1', () => {
    expect(readFileCommand('/st/tenants/acme/.env')).toEqual([
      'sh',
      '-c',
      'if test -e "$1"; then cat -- "$1"; else exit 44; fi',
      'sh',
      '/st/tenants/acme/.env',
    ]);
    expect(READ_MISSING_EXIT).toBe(44);
    for (const p of HOSTILE) {
      const argv = readFileCommand(p);
      expect(scriptOf(argv)).toBe(scriptOf(readFileCommand('/x')));
      expect(argv.slice(3)).toEqual(['sh', p]);
    }
  });

  it('reads a hostile path byte for byte with a real sh, and says when it is missing', () => {
    const dir = join(tmp, `it's "a" $(touch PWNED) dir`);
    mkdirSync(dir);
    const file = join(dir, '-n $HOME `id`');
    writeFileSync(file, 'A=1\n');
    expect(run(readFileCommand(file))).toEqual({ code: 0, stdout: 'A=1\n' });
    expect(run(readFileCommand(join(dir, 'missing'))).code).toBe(READ_MISSING_EXIT);
    expect(run(['test', '-e', 'PWNED']).code).toBe(1);
  });

  it('makes and removes folders with plain argv ending their options with --', () => {
    expect(mkdirCommand('/st/tenants/acme', '0750')).toEqual([
      'mkdir',
      '-p',
      '-m',
      '0750',
      '--',
      '/st/tenants/acme',
    ]);
    expect(mkdirCommand('-rf /', '0700')).toEqual(['mkdir', '-p', '-m', '0700', '--', '-rf /']);
    expect(removeCommand(NASTY)).toEqual(['rm', '-rf', '--', NASTY]);
  });

  it('lists sub-folders with the folder as $1 (a real sh; an empty or missing folder lists nothing)', () => {
    const argv = listDirsCommand('/st/tenants');
    expect(argv).toEqual([
      'sh',
      '-c',
      'test -d "$1" || exit 0; cd -- "$1" || exit 1; for d in */; do if test -d "$d"; then printf "%s\\n" "${d%/}"; fi; done',
      'sh',
      '/st/tenants',
    ]);
    expect(scriptOf(listDirsCommand(NASTY))).toBe(scriptOf(argv));
    const dir = join(tmp, 'list $(id) "q"');
    mkdirSync(dir);
    expect(run(listDirsCommand(dir))).toEqual({ code: 0, stdout: '' });
    mkdirSync(join(dir, 'acme'));
    mkdirSync(join(dir, "it's"));
    writeFileSync(join(dir, 'file'), '');
    expect(run(listDirsCommand(dir)).stdout.split('\n').filter(Boolean).sort()).toEqual(['acme', "it's"]);
    expect(run(listDirsCommand(join(tmp, 'none')))).toEqual({ code: 0, stdout: '' });
  });
});

describe('reading a host', () => {
  it('asks which locks are free with the folder and each slug as arguments', () => {
    const argv = freeLocksCommand('/st/locks', ['acme', 'beta']);
    expect(argv).toEqual([
      'sh',
      '-c',
      'd=$1; shift; for s in "$@"; do if [ ! -e "$d/$s.lock" ] || flock -n "$d/$s.lock" true; then echo "free $s"; fi; done',
      'sh',
      '/st/locks',
      'acme',
      'beta',
    ]);
    expect(freeLocksCommand(NASTY, HOSTILE)).toEqual([...argv.slice(0, 4), NASTY, ...HOSTILE]);
  });

  it('names free and missing locks, not held ones (a real sh and flock)', () => {
    const locks = join(tmp, 'locks');
    mkdirSync(locks);
    writeFileSync(join(locks, 'free.lock'), '');
    writeFileSync(join(locks, 'held.lock'), '');
    // flock holds held.lock while the inner command asks about all three.
    const inner = freeLocksCommand(locks, ['free', 'held', 'gone']);
    const r = run(['flock', join(locks, 'held.lock'), ...inner]);
    expect(r).toEqual({ code: 0, stdout: 'free free\nfree gone\n' });
  });

  it('asks for the machine id, else the hostname', () => {
    expect(machineIdCommand()).toEqual(['sh', '-c', 'cat /etc/machine-id 2>/dev/null || hostname']);
  });

  it('preflight: Compose, flock and the free space of the state folder given as $1', () => {
    const argv = preflightCommand('/var/lib/truffles');
    expect(argv).toEqual([
      'sh',
      '-c',
      'docker compose version --short 2>/dev/null || echo NOCOMPOSE; command -v flock >/dev/null || echo NOFLOCK; df -Pk -- "$1" | tail -n 1',
      'sh',
      '/var/lib/truffles',
    ]);
    expect(preflightCommand(NASTY)).toEqual([...argv.slice(0, 4), NASTY]);
  });

  it('pulls an image and reads a container log since its start, each value one argument', () => {
    expect(pullCommand('postgres:17.2')).toEqual(['docker', 'pull', '--quiet', 'postgres:17.2']);
    expect(logsSinceCommand('2026-01-02T03:04:05.6Z', 'abc123')).toEqual([
      'sh',
      '-c',
      'docker logs --since "$1" --tail 2000 "$2" 2>&1',
      'sh',
      '2026-01-02T03:04:05.6Z',
      'abc123',
    ]);
    expect(logsSinceCommand('$(id)', "c'1").slice(4)).toEqual(['$(id)', "c'1"]);
  });
});

describe('a tenant stack', () => {
  it('starts the data services first: PostgreSQL, Qdrant and Redis, never n8n', () => {
    expect(DATA_SERVICES).toEqual(['postgres', 'qdrant', 'redis']);
    expect(SERVICES).toEqual(['n8n', 'postgres', 'qdrant', 'redis']);
    expect(startDataCommand(DIR, 'acme')).toEqual([
      ...COMPOSE,
      'up',
      '--detach',
      '--remove-orphans',
      '--quiet-pull',
      'postgres',
      'qdrant',
      'redis',
    ]);
    expect(startDataCommand(DIR, 'acme')).not.toContain('n8n');
  });

  it('recreates only n8n, without its dependencies', () => {
    expect(startN8nCommand(DIR, 'acme')).toEqual([
      ...COMPOSE,
      'up',
      '--detach',
      '--no-deps',
      '--force-recreate',
      'n8n',
    ]);
  });

  it('resume starts and suspend stops the whole stack', () => {
    expect(startStopCommand(DIR, 'acme', true)).toEqual([...COMPOSE, 'start']);
    expect(startStopCommand(DIR, 'acme', false)).toEqual([...COMPOSE, 'stop']);
  });

  it('imports workflows in a one-off n8n, labelled for the next lock, as root, the folder read-only', () => {
    expect(n8nImportCommand(DIR, 'acme', `${DIR}/n8n-import`)).toEqual([
      ...COMPOSE,
      'run',
      '--rm',
      '--no-deps',
      '-T',
      '--label',
      'truffles.lock=acme',
      '--user',
      'root',
      '--volume',
      `${DIR}/n8n-import:/import:ro`,
      '--entrypoint',
      'sh',
      'n8n',
      '-c',
      [
        'set -e',
        'if [ -n "$(ls -A /import/credentials)" ]; then n8n import:credentials --separate --input=/import/credentials; fi',
        'if [ -n "$(ls -A /import/workflows)" ]; then n8n import:workflow --separate --input=/import/workflows; fi',
      ].join('\n'),
    ]);
  });

  it('activates and deactivates workflows by count, the ids as arguments', () => {
    const argv = n8nSetActiveCommand(DIR, 'acme', ['w1', 'w2'], ['w3']);
    expect(argv).toEqual([
      ...COMPOSE,
      'run',
      '--rm',
      '--no-deps',
      '-T',
      '--label',
      'truffles.lock=acme',
      '--entrypoint',
      'sh',
      'n8n',
      '-c',
      [
        'set -e',
        'n=$1',
        'shift',
        'i=0',
        'for id in "$@"; do',
        '  i=$((i + 1))',
        '  if [ "$i" -le "$n" ]; then a=true; else a=false; fi',
        '  n8n update:workflow --id="$id" --active=$a',
        'done',
      ].join('\n'),
      'sh',
      '2',
      'w1',
      'w2',
      'w3',
    ]);
    expect(n8nSetActiveCommand(DIR, 'acme', ["'; rm -rf / #"], ['$(id)'])).toEqual([
      ...argv.slice(0, COMPOSE.length + 11),
      'sh',
      '1',
      "'; rm -rf / #",
      '$(id)',
    ]);
  });

  it('its script gives each id to n8n once, the first n active (a real sh, a stand-in n8n)', () => {
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'n8n'), '#!/bin/sh\nprintf "%s|" "$@"; echo\n');
    chmodSync(join(bin, 'n8n'), 0o755);
    const argv = n8nSetActiveCommand(DIR, 'acme', ['w1', "it's $(id)"], ['w3', '-x']);
    const at = argv.indexOf('-c');
    const r = run(['/bin/sh', ...argv.slice(at)], {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    });
    expect(r).toEqual({
      code: 0,
      stdout: [
        'update:workflow|--id=w1|--active=true|',
        "update:workflow|--id=it's $(id)|--active=true|",
        'update:workflow|--id=w3|--active=false|',
        'update:workflow|--id=-x|--active=false|',
        '',
      ].join('\n'),
    });
    const none = n8nSetActiveCommand(DIR, 'acme', [], []);
    expect(run(['/bin/sh', ...none.slice(none.indexOf('-c'))], { ...process.env, PATH: bin })).toEqual({
      code: 0,
      stdout: '',
    });
  });

  it("loads and saves the host's copy of n8n's schema through psql and pg_dump in the tenant's PostgreSQL", () => {
    const file = `${NASTY}/cache/n8n-schema/abc.sql`;
    const load = n8nSchemaLoadCommand(DIR, 'acme', file);
    expect(load.slice(3)).toEqual([
      'sh',
      file,
      ...inPostgres(
        DIR,
        'acme',
        'exec psql -X -q -v ON_ERROR_STOP=1 --single-transaction -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
      ),
    ]);
    const save = n8nSchemaSaveCommand(DIR, 'acme', file);
    expect(save.slice(3)).toEqual([
      'sh',
      file,
      ...inPostgres(
        DIR,
        'acme',
        'exec pg_dump --schema=n8n --no-owner --no-privileges -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
      ),
    ]);
    expect(scriptOf(load)).not.toContain(NASTY);
    expect(scriptOf(save)).not.toContain(NASTY);
  });

  it('the save writes the drop line and the dump whole, 0600, or nothing; the newest copies stay (a real sh, stand-in dumps)', () => {
    const dir = join(tmp, "it's a cache", 'n8n-schema');
    const script = scriptOf(n8nSchemaSaveCommand(DIR, 'acme', join(dir, 'x.sql')));
    const save = (name: string, ...dump: string[]): { code: number; stdout: string } =>
      run(['sh', '-c', script, 'sh', join(dir, name), ...dump]);

    expect(save('a.sql', 'printf', 'CREATE TABLE n8n.t ();\n').code).toBe(0);
    expect(readFileSync(join(dir, 'a.sql'), 'utf8')).toBe(
      'DROP SCHEMA IF EXISTS n8n;\nCREATE TABLE n8n.t ();\n',
    );
    expect(statSync(join(dir, 'a.sql')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    // pg_dump failing half-way: no copy, no temporary file left.
    expect(save('b.sql', 'sh', '-c', 'echo partial; exit 3').code).not.toBe(0);
    expect(existsSync(join(dir, 'b.sql'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['a.sql']);

    // Beyond N8N_SCHEMA_KEEP copies, the least recently used go.
    const oldest = new Date(Date.now() - 86_400_000);
    utimesSync(join(dir, 'a.sql'), oldest, oldest);
    for (let i = 0; i < N8N_SCHEMA_KEEP + 2; i++) {
      expect(save(`k${i}.sql`, 'true').code).toBe(0);
      const at = new Date(Date.now() - (N8N_SCHEMA_KEEP + 2 - i) * 60_000);
      utimesSync(join(dir, `k${i}.sql`), at, at);
    }
    expect(save('last.sql', 'true').code).toBe(0);
    const kept = readdirSync(dir).sort();
    expect(kept).toHaveLength(N8N_SCHEMA_KEEP);
    expect(kept).toContain('last.sql');
    expect(kept).not.toContain('a.sql');
    expect(kept).not.toContain('k0.sql');
  });

  it('the load feeds the copy to the command, says 44 when there is none, and passes a failure on', () => {
    const dir = join(tmp, 'load');
    mkdirSync(dir, { recursive: true });
    const script = scriptOf(n8nSchemaLoadCommand(DIR, 'acme', join(dir, 'x.sql')));
    writeFileSync(join(dir, 'c.sql'), 'DROP SCHEMA IF EXISTS n8n;\n');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, 'c.sql'), old, old);
    expect(run(['sh', '-c', script, 'sh', join(dir, 'c.sql'), 'cat'])).toEqual({
      code: 0,
      stdout: 'DROP SCHEMA IF EXISTS n8n;\n',
    });
    // Used: it counts as new for the save's pruning.
    expect(statSync(join(dir, 'c.sql')).mtimeMs).toBeGreaterThan(old.getTime() + 60_000);
    expect(run(['sh', '-c', script, 'sh', join(dir, 'none.sql'), 'cat']).code).toBe(READ_MISSING_EXIT);
    expect(
      run(['sh', '-c', script, 'sh', join(dir, 'c.sql'), 'sh', '-c', 'cat >/dev/null; exit 3']).code,
    ).toBe(3);
  });

  it('probes reachability from inside n8n with node and the targets as one JSON argument', () => {
    const targets = [
      { ip: '10.0.0.2', port: 5432, label: 'acme/postgres', own: true },
      { ip: '10.0.1.2', port: 6379, label: 'beta/redis', own: false },
    ];
    expect(reachProbeCommand(DIR, 'acme', targets)).toEqual([
      ...COMPOSE,
      'exec',
      '-T',
      'n8n',
      'node',
      '-e',
      REACH_PROBE,
      '[{"ip":"10.0.0.2","port":5432},{"ip":"10.0.1.2","port":6379}]',
    ]);
    expect(reachProbeCommand(DIR, 'acme', [])).toEqual([
      ...COMPOSE,
      'exec',
      '-T',
      'n8n',
      'node',
      '-e',
      REACH_PROBE,
      '[]',
    ]);
  });
});

describe('tenant locks', () => {
  it('runs the multiplexer with the locks folder as $1', () => {
    const argv = lockMuxCommand('/st/locks');
    expect(argv).toHaveLength(5);
    expect(argv[0]).toBe('sh');
    expect(argv[1]).toBe('-c');
    expect(argv.slice(3)).toEqual(['sh', '/st/locks']);
    expect(argv[2]).toContain('d=$1\n');
    expect(lockMuxCommand(NASTY)).toEqual([...argv.slice(0, 4), NASTY]);
  });

  it('guards a command: pipe, work file, its JSON, the stdin choice, then the argv untouched', () => {
    const argv = guardCommand('/tmp/l/1', '/st/locks/acme.work', '{"command":"x"}', false, [
      'docker',
      'exec',
      "it's",
    ]);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv.slice(3)).toEqual([
      'sh',
      '/tmp/l/1',
      '/st/locks/acme.work',
      '{"command":"x"}',
      '0',
      'docker',
      'exec',
      "it's",
    ]);
    const fromLock = guardCommand('/p', '/w', '{}', true, HOSTILE);
    expect(fromLock).toEqual(['sh', '-c', argv[2], 'sh', '/p', '/w', '{}', '1', ...HOSTILE]);
  });

  it('a guarded command that outlived its lock is not started (exit 75)', () => {
    const r = run(
      guardCommand(join(tmp, 'no-pipe'), join(tmp, 'w'), '{}', false, ['touch', join(tmp, 'ran')]),
    );
    expect(r.code).toBe(75);
    expect(run(['test', '-e', join(tmp, 'ran')]).code).toBe(1);
  });

  it('endsWithStdin wraps a constant script to stop when stdin ends, passing $1.. through', () => {
    const wrapped = endsWithStdin('echo "[$1]"');
    expect(wrapped.split('\n')[0]).toBe('( echo "[$1]"');
    // stdin held open a second by the pipe: the script runs to its end with its argument intact.
    expect(run(['sh', '-c', 'sleep 1 | sh -c "$0" sh "$1"', wrapped, '$(id) x'])).toEqual({
      code: 0,
      stdout: '[$(id) x]\n',
    });
    // stdin already at its end: the script is stopped before it says anything.
    const r = run(['sh', '-c', endsWithStdin('sleep 2; echo late')]);
    expect(r).toEqual({ code: 143, stdout: '' });
  });
});
