import { describe, expect, it } from 'vitest';
import {
  agentDir,
  agentPath,
  agentRunCommand,
  agentSweepCommand,
  agentVersionCommand,
  appendReportCommand,
  archiveExistsCommand,
  authorizedKeyLine,
  cronLine,
  CRON_MARK,
  drillDownCommand,
  drillLockFilesCommand,
  enableTimerCommand,
  hasSshCommand,
  installCronCommand,
  listBackupsCommand,
  missingToolsCommand,
  nameTakenCommand,
  readArchiveCommand,
  removeFiles,
  REQUIRED_TOOLS,
  scheduledViaCommand,
  schedulerKindCommand,
  systemdUnits,
  TIMER_UNIT,
  writeStagedPartCommand,
} from '../../src/main/core/backups/commands';
import {
  copyDumpInCommand,
  countPointsCommand,
  countRowsCommand,
  COUNT_SQL,
  inPostgres,
  IN_CONTAINER_DUMP,
  liftCpuLimitCommand,
  pgRestoreCommand,
  putFilesBackCommand,
  qdrantKeyHeader,
  recreateDatabaseCommand,
  removeDumpInContainerCommand,
  restoreQdrantCommand,
  setCpusCommand,
  startDataServicesCommand,
  startStackCommand,
  stopDataUsersCommand,
  stopN8nCommand,
} from '../../src/main/core/backups/datacommands';
import { endsWithStdin } from '../../src/main/core/tenants/lock';
import { HOSTILE } from '../helpers/hostile';

/** The exact argument arrays the backups feature sends to a host (commands.ts, datacommands.ts). */

const DIR = '/srv/truffles/tenants/acme';
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
const EXEC_PG = [...COMPOSE, 'exec', '-T', 'postgres', 'sh', '-c'];
const EVIL = `a'b "c" $(touch /tmp/pwned) \`id\` ; rm -rf / #`;

/** Every script is the third element; no builder may put an argument's text into it. */
function scriptOf(argv: string[]): string {
  expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
  return argv[2] ?? '';
}

describe('agent commands', () => {
  it('name the agent under <state>/agent', () => {
    expect(agentDir('/srv/truffles')).toBe('/srv/truffles/agent');
    expect(agentPath('/srv/truffles')).toBe('/srv/truffles/agent/truffles-backup');
    expect(agentVersionCommand('/srv/truffles')).toEqual(['/srv/truffles/agent/truffles-backup', 'version']);
  });

  it('ask for each required tool as a positional argument', () => {
    expect(missingToolsCommand()).toEqual([
      'sh',
      '-c',
      'for x in "$@"; do command -v "$x" >/dev/null 2>&1 || printf "%s\\n" "$x"; done',
      'sh',
      'docker',
      'age',
      'jq',
      'curl',
      'tar',
      'sha256sum',
      'flock',
    ]);
    expect(REQUIRED_TOOLS).toEqual(['docker', 'age', 'jq', 'curl', 'tar', 'sha256sum', 'flock']);
  });

  it('run one tenant, with --lock-held only when the caller holds the lock', () => {
    expect(agentRunCommand('/srv/t', 'acme', 'manual', 'age1abc', false)).toEqual([
      '/srv/t/agent/truffles-backup',
      'run',
      '--tenant',
      'acme',
      '--kind',
      'manual',
      '--recipient',
      'age1abc',
    ]);
    expect(agentRunCommand('/srv/t', 'acme', 'safety', 'age1abc', true)).toEqual([
      '/srv/t/agent/truffles-backup',
      'run',
      '--tenant',
      'acme',
      '--lock-held',
      '--kind',
      'safety',
      '--recipient',
      'age1abc',
    ]);
  });

  it('sweep naming the lock the caller holds, as one argument', () => {
    expect(agentSweepCommand('/srv/t', EVIL)).toEqual([
      '/srv/t/agent/truffles-backup',
      'sweep',
      '--held',
      EVIL,
    ]);
  });
});

