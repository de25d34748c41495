# EZ-API container images (docs/operations.md, "Containers").
#
#   docker build --build-arg EZ_GIT_COMMIT=$(git rev-parse --short=12 HEAD) -t ezapi:local .
#   docker build --target nginx -t ezapi-nginx:local .
#   EZ_GIT_COMMIT=$(git rev-parse --short=12 HEAD) docker compose up -d --build
# Without a Docker engine (buildah, as root): scripts/images builds every stage.
#
# Stages:
#   build    Debian bookworm with the -dev packages; compiles the three binaries (Release);
#            EZ_GIT_COMMIT (build argument) is the commit their --version reports.
#   nginx    bookworm-slim + nginx; renders nginx/ezapi.conf at start from EZ_* variables.
#   runtime  bookworm-slim + the binaries, only the shared libraries they link, the SQL
#            migrations and the example configuration; runs as user ezapi. One image for
#            ezapi-server (default command), ezapi-flusher and ezapi-ctl.

ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libfcgi-dev libpqxx-dev libpq-dev libhiredis-dev libjsoncpp-dev libpoco-dev \
      libyaml-cpp-dev libboost-test-dev libsystemd-dev libre2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole tree (minus .dockerignore): CMakeLists.txt globs workers/ and tests/ at configure
# time, even though only the three binaries are built.
COPY . .
# Declared after the COPY so a new commit does not invalidate the apt-get layer above.
ARG EZ_GIT_COMMIT=unknown
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DEZ_GIT_COMMIT="$EZ_GIT_COMMIT" \
 && cmake --build /build -j"$(nproc)" --target ezapi-server ezapi-flusher ezapi-ctl \
 && install -d /out/bin /out/share/ezapi \
 && install -m 0755 -s /build/ezapi-server /build/ezapi-flusher /build/ezapi-ctl /out/bin/ \
 && cp -r sql /out/share/ezapi/sql \
 && install -m 0644 conf/config.example.yaml /out/share/ezapi/config.example.yaml

# ---------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS nginx
# gettext-base: envsubst renders the site; curl: the health check (plain HTTP on loopback,
# so no CA certificates). nginx's workers
# (www-data) reach the FastCGI socket through the ezapi group, whose gid matches the runtime
# image's, so the socket stays 0660 in the volume the two containers share.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nginx-light gettext-base curl \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && groupadd --system --gid 10001 ezapi \
 && usermod -a -G ezapi www-data
COPY nginx/ezapi.conf /usr/local/share/ezapi/nginx/ezapi.conf
COPY nginx/snippets/ /usr/local/share/ezapi/nginx/snippets/
# Template values (nginx/ezapi.conf documents each); override them in docker-compose.yml.
ENV EZ_NGINX_LISTEN=8080 \
    EZ_NGINX_SERVER_NAME=_ \
    EZ_NGINX_SNIPPETS_DIR=/etc/nginx/snippets \
    EZ_NGINX_ACCESS_LOG=/dev/stdout \
    EZ_ALLOWED_NETWORKS="127.0.0.1/32 ::1/128" \
    EZ_NGINX_ADMIN_RATE=20r/s \
    EZ_NGINX_ADMIN_BURST=40 \
    EZ_FASTCGI_SOCKET=/run/ezapi/ezapi.sock \
    EZ_FASTCGI_INGEST_SOCKET=/run/ezapi/ezapi-ingest.sock \
    EZ_HTTP_MAX_BODY_BYTES=8388608 \
    EZ_FASTCGI_TIMEOUT=35s \
    EZ_TLS_LISTEN=8443 \
    EZ_TLS_CERT= \
    EZ_TLS_KEY=
