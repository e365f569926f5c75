import { compose, DATA_SERVICES } from './compose';

/**
 * Every command the tenants code sends to a host, built here as data: each function returns the
 * exact argument array the transport runs (no shell in between), or `['sh', '-c', SCRIPT, 'sh',
 * …args]` where SCRIPT is a constant that reads its inputs only as "$1".."$n". Nothing a person or
 * a host gave is ever part of a script's text. test/unit/tenants-commands.test.ts checks each argv.
 */

// ---------- files in the state folder (hostfs.ts) ----------

/** Exit code of readFileCommand when the file does not exist. */
export const READ_MISSING_EXIT = 44;
const READ_FILE = 'if test -e "$1"; then cat -- "$1"; else exit 44; fi';

/** The file's content on stdout; exit READ_MISSING_EXIT when it does not exist. */
export function readFileCommand(path: string): string[] {
  return ['sh', '-c', READ_FILE, 'sh', path];
}

export function mkdirCommand(path: string, mode: string): string[] {
  return ['mkdir', '-p', '-m', mode, '--', path];
}

export function removeCommand(path: string): string[] {
  return ['rm', '-rf', '--', path];
}

// `if`, not `&&`: in an empty folder `*/` stays literal, and the loop must still end 0.
const LIST_DIRS =
  'test -d "$1" || exit 0; cd -- "$1" || exit 1; for d in */; do if test -d "$d"; then printf "%s\\n" "${d%/}"; fi; done';

/** The names of the sub-folders of `dir`, one a line (nothing when it does not exist). */
export function listDirsCommand(dir: string): string[] {
  return ['sh', '-c', LIST_DIRS, 'sh', dir];
}

// ---------- reading a host ----------

const FREE_LOCKS =
  'd=$1; shift; for s in "$@"; do if [ ! -e "$d/$s.lock" ] || flock -n "$d/$s.lock" true; then echo "free $s"; fi; done';

/** `free <slug>` for each of `slugs` whose lock in `locksDir` nobody holds (or that has none). */
export function freeLocksCommand(locksDir: string, slugs: readonly string[]): string[] {
  return ['sh', '-c', FREE_LOCKS, 'sh', locksDir, ...slugs];
}

/** Which machine this is: /etc/machine-id, else its hostname. */
export function machineIdCommand(): string[] {
  return ['sh', '-c', 'cat /etc/machine-id 2>/dev/null || hostname'];
}

const PREFLIGHT =
  'docker compose version --short 2>/dev/null || echo NOCOMPOSE; command -v flock >/dev/null || echo NOFLOCK; df -Pk -- "$1" | tail -n 1';

/** Compose's version (or NOCOMPOSE), NOFLOCK when flock is missing, then `df -Pk`'s line for `stateDir`. */
export function preflightCommand(stateDir: string): string[] {
  return ['sh', '-c', PREFLIGHT, 'sh', stateDir];
}

export function pullCommand(ref: string): string[] {
  return ['docker', 'pull', '--quiet', ref];
}

/** A container's log (stdout and stderr) since `since`, its last 2000 lines. */
export function logsSinceCommand(since: string, container: string): string[] {
  return ['sh', '-c', 'docker logs --since "$1" --tail 2000 "$2" 2>&1', 'sh', since, container];
}

// ---------- a tenant's stack ----------

/** The data services (PostgreSQL, Qdrant, Redis) up, before n8n. */
export function startDataCommand(dir: string, slug: string): string[] {
  return compose(dir, slug, 'up', '--detach', '--remove-orphans', '--quiet-pull', ...DATA_SERVICES);
}

/**
 * n8n last: (re)created so it starts with the workflows its CLI activated; or, where n8n already
 * holds them (`recreate` false), left running unless its image or settings changed.
 */
export function startN8nCommand(dir: string, slug: string, recreate = true): string[] {
  return compose(dir, slug, 'up', '--detach', '--no-deps', ...(recreate ? ['--force-recreate'] : []), 'n8n');
}

