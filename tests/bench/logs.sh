#!/usr/bin/env bash
# POST /logs: accepted/s and landed/s as ratios of a trivial libfcgi responder and psql \copy.
#
# One private stack (scripts/stack on free ports), one run, every figure measured here:
#   fcgi    wrk, one entry per request, against tests/tools/trivial_responder (as many workers
#           as the stack has) behind an nginx rendered from the stack's own nginx.conf
#   logs1   wrk, one entry per request, against /logs; then wait until PostgreSQL has all
#   logs100 the same with 100 entries per request
#   copy    psql \copy of as many log-shaped rows into the same logs table
#   full    the flusher stopped (SIGSTOP) while wrk fills the queue, then resumed: flusher
#           peak RSS at a full queue, and exact accounting once it has drained
# Targets (DESIGN.md §9): logs1 accepted/s >= 0.7 x fcgi req/s; logs100 landed/s >= 0.7 x copy
# rows/s; worker RSS < 30 MB; flusher RSS < 64 MB at full queue.
#
# Knobs (environment): BENCH_DURATION (s, 10), BENCH_THREADS (2), BENCH_CONNECTIONS (32),
# BENCH_BATCH (log.batch_size, 2000), BENCH_QUEUE (entries, 20000), BENCH_QUEUE_BYTES (16 MiB),
# EZ_STACK_PG_FSYNC (on), EZ_BUILD_DIR (build/), BENCH_KEEP=1 keeps the stack directory.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

BUILD=${EZ_BUILD_DIR:-$EZ_ROOT/build}
DURATION=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
export EZ_LOG_BATCH_SIZE=${BENCH_BATCH:-2000}
export EZ_LOG_FLUSH_MS=${BENCH_FLUSH_MS:-100}
export EZ_LOG_QUEUE=${BENCH_QUEUE:-20000}
export EZ_LOG_QUEUE_BYTES=${BENCH_QUEUE_BYTES:-16777216}
export EZ_STACK_PG_FSYNC=${EZ_STACK_PG_FSYNC:-on}
LUA=$EZ_ROOT/tests/bench/logs.lua

for bin in ezapi-server ezapi-flusher ezapi-ctl trivial_responder; do
  [[ -x $BUILD/$bin ]] || die "missing $BUILD/$bin (run scripts/build)"
done
command -v wrk >/dev/null || die "wrk is not installed (scripts/deps installs it)"
PSQL=psql
[[ -x ${PG_BIN:-}/psql ]] && PSQL=$PG_BIN/psql

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "no free port found"
}

DIR=$(mktemp -d /tmp/ezapi-bench-XXXXXX)
export EZ_STACK_DIR=$DIR EZ_BUILD_DIR=$BUILD
export EZ_API_PORT=$(free_port) EZ_STACK_PG_PORT=$(free_port) EZ_STACK_REDIS_PORT=$(free_port)
TRIVIAL_PORT=$(free_port)
TRIVIAL_PID=""

# The flusher's own pid: the one running in our stack directory.
flusher_pid() {
  local p
  for p in $(pgrep -x ezapi-flusher || true); do
    [[ $(readlink "/proc/$p/cwd" 2>/dev/null) == "$DIR" ]] && { echo "$p"; return; }
  done
}

cleanup() {
  set +e
  [[ -s $DIR/run/nginx-trivial.pid ]] && kill -QUIT "$(cat "$DIR/run/nginx-trivial.pid")" 2>/dev/null
  [[ -n $TRIVIAL_PID ]] && kill "$TRIVIAL_PID" 2>/dev/null && wait "$TRIVIAL_PID" 2>/dev/null
  local f
  f=$(flusher_pid)
  [[ -n $f ]] && kill -CONT "$f" 2>/dev/null
  "$EZ_ROOT/scripts/stack" down >/dev/null 2>&1
  f=$(flusher_pid)  # scripts/stack may track a wrapper of it: make sure it is gone
  if [[ -n $f ]]; then
    kill -TERM "$f" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$f" 2>/dev/null || break; sleep 0.1; done
  fi
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "bench: kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }

say "bench: starting a stack in $DIR (queue $EZ_LOG_QUEUE entries / $EZ_LOG_QUEUE_BYTES bytes, batch $EZ_LOG_BATCH_SIZE, fsync $EZ_STACK_PG_FSYNC)"
"$EZ_ROOT/scripts/stack" up >"$DIR/stack-up.log" 2>&1 || { cat "$DIR/stack-up.log" >&2; die "stack did not start"; }
# shellcheck disable=SC1091
source "$DIR/stack.env"
URL=$EZ_API_URL
DSN="host=127.0.0.1 port=$EZ_STACK_PG_PORT dbname=ezapi user=ezapi"
sql() { "$PSQL" "$DSN" -XqtAc "$1"; }
WORKERS=$(awk '/^ *count:/ {print $2; exit}' "$DIR/config.yaml")
WORKERS=${WORKERS:-2}

# wrk run: prints "accepted refused other requests seconds p99_ms"
run_wrk() {  # url entries_per_request prefix [duration]
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${4:-$DURATION}s" -s "$LUA" "$1" -- "$EZ_INTERNAL_TOKEN" "$2" "$3" 2>&1) \
    || { echo "$out" >&2; die "wrk failed"; }
  local line
  line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; die "wrk printed no summary"; }
  local a r o q d e p
  a=$(sed -E 's/.*accepted=([0-9]+).*/\1/' <<<"$line")
  r=$(sed -E 's/.*refused=([0-9]+).*/\1/' <<<"$line")
  o=$(sed -E 's/.*other=([0-9]+).*/\1/' <<<"$line")
  q=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
  d=$(sed -E 's/.*duration_us=([0-9]+).*/\1/' <<<"$line")
  e=$(sed -E 's/.*socket_errors=([0-9]+).*/\1/' <<<"$line")
  p=$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$line")
  ((o == 0 && e == 0)) || say "bench: warning: $o unexpected responses, $e socket errors"
  echo "$a $r $o $q $(calc "$d / 1e6" 3) $(calc "$p / 1e3" 2)"
}