EXPOSE 8080
STOPSIGNAL SIGQUIT
# Only nginx itself is checked here (any HTTP answer will do): the worker pool has its own
# check in the runtime image, and a failing pool must not get the front restarted.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -s -o /dev/null "http://127.0.0.1:${EZ_NGINX_LISTEN##*:}/" || exit 1
# Render the site from the environment, then run nginx in the foreground. envsubst only
# substitutes the listed names, so nginx's own $variables survive. TLS is on when EZ_TLS_CERT
# is set (mount the certificate and key into the container).
CMD set -eu; \
    allow=""; for net in $EZ_ALLOWED_NETWORKS; do allow="$allow allow $net;"; done; \
    export EZ_NGINX_ALLOW="$allow"; \
    names=$(printf '${%s} ' EZ_NGINX_LISTEN EZ_NGINX_SERVER_NAME EZ_NGINX_SNIPPETS_DIR \
      EZ_NGINX_ACCESS_LOG EZ_NGINX_ALLOW EZ_NGINX_ADMIN_RATE EZ_NGINX_ADMIN_BURST \
      EZ_FASTCGI_SOCKET EZ_HTTP_MAX_BODY_BYTES EZ_FASTCGI_TIMEOUT EZ_FASTCGI_INGEST_SOCKET \
      EZ_TLS_LISTEN EZ_TLS_CERT EZ_TLS_KEY); \
    src=/usr/local/share/ezapi/nginx; \
    envsubst "$names" <"$src/ezapi.conf" >/etc/nginx/sites-enabled/ezapi.conf; \
    rm -f "$EZ_NGINX_SNIPPETS_DIR/ezapi-tls.conf"; \
    if [ -n "$EZ_TLS_CERT" ]; then \
      envsubst "$names" <"$src/snippets/ezapi-tls.conf" >"$EZ_NGINX_SNIPPETS_DIR/ezapi-tls.conf"; \
    fi; \
    exec nginx -g 'daemon off;'

# ---------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# Only the shared libraries of the three binaries (tests/deploy/docker_test.sh checks this
# list against `ldd` of a build, tests/deploy/container_test.sh that the image holds nothing
# else), plus cgi-fcgi for the health check. No CA certificates: the binaries make no TLS
# connection that would read the system store (libpq reads its root certificate from
# sslrootcert= or ~/.postgresql/root.crt; mount one there for verify-full).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libfcgi0ldbl libpqxx-6.4 libhiredis0.14 libjsoncpp25 libyaml-cpp0.7 \
      libpocofoundation80 libpocoutil80 libpoconet80 libpocojwt80 libpococrypto80 \
      libsystemd0 libre2-9 libfcgi-bin \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ezapi \
 && useradd --system --uid 10001 --gid ezapi --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin ezapi \
 && install -d -o ezapi -g ezapi -m 0755 /run/ezapi
COPY --from=build /out/bin/ /usr/local/bin/
# Migrations: ezapi-ctl finds them at <its dir>/../share/ezapi/sql. Beside them
# config.example.yaml, every key documented (not read: see below).
COPY --from=build /out/share/ /usr/local/share/
# No config file: the environment configures everything (docker-compose.yml). Production mode
# refuses to start with default or empty secrets.
ENV EZ_SERVER_MODE=production \
    EZ_FASTCGI_SOCKET=/run/ezapi/ezapi.sock
USER ezapi:ezapi
# No ./config.yaml or ./config/config.yaml here: nothing is picked up by accident.
WORKDIR /
# SIGTERM: the master drains (in-flight requests finish), the flusher drains the queue. Give
# them the time to do it: docker stop -t 45 / stop_grace_period in compose.
STOPSIGNAL SIGTERM
# The master speaks FastCGI on a unix socket, not HTTP: the check talks FastCGI to it directly
# with cgi-fcgi (libfcgi-bin) and asks /healthz, so it tests this container's pool and
# nothing else (going through nginx would test two containers at once). Healthy means: an
# answer with headers and either no Status line (200) or a 2xx one. The flusher, which has no
# socket, turns the check off in docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD env -i REQUEST_METHOD=GET SCRIPT_NAME=/healthz DOCUMENT_URI=/healthz REQUEST_URI=/healthz \
        QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 REMOTE_ADDR=127.0.0.1 \
        SERVER_NAME=localhost SERVER_PORT=0 HTTP_X_REQUEST_ID=docker-healthcheck \
        cgi-fcgi -bind -connect "${EZ_FASTCGI_SOCKET:-/run/ezapi/ezapi.sock}" </dev/null \
      | awk '/^\r?$/ { exit } { seen = 1 } tolower($1) == "status:" { status = $2 } \
             END { exit !(seen && (status == "" || status ~ /^2/)) }'
CMD ["ezapi-server"]
