#!/usr/bin/env bash
# Full resync (ezapi-ctl sync and POST /sync/snapshot) of 1M keys, 10k providers, 10k models vs redis-benchmark -P
#
# Brings up a private stack (scripts/stack) on free loopback ports, fills it with
# SQL generate_series (tests/bench/sync_seed.sql), then times:
#   - the ceiling: redis-benchmark -P 1000 HSET on the same Redis (fields/s);
#   - `ezapi-ctl sync` under /usr/bin/time -v (wall time and peak RSS);
#   - POST /sync/snapshot through nginx (the worker's own duration_ms).
# The first run builds every hash (Redis empty but for the ceiling's key); later runs find
# them and patch (compare field by field, write the difference). EZ_BENCH_COLD=1 empties
# Redis before every run; EZ_BENCH_BGSAVE=1 starts a BGSAVE right before every run.
# Target (docs/architecture.md, "Targets"): under 3 s. EZ_BENCH_RUNS (3) runs of each; EZ_KEEP_STACK=1
# keeps the stack and its data ($EZ_STACK_DIR) for another run.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

BUILD=${EZ_BUILD_DIR:-$EZ_ROOT/build}
RUNS=${EZ_BENCH_RUNS:-3}
[[ -x $BUILD/ezapi-ctl ]] || die "no binaries in $BUILD (run scripts/build)"
command -v redis-benchmark >/dev/null || die "redis-benchmark not found (apt-get install redis-tools)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

export EZ_STACK_DIR=${EZ_STACK_DIR:-$(mktemp -d /tmp/ezapi-bench-sync.XXXXXX)}
export EZ_API_PORT=${EZ_API_PORT:-$(free_port)}
export EZ_STACK_PG_PORT=${EZ_STACK_PG_PORT:-$(free_port)}
export EZ_STACK_REDIS_PORT=${EZ_STACK_REDIS_PORT:-$(free_port)}
export EZ_BUILD_DIR=$BUILD EZ_STACK_PG_FSYNC=off
cleanup() {
  [[ -n ${EZ_KEEP_STACK:-} ]] && { say "bench: stack kept in $EZ_STACK_DIR"; return; }
  "$EZ_ROOT/scripts/stack" down || true
  rm -rf "$EZ_STACK_DIR"
}
trap cleanup EXIT
"$EZ_ROOT/scripts/stack" up
# shellcheck disable=SC1091
source "$EZ_STACK_DIR/stack.env"
export EZ_CONFIG_FILE EZ_ADMIN_TOKEN EZ_INTERNAL_TOKEN

say "bench: loading 1M keys, 10k providers, 10k models, 10k bindings (first run only)"
start=$(date +%s.%N)
"$PG_BIN/psql" -h 127.0.0.1 -p "$EZ_STACK_PG_PORT" -U ezapi -d ezapi -q -f "$EZ_ROOT/tests/bench/sync_seed.sql"
say "bench: data ready in $(echo "$(date +%s.%N) - $start" | bc) s"

say "bench: ceiling: redis-benchmark -P 1000 HSET, 300-byte values"
ceiling=$(redis-benchmark -h 127.0.0.1 -p "$EZ_STACK_REDIS_PORT" -P 1000 -n 2000000 -r 1000000 \
  -d 300 -t hset -q --csv | awk -F'","' '/HSET/ {print $2+0}')
redis-cli -p "$EZ_STACK_REDIS_PORT" del myhash >/dev/null

