#!/usr/bin/env bash
# make wrappers-test: paved's CI wrappers run for real, the way a service's
# CI runs them, on the reference apps: the GitHub reusable workflow and
# composite action under nektos/act (host mode), the GitLab component under
# gitlab-ci-local (shell executor). Each installs paved from a release of
# the tree under test (built once for this machine, signed, served over
# HTTP) and runs build-scan-deploy against its own embedded registry and
# local GitOps remote; only the hosted actions are stood in (ci/runner).
#
#   hack/wrappers-test.sh            every wrapper test (ci, -tags wrappers)
#   RUN=TestGitHub hack/wrappers-test.sh
#
# Inputs, built or fetched once and cached: act and gitlab-ci-local
# (hack/tools.sh), the approved Python and Node bases as OCI layouts
# (hack/bases/build.sh: mmdebstrap, cached in ~/.cache/paved/bases, root on
# a first run), node-web's npm packages (npm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOEXPERIMENT=jsonv2
start=$(date +%s)
work=$PWD/.paved/wrappers
mkdir -p "$work/bin" "$work/bases"

echo "==> runners: act and gitlab-ci-local (hack/tools.sh; built once)"
PAVED_ACT="$(hack/tools.sh act)"
PAVED_GITLAB_CI_LOCAL="$(hack/tools.sh gitlab-ci-local)"
export PAVED_ACT PAVED_GITLAB_CI_LOCAL

echo "==> approved bases as OCI layouts (hack/bases/build.sh; cached)"
paved=$work/bin/paved-setup
go build -trimpath -o "$paved" ./cmd/paved
rm -rf "$work/bases/python-base" "$work/bases/node-base"
PAVED="$paved" OCI_LAYOUT="$work/bases" ./hack/bases/build.sh >/dev/null
export PAVED_WRAPPERS_BASES="$work/bases"

echo "==> wrapper tests (go test -tags wrappers ./ci/)"
# The whole log goes to .paved/wrappers/test.log; the outline to stdout.
set +e
go test -tags wrappers -timeout 40m -count=1 ${RUN:+-run "$RUN"} -v ./ci/ >"$work/test.log" 2>&1
status=$?
set -e
grep -E '^(=== RUN|\s*--- |PASS|FAIL|ok|panic|wrapper tests:)' "$work/test.log" || true
[ "$status" = 0 ] || echo "==> the full log: $work/test.log"
echo "==> wrappers-test: $(( $(date +%s) - start )) s wall, exit $status"
exit "$status"