describe('schedule commands', () => {
  it('probe the host with constant scripts', () => {
    expect(hasSshCommand()).toEqual(['sh', '-c', 'command -v ssh']);
    expect(schedulerKindCommand()).toEqual([
      'sh',
      '-c',
      'if [ "$(id -u)" = 0 ] && [ -d /run/systemd/system ]; then echo systemd; elif command -v crontab >/dev/null 2>&1; then echo cron; else echo none; fi',
    ]);
    expect(scheduledViaCommand()).toEqual([
      'sh',
      '-c',
      'if [ -d /run/systemd/system ] && systemctl is-enabled "$1" >/dev/null 2>&1; then echo systemd; elif crontab -l 2>/dev/null | grep -q -F -e "$2"; then echo cron; else echo none; fi',
      'sh',
      'truffles-backup.timer',
      '# truffles-backup',
    ]);
    expect(TIMER_UNIT).toBe('truffles-backup.timer');
    expect(enableTimerCommand()).toEqual([
      'sh',
      '-c',
      'systemctl daemon-reload && systemctl enable --now truffles-backup.timer',
    ]);
  });

  it('write a daily timer at the configured time', () => {
    const units = systemdUnits('/srv/t/agent/truffles-backup', '04:30');
    expect(units.service).toBe(
      [
        '[Unit]',
        'Description=Truffles tenant backups',
        'After=docker.service',
        '',
        '[Service]',
        'Type=oneshot',
        'ExecStart=/srv/t/agent/truffles-backup run --kind scheduled',
        '',
      ].join('\n'),
    );
    expect(units.timer).toBe(
      [
        '[Unit]',
        'Description=Truffles tenant backups, daily',
        '',
        '[Timer]',
        'OnCalendar=*-*-* 04:30:00',
        'Persistent=true',
        '',
        '[Install]',
        'WantedBy=timers.target',
        '',
      ].join('\n'),
    );
  });

  it('write one marked cron line, the agent and log quoted', () => {
    expect(cronLine('/srv/t/agent/truffles-backup', '/srv/t/agent/agent.log', '03:05')).toBe(
      '5 3 * * * /srv/t/agent/truffles-backup run --kind scheduled >>/srv/t/agent/agent.log 2>&1 # truffles-backup',
    );
    expect(cronLine("/srv/it's here/truffles-backup", '/srv/a b/agent.log', '00:00')).toBe(
      `0 0 * * * '/srv/it'\\''s here/truffles-backup' run --kind scheduled >>'/srv/a b/agent.log' 2>&1 # truffles-backup`,
    );
    expect(installCronCommand('LINE')).toEqual([
      'sh',
      '-c',
      '{ crontab -l 2>/dev/null | grep -v -F -e "$2" || true; printf "%s\\n" "$1"; } | crontab -',
      'sh',
      'LINE',
      CRON_MARK,
    ]);
  });

  it('give the reserve a restricted key line with its forced receiver', () => {
    expect(
      authorizedKeyLine(
        '/usr/local/bin/truffles-offsite-receive',
        '/srv/truffles/web1',
        14,
        'ssh-ed25519',
        'AAAAC3Nz',
        'web1',
      ),
    ).toBe(
      'command="/usr/local/bin/truffles-offsite-receive /srv/truffles/web1 14",restrict ssh-ed25519 AAAAC3Nz truffles-offsite:web1',
    );
  });

  it('remove files as arguments after --', () => {
    expect(removeFiles('/srv/t/agent/offsite_known_hosts')).toEqual([
      'rm',
      '-f',
      '--',
      '/srv/t/agent/offsite_known_hosts',
    ]);
    expect(removeFiles('-rf', EVIL)).toEqual(['rm', '-f', '--', '-rf', EVIL]);
  });
});

