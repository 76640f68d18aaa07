#!/usr/bin/env bash
# paved next to the chain an expert would script with the stock CLIs, as CI
# pays them: whole processes, on go-api and node-web.
#
#   paved run build-scan-deploy --env dev       (build, push, SBOM, scan, gate,
#                                                sign, 3 attestations, verify,
#                                                GitOps bump, run record)
#   ko build | syft | trivy sbom | cosign sign + attest SBOM + attest vuln |
#   cosign verify | git clone, edit, commit, push
#
# For each app, one untimed pair warms the caches, then PAVED_BENCH_RUNS
# pairs (default 5) run interleaved (paved, stock, paved, stock, ...), each
# with a new version (go-api: -X main.version; node-web: a changed source
# file, so its own layer is new and its base and dependency layers are not).
# Printed: medians of wall and CPU seconds (user + system of the process and
# its children), the ratio paved / stock, the peak resident memory of the
# largest process, and paved's SBOM step next to stock syft alone. Then
# go-api's SBOM as a first call in a fresh process with nothing cached
# (paved sbom next to syft scan), the re-run of unchanged input, and
# node-web's SBOM with and without its base catalogued. The stock CLIs are built once from the Go module proxy by
# hack/tools.sh (cached under ~/.cache/paved/tools). Offline: embedded
# registry, fixture DB, local keys, a local GitOps remote; paved's layer
# cache lives in the work directory and starts empty.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export GOEXPERIMENT=jsonv2
runs=${PAVED_BENCH_RUNS:-5}

ko=$(hack/tools.sh ko) syft=$(hack/tools.sh syft) trivy=$(hack/tools.sh trivy)
cosign=$(hack/tools.sh cosign) kustomize=$(hack/tools.sh kustomize)
paved=$repo/bin/paved
go build -o "$paved" ./cmd/paved

work=$(mktemp -d)
trap 'kill "$registry_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
export COSIGN_PASSWORD=paved-bench PAVED_LAYER_CACHE=$work/layer-cache
export PAVED_GIT_AUTHOR_NAME="paved bench" PAVED_GIT_AUTHOR_EMAIL=bench@paved.invalid
export GIT_AUTHOR_NAME="stock bench" GIT_AUTHOR_EMAIL=bench@paved.invalid GIT_COMMITTER_NAME="stock bench" GIT_COMMITTER_EMAIL=bench@paved.invalid
export SYFT_CHECK_FOR_APP_UPDATE=false TUF_ROOT=$work/tuf

"$paved" registry serve --dir "$work/registry" --addr 127.0.0.1:0 >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do grep -q serving "$work/registry.log" 2>/dev/null && break; sleep 0.1; done
registry=$(sed -n 's|.*on http://\([^ ]*\).*|\1|p' "$work/registry.log")
"$paved" db build-fixture --db-dir "$work/db" >/dev/null
"$paved" keys generate --dir "$work/keys" >/dev/null
"$paved" base static --push "$registry/platform/static" --tag 1 >/dev/null
mkdir -p "$work/trivy-cache" && ln -s "$work/db" "$work/trivy-cache/db" # trivy reads <cache>/db/trivy.db

# The GitOps remotes, seeded as make demo seeds them: one for paved, one for
# the stock chain, so that neither edits what the other deploys.
cp -r examples/gitops "$work/seed" && mkdir -p "$work/seed/keys" && cp "$work/keys/cosign.pub" "$work/seed/keys/"
grep -rl paved.local "$work/seed" | xargs sed -i "s|paved\.local|$registry|g"
git -C "$work/seed" init -q -b main && git -C "$work/seed" add -A && git -C "$work/seed" commit -q -m seed
for remote in gitops stock-gitops; do
  git init -q --bare -b main "$work/$remote.git" && git -C "$work/seed" push -q "$work/$remote.git" main
done

# ko stamps the version as paved's versionVar does.
printf 'builds:\n- id: go-api\n  main: .\n  ldflags: ["-s", "-w", "-X main.version={{.Env.VERSION}}"]\n' >"$work/ko.yaml"

# app_dir APP VERSION: the directory both chains build APP from. node-web
# is a copy whose source changes with the version.
app_dir() {
  if [ "$1" = go-api ]; then echo "$repo/examples/reference-apps/go-api"; return; fi
  echo "module.exports = '$2';" >"$work/apps/$1/src/build-version.js"
  echo "$work/apps/$1"
}

paved_run() { # APP VERSION [FLAGS...]
  local app=$1 version=$2
  shift 2
  "$paved" run build-scan-deploy "$(app_dir "$app" "$version")" --env dev --progress none \
    --registry "$registry" --db-dir "$work/db" --key "$work/keys/cosign.key" --revision "bench-$version" \
    --gitops-repo "$work/gitops.git" --version "$version" --report-dir "$work/runs/$app" "$@"
}

