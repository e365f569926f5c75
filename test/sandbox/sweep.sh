#!/usr/bin/env bash
# What an interrupted test run left on the test host: its tenants (every container, volume and
# network carrying the console's tenant label, and restore drills' stacks), their folders, backups
# and lock files under /opt/truffles, and the extra sshds its tests started. Tenants have a restart
# policy, so without this a run killed part-way would leave stacks that dockerd starts again with the test host and that every later
# run carries. The edge and the base images are kept. Only for the test host: up.sh runs it before
# any test starts (a second test run at the same time on one test host is not supported anyway).
set -euo pipefail
# shellcheck source=test/sandbox/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LABEL=org.truffles.tenant
ROOT=/opt/truffles

mapfile -t containers < <(docker ps -aq --filter "label=$LABEL")
if [ "${#containers[@]}" -gt 0 ]; then
	log "sweep: removing ${#containers[@]} containers left by an earlier run"
	docker rm -f "${containers[@]}" >/dev/null
fi
mapfile -t volumes < <(docker volume ls -q --filter "label=$LABEL")
[ "${#volumes[@]}" -eq 0 ] || docker volume rm -f "${volumes[@]}" >/dev/null
mapfile -t networks < <(docker network ls -q --filter "label=$LABEL")
[ "${#networks[@]}" -eq 0 ] || docker network rm "${networks[@]}" >/dev/null
# The host agent (test/integration/health-agent.test.ts installs it; it has a restart policy too)
# and the knowledge-base worker (the kb tests install it on first use).
docker rm -f truffles-agent truffles-kb >/dev/null 2>&1 || true
rm -rf -- "$ROOT/health" "$ROOT/kb"
for d in tenants backups drills locks; do
	[ -d "$ROOT/$d" ] && find "$ROOT/$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
done
# Who a killed run let in (test/integration/audit.test.ts and support.test.ts grant people and
# revoke them at the end): the host's access list, the lines `truffles access grant` put in the
# operator accounts' authorized_keys (comment `truffles:<name>`), and the support account's keys.
# Left behind, a name granted by the killed run belongs to another key in the next one.
rm -rf -- "$ROOT/access"
for u in truffles-op truffles-nodocker; do
	home=$(getent passwd "$u" | cut -d: -f6 || true)
	ak=${home:+$home/.ssh/authorized_keys}
	if [ -n "$ak" ] && [ -f "$ak" ] && grep -q ' truffles:[^ ]*$' "$ak"; then
		grep -v ' truffles:[^ ]*$' "$ak" >"$ak.sweep" || true
		chown --reference="$ak" "$ak.sweep" && chmod --reference="$ak" "$ak.sweep" && mv -f -- "$ak.sweep" "$ak"
	fi
done
[ -f /var/lib/truffles-support/.ssh/authorized_keys ] && : >/var/lib/truffles-support/.ssh/authorized_keys
# Extra sshds a killed run started (test/helpers/sandbox.ts: startExtraSshd), and their folders.
extra=$(pgrep -f "sshd -f $STATE/extra/" || true)
if [ -n "$extra" ]; then
	log "sweep: stopping $(echo "$extra" | wc -l) extra sshd left by an earlier run"
	# shellcheck disable=SC2086
	kill $extra 2>/dev/null || true
fi
[ -d "$STATE/extra" ] && find "$STATE/extra" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
log "sweep: ${#containers[@]} containers, ${#volumes[@]} volumes, ${#networks[@]} networks removed; $ROOT/{tenants,backups,drills,locks} emptied, access list reset"
