#!/usr/bin/env bash
# Build the platform's approved Debian bases (python-base, node-base) and hand
# them to `paved base rootfs`.
#
#   hack/bases/build.sh [--rootfs-only] [python-base|node-base ...]
#
# For each base, mmdebstrap makes a root filesystem tarball from the Debian
# packages in hack/bases/<name>.list. The tarball is cached under
# $PAVED_BASES_CACHE (default $HOME/.cache/paved/bases), keyed by the package
# list, suite, architecture, variant, mirrors and SOURCE_DATE_EPOCH, so a
# second run needs no network. Then, unless --rootfs-only:
#
#   PUSH=127.0.0.1:5000/platform  push REPO/<name>:TAG by digest (TAG default 1)
#   OCI_LAYOUT=DIR                write DIR/<name> as an OCI image layout
#   SIGN_KEY=cosign.key           with PUSH: write <name>.spdx.json (paved sbom)
#                                 to SBOM_DIR (default .), sign the digest and
#                                 attest the SBOM (password: $COSIGN_PASSWORD),
#                                 then verify both with SIGN_KEY's .pub
#
# Output: one line per base, "<name> <rootfs tarball> [<reference or digest>]".
# Needs root (mmdebstrap's root mode); installs mmdebstrap with apt-get when
# it is missing. PAVED is the paved binary (default: go build ./cmd/paved into
# bin/paved when bin/paved is missing).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${PAVED_BASES_CACHE:-$HOME/.cache/paved/bases}
suite=${SUITE:-bookworm}
arch=${ARCH:-amd64}
variant=${VARIANT:-apt}
tag=${TAG:-1}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
mirror=${MIRROR:-http://deb.debian.org/debian}
security=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
sources=(
  "deb $mirror $suite main"
  "deb $mirror $suite-updates main"
  "deb $security $suite-security main"
)

rootfs_only=false
names=()
for a in "$@"; do
  case $a in
    --rootfs-only) rootfs_only=true ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "build.sh: unknown flag $a (see --help)" >&2; exit 2 ;;
    *) names+=("$a") ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(python-base node-base)

log() { echo "build.sh: $*" >&2; }

packages() {
  local list=$here/$1.list
  [ -f "$list" ] || { log "no package list $list: add one or use python-base/node-base"; exit 2; }
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$' | sort -u | paste -sd, -
}

# key: what decides the tarball's contents. A mirror's later state is not in
# it on purpose: the cache pins what was approved until the list changes.
key() {
  printf '%s\n' "v1" "$suite" "$arch" "$variant" "$SOURCE_DATE_EPOCH" "$1" "${sources[@]}" |
    sha256sum | cut -c1-16
}

need_mmdebstrap() {
  command -v mmdebstrap >/dev/null && return
  [ "$(id -u)" = 0 ] || { log "mmdebstrap is missing and this is not root: apt-get install mmdebstrap"; exit 1; }
  log "installing mmdebstrap"
  apt-get install -y --no-install-recommends mmdebstrap >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends mmdebstrap >&2; }
}

rootfs() {
  local name=$1 pkgs k out tmp
  pkgs=$(packages "$name")
  k=$(key "$pkgs")
  out=$cache/$name-$k.tar
  mkdir -p "$cache"
  exec 9>"$cache/.$name.lock"
  flock 9
  if [ -s "$out" ]; then
    log "$name: cached $out"
  else
    [ "$(id -u)" = 0 ] || { log "$name: building a rootfs needs root (mmdebstrap root mode)"; exit 1; }
    need_mmdebstrap
    log "$name: mmdebstrap $suite ($variant) with $pkgs"
    tmp=$(mktemp "$cache/.$name-XXXXXX.tar")
    if ! mmdebstrap --quiet --mode=root --variant="$variant" --architectures="$arch" \
      --include="$pkgs" \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --aptopt='Acquire::Retries "3"' \
      --format=tar "$suite" "$tmp" "${sources[@]}" >&2; then
      rm -f "$tmp"
      log "$name: mmdebstrap failed: is $mirror reachable? (MIRROR=… to use another)"
      exit 4
    fi
    chmod 0644 "$tmp"
    mv "$tmp" "$out"
    log "$name: wrote $out"
  fi
  exec 9>&-
  echo "$out"
}

paved_bin() {
  if [ -n "${PAVED:-}" ]; then echo "$PAVED"; return; fi
  if [ ! -x "$repo/bin/paved" ]; then
    log "building bin/paved"
    (cd "$repo" && GOEXPERIMENT=jsonv2 go build -o bin/paved ./cmd/paved)
  fi
  echo "$repo/bin/paved"
}

for name in "${names[@]}"; do
  tarball=$(rootfs "$name")
  if $rootfs_only || { [ -z "${PUSH:-}" ] && [ -z "${OCI_LAYOUT:-}" ]; }; then
    echo "$name $tarball"
    continue
  fi
  args=(base rootfs --rootfs "$tarball" --label "org.opencontainers.image.title=$name")
  [ -z "${PUSH:-}" ] || args+=(--push "$PUSH/$name" --tag "$tag")
  [ -z "${OCI_LAYOUT:-}" ] || args+=(--oci-layout "$OCI_LAYOUT/$name")
  paved=$(paved_bin)
  ref=$("$paved" "${args[@]}")
  if [ -n "${SIGN_KEY:-}" ] && [ -n "${PUSH:-}" ]; then
    sbom=${SBOM_DIR:-.}/$name.spdx.json
    "$paved" sbom "$ref" --format spdx-json --out "$sbom" >&2
    "$paved" sign --key "$SIGN_KEY" "$ref" >&2
    "$paved" attest --key "$SIGN_KEY" --sbom "$sbom" "$ref" >&2
    "$paved" verify --key "${SIGN_KEY%.key}.pub" --require sbom "$ref" >&2
  fi
  echo "$name $tarball $ref"
done
