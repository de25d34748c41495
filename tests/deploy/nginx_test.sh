#!/usr/bin/env bash
# nginx/ezapi.conf: renders the shipped template with test values, checks it with `nginx -t`
# (with and without the TLS snippet), then runs it in a temp prefix in front of a stub FastCGI
# responder and checks what the site promises: request ids, JSON errors and access log,
# internal-only paths, body limit, admin rate limit, no kept FastCGI connections.
# The dev stack's nginx (scripts/stack, rendered by render_dev_nginx) runs in front of the
# same stub and must pass the same routing and error cases (site_cases).
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"
# shellcheck source=../../scripts/lib.sh
source "$EZ_SOURCE_DIR/scripts/lib.sh"

need nginx envsubst curl openssl

site_src="$EZ_SOURCE_DIR/nginx/ezapi.conf"
tls_src="$EZ_SOURCE_DIR/nginx/snippets/ezapi-tls.conf"

# The shipped file must never turn kept FastCGI connections on (docs/architecture.md, "Shape").
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

# raw NAME PORT BYTES: sends BYTES (printf %b escapes) as they are, the response to
# $T/NAME.h (status line and headers) and $T/NAME.b (body); prints the status.
raw() {
  local name=$1 port=$2 out
  out=$("$SYS_PYTHON" - "$port" "$3" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
sys.stdout.write(data.decode("latin-1"))
PY
)
  printf '%s' "${out%%$'\r\n\r\n'*}" >"$T/$name.h"
  printf '%s' "${out#*$'\r\n\r\n'}" >"$T/$name.b"
  awk 'NR==1 {print $2}' "$T/$name.h"
}

# json_error WHAT NAME STATUS GOT CODE: an nginx-made error in the API's JSON shape.
json_error() {
  local what=$1 name=$2 status=$3 got=$4 code=$5
  expect "$what: status" "$got" "$status"
  grep -qi '^Content-Type: application/json' "$T/$name.h" || fail "$what: not JSON: $(head -c 300 "$T/$name.b")"
  expect "$what: code" "$(json "$T/$name.b" 'j["code"]')" "$code"
  [[ -n "$(json "$T/$name.b" 'j["error"]')" ]] || fail "$what: no error message"
}

# site_cases LABEL PORT: what the production site and the dev stack's nginx must both do.
site_cases() {
  local label=$1 port=$2 path
  local b="http://127.0.0.1:$port"
  log "$label: internal-only paths (/logs, /sync, /metrics, however spelled)"
  for path in /logs /logs/ /logs/x /%6Cogs /%6Cogs/ //logs /sync /sync/snapshot /metrics; do
    json_error "$label $path from 127.0.0.1" deny 403 "$(req deny -X POST "$b$path")" forbidden
    expect "$label $path from 127.0.0.2" "$(req allow --interface 127.0.0.2 -X POST "$b$path")" 200
  done

  log "$label: malformed requests get JSON, never an HTML page or a 500"
  json_error "$label /providers/%zz" m1 400 "$(req m1 "$b/providers/%zz")" bad_request
  json_error "$label /providers/%00" m2 400 "$(req m2 "$b/providers/%00")" bad_request
  json_error "$label space in the URI" m3 400 \
    "$(raw m3 "$port" 'GET /providers/a b HTTP/1.1\r\nHost: x\r\n\r\n')" bad_request
  json_error "$label TLS hello on the plain port" m4 400 \
    "$(raw m4 "$port" '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n')" bad_request
  json_error "$label HTTP/2.0 request line" m5 505 \
    "$(raw m5 "$port" 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n')" http_version_not_supported
  json_error "$label URI too long" m6 414 \
    "$(req m6 "$b/providers/$(head -c 20000 /dev/zero | tr '\0' a)")" uri_too_long
  json_error "$label header too large" m7 400 \
    "$(req m7 -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$b/healthz")" bad_request
  json_error "$label unknown transfer encoding" m8 501 \
    "$(req m8 -H 'Transfer-Encoding: foo' -d x "$b/healthz")" not_implemented
  json_error "$label TRACE" m9 405 "$(req m9 -X TRACE "$b/healthz")" method_not_allowed
  json_error "$label unknown route" m10 404 "$(req m10 "$b/nope")" not_found
  json_error "$label error pages are not routes" m11 404 "$(req m11 "$b/_ezapi_error/400")" not_found
  expect "$label a good request still passes" "$(req ok "$b/healthz?q=a%20b")" 200
  grep -q '\[error\].*empty URI' "$T/logs/error.log" "$T/dev/log/nginx-error.log" 2>/dev/null &&
    fail "$label: nginx logged 'empty URI in redirect'"
  return 0
}

site_cases "production site" "$http_port"

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
lines = open(sys.argv[1], errors="surrogateescape").read().splitlines()
assert lines, "empty access log"
for line in lines:
    entry = json.loads(line)
    for key in ("time", "request_id", "status", "uri", "request_time"):
        assert key in entry, (key, line)
# Probes that succeed are not logged (errors on those paths are).
assert not any(json.loads(l)["uri"] in ("/healthz", "/readyz") and json.loads(l)["status"] == 200
               for l in lines), "probes logged"
bad = [json.loads(l) for l in lines if "%zz" in json.loads(l)["request"]]
assert bad and bad[0]["status"] == 400, "a malformed request is not logged with its request line"
denied = [json.loads(l) for l in lines if json.loads(l)["uri"] == "/logs" and json.loads(l)["status"] == 403]
assert denied and denied[0]["method"] == "POST", "an error is logged with the client's method"
EOF

log "the dev stack's nginx (scripts/stack) in front of the same stub"
dev_port=$(free_port)
mkdir -p "$T/dev/run" "$T/dev/log"
render_dev_nginx "$T/dev/nginx" "$T/dev/run" "$T/dev/log" "$EZ_FASTCGI_SOCKET" \
  "$EZ_FASTCGI_INGEST_SOCKET" "$dev_port" 1024 "127.0.0.2/32 ::1/128" 5s
# Every placeholder of the site is filled, the ingest pool's socket included.
grep -v '^\s*#' "$T/dev/nginx/ezapi.conf" | grep -q '\${EZ_' && fail "dev site has unrendered variables"
grep -A1 '^upstream ezapi_ingest_fastcgi' "$T/dev/nginx/ezapi.conf" |
  grep -qF "server unix:$EZ_FASTCGI_INGEST_SOCKET;" || fail "dev site lacks the ingest upstream"
nginx -t -q -p "$T/dev/nginx" -c "$T/dev/nginx/nginx.conf" -e "$T/dev/log/nginx-error.log" ||
  fail "nginx -t rejected the dev stack's config"
nginx -p "$T/dev/nginx" -c "$T/dev/nginx/nginx.conf" -e "$T/dev/log/nginx-error.log"
on_exit "[[ -f '$T/dev/run/nginx.pid' ]] && stop_pid \$(cat '$T/dev/run/nginx.pid')"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$dev_port/" || fail "dev nginx did not start"
site_cases "dev stack" "$dev_port"

log "pool down"
stop_pid "$stub_pid"
expect "GET /readyz without workers" "$(req down "$base/readyz")" 503
json_error "503 without workers" down 503 "$(req down "$base/readyz")" unavailable
json_error "503 without workers (dev)" down 503 "$(req down "http://127.0.0.1:$dev_port/readyz")" unavailable

log "OK"
