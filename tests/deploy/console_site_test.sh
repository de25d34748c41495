#!/usr/bin/env bash
# nginx/snippets/ezapi-console.conf inside the production site (nginx/ezapi.conf): rendered
# with test values, checked with `nginx -t`, then run in a temp prefix over a stand-in
# console build and a stub FastCGI pool. Checks what the snippet promises: the SPA at
# /console/ with a strict CSP, hashed assets cached for a year with the right MIME types,
# history-routing fallback, and the API paths still going to the pool.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need nginx envsubst curl

make_tmp T
mkdir -p "$T/snippets" "$T/logs" "$T/www/console/assets"

port=$(free_port)
export EZ_NGINX_LISTEN="127.0.0.1:$port" EZ_NGINX_SERVER_NAME="_" EZ_NGINX_SNIPPETS_DIR="$T/snippets"
export EZ_NGINX_ACCESS_LOG="$T/logs/access.log" EZ_NGINX_ALLOW="allow 127.0.0.1/32;"
export EZ_NGINX_ADMIN_RATE="100r/s" EZ_NGINX_ADMIN_BURST="100" EZ_FASTCGI_SOCKET="$T/fcgi.sock"
export EZ_FASTCGI_INGEST_SOCKET="$EZ_FASTCGI_SOCKET"  # one stub for both pools
export EZ_HTTP_MAX_BODY_BYTES="1048576" EZ_FASTCGI_TIMEOUT="5s" EZ_CONSOLE_ROOT="$T/www"

render_template "$EZ_SOURCE_DIR/nginx/ezapi.conf" "$T/ezapi.conf"
envsubst '${EZ_CONSOLE_ROOT}' <"$EZ_SOURCE_DIR/nginx/snippets/ezapi-console.conf" >"$T/snippets/ezapi-console.conf"
grep -v '^\s*#' "$T/snippets/ezapi-console.conf" | grep -q '\${EZ_' && fail "console snippet has unrendered variables"
write_nginx_main "$T" "$T/ezapi.conf"

# A stand-in build: what Vite emits (index.html + hashed assets + a public file).
cat >"$T/www/console/index.html" <<'HTML'
<!doctype html><html><head><script type="module" src="/console/assets/index-AbCd1234.js"></script></head><body></body></html>
HTML
echo 'console.log(1)' >"$T/www/console/assets/index-AbCd1234.js"
echo 'body{}' >"$T/www/console/assets/index-AbCd1234.css"
echo '<svg xmlns="http://www.w3.org/2000/svg"/>' >"$T/www/console/favicon.svg"

nginx -t -q -p "$T" -c "$T/nginx.conf" || fail "nginx -t rejected the site with the console snippet"

"$SYS_PYTHON" "$DEPLOY_SUPPORT/fcgi_stub.py" "$EZ_FASTCGI_SOCKET" &
stub_pid=$!
on_exit "stop_pid $stub_pid"
wait_until 10 test -S "$EZ_FASTCGI_SOCKET" || fail "stub FastCGI responder did not start"
nginx -p "$T" -c "$T/nginx.conf"
on_exit "[[ -f '$T/nginx.pid' ]] && stop_pid \$(cat '$T/nginx.pid')"
base="http://127.0.0.1:$port"
wait_until 10 curl -s -o /dev/null "$base/healthz" || fail "nginx did not start"

req() { curl -s -o "$T/$1.b" -D "$T/$1.h" -w '%{http_code}' "${@:2}"; }
header() { grep -i "^$2:" "$T/$1.h" | tr -d '\r' | sed 's/^[^:]*: *//'; }
expect() { [[ "$2" == "$3" ]] || fail "$1: expected '$3', got '$2'"; }
contains() { [[ "$2" == *"$3"* ]] || fail "$1: '$2' does not contain '$3'"; }

log "index.html: no-store (no back/forward cache after sign-out), strict CSP"
expect "GET /console/" "$(req index "$base/console/")" 200
contains "index content type" "$(header index Content-Type)" "text/html"
expect "index cache" "$(header index Cache-Control)" "no-store"
csp=$(header index Content-Security-Policy)
for part in "default-src 'none'" "script-src 'self'" "style-src 'self'" "frame-ancestors 'none'" \
  "require-trusted-types-for 'script'"; do
  contains "CSP" "$csp" "$part"
done
[[ $csp != *unsafe-* ]] || fail "CSP allows unsafe-*: $csp"
expect "nosniff" "$(header index X-Content-Type-Options)" "nosniff"

log "history routing falls back to index.html"
expect "GET /console/keys?master_id=3" "$(req deep "$base/console/keys?master_id=3")" 200
cmp -s "$T/deep.b" "$T/www/console/index.html" || fail "a deep link did not get index.html"
expect "GET /console" "$(req bare "$base/console")" 301
contains "redirect" "$(header bare Location)" "/console/"

log "the site's root: a browser is sent to the console, an API client gets the JSON 404"
expect "GET / (browser)" "$(req root_html -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8' "$base/")" 302
expect "root redirect" "$(header root_html Location | sed 's#^https\?://[^/]*##')" "/console/"
expect "GET / (API client)" "$(req root_api -H 'Accept: application/json' "$base/")" 404
contains "root 404 body" "$(cat "$T/root_api.b")" '"code":"not_found"'
expect "GET / (curl default)" "$(req root_any "$base/")" 404

log "hashed assets: a year, immutable, right MIME types"
expect "GET js" "$(req js "$base/console/assets/index-AbCd1234.js")" 200
contains "js type" "$(header js Content-Type)" "javascript"
contains "js cache" "$(header js Cache-Control)" "max-age=31536000"
contains "js cache" "$(header js Cache-Control)" "immutable"
expect "GET css" "$(req css "$base/console/assets/index-AbCd1234.css")" 200
contains "css type" "$(header css Content-Type)" "text/css"
expect "missing asset" "$(req miss "$base/console/assets/nope-00000000.js")" 404
expect "favicon" "$(req fav "$base/console/favicon.svg")" 200
contains "svg type" "$(header fav Content-Type)" "image/svg+xml"

log "the API is untouched"
expect "GET /providers goes to the pool" "$(req api "$base/providers")" 200
grep -q '"REQUEST_METHOD"' "$T/api.b" || fail "/providers did not reach the FastCGI pool"
expect "unknown path still 404" "$(req nope "$base/consolex")" 404

log "OK"
