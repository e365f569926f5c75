#!/usr/bin/env bash
# Self-check of truffles/traefik-standin:3 (a STAND-IN for traefik:v3, NOT Traefik) against the real
# Docker Engine of the test host: runs the stand-in with the production-like command line, the Docker
# socket mounted read-only and its ports published on 127.0.0.1 high ports, starts backend containers
# with Traefik labels, and checks with curl what a client sees. Cleans up what it created (containers,
# its private network, and web_gateway only when it did not exist before).
#
#   bash test/sandbox/images/edge-standin/selftest.sh            # image must exist (up.sh builds it)
#   bash test/sandbox/images/edge-standin/selftest.sh --build    # (re)build it first
#
# Environment: DOCKER (/usr/bin/docker), DOCKER_HOST, IMAGE, HTTP_PORT (18080), HTTPS_PORT (18443),
# API_PORT (18081).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DOCKER=${DOCKER:-/usr/bin/docker}
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
IMAGE=${IMAGE:-truffles/traefik-standin:3}
HTTP_PORT=${HTTP_PORT:-18080}
HTTPS_PORT=${HTTPS_PORT:-18443}
API_PORT=${API_PORT:-18081}
NET=web_gateway
ID=st$$
P=truffles-edge-selftest-$ID
D=$ID.test.local # every host name of this run ends with it, so runs never share a route
TMP=$(mktemp -d /tmp/edge-selftest.XXXXXX)
CREATED_NET=

pass=0
fail=0
ok() {
	pass=$((pass + 1))
	printf 'ok - %s\n' "$1"
}
bad() {
	fail=$((fail + 1))
	printf 'not ok - %s\n' "$1"
	[ -z "${2:-}" ] || printf '    %s\n' "${2:0:600}"
}
# check NAME EXPECTED ACTUAL: ACTUAL must contain EXPECTED.
check() {
	if [[ "$3" == *"$2"* ]]; then ok "$1"; else bad "$1" "expected to contain: $2 | got: $3"; fi
}
# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$3" = "$2" ]; then ok "$1"; else bad "$1" "expected: $2 | got: $3"; fi
}
# eventually NAME EXPECTED TIMEOUT_S CMD...: retries CMD until its output contains EXPECTED.
eventually() {
	local name=$1 want=$2 secs=$3 out=
	shift 3
	local end=$((SECONDS + secs))
	while :; do
		out=$("$@" 2>&1 || true)
		[[ "$out" == *"$want"* ]] && {
			ok "$name"
			return 0
		}
		[ "$SECONDS" -ge "$end" ] && break
		sleep 0.3
	done
	bad "$name" "expected to contain: $want | last: $out"
}

cleanup() {
	local ids
	ids=$("$DOCKER" ps -aq --filter "name=^$P-" 2>/dev/null || true)
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086
		"$DOCKER" rm -f $ids >/dev/null 2>&1 || true
	fi
	"$DOCKER" network rm "$P-private" >/dev/null 2>&1 || true
	[ -z "$CREATED_NET" ] || "$DOCKER" network rm "$NET" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "${1:-}" = --build ] || ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
	echo "# building $IMAGE from $HERE"
	"$DOCKER" build -q -t "$IMAGE" "$HERE" >/dev/null
fi

# ---------------------------------------------------------------------------------------------
# The unit checks of the stand-in's own parts, run with the image's Node (Debian bookworm's).
echo "# unit checks (inside $IMAGE)"
unit_out=$("$DOCKER" run --rm --entrypoint node -v "$HERE:/src:ro" "$IMAGE" /src/unit.mjs 2>&1) || true
while IFS= read -r line; do
	case "$line" in
	'ok '*) ok "unit: ${line#ok - }" ;;
	'not ok '*) bad "unit: ${line#not ok - }" ;;
	*) printf '    %s\n' "$line" ;;
	esac
done <<<"$unit_out"

# ---------------------------------------------------------------------------------------------
if "$DOCKER" network inspect "$NET" >/dev/null 2>&1; then
	echo "# network $NET exists already (it is left in place)"
else
	"$DOCKER" network create "$NET" >/dev/null
	CREATED_NET=1
	echo "# network $NET created (removed at the end)"
