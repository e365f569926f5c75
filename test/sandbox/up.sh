#!/usr/bin/env bash
# The real test host ("sandbox") on this machine: a real OpenSSH server of its own on
# 127.0.0.1:${TRUFFLES_SANDBOX_PORT:-2222}, a real Docker Engine (26, Compose v2) behind it, an
# operator user with a key pair, and the base images the console's stacks need, built without any
# registry. Idempotent: what is already there is left alone, so a second run takes seconds.
# Needs root on Debian 12 (Debian 13 and Ubuntu are tolerated). Stop it with down.sh.
set -euo pipefail

# shellcheck source=test/sandbox/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT=${TRUFFLES_SANDBOX_PORT:-2222}
ADDRESS=127.0.0.1
OP_USER=truffles-op
# A second user with the same key, deliberately NOT in the docker group (tests of refused Docker access).
NODOCKER_USER=truffles-nodocker
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOCK=/var/run/docker.sock
BASE_IMAGE=truffles/debian-base:bookworm
PG_IMAGE=truffles/postgres:15
REDIS_IMAGE=truffles/redis:7
N8N_IMAGE=truffles/n8n:1.123
EDGE_IMAGE=truffles/traefik-standin:3
QDRANT_IMAGE=truffles/qdrant-standin:1.13
HASH_LABEL=org.truffles.context-hash
APT_OPTS=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
export DEBIAN_FRONTEND=noninteractive
T0=$(date +%s)


# ---------------------------------------------------------------------------------------------
# 0. Can it run here at all? (Nothing is changed before this check.)
need() {
	cat >&2 <<EOF
[sandbox] error: $1
[sandbox] The test host needs:
[sandbox]   - root (it installs packages, adds the user $OP_USER, starts sshd and dockerd);
[sandbox]   - Debian 12 (bookworm) with apt-get (Debian 13 and Ubuntu are tolerated);
[sandbox]   - the packages openssh-server, debootstrap, and Docker Engine 26 with Compose v2
[sandbox]     (docker.io, docker-cli, docker-buildx, docker-compose from Debian 13 'trixie',
[sandbox]     pinned at priority 100), which it installs itself through apt.
[sandbox] Run it as root:  sudo bash test/sandbox/up.sh   (or: sudo npm run sandbox)
EOF
	exit 3
}
[ "$(id -u)" = 0 ] || need "not running as root (uid $(id -u))."
command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 || need "apt-get/dpkg not found: this is not Debian or Ubuntu."
OS_ID=$(. /etc/os-release 2>/dev/null && echo "${ID:-}")
OS_LIKE=$(. /etc/os-release 2>/dev/null && echo "${ID_LIKE:-}")
case " $OS_ID $OS_LIKE " in
*" debian "* | *" ubuntu "*) ;;
*) need "unsupported system '${OS_ID:-unknown}' (/etc/os-release): Debian or Ubuntu expected." ;;
esac

mkdir -p "$STATE"
chown root:root "$STATE"
chmod 0755 "$STATE"

# ---------------------------------------------------------------------------------------------
# 1. Packages (apt only when something is actually missing).
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == *'install ok installed'* ]]; }
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
# docker.io >= 26 and the Go compose v2 (not bookworm's Python docker-compose 1.29).
docker_ok_pkgs() {
	installed docker.io && installed docker-buildx || return 1
	dpkg --compare-versions "$(pkg_version docker.io)" ge 26 || return 1
	installed docker-compose-v2 && return 0 # Ubuntu's name for it
	installed docker-compose && dpkg --compare-versions "$(pkg_version docker-compose)" ge 2
}
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

