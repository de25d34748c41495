#!/usr/bin/env bash
# systemd/*: `systemd-analyze verify` must print nothing for any unit, and the units must keep
# the properties the deployment relies on (notify readiness, reload by SIGHUP, drain time,
# sandbox that still shares /dev/shm between the master and the flusher).
#
# verify checks that every ExecStart binary exists, so it runs on copies whose
# /usr/local/bin/ezapi-* paths point at the built binaries (or at stubs when a binary has not
# been built, so that the unit syntax is still checked). No systemd needs to be running.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need systemd-analyze

units_dir="$EZ_SOURCE_DIR/systemd"
units=("$units_dir"/*.service "$units_dir"/*.socket)
[[ -f "$units_dir/ezapi.service" && -f "$units_dir/ezapi-flusher.service" ]] ||
  fail "systemd/ezapi.service and systemd/ezapi-flusher.service must exist"

make_tmp T
mkdir -p "$T/units" "$T/bin"
for name in ezapi-server ezapi-flusher ezapi-ctl; do
  if [[ -x "$EZ_BUILD_DIR/$name" ]]; then
    ln -s "$EZ_BUILD_DIR/$name" "$T/bin/$name"
  else
    log "note: $EZ_BUILD_DIR/$name not built, verifying against a stub"
    printf '#!/bin/sh\nexit 0\n' >"$T/bin/$name"
    chmod +x "$T/bin/$name"
  fi
done
for unit in "${units[@]}"; do
  sed "s#/usr/local/bin/ezapi-#$T/bin/ezapi-#g" "$unit" >"$T/units/$(basename "$unit")"
done

log "systemd-analyze verify ${units[*]##*/}"
out=$(cd "$T/units" && systemd-analyze verify --man=no ./*.service ./*.socket 2>&1) ||
  fail "systemd-analyze verify failed: $out"
[[ -z "$out" ]] || fail "systemd-analyze verify printed: $out"

# has UNIT REGEX: the unit has a line matching REGEX (comments excluded).
has() {
  local body
  body=$(grep -v '^\s*#' "$units_dir/$1")
  grep -Eq "$2" <<<"$body"
}
must() { has "$1" "$2" || fail "$1: no line matching '$2'"; }
must_not() { ! has "$1" "$2" || fail "$1: must not have '$2'"; }

log "unit properties"
for unit in ezapi.service ezapi-flusher.service; do
  must "$unit" '^Type=notify$'
  must "$unit" '^User=ezapi$'
  must "$unit" '^NoNewPrivileges=yes$'
  must "$unit" '^ProtectSystem=strict$'
  must "$unit" '^PrivateTmp=yes$'
  must "$unit" '^Environment=EZ_CONFIG_FILE=/etc/ezapi/config.yaml$'
  # Each of these would hide or delete the shared-memory log queue.
  must_not "$unit" '^(RemoveIPC|PrivateIPC|DynamicUser)=(yes|true|on|1)$'
  must_not "$unit" '^(InaccessiblePaths|TemporaryFileSystem)=.*/dev/shm'
done
must ezapi.service '^ExecReload=/bin/kill -HUP \$MAINPID$'
must ezapi.service '^ExecStart=/usr/local/bin/ezapi-server( |$)'
must ezapi.service '^RuntimeDirectory=ezapi$'
must ezapi.service '^KillMode=mixed$'
must ezapi-flusher.service '^ExecStart=/usr/local/bin/ezapi-flusher( |$)'
must ezapi-flusher.service '^Restart=always$'
must ezapi-flusher.service '^After=.*postgresql\.service'
must ezapi-flusher.service '^Before=.*ezapi\.service'

# The master's drain is bounded by workers.request_timeout_ms (30 s by default).
stop_s=$(grep -E '^TimeoutStopSec=' "$units_dir/ezapi.service" | sed -E 's/.*=([0-9]+)s?$/\1/')
[[ "$stop_s" =~ ^[0-9]+$ ]] && ((stop_s > 30)) ||
  fail "ezapi.service: TimeoutStopSec ($stop_s) must exceed the 30 s request timeout"

if [[ -f "$units_dir/ezapi.socket" ]]; then
  # Same path as the fastcgi.socket default, so nginx's site works with or without it.
  must ezapi.socket '^ListenStream=/run/ezapi/ezapi\.sock$'
  must_not ezapi.socket '^PartOf=ezapi\.service'
fi

# Informational hardening score; fail only if the sandbox was clearly lost.
score=$(cd "$T/units" && systemd-analyze security --offline=yes ./ezapi.service 2>/dev/null |
  sed -nE 's/.*Overall exposure level for [^:]*: ([0-9.]+).*/\1/p')
if [[ -n "$score" ]]; then
  log "ezapi.service exposure level $score"
  awk -v s="$score" 'BEGIN { exit !(s < 3.0) }' || fail "ezapi.service exposure $score >= 3.0"
fi

log "OK"
