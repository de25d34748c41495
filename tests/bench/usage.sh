#!/usr/bin/env bash
# Usage and log search over N seeded raw logs: /admin/usage vs the same GROUP BY on raw logs, log search p99, export rows/s
#
#   scripts/bench usage            (BENCH_ROWS=10000000 by default; e.g. BENCH_ROWS=1000000)
#
# Brings up a private stack (scripts/stack) on free loopback ports, then:
#   seed     BENCH_ROWS raw log rows spread evenly over the last 30 days with generate_series
#            (in time order, so the indexes fill sequentially)
#            (50 masters, 500 keys, 8 models, 6 providers, 5% errors, 80% priced), straight
#            into `logs` (the flusher is not what is measured here), and builds the rollups
#            with `ezapi-ctl usage rebuild` (timed)
#   usage    wrk on GET /admin/usage?group_by=master over 30 days (p50/p99)
#   raw      the same GROUP BY master over the raw logs in psql, BENCH_RAW_RUNS times (the
#            baseline: what answering from the raw logs would cost); ratio = raw / usage
#   full     the same sums over the full rollups in psql (the path before sql/008)
#   logs     wrk on GET /admin/logs first page for one key over 7 days (p50/p99)
#   export   GET /admin/logs/export (ndjson, csv) of one master over 30 days and of every
#            row of the last day: rows/s; psql COPY of the day's rows is the baseline
# Targets: usage p99 < 20 ms and >= 100x faster than raw; logs p99 < 20 ms;
# export >= 200k rows/s. The rollups' cost on ingest is measured by `scripts/bench logs`
# on a build without them and on this one (docs/benchmarks.md).
#
# Knobs: BENCH_ROWS (10000000), BENCH_DURATION (s per wrk run, 10), BENCH_CONNECTIONS (4),
# BENCH_RAW_RUNS (5), EZ_BUILD_DIR (build/, Release), BENCH_KEEP=1 keeps the stack directory,
# BENCH_REUSE=DIR measures again on a directory kept that way (no seed, no rebuild).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

ROWS=${BENCH_ROWS:-10000000}
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-4}
RAW_RUNS=${BENCH_RAW_RUNS:-5}
BUILD=$(cd "${EZ_BUILD_DIR:-$EZ_ROOT/build}" 2>/dev/null && pwd) || die "no build dir (run scripts/build)"
[[ $ROWS =~ ^[0-9]+$ && $ROWS -ge 1000 ]] || die "BENCH_ROWS must be an integer >= 1000"
for bin in ezapi-server ezapi-flusher ezapi-ctl; do
  [[ -x $BUILD/$bin ]] || die "missing $BUILD/$bin (run scripts/build)"
done
command -v wrk >/dev/null || die "wrk not found (scripts/deps installs it)"
command -v psql >/dev/null || die "psql not found"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || say "bench: warning: $BUILD is a '${build_type:-?}' build; figures are for Release"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

