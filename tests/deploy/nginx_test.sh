#!/usr/bin/env bash
# nginx/ezapi.conf: renders the shipped template with test values, checks it with `nginx -t`
# (with and without the TLS snippet), then runs it in a temp prefix in front of a stub FastCGI
# responder and checks what the site promises: request ids, JSON errors and access log,
# internal-only paths, body limit, admin rate limit, no kept FastCGI connections.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need nginx envsubst curl openssl

site_src="$EZ_SOURCE_DIR/nginx/ezapi.conf"
tls_src="$EZ_SOURCE_DIR/nginx/snippets/ezapi-tls.conf"

# The shipped file must never turn kept FastCGI connections on (DESIGN.md section 1).
site_body=$(grep -Ev '^\s*#' "$site_src")
if grep -Eq 'fastcgi_keep_conn\s+on|^\s*keepalive\s' <<<"$site_body"; then
  fail "nginx/ezapi.conf enables kept FastCGI connections"
fi

make_tmp T
mkdir -p "$T/snippets" "$T/logs"

http_port=$(free_port)
tls_port=$(free_port)
export EZ_NGINX_LISTEN="127.0.0.1:$http_port"
export EZ_NGINX_SERVER_NAME="_"
export EZ_NGINX_SNIPPETS_DIR="$T/snippets"
export EZ_NGINX_ACCESS_LOG="$T/logs/ezapi.access.log"
# 127.0.0.2 is "internal", 127.0.0.1 is not: curl picks its source with --interface.
EZ_NGINX_ALLOW="$(allow_rules "127.0.0.2/32 ::1/128")"
export EZ_NGINX_ALLOW
# One request a minute plus a burst of one: the third quick request is refused whatever the
# machine's speed.
export EZ_NGINX_ADMIN_RATE="1r/m"
export EZ_NGINX_ADMIN_BURST="1"
export EZ_FASTCGI_SOCKET="$T/fcgi.sock"
# One stub answers for both pools here: this test is about nginx's rules, not the pools.
export EZ_FASTCGI_INGEST_SOCKET="$EZ_FASTCGI_SOCKET"
export EZ_HTTP_MAX_BODY_BYTES="1024"
export EZ_FASTCGI_TIMEOUT="5s"
export EZ_TLS_LISTEN="127.0.0.1:$tls_port"
export EZ_TLS_CERT="$T/tls/cert.pem"
export EZ_TLS_KEY="$T/tls/key.pem"

render_template "$site_src" "$T/ezapi.conf"
write_nginx_main "$T" "$T/ezapi.conf"

log "nginx -t, plain HTTP only"
nginx -t -q -p "$T" -c "$T/nginx.conf" || fail "nginx -t rejected the rendered site (no TLS)"

log "nginx -t, with the TLS snippet"
mkdir -p "$T/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -keyout "$EZ_TLS_KEY" -out "$EZ_TLS_CERT" >/dev/null 2>&1
render_template "$tls_src" "$T/snippets/ezapi-tls.conf"
nginx -t -q -p "$T" -c "$T/nginx.conf" || fail "nginx -t rejected the rendered site (TLS)"

log "starting the stub FastCGI pool and nginx on 127.0.0.1:$http_port (TLS :$tls_port)"
"$SYS_PYTHON" "$DEPLOY_SUPPORT/fcgi_stub.py" "$EZ_FASTCGI_SOCKET" &
stub_pid=$!
on_exit "stop_pid $stub_pid"
wait_until 10 test -S "$EZ_FASTCGI_SOCKET" || fail "stub FastCGI responder did not start"

nginx -p "$T" -c "$T/nginx.conf"
on_exit "[[ -f '$T/nginx.pid' ]] && stop_pid \$(cat '$T/nginx.pid')"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$http_port/" || fail "nginx did not start"

base="http://127.0.0.1:$http_port"

