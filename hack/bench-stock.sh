#!/usr/bin/env bash
# The same work done by paved and by chaining the stock CLIs (ko, syft,
# trivy, cosign) on go-api, with the ratio. Runs only when all four are on
# PATH; this repository does not install them (they are not in the Debian or
# npm registries). Offline: embedded registry, fixture DB, local keys.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOEXPERIMENT=jsonv2

missing=()
for tool in ko syft trivy cosign; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "stock CLI comparison skipped: not on PATH: ${missing[*]}"
  exit 0
fi

paved=bin/paved
[ -x "$paved" ] || go build -o "$paved" ./cmd/paved
work=$(mktemp -d)
trap 'kill "$registry_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
export COSIGN_PASSWORD=paved-bench

"$paved" registry serve --dir "$work/registry" --addr 127.0.0.1:0 >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do grep -q serving "$work/registry.log" 2>/dev/null && break; sleep 0.1; done
registry=$(sed -n 's|.*on http://\([^ ]*\).*|\1|p' "$work/registry.log")
"$paved" db build-fixture --db-dir "$work/db" >/dev/null
"$paved" keys generate --dir "$work/keys" >/dev/null
"$paved" base static --push "$registry/platform/static" --tag 1 >/dev/null
# Trivy looks for <cache>/db/trivy.db.
mkdir -p "$work/trivy-cache" && ln -s "$work/db" "$work/trivy-cache/db"

now() { date +%s.%N; }

start=$(now)
"$paved" run build-scan-deploy examples/reference-apps/go-api --skip-deploy --progress none \
  --registry "$registry" --db-dir "$work/db" --key "$work/keys/cosign.key" --report-dir "$work/paved" >/dev/null
paved_s=$(awk -v a="$(now)" -v b="$start" 'BEGIN{print a-b}')

start=$(now)
ref=$(cd examples/reference-apps/go-api && KO_DOCKER_REPO="$registry/stock/go-api" \
  KO_DEFAULTBASEIMAGE="$registry/platform/static:1" ko build --bare --insecure-registry . 2>/dev/null)
syft scan "registry:$ref" -o "spdx-json=$work/sbom.spdx.json" -q
trivy sbom --cache-dir "$work/trivy-cache" --skip-db-update --offline-scan --quiet \
  --severity CRITICAL,HIGH --exit-code 0 --format json --output "$work/scan.json" "$work/sbom.spdx.json"
cosign sign --key "$work/keys/cosign.key" --tlog-upload=false --allow-insecure-registry -y "$ref" 2>/dev/null
cosign attest --key "$work/keys/cosign.key" --tlog-upload=false --allow-insecure-registry -y \
  --type spdxjson --predicate "$work/sbom.spdx.json" "$ref" 2>/dev/null
cosign attest --key "$work/keys/cosign.key" --tlog-upload=false --allow-insecure-registry -y \
  --type vuln --predicate "$work/scan.json" "$ref" 2>/dev/null
cosign verify --key "$work/keys/cosign.pub" --insecure-ignore-tlog=true --allow-insecure-registry "$ref" >/dev/null 2>&1
stock_s=$(awk -v a="$(now)" -v b="$start" 'BEGIN{print a-b}')

printf 'paved build-scan-deploy (no deploy): %6.2f s\n' "$paved_s"
printf 'ko + syft + trivy + cosign chain:     %6.2f s\n' "$stock_s"
printf 'ratio (stock / paved):                %6.2f\n' "$(awk -v a="$stock_s" -v b="$paved_s" 'BEGIN{print a/b}')"
