#!/usr/bin/env bash
# Log flood with the default configuration: non-2xx count, landed rows/s beside psql \copy, admin GET p50/p99 quiet vs during the flood
#
#   scripts/bench overload
#
# One private stack (scripts/stack on free loopback ports) with the DEFAULT configuration
# (log.batch_size 10, log.batch_max 5000, log.enqueue_wait_ms 1000, queue 10000 entries, the
# default worker pools), PostgreSQL with fsync on. Then:
#   quiet   admin GETs (/providers/{id}, /providers?limit=50) paced at BENCH_ADMIN_RATE req/s
#           for BENCH_ADMIN_DURATION s: p50/p99 with nothing else running
#   flood   wrk, BENCH_CONNECTIONS (16) connections posting 100-entry batches to /logs for
#           BENCH_DURATION (30) s as fast as they can (closed loop, no back-off: the server's
#           back-pressure is what slows them); every non-2xx answer is counted
#   during  the same paced admin GETs, started 5 s into the flood
#   landed  rows/s from the flood's start until PostgreSQL holds every accepted entry
#   copy    psql \copy of as many log-shaped rows into the same table (the baseline)
# Targets: no non-2xx; admin p99 during the flood <= 3x quiet; landed >= 0.8x copy.
# Knobs: BENCH_DURATION (30), BENCH_CONNECTIONS (16), BENCH_THREADS (2), BENCH_ADMIN_RATE (200),
# BENCH_ADMIN_DURATION (20), EZ_STACK_PG_FSYNC (on), EZ_BUILD_DIR (build/, Release),
# BENCH_KEEP=1 keeps the stack directory.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

BUILD=$(cd "${EZ_BUILD_DIR:-$EZ_ROOT/build}" 2>/dev/null && pwd) || die "no build dir (run scripts/build)"
DURATION=${BENCH_DURATION:-30}
CONNS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-2}
ADMIN_RATE=${BENCH_ADMIN_RATE:-200}
ADMIN_DURATION=${BENCH_ADMIN_DURATION:-20}
PER=100
export EZ_STACK_PG_FSYNC=${EZ_STACK_PG_FSYNC:-on}
LOGS_LUA=$EZ_ROOT/tests/bench/logs.lua
ADMIN_LUA=$EZ_ROOT/tests/bench/admin_rate.lua
((ADMIN_DURATION + 5 <= DURATION)) || die "BENCH_ADMIN_DURATION + 5 must fit in BENCH_DURATION"

for bin in ezapi-server ezapi-flusher ezapi-ctl; do
  [[ -x $BUILD/$bin ]] || die "missing $BUILD/$bin (run scripts/build)"
done
command -v wrk >/dev/null || die "wrk is not installed (scripts/deps installs it)"
PSQL=psql
[[ -x ${PG_BIN:-}/psql ]] && PSQL=$PG_BIN/psql
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || say "bench: warning: $BUILD is a '${build_type:-?}' build; figures are for Release"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