# req NAME CURL_ARGS...: response headers to $T/NAME.h, body to $T/NAME.b, prints the status.
req() {
  local name=$1
  shift
  curl -s -o "$T/$name.b" -D "$T/$name.h" -w '%{http_code}' "$@"
}
# json FILE EXPR: evaluates a Python expression over the parsed JSON body `j`.
json() { "$SYS_PYTHON" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
header() { grep -i "^$2:" "$T/$1.h" | tr -d '\r' | sed 's/^[^:]*: *//'; }
expect() { [[ "$2" == "$3" ]] || fail "$1: expected '$3', got '$2'"; }

log "request ids"
expect "GET /healthz status" "$(req h1 "$base/healthz")" 200
id=$(json "$T/h1.b" 'j["params"]["HTTP_X_REQUEST_ID"]')
[[ "$id" =~ ^[0-9a-f]{32}$ ]] || fail "generated request id '$id' is not 32 hex digits"
expect "X-Request-ID response header" "$(header h1 X-Request-ID)" "$id"
expect "X-Request-ID headers in the response" "$(grep -ci '^X-Request-ID:' "$T/h1.h")" 1
expect "FCGI_KEEP_CONN" "$(json "$T/h1.b" 'j["keep_conn"]')" False
expect "REQUEST_METHOD" "$(json "$T/h1.b" 'j["params"]["REQUEST_METHOD"]')" GET

expect "GET /readyz with an id" "$(req h2 -H 'X-Request-ID: bal-42.abc' "$base/readyz")" 200
expect "client id passed through" "$(json "$T/h2.b" 'j["params"]["HTTP_X_REQUEST_ID"]')" bal-42.abc
expect "client id echoed" "$(header h2 X-Request-ID)" bal-42.abc

req h3 -H 'X-Request-ID: "quoted" id with spaces' "$base/healthz" >/dev/null
id=$(json "$T/h3.b" 'j["params"]["HTTP_X_REQUEST_ID"]')
[[ "$id" =~ ^[0-9a-f]{32}$ ]] || fail "an invalid client id was passed through: '$id'"

log "internal-only paths"
for path in /logs /logs/ /sync/snapshot /metrics; do
  expect "$path from 127.0.0.1" "$(req deny -X POST "$base$path")" 403
  expect "$path 403 body" "$(json "$T/deny.b" 'j["code"]')" forbidden
  expect "$path from 127.0.0.2" "$(req allow --interface 127.0.0.2 -X POST "$base$path")" 200
done
expect "encoded /logs from 127.0.0.1" "$(req deny "$base/%6Cogs")" 403

log "body limit"
head -c 2000 /dev/zero | tr '\0' 'x' >"$T/big.json"
expect "POST /logs over the limit" \
  "$(req big --interface 127.0.0.2 -X POST --data-binary @"$T/big.json" "$base/logs")" 413
expect "413 body" "$(json "$T/big.b" 'j["code"]')" payload_too_large
expect "POST /logs under the limit" \
  "$(req small --interface 127.0.0.2 -X POST --data-binary '{"a":1}' "$base/logs")" 200
expect "body reached the worker" "$(json "$T/small.b" 'j["body_len"]')" 7

log "admin rate limit"
codes=""
for _ in 1 2 3 4; do codes+="$(req admin "$base/admin/status") "; done
[[ "$codes" == "200 200 429 429 " ]] || fail "admin rate limit: got codes '$codes'"
expect "429 body" "$(json "$T/admin.b" 'j["code"]')" rate_limited
[[ -n "$(header admin Retry-After)" ]] || fail "429 without Retry-After"
[[ -n "$(header admin X-Request-ID)" ]] || fail "429 without X-Request-ID"
expect "/providers is limited by the same zone" "$(req prov "$base/providers")" 429

log "unknown routes"
expect "GET /nope" "$(req nope "$base/nope")" 404
expect "404 body" "$(json "$T/nope.b" 'j["code"]')" not_found

log "TLS listener"
expect "GET https /healthz" "$(req tls -k "https://127.0.0.1:$tls_port/healthz")" 200
expect "HTTPS param" "$(json "$T/tls.b" 'j["params"].get("HTTPS")')" on

log "JSON access log"
# nginx writes the log line after the response; give it a moment.
wait_until 5 grep -q '"uri":"/nope"' "$EZ_NGINX_ACCESS_LOG" || fail "access log has no /nope line"
"$SYS_PYTHON" - "$EZ_NGINX_ACCESS_LOG" <<'EOF' || fail "access log is not JSON lines"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "empty access log"
for line in lines:
    entry = json.loads(line)
    for key in ("time", "request_id", "status", "uri", "request_time"):
        assert key in entry, (key, line)
assert not any(json.loads(l)["uri"] in ("/healthz", "/readyz") for l in lines), "probes logged"
EOF

log "pool down"
stop_pid "$stub_pid"
expect "GET /readyz without workers" "$(req down "$base/readyz")" 503
expect "503 body" "$(json "$T/down.b" 'j["code"]')" unavailable

log "OK"