committed() { sql "SELECT coalesce(max(committed_seq), 0) FROM log_flusher_state"; }
landed() { sql "SELECT count(*) FROM logs WHERE request_id LIKE '$1-%'"; }

# Waits until the flusher has committed `want` more sequences than `base`; prints the time.
wait_landed() {  # base want
  local deadline=$(($(date +%s) + 600))
  while (($(committed) < $1 + $2)); do
    (($(date +%s) < deadline)) || die "entries did not land within 600 s"
    sleep 0.1
  done
  now
}

rss_kb() {  # pid field -> kB
  awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# --- fcgi: the trivial responder behind an nginx rendered from the stack's --------------------
say "bench: fcgi baseline (trivial_responder, $WORKERS workers)"
"$BUILD/trivial_responder" "$DIR/run/trivial.sock" "$WORKERS" >"$DIR/log/trivial.log" 2>&1 &
TRIVIAL_PID=$!
for _ in $(seq 50); do [[ -S $DIR/run/trivial.sock ]] && break; sleep 0.1; done
mkdir -p "$DIR/nginx-trivial/tmp"/{body,fastcgi,proxy,uwsgi,scgi}
sed -e "s#unix:$DIR/run/ezapi.sock#unix:$DIR/run/trivial.sock#" \
    -e "s#listen 127.0.0.1:$EZ_API_PORT#listen 127.0.0.1:$TRIVIAL_PORT#" \
    -e "s#pid $DIR/run/nginx.pid#pid $DIR/run/nginx-trivial.pid#" \
    -e "s#$DIR/nginx/tmp#$DIR/nginx-trivial/tmp#g" \
    "$DIR/nginx/nginx.conf" >"$DIR/nginx-trivial/nginx.conf"
grep -q "trivial.sock" "$DIR/nginx-trivial/nginx.conf" || die "could not render the baseline nginx.conf"
nginx -p "$DIR/nginx-trivial" -c "$DIR/nginx-trivial/nginx.conf" -e "$DIR/log/nginx-trivial-error.log" \
  || die "baseline nginx did not start"
sleep 0.3
read -r f_acc _ _ f_req f_sec f_p99 < <(run_wrk "http://127.0.0.1:$TRIVIAL_PORT/logs" 1 fcgi)
kill -QUIT "$(cat "$DIR/run/nginx-trivial.pid")" 2>/dev/null || true
kill "$TRIVIAL_PID" 2>/dev/null || true
wait "$TRIVIAL_PID" 2>/dev/null || true
TRIVIAL_PID=""
fcgi_rps=$(calc "$f_req / $f_sec")

# --- logs1 / logs100 ---------------------------------------------------------------------------
run_logs() {  # per prefix -> "accepted refused requests seconds landed_seconds p99"
  local base t0 acc ref oth req sec p99 t1
  base=$(committed)
  t0=$(now)
  read -r acc ref oth req sec p99 < <(run_wrk "$URL/logs" "$1" "$2")
  t1=$(wait_landed "$base" "$acc")
  echo "$acc $ref $req $sec $(calc "$t1 - $t0" 3) $p99"
}
say "bench: /logs, 1 entry per request"
read -r l1_acc l1_ref l1_req l1_sec l1_land l1_p99 < <(run_logs 1 l1)
say "bench: /logs, 100 entries per request"
read -r l100_acc l100_ref l100_req l100_sec l100_land l100_p99 < <(run_logs 100 l100)

# --- copy: the same rows through psql \copy -----------------------------------------------------
copy_rows=$((l100_acc > 200000 ? l100_acc : 200000))
copy_rows=$((copy_rows > 2000000 ? 2000000 : copy_rows))
say "bench: psql \\copy of $copy_rows rows"
ts=$(date -u '+%Y-%m-%d %H:%M:%S.000000+00')
awk -v n="$copy_rows" -v ts="$ts" 'BEGIN {
  for (i = 1; i <= n; i++)
    printf "%s\t%s\tcopy-%d\t1\t2\tdefault\tgpt-4o\tgpt-4o-2024-08-06\t3\topenai\tdefault\t200\t1234\t210\t812\t256\t1068\t0.01234\t10.1.2.3\tt\t\\N\t\\N\t\\N\n", ts, ts, i
}' >"$DIR/copy.tsv"
cols="ts,received_at,request_id,master_id,key_id,namespace,model,upstream_model,provider_id,provider_type,route_group,status_code,latency_ms,ttft_ms,prompt_tokens,completion_tokens,total_tokens,cost,client_ip,stream,error_type,error_message,extra"
t0=$(now)
"$PSQL" "$DSN" -Xq -c "\\copy logs($cols) FROM '$DIR/copy.tsv'"
t1=$(now)
copy_sec=$(calc "$t1 - $t0" 3)
copy_rps=$(calc "$copy_rows / $copy_sec")
rm -f "$DIR/copy.tsv"

