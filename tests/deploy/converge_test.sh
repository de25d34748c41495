#!/usr/bin/env bash
# Converges this machine with ansible/site.yml (connection=local) into a scratch prefix, twice:
# the second run must change nothing. Then starts the installed binaries from the installed
# config, as the installed user, behind nginx running the installed site, and asks /readyz.
#
# No service manager is needed (ezapi_manage_services: false): this script starts PostgreSQL
# (a private cluster) and, after the converge, Redis with the ACL file the role wrote, on
# free loopback ports, then the flusher, the master and nginx itself, and stops every one of
# them on exit, whatever happens. /readyz answering 200 proves the server logs in to Redis
# as the role's ACL user.
#
# Needs root (it creates the ezapi system user and adds nginx's user to its group, as the
# role does on a real host), the binaries in EZ_BUILD_DIR, ansible, PostgreSQL, Redis, nginx.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

[[ $(id -u) -eq 0 ]] || fail "must run as root (creates the ezapi user, as the role does)"
need ansible-playbook nginx curl redis-server redis-cli setpriv runuser
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$PG_BIN/initdb" ]] || fail "PostgreSQL server binaries not found (scripts/deps)"
for bin in ezapi-server ezapi-flusher ezapi-ctl; do
  [[ -x "$EZ_BUILD_DIR/$bin" ]] || fail "$EZ_BUILD_DIR/$bin is not built (scripts/build)"
done
id -u www-data >/dev/null 2>&1 || fail "no www-data user (nginx's package creates it)"

make_tmp T
prefix="$T/root"
mkdir -p "$prefix"
shm_prefix="/ezapi-converge-$$"
pg_port=$(free_port)
redis_port=$(free_port)
http_port=$(free_port)
random() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# Anything under these /dev/shm names is this run's (the queue outlives its processes on
# purpose, so that a restart loses nothing; here nothing must outlive the test).
on_exit "rm -f /dev/shm/${shm_prefix#/}-* /dev/shm/sem.${shm_prefix#/}-*"

# --- PostgreSQL: a private cluster, run by the postgres system user -------------------------
log "PostgreSQL on 127.0.0.1:$pg_port"
mkdir -p "$T/pg"
chown postgres: "$T/pg"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$PG_BIN/initdb" -D "$T/pg/data" -U postgres -E UTF8 --locale=C.UTF-8 \
  --auth-local=trust --auth-host=scram-sha-256 >"$T/pg/initdb.log" 2>&1 ||
  { cat "$T/pg/initdb.log" >&2; fail "initdb failed"; }
as_pg "$PG_BIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/postgres.log" -w -t 60 start \
  -o "-p $pg_port -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null ||
  { tail -n 20 "$T/pg/postgres.log" >&2; fail "PostgreSQL did not start"; }
on_exit "as_pg '$PG_BIN/pg_ctl' -D '$T/pg/data' -m fast -w -t 60 stop >/dev/null 2>&1"

# --- converge, twice ------------------------------------------------------------------------
cat >"$T/inventory.ini" <<EOF
[ezapi]
localhost ansible_connection=local ansible_python_interpreter=$SYS_PYTHON ansible_become=false
EOF
redis_password=rd_$(random 16)
balancer_password=bl_$(random 16)
# JSON extra vars: no quoting surprises with the generated secrets.
cat >"$T/vars.json" <<EOF
{
  "ezapi_prefix": "$prefix",
  "ezapi_manage_services": false,
  "ezapi_apt_update_cache": false,
  "ezapi_postgres_install": false,
  "ezapi_redis_install": false,
  "ezapi_install_method": "copy",
  "ezapi_src_dir": "$EZ_SOURCE_DIR",
  "ezapi_local_build_dir": "$EZ_BUILD_DIR",
  "ezapi_port": $http_port,
  "ezapi_nginx_listen": "127.0.0.1:$http_port",
  "ezapi_shm_prefix": "$shm_prefix",
  "ezapi_redis_addr": "127.0.0.1:$redis_port",
  "ezapi_pg_port": $pg_port,
  "ezapi_pg_admin_become": false,
  "ezapi_pg_admin_unix_socket": "$T/pg",
  "ezapi_jwt_secret": "$(random 32)",
  "ezapi_admin_token": "adm_$(random 16)",
  "ezapi_internal_token": "int_$(random 16)",
  "ezapi_pg_password": "pg'\\\\ /@:%_$(random 12)",
  "ezapi_redis_acl": true,
  "ezapi_redis_password": "$redis_password",
  "ezapi_redis_balancer_password": "$balancer_password"
}
EOF
chmod 600 "$T/vars.json"

