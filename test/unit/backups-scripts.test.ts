import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendReportCommand,
  installCronCommand,
  listBackupsCommand,
  missingToolsCommand,
  writeStagedPartCommand,
} from '../../src/main/core/backups/commands';
import {
  copyDumpInCommand,
  IN_CONTAINER_DUMP,
  inPostgres,
  liftCpuLimitCommand,
  stopDataUsersCommand,
} from '../../src/main/core/backups/datacommands';
import { parseListing } from '../../src/main/core/backups/decisions';
import { compose } from '../../src/main/core/tenants/compose';

/**
 * The builders' scripts run by a real sh on this machine, with stand-ins for docker and crontab
 * on PATH (no Docker, no SSH): hostile folder and tenant names arrive as whole arguments, and the
 * restore's stop, dump copy and CPU lift do what they say. The backup agent's retention (`prune`
 * in templates/backup/truffles-backup) runs in bash against a folder of empty archives.
 */

const EVIL = `we'ird "dir" $(touch pwned) \`id\` ;&|`;
let root: string;
let bin: string;
let log: string;

/** The stand-in's calls: one per line of \x1e-separated records, each argument ended by \x1f. */
function calls(): string[][] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\x1e')
    .filter(Boolean)
    .map((r) => r.split('\x1f').slice(0, -1));
}

