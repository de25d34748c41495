#!/usr/bin/env bash
# ansible/: Debian's ansible-lint (production profile, offline: every collection used ships
# with Debian's `ansible` package) must report nothing, and the playbook must pass
# ansible-playbook's own syntax check.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need ansible-lint ansible-playbook
cd "$EZ_SOURCE_DIR/ansible" || fail "no ansible/ directory"
make_tmp T
# Keep ansible-lint's and Ansible's caches out of the checkout and of $HOME.
export ANSIBLE_LOCAL_TEMP="$T/ansible-local" ANSIBLE_HOME="$T/ansible-home" XDG_CACHE_HOME="$T/cache"
export ANSIBLE_CONFIG="$EZ_SOURCE_DIR/ansible/ansible.cfg" ANSIBLE_NOCOLOR=1 NO_COLOR=1

log "ansible-playbook --syntax-check site.yml"
ansible-playbook --syntax-check -i inventory/example.yml site.yml >"$T/syntax.log" 2>&1 ||
  { cat "$T/syntax.log" >&2; fail "syntax check failed"; }

log "ansible-lint (profile production)"
if ! ansible-lint --offline --nocolor -c .ansible-lint >"$T/lint.log" 2>&1; then
  cat "$T/lint.log" >&2
  fail "ansible-lint reported problems"
fi
# Warnings do not fail ansible-lint; they fail this check.
if grep -Eq '^WARNING|[1-9][0-9]* warning' "$T/lint.log"; then
  cat "$T/lint.log" >&2
  fail "ansible-lint printed warnings"
fi

log "OK"
