import { positionalScript } from '../ssh/commands';
import { shellJoin } from '../ssh/quote';

/**
 * Every command the hosts feature sends to a host, as data: pure functions that return the exact
 * argument array. Scripts are constants that read their inputs only as "$1".."$n"; the facts
 * script is assembled from quoted argument arrays. Services and transports only run these.
 */

export { noopCommand, positionalScript, scriptCommand } from '../ssh/commands';

/** Prints `writable`, `readonly`, `creatable` (missing, parent writable) or `missing`. */
export const STATE_DIR_SCRIPT =
  'if test -d "$1"; then if test -w "$1"; then echo writable; else echo readonly; fi; ' +
  'elif test -w "$(dirname -- "$1")"; then echo creatable; else echo missing; fi';

/** Exit 0: "$1" is a socket the user may read and write; 3: no socket there; 4: not permitted. */
export const DOCKER_SOCKET_SCRIPT = 'test -S "$1" || exit 3; test -r "$1" -a -w "$1" || exit 4; exit 0';

export function stateDirCommand(stateDir: string): string[] {
  return positionalScript(STATE_DIR_SCRIPT, [stateDir]);
}

export function dockerSocketCommand(socketPath: string): string[] {
  return positionalScript(DOCKER_SOCKET_SCRIPT, [socketPath]);
}

/** The commands whose output makes up a host's facts, each an argument array. */
export const FACT_PROBES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['os', ['cat', '/etc/os-release']],
  ['kernel', ['uname', '-r']],
  ['arch', ['uname', '-m']],
  ['cpus', ['nproc']],
  ['meminfo', ['cat', '/proc/meminfo']],
  [
    'df',
    [
      'df',
      '-P',
      '-T',
      '-B1',
      '-x',
      'tmpfs',
      '-x',
      'devtmpfs',
      '-x',
      'overlay',
      '-x',
      'squashfs',
      '-x',
      'efivarfs',
    ],
  ],
  ['loadavg', ['cat', '/proc/loadavg']],
  ['uptime', ['cat', '/proc/uptime']],
  ['compose', ['docker', 'compose', 'version', '--short']],
  ['compose1', ['docker-compose', 'version', '--short']],
];

/** The line before each probe's output in the facts script's output: MARK + the probe's name. */
export const FACT_MARK = '@@truffles-fact@@';

/**
 * One script, one channel: every probe's output after a marker line naming it. The C locale is
 * set inside the script, so it holds whether or not the server accepts environment requests.
 */
export function factsScript(): string {
  return (
    'LC_ALL=C; export LC_ALL; ' +
    FACT_PROBES.map(
      ([name, argv]) => `echo ${shellJoin([`${FACT_MARK}${name}`])}; ${shellJoin(argv)} 2>/dev/null`,
    ).join('; ')
  );
}
