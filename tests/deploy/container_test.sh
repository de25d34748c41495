#!/usr/bin/env bash
# The container images, built and run without a Docker engine (scripts/images: buildah with
# vfs storage and chroot isolation, on debootstrapped Debian base images cached per machine):
#  * every Dockerfile stage builds, from the commands README.md shows;
#  * runtime image: each binary's --version (with this commit) and --help; `ezapi-server
#    --check-config` in production mode refuses placeholder secrets and accepts real ones;
#    ldd finds every library; it runs as ezapi (uid 10001), not root; it holds the three
#    binaries, the migrations and the example configuration and, beyond the slim base, only
#    the packages of their libraries (and cgi-fcgi for the health check);
#  * nginx image: the image's own start command renders the site from EZ_* variables
#    (defaults, docker-compose.yml's values, TLS) and `nginx -t` accepts it; its workers
#    run as www-data in the runtime image's ezapi group;
#  * docker-compose.yml (`docker-compose config`): each service's image and target, command,
#    environment and port agree with what the images hold and read;
#  * docs/operations.md reports each image's size within 25% of what was built.
# Needs root (buildah's vfs storage). The first run on a machine debootstraps the base
# images (a minute) and compiles in the build stage (minutes); later runs reuse both.
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

[[ $(id -u) -eq 0 ]] || fail "must run as root (buildah's vfs storage and chroot isolation)"
need buildah debootstrap docker-compose openssl flock
make_tmp T
B=(buildah --storage-driver vfs)
src=$EZ_SOURCE_DIR
version=$(sed -n 's/^project(ezapi VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
commit=$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# --- the commands README.md shows are the ones scripts/images runs ----------------------------
log "README.md shows the build commands scripts/images runs"
readme_cmds=$(EZ_GIT_COMMIT='$(git rev-parse --short=12 HEAD)' "$src/scripts/images" --dry-run)
[[ $(wc -l <<<"$readme_cmds") -eq 3 ]] || fail "scripts/images --dry-run: $readme_cmds"
while IFS= read -r line; do
  grep -qxF -- "$line" "$src/README.md" || fail "README.md lacks the line: $line"
  # The same build for Docker: same target, tag and commit argument.
  docker_line=$(sed -E 's/^buildah --storage-driver vfs bud --isolation chroot --pull-never --layers --format docker /docker build /' <<<"$line")
  grep -qxF -- "$docker_line" "$src/README.md" || fail "README.md lacks the line: $docker_line"
done <<<"$readme_cmds"

# --- build ------------------------------------------------------------------------------------
log "scripts/images: base images (cached per machine) and every stage"
t0=$SECONDS
EZ_GIT_COMMIT=$commit EZ_IMAGES_IID_DIR=$T "$src/scripts/images" >"$T/images.log" 2>&1 ||
  { tail -n 40 "$T/images.log" >&2; fail "scripts/images failed (log above)"; }
log "images built in $((SECONDS - t0)) s"
grep -E '^(localhost|docker\.io)/\S+ ' "$T/images.log" | while read -r name size; do log "  $name $size"; done
for stage in build nginx runtime; do
  [[ -s $T/$stage.iid ]] || fail "no image id for stage $stage"
done
runtime=$(<"$T/runtime.iid") nginx=$(<"$T/nginx.iid")

# new_ctr VAR IMAGE: a working container of IMAGE, removed on exit; VAR gets its name and
# VAR_root its mounted root file system (read from here, run with in_ctr).
new_ctr() {
  local name="ezapi-test-$$-$1" mnt
  "${B[@]}" from --pull-never --name "$name" "$2" >/dev/null
  on_exit "${B[*]} rm $name >/dev/null"
  mnt=$("${B[@]}" mount "$name")
  printf -v "$1" '%s' "$name"
  printf -v "$1_root" '%s' "$mnt"
}
in_ctr() { "${B[@]}" run --isolation chroot "$@"; }
# image_json IMAGE FIELD: one field of the image's Docker config, as JSON.
image_json() {
  "${B[@]}" inspect --type image "$1" |
    "$SYS_PYTHON" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["Docker"]["config"].get(sys.argv[1])))' "$2"
}
new_ctr rt "$runtime"
new_ctr ngx "$nginx"

