#!/usr/bin/env bash
# The layering of workers/ (README "Layers"): no upward include, no include cycle between
# folders, and the README's table matches the CMake layer targets.
set -euo pipefail
exec python3 "$(dirname "$0")/support/layers.py" "${EZ_SOURCE_DIR:?}"