if [[ -n ${BENCH_REUSE:-} ]]; then
  # A directory an earlier run kept (BENCH_KEEP=1) after seeding: measure again on the same
  # rows and window, with the binaries of EZ_BUILD_DIR, without the seed and the rebuild.
  DIR=$(cd "$BENCH_REUSE" && pwd) || die "BENCH_REUSE: no directory $BENCH_REUSE"
  [[ -f $DIR/seed.env && -f $DIR/stack.env ]] || die "BENCH_REUSE: $DIR holds no finished seed"
  # shellcheck disable=SC1091
  source "$DIR/seed.env"
  # The stack keeps its ports: its configuration names them.
  # shellcheck disable=SC1091
  EZ_API_PORT=$(source "$DIR/stack.env"; echo "${EZ_API_URL##*:}")
  EZ_STACK_PG_PORT=$(source "$DIR/stack.env"; sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$EZ_PG_DSN")
  EZ_STACK_REDIS_PORT=$(source "$DIR/stack.env"; echo "${EZ_REDIS_ADDR##*:}")
  export EZ_API_PORT EZ_STACK_PG_PORT EZ_STACK_REDIS_PORT
  BENCH_KEEP=1
else
  DIR=$(mktemp -d /tmp/ezapi-bench-usage-XXXXXX)
  export EZ_API_PORT=$(free_port) EZ_STACK_PG_PORT=$(free_port) EZ_STACK_REDIS_PORT=$(free_port)
fi
export EZ_STACK_DIR=$DIR EZ_BUILD_DIR=$BUILD EZ_STACK_PG_FSYNC=off
cleanup() {
  "$EZ_ROOT/scripts/stack" down >/dev/null 2>&1 || true
  [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$DIR"
}
trap cleanup EXIT

"$EZ_ROOT/scripts/stack" up >"$DIR/stack-up.log" 2>&1 || { cat "$DIR/stack-up.log" >&2; die "stack up failed"; }
# shellcheck disable=SC1091
source "$DIR/stack.env"
URL=$EZ_API_URL
AUTH="Authorization: Bearer $EZ_ADMIN_TOKEN"
ctl() { (set -a; . "$DIR/secrets.env" 2>/dev/null || true; EZ_CONFIG_FILE=$DIR/config.yaml "$BUILD/ezapi-ctl" "$@"); }

if [[ -z ${BENCH_REUSE:-} ]]; then
now=$(date -u +%s)
to=$(( (now / 3600 + 1) * 3600 ))
say "bench: seeding $ROWS raw log rows over 30 days"
t0=$(date +%s.%N)
psql "$EZ_PG_DSN" -q -v ON_ERROR_STOP=1 -v rows="$ROWS" -v t_to="$to" >/dev/null <<'SQL'
SELECT ez_logs_ensure_partitions(1, 31);
INSERT INTO models (name, input_price, output_price)
SELECT 'default.bench-model-' || i, 0.5 * i, 1.5 * i FROM generate_series(1, 6) i;
-- Rows are generated in time order (the i-th row at from + i * 30 days / rows) and request
-- ids sort the same way: every index of the partitions is then filled at its right edge
-- (sequential, cached) instead of at random places, which made a 10M seed take far longer.
INSERT INTO logs (ts, received_at, request_id, master_id, key_id, namespace, model, provider_id,
                  status_code, latency_ms, prompt_tokens, completion_tokens, total_tokens, cost)
SELECT t, t, 'bench-' || lpad(i::text, 10, '0'), 1 + i % 50, 1 + i % 500, 'default',
       'bench-model-' || (1 + i % 8), 1 + i % 6,
       CASE WHEN i % 20 = 0 THEN 500 WHEN i % 33 = 0 THEN 429 ELSE 200 END,
       20 + (i * 7919) % 3000, p, c, p + c,
       CASE WHEN i % 8 < 6 THEN ((p * 0.5 + c * 1.5) * (1 + i % 8) / 1000000) END
FROM (SELECT i, to_timestamp(:t_to - 30 * 86400 + (i - 1) * (30.0 * 86400 / :rows)) AS t,
             (i * 31) % 4000 AS p, (i * 17) % 1000 AS c
      FROM generate_series(1, :rows::bigint) i) s;  -- bigint: i * 7919 passes 2^31
ANALYZE logs;
SQL
t1=$(date +%s.%N)
seed_s=$(awk "BEGIN{print $t1 - $t0}")
say "bench: rebuilding rollups"
ctl usage rebuild --from "$from30" --to "$to" >"$DIR/rebuild.txt"
t2=$(date +%s.%N)
rebuild_s=$(awk "BEGIN{print $t2 - $t1}")
psql "$EZ_PG_DSN" -q -c "ANALYZE usage_hourly; ANALYZE usage_daily; ANALYZE usage_master_hourly; ANALYZE usage_master_daily;" >/dev/null
cat "$DIR/rebuild.txt" >&2
printf 'ROWS=%s\nto=%s\nseed_s=%s\nrebuild_s=%s\n' "$ROWS" "$to" "$seed_s" "$rebuild_s" >"$DIR/seed.env"
else
  say "bench: reusing the $ROWS rows seeded in $DIR (seed and rebuild times are that run's)"
fi
from30=$(( to - 30 * 86400 ))
from7=$(( to - 7 * 86400 ))

RESULTS=$DIR/results.txt
echo "seed rows=$ROWS s=$seed_s" >"$RESULTS"
echo "rebuild s=$rebuild_s" >>"$RESULTS"

# wrk_run NAME PATH: unpaced, wrk's own latency distribution.
wrk_run() {
  local name=$1 path=$2 out code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$URL$path")
  [[ $code == 200 ]] || die "GET $path -> $code"
  # Warm-up, not counted: every worker's first requests open its PostgreSQL connection and
  # fill that backend's caches (tens of ms each), which is start-up, not steady state.
  wrk -t2 -c"$CONNS" -d2s -H "$AUTH" "$URL$path" >/dev/null 2>&1 || true
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$AUTH" "$URL$path" 2>&1) || { say "$out"; die "wrk failed"; }
  echo "$name rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") p50=$(awk '$1 == "50%" {print $2}' <<<"$out") p99=$(awk '$1 == "99%" {print $2}' <<<"$out") non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")" >>"$RESULTS"
  tail -n1 "$RESULTS" >&2
}

say "bench: GET /admin/usage, 30 days by master"
wrk_run usage "/admin/usage?from=$from30&to=$to&group_by=master"

say "bench: baseline: the same GROUP BY over the raw logs ($RAW_RUNS runs after a warm-up)"
RAW_SQL="SELECT master_id, count(*), count(*) FILTER (WHERE status_code >= 400), sum(prompt_tokens),
       sum(completion_tokens), sum(total_tokens), sum(cost), count(*) FILTER (WHERE cost IS NULL),
       percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms)