/** Every container of the stack started (resume) or stopped (suspend), data kept. */
export function startStopCommand(dir: string, slug: string, run: boolean): string[] {
  return compose(dir, slug, run ? 'start' : 'stop');
}

/** argv that runs a sh script in the tenant's database container, with args as $1, $2…. */
export function inPostgres(dir: string, slug: string, shellScript: string, ...args: string[]): string[] {
  return compose(
    dir,
    slug,
    'exec',
    '-T',
    'postgres',
    'sh',
    '-c',
    shellScript,
    ...(args.length ? ['sh', ...args] : []),
  );
}

/**
 * The host's copy of n8n's schema as n8n's CLI left it after migrating an empty database and
 * importing a set of workflows (n8nSchemaSaveCommand), loaded into a tenant's empty `n8n` schema in
 * one transaction: the file starts by dropping that schema, which fails (and the load with it)
 * unless it is empty. Exits READ_MISSING_EXIT when there is no such copy.
 */
export function n8nSchemaLoadCommand(dir: string, slug: string, file: string): string[] {
  return [
    'sh',
    '-c',
    // Used copies are touched: the save keeps the newest.
    'f=$1; shift; test -f "$f" || exit 44; "$@" < "$f" || exit $?; touch -c -- "$f" 2>/dev/null; exit 0',
    'sh',
    file,
    ...inPostgres(
      dir,
      slug,
      'exec psql -X -q -v ON_ERROR_STOP=1 --single-transaction -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
    ),
  ];
}

/** How many copies of n8n's schema a host keeps (each is a few hundred KB). */
export const N8N_SCHEMA_KEEP = 20;

/**
 * pg_dump of the tenant's `n8n` schema (no owner, no grants) into `file` on the host, 0600, whole
 * or not at all (a temporary file renamed), after a line that drops the empty schema it is loaded into.
 */
export function n8nSchemaSaveCommand(dir: string, slug: string, file: string): string[] {
  return [
    'sh',
    '-c',
    [
      `N8N_SCHEMA_KEEP=${N8N_SCHEMA_KEEP}`,
      'f=$1; shift; d=$(dirname -- "$f"); mkdir -p -m 0700 -- "$d" || exit 1',
      't="$f.$$.tmp"; trap \'rm -f -- "$t"\' EXIT',
      '(umask 077; { printf "%s\\n" "DROP SCHEMA IF EXISTS n8n;"; "$@"; } > "$t") && mv -f -- "$t" "$f" || exit 1',
      // The newest copies stay (one per n8n image and set of workflows); older ones go.
      'cd -- "$d" && ls -1t -- *.sql 2>/dev/null | tail -n +$((N8N_SCHEMA_KEEP + 1)) | while read -r x; do rm -f -- "$x"; done; exit 0',
    ].join('\n'),
    'sh',
    file,
    ...inPostgres(
      dir,
      slug,
      'exec pg_dump --schema=n8n --no-owner --no-privileges -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
    ),
  ];
}

/** A one-off n8n container of the tenant, removed when done, labelled for the tenant's next lock. */
function n8nOneOff(dir: string, slug: string, ...args: string[]): string[] {
  return compose(
    dir,
    slug,
    'run',
    '--rm',
    '--no-deps',
    '-T',
    // A one-off left by an operation that lost its lock goes at the tenant's next lock.
    '--label',
    `truffles.lock=${slug}`,
    ...args,
  );
}

const N8N_IMPORT = [
  'set -e',
  'if [ -n "$(ls -A /import/credentials)" ]; then n8n import:credentials --separate --input=/import/credentials; fi',
  'if [ -n "$(ls -A /import/workflows)" ]; then n8n import:workflow --separate --input=/import/workflows; fi',
  // Workflows of removed modules stay in n8n (their history with them) but stop.
].join('\n');

/**
 * n8n's CLI imports the credentials and workflows in `importDir` (mounted read-only at /import),
 * as root: the files are the SSH user's, mode 0600; the container is gone right after.
 */