# --- runtime image: the binaries --------------------------------------------------------------
for bin in ezapi-server ezapi-flusher ezapi-ctl; do
  log "runtime: $bin --version and --help"
  out=$(in_ctr "$rt" -- "$bin" --version) || fail "$bin --version exited non-zero"
  [[ "$out" == "$bin $version (commit $commit)" ]] || fail "$bin --version printed '$out'"
  out=$(in_ctr "$rt" -- "$bin" --help 2>&1) || fail "$bin --help exited non-zero"
  [[ "$out" == "usage: $bin "* ]] || fail "$bin --help printed: $out"
done

log "runtime: ldd finds every library"
out=$(in_ctr "$rt" -- sh -c 'ldd /usr/local/bin/ezapi-server /usr/local/bin/ezapi-flusher /usr/local/bin/ezapi-ctl')
! grep -n 'not found' <<<"$out" || fail "libraries missing in the runtime image"
grep -q 'libpqxx' <<<"$out" || fail "ldd output does not look like ldd: $out"

log "runtime: processes run as ezapi (uid 10001), not root"
[[ $(image_json "$runtime" User) == '"ezapi:ezapi"' ]] || fail "runtime USER is not ezapi"
out=$(in_ctr "$rt" -- id)
[[ "$out" == "uid=10001(ezapi) gid=10001(ezapi)"* ]] || fail "runtime runs as: $out"
[[ $(stat -c '%u %a' "$rt_root/run/ezapi") == "10001 755" ]] || fail "/run/ezapi is not ezapi's"
[[ $(image_json "$runtime" Healthcheck) == *cgi-fcgi* ]] ||
  fail "the runtime image lost its HEALTHCHECK (built without --format docker?)"

log "runtime: --check-config in production refuses placeholder secrets, accepts real ones"
jwt=$(openssl rand -hex 32) adm=$(openssl rand -hex 24) int=$(openssl rand -hex 24)
rpw=$(openssl rand -hex 24)
prod_env=(--env "EZ_PG_DSN=host=postgres dbname=ezapi user=ezapi password=$(openssl rand -hex 24)"
  --env EZ_REDIS_ADDR=redis:6379)
check() { in_ctr "${prod_env[@]}" "$@" "$rt" -- ezapi-server --check-config 2>&1; }
out=$(check) && fail "the image starts without secrets: $out"
grep -q 'auth\.' <<<"$out" || fail "no secrets: the refusal does not name the key: $out"
out=$(check --env EZ_AUTH_JWT_SECRET=CHANGE_ME_to_a_random_secret_0123456789 \
  --env EZ_ADMIN_TOKEN=CHANGE_ME_admin_token_0123456789 \
  --env EZ_INTERNAL_TOKEN=CHANGE_ME_internal_token_0123456789) &&
  fail "placeholder secrets accepted: $out"
grep -q 'auth\.jwt_secret' <<<"$out" || fail "the refusal does not name auth.jwt_secret: $out"
out=$(check --env "EZ_AUTH_JWT_SECRET=$jwt" --env "EZ_ADMIN_TOKEN=CHANGE_ME_admin_token_0123456789" \
  --env "EZ_INTERNAL_TOKEN=$int") && fail "a placeholder admin token is accepted: $out"
grep -q 'auth\.admin_token' <<<"$out" || fail "the refusal does not name auth.admin_token: $out"
out=$(check --env "EZ_AUTH_JWT_SECRET=$jwt" --env "EZ_ADMIN_TOKEN=$adm" --env "EZ_INTERNAL_TOKEN=$int" \
  --env "EZ_REDIS_PASSWORD=CHANGE_ME_redis_password_0123456789") && fail "a placeholder Redis password is accepted: $out"