fi
"$DOCKER" network create "$P-private" >/dev/null
mkdir -p "$TMP/letsencrypt"

# The backends: one Node program (from the stand-in image's own Node) that answers with what it
# received, streams /big/<n> bytes, and echoes raw bytes after a websocket handshake.
cat >"$TMP/backend.js" <<'EOF'
const http = require('http');
const crypto = require('crypto');
const who = process.env.WHO || '?';
const srv = http.createServer((req, res) => {
  const big = /^\/big\/(\d+)$/.exec(req.url);
  if (big) {
    let left = Number(big[1]);
    const chunk = Buffer.alloc(65536, 'x');
    const more = () => {
      while (left > 0) {
        const c = chunk.subarray(0, Math.min(left, chunk.length));
        left -= c.length;
        if (!res.write(c)) return res.once('drain', more);
      }
      res.end();
    };
    return more();
  }
  const h = crypto.createHash('sha256');
  let n = 0;
  req.on('data', (c) => { h.update(c); n += c.length; });
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.end(JSON.stringify({
      who, method: req.method, url: req.url, host: req.headers.host,
      xff: req.headers['x-forwarded-for'] || null, proto: req.headers['x-forwarded-proto'] || null,
      xfhost: req.headers['x-forwarded-host'] || null, xfprefix: req.headers['x-forwarded-prefix'] || null,
      auth: req.headers.authorization || null, bytes: n, sha256: h.digest('hex'),
    }) + '\n');
  });
});
srv.on('upgrade', (req, sock) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\n\r\n');
  sock.on('data', (d) => sock.write(d));
});
srv.listen(8000);
EOF

# backend NAME WHO NETWORK LABEL...: a backend container (not started).
backend() {
	local name=$1 who=$2 net=$3
	shift 3
	local labels=()
	for l in "$@"; do labels+=(--label "$l"); done
	"$DOCKER" create --name "$P-$name" --network "$net" -e WHO="$who" -v "$TMP/backend.js:/backend.js:ro" \
		"${labels[@]}" --entrypoint node "$IMAGE" /backend.js >/dev/null
}
# router NAME HOST: the labels of a TLS router on websecure with the le resolver, port 8000.
router() {
	printf '%s\n' traefik.enable=true "traefik.docker.network=$NET" \
		"traefik.http.routers.$1.rule=Host(\`$2\`)" "traefik.http.routers.$1.entrypoints=websecure" \
		"traefik.http.routers.$1.tls=true" "traefik.http.routers.$1.tls.certresolver=le" \
		"traefik.http.services.$1.loadbalancer.server.port=8000"
}
https_get() { # HOST PATH [curl args...]
	local host=$1 path=$2
	shift 2
	curl -sS -k --max-time 10 --resolve "$host:$HTTPS_PORT:127.0.0.1" "$@" "https://$host:$HTTPS_PORT$path"
}
# For polling: a try that goes to a container that has just stopped waits for a connection to an
# address that is gone (as with Traefik, until its 30 s dial timeout), so each try is kept short.
https_try() { https_get "$@" --max-time 2; }

# ---------------------------------------------------------------------------------------------
echo "# starting the edge ($IMAGE) on 127.0.0.1:$HTTP_PORT (web), :$HTTPS_PORT (websecure), :$API_PORT (traefik)"
mapfile -t A_LABELS < <(router "$P-a" "a.$D")
backend a a "$NET" "${A_LABELS[@]}"
"$DOCKER" start "$P-a" >/dev/null # before the edge: found by the initial listing

