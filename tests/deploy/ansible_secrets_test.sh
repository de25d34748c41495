#!/usr/bin/env bash
# The role's secrets assert tells an operator which variables to set, and never
# prints a secret's value (it must not hide behind no_log's "censored" either).
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need ansible-playbook
make_tmp T
export ANSIBLE_LOCAL_TEMP="$T/ansible-local" ANSIBLE_HOME="$T/ansible-home" XDG_CACHE_HOME="$T/cache"
export ANSIBLE_ROLES_PATH="$EZ_SOURCE_DIR/ansible/roles" ANSIBLE_NOCOLOR=1 NO_COLOR=1
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
cat >"$T/play.yml" <<'YAML'
- name: Secrets assert only
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Run the role's asserts
      ansible.builtin.include_role:
        name: ezapi
        tasks_from: assert
YAML

# Too short a JWT secret, equal admin and internal tokens, no PostgreSQL or Redis passwords.
leaky='{"ezapi_jwt_secret":"short-SECRET-value","ezapi_admin_token":"same-TOKEN-value-1234",
        "ezapi_internal_token":"same-TOKEN-value-1234"}'
if ansible-playbook "$T/play.yml" -e "$leaky" >"$T/out.log" 2>&1; then
  cat "$T/out.log" >&2
  fail "the play passed without valid secrets"
fi
for expected in 'ezapi_jwt_secret (at least 32 characters)' \
  'ezapi_internal_token (different from ezapi_admin_token)' \
  'ezapi_pg_password (at least 12 characters)' \
  'ezapi_redis_password (at least 16 characters)' \
  'ezapi_redis_balancer_password (at least 16 characters)'; do
  grep -qF "$expected" "$T/out.log" || { cat "$T/out.log" >&2; fail "message lacks: $expected"; }
done
grep -q 'censored' "$T/out.log" && { cat "$T/out.log" >&2; fail "the message is censored"; }
for value in short-SECRET-value same-TOKEN-value-1234; do
  grep -qF "$value" "$T/out.log" && { cat "$T/out.log" >&2; fail "a secret value was printed"; }
done
grep -qF 'ezapi_admin_token (at least' "$T/out.log" && fail "a valid variable was reported"

good='{"ezapi_jwt_secret":"0123456789abcdef0123456789abcdef","ezapi_admin_token":"admin-token-123456",
       "ezapi_internal_token":"internal-token-1234","ezapi_pg_password":"pg-password-12",
       "ezapi_redis_password":"redis-password-1234","ezapi_redis_balancer_password":"balancer-pass-1234"}'
ansible-playbook "$T/play.yml" -e "$good" >"$T/good.log" 2>&1 || true
grep -A1 'Require the secrets' "$T/good.log" | grep -q '^ok:' ||
  { cat "$T/good.log" >&2; fail "valid secrets were refused"; }
log "OK"
