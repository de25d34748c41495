#!/usr/bin/env bash
# Installs the console's npm packages from the committed lockfile (npm ci), only when
# node_modules does not match package-lock.json. Called by scripts/deps and by the build.
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "console: npm not found (scripts/deps installs nodejs and npm)" >&2; exit 1; }
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.ezapi-lock.sha256
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
echo "console: npm ci (node_modules does not match package-lock.json)"
# --ignore-scripts: no package needs an install script (esbuild ships its binary as an
# optional dependency); running none is also what npm 11 does by default.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