# CPU seconds (user + system) of a process, and of every PostgreSQL process of the stack:
# where a resync's time goes besides the client itself.
hz=$(getconf CLK_TCK)
cpu_of() { awk -v hz="$hz" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_cpu() {
  local pm total=0 p
  pm=$(head -n1 "$EZ_STACK_DIR/pg/data/postmaster.pid" 2>/dev/null || true)
  [[ -n $pm ]] || { echo 0; return; }
  for p in $(pgrep -P "$pm" || true); do total=$(echo "$total + $(cpu_of "$p")" | bc); done
  echo "$total"
}
redis_pid=$(cat "$EZ_STACK_DIR/run/redis.pid")
persistence="appendonly $(redis-cli -p "$EZ_STACK_REDIS_PORT" config get appendonly | tail -n1), save '$(redis-cli -p "$EZ_STACK_REDIS_PORT" config get save | tail -n1)'"
say "bench: Redis persistence: $persistence"
load_before=$(uptime)

best_ctl=999999 best_http=999999
if [[ ${EZ_BENCH_COLD:-0} == 1 ]]; then
  # Its syncer would see the empty Redis and resync it first; no HTTP runs then.
  say "bench: cold runs: stopping the master (and its syncer)"
  "$EZ_ROOT/scripts/stack" stop master
fi
for i in $(seq "$RUNS"); do
  # EZ_BENCH_BGSAVE=1: a BGSAVE forks right before the run, as a `save` rule firing at the
  # resync's first writes would (the worst case of RDB persistence).
  # EZ_BENCH_COLD=1: an empty Redis before each run (what a restart without data needs:
  # every hash built from scratch); otherwise the resync finds the hashes of the last run.
  if [[ ${EZ_BENCH_COLD:-0} == 1 ]]; then
    redis-cli -p "$EZ_STACK_REDIS_PORT" flushall >/dev/null
    while redis-cli -p "$EZ_STACK_REDIS_PORT" info persistence | grep -Eq '^(rdb_bgsave|aof_rewrite)_in_progress:1'; do sleep 0.2; done
  fi
  [[ ${EZ_BENCH_BGSAVE:-0} == 1 ]] && redis-cli -p "$EZ_STACK_REDIS_PORT" bgsave >/dev/null
  r0=$(cpu_of "$redis_pid") p0=$(pg_cpu)
  out=$( { /usr/bin/time -f 'TIME %e %M %U %S' "$BUILD/ezapi-ctl" sync >"$EZ_STACK_DIR/sync.json"; } 2>&1 | grep '^TIME')
  r1=$(cpu_of "$redis_pid") p1=$(pg_cpu)
  read -r _ secs rss_kb usr sys <<<"$out"
  ms=$(echo "$secs * 1000 / 1" | bc)
  ((ms < best_ctl)) && best_ctl=$ms && best_rss=$((rss_kb / 1024))
  echo "ctl run $i: ${ms} ms wall, peak RSS $((rss_kb / 1024)) MB, cpu: ctl $(echo "$usr + $sys" | bc) s, redis main $(echo "$r1 - $r0" | bc) s, postgres $(echo "$p1 - $p0" | bc) s; $(cat "$EZ_STACK_DIR/sync.json")"
  # Let a background save or AOF rewrite the run started finish before the next one.
  while redis-cli -p "$EZ_STACK_REDIS_PORT" info persistence | grep -Eq '^(rdb_bgsave|aof_rewrite)_in_progress:1'; do sleep 0.2; done
  # The ingest pool's request timeout (workers.ingest.request_timeout_ms, 30 s by default since the 10 s it had killed resyncs) kills a
  # worker whose resync takes longer (a loaded machine): reported, not fatal.
  if [[ ${EZ_BENCH_COLD:-0} == 1 ]]; then
    :
  elif http=$(curl -fsS -X POST -H "Authorization: Bearer $EZ_INTERNAL_TOKEN" "$EZ_API_URL/sync/snapshot" 2>&1); then
    hms=$(sed -n 's/.*"duration_ms":\([0-9]*\).*/\1/p' <<<"$http")
    ((hms < best_http)) && best_http=$hms
    echo "http run $i: ${hms} ms in the worker, patched $(sed -n 's/.*"patched":\({[^}]*}\).*/\1/p' <<<"$http")"
  else
    echo "http run $i: failed: $http"
  fi
  while redis-cli -p "$EZ_STACK_REDIS_PORT" info persistence | grep -Eq '^(rdb_bgsave|aof_rewrite)_in_progress:1'; do sleep 0.2; done
done

keys=$(redis-cli -p "$EZ_STACK_REDIS_PORT" hlen config:keys)
echo
echo "== sync bench =="
echo "load before: $load_before"
echo "load after:  $(uptime)"
echo "Redis persistence: $persistence"
printf 'redis-benchmark HSET ceiling:   %12.0f fields/s\n' "$ceiling"
printf 'resync (ctl, best of %d):       %6d ms   %12.0f keys/s   %.2f x ceiling\n' "$RUNS" "$best_ctl" \
  "$(echo "$keys * 1000 / $best_ctl" | bc -l)" "$(echo "$keys * 1000 / $best_ctl / $ceiling" | bc -l)"
printf 'resync (POST /sync/snapshot):   %6d ms\n' "$best_http"
printf 'peak RSS of ezapi-ctl sync (best run): %d MB\n' "$best_rss"
printf 'target: under 3000 ms -> %s\n' "$( ((best_http < 3000 || best_ctl < 3000)) && echo met || echo NOT met)"
