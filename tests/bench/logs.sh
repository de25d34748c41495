#!/usr/bin/env bash
# POST /logs: accepted/s and landed/s as ratios of a trivial libfcgi responder and psql \copy.
#
# One private stack (scripts/stack on free ports), one run, every figure measured here.
# BENCH_REPS rounds (3) of:
#   fcgi    wrk, one entry per request, against tests/tools/trivial_responder (as many workers
#           as the stack has) behind an nginx rendered from the stack's own nginx.conf
#   fcgic   the same with the responder closing as ezapi-server's workers do (no linger)
#   logs1   wrk, one entry per request, against /logs; then wait until PostgreSQL has all
#   logs100 the same with 100 entries per request
#   copy    psql \copy of as many log-shaped rows into the same logs table
# and the median of each round's ratios is the result (the rounds interleave the baseline
# and the measurement, so a neighbour's load on a shared machine hits both alike). Then once:
#   full    the flusher stopped (SIGSTOP) while wrk fills the queue, then resumed: flusher
#           peak RSS at a full queue, and exact accounting once it has drained
# Targets (docs/architecture.md, "Targets"): logs1 accepted/s >= 0.8 x fcgi req/s; logs100 landed/s >= 0.7 x copy
# rows/s; worker RSS < 30 MB; flusher RSS < 64 MB at full queue.
#
# Clients back off BENCH_BACKOFF_MS (100) after a 503 (a balancer honours Retry-After; a
# client that does not only burns the CPU the flusher needs on requests a full queue refuses).
# Knobs (environment): BENCH_REPS (3), BENCH_DURATION (s per wrk run, 5), BENCH_THREADS (2),
# BENCH_CONNECTIONS (32), BENCH_BATCH (log.batch_size, 2000), BENCH_FLUSH_MS (log.flush_ms, 10),
# BENCH_QUEUE (entries, 20000), BENCH_QUEUE_BYTES (16 MiB),
# EZ_STACK_PG_FSYNC (on), EZ_BUILD_DIR (build/), BENCH_KEEP=1 keeps the stack directory.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

BUILD=${EZ_BUILD_DIR:-$EZ_ROOT/build}
DURATION=${BENCH_DURATION:-5}
REPS=${BENCH_REPS:-3}
BACKOFF=${BENCH_BACKOFF_MS:-100}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
export EZ_LOG_BATCH_SIZE=${BENCH_BATCH:-2000}
export EZ_LOG_FLUSH_MS=${BENCH_FLUSH_MS:-10}
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
TRIVIALC_PORT=$(free_port)

# The flusher's own pid: the one running in our stack directory.
flusher_pid() {
  local p
  for p in $(pgrep -x ezapi-flusher || true); do
    [[ $(readlink "/proc/$p/cwd" 2>/dev/null) == "$DIR" ]] && { echo "$p"; return; }
  done
}

