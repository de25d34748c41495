#!/usr/bin/env bash
# Flusher drain: rows/s landing a queue full of 100-entry records vs psql \copy, and where the time goes
#
#   scripts/bench flusher
#
# One private stack (scripts/stack on free loopback ports), default configuration except the
# queue's size (BENCH_QUEUE entries, so a drain lasts long enough to time), PostgreSQL with
# fsync on. BENCH_REPS rounds (3) of:
#   fill    the flusher stopped (SIGSTOP), wrk posts 100-entry batches until the queue holds
#           BENCH_QUEUE entries (nothing else runs after that)
#   drain   the flusher resumed: rows/s until PostgreSQL holds them all, with the CPU time
#           the flusher and its PostgreSQL backend spent meanwhile
#   copy    psql \copy of as many log-shaped rows into the same table (the baseline)
# then the flusher is stopped (SIGTERM) and its log's "batch timing" line says how its
# transactions' time split between BEGIN, pricing, COPY, the usage rollups, the sequence
# update and COMMIT. This isolates the flusher from the ingest side that `scripts/bench
# overload` measures end to end (wrk, nginx and the workers share the same cores there).
# Target: landed >= 0.8x copy.
# Knobs: BENCH_REPS (3), BENCH_QUEUE (100000), EZ_STACK_PG_FSYNC (on), EZ_BUILD_DIR (build/),
# BENCH_KEEP=1 keeps the stack directory.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

BUILD=$(cd "${EZ_BUILD_DIR:-$EZ_ROOT/build}" 2>/dev/null && pwd) || die "no build dir (run scripts/build)"
REPS=${BENCH_REPS:-3}
QUEUE=${BENCH_QUEUE:-100000}
PER=100
export EZ_STACK_PG_FSYNC=${EZ_STACK_PG_FSYNC:-on}
export EZ_LOG_QUEUE=$QUEUE EZ_LOG_QUEUE_BYTES=$((QUEUE * 1024))
# A full queue must refuse at once while it fills, not hold wrk's connections for a second.
export EZ_LOG_ENQUEUE_WAIT_MS=0
LUA=$EZ_ROOT/tests/bench/logs.lua
for bin in ezapi-server ezapi-flusher ezapi-ctl; do
  [[ -x $BUILD/$bin ]] || die "missing $BUILD/$bin (run scripts/build)"
