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
${EZ_FASTCGI_SOCKET} ${EZ_HTTP_MAX_BODY_BYTES} ${EZ_FASTCGI_TIMEOUT} ${EZ_FASTCGI_INGEST_SOCKET}'

# render_dev_nginx NGINX_DIR RUN_DIR LOG_DIR SOCKET INGEST_SOCKET PORT MAX_BODY "NET NET..."
#                  TIMEOUT [USER]
# Writes NGINX_DIR/nginx.conf (nginx/dev.conf.template) and NGINX_DIR/ezapi.conf (the
# production site with this stack's values): plain HTTP on 127.0.0.1:PORT, no TLS, an
# admin rate limit high enough never to bite in tests. SOCKET is the admin pool's
# (fastcgi.socket), INGEST_SOCKET the ingest pool's (fastcgi.ingest_socket: /logs, /sync/).
# USER: "root root" when run as root.
render_dev_nginx() {
  local ngx=$1 run=$2 logdir=$3 sock=$4 isock=$5 port=$6 body=$7 nets=$8 timeout=$9 user=${10:-}
  local net allow="" user_line=""
  mkdir -p "$ngx"/tmp/{body,fastcgi,proxy,uwsgi,scgi} "$ngx/snippets"
  for net in $nets; do allow+="allow $net; "; done
  [[ -n $user ]] && user_line="user $user;"
  EZ_NGINX_LISTEN="127.0.0.1:$port" EZ_NGINX_SERVER_NAME=_ EZ_NGINX_SNIPPETS_DIR="$ngx/snippets" \
    EZ_NGINX_ACCESS_LOG="$logdir/nginx-access.log" EZ_NGINX_ALLOW="$allow" \
    EZ_NGINX_ADMIN_RATE=100000r/s EZ_NGINX_ADMIN_BURST=100000 EZ_FASTCGI_SOCKET="$sock" \
    EZ_FASTCGI_INGEST_SOCKET="$isock" EZ_HTTP_MAX_BODY_BYTES="$body" EZ_FASTCGI_TIMEOUT="$timeout" \
    envsubst "$EZ_NGINX_SITE_VARS" <"$EZ_ROOT/nginx/ezapi.conf" >"$ngx/ezapi.conf"
  awk -v user="$user_line" -v run="$run" -v logdir="$logdir" -v ngx="$ngx" '
    { gsub(/@USER_LINE@/, user); gsub(/@RUN@/, run); gsub(/@LOG@/, logdir); gsub(/@NGINX@/, ngx);
      print }' "$EZ_ROOT/nginx/dev.conf.template" >"$ngx/nginx.conf"
}

# ---- one control-plane host (shared by scripts/stack and scripts/cluster) ----
# These use the caller's globals: DIR (the host's directory: config.yaml,
# secrets.env), RUN (pid files, the FastCGI socket), LOG, NGINX (nginx's prefix),
# BUILD (the binaries) and API_PORT (where this host's nginx listens).

as_pg() {
  # PostgreSQL refuses to run as root: use the postgres system user then.
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

secrets() {
  # Random per stack directory, kept across restarts. A file from before a secret existed
  # gets the missing one appended.
  local f=$DIR/secrets.env
  (
    umask 077
    touch "$f"
    add() { grep -q "^$1=" "$f" || echo "$1=$2" >>"$f"; }
    add EZ_ADMIN_TOKEN "adm_$(random_hex 24)"
    add EZ_INTERNAL_TOKEN "int_$(random_hex 24)"
    add EZ_AUTH_JWT_SECRET "$(random_hex 32)"
    # Redis runs with AUTH on: the server's ACL user, the read-only user a balancer gets,
    # and the default user's password (what redis-cli uses through REDISCLI_AUTH).
    add EZ_REDIS_PASSWORD "$(random_hex 24)"
    add EZ_STACK_REDIS_BALANCER_PASSWORD "$(random_hex 24)"
    add REDISCLI_AUTH "$(random_hex 24)"
  )
  # shellcheck disable=SC1090
  source "$f"
  export REDISCLI_AUTH
}

server_env() {
  export EZ_CONFIG_FILE=$DIR/config.yaml
  export EZ_ADMIN_TOKEN EZ_INTERNAL_TOKEN EZ_AUTH_JWT_SECRET
  # The ACL user of redis_acl_file; the Sentinels of scripts/cluster share the password.
  export EZ_REDIS_USERNAME=ezapi EZ_REDIS_PASSWORD
  export EZ_REDIS_SENTINEL_PASSWORD=$REDISCLI_AUTH
}

# The ACL users of a Redis started by scripts/stack or scripts/cluster (docs/operations.md
# "Redis authentication" has the production ones; these are the same rules). Passwords
# are stored as sha256 (#...), never in plain text.
#   default         the operator (redis-cli with REDISCLI_AUTH): everything
#   ezapi           the server: every key, publishes only dp:config:refresh, nothing in
#                   @dangerous but ROLE (it confirms a Sentinel's master with it)
#   ezapi-balancer  the balancer: reads config:* and meta:*, subscribes dp:config:refresh
redis_sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }
REDIS_APP_ACL='resetkeys ~* resetchannels &dp:config:refresh +@all -@dangerous +role +info'
REDIS_BALANCER_ACL='resetkeys %R~config:* %R~meta:* resetchannels &dp:config:refresh -@all +hget +hgetall +hmget +hscan +hlen +hexists +hkeys +hvals +exists +type +subscribe +unsubscribe +ping +echo +hello +select +client|setname +client|getname +client|id'
redis_acl_file() {  # path: writes the ACL file (mode 0600)
  (
    umask 077
    {
      echo "user default on #$(redis_sha "$REDISCLI_AUTH") ~* &* +@all"
      echo "user ezapi on #$(redis_sha "$EZ_REDIS_PASSWORD") $REDIS_APP_ACL"
      echo "user ezapi-balancer on #$(redis_sha "$EZ_STACK_REDIS_BALANCER_PASSWORD") $REDIS_BALANCER_ACL"
    } >"$1"
  )
}

