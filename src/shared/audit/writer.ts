/**
 * The host side of the audit trail, shared by the console (which runs it over SSH) and the host
 * agent (which runs it in its container for the support door's records): one writer, one lock.
 */

/** `$` for the script below: String.raw keeps its backslashes, and `${D}{x}` is how it writes the shell's `${x}`. */
const D = '$';

/**
 * Shell: the SHA256 fingerprint of the key this SSH session logged in with, from the file sshd
 * names in `$SSH_USER_AUTH` (ExposeAuthInfo); empty when it does not say (no such file). Used where
 * the host must know who is asking: the audit writer, and the access list's "you".
 */
export const SESSION_KEY = String.raw`$([ -r "${D}{SSH_USER_AUTH:-}" ] && sed -n 's/^publickey //p' "$SSH_USER_AUTH" | head -n 1 | ssh-keygen -lf - 2>/dev/null | awk '{print $2}')`;

/**
 * The host side of the audit trail: POSIX sh and tools every Linux host has (coreutils' sha256sum,
 * util-linux's flock, OpenSSH's ssh-keygen; BusyBox has them too, for the agent's container).
 *
 * The trail: `<stateDir>/audit/trail.jsonl`, a hash chain (see src/main/core/audit/chain.ts).
 * The one writer: AUDIT_APPEND_SCRIPT, holding `<stateDir>/audit/trail.lock` (flock) while it reads
 * the last record and appends the next, so concurrent consoles (and the agent) never fork the chain.
 *
 * Who: taken from the SSH session, not from the record. With sshd's `ExposeAuthInfo yes`, the
 * session's `$SSH_USER_AUTH` names the public key that logged in; its fingerprint is looked up in
 * `<stateDir>/access/keys` (lines `<fingerprint> <name> <role>`, written by `truffles access`).
 * A key with no name is recorded by its fingerprint; a session with no key information (the
 * option is off) by its Unix account, with `proof` saying which. The host's agent, writing for a
 * support person it served, passes that person's name as $3 (`proof: host`).
 *
 *   $1 stateDir   $2 the record (one JSON object on one line)   $3 the actor the agent vouches for
 *
 * Prints `<seq> <hash> <actor> <proof>` of the record appended (the console keeps seq and hash as a
 * checkpoint).
 * Exit 2: not a record; 3/4: the folder cannot be made or written; 5: the lock was not had in
 * 30 s; 6: the trail's last line is not a record (refuses to extend a damaged chain); 7: write failed.
 */
export const AUDIT_APPEND_SCRIPT = String.raw`set -u
umask 027
dir="$1/audit"
mkdir -p -- "$dir" 2>/dev/null || { echo "cannot create $dir" >&2; exit 3; }
test -w "$dir" || { echo "$dir is not writable" >&2; exit 4; }
rec="$2"
case "$rec" in '{"'*'}') ;; *) echo "an audit record is one JSON object" >&2; exit 2;; esac
nl='
'
case "$rec" in *"$nl"*) echo "an audit record is one line" >&2; exit 2;; esac
# Who and when, before the lock: the lock is held only to read the head and append (concurrent
# writers wait on it, so what it covers is the trail's throughput).
actor=""; proof=none
fp=${SESSION_KEY}
if [ -n "$fp" ]; then
  name=$(awk -v f="$fp" '$1 == f { print $2; exit }' "$1/access/keys" 2>/dev/null)
  actor="${D}{name:-key:$fp}"; proof=key
fi
if [ -z "$actor" ] && [ -n "${D}{3:-}" ]; then actor="$3"; proof=host; fi
[ -n "$actor" ] || actor="account:$(id -un)"
case "$actor" in *[!A-Za-z0-9@._:+/=-]*) actor=unnamed;; esac
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
exec 9>>"$dir/trail.lock" || exit 4
flock -w 30 9 || { echo "the audit trail stayed locked for 30 s" >&2; exit 5; }
f="$dir/trail.jsonl"
seq=0; prev=0000000000000000000000000000000000000000000000000000000000000000
add() {
  seq=$((seq + 1))
  h=$(printf '%s\n%s' "$prev" "$1" | sha256sum)
  h=${D}{h%%[!0-9a-f]*}
  printf '{"seq":%s,"prev":"%s","hash":"%s","body":%s}\n' "$seq" "$prev" "$h" "$1" >>"$f" || { echo "cannot write $f" >&2; exit 7; }
  prev=$h
}
if [ -s "$f" ]; then
  last=$(tail -n 1 "$f")
  case "$last" in
    '{"seq":'*',"prev":"'*'","hash":"'*) ;;
    *) echo "the last line of $f is not a record: run truffles audit verify" >&2; exit 6;;
  esac
  seq=${D}{last#'{"seq":'}; seq=${D}{seq%%,*}
  prev=${D}{last#*'"hash":"'}; prev=${D}{prev%%'"'*}
  case "$seq" in ''|*[!0-9]*) echo "the last line of $f is not a record" >&2; exit 6;; esac
elif [ -s "$1/audit.jsonl" ]; then
  # The plain trail of earlier consoles: its lines open the chain, marked as such.
  while IFS= read -r l; do
    case "$l" in '{"'*'}') add "${D}{l%\}},\"legacy\":true}";; esac
  done <"$1/audit.jsonl"
fi
add "${D}{rec%\}},\"actor\":\"$actor\",\"proof\":\"$proof\",\"hostAt\":\"$now\"}"
echo "$seq $h $actor $proof"
`;