"$DOCKER" run -d --name "$P-edge" --network "$NET" \
	-v /var/run/docker.sock:/var/run/docker.sock:ro -v "$TMP/letsencrypt:/letsencrypt" \
	-p "127.0.0.1:$HTTP_PORT:80" -p "127.0.0.1:$HTTPS_PORT:443" -p "127.0.0.1:$API_PORT:8080" \
	--health-cmd 'traefik healthcheck --ping' --health-interval 1s --health-timeout 5s --health-retries 30 \
	"$IMAGE" \
	--log.level=INFO --accesslog=true \
	--api.dashboard=true --api.insecure=true --ping=true \
	--entrypoints.web.address=:80 \
	--entrypoints.web.http.redirections.entrypoint.to=websecure \
	--entrypoints.web.http.redirections.entrypoint.scheme=https \
	--entrypoints.websecure.address=:443 \
	--providers.docker=true --providers.docker.exposedbydefault=false \
	--providers.docker.network="$NET" --providers.docker.endpoint=unix:///var/run/docker.sock \
	--certificatesresolvers.le.acme.email=ops@example.com \
	--certificatesresolvers.le.acme.storage=/letsencrypt/acme.json \
	--certificatesresolvers.le.acme.httpchallenge.entrypoint=web \
	--global.sendanonymoususage=false --metrics.prometheus=true >/dev/null

eventually "the edge turns healthy through its healthcheck (traefik healthcheck --ping)" healthy 30 \
	"$DOCKER" inspect -f '{{.State.Health.Status}}' "$P-edge"
logs=$("$DOCKER" logs "$P-edge" 2>&1)
check "it says on start that it is a stand-in, not Traefik" "THIS IS NOT TRAEFIK" "$logs"
check "an unknown/unimplemented flag is logged and ignored" "flag --metrics.prometheus ignored" "$logs"
check "traefik healthcheck --ping prints Traefik's answer" "OK: http://:8080/ping" \
	"$("$DOCKER" exec "$P-edge" traefik healthcheck --ping 2>&1)"
check "traefik version says stand-in" "NOT Traefik" "$("$DOCKER" exec "$P-edge" traefik version 2>&1)"
check_eq "GET /ping on the traefik entry point answers OK" "OK" "$(curl -sS --max-time 5 "http://127.0.0.1:$API_PORT/ping")"
check_eq "wget is in the image, as busybox wget is in the real one" "OK" \
	"$("$DOCKER" exec "$P-edge" wget -qO- http://127.0.0.1:8080/ping 2>&1)"
check_eq "the ACME storage file is created with mode 600" "600" "$(stat -c %a "$TMP/letsencrypt/acme.json" 2>&1)"

# ---------------------------------------------------------------------------------------------
mapfile -t B_LABELS < <(router "$P-b" "b.$D")
backend b b "$P-private" "${B_LABELS[@]}" # on two networks: the label picks web_gateway's address
"$DOCKER" network connect "$NET" "$P-b"
"$DOCKER" start "$P-b" >/dev/null

eventually "a.$D reaches backend a (https, SNI + Host)" '"who":"a"' 10 https_try "a.$D" /hello
eventually "b.$D reaches backend b (on two networks, traefik.docker.network picks web_gateway)" '"who":"b"' 10 https_try "b.$D" /x
out=$(https_get "a.$D" '/p/q?x=1')
check "the Host header is kept" "\"host\":\"a.$D:$HTTPS_PORT\"" "$out"
check "X-Forwarded-Proto is https" '"proto":"https"' "$out"
check "X-Forwarded-Host is the client's Host" "\"xfhost\":\"a.$D:$HTTPS_PORT\"" "$out"
check "X-Forwarded-For is set" '"xff":"' "$out"
check "path and query go through unchanged" '"url":"/p/q?x=1"' "$out"
check "both Set-Cookie headers of the backend come back" "set-cookie: b=2" \
	"$(https_get "a.$D" / -D - -o /dev/null | tr -d '\r' | tr 'A-Z' 'a-z' | grep set-cookie | tr '\n' ' ')"
out=$(https_get "nobody.$D" / -w ' %{http_code}')
check_eq "an unknown host gets Traefik's 404" "404 page not found
 404" "$out"
check "the certificate is the self-signed default one (no ACME here)" "TRAEFIK DEFAULT CERT" \
	"$(openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername "a.$D" </dev/null 2>/dev/null | openssl x509 -noout -subject 2>&1)"

