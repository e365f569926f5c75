#!/usr/bin/env bash
# Entrypoint of truffles/redis:7, modelled on the official redis image's: options alone go to
# redis-server; redis-server runs as the redis user, as PID 1 (exec), with protected-mode off
# unless the command sets it itself.
set -Eeo pipefail

# `docker run truffles/redis:7 --appendonly yes` or `... /path/redis.conf` means redis-server with those.
if [ "${1:0:1}" = '-' ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ]; then
	if [ "$(id -u)" = '0' ]; then
		find . \! -user redis -exec chown redis '{}' + || :
		export HOME=/data
		exec setpriv --reuid=redis --regid=redis --init-groups "$BASH_SOURCE" "$@"
	fi

	# Debian's redis-server defaults to protected-mode yes (the official image compiles it off).
	# A config file must stay the first argument; later command-line options override it.
	has_protected_mode=
	for a in "$@"; do
		if [ "$a" = '--protected-mode' ]; then has_protected_mode=1; fi
	done
	if [ -z "$has_protected_mode" ]; then
		shift
		if [ $# -gt 0 ] && [ "${1:0:1}" != '-' ]; then
			conf="$1"
			shift
			set -- redis-server "$conf" --protected-mode no "$@"
		else
			set -- redis-server --protected-mode no "$@"
		fi
	fi
	umask 0077
fi

exec "$@"
