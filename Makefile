# paved's one entry point for people and CI. Every Go command needs
# GOEXPERIMENT=jsonv2: Trivy imports encoding/json/v2.
export GOEXPERIMENT := jsonv2
GO ?= go
GOTESTFLAGS ?= -timeout 30m

.PHONY: demo test bench build fmt-check vet apps-test dagger-check buildkit-test smoke-test chromium-test admission-test sbom-stock-test release-check release-test render-test forge-test wrappers-test loop-test cosign-test

## demo: build go-api into the embedded registry on embedded defaults (offline)
demo: build
	./hack/demo.sh

## test: format, vet and every test (the project's, the reference apps', the
## Dagger module's type-check, the BuildKit tests against a local buildkitd and
## the runc smoke tests of the reference images on the approved Debian bases,
## the fleet dashboard in headless Chromium, the exported admission policies
## through the Kyverno CLI and policy-controller's tester, paved's SBOM package set against
## stock syft, the Gitea forge and campaigns on a real Gitea, the canary loop end to end (Gitea, act,
## the paved CLI), the CI wrappers under act and
## gitlab-ci-local, and the release check)
test: fmt-check vet dagger-check
	$(GO) test $(GOTESTFLAGS) ./...
	$(MAKE) apps-test
	$(MAKE) wrappers-test
	$(MAKE) render-test
	$(MAKE) forge-test
	$(MAKE) loop-test
	$(MAKE) buildkit-test
	$(MAKE) smoke-test
	$(MAKE) chromium-test
	$(MAKE) admission-test
	$(MAKE) sbom-stock-test
	$(MAKE) cosign-test
	$(MAKE) release-check
	$(MAKE) release-test

## chromium-test: the fleet inventory's HTML dashboard in headless Chromium (installs Debian's chromium once; root)
chromium-test:
	./hack/chromium/test.sh

## admission-test: paved policy export's policies enforced by the real Kyverno CLI and Sigstore
## policy-controller's tester on images built by build-scan-deploy (hack/tools.sh builds both once)
admission-test:
	./hack/tools.sh kyverno >/dev/null
	./hack/tools.sh policy-tester >/dev/null
	$(GO) vet -tags admission ./pipelines/admission/
	# -count=1: a cached pass would not run the enforcers.
	$(GO) test -tags admission -count=1 -timeout 20m ./pipelines/admission/

## sbom-stock-test: paved's layer-by-layer SBOM (cold and from the layer cache) has the package set
## stock syft finds on the whole image, whiteouts and rewritten files included; stock trivy reads paved's
## SPDX and CycloneDX SBOMs as it reads the image: the same OS, OS packages and (SPDX) findings
## (hack/tools.sh builds syft and trivy once)
sbom-stock-test:
	./hack/tools.sh syft >/dev/null
	./hack/tools.sh trivy >/dev/null
	$(GO) vet -tags stock ./pipelines/sbom/
	# -count=1: a cached pass would not run syft or trivy.
	$(GO) test -tags stock -count=1 -run 'TestSamePackagesAsStockSyft|TestStockTrivy' ./pipelines/sbom/

## release-check: a paved candidate built from this tree through the three reference apps,
## against the previous release when one is tagged; prints the report (root)
release-check:
	./hack/release-check.sh

## release-test: the release-tagged harness tests on real paved binaries: a candidate that drops a flag
## the apps' wrappers use is a regression naming app and step; two builds of one source differ in nothing
release-test:
	./hack/release-check.sh test

## forge-test: the Gitea forge and the campaign on it against a real Gitea (hack/tools.sh gitea,
## built once, ~4 min cold), started by the tests on loopback with SQLite
forge-test:
	./hack/tools.sh gitea >/dev/null
	$(GO) vet -tags forge ./internal/giteatest/ ./fleet/... ./cmd/paved/
	# -count=1: a cached pass would not start Gitea.
	$(GO) test -tags forge -count=1 -timeout 15m -run "TestStart|TestGitea|TestCampaignOnGitea|TestFleetCampaignGitea|TestAutoMerge" ./internal/giteatest/ ./fleet/forge/gitea/ ./fleet/campaign/ ./cmd/paved/

## loop-test: the canary loop end to end (ci TestLoop, ~3 min warm): eight services on a real Gitea, each
## change's and merge's own GitHub workflow under act, its result posted as a commit status, and the
## campaign started, advanced, halted by a failing scan gate and rolled back through the paved CLI
## (hack/tools.sh gitea, act and gitlab-ci-local, built once)
loop-test:
	./hack/tools.sh gitea >/dev/null
	$(GO) vet -tags 'wrappers loop' ./ci/
	# -count=1: a cached pass would not start Gitea or act.
	PAVED_ACT="$$(./hack/tools.sh act)" PAVED_GITLAB_CI_LOCAL="$$(./hack/tools.sh gitlab-ci-local)" \
		$(GO) test -tags 'wrappers loop' -count=1 -timeout 20m -run '^TestLoop$$' -v ./ci/

## wrappers-test: the GitHub reusable workflow and action under act (go-api, node-web) and the GitLab
## component under gitlab-ci-local (python-api), each installing the signed release of this tree (root)
wrappers-test:
	./hack/wrappers-test.sh

## render-test: three bumps in a row of each GitOps layout, rendered by the real helm template
## and kustomize build after each (helm and kustomize from hack/tools.sh, built once)
render-test:
	./hack/deploy/render-test.sh

## cosign-test: stock cosign (hack/tools.sh cosign, built once) verifies paved's image signatures,
## attestations and SHA256SUMS signatures; without it these tests skip
cosign-test:
	./hack/tools.sh cosign >/dev/null
	# -count=1: a cached pass would not run cosign; PAVED_COSIGN set, they cannot skip.
	PAVED_COSIGN="$$(./hack/tools.sh cosign)" $(GO) test -count=1 -run 'TestStockCosign' ./pipelines/sign/

## dagger-check: type-check the Dagger module against the pinned dagger.io/dagger API
dagger-check:
	./hack/dagger-typecheck.sh

## smoke-test: approved Debian bases (mmdebstrap, cached) and runc smoke tests (root)
smoke-test:
	./hack/bases/test.sh

## buildkit-test: installs (cached) and starts buildkitd, runs the BuildKit-tagged tests (root)
buildkit-test:
	./hack/buildkit/test.sh

## bench: print build, scan, sign and deploy figures
bench:
	./hack/bench.sh

## build: the paved binary into bin/
build:
	$(GO) build -o bin/paved ./cmd/paved

apps-test:
	cd examples/reference-apps/go-api && GOEXPERIMENT= $(GO) vet ./... && GOEXPERIMENT= $(GO) test ./...

fmt-check:
	@out="$$(git ls-files '*.go' | xargs gofmt -l)"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