describe('listing, records and staging', () => {
  it('list a tenant folder given as $1', () => {
    expect(listBackupsCommand('/srv/backups/acme')).toEqual([
      'sh',
      '-c',
      [
        'cd -- "$1" 2>/dev/null || exit 0',
        'for f in *.json; do [ -f "$f" ] && [ -f "${f%.json}.tar.age" ] && { printf "B "; tr -d "\\n" < "$f"; echo; }; done',
        '[ -f runs.jsonl ] && tail -n 50 runs.jsonl | sed "s/^/R /"',
        '[ -f restores.jsonl ] && tail -n 50 restores.jsonl | sed "s/^/D /"',
        'exit 0',
      ].join('\n'),
      'sh',
      '/srv/backups/acme',
    ]);
  });

  it('append a report line as $2 beside the backups in $1', () => {
    expect(appendReportCommand('/srv/backups/acme', '{"ok":true}')).toEqual([
      'sh',
      '-c',
      'mkdir -p -- "$1" && printf "%s\\n" "$2" >> "$1/restores.jsonl"',
      'sh',
      '/srv/backups/acme',
      '{"ok":true}',
    ]);
  });

  it('read, test and write archive parts by path arguments', () => {
    expect(archiveExistsCommand('/b/acme/1.tar.age')).toEqual(['test', '-f', '/b/acme/1.tar.age']);
    expect(readArchiveCommand('/b/acme/1.tar.age')).toEqual(['cat', '--', '/b/acme/1.tar.age']);
    expect(writeStagedPartCommand('/b/acme/.restore-x/qdrant/c.snapshot')).toEqual([
      'sh',
      '-c',
      'umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1"',
      'sh',
      '/b/acme/.restore-x/qdrant/c.snapshot',
    ]);
  });
});