DIR=$(mktemp -d /tmp/ezapi-bench-overload-XXXXXX)
export EZ_STACK_DIR=$DIR EZ_BUILD_DIR=$BUILD
export EZ_API_PORT=$(free_port) EZ_STACK_PG_PORT=$(free_port) EZ_STACK_REDIS_PORT=$(free_port)
FLOOD_PID=""
cleanup() {
  set +e
  [[ -n $FLOOD_PID ]] && kill "$FLOOD_PID" 2>/dev/null && wait "$FLOOD_PID" 2>/dev/null
  "$EZ_ROOT/scripts/stack" down >/dev/null 2>&1
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "bench: kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }
load_before=$(uptime)
# Anything set in the environment overrides the defaults in the stack: say so in the report.
overrides=$(env | grep -E '^EZ_(LOG|WORKERS|FASTCGI|HTTP)_' | sort | tr '\n' ' ' || true)
config_desc=${overrides:+"overrides: $overrides"}
config_desc=${config_desc:-default configuration}

say "bench: starting a stack in $DIR ($config_desc, fsync $EZ_STACK_PG_FSYNC)"
"$EZ_ROOT/scripts/stack" up >"$DIR/stack-up.log" 2>&1 || { cat "$DIR/stack-up.log" >&2; die "stack did not start"; }
# shellcheck disable=SC1091
source "$DIR/stack.env"
URL=$EZ_API_URL
DSN="host=127.0.0.1 port=$EZ_STACK_PG_PORT dbname=ezapi user=ezapi"
sql() { "$PSQL" "$DSN" -XqtAc "$1"; }

# --- seed: a few providers to read ----------------------------------------------------------
say "bench: seeding 60 providers"
PATHS=$DIR/admin-paths.txt
: >"$PATHS"
for i in $(seq 60); do
  out=$(curl -fsS -H "Authorization: Bearer $EZ_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"ovl-p$i\",\"type\":\"openai\",\"api_key\":\"sk-x$i\",\"models\":[\"gpt-4o\"]}" \
    "$URL/providers") || die "seeding provider $i failed"
  id=$(grep -o '"id":[0-9]*' <<<"$out" | head -n1 | cut -d: -f2)  # no python: it starts slowly
  [[ -n $id ]] || die "no id in: $out"
  echo "/providers/$id" >>"$PATHS"
done
echo "/providers?limit=50" >>"$PATHS"

# paced admin GETs: prints "p50 p99 requests non2xx"
admin_paced() {  # seconds
  local out line
  out=$(BENCH_RATE=$ADMIN_RATE BENCH_THREADS=2 BENCH_TOKEN=$EZ_ADMIN_TOKEN BENCH_PATHS=$PATHS \
    wrk -t2 -c2 -d"${1}s" -s "$ADMIN_LUA" "$URL" 2>&1) || { say "$out"; die "wrk (admin) failed"; }
  line=$(grep '^RESULT ' <<<"$out") || { say "$out"; die "no RESULT from wrk (admin)"; }
  local p50 p99 n bad
  p50=$(sed -E 's/.* p50_ms=([0-9.]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.* p99_ms=([0-9.]+).*/\1/' <<<"$line")
  n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$line")
  echo "$p50 $p99 $n $bad"
}

committed() { sql "SELECT coalesce(max(committed_seq), 0) FROM log_flusher_state"; }
enqueued() {
  curl -fsS "$URL/metrics" | awk '$1 == "ezapi_logq_enqueued_entries_total" {print $2; f=1} END {if (!f) print -1}'
}
metric() {
  curl -fsS "$URL/metrics" | awk -v m="$1" '$1 == m {print $2; f=1} END {if (!f) print 0}'
}

say "bench: warm-up"
admin_paced 3 >/dev/null
say "bench: quiet: admin GETs at $ADMIN_RATE req/s for ${ADMIN_DURATION}s"
read -r q50 q99 qn qbad < <(admin_paced "$ADMIN_DURATION")

# --- the flood ----------------------------------------------------------------------------
say "bench: flood: $CONNS connections x $PER-entry batches for ${DURATION}s, admin GETs from 5 s in"
base=$(committed)
e0=$(enqueued)
waited0=$(metric ezapi_logq_waited_requests_total)
t0=$(now)
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 30s -s "$LOGS_LUA" "$URL/logs" -- \
  "$EZ_INTERNAL_TOKEN" "$PER" flood 0 >"$DIR/flood.out" 2>&1 &
FLOOD_PID=$!
sleep 5
read -r f50 f99 fn fbad < <(admin_paced "$ADMIN_DURATION")
wait "$FLOOD_PID" || { cat "$DIR/flood.out" >&2; die "wrk (flood) failed"; }
FLOOD_PID=""
t_end=$(now)
line=$(grep '^BENCH ' "$DIR/flood.out") || { cat "$DIR/flood.out" >&2; die "wrk printed no summary"; }
f_acc=$(sed -E 's/.*accepted=([0-9]+).*/\1/' <<<"$line")
f_ref=$(sed -E 's/.*refused=([0-9]+).*/\1/' <<<"$line")
f_oth=$(sed -E 's/.*other=([0-9]+).*/\1/' <<<"$line")
f_req=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
f_err=$(sed -E 's/.*socket_errors=([0-9]+).*/\1/' <<<"$line")
e1=$(enqueued)
accepted=$((e1 - e0))
waited=$(( $(metric ezapi_logq_waited_requests_total) - waited0 ))
non2xx=$((f_ref / PER + f_oth))

deadline=$(($(date +%s) + 900))
while (($(committed) < base + accepted)); do
  (($(date +%s) < deadline)) || die "entries did not land within 900 s"
  sleep 0.1
done
t_landed=$(now)
landed_rate=$(calc "$accepted / ($t_landed - $t0)")
accepted_rate=$(calc "$accepted / ($t_end - $t0)")
in_db=$(sql "SELECT count(*) FROM logs WHERE request_id LIKE 'flood-%'")

# --- baseline: psql \copy of as many rows -----------------------------------------------------
COLS="ts,received_at,request_id,master_id,key_id,namespace,model,upstream_model,provider_id,provider_type,route_group,status_code,latency_ms,ttft_ms,prompt_tokens,completion_tokens,total_tokens,cost,client_ip,stream,error_type,error_message,extra"
n=$((accepted < 100000 ? 100000 : accepted > 2000000 ? 2000000 : accepted))
ts=$(date -u '+%Y-%m-%d %H:%M:%S.000000+00')
awk -v n="$n" -v ts="$ts" 'BEGIN {
  for (i = 1; i <= n; i++)
    printf "%s\t%s\tcopy-%d\t1\t2\tdefault\tgpt-4o\tgpt-4o-2024-08-06\t3\topenai\tdefault\t200\t1234\t210\t812\t256\t1068\t0.01234\t10.1.2.3\tt\t\\N\t\\N\t\\N\n", ts, ts, i
}' >"$DIR/copy.tsv"
say "bench: baseline: psql \\copy of $n rows"
c0=$(now)
"$PSQL" "$DSN" -Xq -c "\\copy logs($COLS) FROM '$DIR/copy.tsv'"
c1=$(now)
rm -f "$DIR/copy.tsv"
copy_rate=$(calc "$n / ($c1 - $c0)")
load_after=$(uptime)

