#!/usr/bin/env bash
# CI: PropFlow's image built from the Dockerfile and run as production would run it: web,
# worker and beat, three containers of one image on host networking, against this machine's
# PostgreSQL and Redis and the SeaweedFS S3 that .ci/run started; the migrations, one upload
# driven through to its QC result over HTTP, and the compose file validated.
#
# No image registry is reachable here, so the Dockerfile's base image (its FROM tag) is made on
# this machine: debootstrap of Debian bookworm from the mirror apt already uses, with the
# machine's CA bundle and pip configuration inside so that pip reaches the package index as
# the host does, imported under that tag. It is kept in this script's own docker data root and
# made again only when its inputs change (see base_key).
#
# Needs root, and from the environment (.ci/run exports them): S3_ENDPOINT_URL, S3_BUCKET,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Beside CI, another run on the same machine sets its
# own CONTAINER_DB, CONTAINER_REDIS_DB, DOCKER_DATA_ROOT and DOCKER_EXEC_ROOT.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/services.sh

CONTAINER_DB=${CONTAINER_DB:-propflow_container}
CONTAINER_REDIS_DB=${CONTAINER_REDIS_DB:-3}
DOCKER_DATA_ROOT=${DOCKER_DATA_ROOT:-/var/lib/propflow-ci/docker}
DOCKER_EXEC_ROOT=${DOCKER_EXEC_ROOT:-/run/propflow-ci-docker}
IMAGE=${IMAGE:-propflow:ci}
DOCKER=/usr/bin/docker  # Debian's client, the daemon's own version
SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,python-is-python3,ca-certificates
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
export DOCKER_HOST="unix://$DOCKER_EXEC_ROOT.sock" DOCKER_BUILDKIT=0

for name in S3_ENDPOINT_URL S3_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
  [ -n "${!name:-}" ] || { echo "FATAL: $name is not set (.ci/run exports the S3 settings)" >&2; exit 1; }
done

WORK=$(mktemp -d)
DOCKERD_PID=
CONTAINERS=()
declare -A ID=()  # the containers by role
TIMINGS=()

cleanup() {
  local status=$?
  if [ "$status" != 0 ] && [ -n "$DOCKERD_PID" ]; then
    for name in "${!ID[@]}"; do
      echo "--- the $name container's last lines" >&2
      "$DOCKER" logs --tail 25 "${ID[$name]}" >&2 2>&1 || true
    done
  fi
  if [ "${#CONTAINERS[@]}" != 0 ]; then
    "$DOCKER" rm --force "${CONTAINERS[@]}" > /dev/null || echo "could not remove the containers" >&2
  fi
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$DOCKERD_PID" 2>/dev/null || true
    # dockerd leaves its data root (vfs) and the host's network namespace mounted
    umount "$DOCKER_EXEC_ROOT/netns/default" "$DOCKER_DATA_ROOT" 2>/dev/null || true
  fi
  rm -rf --one-file-system "$WORK"  # never into a mount an interrupted debootstrap left
  exit "$status"
}
trap cleanup EXIT

timed() {  # timed LABEL COMMAND...: runs it and records how long it took
  local label=$1 started=$SECONDS
  shift
  "$@"
  TIMINGS+=("$(printf '%-34s %4d s' "$label" "$((SECONDS - started))")")
}

install_missing_packages() {
  local missing=()
  { command -v dockerd > /dev/null && [ -x "$DOCKER" ]; } || missing+=(docker.io)
  command -v debootstrap > /dev/null || missing+=(debootstrap)
  command -v docker-compose > /dev/null || missing+=(docker-compose)
  [ "${#missing[@]}" = 0 ] && return
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" > "$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log" >&2; echo "FATAL: could not install ${missing[*]}" >&2; exit 1; }
}

docker_up() { "$DOCKER" version > /dev/null 2>&1; }

dockerd_settled() { docker_up || ! kill -0 "$DOCKERD_PID" 2>/dev/null; }  # up, or exited

