#!/usr/bin/env bash
# Type-checks paved's Dagger module (.dagger/) without a Dagger engine:
# writes alias bindings to the dagger.io/dagger version .dagger/go.mod pins
# (hack/dagger-typecheck), then runs go vet on the module. A call the pinned
# API does not have (a misspelt method, a wrong argument type) fails.
#
# .dagger/ is its own module: paved's go.mod does not require
# dagger.io/dagger, so its modules are downloaded (once, into the module
# cache) from .dagger/go.mod and go.sum; offline after that.
# Usage: hack/dagger-typecheck.sh [MODULE_DIR]   (default: .dagger)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mod="$(cd "${1:-$root/.dagger}" && pwd)"
# The module imports nothing from paved, so Trivy's GOEXPERIMENT is not needed.
export GOEXPERIMENT=
(cd "$root" && go run ./hack/dagger-typecheck -dir "$mod")
(cd "$mod" && go vet ./...)
echo "dagger module type-checks against dagger.io/dagger $(cd "$mod" && go list -m -f '{{.Version}}' dagger.io/dagger)"
