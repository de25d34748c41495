#!/usr/bin/env bash
# Dockerfile, .dockerignore and docker-compose.yml, checked without a Docker engine:
#  * the stages and their promises (bookworm build stage, slim non-root runtime, HEALTHCHECK);
#  * the runtime image's package list covers every shared library the built binaries load
#    (ldd + dpkg -S on this bookworm host), and so does the Ansible role's list;
#  * the runtime HEALTHCHECK command, run for real against a stub FastCGI pool: healthy on a
#    200, unhealthy on a 503 and with no socket;
#  * the nginx image's start command, run with the image's ENV into a temp dir, renders a site
#    that `nginx -t` accepts;
#  * .dockerignore keeps what the build needs and drops build dirs;
#  * docker-compose.yml: `docker compose config` (or docker-compose) when a client is there,
#    plus structural checks (services, shared /dev/shm, required secrets).
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need cgi-fcgi envsubst nginx dpkg
df="$EZ_SOURCE_DIR/Dockerfile"
compose="$EZ_SOURCE_DIR/docker-compose.yml"
dfq() { "$SYS_PYTHON" "$DEPLOY_SUPPORT/dockerfile.py" "$df" "$@"; }
make_tmp T

# --- stages -----------------------------------------------------------------------------------
log "Dockerfile stages"
stages=$(dfq stages)
grep -qx 'build debian:${DEBIAN_RELEASE}' <<<"$stages" || fail "no build stage FROM debian:bookworm: $stages"
grep -q '^ARG DEBIAN_RELEASE=bookworm$' "$df" || fail "DEBIAN_RELEASE must default to bookworm"
[[ "$(tail -n 1 <<<"$stages")" == 'runtime debian:${DEBIAN_RELEASE}-slim' ]] ||
  fail "the last (default) stage must be 'runtime' FROM debian:bookworm-slim: $stages"
grep -q '^nginx ' <<<"$stages" || fail "no nginx stage"
# (Outputs are captured first: `dfq ... | grep -q` would break dfq's pipe under pipefail.)
user=$(dfq get runtime USER | tail -n 1)
[[ -n "$user" && "$user" != root* && "$user" != 0* ]] || fail "runtime stage must end as a non-root USER ($user)"
[[ -n "$(dfq get runtime HEALTHCHECK)" ]] || fail "runtime stage has no HEALTHCHECK"
[[ "$(dfq get runtime COPY)" == *--from=build* ]] || fail "runtime stage copies nothing from build"
runtime_apt=$(dfq apt runtime)
if grep -E -- '-dev$|^build-essential$|^cmake$|^g\+\+$' <<<"$runtime_apt"; then
  fail "runtime stage installs build tools"
fi

# --- shared libraries -------------------------------------------------------------------------
# package_closure PKG...: the packages and everything they depend on (as apt would install).
package_closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u
}
# needed_packages BIN...: the Debian packages that ship the libraries ldd resolves (less the
# sanitizer runtimes: a sanitizer build, as CI's, is never what an image ships).
needed_packages() {
  local lib pkg
  ldd "$@" | awk '/=> \// { print $3 }' | sort -u | while read -r lib; do
    pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null ||
      dpkg -S "/usr$lib" 2>/dev/null) || fail "no package ships $lib"
    printf '%s\n' "${pkg%%:*}"
  done | sort -u | grep -Ev '^lib(asan|ubsan|lsan|tsan|hwasan)[0-9]*$'
}
bins=()
for b in ezapi-server ezapi-flusher ezapi-ctl; do
  [[ -x "$EZ_BUILD_DIR/$b" ]] && bins+=("$EZ_BUILD_DIR/$b")