FROM logs WHERE ts >= to_timestamp($from30) AND ts < to_timestamp($to) GROUP BY master_id"
psql "$EZ_PG_DSN" -qAt -v ON_ERROR_STOP=1 -c "$RAW_SQL" >/dev/null
# Timed separately (psql's \timing goes to stdout).
raw_ms=$(for _ in $(seq "$RAW_RUNS"); do
  printf '\\timing on\n%s \\g /dev/null\n' "$RAW_SQL" | psql "$EZ_PG_DSN" -qAt -v ON_ERROR_STOP=1 |
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
done | sort -n | tr '\n' ' ')
echo "raw ms=[$raw_ms]" >>"$RESULTS"
tail -n1 "$RESULTS" >&2

# The second baseline: the same 30-day sums over the full rollups (every key x model x
# provider x class), which is what group_by=master read before the per-master rollups
# (sql/008): whole days from usage_daily, the edge hours from usage_hourly.
say "bench: baseline: group_by=master over the full rollups ($RAW_RUNS runs after a warm-up)"
d1=$(( (from30 + 86399) / 86400 * 86400 )); d2=$(( to / 86400 * 86400 ))
HIST=$(for i in $(seq -w 0 25); do printf ', sum(lat_h%s)' "$i"; done)
COLS="master_id, requests, errors, unpriced, prompt_tokens, completion_tokens, total_tokens, cost, latency_max$(for i in $(seq -w 0 25); do printf ', lat_h%s' "$i"; done)"
FULL_SQL="SELECT master_id, sum(requests), sum(errors), sum(unpriced), sum(prompt_tokens),
       sum(completion_tokens), sum(total_tokens), sum(cost), max(latency_max)$HIST
FROM (SELECT $COLS FROM usage_hourly WHERE bucket >= to_timestamp($from30) AND bucket < to_timestamp($d1)
      UNION ALL SELECT $COLS FROM usage_daily WHERE bucket >= to_timestamp($d1) AND bucket < to_timestamp($d2)
      UNION ALL SELECT $COLS FROM usage_hourly WHERE bucket >= to_timestamp($d2) AND bucket < to_timestamp($to)) r
GROUP BY GROUPING SETS ((master_id), ())"
timed_sql() {
  psql "$EZ_PG_DSN" -qAt -v ON_ERROR_STOP=1 -c "$1" >/dev/null
  for _ in $(seq "$RAW_RUNS"); do
    printf '\\timing on\n%s \\g /dev/null\n' "$1" | psql "$EZ_PG_DSN" -qAt -v ON_ERROR_STOP=1 |
      sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
  done | sort -n | tr '\n' ' '
}
echo "full ms=[$(timed_sql "$FULL_SQL")]" >>"$RESULTS"
tail -n1 "$RESULTS" >&2
echo "tables $(psql "$EZ_PG_DSN" -qAt -F' ' -c "SELECT 'hourly=' || (SELECT count(*) FROM usage_hourly), 'daily=' || (SELECT count(*) FROM usage_daily), 'master_hourly=' || (SELECT count(*) FROM usage_master_hourly), 'master_daily=' || (SELECT count(*) FROM usage_master_daily)")" >>"$RESULTS"
tail -n1 "$RESULTS" >&2

say "bench: GET /admin/logs, first page of one key over 7 days"
wrk_run logs "/admin/logs?key_id=7&from=$from7&to=$to&limit=50"

