#!/usr/bin/env bash
# make bench: prints the figures the issues ask for. Benchmarks, never timed
# unit tests: numbers depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOEXPERIMENT=jsonv2

bench() { # package, benchmark regexp, benchtime
  echo "==> $1 $2"
  go test "$1" -run '^$' -bench "$2" -benchtime "${3:-3x}" -benchmem | grep -E '^(Benchmark|ok|FAIL)' || true
}

bench ./pipelines/build/ 'BenchmarkGoAPIBuild' 3x
bench ./pipelines/build/ 'BenchmarkDockerfile' 20x
bench ./pipelines/sbom/ 'BenchmarkGenerate' 3x
for pkg in ./pipelines/scan/ ./pipelines/sign/ ./pipelines/deploy/; do  # deploy: bump on 100 services, 1,000 commits
  if ls "$pkg"*_test.go >/dev/null 2>&1 && grep -lq '^func Benchmark' "$pkg"*_test.go; then
    bench "$pkg" '.' 3x
  fi
done

# A base campaign's SBOM work: 100 services on one base, with the layer
# cache and without it. The base is the approved node base when
# hack/bases/build.sh has cached its rootfs (make demo does), else the
# test image's layers.
node_rootfs=$(ls "${PAVED_BASES_CACHE:-$HOME/.cache/paved/bases}"/node-base-*.tar 2>/dev/null | head -1 || true)
echo "==> SBOMs of a 100-service base campaign (base: ${node_rootfs:-the test image}), with and without the layer cache"
PAVED_BENCH_BASE_ROOTFS=$node_rootfs go test ./pipelines/sbom/ -run '^$' -bench BenchmarkBaseCampaign100 -benchtime 1x -timeout 30m |
  grep -E '^(Benchmark|ok|FAIL)' || true

echo "==> fleet inventory over ${PAVED_FLEET_BENCH_REPOS:=1000} generated repositories (cold and warm cache)"
PAVED_FLEET_BENCH_REPOS=$PAVED_FLEET_BENCH_REPOS go test ./fleet/inventory/ -run '^$' -bench Inventory -benchtime 1x -timeout 30m | grep -E '^(Benchmark|ok|FAIL)' || true

echo "==> fleet campaign: one wave of ${PAVED_CAMPAIGN_BENCH_REPOS:=100} bumps (clone, rewrite, commit, push, open the change; then with the merge)"
PAVED_CAMPAIGN_BENCH_REPOS=$PAVED_CAMPAIGN_BENCH_REPOS go test ./fleet/campaign/ -run '^$' -bench BenchmarkWave100 -benchtime 1x -timeout 30m | grep -E '^(Benchmark|ok|FAIL)' || true
echo "==> the same wave through a real Gitea (open, merge through the API, commit status, gate), next to plain git above"
./hack/tools.sh gitea >/dev/null
PAVED_CAMPAIGN_BENCH_REPOS=$PAVED_CAMPAIGN_BENCH_REPOS go test -tags forge ./fleet/campaign/ -run '^$' -bench BenchmarkWaveGitea -benchtime 1x -timeout 60m | grep -E '^(Benchmark|ok|FAIL)' || true

bench ./release/changelog/ 'BenchmarkRelease' 1000x

echo "==> the wrappers' install of the pinned paved (release archive over loopback HTTP), cold and cached,"
echo "    next to the 'go install' it replaces (empty module and build caches; PAVED_BENCH_GO_INSTALL=0 skips it)"
bench ./ci/ 'BenchmarkInstall' 5x
go test ./ci/ -run '^$' -bench BenchmarkGoInstallCold -benchtime 1x -timeout 60m | grep -E '^(Benchmark|ok|FAIL|---)' || true

echo "==> BuildKit: cold versus warm, daemonless versus BuildKit (root; installs buildkitd once)"
./hack/buildkit/test.sh bench

echo "==> the whole run: wall time and each step's share"
go test ./pipelines/template/ -run '^$' -bench BenchmarkBuildScanDeploy -benchtime 3x | grep -E '^(Benchmark|ok|FAIL)' || true

echo "==> registry faults: 20 runs per series through a fault-injecting proxy (10% 503, 20% of blob uploads cut), paved's retries next to go-containerregistry's defaults (crane, ko)"
go test ./pipelines/template/ -run '^$' -bench BenchmarkBuildScanDeployUnderFaults -benchtime 1x -timeout 40m | grep -E '^(Benchmark|ok|FAIL)' || true

echo "==> paved versus the stock CLIs chained (ko, syft, trivy, cosign: built once by hack/tools.sh)"
./hack/bench-stock.sh