done
if ((${#bins[@]} == 3)) && command -v apt-cache >/dev/null; then
  log "runtime packages cover ldd of ${bins[*]##*/}"
  needed=$(needed_packages "${bins[@]}")
  # shellcheck disable=SC2046
  docker_closure=$(package_closure $runtime_apt)
  missing=$(comm -23 <(echo "$needed") <(echo "$docker_closure"))
  [[ -z "$missing" ]] || fail "the runtime image lacks packages for: $missing"
  ansible_pkgs=$("$SYS_PYTHON" -c 'import yaml,sys; print("\n".join(yaml.safe_load(open(sys.argv[1]))["ezapi_runtime_packages"]))' \
    "$EZ_SOURCE_DIR/ansible/roles/ezapi/defaults/main.yml")
  # shellcheck disable=SC2046
  missing=$(comm -23 <(echo "$needed") <(package_closure $ansible_pkgs))
  [[ -z "$missing" ]] || fail "ezapi_runtime_packages (Ansible) lacks packages for: $missing"
else
  log "note: binaries not built in $EZ_BUILD_DIR, library coverage not checked"
fi

# --- the runtime HEALTHCHECK, for real --------------------------------------------------------
log "runtime HEALTHCHECK against a stub FastCGI pool"
hc=$(dfq healthcheck-cmd runtime)
[[ "$hc" == *cgi-fcgi* && "$hc" == */healthz* ]] || fail "HEALTHCHECK must ask /healthz over FastCGI: $hc"
run_hc() { EZ_FASTCGI_SOCKET="$1" timeout 10 /bin/sh -c "$hc" >/dev/null 2>&1; }

start_stub() {  # start_stub SOCKET [STATUS]
  FCGI_STUB_STATUS=${2:-200} "$SYS_PYTHON" "$DEPLOY_SUPPORT/fcgi_stub.py" "$1" &
  stub_pid=$!
  on_exit "stop_pid $stub_pid"
  wait_until 10 test -S "$1" || fail "stub did not start"
}
start_stub "$T/ok.sock" 200
run_hc "$T/ok.sock" || fail "HEALTHCHECK reports a 200 pool as unhealthy"
start_stub "$T/bad.sock" 503
! run_hc "$T/bad.sock" || fail "HEALTHCHECK reports a 503 pool as healthy"
! run_hc "$T/none.sock" || fail "HEALTHCHECK reports a missing socket as healthy"

# --- the nginx image's start command ----------------------------------------------------------
log "nginx image: render the site with the image's ENV and check it"
cmd=$(dfq cmd nginx)
for s in "/etc/nginx/sites-enabled/ezapi.conf" "/usr/local/share/ezapi/nginx" "exec nginx -g 'daemon off;'"; do
  [[ "$cmd" == *"$s"* ]] || fail "nginx CMD changed shape (no '$s'); update this check"
done
cmd=${cmd//\/etc\/nginx\/sites-enabled\/ezapi.conf/$T/nginx-site.conf}
cmd=${cmd//\/usr\/local\/share\/ezapi\/nginx/$EZ_SOURCE_DIR/nginx}
cmd=${cmd//"exec nginx -g 'daemon off;'"/true}
mkdir -p "$T/snippets"
(
  while IFS= read -r kv; do export "${kv?}"; done < <(dfq env nginx)
  export EZ_NGINX_SNIPPETS_DIR="$T/snippets" EZ_NGINX_ACCESS_LOG="$T/access.log"
  /bin/sh -c "$cmd"
) || fail "the nginx image's start command failed"
if grep -v '^\s*#' "$T/nginx-site.conf" | grep -n '\${EZ_'; then
  fail "the nginx image leaves placeholders unrendered"
fi
grep -q 'allow 127.0.0.1/32; *allow ::1/128;' "$T/nginx-site.conf" ||
  fail "EZ_ALLOWED_NETWORKS did not become allow rules"
mkdir -p "$T/ngx"
write_nginx_main "$T/ngx" "$T/nginx-site.conf"
nginx -t -q -p "$T/ngx" -c "$T/ngx/nginx.conf" || fail "nginx -t rejected the site the image renders"

# --- .dockerignore ----------------------------------------------------------------------------
log ".dockerignore"
"$SYS_PYTHON" - "$EZ_SOURCE_DIR" <<'EOF' || fail ".dockerignore drops needed files or keeps build output"
import os, re, sys
root = sys.argv[1]

def to_regex(pattern):
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out += ".*"; i += 2
            if i < len(pattern) and pattern[i] == "/": i += 1
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(c, re.escape(c)); i += 1
    return re.compile(out + "$")

rules = []
for line in open(os.path.join(root, ".dockerignore")):
    line = line.strip()
    if not line or line.startswith("#"): continue
    neg = line.startswith("!")
    pat = os.path.normpath(line.lstrip("!").lstrip("/"))
    rules.append((neg, to_regex(pat)))

def excluded(rel):
    # Docker: a path is out when the last matching rule (on it or a parent dir) excludes it.
    parts = rel.split("/")
    result = False
    for neg, rx in rules:
        if any(rx.match("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            result = not neg
    return result

must_keep = ["CMakeLists.txt", "workers/cmd/server_main.cpp", "workers/cmd/flusher_main.cpp",
             "workers/cmd/ctl_main.cpp", "nginx/ezapi.conf", "nginx/snippets/ezapi-tls.conf"]
for rel in must_keep:
    assert not excluded(rel), f"{rel} is excluded"
kept_any = {"sql": False, "tests": False}
for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = [d for d in dirnames if d != ".git"]
    for name in filenames:
        rel = os.path.relpath(os.path.join(dirpath, name), root)
        top = rel.split("/")[0]
        if not excluded(rel):
            assert not (top.startswith("build") or top in ("var", ".git")), f"{rel} is sent"
            assert "node_modules" not in rel.split("/"), f"{rel} is sent (npm packages)"
            if top in kept_any: kept_any[top] = True
for top, kept in kept_any.items():
    assert kept or not os.path.isdir(os.path.join(root, top)), f"all of {top}/ is excluded"
EOF

# --- docker-compose.yml -----------------------------------------------------------------------
log "docker-compose.yml structure"
"$SYS_PYTHON" - "$compose" <<'EOF' || fail "docker-compose.yml structure"
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
svc = doc["services"]
for name in ("nginx", "server", "flusher", "postgres", "redis"):
    assert name in svc, f"no service {name}"

def mounts(s):
    out = {}
    for v in svc[s].get("volumes", []):
        if isinstance(v, str):
            src, dst = v.split(":")[:2]
        else:
            src, dst = v.get("source"), v["target"]
        out[dst] = src
    return out

# The log queue: the same /dev/shm in the master and the flusher.
shared_shm = (mounts("server").get("/dev/shm") is not None
              and mounts("server").get("/dev/shm") == mounts("flusher").get("/dev/shm"))
shared_ipc = svc["flusher"].get("ipc") == "service:server" and svc["server"].get("ipc") == "shareable"
assert shared_shm or shared_ipc, "server and flusher do not share /dev/shm"
# The FastCGI socket: the same /run/ezapi in nginx and the server.
assert mounts("server").get("/run/ezapi") and mounts("server")["/run/ezapi"] == mounts("nginx").get("/run/ezapi"), \
    "nginx and server do not share /run/ezapi"
# Secrets: required from the environment, never a default.
text = open(sys.argv[1]).read()
for var in ("EZ_AUTH_JWT_SECRET", "EZ_ADMIN_TOKEN", "EZ_INTERNAL_TOKEN", "EZ_PG_PASSWORD",
            "EZ_REDIS_PASSWORD"):
    refs = re.findall(r"\$\{" + var + r"([^}]*)\}", text)
    assert refs, f"{var} is not taken from the environment"
    assert all(r.startswith(":?") for r in refs), f"{var} must be required (${{{var}:?...}})"

def seconds(v):
    m = re.fullmatch(r"(\d+)(s|m)?", str(v))
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)
assert seconds(svc["server"].get("stop_grace_period", "10s")) > 30, "server drain time too short"
assert seconds(svc["flusher"].get("stop_grace_period", "10s")) > 30, "flusher drain time too short"
assert svc["flusher"].get("healthcheck", {}).get("disable"), "flusher inherits the socket healthcheck"
EOF

secrets_env=(EZ_PG_PASSWORD=test-password EZ_AUTH_JWT_SECRET=0123456789abcdef0123456789abcdef
  EZ_ADMIN_TOKEN=test-admin-token-0001 EZ_INTERNAL_TOKEN=test-internal-token-01
  EZ_REDIS_PASSWORD=test-redis-password-01)
if docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose_cmd=(docker-compose)
else
  compose_cmd=()
fi
: >"$T/empty.env"
if ((${#compose_cmd[@]})); then
  log "${compose_cmd[*]} config"
  (cd "$T" && env "${secrets_env[@]}" "${compose_cmd[@]}" -f "$compose" --project-directory "$EZ_SOURCE_DIR" --env-file "$T/empty.env" config -q) ||
    fail "${compose_cmd[*]} config rejected docker-compose.yml"
  if (cd "$T" && env -u EZ_PG_PASSWORD -u EZ_AUTH_JWT_SECRET -u EZ_ADMIN_TOKEN -u EZ_INTERNAL_TOKEN -u EZ_REDIS_PASSWORD \
    "${compose_cmd[@]}" -f "$compose" --project-directory "$EZ_SOURCE_DIR" --env-file "$T/empty.env" config -q) >/dev/null 2>&1; then
    fail "docker-compose.yml starts without secrets"
  fi
else
  log "note: neither 'docker compose' nor docker-compose is installed; structure checked only"
fi

log "OK"
