#!/usr/bin/env bash
# The tests (and, with "bench", the benchmarks) that need a real buildkitd.
# Installs BuildKit and runc first (cached after the first run), then runs
# the packages' BuildKit tests with the "buildkit" build tag. They start
# their own buildkitd per test, as root; they fail, never skip, when
# BuildKit cannot run.
#
#   hack/buildkit/test.sh          # tests
#   hack/buildkit/test.sh bench    # cold/warm and daemonless/BuildKit benchmarks
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOEXPERIMENT=jsonv2

./hack/buildkit/install.sh >/dev/null
pkgs=(./pipelines/build/ ./cmd/paved/ ./pipelines/template/)
go vet -tags buildkit "${pkgs[@]}" ./pipelines/buildkitd/...
if [ "${1:-}" = bench ]; then
  go test -tags buildkit -run '^$' -bench 'BuildKitColdVsWarm|RunlessDockerfile' -benchtime 3x ./pipelines/build/
else
  go test -tags buildkit -timeout 20m -run 'BuildKit' "${pkgs[@]}"
fi
