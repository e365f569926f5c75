#!/usr/bin/env bash
# Stops exactly what test/sandbox/up.sh started: its sshd, the extra test sshds under
# $STATE/extra/*/ (started by test/helpers/sandbox.ts), and dockerd only if up.sh started it
# (dockerd stops the containers itself). Leaves packages, the user, keys and images in place, so
# the next up.sh takes seconds. Idempotent; prints nothing when nothing runs.
set -euo pipefail

# shellcheck source=test/sandbox/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -d "$STATE" ] || exit 0
if [ "$(id -u)" != 0 ]; then
	printf '[sandbox] error: down.sh must run as root (it stops the sandbox sshd and dockerd).\n' >&2
	exit 3
fi

# The pid in a pidfile, only if that process's command line contains the given text (not a recycled pid).
pid_from() { # pidfile must-contain
	local p
	p=$(cat "$1" 2>/dev/null || true)
	[[ "$p" =~ ^[0-9]+$ ]] || return 0
	alive "$p" || return 0
	[[ "$(cmdline "$p")" == *"$2"* ]] && echo "$p"
	return 0
}
stop_pid() { # pid seconds
	local p=$1 n=$(($2 * 10)) i
	kill -TERM "$p" 2>/dev/null || return 0
	for ((i = 0; i < n; i++)); do
		alive "$p" || return 0
		sleep 0.1
	done
	log "pid $p did not stop within $2 s; killing it"
	kill -KILL "$p" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		alive "$p" || return 0
		sleep 0.1
	done
}
# Every process below a pid (breadth first): the sessions an sshd forked and what runs in them.
descendants() {
	local frontier=$1 next p out=
	while [ -n "$frontier" ]; do
		next=
		for p in $frontier; do next+=" $(pgrep -P "$p" | tr '\n' ' ' || true)"; done
		next=$(echo $next)
		out+=" $next"
		frontier=$next
	done
	echo $out
}
# An sshd: the listener, then the sessions it forked and their commands (an open SSH connection
# and what it runs would outlive the listener).
stop_sshd() { # dir name
	local dir=$1 name=$2 p tree c
	p=$(pid_from "$dir/sshd.pid" "-f $dir/sshd_config")
	if [ -n "$p" ]; then
		tree=$(descendants "$p")
		log "stopping $name (pid $p${tree:+; its sessions: $tree})"
		stop_pid "$p" 10
		for c in $tree; do alive "$c" && kill -TERM "$c" 2>/dev/null; done
		for c in $tree; do alive "$c" && stop_pid "$c" 5; done
	fi
	rm -f "$dir/sshd.pid"
}

# 1. The extra sshds of the tests (and their throwaway folders).
for pf in "$STATE"/extra/*/sshd.pid "$STATE"/extra/*/sshd_config; do
	[ -e "$pf" ] || continue
	dir=$(dirname "$pf")
	[ -d "$dir" ] || continue
	stop_sshd "$dir" "extra sshd $(basename "$dir")"
	rm -rf --one-file-system "$dir"
done

# 1b. Network namespaces the tests made (tpins-*: hostkey-routes.test.ts) and so their veth pairs.
if command -v ip >/dev/null 2>&1; then
	for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^tpins-/ {print $1}'); do
		log "removing the test network namespace $ns"
		ip netns del "$ns" || true
	done
fi

# 2. The sandbox sshd.
stop_sshd "$STATE" "the sandbox sshd"

# The host agent and the knowledge-base worker the tests install run with a restart policy: they go even when dockerd stays.
if command -v docker >/dev/null 2>&1; then
	timeout 20 docker rm -f truffles-agent truffles-kb >/dev/null 2>&1 || true
fi

# 3. dockerd, only if up.sh started it.
if [ -f "$STATE/dockerd.started-by-sandbox" ]; then
	p=$(pid_from "$STATE/dockerd.pid" dockerd)
	if [ -n "$p" ]; then
		# The containerd dockerd started for itself, if any (it normally exits with dockerd).
		cpid=$(pid_from /var/run/docker/containerd/containerd.pid containerd)
		log "stopping dockerd (pid $p; it stops the running containers)"
		stop_pid "$p" 120
		if [ -n "$cpid" ] && alive "$cpid"; then stop_pid "$cpid" 20; fi
	fi
	rm -f "$STATE/dockerd.started-by-sandbox" "$STATE/dockerd.pid" "$STATE/network-verified"
fi
exit 0
