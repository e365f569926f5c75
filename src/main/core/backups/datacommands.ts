import { endsWithStdin } from '../tenants/lock';
import { compose, DATA_SERVICES } from '../tenants/compose';
import { inPostgres } from '../tenants/commands';
import { script, type Argv } from './commands';

/**
 * The commands a restore or a drill sends to a tenant's stack: compose, and the tenant's
 * PostgreSQL (`docker compose exec postgres`: psql, pg_restore) and Qdrant (curl from the host to
 * the container's address) — what the shared tenant-data adapters will take over. Same rules as
 * commands.ts: exact argument arrays, constant scripts reading only their positional arguments.
 */

export { inPostgres };

/** Where the restore puts the dump inside the database container (pg_restore -j needs a file). */
export const IN_CONTAINER_DUMP = '/tmp/truffles-restore.dump';

/**
 * Stops what uses the data (n8n and every service but the data services, given as "$1", an
 * extended regex): PostgreSQL, Qdrant and Redis keep running. The compose command is "$2"….
 */
export function stopDataUsersCommand(dir: string, slug: string): Argv {
  return script(
    'set -e; p=$1; shift; s=$("$@" config --services | grep -vxE "$p" || true); [ -z "$s" ] || "$@" stop $s',
    DATA_SERVICES.join('|'),
    ...compose(dir, slug),
  );
}

/** The tenant's files from the staged backup: compose.yaml, .env (0600) and tenant.json. */
export function putFilesBackCommand(stageDir: string, dir: string): Argv {
  return script(
    'cp -f -- "$1/files/compose.yaml" "$2/compose.yaml" && install -m 0600 -- "$1/files/env" "$2/.env" && cp -f -- "$1/files/tenant.json" "$2/tenant.json"',
    stageDir,
    dir,
  );
}

export function startDataServicesCommand(dir: string, slug: string): Argv {
  return compose(dir, slug, 'up', '-d', '--no-deps', ...DATA_SERVICES);
}

export function startStackCommand(dir: string, slug: string): Argv {
  return compose(dir, slug, 'up', '-d');
}

export function stopN8nCommand(dir: string, slug: string): Argv {
  return compose(dir, slug, 'stop', 'n8n');
}

/**
 * Copies the staged dump ("$1") into the database container through the compose exec that
 * follows ("$2"…), then prints the host's CPUs.
 */
export function copyDumpInCommand(dir: string, slug: string, dumpFile: string): Argv {
  return script(
    'f=$1; shift; "$@" < "$f" && nproc',
    dumpFile,
    ...inPostgres(dir, slug, 'cat > "$1"', IN_CONTAINER_DUMP),
  );
}

export function removeDumpInContainerCommand(dir: string, slug: string): Argv {
  return inPostgres(dir, slug, 'rm -f -- "$1"', IN_CONTAINER_DUMP);
}

/** The restore lifts PostgreSQL's CPU limit while pg_restore runs (the command is shared with create's n8n). */
export { liftCpuLimitCommand, setCpusCommand } from '../tenants/commands';

/** Drops and recreates the tenant's database (as its owner), inside its container. */
export function recreateDatabaseCommand(dir: string, slug: string): Argv {
  return inPostgres(
    dir,
    slug,
    // psql fills :"var" only in what it reads, not in -c: the statements come on its input.
    'printf "%s\\n" \'DROP DATABASE IF EXISTS :"db" WITH (FORCE);\' \'CREATE DATABASE :"db" OWNER :"owner";\' | psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -v db="$POSTGRES_DB" -v owner="$POSTGRES_USER"',
  );
}

/**
 * pg_restore of the dump copied in, with `jobs` jobs, ending when its input does
 * (tenants/lock.ts: endsWithStdin): run under the tenant's lock, the lock's end stops it.
 */
export function pgRestoreCommand(dir: string, slug: string, jobs: number): Argv {
  return inPostgres(
    dir,
    slug,
    endsWithStdin(
      'exec pg_restore --exit-on-error --no-owner --no-acl -j "$2" -U "$POSTGRES_USER" -d "$POSTGRES_DB" "$1"',
    ),
    IN_CONTAINER_DUMP,
    String(jobs),
  );
}

/** Tables whose counts a restore must find again: the application's, and n8n's workflows and credentials. */
export const COUNT_SQL =
  "select n.nspname || '.' || c.relname, (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r','p') and n.nspname in ('public','n8n') order by 1";

/** Prints `<schema.table>\t<rows>` for every table of the public and n8n schemas. */
export function countRowsCommand(dir: string, slug: string): Argv {
  return inPostgres(
    dir,
    slug,
    'exec psql -X -At -F "\t" -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"',
    COUNT_SQL,
  );
}

/**
 * Prints `<collection>\t<points>` for every collection of the Qdrant at "$1" (exact counts). The
 * api-key header comes on its input (qdrantKeyHeader), never in an argument.
 */
export function countPointsCommand(ip: string): Argv {
  return script(
    [
      'set -e',
      'hdr=$(mktemp); trap \'rm -f "$hdr"\' EXIT; cat > "$hdr"',
      'for c in $(curl -fsS -H @"$hdr" "http://$1:6333/collections" | jq -r ".result.collections[].name"); do',
      '  n=$(curl -fsS -H @"$hdr" -H "content-type: application/json" -d \'{"exact":true}\' "http://$1:6333/collections/$c/points/count" | jq -r ".result.count")',
      '  printf "%s\\t%s\\n" "$c" "$n"',
      'done',
    ].join('\n'),
    ip,
  );
}

/** The header file the Qdrant scripts read from their input. */
export function qdrantKeyHeader(apiKey: string | undefined): string {
  return `api-key: ${apiKey ?? ''}\n`;
}

/**
 * Qdrant at "$1" as the backup had it: every collection goes, then each of `collections` is
 * uploaded from `<stage>/qdrant/<name>.snapshot` (priority=snapshot). The api-key header comes on
 * its input.
 */
export function restoreQdrantCommand(ip: string, stageDir: string, collections: readonly string[]): Argv {
  return script(
    [
      'set -e',
      'ip=$1; stage=$2; shift 2',
      'hdr=$(mktemp); trap \'rm -f "$hdr"\' EXIT; cat > "$hdr"',
      // Collections the backup does not have go; the backup's replace what is there.
      'for c in $(curl -fsS -H @"$hdr" "http://$ip:6333/collections" | jq -r ".result.collections[].name"); do',
      '  curl -fsS -X DELETE -H @"$hdr" "http://$ip:6333/collections/$c" >/dev/null',
      'done',
      'for c in "$@"; do',
      // A stalled upload (nothing sent or received for 10 minutes) fails the restore instead of
      // holding the tenant's lock until the exec timeout.
      '  curl -fsS --speed-limit 1 --speed-time 600 -H @"$hdr" -F "snapshot=@$stage/qdrant/$c.snapshot" "http://$ip:6333/collections/$c/snapshots/upload?priority=snapshot&wait=true" >/dev/null',
      'done',
    ].join('\n'),
    ip,
    stageDir,
    ...collections,
  );
}