describe('tenant data commands (PostgreSQL and Qdrant)', () => {
  it('run scripts in the database container with their arguments', () => {
    expect(inPostgres(DIR, 'acme', 'echo "$1"', 'x')).toEqual([...EXEC_PG, 'echo "$1"', 'sh', 'x']);
    expect(inPostgres(DIR, 'acme', 'true')).toEqual([...EXEC_PG, 'true']);
  });

  it('count rows with one query as $1', () => {
    expect(countRowsCommand(DIR, 'acme')).toEqual([
      ...EXEC_PG,
      'exec psql -X -At -F "\t" -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"',
      'sh',
      COUNT_SQL,
    ]);
    // The counts cover the public and n8n schemas, tables and partitioned tables.
    expect(COUNT_SQL).toContain("c.relkind in ('r','p') and n.nspname in ('public','n8n')");
  });

  it('count Qdrant points at the address in $1, the key on stdin', () => {
    const argv = countPointsCommand('172.18.0.5');
    expect(argv.slice(3)).toEqual(['sh', '172.18.0.5']);
    expect(scriptOf(argv)).toBe(
      [
        'set -e',
        'hdr=$(mktemp); trap \'rm -f "$hdr"\' EXIT; cat > "$hdr"',
        'for c in $(curl -fsS -H @"$hdr" "http://$1:6333/collections" | jq -r ".result.collections[].name"); do',
        '  n=$(curl -fsS -H @"$hdr" -H "content-type: application/json" -d \'{"exact":true}\' "http://$1:6333/collections/$c/points/count" | jq -r ".result.count")',
        '  printf "%s\\t%s\\n" "$c" "$n"',
        'done',
      ].join('\n'),
    );
    expect(qdrantKeyHeader('k3y')).toBe('api-key: k3y\n');
    expect(qdrantKeyHeader(undefined)).toBe('api-key: \n');
  });

  it('restore: stop everything but the data services', () => {
    expect(stopDataUsersCommand(DIR, 'acme')).toEqual([
      'sh',
      '-c',
      'set -e; p=$1; shift; s=$("$@" config --services | grep -vxE "$p" || true); [ -z "$s" ] || "$@" stop $s',
      'sh',
      'postgres|qdrant|redis',
      ...COMPOSE,
    ]);
  });

  it('restore: put the files back from the stage', () => {
    expect(putFilesBackCommand('/b/acme/.restore-1', DIR)).toEqual([
      'sh',
      '-c',
      'cp -f -- "$1/files/compose.yaml" "$2/compose.yaml" && install -m 0600 -- "$1/files/env" "$2/.env" && cp -f -- "$1/files/tenant.json" "$2/tenant.json"',
      'sh',
      '/b/acme/.restore-1',
      DIR,
    ]);
  });

  it('restore: start, stop and bring up the data services through compose', () => {
    expect(startDataServicesCommand(DIR, 'acme')).toEqual([
      ...COMPOSE,
      'up',
      '-d',
      '--no-deps',
      'postgres',
      'qdrant',
      'redis',
    ]);
    expect(startStackCommand(DIR, 'acme')).toEqual([...COMPOSE, 'up', '-d']);
    expect(stopN8nCommand(DIR, 'acme')).toEqual([...COMPOSE, 'stop', 'n8n']);
  });

  it('restore: copy the dump in through compose exec, then count CPUs', () => {
    expect(copyDumpInCommand(DIR, 'acme', '/b/acme/.restore-1/postgres.dump')).toEqual([
      'sh',
      '-c',
      'f=$1; shift; "$@" < "$f" && nproc',
      'sh',
      '/b/acme/.restore-1/postgres.dump',
      ...EXEC_PG,
      'cat > "$1"',
      'sh',
      '/tmp/truffles-restore.dump',
    ]);
    expect(IN_CONTAINER_DUMP).toBe('/tmp/truffles-restore.dump');
    expect(removeDumpInContainerCommand(DIR, 'acme')).toEqual([
      ...EXEC_PG,
      'rm -f -- "$1"',
      'sh',
      '/tmp/truffles-restore.dump',
    ]);
  });

  it('restore: lift and put back the CPU limit', () => {
    const argv = liftCpuLimitCommand(DIR, 'acme');
    expect(argv.slice(3)).toEqual(['sh', ...COMPOSE]);
    expect(scriptOf(argv)).toBe(
      [
        'set -e',
        'c=$("$@" ps -q postgres)',
        `want=$("$@" config --format json | jq -r '.services.postgres.deploy.resources.limits.cpus // empty')`,
        'n=$(nproc)',
        '[ -n "$c" ] && [ -n "$want" ] || exit 0',
        `awk -v w="$want" -v n="$n" 'BEGIN { exit !(w > 0 && w < n) }' || exit 0`,
        'docker update --cpus "$n" "$c" >/dev/null',
        'printf "%s %s %s\\n" "$c" "$want" "$n"',
      ].join('\n'),
    );
    expect(setCpusCommand('0123456789ab', '0.5')).toEqual([
      'docker',
      'update',
      '--cpus',
      '0.5',
      '0123456789ab',
    ]);
  });

  it('restore: recreate the database with psql variables, never -c text', () => {
    expect(recreateDatabaseCommand(DIR, 'acme')).toEqual([
      ...EXEC_PG,
      'printf "%s\\n" \'DROP DATABASE IF EXISTS :"db" WITH (FORCE);\' \'CREATE DATABASE :"db" OWNER :"owner";\' | psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -v db="$POSTGRES_DB" -v owner="$POSTGRES_USER"',
    ]);
  });

  it('restore: pg_restore with its jobs, ending with its input', () => {
    expect(pgRestoreCommand(DIR, 'acme', 3)).toEqual([
      ...EXEC_PG,
      endsWithStdin(
        'exec pg_restore --exit-on-error --no-owner --no-acl -j "$2" -U "$POSTGRES_USER" -d "$POSTGRES_DB" "$1"',
      ),
      'sh',
      '/tmp/truffles-restore.dump',
      '3',
    ]);
  });

  it('restore: Qdrant collections as arguments after the address and the stage', () => {
    const argv = restoreQdrantCommand('172.18.0.5', '/b/acme/.restore-1', ['docs', 'faq']);
    expect(argv.slice(3)).toEqual(['sh', '172.18.0.5', '/b/acme/.restore-1', 'docs', 'faq']);
    expect(scriptOf(argv)).toBe(
      [
        'set -e',
        'ip=$1; stage=$2; shift 2',
        'hdr=$(mktemp); trap \'rm -f "$hdr"\' EXIT; cat > "$hdr"',
        'for c in $(curl -fsS -H @"$hdr" "http://$ip:6333/collections" | jq -r ".result.collections[].name"); do',
        '  curl -fsS -X DELETE -H @"$hdr" "http://$ip:6333/collections/$c" >/dev/null',
        'done',
        'for c in "$@"; do',
        '  curl -fsS --speed-limit 1 --speed-time 600 -H @"$hdr" -F "snapshot=@$stage/qdrant/$c.snapshot" "http://$ip:6333/collections/$c/snapshots/upload?priority=snapshot&wait=true" >/dev/null',
        'done',
      ].join('\n'),
    );
    expect(restoreQdrantCommand('10.0.0.2', '/s', [])).toEqual([...argv.slice(0, 4), '10.0.0.2', '/s']);
  });
});