apt_update() {
	# The lists lock is not covered by DPkg::Lock::Timeout: retry while another apt holds it.
	local i out
	for i in $(seq 1 90); do
		if out=$(apt-get "${APT_OPTS[@]}" -q update 2>&1); then
			return 0
		fi
		if grep -qi 'lock' <<<"$out"; then
			[ "$i" = 1 ] && log "waiting for another apt run to release the lists lock..."
			sleep 10
			continue
		fi
		printf '%s\n' "$out" >&2
		die "apt-get update failed."
	done
	die "apt-get update: the apt lists lock stayed held for 15 minutes."
}
apt_install() { apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "$@"; }

# The Debian mirror this machine already uses (for the trixie source and debootstrap).
debian_mirror() {
	local m
	m=$({
		grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
		grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
			sed -E 's/\[[^]]*\]//' | awk '{print $2}'
	} | grep -E '/debian/?$' | grep -v -- '-security' | head -n1 || true)
	echo "${m:-http://deb.debian.org/debian}" | sed -E 's#/+$##'
}
MIRROR=$(debian_mirror)

missing=()
installed openssh-server || missing+=(openssh-server)
installed debootstrap || missing+=(debootstrap)
[ "$OS_ID" = ubuntu ] && ! installed debian-archive-keyring && missing+=(debian-archive-keyring)
installed iptables || missing+=(iptables)
# The host-side backup agent (templates/backup) needs age (encrypts to the fleet's public key),
# jq (manifests), curl (Qdrant's snapshot API) and cron (its schedule where systemd does not run).
for p in age jq curl cron; do installed "$p" || missing+=("$p"); done
need_docker=
docker_ok_pkgs || need_docker=1

