#!/usr/bin/env bash
# scripts/contracts-drift, the guard between tests/contracts/ and the published shared
# copy, proven on temporary folders only: a clone alone must pass, so this test never
# looks outside the repository. Run scripts/contracts-drift itself where the shared copy
# sits beside the checkout.
source "$(dirname "$0")/support/common.sh"

drift=$EZ_SOURCE_DIR/scripts/contracts-drift
make_tmp tmp
mkdir -p "$tmp/ours" "$tmp/same"
cp "$EZ_SOURCE_DIR"/tests/contracts/*.json "$tmp/ours/"
cp "$tmp"/ours/*.json "$tmp/same/"
"$drift" "$tmp/missing" "$tmp/ours" >/dev/null || fail "an absent shared folder must pass"
"$drift" "$tmp/same" "$tmp/ours" >/dev/null || fail "identical folders must pass"
cp -r "$tmp/same" "$tmp/changed"
printf ' ' >>"$tmp/changed/$(ls "$tmp/changed" | head -n1)"
if "$drift" "$tmp/changed" "$tmp/ours" >/dev/null 2>&1; then fail "a changed file must fail"; fi
cp -r "$tmp/same" "$tmp/extra"
echo '{}' >"$tmp/extra/new_contract.json"
if "$drift" "$tmp/extra" "$tmp/ours" >/dev/null 2>&1; then fail "an extra file must fail"; fi
log "scripts/contracts-drift passes absent and identical copies, fails changed and extra files"
