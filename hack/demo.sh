#!/usr/bin/env bash
# make demo: paved on embedded defaults, offline. Starts the embedded
# registry and a local GitOps remote, builds the fixture vulnerability DB,
# generates signing keys, assembles the static base from this machine's
# Debian packages and the approved Python and Node bases from Debian packages
# (mmdebstrap: the first run fetches them, later runs use the cache), runs
# build-scan-deploy for the three reference apps into dev, promotes go-api to
# staging and prints a summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOEXPERIMENT=jsonv2

paved=bin/paved
work=.paved/demo
mkdir -p "$work"
# Demo-only key password; real pipelines take it from the CI's secret store.
export COSIGN_PASSWORD="${COSIGN_PASSWORD:-paved-demo}"
export PAVED_GIT_AUTHOR_NAME="paved demo" PAVED_GIT_AUTHOR_EMAIL="demo@paved.invalid"

# Port 0: the registry picks a free port and prints it.
"$paved" registry serve --dir "$work/registry" --addr "127.0.0.1:${PAVED_DEMO_PORT:-0}" >"$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q serving "$work/registry.log" 2>/dev/null && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry.log"; exit 1; }
  sleep 0.1
done
registry=$(sed -n 's|.*on http://\([^ ]*\).*|\1|p' "$work/registry.log")
[ -n "$registry" ] || { echo "the embedded registry did not start:"; cat "$work/registry.log"; exit 1; }
echo "==> embedded registry on $registry (data in $work/registry)"

echo "==> vulnerability database from the fixture advisories"
"$paved" db build-fixture --db-dir "$work/db" >/dev/null

echo "==> signing keys (Cosign format)"
[ -f "$work/keys/cosign.key" ] || "$paved" keys generate --dir "$work/keys" >/dev/null

echo "==> static base for Go services, from this machine's Debian packages"
"$paved" base static --push "$registry/platform/static" --tag 1 | sed 's/^/    /'

echo "==> approved Python and Node bases from Debian packages (cached after the first run)"
PAVED="$paved" PUSH="$registry/platform" ./hack/bases/build.sh | awk '{print "    " $1 " " $3}'

echo "==> node-web's npm dependencies (npm ci; cached after the first run)"
examples/reference-apps/node-web/install.sh >/dev/null

echo "==> local GitOps remote $work/gitops.git"
rm -rf "$work/gitops.git" "$work/gitops-seed"
git init -q --bare -b main "$work/gitops.git"
cp -r examples/gitops "$work/gitops-seed"
mkdir -p "$work/gitops-seed/keys" && cp "$work/keys/cosign.pub" "$work/gitops-seed/keys/"
# The fixture names images paved.local/…; the demo's registry is on a free port.
grep -rl paved.local "$work/gitops-seed" | xargs sed -i "s|paved\.local|$registry|g"
git -C "$work/gitops-seed" init -q -b main
git -C "$work/gitops-seed" add -A
git -C "$work/gitops-seed" -c user.name="paved demo" -c user.email=demo@paved.invalid commit -q -m "seed the reference apps' GitOps repository"
git -C "$work/gitops-seed" push -q "$PWD/$work/gitops.git" main

records=()
for app in go-api python-api node-web; do
  echo "==> paved run build-scan-deploy $app --env dev"
  "$paved" run build-scan-deploy "examples/reference-apps/$app" --env dev \
    --registry "$registry" --db-dir "$work/db" --key "$work/keys/cosign.key" \
    --gitops-repo "$PWD/$work/gitops.git" --report-dir "$work/runs/$app" --progress plain
  records+=("$work/runs/$app/paved-run.json")
done

echo "==> promote go-api from dev to staging (gates: signature, vulnerability verdict)"
"$paved" deploy promote --repo "$PWD/$work/gitops.git" --service go-api --from dev --to staging | sed 's/^/    /'

echo
go run ./hack/demo-summary "${records[@]}"
echo "GitOps history: git -C $work/gitops.git log --format='%h %s%n%b'"