# --- full: the queue full while the flusher is stopped ----------------------------------------
say "bench: full queue (flusher stopped, then resumed)"
fpid=$(flusher_pid)
[[ -n $fpid ]] || die "no flusher running"
base=$(committed)
kill -STOP "$fpid"
read -r full_acc full_ref _ _ _ _ < <(run_wrk "$URL/logs" 100 full 3)
kill -CONT "$fpid"
wait_landed "$base" "$full_acc" >/dev/null
flusher_hwm=$(rss_kb "$fpid" VmHWM)
flusher_anon=$(rss_kb "$fpid" RssAnon)

# --- exact accounting, RSS ---------------------------------------------------------------------
bad=0
for p in l1:$l1_acc l100:$l100_acc full:$full_acc; do
  got=$(landed "${p%%:*}")
  if [[ $got != "${p#*:}" ]]; then say "bench: MISMATCH ${p%%:*}: accepted ${p#*:}, in PostgreSQL $got"; bad=1; fi
done
dups=$(sql "SELECT count(*) - count(DISTINCT request_id) FROM logs WHERE request_id NOT LIKE 'copy-%'")
[[ $dups == 0 ]] || { say "bench: MISMATCH: $dups duplicate rows"; bad=1; }

master=$(cat "$DIR/run/master.pid")
worker_hwm=0 worker_anon=0
for w in $(pgrep -P "$master" || true); do
  h=$(rss_kb "$w" VmHWM) a=$(rss_kb "$w" RssAnon)
  ((h > worker_hwm)) && worker_hwm=$h
  ((a > worker_anon)) && worker_anon=$a
done

l1_aps=$(calc "$l1_acc / $l1_sec")
l1_lps=$(calc "$l1_acc / $l1_land")
l100_aps=$(calc "$l100_acc / $l100_sec")
l100_lps=$(calc "$l100_acc / $l100_land")
r1=$(calc "$l1_aps / $fcgi_rps" 2)
r1l=$(calc "$l1_lps / $fcgi_rps" 2)
r100=$(calc "$l100_lps / $copy_rps" 2)
r100a=$(calc "$l100_aps / $copy_rps" 2)
mb() { calc "$1 / 1024" 1; }
verdict() { awk "BEGIN { exit !($1) }" && echo ok || echo BELOW; }

cat <<REPORT

== POST /logs benchmark ($(nproc) cores; wrk -t$THREADS -c$CONNS -d${DURATION}s; batch $EZ_LOG_BATCH_SIZE; queue $EZ_LOG_QUEUE entries; fsync $EZ_STACK_PG_FSYNC)
baseline  trivial libfcgi responder  $fcgi_rps req/s (p99 $f_p99 ms)
baseline  psql \\copy                 $copy_rps rows/s ($copy_rows rows, 5 indexes)
logs1     accepted $l1_aps entries/s, landed $l1_lps entries/s (p99 $l1_p99 ms; $l1_acc accepted, $l1_ref refused with 503)
logs100   accepted $l100_aps entries/s, landed $l100_lps entries/s (p99 $l100_p99 ms; $l100_acc accepted, $l100_ref refused with 503)
full      $full_acc accepted, $full_ref refused with 503 while the flusher was stopped; all landed after it resumed

ratio  logs1 accepted / fcgi      $r1   (target >= 0.70: $(verdict "$r1 >= 0.7"))   landed / fcgi $r1l
ratio  logs100 landed / copy      $r100   (target >= 0.70: $(verdict "$r100 >= 0.7"))   accepted / copy $r100a
rss    worker peak $(mb "$worker_hwm") MB (anon $(mb "$worker_anon") MB; peak counts the queue pages it wrote)   (target < 30 MB: $(verdict "$worker_hwm < 30720"))
rss    flusher peak $(mb "$flusher_hwm") MB at full queue (anon $(mb "$flusher_anon") MB)   (target < 64 MB: $(verdict "$flusher_hwm < 65536"))
accounting  $( ((bad == 0)) && echo "exact: every 202 entry landed once, no 503 entry landed" || echo "MISMATCH (see above)")
REPORT
exit "$bad"