if [ ${#missing[@]} -gt 0 ] || [ -n "$need_docker" ]; then
	log "apt-get update (missing: ${missing[*]:-}${need_docker:+ docker-engine-26+compose-v2})"
	apt_update
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		apt_install "${missing[@]}"
	fi
	if [ -n "$need_docker" ] && [ "$OS_ID" = ubuntu ]; then
		log "installing Docker Engine + Compose v2 from Ubuntu (docker.io, docker-buildx, docker-compose-v2)"
		apt_install docker.io docker-buildx docker-compose-v2
	elif [ -n "$need_docker" ]; then
		c_engine=$(candidate docker.io)
		c_compose=$(candidate docker-compose)
		if [ -n "$c_engine" ] && [ "$c_engine" != '(none)' ] && dpkg --compare-versions "$c_engine" ge 26 &&
			[ -n "$c_compose" ] && [ "$c_compose" != '(none)' ] && dpkg --compare-versions "$c_compose" ge 2; then
			log "installing Docker Engine $c_engine + Compose $c_compose (docker.io, docker-cli, docker-buildx, docker-compose)"
			apt_install docker.io docker-cli docker-buildx docker-compose
		else
			# Debian 12: Docker 26 + Compose v2 come from Debian 13 (trixie), pinned at priority 100 so
			# nothing else is taken from it. Only these packages are asked for from trixie ("pkg/trixie"):
			# `apt-get install -t trixie docker-compose` makes trixie the target release for every
			# dependency and upgrades libc6 (2.36 -> 2.41), base-files (the system then calls itself
			# Debian 13), dpkg and libstdc++6 (measured on this machine, Nov 2026 archive).
			log "adding the Debian 13 (trixie) apt source, pinned at priority 100, for Docker 26 + Compose v2 (mirror $MIRROR)"
			cat >/etc/apt/sources.list.d/truffles-sandbox-trixie.sources <<EOF
# Added by Truffles Console's test/sandbox/up.sh: Docker Engine 26 + Compose v2 from Debian 13.
# Pinned at priority 100 (see /etc/apt/preferences.d/truffles-sandbox-trixie): nothing else
# comes from trixie unless asked for by name (pkg/trixie).
Types: deb
URIs: $MIRROR
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
			cat >/etc/apt/preferences.d/truffles-sandbox-trixie <<'EOF'
# Added by Truffles Console's test/sandbox/up.sh.
Package: *
Pin: release n=trixie
Pin-Priority: 100
EOF
			apt_update
			want=(docker-compose/trixie docker.io/trixie docker-cli/trixie docker-buildx/trixie)
			# Refuse a plan that would replace the C library or the release files.
			plan=$(apt-get "${APT_OPTS[@]}" -s install --no-install-recommends "${want[@]}" 2>&1) || {
				printf '%s\n' "$plan" >&2
				die "apt cannot install ${want[*]} (see above)."
			}
			if grep -E '^Inst (libc6|libc-bin|base-files|dpkg) ' <<<"$plan" >&2; then
				die "installing Docker from trixie would upgrade the packages above (C library / release files); refusing. Install Docker Engine >= 26 with Compose v2 by hand and run again."
			fi
			log "installing Docker Engine 26 + Compose v2 from trixie (${want[*]})"
			apt_install "${want[@]}"
		fi
	fi
else
	log "packages present: openssh-server, debootstrap, docker.io $(pkg_version docker.io), docker-compose $(pkg_version docker-compose), docker-buildx $(pkg_version docker-buildx)"
fi
[ -x /usr/bin/docker ] && [ -x /usr/sbin/dockerd ] || die "/usr/bin/docker or /usr/sbin/dockerd is missing after the install."
[ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd is missing after the install."

# The engine's own client from the package: another docker client may come first on PATH (here,
# a docker 28 at /usr/local/bin/docker); the scripts always use this one.
DOCKER=/usr/bin/docker
export DOCKER_HOST=unix://$SOCK

# ---------------------------------------------------------------------------------------------
# 2. The operator user (before dockerd, so the socket gets the docker group).
getent group docker >/dev/null || groupadd --system docker
if ! id "$OP_USER" >/dev/null 2>&1; then
	log "creating user $OP_USER"
	useradd -m -s /bin/bash "$OP_USER"
fi
# A new user is locked ('!' in shadow) and sshd refuses locked users without PAM: '*' = no password, not locked.
case "$(getent shadow "$OP_USER" | cut -d: -f2)" in
'*') ;;
*) usermod -p '*' "$OP_USER" ;;
esac
if ! id -nG "$OP_USER" | tr ' ' '\n' | grep -qx docker; then
	usermod -aG docker "$OP_USER"
fi
if ! id "$NODOCKER_USER" >/dev/null 2>&1; then
	log "creating user $NODOCKER_USER (not in the docker group)"
	useradd -m -s /bin/bash "$NODOCKER_USER"
fi
case "$(getent shadow "$NODOCKER_USER" | cut -d: -f2)" in
'*') ;;
*) usermod -p '*' "$NODOCKER_USER" ;;
esac
if id -nG "$NODOCKER_USER" | tr ' ' '\n' | grep -qx docker; then
	gpasswd -d "$NODOCKER_USER" docker >/dev/null
fi

# The platform's state folder on a host (tenants, locks, audit trail), prepared the way the
# host-preflight fix tells an administrator to: owned by the operator user, closed to others.
install -d -o "$OP_USER" -g "$OP_USER" -m 0750 /opt/truffles

KEY=$STATE/operator_ed25519
if [ ! -s "$KEY" ] || [ ! -s "$KEY.pub" ]; then
	log "generating the operator key $KEY"
	rm -f "$KEY" "$KEY.pub"
	ssh-keygen -q -t ed25519 -N '' -C "$OP_USER@truffles-sandbox" -f "$KEY"
fi
chown root:root "$KEY" "$KEY.pub"
chmod 0600 "$KEY"
chmod 0644 "$KEY.pub"
mkdir -p "$STATE/authorized_keys"
chown root:root "$STATE/authorized_keys"
chmod 0755 "$STATE/authorized_keys"
for u in "$OP_USER" "$NODOCKER_USER"; do
	if ! cmp -s "$KEY.pub" "$STATE/authorized_keys/$u"; then
		install -o root -g root -m 0644 "$KEY.pub" "$STATE/authorized_keys/$u"
	fi
