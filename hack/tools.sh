#!/usr/bin/env bash
# The external tools paved's tests and benchmarks run for real, pinned in
# one place and built once from the Go module proxy (or npm, or Debian) into
# a per-version cache. Prints the path of the tool's executable; a second
# call builds and fetches nothing.
#
#   hack/tools.sh act            # a GitHub Actions runner (nektos/act)
#   hack/tools.sh gitlab-ci-local
#   hack/tools.sh helm | kustomize | kyverno | gitea
#   hack/tools.sh policy-tester  # Sigstore policy-controller's ClusterImagePolicy tester
#   hack/tools.sh ko | syft | trivy | cosign      # the stock CLIs, for side-by-side benchmarks
#   hack/tools.sh --list         # name, version and cache path of every tool
#
# Cache: ${PAVED_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paved/tools}/NAME-VERSION.
# Concurrent calls for one tool wait for each other (flock); a build goes to
# a temporary directory first, so an interrupted build leaves nothing behind.
# Never commit a built tool.
set -euo pipefail

declare -A version=(
  [act]=v0.2.89                # github.com/nektos/act
  [gitlab-ci-local]=4.55.0     # npm; newer releases need Node 22
  [helm]=v3.19.2               # helm.sh/helm/v3
  [kustomize]=v5.8.1           # sigs.k8s.io/kustomize/kustomize/v5; v5.8.2+ need Go 1.27
  [kyverno]=v1.19.1            # github.com/kyverno/kyverno (kubectl-kyverno)
  [policy-tester]=v0.13.1      # github.com/sigstore/policy-controller (cmd/tester)
  [gitea]=v1.24.6              # code.gitea.io/gitea; newer versions pull modules the proxy refuses
  [ko]=v0.19.1                 # github.com/google/ko
  [syft]=v1.42.0               # github.com/anchore/syft
  [trivy]=v0.69.3              # github.com/aquasecurity/trivy
  [cosign]=v2.6.2              # github.com/sigstore/cosign/v2
)

log() { echo "hack/tools.sh: $*" >&2; }

cache="${PAVED_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paved/tools}"

if [ "${1:-}" = --list ]; then
  for t in "${!version[@]}"; do printf '%s\t%s\t%s\n' "$t" "${version[$t]}" "$cache/$t-${version[$t]}"; done | sort
  exit 0
fi
tool="${1:?usage: hack/tools.sh TOOL (hack/tools.sh --list names them)}"
v="${version[$tool]:-}"
[ -n "$v" ] || { log "unknown tool $tool: hack/tools.sh --list names the tools"; exit 2; }
dir="$cache/$tool-$v"
exe="$dir/bin/$tool"

# The tools are built with their own go.mod, never paved's, and without
# paved's GOEXPERIMENT unless they need it.
gobuild() { GOFLAGS='-mod=mod -buildvcs=false' GOEXPERIMENT="${goexperiment:-}" go "$@"; }

# moddir MODULE@VERSION prints the module's directory in the module cache.
moddir() {
  (cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$1") |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# scratch MODULE@VERSION PACKAGE builds PACKAGE of a module that go install
# refuses (replace or exclude directives upstream do not apply) in a scratch
# module that requires it.
scratch() {
  mkdir -p "$tmp/mod"
  (cd "$tmp/mod" && go mod init paved-tools >/dev/null 2>&1 &&
    gobuild get "$1" >/dev/null && gobuild build -trimpath -o "$tmp/bin/$tool" "$2")
}

# copybuild MODULE@VERSION PACKAGE TAGS builds PACKAGE inside a writable copy
# of the module (its go.mod has replace directives, so go install refuses it).
copybuild() {
  local src
  src="$(moddir "$1")"
  [ -d "$src" ] || { log "downloading $1 failed"; return 1; }
  cp -r "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  (cd "$tmp/src" && GOFLAGS='-mod=mod -buildvcs=false' GOEXPERIMENT= go build -trimpath -tags "$3" -o "$tmp/bin/$tool" "$2")
}

build() {
  case "$tool" in
    act) GOBIN="$tmp/bin" gobuild install "github.com/nektos/act@$v" ;;
    helm) GOBIN="$tmp/bin" gobuild install "helm.sh/helm/v3/cmd/helm@$v" ;;
    kustomize) GOBIN="$tmp/bin" gobuild install "sigs.k8s.io/kustomize/kustomize/v5@$v" ;;
    ko) GOBIN="$tmp/bin" gobuild install "github.com/google/ko@$v" ;;
    syft) scratch "github.com/anchore/syft@$v" github.com/anchore/syft/cmd/syft ;;
    trivy) goexperiment=jsonv2 scratch "github.com/aquasecurity/trivy@$v" github.com/aquasecurity/trivy/cmd/trivy ;;
    cosign) scratch "github.com/sigstore/cosign/v2@$v" github.com/sigstore/cosign/v2/cmd/cosign ;;
    kyverno) copybuild "github.com/kyverno/kyverno@$v" ./cmd/cli/kubectl-kyverno "" ;;
    policy-tester) copybuild "github.com/sigstore/policy-controller@$v" ./cmd/tester "" ;;
    gitea)
      # Gitea serves its templates, locales and assets from STATIC_ROOT_PATH:
      # keep the source tree next to the binary ($dir/src).
      copybuild "code.gitea.io/gitea@$v" . "sqlite sqlite_unlock_notify"
      ;;
    gitlab-ci-local)
      command -v rsync >/dev/null 2>&1 || apt_install rsync
      npm install --silent --no-audit --no-fund --prefix "$tmp/npm" "gitlab-ci-local@$v" >/dev/null
      mv "$tmp/npm" "$tmp/lib"
      ln -s "../lib/node_modules/.bin/gitlab-ci-local" "$tmp/bin/$tool"
      ;;
  esac
}

apt_install() {
  [ "$(id -u)" = 0 ] || { log "$1 is missing: install it (apt-get install -y $1) or run as root"; return 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null; }
}

if [ ! -x "$exe" ]; then
  mkdir -p "$cache"
  exec 9>"$cache/.$tool.lock"
  flock 9
  if [ ! -x "$exe" ]; then
    log "building $tool $v into $dir (minutes, once)"
    tmp="$(mktemp -d "$cache/.build-$tool.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/bin"
    start=$SECONDS
    build
    [ -x "$tmp/bin/$tool" ] || { log "building $tool $v produced no executable"; exit 1; }
    rm -rf "$tmp/mod"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    trap - EXIT
    log "built $tool $v in $((SECONDS - start)) s"
  fi
fi
echo "$exe"