# The distribution's nginx.conf (Debian's layout): the role sizes its events and main
# contexts, which the site cannot (docs/operations.md, "nginx sizing").
mkdir -p "$prefix/etc/nginx"
cat >"$prefix/etc/nginx/nginx.conf" <<'EOF'
user www-data;
worker_processes auto;
pid /run/nginx.pid;
include /etc/nginx/modules-enabled/*.conf;

events {
	worker_connections 768;
	# multi_accept on;
}

http {
	include /etc/nginx/sites-enabled/*;
}
EOF

converge() {
  local n=$1
  log "ansible-playbook site.yml, run $n"
  (
    cd "$EZ_SOURCE_DIR/ansible"
    ANSIBLE_CONFIG="$EZ_SOURCE_DIR/ansible/ansible.cfg" ANSIBLE_NOCOLOR=1 \
      ANSIBLE_LOCAL_TEMP="$T/ansible-local" ANSIBLE_REMOTE_TEMP="$T/ansible-remote" \
      ansible-playbook -i "$T/inventory.ini" -e "@$T/vars.json" site.yml
  ) >"$T/converge$n.log" 2>&1 || {
    tail -n 40 "$T/converge$n.log" >&2
    fail "converge run $n failed"
  }
  grep -E '^localhost +:' "$T/converge$n.log" | tail -n 1
}
recap1=$(converge 1)
log "run 1: $recap1"
[[ "$recap1" =~ failed=0 ]] || fail "run 1: $recap1"
recap2=$(converge 2)
log "run 2: $recap2"
if ! [[ "$recap2" =~ changed=0\  && "$recap2" =~ failed=0 ]]; then
  grep -B 2 -E '^changed:' "$T/converge2.log" >&2 || true
  fail "run 2 was not idempotent: $recap2"
fi

# --- what got installed -----------------------------------------------------------------------
log "installed files"
for f in usr/local/bin/ezapi-server usr/local/bin/ezapi-flusher usr/local/bin/ezapi-ctl \
  etc/ezapi/config.yaml etc/systemd/system/ezapi.service etc/systemd/system/ezapi-flusher.service \
  etc/systemd/system/ezapi.socket etc/nginx/sites-enabled/ezapi.conf usr/local/share/doc/ezapi/operations.md; do
  [[ -e "$prefix/$f" ]] || fail "not installed: $f"
done
ls "$prefix"/usr/local/share/ezapi/sql/*.sql >/dev/null 2>&1 || fail "migrations not installed"
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: expected '$3', got '$2'"; }
expect_eq "nginx worker_connections" \
  "$(grep -Ec '^\s+worker_connections 8192;$' "$prefix/etc/nginx/nginx.conf")" 1
expect_eq "nginx worker_rlimit_nofile (before events)" \
  "$(sed -n '/^events/q;/^worker_rlimit_nofile 16384;$/p' "$prefix/etc/nginx/nginx.conf")" \
  "worker_rlimit_nofile 16384;"
expect_eq "config.yaml owner and mode" "$(stat -c '%U:%G %a' "$prefix/etc/ezapi/config.yaml")" "root:ezapi 640"
expect_eq "runtime dir owner" "$(stat -c '%U' "$prefix/run/ezapi")" ezapi
[[ " $(id -nG www-data) " == *" ezapi "* ]] || fail "www-data is not in group ezapi"
grep -q "^ExecStart=$prefix/usr/local/bin/ezapi-server " "$prefix/etc/systemd/system/ezapi.service" ||
  fail "ezapi.service was not pointed at the prefix"
# The migrations ran against the private cluster, as the role the playbook created (over TCP,
# with its password: the cluster trusts only its unix socket).
psql_admin() { "$PG_BIN/psql" -h "$T/pg" -p "$pg_port" -U postgres -d ezapi -tAc "$1"; }
applied=$(psql_admin "SELECT count(*) FROM schema_migrations") ||
  fail "no schema_migrations table in database ezapi"
((applied > 0)) || fail "no migration recorded"
expect_eq "owner of the migrated tables" \
  "$(psql_admin "SELECT tableowner FROM pg_tables WHERE tablename = 'schema_migrations'")" ezapi

# --- Redis, with the ACL file the role wrote -------------------------------------------------
acl="$prefix/etc/redis/ezapi-users.acl"
[[ -s "$acl" ]] || fail "the role wrote no Redis ACL file"
grep -q '^user default off$' "$acl" || fail "the ACL file leaves the default user on"
grep -qv '^user ' "$acl" && fail "the ACL file has a line Redis refuses (only 'user ...' lines load)"
grep -qF "$redis_password" "$acl" && fail "the ACL file holds a password in plain text"
log "Redis on 127.0.0.1:$redis_port with the role's ACL file"
mkdir -p "$T/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --pidfile "$T/redis/redis.pid" \
  --dir "$T/redis" --logfile "$T/redis/redis.log" --save "" --appendonly no --aclfile "$acl" >/dev/null
on_exit "[[ -s '$T/redis/redis.pid' ]] && stop_pid \$(cat '$T/redis/redis.pid')"
rcli() { redis-cli -p "$redis_port" --no-auth-warning "$@"; }
wait_until 10 test -s "$T/redis/redis.pid" || fail "Redis did not start"
bal=(--user ezapi-balancer --pass "$balancer_password")
wait_until 10 rcli "${bal[@]}" ping ||
  fail "Redis did not start (or refused the balancer's password)"
# Nobody without a password; the balancer reads the snapshot hashes and writes nothing.
[[ "$(rcli ping 2>&1)" == *NOAUTH* ]] || fail "Redis answers without a password"
[[ "$(rcli "${bal[@]}" hgetall config:keys 2>&1)" != *NOPERM* ]] || fail "the balancer cannot read config:keys"
[[ "$(rcli "${bal[@]}" hset config:keys x y 2>&1)" == *NOPERM* ]] || fail "the balancer can write config:keys"

# --- run the installed binaries from the installed config ------------------------------------
config="$prefix/etc/ezapi/config.yaml"
# A plain command (not a function) so that `&` forks it directly: $! is then the service's
# own pid (setpriv and env exec), the one to signal and to stop. A clean environment, as
# under systemd: only the installed config file counts. Sanitizer settings pass through
# (scripts/test sets them for sanitizer builds).
as_ezapi=(setpriv --reuid=ezapi --regid=ezapi --init-groups --inh-caps=-all env -i PATH=/usr/bin:/bin
  EZ_CONFIG_FILE="$config")
for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
  [[ -n "${!var:-}" ]] && as_ezapi+=("$var=${!var}")
done

log "starting the flusher and the master as user ezapi"
mkdir -p "$T/log"
"${as_ezapi[@]}" "$prefix/usr/local/bin/ezapi-flusher" >"$T/log/flusher.log" 2>&1 &
flusher_pid=$!
on_exit "stop_pid $flusher_pid 30"
"${as_ezapi[@]}" "$prefix/usr/local/bin/ezapi-server" --config "$config" >"$T/log/master.log" 2>&1 &
master_pid=$!
# Registered after the flusher: cleanups run in reverse, so the master stops first.
on_exit "stop_pid $master_pid 45"
sock="$prefix/run/ezapi/ezapi.sock"
wait_until 30 test -S "$sock" || {
  tail -n 20 "$T/log/master.log" >&2
  fail "the master did not open $sock"
}
# The pids are the services themselves, as the cleanup relies on.
for pid_bin in "$flusher_pid:ezapi-flusher:flusher" "$master_pid:ezapi-server:master"; do
  IFS=: read -r pid bin name <<<"$pid_bin"
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 20 "$T/log/$name.log" >&2
    fail "$bin exited right after start"
  fi
  [[ "$(readlink "/proc/$pid/exe")" == "$prefix/usr/local/bin/$bin" ]] ||
    fail "pid $pid is not $bin"
done

log "starting nginx with the installed site on 127.0.0.1:$http_port"
mkdir -p "$T/nginx"
write_nginx_main "$T/nginx" "$prefix/etc/nginx/sites-enabled/ezapi.conf" www-data
nginx -t -q -p "$T/nginx" -c "$T/nginx/nginx.conf" || fail "nginx -t rejected the installed site"
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf"
on_exit "[[ -f '$T/nginx/nginx.pid' ]] && stop_pid \$(cat '$T/nginx/nginx.pid')"

base="http://127.0.0.1:$http_port"
ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" == 200 ]]; }
wait_until 30 ready || {
  curl -s -D - "$base/readyz" >&2 || true
  tail -n 20 "$T/log/master.log" "$T/nginx/logs/error.log" >&2
  fail "/readyz did not answer 200 through the installed nginx site"
}
log "/readyz: 200"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")
expect_eq "/healthz" "$code" 200
curl -s -D "$T/h" -o /dev/null "$base/healthz"
grep -qi '^X-Request-ID: [0-9a-f]\{32\}' "$T/h" || fail "no X-Request-ID on the response"

log "SIGHUP reloads the installed config and the pool keeps answering"
generation() { curl -s "$base/metrics" | awk '$1 == "ezapi_config_generation" { print $2 }'; }
gen=$(generation)
[[ "$gen" =~ ^[0-9]+$ ]] || fail "no ezapi_config_generation in /metrics (got '$gen')"
kill -HUP "$master_pid"
reloaded() { [[ "$(generation)" == $((gen + 1)) ]]; }
wait_until 30 reloaded || fail "config generation did not go from $gen to $((gen + 1)) after SIGHUP"
wait_until 30 ready || fail "/readyz did not answer 200 after SIGHUP"
kill -0 "$master_pid" 2>/dev/null || fail "the master exited on SIGHUP"

log "OK"