cleanup() {
  set +e
  stop_trivials
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
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${4:-$DURATION}s" -s "$LUA" "$1" -- "$EZ_INTERNAL_TOKEN" "$2" "$3" "$BACKOFF" 2>&1) \
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
# Entries the workers answered 202 for, as the queue counts them (wrk misses the answers
# to requests still in flight when it stops; the server does not).
enqueued() {
  curl -fsS "$URL/metrics" | awk '$1 == "ezapi_logq_enqueued_entries_total" {print $2; f=1} END {if (!f) print -1}'
}
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

# --- fcgi baseline: the trivial responder behind an nginx rendered from the stack's ------------
# Two of them, each behind its own nginx: "trivial" closes as libfcgi does by default
# (shutdown, then wait for nginx to close: the baseline as it always was), "trivialc" closes
# plainly as ezapi-server's workers do (FCGX_Detach), so the gain of that change shows apart.
TRIVIAL_PIDS=()
start_trivial() {  # tag mode port
  local tag=$1 mode=$2 port=$3
  "$BUILD/trivial_responder" "$DIR/run/$tag.sock" "$WORKERS" "$mode" >"$DIR/log/$tag.log" 2>&1 &
  TRIVIAL_PIDS+=($!)
  for _ in $(seq 50); do [[ -S $DIR/run/$tag.sock ]] && break; sleep 0.1; done
  mkdir -p "$DIR/nginx-$tag/tmp"/{body,fastcgi,proxy,uwsgi,scgi}
  # The stack's nginx.conf includes its site (nginx/ezapi.conf rendered): copy both.
  sed -e "s#pid $DIR/run/nginx.pid#pid $DIR/run/nginx-$tag.pid#" \
      -e "s#$DIR/nginx/tmp#$DIR/nginx-$tag/tmp#g" \
      -e "s#include $DIR/nginx/ezapi.conf#include $DIR/nginx-$tag/ezapi.conf#" \
      "$DIR/nginx/nginx.conf" >"$DIR/nginx-$tag/nginx.conf"
  sed -e "s#unix:$DIR/run/ezapi.sock#unix:$DIR/run/$tag.sock#" \
      -e "s#unix:$DIR/run/ezapi-ingest.sock#unix:$DIR/run/$tag.sock#" \
      -e "s#listen 127.0.0.1:$EZ_API_PORT#listen 127.0.0.1:$port#" \
      "$DIR/nginx/ezapi.conf" >"$DIR/nginx-$tag/ezapi.conf"
  grep -q "$tag.sock" "$DIR/nginx-$tag/ezapi.conf" && grep -q "nginx-$tag/ezapi.conf" "$DIR/nginx-$tag/nginx.conf" \
    || die "could not render the baseline nginx.conf"
  nginx -p "$DIR/nginx-$tag" -c "$DIR/nginx-$tag/nginx.conf" -e "$DIR/log/nginx-$tag-error.log" \
    || die "baseline nginx did not start"
}
stop_trivials() {
  local tag p
  for tag in trivial trivialc; do
    [[ -s $DIR/run/nginx-$tag.pid ]] && kill -QUIT "$(cat "$DIR/run/nginx-$tag.pid")" 2>/dev/null
  done
  for p in "${TRIVIAL_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  TRIVIAL_PIDS=()
  return 0
}
start_trivial trivial linger "$TRIVIAL_PORT"
start_trivial trivialc close "$TRIVIALC_PORT"
sleep 0.3

run_logs() {  # per prefix -> "server_accepted client_accepted refused seconds landed_seconds p99"
  local base e0 e1 t0 acc ref oth req sec p99 t1
  base=$(committed)
  e0=$(enqueued)
  t0=$(now)
  read -r acc ref oth req sec p99 < <(run_wrk "$URL/logs" "$1" "$2")
  e1=$(enqueued)
  ((e0 >= 0 && e1 >= 0)) || die "no ezapi_logq_enqueued_entries_total on $URL/metrics"
  t1=$(wait_landed "$base" "$((e1 - e0))")
  echo "$((e1 - e0)) $acc $ref $sec $(calc "$t1 - $t0" 3) $p99"
}

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
COLS="ts,received_at,request_id,master_id,key_id,namespace,model,upstream_model,provider_id,provider_type,route_group,status_code,latency_ms,ttft_ms,prompt_tokens,completion_tokens,total_tokens,cost,client_ip,stream,error_type,error_message,extra"

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

rows=() r1s=() r1cs=() r100s=() checks=()
for rep in $(seq "$REPS"); do
  say "bench: round $rep/$REPS: fcgi baseline, /logs x1, /logs x100, psql \\copy"
  read -r _ _ _ f_req f_sec f_p99 < <(run_wrk "http://127.0.0.1:$TRIVIAL_PORT/logs" 1 "fcgi$rep")
  fcgi=$(calc "$f_req / $f_sec")
  read -r _ _ _ fc_req fc_sec _ < <(run_wrk "http://127.0.0.1:$TRIVIALC_PORT/logs" 1 "fcgic$rep")
  fcgic=$(calc "$fc_req / $fc_sec")
  read -r a1 c1 x1 s1 land1 p1 < <(run_logs 1 "l1r$rep")
  read -r a100 c100 x100 s100 land100 p100 < <(run_logs 100 "l100r$rep")
  n=$((a100 < 100000 ? 100000 : a100 > 1000000 ? 1000000 : a100))
  copy=$(run_copy "$n" "copyr$rep")
  acc1=$(calc "$a1 / $s1") lnd1=$(calc "$a1 / $land1")
  acc100=$(calc "$a100 / $s100") lnd100=$(calc "$a100 / $land100")
  r1=$(calc "$acc1 / $fcgi" 3) r1c=$(calc "$acc1 / $fcgic" 3) r100=$(calc "$lnd100 / $copy" 3)
  r1s+=("$r1") r1cs+=("$r1c") r100s+=("$r100")
  checks+=("l1r$rep:$a1:$c1:1" "l100r$rep:$a100:$c100:100")
  rows+=("$(printf '%-5s %8s %8s %8s %8s %9s %9s %8s %6s %6s %6s   p99 %s/%s/%s ms, 503: %s/%s' \
    "$rep" "$fcgi" "$fcgic" "$acc1" "$lnd1" "$acc100" "$lnd100" "$copy" "$r1" "$r1c" "$r100" "$f_p99" "$p1" "$p100" "$x1" "$x100")")
done
stop_trivials

# --- full: the queue full while the flusher is stopped ----------------------------------------
say "bench: full queue (flusher stopped, then resumed)"
fpid=$(flusher_pid)
[[ -n $fpid ]] || die "no flusher running"
base=$(committed)
e0=$(enqueued)
kill -STOP "$fpid"
read -r full_cli full_ref _ _ _ _ < <(run_wrk "$URL/logs" 100 full 3)
kill -CONT "$fpid"
# Requests still waiting for queue space when wrk stopped (log.enqueue_wait_ms) are queued
# once the flusher frees some: count them too, or they land as unexplained extra rows.
sleep "$(calc "${EZ_LOG_ENQUEUE_WAIT_MS:-1000} / 1000 + 0.5" 1)"
full_acc=$(($(enqueued) - e0))
wait_landed "$base" "$full_acc" >/dev/null
flusher_hwm=$(rss_kb "$fpid" VmHWM)
flusher_anon=$(rss_kb "$fpid" RssAnon)
checks+=("full:$full_acc:$full_cli:100")

# --- exact accounting, RSS ---------------------------------------------------------------------
bad=0
for c in "${checks[@]}"; do
  IFS=: read -r name server client per <<<"$c"
  got=$(landed "$name")
  if [[ $got != "$server" ]]; then
    say "bench: MISMATCH $name: the queue took $server entries, PostgreSQL has $got"; bad=1
  fi
  # wrk may stop before reading the answers of its last requests (at most one per connection).
  if ((client > server || server > client + CONNS * per)); then
    say "bench: MISMATCH $name: wrk saw $client entries answered 202, the queue took $server"; bad=1
  fi
done
dups=$(sql "SELECT count(*) - count(DISTINCT request_id) FROM logs WHERE request_id NOT LIKE 'copy%'")
[[ $dups == 0 ]] || { say "bench: MISMATCH: $dups duplicate rows"; bad=1; }

master=$(cat "$DIR/run/master.pid")
worker_hwm=0 worker_anon=0
for w in $(pgrep -P "$master" || true); do
  h=$(rss_kb "$w" VmHWM) a=$(rss_kb "$w" RssAnon)
  ((h > worker_hwm)) && worker_hwm=$h
  ((a > worker_anon)) && worker_anon=$a
done

r1=$(median "${r1s[@]}")
r1c=$(median "${r1cs[@]}")
r100=$(median "${r100s[@]}")
mb() { calc "$1 / 1024" 1; }
verdict() { awk "BEGIN { exit !($1) }" && echo ok || echo BELOW; }

cat <<REPORT

== POST /logs benchmark ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS -c$CONNS -d${DURATION}s, ${BACKOFF} ms back-off after 503; batch $EZ_LOG_BATCH_SIZE, flush $EZ_LOG_FLUSH_MS ms; queue $EZ_LOG_QUEUE entries; fsync $EZ_STACK_PG_FSYNC)
round     fcgi    fcgic   logs1 accepted/landed   logs100 accepted/landed     copy    r1    r1c   r100   (per second)
$(printf '%s\n' "${rows[@]}")

ratio  logs1 accepted / trivial fcgi responder  $r1   (median of $REPS; target >= 0.80: $(verdict "$r1 >= 0.8"))
ratio  logs1 accepted / trivial responder closing as the workers do (fcgic)  $r1c   (median of $REPS; information: the same hop on both sides)
ratio  logs100 landed / psql \\copy              $r100   (median of $REPS; target >= 0.70: $(verdict "$r100 >= 0.7"))
full   $full_acc accepted, $full_ref refused with 503 while the flusher was stopped; all landed after it resumed
rss    worker peak $(mb "$worker_hwm") MB (anon $(mb "$worker_anon") MB; the peak counts the queue pages it wrote)   (target < 30 MB: $(verdict "$worker_hwm < 30720"))
rss    flusher peak $(mb "$flusher_hwm") MB at full queue (anon $(mb "$flusher_anon") MB)   (target < 64 MB: $(verdict "$flusher_hwm < 65536"))
accounting  $( ((bad == 0)) && echo "exact: PostgreSQL holds each entry the queue took once; wrk's 202 count agrees (up to answers in flight at its stop)" || echo "MISMATCH (see above)")
REPORT
exit "$bad"