function run(
  argv: string[],
  env: Record<string, string> = {},
  input?: string,
): { code: number; stdout: string; stderr: string } {
  rmSync(log, { force: true });
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd ?? 'false', args, {
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, LOG: log, LC_ALL: 'C', ...env },
    input: input ?? '',
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'backups-scripts-'));
  bin = join(root, 'bin');
  log = join(root, 'calls');
  mkdirSync(bin);
  // docker: records its arguments and answers as compose and the engine would.
  writeFileSync(
    join(bin, 'docker'),
    [
      '#!/bin/sh',
      'for a in "$@"; do printf "%s\\037" "$a"; done >> "$LOG"; printf "\\036" >> "$LOG"',
      'case " $* " in',
      '  *" config --services "*) printf "%s\\n" ${FAKE_SERVICES:-n8n postgres qdrant redis} ${FAKE_EXTRA:-} ;;',
      '  *" ps -q postgres "*) [ -z "${FAKE_CONTAINER:-}" ] || echo "$FAKE_CONTAINER" ;;',
      '  *" config --format json "*) printf "%s\\n" "$FAKE_CONFIG" ;;',
      '  *" exec -T postgres "*) cat > "$FAKE_STDIN" ;;',
      'esac',
    ].join('\n'),
  );
  // crontab: -l prints $CRONTAB, - replaces it from stdin (whole, as the real one: `-l` may still be reading).
  writeFileSync(
    join(bin, 'crontab'),
    [
      '#!/bin/sh',
      'if [ "$1" = -l ]; then cat "$CRONTAB" 2>/dev/null; else t=$(mktemp); cat > "$t"; mv -f "$t" "$CRONTAB"; fi',
    ].join('\n'),
  );
  chmodSync(join(bin, 'docker'), 0o755);
  chmodSync(join(bin, 'crontab'), 0o755);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('restore scripts with a docker stand-in', () => {
  it('stop what is not a data service, the compose command intact', () => {
    const dir = join(root, EVIL);
    const slug = `acme ${EVIL}`;
    const r = run(stopDataUsersCommand(dir, slug), { FAKE_EXTRA: 'worker' });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(calls()).toEqual([
      [...compose(dir, slug, 'config', '--services')].slice(1),
      [...compose(dir, slug, 'stop', 'n8n', 'worker')].slice(1),
    ]);
  });

  it('stop nothing when only the data services run', () => {
    const r = run(stopDataUsersCommand('/srv/t/acme', 'acme'), { FAKE_SERVICES: 'postgres qdrant redis' });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(calls()).toEqual([compose('/srv/t/acme', 'acme', 'config', '--services').slice(1)]);
  });

  it('copy the dump into the container from a hostile path, then print the CPUs', () => {
    const stage = join(root, `stage ${EVIL}`);
    mkdirSync(stage, { recursive: true });
    const dump = join(stage, 'postgres.dump');
    writeFileSync(dump, 'PGDMP\0binary');
    const into = join(root, 'in-container');
    const r = run(copyDumpInCommand('/srv/t/acme', 'acme', dump), { FAKE_STDIN: into });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe(execFileSync('nproc', { encoding: 'utf8' }).trim());
    expect(readFileSync(into, 'utf8')).toBe('PGDMP\0binary');
    expect(calls()).toEqual([inPostgres('/srv/t/acme', 'acme', 'cat > "$1"', IN_CONTAINER_DUMP).slice(1)]);
  });

  it('a dump that is not there: no copy, no CPU count, non-zero', () => {
    const r = run(copyDumpInCommand('/srv/t/acme', 'acme', join(root, 'nothing', 'postgres.dump')));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(calls()).toEqual([]);
  });

  it('lift a CPU limit below the host CPUs, and only then', () => {
    const n = execFileSync('nproc', { encoding: 'utf8' }).trim();
    const limit = (cpus: string): string =>
      JSON.stringify({ services: { postgres: { deploy: { resources: { limits: { cpus } } } } } });
    const argv = liftCpuLimitCommand(join(root, EVIL), 'acme');
    const lifted = run(argv, { FAKE_CONTAINER: '0123456789ab', FAKE_CONFIG: limit('0.5') });
    expect(lifted).toMatchObject({ code: 0, stdout: `0123456789ab 0.5 ${n}\n` });
    expect(calls()).toEqual([
      compose(join(root, EVIL), 'acme', 'ps', '-q', 'postgres').slice(1),
      compose(join(root, EVIL), 'acme', 'config', '--format', 'json').slice(1),
      ['update', '--cpus', n, '0123456789ab'],
    ]);

    const atLimit = run(argv, { FAKE_CONTAINER: '0123456789ab', FAKE_CONFIG: limit('4096') });
    expect(atLimit).toMatchObject({ code: 0, stdout: '' });
    expect(calls().length).toBe(2);
    const noLimit = run(argv, {
      FAKE_CONTAINER: '0123456789ab',
      FAKE_CONFIG: '{"services":{"postgres":{}}}',
    });
    expect(noLimit).toMatchObject({ code: 0, stdout: '' });
    const noContainer = run(argv, { FAKE_CONTAINER: '', FAKE_CONFIG: limit('0.5') });
    expect(noContainer).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('host-side files through the scripts', () => {
  it('list a tenant folder with a hostile name: only backups with their archive', () => {
    const dir = join(root, `backups ${EVIL}`, 'acme');
    mkdirSync(dir, { recursive: true });
    const sidecar = {
      id: '20261101T030000Z-scheduled',
      tenant: 'acme',
      kind: 'scheduled',
      createdAt: 'x',
      size: 1,
      sha256: 'a',
      tools: {},
      counts: { tables: {}, points: {}, workflows: 0 },
      offsite: false,
    };
    writeFileSync(join(dir, '20261101T030000Z-scheduled.json'), JSON.stringify(sidecar, null, 2));
    writeFileSync(join(dir, '20261101T030000Z-scheduled.tar.age'), '');
    writeFileSync(join(dir, '20261102T030000Z-manual.json'), JSON.stringify({ ...sidecar, id: 'orphan' }));
    const r = run(listBackupsCommand(dir));
    expect(r.code).toBe(0);
    expect(parseListing(r.stdout, 'web1').backups.map((b) => b.id)).toEqual(['20261101T030000Z-scheduled']);
    expect(run(listBackupsCommand(join(root, 'missing'))).stdout).toBe('');
  });

  it('append a report line to a new folder with a hostile name', () => {
    const dir = join(root, `reports ${EVIL}`);
    const line = JSON.stringify({ detail: `it's "$(x)"\\n` });
    expect(run(appendReportCommand(dir, line)).code).toBe(0);
    expect(run(appendReportCommand(dir, line)).code).toBe(0);
    expect(readFileSync(join(dir, 'restores.jsonl'), 'utf8')).toBe(`${line}\n${line}\n`);
  });

  it('write a staged part privately, its folders made', () => {
    const target = join(root, `stage2 ${EVIL}`, 'qdrant', `c ${EVIL}.snapshot`);
    expect(run(writeStagedPartCommand(target), {}, 'SNAP').code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('SNAP');
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('replace only the marked crontab line', () => {
    const tab = join(root, 'crontab');
    writeFileSync(tab, ['0 1 * * * other-job', '0 3 * * * old-agent # truffles-backup', ''].join('\n'));
    const line = `5 4 * * * '/srv/${EVIL}/truffles-backup' run --kind scheduled # truffles-backup`;
    expect(run(installCronCommand(line), { CRONTAB: tab }).code).toBe(0);
    expect(readFileSync(tab, 'utf8')).toBe(`0 1 * * * other-job\n${line}\n`);
  });

  it('name the tools a host lacks', () => {
    const only = join(root, 'only');
    mkdirSync(only);
    for (const t of ['docker', 'jq', 'tar']) {
      writeFileSync(join(only, t), '#!/bin/sh\n');
      chmodSync(join(only, t), 0o755);
    }
    const r = spawnSync('/bin/sh', missingToolsCommand().slice(1), { env: { PATH: only }, encoding: 'utf8' });
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['age', 'curl', 'sha256sum', 'flock']);
  });
});

describe("the agent's retention (prune)", () => {
  const agent = readFileSync(join(__dirname, '../../templates/backup/truffles-backup'), 'utf8');
  const prune = /^prune\(\) \{\n[\s\S]*?\n\}\n/m.exec(agent)?.[0] ?? '';

  const day = (daysAgo: number): string => {
    const d = new Date(Date.now() - daysAgo * 86_400_000);
    return d.toISOString().slice(0, 10).replace(/-/g, '');
  };
  /** ISO week (YYYY-WW) of a YYYYMMDD day, as `date +%G-%V` prints it. */
  const week = (ymd: string): string => {
    const d = new Date(
      Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8))),
    );
    const dow = d.getUTCDay() || 7;
    d.setUTCDate(d.getUTCDate() + 4 - dow);
    const y = d.getUTCFullYear();
    const w = Math.ceil(((d.getTime() - Date.UTC(y, 0, 1)) / 86_400_000 + 1) / 7);
    return `${y}-${String(w).padStart(2, '0')}`;
  };

  function pruned(ids: string[], daily: number, weekly: number): string[] {
    const dir = mkdtempSync(join(root, 'prune-'));
    for (const id of ids) {
      writeFileSync(join(dir, `${id}.tar.age`), '');
      writeFileSync(join(dir, `${id}.json`), '{}');
    }
    const r = spawnSync(
      'bash',
      ['-c', `set -Eeuo pipefail\nlog() { :; }\n${prune}\nprune "$1"`, 'bash', dir],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          LC_ALL: 'C',
          KEEP_DAILY: String(daily),
          KEEP_WEEKLY: String(weekly),
        },
        encoding: 'utf8',
        // Not a socket: bash reads ~/.bashrc when its input is one (it takes it for rshd).
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const left = readdirSync(dir);
    // An archive and its sidecar go together.
    expect(
      left
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .sort(),
    ).toEqual(
      left
        .filter((f) => f.endsWith('.tar.age'))
        .map((f) => f.slice(0, -8))
        .sort(),
    );
    return ids.filter((id) => !left.includes(`${id}.tar.age`));
  }

  it('is found in the agent', () => {
    expect(prune).toContain('keepset');
  });

  it('keeps the newest scheduled backup of each of the last N days and M weeks', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `${day(i + 1)}T030000Z-scheduled`);
    const gone = pruned(ids, 3, 2);
    const kept = ids.filter((id) => !gone.includes(id));
    const weeks = [...new Set(ids.map((id) => week(id.slice(0, 8))))].slice(0, 2);
    const expected = new Set([
      ...ids.slice(0, 3),
      ...weeks.map((w) => ids.find((id) => week(id.slice(0, 8)) === w) ?? ''),
    ]);
    expect(kept).toEqual(ids.filter((id) => expected.has(id)));
  });

  it('keeps a second scheduled backup of a day only when it is the newest of all', () => {
    const ids = [`${day(1)}T040000Z-scheduled`, `${day(1)}T030000Z-scheduled`, `${day(2)}T030000Z-scheduled`];
    expect(pruned(ids, 7, 0)).toEqual([`${day(1)}T030000Z-scheduled`]);
  });

  it('keeps manual, safety and pre-update backups for N days, final backups and the newest always', () => {
    const ids = [
      `${day(0)}T010000Z-manual`,
      `${day(2)}T010000Z-safety`,
      `${day(3)}T010000Z-pre-update`,
      `${day(9)}T010000Z-manual-1`,
      `${day(40)}T010000Z-final`,
    ];
    expect(pruned(ids, 3, 4)).toEqual([`${day(3)}T010000Z-pre-update`, `${day(9)}T010000Z-manual-1`]);
    expect(pruned([`${day(60)}T010000Z-manual`], 3, 4)).toEqual([]);
  });
});
