#!/bin/sh
# Entrypoint of truffles/n8n:1.123, the same contract as the official image's
# (docker.n8n.io/n8nio/n8n:1.x: ENTRYPOINT ["tini", "--", "/docker-entrypoint.sh"]):
#   no arguments      -> `n8n`            (= n8n start)
#   arguments (start, worker, webhook, import:workflow ...) -> `n8n ARGS`
# tini is PID 1, so SIGTERM from `docker stop` reaches n8n and zombies are reaped.
# n8n reads its own environment (DB_TYPE, DB_POSTGRESDB_*, N8N_*, WEBHOOK_URL, EXECUTIONS_*,
# GENERIC_TIMEZONE ...): nothing here translates or filters it.

# Like the official image: extra CA certificates mounted at /opt/custom-certificates are trusted.
if [ -d /opt/custom-certificates ]; then
	echo "Trusting custom certificates from /opt/custom-certificates."
	export NODE_OPTIONS="--use-openssl-ca ${NODE_OPTIONS:-}"
	export SSL_CERT_DIR=/opt/custom-certificates
	if command -v c_rehash >/dev/null 2>&1; then
		c_rehash /opt/custom-certificates
	elif command -v openssl >/dev/null 2>&1; then
		openssl rehash /opt/custom-certificates
	fi
fi

if [ "$#" -gt 0 ]; then
	exec n8n "$@"
else
	exec n8n
fi