# Streaming both ways: a 5 MiB upload reaches the backend intact, a 20 MiB download comes back whole.
head -c 5242880 /dev/urandom >"$TMP/upload.bin"
want=$(sha256sum "$TMP/upload.bin" | cut -d' ' -f1)
out=$(https_get "a.$D" /upload -X POST --data-binary "@$TMP/upload.bin" -H 'Content-Type: application/octet-stream')
check "a 5 MiB POST body is streamed to the backend intact" "\"bytes\":5242880,\"sha256\":\"$want\"" "$out"
check_eq "a 20 MiB response is streamed back whole" "20971520" "$(https_get "a.$D" /big/20971520 -o /dev/null -w '%{size_download}')"

# web (:80): every request is redirected to websecure, 301 for GET and 308 for other methods.
out=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: a.$D" "http://127.0.0.1:$HTTP_PORT/some/path?q=1")
check_eq "web redirects GET to https (301, websecure's port 443 left out)" "301 https://a.$D/some/path?q=1" "$out"
out=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST -H "Host: a.$D" "http://127.0.0.1:$HTTP_PORT/form")
check_eq "web redirects POST with 308" "308" "$out"
out=$(curl -sS --max-time 5 -w ' %{http_code}' -H "Host: a.$D" "http://127.0.0.1:$HTTP_PORT/.well-known/acme-challenge/tok")
check_eq "the ACME HTTP challenge path on web is not redirected (404, no ACME here)" "404 page not found
 404" "$out"

# ---------------------------------------------------------------------------------------------
# The API, shaped like Traefik's.
routers=$(curl -sS --max-time 5 "http://127.0.0.1:$API_PORT/api/http/routers")
check "API /api/http/routers lists the router as <name>@docker" "\"name\":\"$P-a@docker\"" "$routers"
check "API router fields are Traefik's" "\"entryPoints\":[\"websecure\"],\"service\":\"$P-a\",\"rule\":\"Host(\`a.$D\`)\",\"tls\":{\"options\":\"default\",\"certResolver\":\"le\"},\"status\":\"enabled\",\"using\":[\"websecure\"]" "$routers"
check "API lists Traefik's internal routers too" '"name":"ping@internal"' "$routers"
check "API shows the entry-point redirection router" '"name":"web-to-websecure@internal"' "$routers"
check "API /api/http/services shows the backend's address" "\"name\":\"$P-a@docker\"" \
	"$(curl -sS --max-time 5 "http://127.0.0.1:$API_PORT/api/http/services")"
check "API /api/http/routers/{name}" "\"status\":\"enabled\"" \
	"$(curl -sS --max-time 5 "http://127.0.0.1:$API_PORT/api/http/routers/$P-b@docker")"
check "API /api/rawdata" "\"$P-b@docker\"" "$(curl -sS --max-time 5 "http://127.0.0.1:$API_PORT/api/rawdata")"
check "API /api/overview" '"providers":["Docker"]' "$(curl -sS --max-time 5 "http://127.0.0.1:$API_PORT/api/overview")"

# ---------------------------------------------------------------------------------------------
# Live updates from Docker events.
mapfile -t C_LABELS < <(router "$P-c" "c.$D")
backend c c "$NET" "${C_LABELS[@]}"
"$DOCKER" start "$P-c" >/dev/null
eventually "a backend started after the edge is picked up from the events" '"who":"c"' 10 https_try "c.$D" /
"$DOCKER" stop -t 1 "$P-b" >/dev/null
eventually "a stopped backend disappears (404)" "404 page not found" 10 https_try "b.$D" /

# ---------------------------------------------------------------------------------------------
# basicAuth: apr1 (made with openssl, as an operator would), bcrypt ($2y$, from htpasswd -B) and {SHA}.
APR=$("$DOCKER" run --rm --entrypoint openssl "$IMAGE" passwd -apr1 'alice-secret')
SHA="{SHA}$(printf %s 'erin-secret' | openssl sha1 -binary | base64)"
BCRYPT='$2y$10$147aRWq5HiE779QYiKzQwuCqHPIPPn0oOZn4AovUtscSjNPr7JyFy' # carol / carol-b-secret
mapfile -t AUTH_LABELS < <(router "$P-auth" "auth.$D")
AUTH_LABELS+=("traefik.http.routers.$P-auth.middlewares=$P-auth-mw"
	"traefik.http.middlewares.$P-auth-mw.basicauth.users=alice:$APR,carol:$BCRYPT,erin:$SHA"
	"traefik.http.middlewares.$P-auth-mw.basicauth.removeheader=true"
	# The API/dashboard published on a host name behind the same basicAuth (service api@internal).
	"traefik.http.routers.$P-dash.rule=Host(\`traefik.$D\`)" "traefik.http.routers.$P-dash.entrypoints=websecure"
	"traefik.http.routers.$P-dash.tls=true" "traefik.http.routers.$P-dash.service=api@internal"
	"traefik.http.routers.$P-dash.middlewares=$P-auth-mw")
