# Shared by the scripts/: paths and small helpers. Sourced, not run.
EZ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

say() { printf '%s\n' "$*" >&2; }

# --help or -h as the first argument: print the calling script's header comment (its
# usage) and exit 0 without doing anything else. Every script calls it first.
handle_help() {
  case ${1:-} in
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
  esac
}

# port_owner PORT: "PROGRAM (pid N)" of whoever listens on 127.0.0.1:PORT (or any
# address), "an unknown process" when ss cannot tell; empty when the port is free.
port_owner() {
  local line
  line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n1)
  if [[ -z $line ]]; then
    # Without ss (or when it sees nothing), a connect tells whether someone listens.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 0
    echo "an unknown process"
    return 0
  fi
  if [[ $line =~ users:\(\(\"([^\"]+)\",pid=([0-9]+) ]]; then
    echo "${BASH_REMATCH[1]} (pid ${BASH_REMATCH[2]})"
  else
    echo "an unknown process"
  fi
}
die() { say "error: $*"; exit 1; }

# True when the pid in file $1 names a live process.
alive() { [[ -s $1 ]] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

# The placeholders of nginx/ezapi.conf (the production site); envsubst is limited to
# exactly these so nginx's own $variables pass through.
EZ_NGINX_SITE_VARS='${EZ_NGINX_LISTEN} ${EZ_NGINX_SERVER_NAME} ${EZ_NGINX_SNIPPETS_DIR}
${EZ_NGINX_ACCESS_LOG} ${EZ_NGINX_ALLOW} ${EZ_NGINX_ADMIN_RATE} ${EZ_NGINX_ADMIN_BURST}
${EZ_FASTCGI_SOCKET} ${EZ_HTTP_MAX_BODY_BYTES} ${EZ_FASTCGI_TIMEOUT}'

# render_dev_nginx NGINX_DIR RUN_DIR LOG_DIR SOCKET PORT MAX_BODY "NET NET..." TIMEOUT [USER]
# Writes NGINX_DIR/nginx.conf (nginx/dev.conf.template) and NGINX_DIR/ezapi.conf (the
# production site with this stack's values): plain HTTP on 127.0.0.1:PORT, no TLS, an
# admin rate limit high enough never to bite in tests. USER: "root root" when run as root.
render_dev_nginx() {
  local ngx=$1 run=$2 logdir=$3 sock=$4 port=$5 body=$6 nets=$7 timeout=$8 user=${9:-}
  local net allow="" user_line=""
  mkdir -p "$ngx"/tmp/{body,fastcgi,proxy,uwsgi,scgi} "$ngx/snippets"
  for net in $nets; do allow+="allow $net; "; done
  [[ -n $user ]] && user_line="user $user;"
  EZ_NGINX_LISTEN="127.0.0.1:$port" EZ_NGINX_SERVER_NAME=_ EZ_NGINX_SNIPPETS_DIR="$ngx/snippets" \
    EZ_NGINX_ACCESS_LOG="$logdir/nginx-access.log" EZ_NGINX_ALLOW="$allow" \
    EZ_NGINX_ADMIN_RATE=100000r/s EZ_NGINX_ADMIN_BURST=100000 EZ_FASTCGI_SOCKET="$sock" \
    EZ_HTTP_MAX_BODY_BYTES="$body" EZ_FASTCGI_TIMEOUT="$timeout" \
    envsubst "$EZ_NGINX_SITE_VARS" <"$EZ_ROOT/nginx/ezapi.conf" >"$ngx/ezapi.conf"
  awk -v user="$user_line" -v run="$run" -v logdir="$logdir" -v ngx="$ngx" '
    { gsub(/@USER_LINE@/, user); gsub(/@RUN@/, run); gsub(/@LOG@/, logdir); gsub(/@NGINX@/, ngx);
      print }' "$EZ_ROOT/nginx/dev.conf.template" >"$ngx/nginx.conf"
}
