/**
 * The host commands of the tenant locks (lock.ts) as data: the multiplexer that holds every lock
 * of a console on a host, and the guard a long command runs under. Both scripts are constants
 * that read their inputs only as "$1".."$n"; test/unit/tenants-commands.test.ts checks the argv.
 */

/**
 * A sh script that runs `script` (with the same $1, $2…) and stops it when its standard input
 * ends: for what runs inside a container through `docker exec -i`/`compose exec -T` under
 * `lock.guarded(…, { stdinFromLock: true })`, so it ends with the tenant's lock.
 */
export function endsWithStdin(script: string): string {
  return [
    `( ${script}
) </dev/null &`,
    'p=$!',
    'exec 4<&0',
    '( cat <&4 >/dev/null 2>&1; kill -TERM "$p" 2>/dev/null && { sleep 3; kill -KILL "$p" 2>/dev/null; } ) >/dev/null 2>&1 &',
    'exec 4<&-',
    'wait "$p"',
  ].join('\n');
}

/**
 * The multiplexer. $1: the locks folder. Lines in: `LOCK <id> <slug> <owner-json>`, `UNLOCK <id>`.
 * Lines out: `LOCKED <id> <pipe>`, `BUSY <id> <owner-json>`, `RUNNING <id> <work-json>`… then
 * `REFUSED <id>`, `ERROR <id> <what>`, `UNLOCKED <id>`.
 */
const MUX_SCRIPT = String.raw`
d=$1
command -v flock >/dev/null 2>&1 || { echo "flock: not found on the host" >&2; exit 72; }
mkdir -p -m 0750 -- "$d" || exit 71
run=$(mktemp -d "${'${TMPDIR:-/tmp}'}/truffles-locks.XXXXXX") || exit 71
mkfifo -m 0600 "$run/mux" || exit 71
exec 8<>"$run/mux"
ids=''
finish() {
  for i in $ids; do eval "kill \"\$p_$i\"" 2>/dev/null; done
  for i in $ids; do eval "wait \"\$p_$i\"" 2>/dev/null; done
  rm -rf -- "$run"
}
trap 'finish; exit 0' HUP INT TERM PIPE
echo READY
while IFS=' ' read -r cmd id slug owner; do
  case $id in ''|*[!0-9]*) continue ;; esac
  case $cmd in
  LOCK)
    case $slug in ''|-*|*[!a-z0-9-]*) echo "ERROR $id bad-name"; continue ;; esac
    (
      exec 8>&-
      trap - HUP INT TERM PIPE
      exec 9>>"$d/$slug.lock" || { echo "ERROR $id open"; exit 0; }
      if ! flock -n 9; then
        echo "BUSY $id $(head -c 4096 -- "$d/$slug.owner" 2>/dev/null | tr -d '\n')"
        exit 0
      fi
      exec 7>>"$d/$slug.work" || { echo "ERROR $id open"; exit 0; }
      if ! flock -n 7; then
        for f in "$d/$slug".work-*; do
          [ -f "$f" ] && echo "RUNNING $id $(head -c 2048 -- "$f" | tr -d '\n')"
        done
        echo "REFUSED $id"
        exit 0
      fi
      rm -f -- "$d/$slug".work-*
      exec 7>&-
      if command -v docker >/dev/null 2>&1; then
        left=$(docker ps -aq --filter "label=truffles.lock=$slug" 2>/dev/null)
        [ -z "$left" ] || docker rm -f $left >/dev/null 2>&1 || true
      fi
      printf '%s\n' "$owner" > "$d/$slug.owner.tmp" && mv -f -- "$d/$slug.owner.tmp" "$d/$slug.owner"
      mkfifo -m 0600 "$run/$id" && exec 6<>"$run/$id" || { rm -f -- "$d/$slug.owner"; echo "ERROR $id pipe"; exit 0; }
      k=''
      trap 'rm -f -- "$d/$slug.owner" "$run/$id"; [ -z "$k" ] || kill "$k" 2>/dev/null; exit 0' TERM
      echo "LOCKED $id $run/$id"
      exec >/dev/null 2>&1
      cat <"$run/mux" >/dev/null 9>&- 6>&- &
      k=$!
      wait "$k"
      rm -f -- "$d/$slug.owner" "$run/$id"
    ) &
    eval "p_$id=\$!"
    ids="$ids $id"
    ;;
  UNLOCK)
    eval "p=\${p_$id:-}"
    if [ -n "$p" ]; then kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; fi
    unset "p_$id"
    n=''; for i in $ids; do [ "$i" = "$id" ] || n="$n $i"; done; ids=$n
    echo "UNLOCKED $id"
    ;;
  esac
done
finish
`;

/**
 * The guard of one long command. $1: the lock's pipe, $2: locks/<slug>.work, $3: JSON about it
 * (an object; pid and since are added), then the command. Exit 75: the lock is already gone.
 */
const GUARD_SCRIPT = String.raw`
f=$1 w=$2 info=$3 lifeline=$4
shift 4
[ -p "$f" ] || { echo "truffles: the tenant lock this command runs under is gone; it was not started" >&2; exit 75; }
if [ "$lifeline" = 1 ]; then exec 3<"$f"; else exec 3<&0; fi
exec 9>>"$w" || exit 71
flock -s -w 30 9 || { echo "truffles: could not take the tenant's work lock" >&2; exit 75; }
setsid "$@" <&3 3<&- &
c=$!
exec 3<&-
trap 'kill -TERM "-$c" 2>/dev/null' HUP INT TERM
printf '{"pid":%s,"since":"%s",%s\n' "$c" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${'${info#?}'}" > "$w-$c"
(
  k=''
  trap '[ -z "$k" ] || kill "$k" 2>/dev/null; exit 0' TERM
  trap - HUP INT
  exec 9>&-
  cat <"$f" >/dev/null 2>&1 &
  k=$!
  wait "$k"
  kill -TERM "-$c" 2>/dev/null || exit 0
  sleep 3
  kill -KILL "-$c" 2>/dev/null
) </dev/null >/dev/null 2>&1 &
g=$!
while :; do
  wait "$c"
  rc=$?
  kill -0 "$c" 2>/dev/null || break
done
kill "$g" 2>/dev/null
# Its lock gone, what it left running (if anything) is for the next holder to name: keep the note.
[ ! -p "$f" ] || rm -f -- "$w-$c"
exit "$rc"
`;

/** The multiplexer holding the locks in `locksDir`; its protocol runs over stdin and stdout. */
export function lockMuxCommand(locksDir: string): string[] {
  return ['sh', '-c', MUX_SCRIPT, 'sh', locksDir];
}

/**
 * `argv` run so that it ends with the lock whose pipe is `pipe` (see TenantLock.guarded): `work`
 * is `locks/<slug>.work`, `info` a JSON object naming it, `stdinFromLock` its stdin from the pipe.
 */
export function guardCommand(
  pipe: string,
  work: string,
  info: string,
  stdinFromLock: boolean,
  argv: readonly string[],
): string[] {
  return ['sh', '-c', GUARD_SCRIPT, 'sh', pipe, work, info, stdinFromLock ? '1' : '0', ...argv];
}
