# Shared by the scripts/: paths and small helpers. Sourced, not run.
EZ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# True when the pid in file $1 names a live process.
alive() { [[ -s $1 ]] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }
