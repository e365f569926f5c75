import { posix } from 'node:path';
import { shellJoin } from '../ssh/quote';
import { compose } from '../tenants/compose';

/**
 * Every command the backups feature sends to a host, as data: each builder returns the exact
 * argument array. A script is a constant that reads only its positional arguments ("$1"…, "$@"),
 * never text made from a slug, a path or a key. Unit tests check these arrays
 * (test/unit/backups-commands.test.ts); the services only run what they get here.
 */

export const AGENT_FILE = 'truffles-backup';
export const CRON_MARK = '# truffles-backup';
export const TIMER_UNIT = 'truffles-backup.timer';
export const REQUIRED_TOOLS = ['docker', 'age', 'jq', 'curl', 'tar', 'sha256sum', 'flock'] as const;

export type Argv = string[];

/** argv of a constant sh script with its positional arguments ($0 is `sh`). */
export function script(text: string, ...args: readonly string[]): Argv {
  return ['sh', '-c', text, 'sh', ...args];
}

/** `rm -f -- FILE…`: files that may or may not be there. */
export function removeFiles(...files: readonly string[]): Argv {
  return ['rm', '-f', '--', ...files];
}

// ---------- the agent ----------

/** The agent's folder on a host: its script, settings, log and the reserve's known_hosts. */
export function agentDir(stateDir: string): string {
  return posix.join(stateDir, 'agent');
}

export function agentPath(stateDir: string): string {
  return posix.join(agentDir(stateDir), AGENT_FILE);
}

/** Prints each of REQUIRED_TOOLS the host lacks, one a line. */
export function missingToolsCommand(): Argv {
  return script(
    'for x in "$@"; do command -v "$x" >/dev/null 2>&1 || printf "%s\\n" "$x"; done',
    ...REQUIRED_TOOLS,
  );
}

export function agentVersionCommand(stateDir: string): Argv {
  return [agentPath(stateDir), 'version'];
}

export type RunKind = 'manual' | 'safety' | 'pre-update' | 'final' | 'scheduled';

/** One tenant's backup by the agent, encrypted to the settings' recipients (and `recipient`). */
export function agentRunCommand(
  stateDir: string,
  slug: string,
  kind: RunKind,
  recipient: string,
  lockHeld: boolean,
): Argv {
  return [
    agentPath(stateDir),
    'run',
    '--tenant',
    slug,
    ...(lockHeld ? ['--lock-held'] : []),
    '--kind',
    kind,
    '--recipient',
    recipient,
  ];
}

/** The agent's sweep of leftovers of interrupted restores and drills; `held` is the caller's lock. */
export function agentSweepCommand(stateDir: string, held: string): Argv {
  return [agentPath(stateDir), 'sweep', '--held', held];
}

// ---------- the schedule ----------

export function hasSshCommand(): Argv {
  return ['sh', '-c', 'command -v ssh'];
}

/** Prints how this host can run the agent daily: `systemd` (root with systemd), `cron` or `none`. */
export function schedulerKindCommand(): Argv {
  return [
    'sh',
    '-c',
    'if [ "$(id -u)" = 0 ] && [ -d /run/systemd/system ]; then echo systemd; elif command -v crontab >/dev/null 2>&1; then echo cron; else echo none; fi',
  ];
}

/** Prints how the agent is scheduled now: `systemd` (the timer enabled), `cron` (the marked line), or `none`. */
export function scheduledViaCommand(): Argv {
  return script(
    'if [ -d /run/systemd/system ] && systemctl is-enabled "$1" >/dev/null 2>&1; then echo systemd; elif crontab -l 2>/dev/null | grep -q -F -e "$2"; then echo cron; else echo none; fi',
    TIMER_UNIT,
    CRON_MARK,
  );
}

export const SYSTEMD_SERVICE_FILE = '/etc/systemd/system/truffles-backup.service';
export const SYSTEMD_TIMER_FILE = '/etc/systemd/system/truffles-backup.timer';

