# Shared by the scripts/: paths and small helpers. Sourced, not run.
EZ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# True when the pid in file $1 names a live process.
alive() { [[ -s $1 ]] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

# ---- one control-plane host (shared by scripts/stack and scripts/cluster) ----
# These use the caller's globals: DIR (the host's directory: config.yaml,
# secrets.env), RUN (pid files, the FastCGI socket), LOG, NGINX (nginx's prefix),
# BUILD (the binaries) and API_PORT (where this host's nginx listens).

as_pg() {
  # PostgreSQL refuses to run as root: use the postgres system user then.
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

secrets() {
  # Random per stack directory, kept across restarts.
  local f=$DIR/secrets.env
  if [[ ! -s $f ]]; then
    umask 077
    {
      echo "EZ_ADMIN_TOKEN=adm_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      echo "EZ_INTERNAL_TOKEN=int_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      echo "EZ_AUTH_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    } >"$f"
  fi
  # shellcheck disable=SC1090
  source "$f"
}

server_env() {
  export EZ_CONFIG_FILE=$DIR/config.yaml
  export EZ_ADMIN_TOKEN EZ_INTERNAL_TOKEN EZ_AUTH_JWT_SECRET
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
  for _ in $(seq 100); do [[ -S $RUN/ezapi.sock ]] && return; sleep 0.1; done
  tail -n 20 "$LOG/master.log" >&2
  die "the master did not open $RUN/ezapi.sock"
}

nginx_up() {
  alive "$RUN/nginx.pid" && return
  mkdir -p "$NGINX"/tmp/{body,fastcgi,proxy,uwsgi,scgi}
  local allow="" net user_line=""
  local nets
  nets=$(awk '/allowed_networks/ {sub(/.*allowed_networks:[ ]*/, ""); print}' "$DIR/config.yaml" | tr -d '"[],')
  [[ -n ${EZ_ALLOWED_NETWORKS:-} ]] && nets=$EZ_ALLOWED_NETWORKS
  for net in ${nets:-127.0.0.1/32 ::1/128}; do allow+="      allow $net;"$'\n'; done
  [[ $(id -u) -eq 0 ]] && user_line="user root root;"
  local max_body=${EZ_HTTP_MAX_BODY_BYTES:-8388608}
  cp "$EZ_ROOT/nginx/fastcgi_params.conf" "$NGINX/fastcgi.conf"
  ALLOW=$allow awk -v user="$user_line" -v run="$RUN" -v logdir="$LOG" -v ngx="$NGINX" \
      -v sock="$RUN/ezapi.sock" -v port="$API_PORT" -v body="$max_body" '
    { gsub(/@USER_LINE@/, user); gsub(/@RUN@/, run); gsub(/@LOG@/, logdir); gsub(/@NGINX@/, ngx);
      gsub(/@SOCKET@/, sock); gsub(/@PORT@/, port); gsub(/@MAX_BODY@/, body);
      if ($0 ~ /@ALLOW@/) { printf "%s", ENVIRON["ALLOW"]; next } print }' \
    "$EZ_ROOT/nginx/dev.conf.template" >"$NGINX/nginx.conf"
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

