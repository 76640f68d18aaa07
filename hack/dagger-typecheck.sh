#!/usr/bin/env bash
# Type-checks paved's Dagger module (.dagger/) without a Dagger engine:
# writes alias bindings to the dagger.io/dagger version .dagger/go.mod pins
# (hack/dagger-typecheck), then runs go vet on the module. A call the pinned
# API does not have (a misspelt method, a wrong argument type) fails.
#
# Offline once the modules are in the cache: .dagger/ requires the same
# versions as paved's go.mod, so 'go mod download' at the root is enough.
# Usage: hack/dagger-typecheck.sh [MODULE_DIR]   (default: .dagger)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mod="$(cd "${1:-$root/.dagger}" && pwd)"
# The module imports nothing from paved, so Trivy's GOEXPERIMENT is not needed.
export GOEXPERIMENT=
(cd "$root" && go run ./hack/dagger-typecheck -dir "$mod")
(cd "$mod" && go vet ./...)
echo "dagger module type-checks against dagger.io/dagger $(cd "$mod" && go list -m -f '{{.Version}}' dagger.io/dagger)"