/** The systemd service and daily timer that run the agent at `at` (HH:MM). */
export function systemdUnits(agent: string, at: string): { service: string; timer: string } {
  const [hh, mm] = at.split(':');
  const service = [
    '[Unit]',
    'Description=Truffles tenant backups',
    'After=docker.service',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${agent} run --kind scheduled`,
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    'Description=Truffles tenant backups, daily',
    '',
    '[Timer]',
    `OnCalendar=*-*-* ${hh ?? '03'}:${mm ?? '00'}:00`,
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service, timer };
}

export function enableTimerCommand(): Argv {
  return ['sh', '-c', 'systemctl daemon-reload && systemctl enable --now truffles-backup.timer'];
}

/** The crontab line that runs the agent daily at `at` (HH:MM), its output appended to `logFile`. */
export function cronLine(agent: string, logFile: string, at: string): string {
  const [hh, mm] = at.split(':');
  return `${String(Number(mm))} ${String(Number(hh))} * * * ${shellJoin([agent, 'run', '--kind', 'scheduled'])} >>${shellJoin([logFile])} 2>&1 ${CRON_MARK}`;
}

/** The user's crontab with every line carrying CRON_MARK replaced by `line`. */
export function installCronCommand(line: string): Argv {
  return script(
    '{ crontab -l 2>/dev/null | grep -v -F -e "$2" || true; printf "%s\\n" "$1"; } | crontab -',
    line,
    CRON_MARK,
  );
}

/**
 * The line the operator puts into the reserve user's ~/.ssh/authorized_keys for a host's offsite
 * key: `restrict` and the append-only receiver as its forced command, confined to `folder`.
 */
export function authorizedKeyLine(
  receiver: string,
  folder: string,
  keep: number,
  type: string,
  blob: string,
  hostName: string,
): string {
  return `command="${receiver} ${folder} ${keep}",restrict ${type} ${blob} truffles-offsite:${hostName}`;
}

// ---------- what is in a tenant's backup folder ----------

/**
 * Prints `B <sidecar json>` for every backup with its archive, then `R <run>` and `D <restore
 * report>` for the last 50 runs and restores; nothing when the folder is not there.
 */
export function listBackupsCommand(dir: string): Argv {
  return script(
    [
      'cd -- "$1" 2>/dev/null || exit 0',
      'for f in *.json; do [ -f "$f" ] && [ -f "${f%.json}.tar.age" ] && { printf "B "; tr -d "\\n" < "$f"; echo; }; done',
      '[ -f runs.jsonl ] && tail -n 50 runs.jsonl | sed "s/^/R /"',
      '[ -f restores.jsonl ] && tail -n 50 restores.jsonl | sed "s/^/D /"',
      'exit 0',
    ].join('\n'),
    dir,
  );
}

/** Appends one restore or drill report (a JSON line) to `<dir>/restores.jsonl`. */
export function appendReportCommand(dir: string, reportJson: string): Argv {
  return script('mkdir -p -- "$1" && printf "%s\\n" "$2" >> "$1/restores.jsonl"', dir, reportJson);
}

// ---------- staging an archive ----------

export function archiveExistsCommand(archive: string): Argv {
  return ['test', '-f', archive];
}

export function readArchiveCommand(archive: string): Argv {
  return ['cat', '--', archive];
}

/** Writes its input to `target` (private, its folder made). */
export function writeStagedPartCommand(target: string): Argv {
  return script('umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1"', target);
}

// ---------- drills ----------

/**
 * Prints what already uses a drill's name ("$1"): its tenant folder ("$2"), its drill folder
 * ("$3"), containers, volumes and networks of a compose project of that name.
 */
export function nameTakenCommand(name: string, tenantFolder: string, drillFolder: string): Argv {
  return script(
    [
      '[ ! -e "$2" ] || echo "folder $2"',
      '[ ! -e "$3" ] || echo "folder $3"',
      'docker ps -aq --filter "label=com.docker.compose.project=$1" | sed "s/^/container /"',
      'docker volume ls -q --filter "label=com.docker.compose.project=$1" | sed "s/^/volume /"',
      'docker network ls -q --filter "label=com.docker.compose.project=$1" | sed "s/^/network /"',
    ].join('\n'),
    name,
    tenantFolder,
    drillFolder,
  );
}

/** A drill's stack down with its volumes. */
export function drillDownCommand(dir: string, name: string): Argv {
  return compose(dir, name, 'down', '--volumes', '--remove-orphans', '--timeout', '10');
}

/** A drill's lock and work-lock files (its name is never used again). */
export function drillLockFilesCommand(locksDir: string, name: string): Argv {
  return removeFiles(...['lock', 'work'].map((ext) => posix.join(locksDir, `${name}.${ext}`)));
}
