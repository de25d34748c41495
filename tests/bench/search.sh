#!/usr/bin/env bash
# Log search plans: one tenant's `status=4xx` page over a day, before and after
# sql/010_log_search.sql, measured in PostgreSQL with pgbench (p50/p99) and EXPLAIN ANALYZE.
#
#   tests/bench/search.sh DSN            (a scratch database with the migrations applied)
#
# Seeds BENCH_ROWS (1000000) rows over the last 24 h into `logs` unless the day holds 90% of
# that: 60% belong to master 1, whose 4xx rows are rare (one in 20,000; 2% are 5xx), the
# rest to 40 other masters (1% 429). That is the report's shape: a day of 600k rows for the
# tenant, and a 4xx page that a walk of the ts index had to read the whole day for.
# Runs the search as the API sends it (the values folded in, as PostgreSQL plans an unnamed
# statement), with the class written as the API used to (`status_code / 100 = 4`) and as it
# does now (a range, which the partial indexes match), BENCH_CLIENTS (2) clients for
# BENCH_DURATION (10) s each, and prints p50/p99 in ms and the load average.
set -euo pipefail
DSN=${1:?usage: tests/bench/search.sh DSN}
ROWS=${BENCH_ROWS:-1000000}
DURATION=${BENCH_DURATION:-10}
CLIENTS=${BENCH_CLIENTS:-2}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
psql_q() { "$PG_BIN/psql" "$DSN" -v ON_ERROR_STOP=1 -qtAc "$1"; }

have=$(psql_q "SELECT count(*) FROM logs WHERE ts >= now() - interval '1 day'")
if ((have < ROWS * 9 / 10)); then
  echo "seeding $ROWS rows" >&2
  psql_q "SELECT ez_logs_ensure_partitions(1, 2)" >/dev/null
  psql_q "INSERT INTO logs (ts, received_at, request_id, master_id, key_id, model, provider_id,
            status_code, latency_ms, prompt_tokens, completion_tokens, total_tokens, error_type)
          SELECT now() - random() * interval '24 hours', now(), 'r' || g, m, m * 10 + g % 5,
            'gpt-' || g % 7, 1 + g % 4,
            CASE WHEN m = 1 AND g % 20000 = 0 THEN 404 WHEN g % 50 = 0 THEN 500
                 WHEN m <> 1 AND g % 97 = 0 THEN 429 ELSE 200 END,
            100, 10, 20, 30, CASE WHEN g % 50 = 0 THEN 'upstream_error' END
          FROM (SELECT g, CASE WHEN g % 10 < 6 THEN 1 ELSE 2 + g % 40 END AS m
                FROM generate_series(1, $ROWS) g) s"
  psql_q "ANALYZE logs"
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
window="ts >= now() - interval '1 day' AND ts < now()"
select="SELECT id, ts, request_id, status_code FROM logs"
order="ORDER BY ts DESC, id DESC LIMIT 51"
echo "$select WHERE $window AND master_id = 1 AND status_code / 100 = 4 $order;" >"$T/division.sql"
echo "$select WHERE $window AND master_id = 1 AND status_code >= 400 AND status_code < 500 $order;" \
  >"$T/range.sql"
echo "$select WHERE $window AND status_code >= 400 AND status_code < 500 $order;" >"$T/admin.sql"

run() {
  local name=$1
  (cd "$T" && "$PG_BIN/pgbench" "$DSN" -n -f "$name.sql" -c "$CLIENTS" -j "$CLIENTS" \
    -T "$DURATION" -l --log-prefix="$name" >/dev/null 2>&1)
  cat "$T/$name".* | awk -v n="$name" '{print $3 / 1000}' | sort -n | awk -v n="$name" \
    '{v[NR]=$1} END {printf "%-9s n=%-6d p50=%8.2f ms  p99=%8.2f ms\n", n, NR, v[int(NR*0.5)+1], v[int(NR*0.99)+1]}'
  rm -f "$T/$name".*
}
echo "plan (range):"
"$PG_BIN/psql" "$DSN" -qAt -c "EXPLAIN (ANALYZE, COSTS OFF) $(cat "$T/range.sql")" | grep -E 'Scan|Execution'
for q in division range admin; do run "$q"; done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