done
command -v wrk >/dev/null || die "wrk is not installed (scripts/deps installs it)"
PSQL=psql
[[ -x ${PG_BIN:-}/psql ]] && PSQL=$PG_BIN/psql
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
DIR=$(mktemp -d /tmp/ezapi-bench-flusher-XXXXXX)
export EZ_STACK_DIR=$DIR EZ_BUILD_DIR=$BUILD
export EZ_API_PORT=$(free_port) EZ_STACK_PG_PORT=$(free_port) EZ_STACK_REDIS_PORT=$(free_port)
WRK_PID=""
cleanup() {
  set +e
  [[ -n $WRK_PID ]] && kill "$WRK_PID" 2>/dev/null && wait "$WRK_PID" 2>/dev/null
  [[ -s $DIR/run/flusher.pid ]] && kill -CONT "$(cat "$DIR/run/flusher.pid")" 2>/dev/null
  "$EZ_ROOT/scripts/stack" down >/dev/null 2>&1
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "bench: kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }
load_before=$(uptime)
say "bench: starting a stack in $DIR (queue $QUEUE entries, fsync $EZ_STACK_PG_FSYNC)"
"$EZ_ROOT/scripts/stack" up >"$DIR/stack-up.log" 2>&1 || { cat "$DIR/stack-up.log" >&2; die "stack did not start"; }
# shellcheck disable=SC1091
source "$DIR/stack.env"
DSN="host=127.0.0.1 port=$EZ_STACK_PG_PORT dbname=ezapi user=ezapi"
sql() { "$PSQL" "$DSN" -XqtAc "$1"; }
committed() { sql "SELECT coalesce(max(committed_seq), 0) FROM log_flusher_state"; }
metric() {
  curl -fsS "$EZ_API_URL/metrics" | awk -v m="$1" '$1 == m {print $2; f=1} END {if (!f) print -1}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

COLS="ts,received_at,request_id,master_id,key_id,namespace,model,upstream_model,provider_id,provider_type,route_group,status_code,latency_ms,ttft_ms,prompt_tokens,completion_tokens,total_tokens,cost,client_ip,stream,error_type,error_message,extra"
run_copy() {  # rows prefix -> rows/s
  local ts t0 t1
  ts=$(date -u '+%Y-%m-%d %H:%M:%S.000000+00')
  awk -v n="$1" -v ts="$ts" -v p="$2" 'BEGIN {
    for (i = 1; i <= n; i++)
      printf "%s\t%s\t%s-%d\t1\t2\tdefault\tgpt-4o\tgpt-4o-2024-08-06\t3\topenai\tdefault\t200\t1234\t210\t812\t256\t1068\t0.01234\t10.1.2.3\tt\t\\N\t\\N\t\\N\n", ts, ts, p, i
  }' >"$DIR/copy.tsv"
  t0=$(now)
  "$PSQL" "$DSN" -Xq -c "\\copy logs($COLS) FROM '$DIR/copy.tsv'"
  t1=$(now)
  rm -f "$DIR/copy.tsv"
  calc "$1 / ($t1 - $t0)"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

rows=() ratios=()
for rep in $(seq "$REPS"); do
  fpid=$(cat "$DIR/run/flusher.pid")
  base=$(committed)
  kill -STOP "$fpid"
  say "bench: round $rep/$REPS: filling the queue with $QUEUE entries (flusher stopped)"
  wrk -t2 -c8 -d600s -s "$LUA" "$EZ_API_URL/logs" -- "$EZ_INTERNAL_TOKEN" "$PER" "drain$rep" 20 \
    >"$DIR/fill$rep.out" 2>&1 &
  WRK_PID=$!
  deadline=$(($(date +%s) + 300))
  while :; do
    depth=$(metric ezapi_logq_depth_entries)
    ((depth + PER > QUEUE)) && break
    (($(date +%s) < deadline)) || die "the queue did not fill within 300 s (depth $depth)"
    sleep 0.2
  done
  kill "$WRK_PID" 2>/dev/null || true
  wait "$WRK_PID" 2>/dev/null || true
  WRK_PID=""
  sleep 0.5  # answers in flight
  depth=$(metric ezapi_logq_depth_entries)
  backend=$(sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'ezapi-flusher' LIMIT 1")
  f0=$(cpu_ticks "$fpid") b0=$(cpu_ticks "$backend")
  say "bench: round $rep/$REPS: draining $depth entries"
  t0=$(now)
  kill -CONT "$fpid"
  deadline=$(($(date +%s) + 600))
  while (($(committed) < base + depth)); do
    (($(date +%s) < deadline)) || die "the queue did not drain within 600 s"
    sleep 0.05
  done
  t1=$(now)
  f1=$(cpu_ticks "$fpid") b1=$(cpu_ticks "$backend")
  drain_s=$(calc "$t1 - $t0" 3)
  rate=$(calc "$depth / $drain_s")
  fcpu=$(calc "($f1 - $f0) / $hz" 2) bcpu=$(calc "($b1 - $b0) / $hz" 2)
  say "bench: round $rep/$REPS: psql \\copy of $depth rows"
  copy=$(run_copy "$depth" "copy$rep")
  r=$(calc "$rate / $copy" 3)
  ratios+=("$r")
  rows+=("$(printf '%-5s %8s %7s s %9s %9s %6s   cpu: flusher %s s, its backend %s s' \
    "$rep" "$depth" "$drain_s" "$rate" "$copy" "$r" "$fcpu" "$bcpu")")
done

# The flusher's own account of its transactions, written when it stops.
"$EZ_ROOT/scripts/stack" stop flusher >/dev/null 2>&1 || true
timing=$(grep -h 'batch timing:' "$DIR"/log/flusher*.log 2>/dev/null | tail -n1 | sed 's/.*batch timing: //')
in_db=$(sql "SELECT count(*) FROM logs WHERE request_id LIKE 'drain%'")
want=$(committed)
load_after=$(uptime)

cat <<REPORT

== flusher drain bench ($(nproc) cores; build ${build_type:-?}; queue $QUEUE entries of 100-entry records; fsync $EZ_STACK_PG_FSYNC) ==
load before: $load_before
load after:  $load_after
round  entries   drain      rows/s    copy/s  ratio
$(printf '%s\n' "${rows[@]}")

ratio  drained / psql \\copy  $(median "${ratios[@]}")   (median of $REPS; target >= 0.8)
split  ${timing:-(no timing line in the flusher log)}
rows   $in_db drained rows in PostgreSQL (queue sequence $want)
REPORT
