#!/usr/bin/env bash
# The docs agree with the code on what an operator acts on: the log queue's byte default
# (the server's 1 KiB per entry, also in Ansible and compose), where the secrets live in
# each install method, the by-hand install ending in production mode, and the Compose v1
# command that scripts/deps installs.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

src=$EZ_SOURCE_DIR
ops="$src/docs/operations.md"

log "log.queue_bytes default"
grep -q 'log_queue_capacity \* 1024' "$src/workers/base/config/config.cpp" ||
  fail "the server's queue_bytes default changed: update this test and the docs"
for f in README.md conf/config.example.yaml docs/operations.md docker-compose.yml \
  ansible/roles/ezapi/defaults/main.yml; do
  grep -q '1 KiB' "$src/$f" || fail "$f does not state the 1 KiB per entry default"
  ! grep -Eq '[02-9] KiB (per entry|x capacity|×)' "$src/$f" || fail "$f states another default"
done

log "where the secrets live"
grep -q '^### Where the secrets live' "$ops" || fail "operations.md has no 'Where the secrets live'"
section=$(awk '/^### Where the secrets live/ {on=1; next} on && /^##/ {exit} on' "$ops")
for method in Ansible "By hand" Containers "Dev stack"; do
  grep -q "| $method |" <<<"$section" || fail "'Where the secrets live' does not cover: $method"
done
# The role writes the secrets into config.yaml: the example must not say they never go there.
grep -q "'jwt_secret'" "$src/ansible/roles/ezapi/templates/config.yaml.j2" &&
  grep -q 'not in this file' "$src/conf/config.example.yaml" &&
  ! grep -q 'Ansible role writes them here' "$src/conf/config.example.yaml" &&
  fail "config.example.yaml says secrets never go in config.yaml, but the Ansible role puts them there"

log "the by-hand install ends in production mode"
byhand=$(awk '/^### By hand/ {on=1; next} on && /^###/ {exit} on' "$ops")
grep -q 'mode: production' <<<"$byhand" || fail "the by-hand steps leave server.mode: dev"
grep -q '/etc/ezapi/ezapi.env' <<<"$byhand" || fail "the by-hand steps install no ezapi.env"
grep -q '^EZ_SERVER_MODE=production' "$src/conf/ezapi.env.example" ||
  fail "conf/ezapi.env.example no longer sets production mode"

log "Compose v1 (scripts/deps installs docker-compose) is named beside docker compose"
grep -q 'docker-compose' "$src/scripts/deps" || fail "scripts/deps no longer installs docker-compose: update the docs"
grep -q '`docker-compose up -d' "$ops" || fail "operations.md only shows 'docker compose'"
grep -q 'docker-compose up -d' "$src/docker-compose.yml" || fail "docker-compose.yml only shows 'docker compose'"

log "OK"