export function n8nImportCommand(dir: string, slug: string, importDir: string): string[] {
  return n8nOneOff(
    dir,
    slug,
    '--user',
    'root',
    '--volume',
    `${importDir}:/import:ro`,
    '--entrypoint',
    'sh',
    'n8n',
    '-c',
    N8N_IMPORT,
  );
}

/** $1: how many of the ids that follow are to be activated; the rest are deactivated. */
const N8N_SET_ACTIVE = [
  'set -e',
  'n=$1',
  'shift',
  'i=0',
  'for id in "$@"; do',
  '  i=$((i + 1))',
  '  if [ "$i" -le "$n" ]; then a=true; else a=false; fi',
  '  n8n update:workflow --id="$id" --active=$a',
  'done',
].join('\n');

/** n8n's CLI activates `activate` and deactivates `deactivate` (where SQL cannot: another n8n version). */
export function n8nSetActiveCommand(
  dir: string,
  slug: string,
  activate: readonly string[],
  deactivate: readonly string[],
): string[] {
  return n8nOneOff(
    dir,
    slug,
    '--entrypoint',
    'sh',
    'n8n',
    '-c',
    N8N_SET_ACTIVE,
    'sh',
    String(activate.length),
    ...activate,
    ...deactivate,
  );
}

/** Node, inside n8n: connects to each {ip, port} of argv[1] and prints whether each answered, as JSON. */
export const REACH_PROBE =
  "const net=require('net');const t=JSON.parse(process.argv[1]);Promise.all(t.map(x=>new Promise(r=>{const s=net.connect({host:x.ip,port:x.port});const d=o=>{s.destroy();r(o)};s.setTimeout(1500,()=>d(false));s.on('connect',()=>d(true));s.on('error',()=>d(false))}))).then(r=>console.log(JSON.stringify(r)))";

/** From inside the tenant's n8n: which of `targets` can be reached (isolation check). */
export function reachProbeCommand(
  dir: string,
  slug: string,
  targets: readonly { ip: string; port: number }[],
): string[] {
  return compose(
    dir,
    slug,
    'exec',
    '-T',
    'n8n',
    'node',
    '-e',
    REACH_PROBE,
    JSON.stringify(targets.map(({ ip, port }) => ({ ip, port }))),
  );
}

/**
 * Lets a service's container use every CPU of the host for a while when its compose file limits
 * it to fewer: PostgreSQL during a restore's pg_restore, n8n during its first boot. Prints
 * `<container> <declared limit> <cpus>` when it did, nothing when there was nothing to lift. The
 * compose command is "$@"; the service is one of ours, a constant of this code.
 */
export function liftCpuLimitCommand(
  dir: string,
  slug: string,
  service: 'postgres' | 'n8n' = 'postgres',
): string[] {
  return [
    'sh',
    '-c',
    [
      'set -e',
      `c=$("$@" ps -q ${service})`,
      `want=$("$@" config --format json | jq -r '.services.${service}.deploy.resources.limits.cpus // empty')`,
      'n=$(nproc)',
      '[ -n "$c" ] && [ -n "$want" ] || exit 0',
      `awk -v w="$want" -v n="$n" 'BEGIN { exit !(w > 0 && w < n) }' || exit 0`,
      'docker update --cpus "$n" "$c" >/dev/null',
      'printf "%s %s %s\\n" "$c" "$want" "$n"',
    ].join('\n'),
    'sh',
    ...compose(dir, slug),
  ];
}

export function setCpusCommand(container: string, cpus: string): string[] {
  return ['docker', 'update', '--cpus', cpus, container];
}

/** What liftCpuLimitCommand printed: the container, its declared limit and the CPUs it got, or null. */
export function parseLifted(stdout: string): { container: string; cpus: string; n: string } | null {
  const [container, cpus, n] = stdout.trim().split(' ');
  if (!container || !cpus || !n || !/^[0-9a-f]{12,64}$/.test(container) || !/^[0-9.]+$/.test(cpus))
    return null;
  return { container, cpus, n };
}
