#!/usr/bin/env bash
# Admin reads at a fixed rate: p99 as a ratio of the trivial libfcgi responder's p99 (targets: GET one <= 1.5x, 50-item list <= 2x)
#
#   scripts/bench admin
#
# Brings up a private stack (scripts/stack) on free loopback ports, seeds 1k
# providers, 1k models, 1k bindings and 5k audit rows, then measures with wrk:
#   1. get      GET /providers/{id}, /models/{name}, /admin/bindings/{id}, round-robin,
#               at BENCH_RATE req/s (fixed rate: tests/bench/admin_rate.lua paces wrk)
#   2. list     GET /providers?limit=50, filtered lists and /admin/audit pages, same rate
#   3. list-plain  the lists above without /admin/bindings (whose items carry their
#               resolution: every provider of the route group, ~9 KB per item), same rate
#   4. get-max  GET /providers/{id} unpaced (throughput)
# then swaps the FastCGI socket to tests/tools/trivial_responder (same nginx, same
# worker count) and runs the same paced and unpaced load against it as the baseline.
#
# Knobs: BENCH_RATE (1000), BENCH_DURATION (seconds per run, 20), BENCH_THREADS (paced
# connections, 4), BENCH_MAX_CONNECTIONS (unpaced, 8), EZ_BUILD_DIR (build/, Release),
# EZ_KEEP_BENCH=1 keeps the stack directory.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

RATE=${BENCH_RATE:-1000}
DURATION=${BENCH_DURATION:-20}
THREADS=${BENCH_THREADS:-4}
MAX_CONN=${BENCH_MAX_CONNECTIONS:-8}
BUILD=$(cd "${EZ_BUILD_DIR:-$EZ_ROOT/build}" 2>/dev/null && pwd) || die "no build dir (run scripts/build)"
LUA=$EZ_ROOT/tests/bench/admin_rate.lua

command -v wrk >/dev/null || die "wrk not found (scripts/deps installs it)"
command -v psql >/dev/null || die "psql not found"
[[ -x $BUILD/ezapi-server ]] || die "no ezapi-server in $BUILD (run scripts/build)"
[[ -x $BUILD/trivial_responder ]] || die "no trivial_responder in $BUILD (run scripts/build)"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || say "bench: warning: $BUILD is a '${build_type:-?}' build; figures are for Release"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

DIR=$(mktemp -d /tmp/ezapi-bench-admin-XXXXXX)
export EZ_STACK_DIR=$DIR EZ_BUILD_DIR=$BUILD EZ_STACK_PG_FSYNC=off
export EZ_API_PORT=$(free_port) EZ_STACK_PG_PORT=$(free_port) EZ_STACK_REDIS_PORT=$(free_port)
TRIVIAL_PID=
cleanup() {
  if [[ -n $TRIVIAL_PID ]]; then kill "$TRIVIAL_PID" 2>/dev/null || true; wait "$TRIVIAL_PID" 2>/dev/null || true; fi
  "$EZ_ROOT/scripts/stack" down >/dev/null 2>&1 || true
  [[ -n ${EZ_KEEP_BENCH:-} ]] || rm -rf "$DIR"
}
trap cleanup EXIT

"$EZ_ROOT/scripts/stack" up >"$DIR/stack-up.log" 2>&1 || { cat "$DIR/stack-up.log" >&2; die "stack up failed"; }
# shellcheck disable=SC1091
source "$DIR/stack.env"
URL=$EZ_API_URL
SOCK=$DIR/run/ezapi.sock

say "bench: seeding"
psql "$EZ_PG_DSN" -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO provider_groups (name) SELECT 'bench-g' || i FROM generate_series(1, 10) i;
INSERT INTO providers (name, type, base_url, api_key, group_id, models)
SELECT 'bench-p' || i, CASE WHEN i % 3 = 0 THEN 'anthropic' ELSE 'openai' END,
       'https://upstream-' || i || '.invalid/v1', 'sk-' || md5(i::text), g.id,
       ARRAY['model-' || i, 'vendor/model-' || i]
FROM generate_series(1, 1000) i JOIN provider_groups g ON g.name = 'bench-g' || (1 + i % 10);
INSERT INTO models (name, context_window, supports_vision, max_output_tokens)
SELECT 'bench.model-' || i, 128000, i % 2 = 0, 8192 FROM generate_series(1, 1000) i;
INSERT INTO bindings (namespace, public_model, route_group, selector_value)
SELECT 'bench', 'model-' || i, 'bench-g' || (1 + i % 10), 'model-' || i FROM generate_series(1, 1000) i;
INSERT INTO audit_log (actor, action, resource, resource_id, after)
SELECT 'bench', 'create', 'provider', i::text, '{"name":"x"}' FROM generate_series(1, 5000) i;
ANALYZE;
SQL

