#!/usr/bin/env bash
# Entrypoint of truffles/qdrant-standin:1.13 (a stand-in for Qdrant, not Qdrant): as root it gives
# the storage and snapshot folders to uid 1000 and runs again as that user; the server then runs as
# PID 1 (exec) as uid 1000. Started with --user already, it runs the server directly.
set -Eeo pipefail

STORAGE=${QDRANT__STORAGE__STORAGE_PATH:-/qdrant/storage}
SNAPSHOTS=${QDRANT__STORAGE__SNAPSHOTS_PATH:-/qdrant/snapshots}

if [ "$(id -u)" = '0' ]; then
	for d in "$STORAGE" "$SNAPSHOTS"; do
		mkdir -p "$d"
		find "$d" \! -user 1000 -exec chown 1000:1000 '{}' +
	done
	export HOME=/qdrant
	exec setpriv --reuid=1000 --regid=1000 --init-groups "$BASH_SOURCE" "$@"
fi

exec node /qdrant/qdrant-standin.mjs "$@"
