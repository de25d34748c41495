#!/usr/bin/env bash
# The Redis contract files live in the repository (tests/contracts/, which the
# tests load), so a clone alone builds and tests. Where the shared copy that
# publishes them exists beside the checkout (../shared/contracts), the two must
# not drift: this check fails on any difference and passes when there is no
# shared copy. It first proves on temporary folders that it can fail.
source "$(dirname "$0")/support/common.sh"

# Prints nothing and returns 0 when `shared` is absent or holds the same files
# with the same bytes as `ours`; otherwise names each difference and returns 1.
compare() {
  local ours=$1 shared=$2
  [[ -d $shared ]] || return 0
  diff -r --brief "$ours" "$shared" >&2
}

make_tmp tmp
mkdir -p "$tmp/ours" "$tmp/same"
cp "$EZ_SOURCE_DIR"/tests/contracts/*.json "$tmp/ours/"
cp "$tmp"/ours/*.json "$tmp/same/"
compare "$tmp/ours" "$tmp/missing" || fail "self-test: an absent shared folder must pass"
compare "$tmp/ours" "$tmp/same" || fail "self-test: identical folders must pass"
cp -r "$tmp/same" "$tmp/changed"
printf ' ' >>"$tmp/changed/$(ls "$tmp/changed" | head -n1)"
if compare "$tmp/ours" "$tmp/changed" 2>/dev/null; then fail "self-test: a changed file must fail"; fi
cp -r "$tmp/same" "$tmp/extra"
echo '{}' >"$tmp/extra/new_contract.json"
if compare "$tmp/ours" "$tmp/extra" 2>/dev/null; then fail "self-test: an extra file must fail"; fi

shared="$(cd "$EZ_SOURCE_DIR/.." && pwd)/shared/contracts"
if [[ ! -d $shared ]]; then
  log "no $shared beside the checkout: nothing to compare"
  exit 0
fi
compare "$EZ_SOURCE_DIR/tests/contracts" "$shared" ||
  fail "tests/contracts differs from $shared: copy the shared files into tests/contracts"
log "tests/contracts matches $shared"