# stock_chain APP VERSION: the expert's script. go-api is built by ko;
# node-web's RUN-less Dockerfile has no daemonless stock builder, so paved
# build builds it (in the timed chain) and the rest is stock.
stock_chain() {
  local app=$1 version=$2 ref dir=$work/stock-$1 src
  src=$(app_dir "$app" "$version")
  rm -rf "$dir" && mkdir -p "$dir"
  if [ "$app" = go-api ]; then
    ref=$(cd "$src" && env -u GOEXPERIMENT VERSION="$version" KO_CONFIG_PATH="$work/ko.yaml" \
      KO_DOCKER_REPO="$registry/stock/go-api" KO_DEFAULTBASEIMAGE="$registry/platform/static:1" \
      "$ko" build --bare --insecure-registry --sbom=none . 2>/dev/null)
  else
    ref=$("$paved" build "$src" --build-arg "BASE=$registry/platform/node-base:1" \
      --push "$registry/stock/$app" --output json | jq -r .reference)
  fi
  local start
  start=$(date +%s.%N)
  "$syft" scan "registry:$ref" -o "spdx-json=$dir/sbom.spdx.json" -q
  awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN{printf "%.3f\n", a-b}' >>"$work/syft-$app"
  "$trivy" sbom --cache-dir "$work/trivy-cache" --skip-db-update --offline-scan --quiet --severity CRITICAL,HIGH \
    --exit-code 0 --format json --output "$dir/scan.json" "$dir/sbom.spdx.json"
  "$cosign" sign --key "$work/keys/cosign.key" --tlog-upload=false --allow-insecure-registry -y "$ref"
  "$cosign" attest --key "$work/keys/cosign.key" --tlog-upload=false --allow-insecure-registry -y \
    --type spdxjson --predicate "$dir/sbom.spdx.json" "$ref"
  "$cosign" attest --key "$work/keys/cosign.key" --tlog-upload=false --allow-insecure-registry -y \
    --type vuln --predicate "$dir/scan.json" "$ref"
  "$cosign" verify --key "$work/keys/cosign.pub" --insecure-ignore-tlog=true --allow-insecure-registry "$ref" >/dev/null
  git clone -q "$work/stock-gitops.git" "$dir/gitops"
  if [ "$app" = go-api ]; then
    (cd "$dir/gitops/apps/go-api/dev" && "$kustomize" edit set image "$registry/services/go-api=$ref")
  else
    # blue-green: the idle slot (green; the Service selects blue)
    sed -i "/name: $app-green/,\$ s|image: .*|image: $ref|" "$dir/gitops/manifests/$app/dev/$app.yaml"
  fi
  git -C "$dir/gitops" commit -q -am "deploy $app $version"
  git -C "$dir/gitops" push -q origin main
}
export -f app_dir paved_run stock_chain
export work repo registry paved ko syft trivy cosign kustomize