backend auth auth "$NET" "${AUTH_LABELS[@]}"
"$DOCKER" start "$P-auth" >/dev/null
eventually "basicAuth: no credentials -> 401" "401" 10 https_try "auth.$D" / -o /dev/null -w '%{http_code}'
check "basicAuth: 401 carries WWW-Authenticate Basic realm=\"traefik\"" 'www-authenticate: basic realm="traefik"' \
	"$(https_get "auth.$D" / -D - -o /dev/null | tr -d '\r' | tr 'A-Z' 'a-z')"
check_eq "basicAuth: wrong password -> 401" "401" "$(https_get "auth.$D" / -u alice:nope -o /dev/null -w '%{http_code}')"
# (polled: the container was just started, and like Traefik the stand-in routes to it before its
# server listens — 502 until then; a healthcheck on the backend is what holds Traefik back)
eventually "basicAuth: apr1 user -> 200" "200" 10 https_try "auth.$D" / -u alice:alice-secret -o /dev/null -w '%{http_code}'
check_eq "basicAuth: bcrypt (\$2y\$) user -> 200" "200" "$(https_get "auth.$D" / -u carol:carol-b-secret -o /dev/null -w '%{http_code}')"
check_eq "basicAuth: {SHA} user -> 200" "200" "$(https_get "auth.$D" / -u erin:erin-secret -o /dev/null -w '%{http_code}')"
check "basicAuth removeheader: the backend does not see Authorization" '"auth":null' "$(https_get "auth.$D" / -u alice:alice-secret)"
check_eq "api@internal behind basicAuth on its own host: 401 without credentials" "401" \
	"$(https_get "traefik.$D" /api/http/routers -o /dev/null -w '%{http_code}')"
check "... the API with credentials" "\"name\":\"$P-dash@docker\"" "$(https_get "traefik.$D" /api/http/routers -u alice:alice-secret)"
check "... and the (stand-in) dashboard page" "Not Traefik" "$(https_get "traefik.$D" /dashboard/ -u alice:alice-secret)"

# ---------------------------------------------------------------------------------------------
# Rules: || of Host, && PathPrefix, stripPrefix; Traefik v3 refuses Host(`a`, `b`), v2 syntax takes it.
backend rules rules "$NET" traefik.enable=true \
	"traefik.http.routers.$P-or.rule=(Host(\`m1.$D\`) || Host(\`m2.$D\`)) && PathPrefix(\`/api\`)" \
	"traefik.http.routers.$P-or.entrypoints=websecure" "traefik.http.routers.$P-or.tls=true" \
	"traefik.http.routers.$P-or.middlewares=$P-strip" "traefik.http.middlewares.$P-strip.stripprefix.prefixes=/api" \
	"traefik.http.routers.$P-v3.rule=Host(\`x1.$D\`, \`x2.$D\`)" "traefik.http.routers.$P-v3.entrypoints=websecure" \
	"traefik.http.routers.$P-v3.tls=true" "traefik.http.routers.$P-v3.service=$P-rules" \
	"traefik.http.routers.$P-v2.rule=Host(\`y1.$D\`, \`y2.$D\`)" "traefik.http.routers.$P-v2.rulesyntax=v2" \
	"traefik.http.routers.$P-v2.entrypoints=websecure" "traefik.http.routers.$P-v2.tls=true" \
	"traefik.http.routers.$P-v2.service=$P-rules" "traefik.http.routers.$P-or.service=$P-rules" \
	"traefik.http.services.$P-rules.loadbalancer.server.port=8000"
