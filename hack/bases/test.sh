#!/usr/bin/env bash
# Tests that need root, mmdebstrap and runc: the approved Debian bases
# (hack/bases/build.sh, cached under ~/.cache/paved/bases) and the runc smoke
# tests of pipelines/smoke and the reference apps. Run as root; the tests
# install runc (and build.sh mmdebstrap) with apt-get when missing, and fail,
# never skip, when they cannot start a container. Only the first run fetches
# Debian and npm packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "hack/bases/test.sh: needs root (mmdebstrap, runc); elsewhere see pipelines/smoke's doc for the docker/podman fallback" >&2
  exit 1
fi
hack/bases/build.sh --rootfs-only >/dev/null
# The cache must make a second run offline: prove it without a network.
unshare --net hack/bases/build.sh --rootfs-only >/dev/null
pkgs=(./pipelines/smoke/... ./examples/reference-apps/apps_test/...)
GOEXPERIMENT=jsonv2 go vet -tags smoke "${pkgs[@]}"
GOEXPERIMENT=jsonv2 go test -tags smoke "$@" "${pkgs[@]}"