done

# ---------------------------------------------------------------------------------------------
# 3. Docker Engine.
live_dockerds() {
	local p out=
	for p in $(pgrep -x dockerd || true); do alive "$p" && out+="$p "; done
	echo "${out% }"
}
docker_answers() { timeout 10 "$DOCKER" info >/dev/null 2>&1; }
if docker_answers; then
	if [ -f "$STATE/dockerd.started-by-sandbox" ]; then
		log "dockerd is running (started by the sandbox, pid $(cat "$STATE/dockerd.pid" 2>/dev/null || echo '?'))"
	else
		log "dockerd is running (not started by the sandbox; down.sh will leave it)"
	fi
else
	if [ -n "$(live_dockerds)" ]; then
		die "a dockerd runs (pid $(live_dockerds)) but does not answer on $SOCK; stop it or fix it first."
	fi
	log "starting dockerd (log: $STATE/dockerd.log)"
	rm -f "$STATE/dockerd.started-by-sandbox" "$STATE/network-verified"
	printf '\n==== %s up.sh starts dockerd ====\n' "$(date -Is)" >>"$STATE/dockerd.log"
	# A stale pidfile from a killed dockerd would stop it from starting.
	for pf in "$STATE/dockerd.pid" /var/run/docker.pid; do
		if [ -f "$pf" ] && ! alive "$(cat "$pf" 2>/dev/null)"; then rm -f "$pf"; fi
	done
	setsid nohup /usr/sbin/dockerd --host "unix://$SOCK" --group docker --pidfile "$STATE/dockerd.pid" \
		</dev/null >>"$STATE/dockerd.log" 2>&1 &
	dpid=$!
	touch "$STATE/dockerd.started-by-sandbox"
	for i in $(seq 1 120); do
		docker_answers && break
		if ! alive "$dpid"; then
			tail -n 40 "$STATE/dockerd.log" >&2 || true
			rm -f "$STATE/dockerd.started-by-sandbox"
			die "dockerd exited while starting; the end of $STATE/dockerd.log is above."
		fi
		sleep 0.5
	done
	if ! docker_answers; then
		tail -n 40 "$STATE/dockerd.log" >&2 || true
		die "dockerd did not answer on $SOCK within 60 s; the end of $STATE/dockerd.log is above."
	fi
	log "dockerd answers (pid $(cat "$STATE/dockerd.pid" 2>/dev/null || echo "$dpid"))"
fi
DOCKER_VERSION=$("$DOCKER" version -f '{{.Server.Version}}')
COMPOSE_VERSION=$("$DOCKER" compose version --short 2>/dev/null | sed 's/^v//' || true)
case "$COMPOSE_VERSION" in
2.* | 3.* | 4.*) ;;
*) die "'$DOCKER compose version' does not report Compose v2 (got '${COMPOSE_VERSION}'); is the docker-compose package from trixie installed?" ;;
esac
"$DOCKER" buildx version >/dev/null 2>&1 || die "'$DOCKER buildx version' fails: docker-buildx is missing."
# The client first on PATH (what an operator types) must see the plugins too.
PATH_DOCKER=$(command -v docker || true)
if [ -n "$PATH_DOCKER" ] && [ "$PATH_DOCKER" != "$DOCKER" ]; then
	if ! "$PATH_DOCKER" compose version >/dev/null 2>&1 || ! "$PATH_DOCKER" buildx version >/dev/null 2>&1; then
		log "warning: $PATH_DOCKER (first on PATH, $("$PATH_DOCKER" version -f '{{.Client.Version}}' 2>/dev/null || echo '?')) does not find the compose/buildx plugins; use $DOCKER"
	fi
fi
sock_group=$(stat -c %G "$SOCK")
[ "$sock_group" = docker ] || log "warning: $SOCK belongs to group '$sock_group', not 'docker': $OP_USER cannot use it (restart that dockerd with --group docker)"

