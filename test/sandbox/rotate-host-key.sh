#!/usr/bin/env bash
# Replaces the sandbox sshd's host key with a new one and restarts that sshd (same address and
# port), to prove a console refuses a changed host key. Updates sandbox.env / sandbox.json and
# prints the old and the new fingerprints. Hosts pinned to the old key stop working: run this
# only when nothing else relies on the sandbox's pinned key (tests use startExtraSshd instead).
set -euo pipefail

# shellcheck source=test/sandbox/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CONF=$STATE/sshd_config
HOSTKEY=$STATE/ssh_host_ed25519_key

[ "$(id -u)" = 0 ] || {
	printf '[sandbox] error: rotate-host-key.sh must run as root.\n' >&2
	exit 3
}
[ -f "$CONF" ] && [ -f "$HOSTKEY.pub" ] || die "no sandbox in $STATE: run test/sandbox/up.sh first."
ADDRESS=$(awk '$1 == "ListenAddress" {print $2; exit}' "$CONF")
PORT=$(awk '$1 == "Port" {print $2; exit}' "$CONF")

fp() { ssh-keygen -lf "$1" | awk '{print $2}'; }
OLD=$(fp "$HOSTKEY.pub")

# The new key, put in place in one rename each.
TMP=$(mktemp -d "$STATE/.rotate.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ssh-keygen -q -t ed25519 -N '' -C truffles-sandbox-host -f "$TMP/key"
chmod 0600 "$TMP/key"
mv -f "$TMP/key.pub" "$HOSTKEY.pub"
mv -f "$TMP/key" "$HOSTKEY"
NEW=$(fp "$HOSTKEY.pub")

# Restart the sandbox sshd (only ours: the pid must be the one started with our config).
pid=$(cat "$STATE/sshd.pid" 2>/dev/null || true)
if alive "$pid" &&
	[[ "$(cmdline "$pid")" == *"-f $CONF"* ]]; then
	kill -TERM "$pid"
	for i in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$STATE/sshd.pid"
mkdir -p /run/sshd
printf '\n==== %s rotate-host-key.sh restarts sshd ====\n' "$(date -Is)" >>"$STATE/sshd.log"
/usr/sbin/sshd -f "$CONF" -E "$STATE/sshd.log" || die "sshd did not start (see $STATE/sshd.log)."
offered=
for i in $(seq 1 50); do
	offered=$(ssh-keyscan -T 2 -t ed25519 -p "$PORT" "$ADDRESS" 2>/dev/null | ssh-keygen -lf - 2>/dev/null | awk '{print $2}' || true)
	[ -n "$offered" ] && break
	sleep 0.1
done
[ "$offered" = "$NEW" ] || die "the restarted sshd offers '${offered:-nothing}', expected $NEW (see $STATE/sshd.log)."

# The new fingerprint in sandbox.env and sandbox.json.
if [ -f "$STATE/sandbox.env" ]; then
	sed -i "s|^TRUFFLES_SANDBOX_FINGERPRINT=.*|TRUFFLES_SANDBOX_FINGERPRINT='$NEW'|" "$STATE/sandbox.env"
fi
if [ -f "$STATE/sandbox.json" ]; then
	sed -i "s|^  \"fingerprint\": .*|  \"fingerprint\": \"$NEW\",|" "$STATE/sandbox.json"
fi

log "host key of $ADDRESS:$PORT replaced; sshd restarted (pid $(cat "$STATE/sshd.pid" 2>/dev/null || echo '?'))"
echo "old: $OLD"
echo "new: $NEW"
