/**
 * The support account on a host (issue 17): where a support person's key lets them in, and the
 * only thing it reaches — the host agent's support door, through the bridge (door.ts).
 *
 * - `truffles-support`: a system account, not in the docker group, whose login shell is the bridge;
 *   its home and `~/.ssh/authorized_keys` belong to root (the account cannot change its own keys);
 *   each key there is `restrict,command="truffles-door NAME"`: no forwarding of any kind, no pty,
 *   and whatever the client asks for, the bridge runs and names NAME.
 * - `/var/lib/truffles-support/run/support.sock`: the agent's support door, group `truffles-support`
 *   (the run folder is root:truffles-support 0750, so no one else reaches it).
 *
 * The operator account is not root, but it is in the docker group, which is: the console makes the
 * account and changes its keys from a one-shot container that chroots into the host's `/` (no
 * network, removed when done), with the host's own groupadd/useradd. Idempotent.
 */
import { posix } from 'node:path';
import { positionalScript } from '../ssh/commands';

export const SUPPORT_USER = 'truffles-support';
export const SUPPORT_HOME = '/var/lib/truffles-support';
export const SUPPORT_RUN = posix.join(SUPPORT_HOME, 'run');
export const SUPPORT_SOCKET = posix.join(SUPPORT_RUN, 'support.sock');
export const SUPPORT_KEYS = posix.join(SUPPORT_HOME, '.ssh', 'authorized_keys');
export const DOOR_PATH = '/usr/local/lib/truffles/truffles-door';
/** What the console asks a support connection to run (the bridge refuses anything else). */
export const DOOR_COMMAND = 'truffles-door';

/**
 * As root in the host's `/`. $1 the bridge (its text)  $2 add|remove|setup  $3 name  $4 the key's
 * line (add). Prints `gid <the support group's id>`.
 */
export const SUPPORT_SETUP_SCRIPT = String.raw`set -eu
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
u=${SUPPORT_USER}
home=${SUPPORT_HOME}
door=${DOOR_PATH}
umask 022
mkdir -p -- "$(dirname "$door")"
printf '%s' "$1" >"$door.new"
chmod 0755 "$door.new"
mv -f -- "$door.new" "$door"
getent group "$u" >/dev/null || groupadd --system "$u"
if ! id -u "$u" >/dev/null 2>&1; then
  useradd --system --gid "$u" --home-dir "$home" --no-create-home --shell "$door" "$u"
fi
# Its only program is the bridge; '*': no password, and not locked (sshd refuses locked accounts).
usermod --shell "$door" --password '*' "$u"
for g in $(id -nG "$u"); do [ "$g" = "$u" ] || gpasswd -d "$u" "$g" >/dev/null; done
install -d -o root -g root -m 0755 "$home" "$home/.ssh"
install -d -o root -g "$u" -m 0750 "$home/run"
ak=$home/.ssh/authorized_keys
exec 9>>"$home/.ssh/lock"
flock -w 30 9
touch "$ak"
case "$2" in
  add)
    awk -v c="truffles:$3" '$NF != c' "$ak" >"$ak.new"
    printf '%s\n' "$4" >>"$ak.new"
    mv -f -- "$ak.new" "$ak" ;;
  remove)
    awk -v c="truffles:$3" '$NF != c' "$ak" >"$ak.new"
    mv -f -- "$ak.new" "$ak" ;;
esac
chown root:root "$ak"
chmod 0644 "$ak"
echo "gid $(getent group "$u" | cut -d: -f3)"
`;

/** A support person's line: the bridge named with them, nothing else allowed; `expires` YYYYMMDD. */
export function supportKeyLine(name: string, key: string, expires: string | null): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) throw new Error(`not a person's name: ${name}`);
  if (!/^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}$/.test(key)) throw new Error('not a public key line');
  if (expires !== null && !/^\d{8}$/.test(expires)) throw new Error(`not a day: ${expires}`);
  const options = [
    'restrict',
    `command="${DOOR_COMMAND} ${name}"`,
    ...(expires ? [`expiry-time="${expires}"`] : []),
  ];
  return `${options.join(',')} ${key} truffles:${name}`;
}

/** The one-shot root container that runs SUPPORT_SETUP_SCRIPT in the host's `/`. */
export function supportSetupCommand(
  image: string,
  door: string,
  op: 'setup' | 'add' | 'remove',
  name = '',
  line = '',
): string[] {
  return [
    'docker',
    'run',
    '--rm',
    '--network',
    'none',
    '--user',
    '0:0',
    '--volume',
    '/:/host',
    '--label',
    'org.truffles.oneshot=support-setup',
    '--entrypoint',
    'chroot',
    '--',
    image,
    '/host',
    ...positionalScript(SUPPORT_SETUP_SCRIPT, [door, op, name, line]),
  ];
}

/** The support group's id on the host, or null when there is no support account. */
export function supportGroupCommand(): string[] {
  return ['getent', 'group', SUPPORT_USER];
}

export function parseSupportGid(stdout: string): number | null {
  const f = stdout.trim().split(':');
  const gid = Number(f[2]);
  return f[0] === SUPPORT_USER && Number.isInteger(gid) && gid > 0 ? gid : null;
}