say "bench: exports"
# Two shapes: one master over 30 days (2% of every heap page: the rows are scattered, so
# this reads nearly the whole 30 days from disk or cache) and every row of the last day
# (dense). Baseline for the dense one: psql COPY of the same rows and columns to /dev/null,
# the database's own speed for this result.
from1=$(( to - 86400 ))
export_run() {
  local name=$1 query=$2 fmt s0 s1 lines
  for fmt in ndjson csv; do
    s0=$(date +%s.%N)
    lines=$(curl -fsS -H "$AUTH" "$URL/admin/logs/export?$query&format=$fmt" | wc -l)
    s1=$(date +%s.%N)
    echo "export-$name-$fmt lines=$lines s=$(awk "BEGIN{print $s1 - $s0}")" >>"$RESULTS"
    tail -n1 "$RESULTS" >&2
  done
}
export_run master "master_id=3&from=$from30&to=$to"
export_run day "from=$from1&to=$to"
# copy_run NAME WHERE: psql COPY of the export's rows and columns to /dev/null, the
# database's own speed for that result (the baseline of the export of the same shape).
copy_run() {
  local name=$1 where=$2 s0 s1
  s0=$(date +%s.%N)
  # \copy takes one line.
  psql "$EZ_PG_DSN" -qAt -v ON_ERROR_STOP=1 -c "\\copy (SELECT id, (extract(epoch FROM ts) * 1000000)::bigint, (extract(epoch FROM received_at) * 1000000)::bigint, request_id, master_id, key_id, namespace, model, upstream_model, provider_id, provider_type, route_group, status_code, latency_ms, ttft_ms, prompt_tokens, completion_tokens, total_tokens, cost::text, client_ip, stream, error_type, error_message, extra::text FROM logs WHERE $where ORDER BY ts DESC, id DESC) TO '/dev/null'"
  s1=$(date +%s.%N)
  echo "copy-$name rows=$(psql "$EZ_PG_DSN" -qAt -c "SELECT count(*) FROM logs WHERE $where") s=$(awk "BEGIN{print $s1 - $s0}")" >>"$RESULTS"
  tail -n1 "$RESULTS" >&2
}
copy_run master "master_id = 3 AND ts >= to_timestamp($from30) AND ts < to_timestamp($to)"
copy_run day "ts >= to_timestamp($from1) AND ts < to_timestamp($to)"

say ""
say "== usage bench: $ROWS rows over 30 days (build: ${build_type:-?}, load $(cut -d' ' -f1-3 /proc/loadavg)) =="
python3 - "$RESULTS" "$CONNS" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, *kv = line.split(maxsplit=1)
    rest = kv[0] if kv else ""
    if name in ("raw", "full"):
        rows[name] = [float(x) for x in rest.split("=", 1)[1].strip("[] \n").split()]
    else:
        rows[name] = dict(x.split("=", 1) for x in rest.split())

def ms(v):
    if not v: return float("nan")
    for suffix, mult in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(suffix): return float(v[: -len(suffix)]) * mult
    return float(v)

raw = sorted(rows.get("raw", [])) or [float("nan")]
full = sorted(rows.get("full", [])) or [float("nan")]
raw_med = raw[len(raw) // 2]
u, l = rows["usage"], rows["logs"]
u50, u99, l99 = ms(u["p50"]), ms(u["p99"]), ms(l["p99"])
print(f"seed       {rows['seed']['rows']} rows in {float(rows['seed']['s']):.1f} s; rollup rebuild {float(rows['rebuild']['s']):.1f} s")
print(f"usage      GET /admin/usage 30 days by master, {sys.argv[2]} connections flat out: {float(u['rps']):.0f} req/s, p50 {u50:.2f} ms, p99 {u99:.2f} ms  (target p99 < 20 ms: {'ok' if u99 < 20 else 'MISSED'})")
print(f"raw        same GROUP BY over raw logs: median {raw_med:.0f} ms (runs: {', '.join(f'{x:.0f}' for x in raw)})")
print(f"ratio      raw median / usage p99 = {raw_med / u99:.0f}x, / usage p50 = {raw_med / u50:.0f}x  (target >= 100x: {'ok' if raw_med / u99 >= 100 else 'MISSED'})")
print(f"full       same sums over the full rollups (the path before sql/008): median {full[len(full) // 2]:.1f} ms (runs: {', '.join(f'{x:.1f}' for x in full)})")
print(f"tables     rollup rows: {' '.join(f'{k} {v}' for k, v in rows['tables'].items())}")
print(f"logs       GET /admin/logs first page, one key, 7 days: {float(l['rps']):.0f} req/s, p50 {ms(l['p50']):.2f} ms, p99 {l99:.2f} ms  (target p99 < 20 ms: {'ok' if l99 < 20 else 'MISSED'})")
for shape, what in (("master", "one master, 30 days"), ("day", "every row of 1 day")):
    copy = rows.get(f"copy-{shape}")
    copy_rate = int(copy["rows"]) / float(copy["s"]) if copy else float("nan")
    for fmt in ("ndjson", "csv"):
        e = rows.get(f"export-{shape}-{fmt}")
        if e:
            rate = int(e["lines"]) / float(e["s"])
            print(f"export     {what}, {fmt}: {e['lines']} lines in {float(e['s']):.2f} s = {rate:,.0f} rows/s, {rate / copy_rate:.2f}x psql COPY  (target >= 200k rows/s: {'ok' if rate >= 200000 else 'MISSED'})")
    if copy:
        print(f"copy       psql COPY of the same rows ({what}) to /dev/null: {copy['rows']} rows in {float(copy['s']):.2f} s = {copy_rate:,.0f} rows/s (baseline)")
PY
