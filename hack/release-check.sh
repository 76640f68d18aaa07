#!/usr/bin/env bash
# make release-check: take a paved candidate built from HEAD
# through the three reference apps (release/apps.yaml) with
# `paved release candidate`, against the previous release when a vX.Y.Z tag
# is reachable (none on a first release), and print the markdown report.
# Exits non-zero unless the candidate passes.
#
#   hack/release-check.sh          the check (what CI runs, as root)
#   hack/release-check.sh test     the same inputs, then the release-tagged
#                                  Go test: a deliberately broken candidate
#                                  must be reported as a regression
#
# Inputs it builds, all under .paved/release (cached where they can be): the
# CI runners (act, gitlab-ci-local: hack/tools.sh), a paved for the setup,
# the fixture vulnerability database, a signing key, the static base and the
# approved Python and Node bases as OCI layouts (hack/bases/build.sh:
# mmdebstrap, cached in ~/.cache/paved/bases, root on a first run). Each app
# runs through its own CI wrapper (release/apps.yaml ci:); node-web's npm ci
# runs in its workflow (npm cache).
# RELEASE_VERSION overrides the candidate version (default: the version the
# Unreleased notes of CHANGELOG.md call for, `paved release next-version`,
# with -rc.check).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOEXPERIMENT=jsonv2
start=$(date +%s)
mode=${1:-check}

work=$PWD/.paved/release
mkdir -p "$work/bin" "$work/bases"
# Check-only key password; a real release signs with the CI's secret.
export COSIGN_PASSWORD="${COSIGN_PASSWORD:-paved-release-check}"

echo "==> CI runners the apps' wrappers run under: act and gitlab-ci-local (hack/tools.sh; built once)"
PAVED_ACT="$(./hack/tools.sh act)"
PAVED_GITLAB_CI_LOCAL="$(./hack/tools.sh gitlab-ci-local)"
export PAVED_ACT PAVED_GITLAB_CI_LOCAL

echo "==> paved for the setup (the harness builds the candidate itself)"
paved=$work/bin/paved-setup
go build -trimpath -o "$paved" ./cmd/paved

if [ -z "${RELEASE_VERSION:-}" ]; then
  # The version CHANGELOG.md's Unreleased notes call for, as paved release
  # publish computes it, so a checked candidate is one that can be published.
  RELEASE_VERSION="$("$paved" release next-version)-rc.check"
fi

echo "==> fixture vulnerability database"
"$paved" db build-fixture --db-dir "$work/db" >/dev/null

echo "==> signing key"
[ -f "$work/keys/cosign.key" ] || "$paved" keys generate --dir "$work/keys" >/dev/null

echo "==> bases as OCI layouts: static (this machine's Debian packages), python-base and node-base (mmdebstrap, cached)"
rm -rf "$work/bases/static" "$work/bases/python-base" "$work/bases/node-base"
"$paved" base static --oci-layout "$work/bases/static" >/dev/null
PAVED="$paved" OCI_LAYOUT="$work/bases" ./hack/bases/build.sh >/dev/null

if [ "$mode" = test ]; then
  echo "==> release-tagged tests (a deliberately broken candidate is a regression)"
  PAVED_RELEASE_BASES="$work/bases" PAVED_RELEASE_DB="$work/db" PAVED_RELEASE_KEY="$work/keys/cosign.key" \
    go test -tags release -timeout 60m -run 'Release' -v ./release/candidate/
  echo "==> release-check test: $(( $(date +%s) - start )) s wall"
  exit 0
fi

echo "==> paved release candidate --version $RELEASE_VERSION"
status=0
"$paved" release candidate --version "$RELEASE_VERSION" \
  --bases "$work/bases" --db-dir "$work/db" --key "$work/keys/cosign.key" \
  --work-dir "$work/$RELEASE_VERSION" \
  --report-md "$work/report.md" --report-json "$work/report.json" || status=$?
echo "==> reports: $work/report.md, $work/report.json; runs under $work/$RELEASE_VERSION/runs"
echo "==> release-check: $(( $(date +%s) - start )) s wall, exit $status"
exit "$status"