GET_PATHS=$DIR/get.paths LIST_PATHS=$DIR/list.paths
psql "$EZ_PG_DSN" -tAq >"$GET_PATHS" <<'SQL'
SELECT p FROM (
  SELECT 3 * row_number() OVER (ORDER BY id) AS k, '/providers/' || id AS p FROM providers WHERE name LIKE 'bench-p%'
  UNION ALL SELECT 3 * row_number() OVER (ORDER BY id) + 1, '/models/' || name FROM models WHERE name LIKE 'bench.%'
  UNION ALL SELECT 3 * row_number() OVER (ORDER BY id) + 2, '/admin/bindings/' || id FROM bindings WHERE namespace = 'bench'
) x ORDER BY k;
SQL
{
  echo "/providers?limit=50"
  echo "/providers?group=bench-g3&limit=50"
  echo "/providers?type=anthropic&status=active&limit=50"
  echo "/models?namespace=bench&limit=50"
  echo "/admin/bindings?namespace=bench&limit=50"
  echo "/admin/audit?limit=50"
  echo "/admin/audit?resource=provider&actor=bench&limit=50"
} >"$LIST_PATHS"
# Later pages too (keyset pagination: page 2 costs what page 1 does; check it).
for base in "/providers?limit=50" "/models?namespace=bench&limit=50" "/admin/bindings?namespace=bench&limit=50"; do
  next=$(curl -fsS -H "Authorization: Bearer $EZ_ADMIN_TOKEN" "$URL$base" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
  [[ -n $next ]] && echo "$base&cursor=$next" >>"$LIST_PATHS"
done
for p in $(head -n 3 "$GET_PATHS") $(cat "$LIST_PATHS"); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $EZ_ADMIN_TOKEN" "$URL$p")
  [[ $code == 200 ]] || die "seed check: GET $p -> $code"
done

RESULTS=$DIR/results.txt
: >"$RESULTS"

# paced NAME PATHS_FILE: fixed rate through the Lua pacer; records a RESULT line.
paced() {
  local name=$1 paths=$2 out
  out=$(BENCH_RATE=$RATE BENCH_THREADS=$THREADS BENCH_TOKEN=$EZ_ADMIN_TOKEN BENCH_PATHS=$paths \
    wrk -t"$THREADS" -c"$THREADS" -d"${DURATION}s" -s "$LUA" "$URL" 2>&1) || { say "$out"; die "wrk failed"; }
  local line
  line=$(grep '^RESULT ' <<<"$out") || { say "$out"; die "no RESULT from wrk"; }
  echo "$name target=$RATE ${line#RESULT }" >>"$RESULTS"
  say "bench: $name: ${line#RESULT }"
}

# unpaced NAME PATH: as fast as it goes; wrk's own figures.
unpaced() {
  local name=$1 path=$2 out rps p50 p99 non2xx
  out=$(wrk -t2 -c"$MAX_CONN" -d"${DURATION}s" --latency -H "Authorization: Bearer $EZ_ADMIN_TOKEN" \
    "$URL$path" 2>&1) || { say "$out"; die "wrk failed"; }
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  echo "$name target=max rps=$rps p50=$p50 p99=$p99 non2xx=${non2xx:-0}" >>"$RESULTS"
  say "bench: $name: rps=$rps p50=$p50 p99=$p99 non2xx=${non2xx:-0}"
}

LOAD_BEFORE=$(uptime)
say "bench: warm-up"
BENCH_RATE=$RATE BENCH_THREADS=2 BENCH_TOKEN=$EZ_ADMIN_TOKEN BENCH_PATHS=$GET_PATHS \
  wrk -t2 -c2 -d3s -s "$LUA" "$URL" >/dev/null 2>&1 || true

say "bench: ezapi admin reads, ${DURATION}s per run"
paced admin-get "$GET_PATHS"
paced admin-list "$LIST_PATHS"
PLAIN_PATHS=$DIR/list-plain.paths
grep -v '^/admin/bindings' "$LIST_PATHS" >"$PLAIN_PATHS"
paced admin-list-plain "$PLAIN_PATHS"
unpaced admin-get-max "$(head -n1 "$GET_PATHS")"

say "bench: baseline: trivial libfcgi responder on the same socket and nginx"
"$EZ_ROOT/scripts/stack" stop master >/dev/null
workers=$(sed -n 's/^ *count: *\([0-9]*\).*/\1/p' "$DIR/config.yaml" | head -n1)
"$BUILD/trivial_responder" "$SOCK" "${workers:-2}" &
TRIVIAL_PID=$!
for _ in $(seq 100); do [[ -S $SOCK ]] && break; sleep 0.05; done
paced trivial-get "$GET_PATHS"
unpaced trivial-max "$(head -n1 "$GET_PATHS")"
# The same responder closing as ezapi-server's workers do (FCGX_Detach: no lingering close),
# so the part of the ratio that change accounts for shows apart.
kill "$TRIVIAL_PID" 2>/dev/null || true
wait "$TRIVIAL_PID" 2>/dev/null || true
"$BUILD/trivial_responder" "$SOCK" "${workers:-2}" close &
TRIVIAL_PID=$!
for _ in $(seq 100); do [[ -S $SOCK ]] && break; sleep 0.05; done
paced trivialc-get "$GET_PATHS"

say ""
say "== admin bench: ${DURATION}s per run, paced at $RATE req/s with $THREADS connections (build: ${build_type:-?}; $(nproc) cores) =="
say "load before: $LOAD_BEFORE"
say "load after:  $(uptime)"
python3 - "$RESULTS" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, *kv = line.split()
    rows[name] = dict(x.split("=", 1) for x in kv)

def ms(v):  # wrk prints "812.00us", "1.20ms", "2.00s"
    if v is None: return float("nan")
    for suffix, mult in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(suffix): return float(v[: -len(suffix)]) * mult
    return float(v)

print(f"{'run':<18}{'target':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'sched p99':>11}{'non2xx':>8}")
for name in ("admin-get", "admin-list", "admin-list-plain", "trivial-get", "trivialc-get", "admin-get-max", "trivial-max"):
    r = rows.get(name)
    if not r: continue
    paced = "p50_ms" in r
    p50 = float(r["p50_ms"]) if paced else ms(r.get("p50"))
    p99 = float(r["p99_ms"]) if paced else ms(r.get("p99"))
    mx = f"{float(r['max_ms']):9.2f}" if paced else f"{'':>9}"
    sp = f"{float(r['sched_p99_ms']):11.2f}" if paced else f"{'':>11}"
    print(f"{name:<18}{r['target']:>8}{float(r['rps']):>10.0f}{p50:>9.2f}{p99:>9.2f}{mx}{sp}{int(r.get('non2xx', 0)):>8}")

def ratio(a, b):
    try: return float(rows[a]["rps"]) / float(rows[b]["rps"])
    except (KeyError, ZeroDivisionError, ValueError): return float("nan")

print()
print(f"throughput, admin GET one / trivial responder: {ratio('admin-get-max', 'trivial-max'):.2f}x")
# The targets: p99 at the same pacing as a ratio of the trivial responder's p99,
# measured in this run behind the same nginx.
def p99_ratio(name):
    try: return float(rows[name]["p99_ms"]) / float(rows["trivial-get"]["p99_ms"])
    except (KeyError, ZeroDivisionError, ValueError): return float("nan")
base = rows.get("trivial-get", {}).get("p99_ms", "nan")
for name, label, target in (("admin-get", "GET one item", 1.5), ("admin-list", "50-item list", 2.0),
                            ("admin-list-plain", "50-item list without bindings", None)):
    if name not in rows: continue
    r = p99_ratio(name)
    bad = int(rows[name]["non2xx"]) + int(rows[name].get("socket_errors", 0))
    if target is None:
        verdict = "(information)"
    else:
        verdict = "PASS" if r <= target and bad == 0 else "FAIL"
        verdict = f"target <= {target}x: {verdict}"
    print(f"ratio  {label} p99 / trivial responder p99 = {float(rows[name]['p99_ms']):.2f} / "
          f"{float(base):.2f} ms = {r:.2f}x   {verdict}")
if "trivialc-get" in rows:
    basec = float(rows["trivialc-get"]["p99_ms"])
    for name in ("admin-get", "admin-list"):
        if name in rows:
            print(f"info   {name} p99 / trivial responder closing as the workers do (trivialc) p99 = "
                  f"{float(rows[name]['p99_ms']) / basec:.2f}x")
PY
