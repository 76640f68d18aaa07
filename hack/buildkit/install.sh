#!/usr/bin/env bash
# Installs buildkitd and buildctl (BuildKit, built from the Go module proxy)
# and runc (Debian) for paved's BuildKit builds and tests. Idempotent: the
# binaries are cached per version, a second run builds and fetches nothing.
#
#   hack/buildkit/install.sh          # prints the directory holding buildkitd, buildctl
#   PAVED_BUILDKIT_VERSION=v0.26.2 PAVED_BUILDKIT_CACHE=/var/cache/paved/buildkit hack/buildkit/install.sh
#
# Needs: go (1.24+), and as root on a machine without runc: apt-get.
set -euo pipefail

version="${PAVED_BUILDKIT_VERSION:-v0.26.2}"
cache="${PAVED_BUILDKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paved/buildkit}"
bin="$cache/$version/bin"

log() { echo "hack/buildkit/install.sh: $*" >&2; }

if [ ! -x "$bin/buildkitd" ] || [ ! -x "$bin/buildctl" ]; then
  log "building buildkitd and buildctl $version into $bin (about 2 minutes cold)"
  mkdir -p "$bin"
  # BuildKit's go.mod has exclude directives, so "go install pkg@version"
  # refuses it: download the module and build inside it, with its own
  # go.mod and go.sum (not paved's) and without paved's GOEXPERIMENT.
  src="$(cd "$cache" && GOFLAGS= go mod download -json "github.com/moby/buildkit@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { log "downloading github.com/moby/buildkit@$version failed"; exit 1; }
  tmp="$(mktemp -d "$cache/.install.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  for cmd in buildkitd buildctl; do
    (cd "$src" && GOEXPERIMENT= GOFLAGS='-mod=readonly -buildvcs=false' CGO_ENABLED=0 \
      go build -trimpath -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$version" -o "$tmp/$cmd" "./cmd/$cmd")
  done
  mv "$tmp/buildkitd" "$tmp/buildctl" "$bin/"
fi

if ! command -v runc >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    log "runc is missing: install it (apt-get install -y runc) or run this script as root"
    exit 1
  fi
  log "installing runc from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends runc >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends runc >/dev/null; }
fi

echo "$bin"
