#!/usr/bin/env bash
# make demo: paved on embedded defaults, offline. Starts the embedded
# registry, assembles the static base from this machine's Debian packages,
# builds the go-api reference app onto it and prints the digest.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOEXPERIMENT=jsonv2

paved=bin/paved
work=.paved/demo
mkdir -p "$work"
# Port 0: the registry picks a free port and prints it.
"$paved" registry serve --dir "$work/registry" --addr "127.0.0.1:${PAVED_DEMO_PORT:-0}" >"$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q serving "$work/registry.log" 2>/dev/null && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry.log"; exit 1; }
  sleep 0.1
done
registry=$(sed -n 's|.*on http://\([^ ]*\).*|\1|p' "$work/registry.log")
[ -n "$registry" ] || { echo "the embedded registry did not start:"; cat "$work/registry.log"; exit 1; }
echo "==> embedded registry on $registry (data in $work/registry)"

cat >"$work/policy.yaml" <<POLICY
apiVersion: paved.dev/v1
kind: PlatformPolicy
bases:
  allowed: ["$registry/platform/*"]
POLICY

echo "==> static base for Go services, from this machine's Debian packages"
base=$("$paved" base static --push "$registry/platform/static" --tag 1)
echo "    $base"

echo "==> go-api onto it"
"$paved" build examples/reference-apps/go-api \
  --base "$registry/platform/static:1" --policy "$work/policy.yaml" \
  --extra-file greetings.json:/app/greetings.json --version "0.1.0" \
  --push "$registry/services/go-api" --tag 0.1.0 --output json >"$work/go-api.json"
digest=$(sed -n 's/.*"reference": "\(.*\)".*/\1/p' "$work/go-api.json")
echo "    $digest"
echo
echo "go-api: $digest"
echo "build result: $work/go-api.json"