grep -q 'redis\.password' <<<"$out" || fail "the refusal does not name redis.password: $out"
out=$(check --env "EZ_AUTH_JWT_SECRET=$jwt" --env "EZ_ADMIN_TOKEN=$adm" --env "EZ_INTERNAL_TOKEN=$int" \
  --env "EZ_REDIS_PASSWORD=$rpw") || fail "real secrets refused: $out"
grep -Eq '^server\.mode *[:=] *production' <<<"$out" || fail "the image does not run in production mode: $out"
! grep -qF -- "$jwt" <<<"$out" || fail "--check-config prints the JWT secret"

# --- runtime image: nothing but what it needs ------------------------------------------------
log "runtime: /usr/local holds the binaries, the migrations and the example configuration"
new_ctr slim docker.io/library/debian:bookworm-slim
(cd "$rt_root/usr/local" && find . -mindepth 1 ! -type d | sort) >"$T/local.txt"
# What the slim base has there (Debian's /usr/local/man link), and what the Dockerfile adds.
(cd "$slim_root/usr/local" && find . -mindepth 1 ! -type d
  cd "$src" && { printf './bin/%s\n' ezapi-server ezapi-flusher ezapi-ctl
  printf './share/ezapi/%s\n' config.example.yaml
  find sql -type f | sed 's|^|./share/ezapi/|'; }) | sort >"$T/local.want"
diff -u "$T/local.want" "$T/local.txt" >&2 || fail "/usr/local in the runtime image differs (above)"
cmp -s "$src/conf/config.example.yaml" "$rt_root/usr/local/share/ezapi/config.example.yaml" ||
  fail "the example configuration in the image is not conf/config.example.yaml"
[[ ! -e $rt_root/config.yaml && ! -e $rt_root/config/config.yaml ]] || fail "a config file is read by accident"
log "runtime: no apt caches or package lists left in the image"
for img in rt ngx; do
  root_var="${img}_root"
  left=$(cd "${!root_var}" && find var/cache/apt var/lib/apt/lists -type f \( -name '*.deb' -o -name '*.bin' \
    -o -name '*_Packages*' -o -name '*Release*' -o -name '*Translation*' \) | head -n 5)
  [[ -z $left ]] || fail "$img image keeps apt files: $left"
done

log "runtime: beyond the slim base, only the packages of the binaries' libraries"
# The packages shipping the libraries ldd resolves (asked inside the image).
libs=$(awk '/=> \// { print $3 }' <<<"$(in_ctr "$rt" -- sh -c 'ldd /usr/local/bin/ezapi-*')" | sort -u)
# shellcheck disable=SC2086
in_ctr --user root "$rt" -- sh -c 'for l in "$@"; do dpkg -S "$(readlink -f "$l")" 2>/dev/null ||
  dpkg -S "$l" 2>/dev/null || dpkg -S "/usr$l" || echo "NONE: $l"; done' sh $libs >"$T/lib-pkgs.txt"
! grep NONE "$T/lib-pkgs.txt" || fail "libraries no package ships"
"$SYS_PYTHON" - "$rt_root/var/lib/dpkg/status" "$slim_root/var/lib/dpkg/status" "$T/lib-pkgs.txt" <<'EOF' ||
import re, sys

def installed(path):
    pkgs = {}
    for para in open(path).read().split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", para, re.M))
        if "Package" in fields and "installed" in fields.get("Status", "").split():
            pkgs[fields["Package"]] = fields
    return pkgs

def names(dep_field):
    # "a (>= 1) | b, c:any" -> [["a", "b"], ["c"]]
    return [[alt.strip().split()[0].split(":")[0] for alt in group.split("|")]
            for group in dep_field.split(",") if group.strip()]

