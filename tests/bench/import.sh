#!/usr/bin/env bash
# Import of a New API export with 5k providers, 50k masters, 200k keys (ezapi-ctl import): dry run, real run, re-run
#
# Brings up a private stack (scripts/stack) on free loopback ports, writes the
# export with tests/bench/gen_import.py (EZ_BENCH_IMPORT_SIZE="5000 50000 200000"
# providers masters keys), then times under /usr/bin/time (wall, peak RSS):
#   - `ezapi-ctl import FILE --dry-run` (parse + validate + plan);
#   - `ezapi-ctl import FILE` into an empty database (one transaction + one resync);
#   - the same file again (everything skipped);
#   - POST /admin/import?dry_run=true of a file under the HTTP body cap, and the
#     workers' peak RSS (VmHWM) after it.
# Targets: real import under 60 s, dry run under 20 s.
# EZ_BENCH_IMPORT_BASELINE=DIR: first the same three runs with DIR/ezapi-ctl (an
# older build: the baseline of the same run, on the same loaded machine), then
# the tables are emptied and the runs repeated with this build.
# EZ_KEEP_STACK=1 keeps the stack ($EZ_STACK_DIR).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

BUILD=${EZ_BUILD_DIR:-$EZ_ROOT/build}
read -r N_PROV N_MASTER N_KEYS <<<"${EZ_BENCH_IMPORT_SIZE:-5000 50000 200000}"
[[ -x $BUILD/ezapi-ctl ]] || die "no binaries in $BUILD (run scripts/build)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

export EZ_STACK_DIR=${EZ_STACK_DIR:-$(mktemp -d /tmp/ezapi-bench-import.XXXXXX)}
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

file=$EZ_STACK_DIR/export.json
say "bench: writing an export of $N_PROV providers, $N_MASTER masters, $N_KEYS keys"
python3 "$EZ_ROOT/tests/bench/gen_import.py" "$file" "$N_PROV" "$N_MASTER" "$N_KEYS"
say "bench: $(du -h "$file" | cut -f1) file"

# run LABEL ARGS...: one timed ezapi-ctl import ($CTL); prints wall s, peak RSS MB and the stage timings.
CTL=$BUILD/ezapi-ctl
run() {
  local label=$1
  shift
  local out secs rss_kb
  out=$( { /usr/bin/time -f 'TIME %e %M' "$CTL" import "$file" --json "$@" \
    >"$EZ_STACK_DIR/report.json"; } 2>&1 | grep '^TIME') || die "$label failed: $(tail -c 400 "$EZ_STACK_DIR/report.json")"
  read -r _ secs rss_kb <<<"$out"
  printf '%-22s %7.1f s wall, peak RSS %5d MB, counts %s, stages %s\n' "$label" "$secs" \
    "$((rss_kb / 1024))" \
    "$(jq -c '.counts | map_values("\(.created)/\(.updated)/\(.skipped)")' "$EZ_STACK_DIR/report.json")" \
    "$(jq -c '.timings_ms' "$EZ_STACK_DIR/report.json")"
  if jq -e '.write_ms' "$EZ_STACK_DIR/report.json" >/dev/null; then
    printf '%-22s write stage per table %s\n' "" "$(jq -c '.write_ms' "$EZ_STACK_DIR/report.json")"
  fi
}

say "bench: load before: $(uptime)"
if [[ -n ${EZ_BENCH_IMPORT_BASELINE:-} ]]; then
  [[ -x $EZ_BENCH_IMPORT_BASELINE/ezapi-ctl ]] || die "no ezapi-ctl in $EZ_BENCH_IMPORT_BASELINE"
  CTL=$EZ_BENCH_IMPORT_BASELINE/ezapi-ctl
  run "baseline dry run" --dry-run
  run "baseline import"
  run "baseline re-import"
  # Back to an empty database (what the migrations leave) for this build's runs.
  psql "$EZ_PG_DSN" -q -c "TRUNCATE keys, masters, providers, bindings, sync_outbox, audit_log CASCADE" \
    -c "DELETE FROM provider_groups WHERE name <> 'default'" -c "VACUUM ANALYZE" >/dev/null
  CTL=$BUILD/ezapi-ctl
  say "bench: load between: $(uptime)"
fi
run "dry run" --dry-run
run "import (empty db)"
run "re-import (no change)"
say "bench: load after: $(uptime)"

# The HTTP path: a file under the body cap (http.max_body_bytes, 8 MiB by default).
small=$EZ_STACK_DIR/export-small.json
python3 "$EZ_ROOT/tests/bench/gen_import.py" "$small" 200 5000 15000 7
start=$(date +%s.%N)
code=$(curl -s -o "$EZ_STACK_DIR/http.json" -w '%{http_code}' -H "Authorization: Bearer $EZ_ADMIN_TOKEN" \
  --data-binary "@$small" "$EZ_API_URL/admin/import?dry_run=true")
secs=$(echo "$(date +%s.%N) - $start" | bc)
hwm=0
for pid in $(pgrep -P "$(cat "$EZ_STACK_DIR/run/master.pid")"); do
  kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  ((kb > hwm)) && hwm=$kb
done
printf '%-22s %7.1f s wall (HTTP %s, %s), worker peak RSS %d MB\n' "http dry run" "$secs" "$code" \
  "$(du -h "$small" | cut -f1)" "$((hwm / 1024))"