describe('drill commands', () => {
  it('look for a taken name in folders and compose projects', () => {
    expect(
      nameTakenCommand(
        'drill--0123456789ab',
        '/s/tenants/drill--0123456789ab',
        '/s/drills/drill--0123456789ab',
      ),
    ).toEqual([
      'sh',
      '-c',
      [
        '[ ! -e "$2" ] || echo "folder $2"',
        '[ ! -e "$3" ] || echo "folder $3"',
        'docker ps -aq --filter "label=com.docker.compose.project=$1" | sed "s/^/container /"',
        'docker volume ls -q --filter "label=com.docker.compose.project=$1" | sed "s/^/volume /"',
        'docker network ls -q --filter "label=com.docker.compose.project=$1" | sed "s/^/network /"',
      ].join('\n'),
      'sh',
      'drill--0123456789ab',
      '/s/tenants/drill--0123456789ab',
      '/s/drills/drill--0123456789ab',
    ]);
  });

  it('take a drill down with its volumes and remove its lock files', () => {
    const dir = '/s/drills/drill--0123456789ab';
    expect(drillDownCommand(dir, 'drill--0123456789ab')).toEqual([
      'docker',
      'compose',
      '--project-name',
      'drill--0123456789ab',
      '--project-directory',
      dir,
      '--file',
      `${dir}/compose.yaml`,
      '--env-file',
      `${dir}/.env`,
      'down',
      '--volumes',
      '--remove-orphans',
      '--timeout',
      '10',
    ]);
    expect(drillLockFilesCommand('/s/locks', 'drill--0123456789ab')).toEqual([
      'rm',
      '-f',
      '--',
      '/s/locks/drill--0123456789ab.lock',
      '/s/locks/drill--0123456789ab.work',
    ]);
  });
});

describe('hostile input stays an argument', () => {
  const builders: [string, (s: string) => string[]][] = [
    ['agentRunCommand (slug)', (s) => agentRunCommand('/srv/t', s, 'manual', 'age1x', false)],
    ['agentRunCommand (recipient)', (s) => agentRunCommand('/srv/t', 'acme', 'manual', s, false)],
    ['installCronCommand', (s) => installCronCommand(s)],
    ['listBackupsCommand', (s) => listBackupsCommand(s)],
    ['appendReportCommand', (s) => appendReportCommand('/b', s)],
    ['writeStagedPartCommand', (s) => writeStagedPartCommand(s)],
    ['countPointsCommand', (s) => countPointsCommand(s)],
    ['restoreQdrantCommand', (s) => restoreQdrantCommand('10.0.0.2', s, [s])],
    ['putFilesBackCommand', (s) => putFilesBackCommand(s, s)],
    ['copyDumpInCommand', (s) => copyDumpInCommand(s, s, s)],
    ['stopDataUsersCommand', (s) => stopDataUsersCommand(s, s)],
    ['liftCpuLimitCommand', (s) => liftCpuLimitCommand(s, s)],
    ['nameTakenCommand', (s) => nameTakenCommand(s, s, s)],
    ['pgRestoreCommand', (s) => pgRestoreCommand(s, s, 2)],
    ['recreateDatabaseCommand', (s) => recreateDatabaseCommand(s, s)],
  ];
  for (const [name, build] of builders)
    it(`${name}: the script is the same whatever the input`, () => {
      const plain = build('plain');
      for (const s of [EVIL, ...HOSTILE]) {
        const argv = build(s);
        // The script text (and, for compose exec, the inner script) never changes with the input…
        const scripts = (a: string[]): string[] => a.filter((_, i) => a[i - 1] === '-c');
        expect(scripts(argv)).toEqual(scripts(plain));
        // …and the input is there as whole arguments.
        expect(argv.filter((x) => x === s || x.includes(s)).length).toBeGreaterThan(0);
        expect(argv.length).toBe(plain.length);
      }
    });
});
