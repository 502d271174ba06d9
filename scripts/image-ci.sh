#!/usr/bin/env bash
# CI for the container image, on a machine that cannot pull base images: builds Debian bookworm
# base images locally (debootstrap, `podman import`), builds the repository's Dockerfile on them
# with podman, starts the server from the image with buildah, checks it with `sqlenv healthcheck`
# and plays an oracle episode against it (`sqlenv load --strict`). Prints the image size.
#
# Installs podman, buildah and debootstrap with apt if missing (root or sudo). The builder base
# gets the machine's own Rust toolchain copied in (no toolchain download). `podman run` cannot set
# rlimits in every sandbox; `buildah run --isolation chroot` can run the image's command anyway.
#
#   bash scripts/image-ci.sh                       # image sqlenv:ci, server on port 18790
#   IMAGE=sqlenv:dev IMAGE_CI_PORT=9000 bash scripts/image-ci.sh
#   bash scripts/image-ci.sh --bases               # only make the base images (CI does this
#                                                  # while cargo builds: it is mostly downloads)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/sqlenv:ci}
PORT=${IMAGE_CI_PORT:-18790}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
RUNTIME_BASE=localhost/sqlenv-ci/runtime:bookworm
BUILDER_BASE=localhost/sqlenv-ci/builder:bookworm
work=$PWD/target/image-ci
server=""
container=""

log() { printf '[image-ci] %s\n' "$*" >&2; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Every process started under pid $1 (buildah, its chroot helper, the server), deepest first.
descendants() {
  local child
  for child in $(pgrep -P "$1" || true); do
    descendants "$child"
    echo "$child"
  done
}

cleanup() {
  local status=$?
  if [ -n "$server" ]; then
    # SIGTERM to the whole tree (the server shuts down gracefully), SIGKILL after 15 s.
    local tree
    tree="$(descendants "$server") $server"
    kill $tree 2>/dev/null || true
    for _ in $(seq 1 30); do
      ps -p "$(echo $tree | tr ' ' ',')" >/dev/null || break
      sleep 0.5
    done
    kill -9 $tree 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
      log "server log:"
      cat "$work/server.log" >&2
    fi
  fi
  [ -z "$container" ] || $sudo buildah rm "$container" >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT

started=$(date +%s)
if ! command -v podman >/dev/null || ! command -v buildah >/dev/null \
  || ! command -v debootstrap >/dev/null; then
  log "installing podman, buildah and debootstrap with apt"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap >/dev/null
fi
mkdir -p "$work"

# Makes a minimal bookworm root filesystem in $1 with the extra packages $2 (comma-separated).
make_rootfs() {
  local dir=$1 include=$2
  $sudo rm -rf "$dir"
  $sudo debootstrap --variant=minbase ${include:+--include="$include"} bookworm "$dir" "$MIRROR" \
    > "$dir.log" 2>&1 || { cat "$dir.log" >&2; return 1; }
  # Package caches and lists only make the image bigger.
  $sudo rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
}

# Base images are made once per machine and kept in podman's store.
if ! $sudo podman image exists "$RUNTIME_BASE"; then
  log "making the runtime base $RUNTIME_BASE (debootstrap)"
  make_rootfs "$work/runtime-rootfs" ""
  $sudo tar -C "$work/runtime-rootfs" -c . \
    | $sudo podman import --change 'CMD ["/bin/bash"]' - "$RUNTIME_BASE" >/dev/null
  $sudo rm -rf "$work/runtime-rootfs"
fi
if ! $sudo podman image exists "$BUILDER_BASE"; then
  log "making the builder base $BUILDER_BASE (debootstrap, gcc, this machine's Rust toolchain)"
  make_rootfs "$work/builder-rootfs" gcc,libc6-dev,ca-certificates
  sysroot=$(rustc --print sysroot)
  $sudo mkdir -p "$work/builder-rootfs/usr/local/rust"
  # The compiler, cargo and the standard library; not the documentation.
  $sudo cp -a "$sysroot/bin" "$sysroot/lib" "$work/builder-rootfs/usr/local/rust/"
  # The machine's own certificate authorities, so that cargo inside the build trusts whatever
  # this machine trusts on its way to crates.io (a proxy's own CA, say).
  $sudo cp /etc/ssl/certs/ca-certificates.crt "$work/builder-rootfs/etc/ssl/certs/ca-certificates.crt"
  rust_path=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  $sudo tar -C "$work/builder-rootfs" -c . \
    | $sudo podman import --change "ENV PATH=$rust_path" --change 'ENV CARGO_HOME=/usr/local/cargo' \
      --change 'CMD ["/bin/bash"]' - "$BUILDER_BASE" >/dev/null
  $sudo rm -rf "$work/builder-rootfs"
fi
bases_done=$(date +%s)
if [ "${1:-}" = "--bases" ]; then
  log "base images ready in $(( bases_done - started )) s"
  exit 0
fi

log "building $IMAGE from the Dockerfile"
$sudo podman build --isolation chroot --format docker \
  --build-arg BUILDER_IMAGE="$BUILDER_BASE" --build-arg RUNTIME_IMAGE="$RUNTIME_BASE" \
  --tag "$IMAGE" . > "$work/build.log" 2>&1 || { tail -n 60 "$work/build.log" >&2; exit 1; }
built=$(date +%s)
size=$($sudo podman image inspect --format '{{.Size}}' "$IMAGE")

log "starting the server from the image on 127.0.0.1:$PORT (user 1000)"
container=$($sudo buildah from --pull-never "$IMAGE")
# The image's own entrypoint and environment, with a port that cannot clash with other servers.
in_image() {
  $sudo buildah run --isolation chroot --user 1000 --env PORT="$PORT" --env SQLENV_HOST=127.0.0.1 \
    "$container" -- "$@"
}
in_image sqlenv serve > "$work/server.log" 2>&1 &
server=$!

healthy=""
for _ in $(seq 1 60); do
  kill -0 "$server" 2>/dev/null || { log "the server exited early"; exit 1; }
  if in_image sqlenv healthcheck >/dev/null 2>&1; then
    healthy=yes
    break
  fi
  sleep 1
done
[ -n "$healthy" ] || { log "not healthy after 60 s"; exit 1; }
in_image sqlenv healthcheck >&2

log "playing an oracle episode against it (the image's own load generator)"
in_image sqlenv load --url "ws://127.0.0.1:$PORT/ws" --sessions 1 --episodes 1 \
  --policy oracle --quiet --strict >&2

log "image $IMAGE: $(( size / 1000000 )) MB; base images $(( bases_done - started )) s, build $(( built - bases_done )) s, all $(( $(date +%s) - started )) s"
log "ok"