# measure NAME FUNCTION ARGS...: runs FUNCTION (in bash -c) and appends
# "wall cpu maxrss-KiB" of it and its children to $work/m-NAME.
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" bash -c '"$@"' _ "$@" >"$work/$name.out" 2>&1 ||
    { echo "$name failed:"; tail -20 "$work/$name.out"; exit 1; }
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$work/time" >>"$work/m-$name"
}
median() { sort -n | awk '{v[NR]=$1} END{if (NR == 0) print 0; else print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
col() { awk -v c="$2" '{print $c}' "$work/m-$1" | median; }
sbom_step() { jq -r '.steps[] | select(.name=="sbom") | .durationSeconds' "$work/runs/$1/paved-run.json"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

compare() { # APP
  local app=$1
  paved_run "$app" 0.9.0 >/dev/null 2>&1 # warm-up: page cache, go build cache, layer cache
  bash -c 'stock_chain "$@"' _ "$app" 0.9.0 >/dev/null 2>&1
  : >"$work/syft-$app"
  echo "--- $app: $runs interleaved pairs, new version each (load average at start: $(load))"
  for i in $(seq "$runs"); do
    measure "paved-$app" paved_run "$app" "1.0.$i"
    sbom_step "$app" >>"$work/sbom-$app"
    measure "stock-$app" stock_chain "$app" "1.0.$i"
  done
  local pw pc pm sw sc sm
  pw=$(col "paved-$app" 1) pc=$(col "paved-$app" 2) pm=$(col "paved-$app" 3)
  sw=$(col "stock-$app" 1) sc=$(col "stock-$app" 2) sm=$(col "stock-$app" 3)
  printf '%-40s %8s %8s %10s\n' "" "wall s" "CPU s" "peak MiB"
  printf '%-40s %8.2f %8.2f %10.0f\n' "paved run build-scan-deploy" "$pw" "$pc" "$(echo "$pm/1024" | bc -l)"
  printf '%-40s %8.2f %8.2f %10.0f\n' "stock chain (peak: largest process)" "$sw" "$sc" "$(echo "$sm/1024" | bc -l)"
  printf '%-40s %8.2f %8.2f\n' "ratio paved / stock" "$(echo "$pw/$sw" | bc -l)" "$(echo "$pc/$sc" | bc -l)"
  printf '%-40s %8.2f   (stock syft alone: %.2f s)\n' "paved SBOM step (layer cache warm)" \
    "$(median <"$work/sbom-$app")" "$(median <"$work/syft-$app")"
  echo "load average at end: $(load)"
}

compare go-api

echo "--- go-api SBOM, whole process, nothing cached (paved sbom --layer-cache=off next to syft scan; load: $(load))"
go_ref=$(jq -r .image "$work/runs/go-api/paved-run.json")
for _ in $(seq "$runs"); do
  measure sbom-go "$paved" sbom "$go_ref" --out "$work/go.spdx.json" --layer-cache off
  measure syft-go "$syft" scan "registry:$go_ref" -o "spdx-json=$work/go-stock.spdx.json" -q
done
printf 'paved sbom: %.2f s wall, %.2f s CPU, %.0f MiB; syft scan: %.2f s wall, %.2f s CPU, %.0f MiB\n' \
  "$(col sbom-go 1)" "$(col sbom-go 2)" "$(echo "$(col sbom-go 3)/1024" | bc -l)" \
  "$(col syft-go 1)" "$(col syft-go 2)" "$(echo "$(col syft-go 3)/1024" | bc -l)"

echo "--- go-api re-run on unchanged input (same version, --trace-annotation=false; load: $(load))"
paved_run go-api 2.0.0 --trace-annotation=false >/dev/null 2>&1
commits=$(git -C "$work/gitops.git" rev-list --count main)
digest=$(jq -r .image "$work/runs/go-api/paved-run.json" | sed 's/.*@sha256://')
layers() { curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$registry/v2/services/go-api/manifests/sha256-$digest.$1" | jq '.layers | length'; }
sigs=$(layers sig) atts=$(layers att)
for _ in $(seq "$runs"); do measure rerun paved_run go-api 2.0.0 --trace-annotation=false; done
printf 're-run: %.2f s wall, %.2f s CPU (medians); new GitOps commits %d, signatures %d, attestations %d\n' \
  "$(col rerun 1)" "$(col rerun 2)" $(($(git -C "$work/gitops.git" rev-list --count main) - commits)) \
  $(($(layers sig) - sigs)) $(($(layers att) - atts))

if ! PAVED="$paved" PUSH="$registry/platform" ./hack/bases/build.sh node-base >/dev/null 2>"$work/bases.log"; then
  echo "--- node-web skipped: hack/bases/build.sh could not build the node base (it needs root and Debian's packages):"
  tail -3 "$work/bases.log"
  exit 0
fi
examples/reference-apps/node-web/install.sh >/dev/null
mkdir -p "$work/apps" && cp -r examples/reference-apps/node-web "$work/apps/node-web" && cp examples/policy.yaml "$work/"
compare node-web

echo "--- node-web SBOM, whole process (paved sbom, CycloneDX; load: $(load))"
for i in $(seq "$runs"); do
  ref=$("$paved" build "$(app_dir node-web "3.0.$i")" --build-arg "BASE=$registry/platform/node-base:1" \
    --push "$registry/services/node-web" --output json | jq -r .reference)
  measure sbom-warm "$paved" sbom "$ref" --format cyclonedx-json --out "$work/warm.cdx.json"
  measure sbom-cold "$paved" sbom "$ref" --format cyclonedx-json --out "$work/cold.cdx.json" --layer-cache off
  cmp -s "$work/warm.cdx.json" "$work/cold.cdx.json" || { echo "the cached and uncached SBOMs differ"; exit 1; }
done
printf 'cold (every layer catalogued): %.2f s wall, %.2f s CPU\n' "$(col sbom-cold 1)" "$(col sbom-cold 2)"
printf 'base and dependency layers catalogued already: %.2f s wall, %.2f s CPU; ratio %.2f wall, %.2f CPU\n' \
  "$(col sbom-warm 1)" "$(col sbom-warm 2)" "$(echo "$(col sbom-warm 1)/$(col sbom-cold 1)" | bc -l)" \
  "$(echo "$(col sbom-warm 2)/$(col sbom-cold 2)" | bc -l)"