verdict() { awk "BEGIN { exit !($1) }" && echo ok || echo NOT MET; }
ratio_landed=$(calc "$landed_rate / $copy_rate" 2)
ratio_p99=$(calc "$f99 / $q99" 2)
ratio_p50=$(calc "$f50 / $q50" 2)

cat <<REPORT

== overload bench ($(nproc) cores; build ${build_type:-?}; $config_desc, fsync $EZ_STACK_PG_FSYNC) ==
load before: $load_before
load after:  $load_after
flood     $CONNS connections x $PER entries, ${DURATION}s, closed loop: $f_req requests answered, non-2xx $non2xx (503: $((f_ref / PER)), other: $f_oth, socket errors: $f_err)
          $accepted entries accepted ($accepted_rate/s while posting), $waited requests waited for queue space
landed    $in_db rows in PostgreSQL; $landed_rate rows/s from the flood's start to the last row landed
copy      psql \\copy of $n rows: $copy_rate rows/s          landed / copy = $ratio_landed   (target >= 0.8: $(verdict "$ratio_landed >= 0.8"))
admin     quiet   p50 $q50 ms  p99 $q99 ms  ($qn requests at $ADMIN_RATE req/s, non-2xx $qbad)
          flood   p50 $f50 ms  p99 $f99 ms  ($fn requests at $ADMIN_RATE req/s, non-2xx $fbad)
          flood / quiet: p50 ${ratio_p50}x  p99 ${ratio_p99}x   (target p99 <= 3x: $(verdict "$ratio_p99 <= 3"))
refusals  $(((non2xx == 0 && f_err == 0)) && echo "none: every request of the flood was answered 2xx" || echo "NOT MET: $non2xx non-2xx answers, $f_err socket errors")
REPORT
[[ $in_db == "$accepted" ]] || { say "bench: MISMATCH: the queue took $accepted entries, PostgreSQL has $in_db"; exit 1; }