start_bg() {  # name, command...: detached (own session), logs to $LOG/name.log
  local name=$1; shift
  # exec: the pid recorded is the service itself, not a wrapping shell.
  (server_env; cd "$DIR" || exit 1; exec setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null) &
  echo $! >"$RUN/$name.pid"
}

flusher_up() {
  alive "$RUN/flusher.pid" && return
  say "${HOST_TAG:-stack}: starting the log flusher"
  start_bg flusher "$BUILD/ezapi-flusher" --pid-file "$RUN/flusher.pid"
}

master_up() {
  alive "$RUN/master.pid" && return
  say "${HOST_TAG:-stack}: starting the master"
  start_bg master "$BUILD/ezapi-server" --pid-file "$RUN/master.pid"
  # Both pools' sockets: admin (fastcgi.socket) and ingest (fastcgi.ingest_socket).
  for _ in $(seq 100); do [[ -S $RUN/ezapi.sock && -S $RUN/ezapi-ingest.sock ]] && return; sleep 0.1; done
  tail -n 20 "$LOG/master.log" >&2
  die "the master did not open $RUN/ezapi.sock and $RUN/ezapi-ingest.sock"
}

nginx_up() {
  alive "$RUN/nginx.pid" && return
  local nets user=""
  nets=$(awk '/allowed_networks/ {sub(/.*allowed_networks:[ ]*/, ""); print}' "$DIR/config.yaml" | tr -d '"[],')
  [[ -n ${EZ_ALLOWED_NETWORKS:-} ]] && nets=$EZ_ALLOWED_NETWORKS
  [[ $(id -u) -eq 0 ]] && user="root root"
  # nginx waits a little longer than a worker of either pool may run
  # (workers.request_timeout_ms, workers.ingest.request_timeout_ms).
  local admin_ms=${EZ_WORKERS_REQUEST_TIMEOUT_MS:-30000} ingest_ms=${EZ_WORKERS_INGEST_REQUEST_TIMEOUT_MS:-10000}
  local timeout=$(( (admin_ms > ingest_ms ? admin_ms : ingest_ms) / 1000 + 5 ))s
  render_dev_nginx "$NGINX" "$RUN" "$LOG" "$RUN/ezapi.sock" "$RUN/ezapi-ingest.sock" "$API_PORT" \
    "${EZ_HTTP_MAX_BODY_BYTES:-8388608}" "${nets:-127.0.0.1/32 ::1/128}" "$timeout" "$user"
  # The console snippet, the same file production uses; its root is the console build.
  sed "s|\${EZ_CONSOLE_ROOT}|${CONSOLE_ROOT:-$BUILD/www}|g" "$EZ_ROOT/nginx/snippets/ezapi-console.conf" \
    >"$NGINX/snippets/ezapi-console.conf"
  say "${HOST_TAG:-stack}: starting nginx on 127.0.0.1:$API_PORT"
  nginx -p "$NGINX" -c "$NGINX/nginx.conf" -e "$LOG/nginx-error.log" \
    || die "nginx did not start (see $LOG/nginx-error.log)"
}

wait_ready() {
  for _ in $(seq 150); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$API_PORT/readyz" 2>/dev/null; then return; fi
    sleep 0.2
  done
  curl -sS "http://127.0.0.1:$API_PORT/readyz" >&2 || true
  die "/readyz did not answer 200 within 30 s (logs in $LOG)"
}

stop_pidfile() {  # name [signal]: signal, wait up to 20 s, then SIGKILL
  local name=$1 sig=${2:-TERM} f=$RUN/$1.pid pid
  alive "$f" || { rm -f "$f"; return 0; }
  pid=$(head -n1 "$f")
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "${HOST_TAG:-stack}: $name ($pid) did not stop in 20 s, killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

