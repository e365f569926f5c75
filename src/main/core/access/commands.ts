import { SESSION_KEY } from '../../../shared/audit/writer';
import { positionalScript } from '../ssh/commands';

/** `$` for the scripts below (String.raw keeps backslashes; `${D}{x}` writes the shell's `${x}`). */
const D = '$';

/**
 * Who may use a host, as the host keeps it: `<stateDir>/access/keys`, one line per key —
 * `<fingerprint> <name> <role> <expires YYYYMMDD or -> <added at>` — read by the audit writer to
 * name the key that logged in (see ../audit/commands.ts), changed only under `access/lock`.
 *
 * An operator's key is also put in the operator account's `~/.ssh/authorized_keys`, its line
 * ending with the comment `truffles:<name>` (with `expiry-time=` when it expires), so revoking
 * removes exactly what granting added.
 */

/**
 * $1 stateDir  $2 name  $3 role  $4 the public key (`type base64`)  $5 expiry YYYYMMDD or ''
 * $6 its fingerprint (SHA256:…). Exit 3: the name belongs to another key; 4: the key has another name.
 * Only an operator's key is put in the operator account's authorized_keys (a support key goes to the
 * support account's, as root: ./support.ts). Prints `was <the name's role before, or ->`.
 */
export const ACCESS_GRANT_SCRIPT = String.raw`set -u
umask 027
d="$1/access"
mkdir -p -- "$d" || exit 2
exec 9>>"$d/lock" || exit 2
flock -w 30 9 || { echo "the access list stayed locked for 30 s" >&2; exit 2; }
keys="$d/keys"
touch "$keys" || exit 2
if awk -v n="$2" -v f="$6" '$2 == n && $1 != f { found = 1 } END { exit !found }' "$keys"; then exit 3; fi
if awk -v n="$2" -v f="$6" '$1 == f && $2 != n { found = 1 } END { exit !found }' "$keys"; then exit 4; fi
was=$(awk -v n="$2" '$2 == n { print $3; exit }' "$keys")
umask 077
ak="$HOME/.ssh/authorized_keys"
if [ "$3" = operator ]; then
  mkdir -p -- "$HOME/.ssh" || exit 2
  touch "$ak" || exit 2
fi
if [ -f "$ak" ]; then
  # The name's line goes (a support person's key never lets them in here); an operator's comes back.
  awk -v c="truffles:$2" '$NF != c' "$ak" >"$ak.truffles-new" || exit 2
  [ "$3" = operator ] && printf '%s%s truffles:%s\n' "${D}{5:+expiry-time=\"$5\" }" "$4" "$2" >>"$ak.truffles-new"
  mv -f -- "$ak.truffles-new" "$ak" || exit 2
fi
umask 027
awk -v f="$6" '$1 != f' "$keys" >"$keys.new" || exit 2
printf '%s %s %s %s %s\n' "$6" "$2" "$3" "${D}{5:--}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$keys.new"
mv -f -- "$keys.new" "$keys" || exit 2
echo "was ${D}{was:--}"
`;

export function accessGrantCommand(
  stateDir: string,
  name: string,
  role: string,
  publicKey: string,
  expires: string | null,
  fingerprint: string,
): string[] {
  return positionalScript(ACCESS_GRANT_SCRIPT, [stateDir, name, role, publicKey, expires ?? '', fingerprint]);
}

/**
 * $1 stateDir  $2 name. Exit 3: no such name; 5: it is the key this session logged in with (the
 * operator would lock themself out). Prints `role <the role it had>`.
 */
export const ACCESS_REVOKE_SCRIPT = String.raw`set -u
d="$1/access"
keys="$d/keys"
test -f "$keys" || exit 3
exec 9>>"$d/lock" || exit 2
flock -w 30 9 || { echo "the access list stayed locked for 30 s" >&2; exit 2; }
fp=$(awk -v n="$2" '$2 == n { print $1; exit }' "$keys")
test -n "$fp" || exit 3
role=$(awk -v n="$2" '$2 == n { print $3; exit }' "$keys")
me=${SESSION_KEY}
[ "$me" = "$fp" ] && exit 5
umask 077
ak="$HOME/.ssh/authorized_keys"
if [ -f "$ak" ]; then
  awk -v c="truffles:$2" '$NF != c' "$ak" >"$ak.truffles-new" || exit 2
  mv -f -- "$ak.truffles-new" "$ak" || exit 2
fi
umask 027
awk -v n="$2" '$2 != n' "$keys" >"$keys.new" && mv -f -- "$keys.new" "$keys" || exit 2
echo "role $role"
`;

export function accessRevokeCommand(stateDir: string, name: string): string[] {
  return positionalScript(ACCESS_REVOKE_SCRIPT, [stateDir, name]);
}

/**
 * The access list, then a line `@me <fingerprint>` naming the key this session logged in with
 * (`@me -` when sshd does not say: ExposeAuthInfo is off).
 */
export const ACCESS_LIST_SCRIPT = String.raw`set -u
test -f "$1/access/keys" && cat -- "$1/access/keys"
me=${SESSION_KEY}
echo "@me ${D}{me:--}"
`;

export function accessListCommand(stateDir: string): string[] {
  return positionalScript(ACCESS_LIST_SCRIPT, [stateDir]);
}
