#!/usr/bin/env bash
# The deploy tests that need the real renderers: three bumps in a row of a
# `helm create` chart, a kustomization without images: and an upstream
# Deployment, each rendered by helm template and kustomize build after every
# bump. The renderers come from hack/tools.sh (built once from the Go module
# proxy, cached); the tests fail, never skip, without them.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOEXPERIMENT=jsonv2

PAVED_HELM="$(./hack/tools.sh helm)"
PAVED_KUSTOMIZE="$(./hack/tools.sh kustomize)"
export PAVED_HELM PAVED_KUSTOMIZE
go vet -tags render ./pipelines/deploy/
go test -tags render -count=1 -run 'Render' ./pipelines/deploy/
