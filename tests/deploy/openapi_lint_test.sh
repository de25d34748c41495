#!/usr/bin/env bash
# docs/openapi.yaml is a valid OpenAPI 3 document: Redocly CLI (pinned in
# tools/openapi/package-lock.json, installed by scripts/deps with `npm ci`) lints it with
# the rules of tools/openapi/redocly.yaml. Any error or warning fails the check.
# (tests/unit/transport/api/openapi_test.cpp separately checks that it documents every route.)
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need node npm
tool="$EZ_SOURCE_DIR/tools/openapi"
[[ -x "$tool/node_modules/.bin/redocly" ]] ||
  fail "Redocly CLI is not installed in $tool (scripts/deps runs npm ci there)"

log "redocly lint docs/openapi.yaml"
rc=0
out=$(cd "$tool" && NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  ./node_modules/.bin/redocly lint --config redocly.yaml --format=stylish \
  "$EZ_SOURCE_DIR/docs/openapi.yaml" 2>&1) || rc=$?
problems=$(grep -E '^\s+[0-9]+:[0-9]+\s+(error|warning)\s' <<<"$out" || true)
if ((rc != 0)) || [[ -n "$problems" ]]; then
  printf '%s\n' "$out" >&2
  fail "docs/openapi.yaml is not a valid OpenAPI document (see above)"
fi
log "OK"
