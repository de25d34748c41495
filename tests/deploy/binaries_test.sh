#!/usr/bin/env bash
# The three binaries answer --version (project version and git commit) and --help (exit 0,
# every option listed, nothing done) without a configuration or any server.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

make_tmp T
cd "$T"  # no ./config.yaml here: --help and --version must not need one
version=$(sed -n 's/^project(ezapi VERSION \([0-9.]*\).*/\1/p' "$EZ_SOURCE_DIR/CMakeLists.txt")
[[ -n "$version" ]] || fail "no project version in CMakeLists.txt"

declare -A options=(
  [ezapi-server]="--config --check-config --pid-file --version --help"
  [ezapi-flusher]="--config --check-config --pid-file --version --help"
  [ezapi-ctl]="migrate token check-config sync --config --sql-dir --ttl --sub --version --help"
)
for bin in ezapi-server ezapi-flusher ezapi-ctl; do
  exe="$EZ_BUILD_DIR/$bin"
  [[ -x "$exe" ]] || fail "$exe is not built"
  log "$bin --version"
  out=$(EZ_CONFIG_FILE=/nonexistent "$exe" --version) || fail "$bin --version exited non-zero"
  [[ "$out" =~ ^$bin\ $version\ \(commit\ ([0-9a-f]{7,}|unknown)\)$ ]] ||
    fail "$bin --version printed '$out'"
  log "$bin --help"
  out=$(EZ_CONFIG_FILE=/nonexistent "$exe" --help) || fail "$bin --help exited non-zero"
  for opt in ${options[$bin]}; do
    grep -q -- "$opt" <<<"$out" || fail "$bin --help does not list $opt"
  done
  out=$(EZ_CONFIG_FILE=/nonexistent "$exe" -h) || fail "$bin -h exited non-zero"
done
[[ -z "$(ls -A "$T")" ]] || fail "--help or --version wrote files: $(ls -A "$T")"
log "OK"
