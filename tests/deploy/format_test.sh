#!/usr/bin/env bash
# Formatting is part of the build's contract: every C++ file matches .clang-format.
set -euo pipefail
cd "${EZ_SOURCE_DIR:?}"
command -v clang-format >/dev/null || { echo "clang-format missing (scripts/deps installs it)"; exit 1; }
mapfile -t files < <(git ls-files 'workers/*.cpp' 'workers/*.h' 'tests/*.cpp' 'tests/*.h' 2>/dev/null ||
                      find workers tests -name '*.cpp' -o -name '*.h')
clang-format --dry-run -Werror "${files[@]}"
echo "format: ${#files[@]} files match .clang-format"