image, base = installed(sys.argv[1]), installed(sys.argv[2])
wanted = {line.split(":")[0] for line in open(sys.argv[3]) if line.strip()}
wanted.add("libfcgi-bin")  # cgi-fcgi: the HEALTHCHECK
wanted -= {"libc6"}  # in the base already
closure, todo = set(), list(wanted)
while todo:
    p = todo.pop()
    if p in closure or p not in image:
        continue
    closure.add(p)
    for group in names(image[p].get("Depends", "") + "," + image[p].get("Pre-Depends", "")):
        todo.extend(alt for alt in group if alt in image)
extra = sorted(set(image) - set(base) - closure)
if extra:
    sys.exit("packages the binaries do not need: " + " ".join(extra))
missing = sorted(wanted - set(image))
if missing:
    sys.exit("packages not installed: " + " ".join(missing))
print(f"{len(set(image) - set(base))} packages beyond the slim base, all needed")
EOF
  fail "the runtime image holds more than it needs"

# --- nginx image -----------------------------------------------------------------------------
log "nginx: workers run as www-data, in the runtime image's ezapi group"
out=$(in_ctr "$ngx" -- id www-data)
[[ "$out" == *"10001(ezapi)"* ]] || fail "www-data is not in group ezapi (10001): $out"
grep -Eq '^user www-data;' "$ngx_root/etc/nginx/nginx.conf" || fail "nginx workers do not run as www-data"
[[ $(image_json "$nginx" Healthcheck) == *curl* ]] || fail "the nginx image lost its HEALTHCHECK"

# The image's own start command, run as it is: an `nginx` first in PATH turns the final
# `exec nginx -g 'daemon off;'` into `nginx -t` of what the command rendered.
mkdir -p "$T/shim"
printf '#!/bin/sh\nexec /usr/sbin/nginx -t "$@"\n' >"$T/shim/nginx"
chmod +x "$T/shim/nginx"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -keyout "$T/shim/tls.key" -out "$T/shim/tls.crt" 2>/dev/null
"${B[@]}" copy "$ngx" "$T/shim" /ezapi-test >/dev/null
image_path=$(image_json "$nginx" Env | "$SYS_PYTHON" -c \
  'import json,sys; print([e[5:] for e in json.load(sys.stdin) if e.startswith("PATH=")][0])')
start_cmd=$(image_json "$nginx" Cmd)
mapfile -t start_argv < <("$SYS_PYTHON" -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])))' "$start_cmd")
[[ "${start_argv[0]}" == /bin/sh && "${start_argv[2]}" == *"exec nginx -g 'daemon off;'" ]] ||
  fail "the nginx image's CMD changed shape: $start_cmd"
# nginx_start NAME [--env K=V]...: run the start command; the site lands in $T/site-NAME.conf.
nginx_start() {
  local name=$1 out
  shift
  out=$(in_ctr --env "PATH=/ezapi-test:$image_path" "$@" "$ngx" -- "${start_argv[@]}" 2>&1) ||
    fail "nginx ($name): the start command or nginx -t failed: $out"
  grep -q 'test is successful' <<<"$out" || fail "nginx ($name): nginx -t did not run: $out"
  cp "$ngx_root/etc/nginx/sites-enabled/ezapi.conf" "$T/site-$name.conf"
  if grep -v '^\s*#' "$T/site-$name.conf" | grep -n '\${EZ_'; then
    fail "nginx ($name): placeholders left unrendered"
  fi
}
log "nginx: the site rendered with the image's defaults passes nginx -t"
nginx_start defaults
grep -q 'allow 127.0.0.1/32; *allow ::1/128;' "$T/site-defaults.conf" || fail "default allow rules"
log "nginx: with TLS (EZ_TLS_CERT, EZ_TLS_KEY)"
nginx_start tls --env EZ_TLS_CERT=/ezapi-test/tls.crt --env EZ_TLS_KEY=/ezapi-test/tls.key
grep -q 'ssl_certificate */ezapi-test/tls.crt' "$ngx_root/etc/nginx/snippets/ezapi-tls.conf" ||
  fail "the TLS snippet was not rendered"

