#!/usr/bin/env bash
# scripts/: every script's --help prints its usage and does nothing else; `stack up`
# refuses ports that someone else holds (naming the port and its owner) before it starts
# or writes anything, and a config.yaml left with other ports; `stack status` fails when
# a part is not running; as root, PostgreSQL's directory is made reachable without
# touching the modes of the directories above the stack; the README names the stack's
# variables.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need ss
scripts="$EZ_SOURCE_DIR/scripts"
make_tmp T

# A PATH in front of the real one whose build and install tools only record that they ran.
mkdir -p "$T/shim"
for tool in apt-get cmake dpkg-query sudo initdb pg_ctl redis-server nginx ctest buildah debootstrap; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/ran"\nexit 0\n' "$tool" "$T" >"$T/shim/$tool"
  chmod +x "$T/shim/$tool"
done

log "--help on every script prints usage and runs nothing"
for s in build run test stack deps bench images; do
  out=$(PATH="$T/shim:$PATH" EZ_STACK_DIR="$T/help-stack" BUILD_DIR="$T/help-build" \
    "$scripts/$s" --help) || fail "scripts/$s --help exited non-zero"
  grep -q "scripts/$s" <<<"$out" || fail "scripts/$s --help does not show its usage: $out"
  out=$(PATH="$T/shim:$PATH" EZ_STACK_DIR="$T/help-stack" BUILD_DIR="$T/help-build" \
    "$scripts/$s" -h) || fail "scripts/$s -h exited non-zero"
done
[[ ! -e "$T/ran" ]] || fail "--help ran something: $(cat "$T/ran")"
[[ ! -e "$T/help-stack" && ! -e "$T/help-build" ]] || fail "--help created a directory"

log "stack status fails when parts are not running"
rc=0
out=$(EZ_STACK_DIR="$T/empty" "$scripts/stack" status) || rc=$?
((rc != 0)) || fail "scripts/stack status exited 0 with nothing running: $out"
grep -q "postgres: stopped" <<<"$out" || fail "status does not say what is stopped: $out"

log "stack up refuses a port someone else listens on, before starting or writing anything"
busy=$(free_port)
"$SYS_PYTHON" -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(600)' "$busy" &
holder=$!
on_exit "stop_pid $holder"
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$busy" || fail "the port holder did not start"
for var in EZ_STACK_PG_PORT EZ_STACK_REDIS_PORT EZ_API_PORT; do
  dir="$T/taken-$var"
  rc=0
  err=$(env EZ_STACK_DIR="$dir" EZ_STACK_PG_PORT="$(free_port)" EZ_STACK_REDIS_PORT="$(free_port)" \
    EZ_API_PORT="$(free_port)" "$var=$busy" EZ_BUILD_DIR="$T/nobin" "$scripts/stack" up 2>&1) || rc=$?
  ((rc != 0)) || fail "stack up succeeded with $var on a taken port"
  grep -q "port $busy" <<<"$err" || fail "$var: the error does not name the port: $err"
  grep -q "python3 (pid $holder)" <<<"$err" || fail "$var: the error does not name the owner: $err"
  for f in config.yaml stack.env pg redis/appendonly.aof.1.base.rdb; do
    [[ ! -e "$dir/$f" ]] || fail "$var: a failed up left $f behind"
  done
done

log "stack up refuses a config.yaml that names other ports"
dir="$T/stale"
mkdir -p "$dir"
printf 'postgres:\n  dsn: host=127.0.0.1 port=1 dbname=ezapi user=ezapi\nredis:\n  addr: 127.0.0.1:2\n' >"$dir/config.yaml"
rc=0
err=$(EZ_STACK_DIR="$dir" EZ_STACK_PG_PORT="$(free_port)" EZ_STACK_REDIS_PORT="$(free_port)" \
  EZ_API_PORT="$(free_port)" EZ_BUILD_DIR="$T/nobin" "$scripts/stack" up 2>&1) || rc=$?
((rc != 0)) || fail "stack up accepted a config.yaml with other ports"
grep -q "EZ_STACK_PG_PORT" <<<"$err" || fail "the error does not name the variable: $err"
[[ ! -e "$dir/stack.env" && ! -e "$dir/pg" ]] || fail "a refused up started something"

log "README names the stack's variables"
for var in EZ_STACK_DIR EZ_STACK_PG_PORT EZ_STACK_REDIS_PORT EZ_API_PORT; do
  grep -q "$var" "$EZ_SOURCE_DIR/README.md" || fail "README.md does not mention $var"
done

if [[ $(id -u) -eq 0 ]] && id postgres >/dev/null 2>&1; then
  log "as root: PostgreSQL under a closed parent without opening the parent"
  closed="$T/closed"
  mkdir -m 0700 "$closed"
  chmod 0711 "$T"  # $T itself stays reachable, as /tmp is; $closed is not
  dir="$closed/stack"
  mkdir -p "$dir/fakebin"
  # Binaries that fail: `up` stops at the migrations, after PostgreSQL and Redis started.
  for b in ezapi-server ezapi-flusher ezapi-ctl; do
    printf '#!/bin/sh\nexit 1\n' >"$dir/fakebin/$b"
    chmod +x "$dir/fakebin/$b"
  done
  export_env=(EZ_STACK_DIR="$dir" EZ_STACK_PG_PORT="$(free_port)" EZ_STACK_REDIS_PORT="$(free_port)"
    EZ_API_PORT="$(free_port)" EZ_BUILD_DIR="$dir/fakebin" EZ_STACK_PG_FSYNC=off)
  on_exit "env ${export_env[*]} '$scripts/stack' down >/dev/null 2>&1"
  env "${export_env[@]}" "$scripts/stack" up >"$T/root-up.log" 2>&1 && fail "up with failing binaries succeeded"
  grep -q "migrations failed" "$T/root-up.log" || fail "up did not get as far as the migrations: $(tail -5 "$T/root-up.log")"
  expect_mode=$(stat -c %a "$closed")
  [[ $expect_mode == 700 ]] || fail "the parent of the stack dir was opened: mode $expect_mode"
  [[ -L "$dir/pg" ]] || fail "$dir/pg is not a link to a reachable directory"
  target=$(readlink "$dir/pg")
  on_exit "rm -rf '$target'"
  [[ $target == /var/lib/ezapi-stack/* ]] || fail "the cluster is in $target"
  [[ $(stat -c %U "$target") == postgres ]] || fail "$target is not owned by postgres"
  env "${export_env[@]}" "$scripts/stack" down >/dev/null 2>&1
fi

log "OK"
