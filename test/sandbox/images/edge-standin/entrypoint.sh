#!/bin/sh
# Entrypoint of truffles/traefik-standin:3, modelled on the official traefik image's: flags alone
# (`command: ["--entrypoints.web.address=:80", ...]`) run `traefik` with them; a Traefik subcommand
# (`version`, `healthcheck`) runs through `traefik`; anything else is executed as a shell command.
set -e

if [ "${1#-}" != "$1" ]; then
	set -- traefik "$@"
fi

if [ "$1" != traefik ]; then
	if traefik "$1" --help >/dev/null 2>&1; then
		set -- traefik "$@"
	else
		echo "= '$1' is not a Traefik command: assuming shell execution." 1>&2
	fi
fi

exec "$@"