# --- docker-compose.yml against the images ---------------------------------------------------
log "docker-compose config, then its services against the images"
: >"$T/empty.env"
(cd "$T" && env EZ_PG_PASSWORD="$(openssl rand -hex 24)" EZ_AUTH_JWT_SECRET="$jwt" EZ_ADMIN_TOKEN="$adm" \
  EZ_INTERNAL_TOKEN="$int" EZ_REDIS_PASSWORD="$rpw" docker-compose -f "$src/docker-compose.yml" --project-directory "$src" \
  --env-file "$T/empty.env" config) >"$T/compose.yml" || fail "docker-compose config rejected docker-compose.yml"
mkdir -p "$T/svc"
"$SYS_PYTHON" - "$T/compose.yml" "$T/svc" "$(image_json "$nginx" Env)" \
  "$(image_json "$nginx" ExposedPorts)" <<'EOF' || fail "docker-compose.yml and the images disagree"
import json, os, sys, yaml
doc, out = yaml.safe_load(open(sys.argv[1])), sys.argv[2]
nginx_env = dict(e.split("=", 1) for e in json.loads(sys.argv[3]))
exposed = set(json.loads(sys.argv[4]) or {})
want = {"migrate": ("ezapi:local", "runtime"), "flusher": ("ezapi:local", "runtime"),
        "server": ("ezapi:local", "runtime"), "nginx": ("ezapi-nginx:local", "nginx")}
for name, (image, target) in want.items():
    s = doc["services"][name]
    assert s.get("image") == image, f"{name}: image {s.get('image')}, scripts/images tags {image}"
    assert s["build"].get("target") == target, f"{name}: build target {s['build'].get('target')}"
    args = s["build"].get("args") or {}
    if target == "runtime":
        assert "EZ_GIT_COMMIT" in args, f"{name}: no EZ_GIT_COMMIT build argument (--version says unknown)"
    env = s.get("environment") or {}
    with open(os.path.join(out, name + ".env"), "w") as f:
        for k, v in env.items():
            f.write(f"{k}={v}\n")
    cmd = s.get("command")
    if isinstance(cmd, str):
        cmd = cmd.split()
    with open(os.path.join(out, name + ".cmd"), "w") as f:
        f.write("\n".join(cmd or []) + "\n")
# nginx: every variable it is given is one the image reads (an unknown one is ignored
# silently), and the published port is the one nginx listens on and the image exposes.
ng = doc["services"]["nginx"]
unknown = set(ng.get("environment") or {}) - set(nginx_env)
assert not unknown, f"nginx: variables the image does not read: {unknown}"
listen = (ng.get("environment") or {}).get("EZ_NGINX_LISTEN", nginx_env["EZ_NGINX_LISTEN"])
targets = set()
for p in ng.get("ports", []):
    targets.add(str(p["target"]) if isinstance(p, dict) else p.rsplit(":", 1)[-1].split("/")[0])
assert targets == {listen.rsplit(":", 1)[-1]}, f"nginx publishes {targets}, listens on {listen}"
assert f"{listen.rsplit(':', 1)[-1]}/tcp" in exposed, f"the image exposes {exposed}, nginx listens on {listen}"
# The FastCGI sockets: the same path on both sides, in the volume they share.
srv = doc["services"]["server"]["environment"]
for var in ("EZ_FASTCGI_SOCKET", "EZ_FASTCGI_INGEST_SOCKET"):
    assert srv[var] == ng["environment"].get(var, nginx_env[var]), f"{var}: server and nginx differ"
EOF

