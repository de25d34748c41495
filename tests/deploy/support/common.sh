# shellcheck shell=bash
# Shared helpers for tests/deploy/*.sh (sourced, not run: ctest only runs tests/deploy/*.sh).
#
# Each check creates its own temp dir, registers what it started with `on_exit`, and cleans up
# in reverse order on any exit, so a failing check leaves no process or file behind.

set -euo pipefail

: "${EZ_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
: "${EZ_BUILD_DIR:=${EZ_SOURCE_DIR}/build}"
export EZ_SOURCE_DIR EZ_BUILD_DIR

export DEPLOY_SUPPORT="${EZ_SOURCE_DIR}/tests/deploy/support"
# The system interpreter: it has the Debian python3-* modules (yaml, psycopg2, apt) that the
# checks and Ansible use, whatever python3 comes first in PATH.
SYS_PYTHON=/usr/bin/python3

_cleanups=()
on_exit() { _cleanups+=("$*"); }
_run_cleanups() {
  local rc=$? i
  for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
    eval "${_cleanups[i]}" || true
  done
  exit "$rc"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
fail() {
  printf '[%s] FAIL: %s\n' "$(basename "$0" .sh)" "$*" >&2
  exit 1
}

need() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 ||
      fail "'$cmd' is not installed (scripts/deps installs it)"
  done
}

# A TCP port on 127.0.0.1 that is free right now.
free_port() {
  "$SYS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# make_tmp VAR: a fresh temp dir, removed on exit (kept with EZ_DEPLOY_KEEP=1, for a look
# at the logs), readable by the service users (nginx's workers and the ezapi user traverse
# it in some checks).
make_tmp() {
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/ezapi-deploy.XXXXXX")
  chmod 0755 "$dir"
  if [[ -n "${EZ_DEPLOY_KEEP:-}" ]]; then
    on_exit "log 'kept $dir'"
  else
    on_exit "rm -rf '$dir'"
  fi
  printf -v "$1" '%s' "$dir"
}

# wait_until SECONDS CMD...: retry CMD every 0.1 s until it succeeds or time runs out.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL. Only ever the pid we started.
stop_pid() {
  local pid=$1 grace=${2:-10} deadline
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  wait "$pid" 2>/dev/null || true
}

# The variables nginx/ezapi.conf and nginx/snippets/ezapi-tls.conf use. envsubst is limited
# to exactly these so nginx's own $variables pass through.
EZ_NGINX_TEMPLATE_VARS='${EZ_NGINX_LISTEN} ${EZ_NGINX_SERVER_NAME} ${EZ_NGINX_SNIPPETS_DIR}
${EZ_NGINX_ACCESS_LOG} ${EZ_NGINX_ALLOW} ${EZ_NGINX_ADMIN_RATE} ${EZ_NGINX_ADMIN_BURST}
${EZ_FASTCGI_SOCKET} ${EZ_HTTP_MAX_BODY_BYTES} ${EZ_FASTCGI_TIMEOUT} ${EZ_FASTCGI_INGEST_SOCKET}
${EZ_TLS_LISTEN} ${EZ_TLS_CERT} ${EZ_TLS_KEY}'

# allow_rules "NET NET ...": the EZ_NGINX_ALLOW value for http.allowed_networks.
allow_rules() {
  local net out=""
  for net in $1; do out+="allow ${net}; "; done
  printf '%s' "${out% }"
}

# render_template SRC DST: envsubst with the variables above (they must be exported).
render_template() {
  envsubst "$EZ_NGINX_TEMPLATE_VARS" <"$1" >"$2"
  if grep -v '^\s*#' "$2" | grep -n '\${EZ_'; then
    fail "$2 still has unrendered template variables"
  fi
}

# write_nginx_main PREFIX SITE [USER]: a minimal nginx.conf under PREFIX that includes SITE in
# http {}, the way Debian's /etc/nginx/nginx.conf includes sites-enabled/*.
write_nginx_main() {
  local prefix=$1 site=$2 user=${3:-}
  mkdir -p "$prefix/logs" "$prefix/tmp"
  {
    [[ -n "$user" ]] && echo "user $user;"
    cat <<EOF
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 256; }
http {
    client_body_temp_path $prefix/tmp/body;
    fastcgi_temp_path     $prefix/tmp/fastcgi;
    proxy_temp_path       $prefix/tmp/proxy;
    uwsgi_temp_path       $prefix/tmp/uwsgi;
    scgi_temp_path        $prefix/tmp/scgi;
    default_type application/octet-stream;
    include $site;
}
EOF
  } >"$prefix/nginx.conf"
}