start_dockerd() {  # without a bridge or iptables rules: every container uses the host's network
  if [ -f "$DOCKER_EXEC_ROOT.pid" ] && kill -0 "$(cat "$DOCKER_EXEC_ROOT.pid")" 2>/dev/null; then
    echo "FATAL: a dockerd (pid $(cat "$DOCKER_EXEC_ROOT.pid")) already runs on $DOCKER_EXEC_ROOT" >&2; exit 1
  fi
  mkdir -p "$DOCKER_DATA_ROOT"
  local driver
  for driver in overlay2 vfs; do  # vfs (a copy per layer: slow, large) where overlay cannot mount
    dockerd --data-root "$DOCKER_DATA_ROOT" --exec-root "$DOCKER_EXEC_ROOT" \
      --pidfile "$DOCKER_EXEC_ROOT.pid" --host "$DOCKER_HOST" --storage-driver "$driver" \
      --bridge none --iptables=false --ip-masq=false --ip-forward=false >> "$WORK/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    wait_for 60 dockerd_settled || true
    docker_up && break
    echo "dockerd did not start with the storage driver $driver:" >&2
    tail -5 "$WORK/dockerd.log" >&2
    kill "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" || true
  done
  docker_up || { echo "FATAL: dockerd did not start" >&2; exit 1; }
  echo "dockerd $("$DOCKER" version --format '{{.Server.Version}}') (pid $DOCKERD_PID)," \
    "storage driver $("$DOCKER" info --format '{{.Driver}}')"
}

debian_mirror() {  # the URI apt uses for the suite (deb822 sources first, then sources.list)
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$SUITE" '
    /^$/ { uri = "" } /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite && uri != "") { print uri; exit } }')
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(sed 's/\[[^]]*\]//' /etc/apt/sources.list | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')
  fi
  [ -n "$uri" ] || { echo "FATAL: no apt source for $SUITE in /etc/apt/sources.list*" >&2; exit 1; }
  echo "$uri"
}

pip_conf() {  # the host's global pip configuration, or one that trusts the host's CA bundle
  if [ -f /etc/pip.conf ]; then cat /etc/pip.conf; else printf '[global]\ncert = %s\n' "$CA_BUNDLE"; fi
}

base_key() {  # what the base image is made of: a cached one is used only while this is unchanged
  { echo "$SUITE $BASE_PACKAGES $(debian_mirror)"; sha256sum "$CA_BUNDLE"; pip_conf; } | sha256sum | cut -c1-16
}

make_base_image() {  # make_base_image TAG: debootstrap, the host's CA and pip.conf, docker import
  local tag=$1 key rootfs mirror
  key=$(base_key)
  if [ "$("$DOCKER" image inspect --format '{{index .Config.Labels "org.propflow.base-key"}}' "$tag" 2>/dev/null)" = "$key" ]; then
    echo "base image $tag: cached (key $key)"
    return
  fi
  mirror=$(debian_mirror)
  rootfs="$WORK/rootfs"
  echo "base image $tag: debootstrap $SUITE from $mirror"
  debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$mirror" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; echo "FATAL: debootstrap failed" >&2; exit 1; }
  cp "$CA_BUNDLE" "$rootfs$CA_BUNDLE"
  pip_conf > "$rootfs/etc/pip.conf"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change "LABEL org.propflow.base-key=$key" \
    --change 'CMD ["python3"]' - "$tag" > /dev/null
  rm -rf "$rootfs"
}

build_image() {  # the build stage tagged too, so that pruning the last run's image keeps its cache
  { "$DOCKER" build --network host --target build --tag "$IMAGE-build" . \
    && "$DOCKER" build --network host --tag "$IMAGE" .; } > "$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log" >&2; echo "FATAL: docker build failed" >&2; exit 1; }
  "$DOCKER" image prune --force > /dev/null
}

