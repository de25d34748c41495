#!/usr/bin/env bash
# The admin console in a real headless Chromium (Debian's `chromium`, driven over CDP by
# puppeteer-core from console/node_modules) against a real stack started here by
# scripts/stack in a temp dir on free ports. Screenshots of every page and the measured
# figures (first-load JS, 1000-row render) go to $EZ_CONSOLE_TEST_OUT (default
# <build>/test-output/console), which is kept; the stack is stopped and removed.
set -euo pipefail

: "${EZ_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${EZ_BUILD_DIR:=$EZ_SOURCE_DIR/build}"
CHROMIUM=${EZ_CHROMIUM:-/usr/bin/chromium}
OUT=${EZ_CONSOLE_TEST_OUT:-$EZ_BUILD_DIR/test-output/console}
export EZ_CONSOLE_ROOT=${EZ_CONSOLE_ROOT:-$EZ_BUILD_DIR/www}

log() { printf '[console.browser] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

for cmd in node redis-cli curl python3; do
  command -v "$cmd" >/dev/null || fail "'$cmd' is not installed (scripts/deps installs it)"
done
[[ -x $CHROMIUM ]] || fail "$CHROMIUM is missing (scripts/deps installs Debian's chromium)"
[[ -d $EZ_SOURCE_DIR/console/node_modules/puppeteer-core ]] || fail "console/node_modules is missing (run scripts/deps)"
[[ -s $EZ_CONSOLE_ROOT/console/index.html ]] || fail "the console is not built in $EZ_CONSOLE_ROOT (run scripts/build)"
[[ -x $EZ_BUILD_DIR/ezapi-server ]] || fail "no binaries in $EZ_BUILD_DIR (run scripts/build)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

STACK=$(mktemp -d "${TMPDIR:-/tmp}/ezapi-console.XXXXXX")
chmod 0755 "$STACK"
PROFILE=$(mktemp -d "${TMPDIR:-/tmp}/ezapi-chromium.XXXXXX")
cleanup() {
  local rc=$?
  EZ_STACK_DIR=$STACK EZ_BUILD_DIR=$EZ_BUILD_DIR "$EZ_SOURCE_DIR/scripts/stack" down >/dev/null 2>&1 || true
  if [[ $rc -ne 0 && -d $STACK/log ]]; then
    mkdir -p "$OUT/stack-log" && cp -r "$STACK/log/." "$OUT/stack-log/" 2>/dev/null || true
  fi
  rm -rf "$STACK" "$PROFILE"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$OUT" && mkdir -p "$OUT"
export EZ_STACK_DIR=$STACK EZ_BUILD_DIR
export EZ_API_PORT=$(free_port) EZ_STACK_PG_PORT=$(free_port) EZ_STACK_REDIS_PORT=$(free_port)
export EZ_STACK_PG_FSYNC=off EZ_LOG_FLUSH_MS=200
log "starting a stack in $STACK (http://127.0.0.1:$EZ_API_PORT)"
"$EZ_SOURCE_DIR/scripts/stack" up >"$OUT/stack-up.log" 2>&1 || { cat "$OUT/stack-up.log" >&2; fail "the stack did not start"; }
# shellcheck disable=SC1091
source "$STACK/stack.env"

log "driving Chromium; output in $OUT"
EZ_API_URL=$EZ_API_URL EZ_ADMIN_TOKEN=$EZ_ADMIN_TOKEN EZ_INTERNAL_TOKEN=$EZ_INTERNAL_TOKEN \
  EZ_REDIS_PORT=$EZ_STACK_REDIS_PORT EZ_CHROMIUM=$CHROMIUM EZ_CHROMIUM_PROFILE=$PROFILE \
  EZ_CONSOLE_DIR=$EZ_SOURCE_DIR/console EZ_CONSOLE_TEST_OUT=$OUT \
  node "$EZ_SOURCE_DIR/tests/console/browser_test.mjs"