"$DOCKER" start "$P-rules" >/dev/null
eventually "(Host(m1) || Host(m2)) && PathPrefix(/api): m1/api matches, stripPrefix gives /v" '"url":"/v"' 10 https_try "m1.$D" /api/v
check "... m2/api matches, X-Forwarded-Prefix set" '"xfprefix":"/api"' "$(https_get "m2.$D" /api/w)"
check "... m1/other does not (404)" "404 page not found" "$(https_get "m1.$D" /other)"
check "Host(\`a\`, \`b\`) with rule syntax v3 is refused like Traefik v3 (router disabled, error shown)" \
	"unexpected number of parameters; got 2" "$(curl -sS --max-time 5 "http://127.0.0.1:$API_PORT/api/http/routers/$P-v3@docker")"
check "... and does not route" "404 page not found" "$(https_get "x1.$D" /)"
check "Host(\`a\`, \`b\`) with ruleSyntax=v2 routes both hosts" '"who":"rules"' "$(https_get "y2.$D" /)"

# ---------------------------------------------------------------------------------------------
# A backend that does not answer: 502 Bad Gateway, as Traefik.
backend dead dead "$NET" traefik.enable=true "traefik.http.routers.$P-dead.rule=Host(\`dead.$D\`)" \
	"traefik.http.routers.$P-dead.entrypoints=websecure" "traefik.http.routers.$P-dead.tls=true" \
	"traefik.http.services.$P-dead.loadbalancer.server.port=9999"
"$DOCKER" start "$P-dead" >/dev/null
eventually "a backend port with nothing listening -> 502 Bad Gateway" "Bad Gateway 502" 10 https_try "dead.$D" / -w ' %{http_code}'

# A label Traefik does not know makes Traefik skip the whole container: so does the stand-in.
backend typo typo "$NET" traefik.enable=true "traefik.http.routers.$P-typo.rule=Host(\`typo.$D\`)" \
	"traefik.http.routers.$P-typo.entrypoint=websecure" "traefik.http.services.$P-typo.loadbalancer.server.port=8000"
"$DOCKER" start "$P-typo" >/dev/null
eventually "a misspelt label (entrypoint) makes the container be skipped, with Traefik's error" \
	"field not found, node: entrypoint" 10 "$DOCKER" logs "$P-edge"

# ---------------------------------------------------------------------------------------------
# Websocket pass-through (n8n's editor push): upgrade through the edge, then raw bytes both ways.
WS_CLIENT='
const tls = require("tls");
const [port, host] = process.argv.slice(1);
const s = tls.connect({ host: "127.0.0.1", port: Number(port), servername: host, rejectUnauthorized: false }, () => {
  s.write("GET /push HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
});
let buf = "", upgraded = false;
s.on("data", (d) => {
  buf += d;
  if (!upgraded && buf.includes("\r\n\r\n")) {
    upgraded = true;
    const first = buf.split("\r\n")[0];
    if (!first.startsWith("HTTP/1.1 101")) { console.log("no upgrade: " + first); process.exit(1); }
    if (!/sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i.test(buf)) { console.log("bad accept: " + buf); process.exit(1); }
    buf = ""; s.write("hello-through-the-edge");
  } else if (upgraded && buf.includes("hello-through-the-edge")) { console.log("101 and echo"); process.exit(0); }
});
setTimeout(() => { console.log("timeout: " + JSON.stringify(buf)); process.exit(1); }, 5000);'
check "websocket upgrade is passed through (101, then bytes both ways)" "101 and echo" \
	"$("$DOCKER" run --rm --network host --entrypoint node "$IMAGE" -e "$WS_CLIENT" "$HTTPS_PORT" "c.$D" 2>&1)"

# ---------------------------------------------------------------------------------------------
check "the access log is written in Traefik's common format" "\"$P-a@docker\" \"http://" "$("$DOCKER" logs "$P-edge" 2>/dev/null)"
"$DOCKER" stop -t 5 "$P-edge" >/dev/null
check_eq "SIGTERM stops the edge cleanly (exit 0)" "0" "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$P-edge")"

if [ "$fail" -gt 0 ]; then
	echo "# the end of the edge's log:"
	"$DOCKER" logs --tail 60 "$P-edge" 2>&1 | sed 's/^/#   /'
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