# The EZ_* variables the server reads: the README's configuration table (env column).
mapfile -t known_env < <(grep -oE '^\| [a-z_.]+ \| EZ_[A-Z_]+ \|' "$src/README.md" | awk '{ print $4 }')
((${#known_env[@]} > 20)) || fail "cannot read the README's configuration table"
declare -A key_of
while read -r key var; do key_of[$var]=$key; done < <(grep -oE '^\| [a-z_.]+ \| EZ_[A-Z_]+ \|' "$src/README.md" | awk '{ print $2, $4 }')
for svc in migrate flusher server; do
  mapfile -t cmd <"$T/svc/$svc.cmd"
  log "compose $svc: '${cmd[*]}' with its environment, in the runtime image"
  in_ctr "$rt" -- sh -c "command -v '${cmd[0]}'" >/dev/null || fail "$svc: ${cmd[0]} is not in the runtime image"
  env_args=()
  while IFS= read -r kv; do
    var=${kv%%=*}
    [[ -n ${key_of[$var]:-} ]] || fail "$svc: docker-compose.yml sets $var, which the server does not read"
    env_args+=(--env "$kv")
  done <"$T/svc/$svc.env"
  case ${cmd[0]} in
    ezapi-ctl)
      in_ctr "$rt" -- ezapi-ctl --help 2>&1 | grep -qE "^  ${cmd[1]} " || fail "$svc: ezapi-ctl has no command ${cmd[1]}"
      check_cmd=(ezapi-ctl check-config) ;;
    *) check_cmd=("${cmd[@]}" --check-config) ;;
  esac
  out=$(in_ctr "${env_args[@]}" "$rt" -- "${check_cmd[@]}" 2>&1) || fail "$svc: its environment is refused: $out"
  while IFS= read -r kv; do
    key=${key_of[${kv%%=*}]}
    grep -Eq "^${key//./\\.} .*# env$" <<<"$out" || fail "$svc: ${kv%%=*} does not reach $key: $out"
  done <"$T/svc/$svc.env"
done
log "compose nginx: its environment renders a site nginx -t accepts"
env_args=()
while IFS= read -r kv; do env_args+=(--env "$kv"); done <"$T/svc/nginx.env"
nginx_start compose "${env_args[@]}"
nets=$(sed -n 's/^EZ_ALLOWED_NETWORKS=//p' "$T/svc/nginx.env")
for net in $nets; do
  grep -q "allow $net;" "$T/site-compose.conf" || fail "compose's EZ_ALLOWED_NETWORKS: no 'allow $net;'"
done

# --- sizes in docs/operations.md -------------------------------------------------------------
log "docs/operations.md reports each image's size"
"${B[@]}" images --format '{{.ID}} {{.Size}}' --no-trunc >"$T/sizes.txt"
for pair in "runtime ezapi:local" "nginx ezapi-nginx:local" "build ezapi-build:local"; do
  read -r stage tag <<<"$pair"
  id=$(<"$T/$stage.iid")
  size=$(awk -v id="${id#sha256:}" '{ sub(/^sha256:/, "", $1) } index($1, id) == 1 { print $2, $3; exit }' "$T/sizes.txt")
  [[ -n $size ]] || fail "no size for $tag"
  doc=$(grep -E "^\| \`$tag\` \|" "$src/docs/operations.md" | grep -oE '[0-9.]+ [MG]B' | head -n 1) ||
    fail "docs/operations.md has no size row for $tag (built: $size)"
  "$SYS_PYTHON" - "$size" "$doc" <<'EOF' || fail "$tag is $size, docs/operations.md says $doc"
import sys
def mb(s):
    n, unit = s.split()
    return float(n) * {"kB": 1e-3, "KB": 1e-3, "MB": 1, "GB": 1e3}[unit]
built, doc = mb(sys.argv[1]), mb(sys.argv[2])
sys.exit(0 if abs(built - doc) <= 0.25 * doc else 1)
EOF
  log "  $tag: $size (docs: $doc)"
done
log "OK"