# ---------------------------------------------------------------------------------------------
# 4. Images, built without a registry; rebuilt only when their build context changes.
image_hash() { "$DOCKER" image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true; }
image_id() { "$DOCKER" image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

BASE_HASH=$(printf 'debootstrap --variant=minbase bookworm %s\nrecipe 1\n' "$MIRROR" | sha256sum | cut -c1-64)
if [ "$(image_hash "$BASE_IMAGE")" = "$BASE_HASH" ]; then
	log "$BASE_IMAGE is up to date"
else
	log "building $BASE_IMAGE with debootstrap --variant=minbase bookworm $MIRROR (about a minute)"
	ROOTFS=$(mktemp -d /var/tmp/truffles-sandbox-rootfs.XXXXXX)
	cleanup_rootfs() {
		# A failed debootstrap can leave proc/sys mounted inside the tree: unmount before deleting.
		awk -v r="$ROOTFS/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null || true
		rm -rf --one-file-system "$ROOTFS"
	}
	trap cleanup_rootfs EXIT
	if ! debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$STATE/debootstrap.log" 2>&1; then
		tail -n 30 "$STATE/debootstrap.log" >&2 || true
		die "debootstrap failed; the end of $STATE/debootstrap.log is above."
	fi
	rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/debootstrap
	printf 'deb %s bookworm main\n' "$MIRROR" >"$ROOTFS/etc/apt/sources.list"
	# No recommends, no apt cache in images, like the official Debian images.
	printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$ROOTFS/etc/apt/apt.conf.d/90truffles-norecommends"
	tar --numeric-owner -C "$ROOTFS" -c . |
		"$DOCKER" import \
			--change "LABEL $HASH_LABEL=$BASE_HASH" \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'CMD ["bash"]' \
			- "$BASE_IMAGE" >/dev/null
	cleanup_rootfs
	trap - EXIT
	log "$BASE_IMAGE built"
fi

# A build context's hash: every file's path and content, plus the base image it builds FROM.
context_hash() {
	{
		(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
		image_id "$BASE_IMAGE"
	} | sha256sum | cut -c1-64
}
build_image() { # name context [extra docker build options...]
	local name=$1 ctx=$2 h
	shift 2
	h=$(context_hash "$ctx")
	if [ "$(image_hash "$name")" = "$h" ]; then
		log "$name is up to date"
		return 0
	fi
	log "building $name from $ctx (log: $STATE/build-${name//[\/:]/_}.log)"
	if ! "$DOCKER" build "$@" --label "$HASH_LABEL=$h" -t "$name" "$ctx" >"$STATE/build-${name//[\/:]/_}.log" 2>&1; then
		tail -n 30 "$STATE/build-${name//[\/:]/_}.log" >&2 || true
		die "building $name failed; the end of its log is above."
	fi
	log "$name built"
}
build_image "$PG_IMAGE" "$HERE/images/postgres"
build_image "$REDIS_IMAGE" "$HERE/images/redis"
# Stand-ins for what cannot be had here (no registry): they speak the real protocol subset the
# console uses, and say so. See their READMEs.
build_image "$EDGE_IMAGE" "$HERE/images/edge-standin"
build_image "$QDRANT_IMAGE" "$HERE/images/qdrant-standin"
# Real n8n from the npm registry (~5 min the first time). The host's CA bundle is handed to the
# build as a secret (TLS-inspecting proxies), never kept in the image.
build_image "$N8N_IMAGE" "$HERE/images/n8n" --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt

# ---------------------------------------------------------------------------------------------
# 5. Bridge networking: containers reach each other by name on a user network, ports publish.
#    Checked once per dockerd (the marker holds that dockerd's pid).
DOCKERD_PID=$(live_dockerds)
DOCKERD_PID=${DOCKERD_PID%% *}
if [ -n "$DOCKERD_PID" ] && [ "$(cat "$STATE/network-verified" 2>/dev/null || true)" = "$DOCKERD_PID" ]; then
	log "bridge networking was verified for this dockerd (pid $DOCKERD_PID)"
else
	log "verifying bridge networking (user network, container to container, published port)"
	NET=truffles-sandbox-netcheck
	cleanup_net() {
		"$DOCKER" rm -f truffles-sandbox-netcheck-redis >/dev/null 2>&1 || true
		"$DOCKER" network rm "$NET" >/dev/null 2>&1 || true
	}
	cleanup_net
	"$DOCKER" network create "$NET" >/dev/null
	"$DOCKER" run -d --name truffles-sandbox-netcheck-redis --network "$NET" -p 127.0.0.1::6379 "$REDIS_IMAGE" >/dev/null
	hostport=$("$DOCKER" port truffles-sandbox-netcheck-redis 6379/tcp | head -n1 | sed 's/.*://')
	ok_c2c= ok_pub=
	for i in $(seq 1 40); do
		if [ -z "$ok_c2c" ] && "$DOCKER" run --rm --network "$NET" "$REDIS_IMAGE" \
			redis-cli -h truffles-sandbox-netcheck-redis ping 2>/dev/null | grep -q PONG; then ok_c2c=1; fi
		if [ -z "$ok_pub" ] && reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "PING\r\n" >&3; head -c 7 <&3' _ "$hostport" 2>/dev/null) &&
			[ "${reply%$'\r'*}" = "+PONG" ]; then ok_pub=1; fi
		[ -n "$ok_c2c" ] && [ -n "$ok_pub" ] && break
		sleep 0.5
	done
	cleanup_net
	[ -n "$ok_c2c" ] || die "containers on a user network cannot reach each other by name (see $STATE/dockerd.log)."
	[ -n "$ok_pub" ] || die "a published port (127.0.0.1:$hostport -> 6379) does not answer (see $STATE/dockerd.log)."
	echo "$DOCKERD_PID" >"$STATE/network-verified"
	log "bridge networking works"
fi

# ---------------------------------------------------------------------------------------------
# 6. The sandbox's own sshd (the system's sshd and its config are not touched).
HOSTKEY=$STATE/ssh_host_ed25519_key
if [ ! -s "$HOSTKEY" ] || [ ! -s "$HOSTKEY.pub" ]; then
	log "generating the sandbox sshd host key"
	rm -f "$HOSTKEY" "$HOSTKEY.pub"
	ssh-keygen -q -t ed25519 -N '' -C truffles-sandbox-host -f "$HOSTKEY"
fi
chmod 0600 "$HOSTKEY"
mkdir -p /run/sshd
chmod 0755 /run/sshd

CONF=$STATE/sshd_config
cat >"$CONF.new" <<EOF
# The Truffles sandbox's own sshd (test/sandbox/up.sh); not the system's sshd.
ListenAddress $ADDRESS
Port $PORT
HostKey "$HOSTKEY"
PidFile "$STATE/sshd.pid"
# The sandbox's own keys, then the account's own file (where \`truffles access grant\` adds people).
AuthorizedKeysFile "$STATE/authorized_keys/%u" .ssh/authorized_keys
# Each session learns which key logged in (\$SSH_USER_AUTH): the audit trail names people by it.
# truffles-support: the support account \`truffles access grant --role support\` makes (issue 17).
ExposeAuthInfo yes
AllowUsers $OP_USER $NODOCKER_USER truffles-support
PermitRootLogin no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowStreamLocalForwarding yes
AllowTcpForwarding yes
StrictModes yes
LogLevel VERBOSE
# Tests open many connections at once: no random drops of unauthenticated ones.
MaxStartups 100
MaxSessions 64
Subsystem sftp internal-sftp
EOF
port_answers() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && head -c 4 <&3' _ "$1" "$2" 2>/dev/null | grep -q '^SSH-'; }
port_in_use() { port_answers "$1" "$2" || timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }
# Is the pid in the pidfile our sshd (and not a recycled pid)?
sshd_pid() {
	local p
	p=$(cat "$STATE/sshd.pid" 2>/dev/null || true)
	alive "$p" && [[ "$(cmdline "$p")" == *"-f $CONF"* ]] && echo "$p"
}
stop_sshd() {
	local p
	p=$(sshd_pid || true)
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null || true
	for i in $(seq 1 50); do alive "$p" || break; sleep 0.1; done
	alive "$p" && kill -9 "$p" 2>/dev/null || true
	rm -f "$STATE/sshd.pid"
}
start_sshd() {
	printf '\n==== %s up.sh starts sshd ====\n' "$(date -Is)" >>"$STATE/sshd.log"
	# sshd daemonizes before it binds: success shows as the pid file plus an SSH banner on the port.
	/usr/sbin/sshd -f "$CONF" -E "$STATE/sshd.log" || die "sshd did not start (see $STATE/sshd.log)."
	for i in $(seq 1 50); do
		[ -n "$(sshd_pid || true)" ] && port_answers "$ADDRESS" "$PORT" && return 0
		sleep 0.1
	done
	tail -n 20 "$STATE/sshd.log" >&2 || true
	die "the sandbox sshd does not answer on $ADDRESS:$PORT; the end of $STATE/sshd.log is above."
}

running=$(sshd_pid || true)
running_port=$(awk '$1 == "Port" {print $2; exit}' "$CONF" 2>/dev/null || true)
if [ -n "$running" ] && cmp -s "$CONF.new" "$CONF" && port_answers "$ADDRESS" "$PORT"; then
	rm -f "$CONF.new"
	log "sshd is running on $ADDRESS:$PORT (pid $running)"
else
	# Before stopping anything: is the port free, or ours?
	if port_in_use "$ADDRESS" "$PORT" && ! { [ -n "$running" ] && [ "$running_port" = "$PORT" ]; }; then
		rm -f "$CONF.new"
		die "port $ADDRESS:$PORT is taken by another program; set TRUFFLES_SANDBOX_PORT to a free port."
	fi
	/usr/sbin/sshd -t -f "$CONF.new" || die "sshd rejects the generated config $CONF.new (see above)."
	if [ -n "$running" ]; then
		if cmp -s "$CONF.new" "$CONF"; then log "restarting sshd (not answering)"; else log "restarting sshd (its config changed)"; fi
		stop_sshd
	fi
	mv "$CONF.new" "$CONF"
	log "starting sshd on $ADDRESS:$PORT (log: $STATE/sshd.log)"
	start_sshd
	log "sshd answers (pid $(sshd_pid || echo '?'))"
fi

# ---------------------------------------------------------------------------------------------
# 7. What the tests and the operator need: sandbox.env and sandbox.json.
FINGERPRINT=$(ssh-keygen -lf "$HOSTKEY.pub" | awk '{print $2}')
json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
{
	echo "# Written by test/sandbox/up.sh at $(date -Is)"
	echo "TRUFFLES_SANDBOX_ADDRESS=$(shq "$ADDRESS")"
	echo "TRUFFLES_SANDBOX_PORT=$(shq "$PORT")"
	echo "TRUFFLES_SANDBOX_USER=$(shq "$OP_USER")"
	echo "TRUFFLES_SANDBOX_NODOCKER_USER=$(shq "$NODOCKER_USER")"
	echo "TRUFFLES_SANDBOX_KEY=$(shq "$KEY")"
	echo "TRUFFLES_SANDBOX_FINGERPRINT=$(shq "$FINGERPRINT")"
	echo "TRUFFLES_SANDBOX_HOST_PUBLIC_KEY=$(shq "$HOSTKEY.pub")"
	echo "TRUFFLES_SANDBOX_DOCKER_VERSION=$(shq "$DOCKER_VERSION")"
	echo "TRUFFLES_SANDBOX_COMPOSE_VERSION=$(shq "$COMPOSE_VERSION")"
	echo "TRUFFLES_SANDBOX_DOCKER_SOCKET=$(shq "$SOCK")"
	echo "TRUFFLES_SANDBOX_DIR=$(shq "$STATE")"
	echo "TRUFFLES_SANDBOX_IMAGE_BASE=$(shq "$BASE_IMAGE")"
	echo "TRUFFLES_SANDBOX_IMAGE_POSTGRES=$(shq "$PG_IMAGE")"
	echo "TRUFFLES_SANDBOX_IMAGE_REDIS=$(shq "$REDIS_IMAGE")"
	echo "TRUFFLES_SANDBOX_IMAGE_N8N=$(shq "$N8N_IMAGE")"
	echo "TRUFFLES_SANDBOX_IMAGE_EDGE=$(shq "$EDGE_IMAGE")"
	echo "TRUFFLES_SANDBOX_IMAGE_QDRANT=$(shq "$QDRANT_IMAGE")"
} >"$STATE/sandbox.env.tmp"
mv "$STATE/sandbox.env.tmp" "$STATE/sandbox.env"
{
	echo "{"
	echo "  \"address\": $(json_str "$ADDRESS"),"
	echo "  \"port\": $PORT,"
	echo "  \"user\": $(json_str "$OP_USER"),"
	echo "  \"noDockerUser\": $(json_str "$NODOCKER_USER"),"
	echo "  \"keyPath\": $(json_str "$KEY"),"
	echo "  \"fingerprint\": $(json_str "$FINGERPRINT"),"
	echo "  \"hostPublicKeyPath\": $(json_str "$HOSTKEY.pub"),"
	echo "  \"dockerVersion\": $(json_str "$DOCKER_VERSION"),"
	echo "  \"composeVersion\": $(json_str "$COMPOSE_VERSION"),"
	echo "  \"dockerSocket\": $(json_str "$SOCK"),"
	echo "  \"stateDir\": $(json_str "$STATE"),"
	echo "  \"images\": { \"base\": $(json_str "$BASE_IMAGE"), \"postgres\": $(json_str "$PG_IMAGE"), \"redis\": $(json_str "$REDIS_IMAGE"), \"n8n\": $(json_str "$N8N_IMAGE"), \"traefik\": $(json_str "$EDGE_IMAGE"), \"qdrant\": $(json_str "$QDRANT_IMAGE") }"
	echo "}"
} >"$STATE/sandbox.json.tmp"
mv "$STATE/sandbox.json.tmp" "$STATE/sandbox.json"

# What a killed test run left (tenants restart with dockerd): gone before any test starts.
bash "$HERE/sweep.sh"

log "ready in $(($(date +%s) - T0)) s: sshd $ADDRESS:$PORT, Docker $DOCKER_VERSION, Compose $COMPOSE_VERSION"
if [ "$STATE" = /var/lib/truffles-sandbox ]; then stop_cmd="bash $HERE/down.sh"; else stop_cmd="TRUFFLES_SANDBOX_DIR=$STATE bash $HERE/down.sh"; fi
log "state: $STATE (sandbox.env, sandbox.json); stop with: $stop_cmd"
cat <<EOF
[sandbox]
[sandbox] Add the sandbox host to the console:
[sandbox]   npx truffles host add sandbox --address $ADDRESS --port $PORT --user $OP_USER --key $KEY --accept-fingerprint $FINGERPRINT
[sandbox] or in the UI (Hosts, Add host):
[sandbox]   name: sandbox   address: $ADDRESS   port: $PORT   user: $OP_USER
[sandbox]   key file: $KEY
[sandbox]   host key fingerprint: $FINGERPRINT
EOF