container() {  # container NAME DOCKER-RUN-ARGS...: a detached container of the host's network
  local name=$1
  shift
  local id
  id=$("$DOCKER" run --detach --network host --env-file "$WORK/container.env" "$@")
  CONTAINERS+=("$id")
  ID[$name]=$id
}

web_up() { curl -sf -o /dev/null "http://127.0.0.1:$port/health"; }

running() { [ "$("$DOCKER" inspect --format '{{.State.Running}}' "$1")" = true ]; }

megabytes() { "$DOCKER" image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }

require_postgres
require_redis
timed "packages (docker.io, debootstrap)" install_missing_packages
timed "dockerd" start_dockerd

BASE=$(awk 'toupper($1) == "FROM" { print $2 }' Dockerfile | sort -u)
[ "$(echo "$BASE" | wc -l)" = 1 ] || { echo "FATAL: the Dockerfile's stages name several bases: $BASE" >&2; exit 1; }
timed "base image" make_base_image "$BASE"
timed "docker build" build_image
echo "image $IMAGE: $(megabytes "$IMAGE") (base $BASE: $(megabytes "$BASE"))"

mkdir -p "$WORK/sms"
chmod 1777 "$WORK/sms"  # the image's unprivileged user writes the sign-in codes there
port=$(free_port)
cat > "$WORK/container.env" <<ENV
DEBUG=false
SECRET_KEY=ci-container-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
SECURE_SSL_REDIRECT=false
ALLOWED_HOSTS=127.0.0.1,localhost
DATABASE_URL=postgres://postgres@$PG_HOST:$PG_PORT/$CONTAINER_DB
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/$CONTAINER_REDIS_DB
S3_ENDPOINT_URL=$S3_ENDPOINT_URL
S3_BUCKET=$S3_BUCKET
AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
SMS_BACKEND=file
SMS_FILE_PATH=/sms
HOST=127.0.0.1
PORT=$port
ENV
dropdb -h "$PG_HOST" -p "$PG_PORT" -U postgres --if-exists "$CONTAINER_DB"
createdb -h "$PG_HOST" -p "$PG_PORT" -U postgres "$CONTAINER_DB"
redis-cli -p "$REDIS_PORT" -n "$CONTAINER_REDIS_DB" flushdb > /dev/null

migrate() {
  container migrate "$IMAGE" python manage.py migrate --noinput
  [ "$("$DOCKER" wait "${ID[migrate]}")" = 0 ] || { echo "FATAL: the migrations failed" >&2; exit 1; }
  echo "migrations: $("$DOCKER" logs "${ID[migrate]}" | grep -c '^  Applying ') applied"
}
start_stack() {
  container web --volume "$WORK/sms:/sms" "$IMAGE"
  container worker "$IMAGE" celery -A propflow worker --loglevel INFO --concurrency 2
  container beat "$IMAGE" celery -A propflow beat --loglevel INFO --schedule /tmp/celerybeat-schedule
  wait_for 60 web_up || { echo "FATAL: the web container is not healthy" >&2; exit 1; }
}
timed "migrations (a container)" migrate
timed "web, worker, beat up (/health)" start_stack
timed "one upload to its QC result" .venv/bin/python -m tests.live.one_upload "http://127.0.0.1:$port" "$WORK/sms"
for name in web worker beat; do
  running "${ID[$name]}" || { echo "FATAL: the $name container stopped" >&2; exit 1; }
done
echo "web, worker and beat still running"

validate_compose() {  # as the README says to use it: .env.example copied to .env beside it
  mkdir "$WORK/compose"
  cp docker-compose.yml "$WORK/compose/"
  cp .env.example "$WORK/compose/.env"
  (cd "$WORK/compose" && docker-compose config -q)
}
timed "docker-compose config -q" validate_compose
echo "docker-compose.yml: valid"

echo "timings:"
printf '  %s\n' "${TIMINGS[@]}" "$(printf '%-34s %4d s' "the whole step" "$SECONDS")"
