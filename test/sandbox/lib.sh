# Shared by up.sh, down.sh and rotate-host-key.sh (sourced, not run).
# shellcheck shell=bash

STATE=${TRUFFLES_SANDBOX_DIR:-/var/lib/truffles-sandbox}

log() { printf '[sandbox] %s\n' "$*"; }
die() {
	printf '[sandbox] error: %s\n' "$*" >&2
	exit 1
}
# Is the process running? A zombie counts as ended: here PID 1 reaps orphans only every second or two.
alive() {
	local s
	[[ "${1:-}" =~ ^[0-9]+$ ]] || return 1
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}
# A process's command line, arguments separated by spaces ('' when it is gone).
cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }
