# paved's one entry point for people and CI. Every Go command needs
# GOEXPERIMENT=jsonv2: Trivy imports encoding/json/v2.
export GOEXPERIMENT := jsonv2
GO ?= go
GOTESTFLAGS ?= -timeout 30m

.PHONY: demo test bench build fmt-check vet apps-test dagger-check buildkit-test

## demo: build go-api into the embedded registry on embedded defaults (offline)
demo: build
	./hack/demo.sh

## test: format, vet and every test (the project's, the reference apps', the
## Dagger module's type-check and the BuildKit tests against a local buildkitd)
test: fmt-check vet dagger-check
	$(GO) test $(GOTESTFLAGS) ./...
	$(MAKE) apps-test
	$(MAKE) buildkit-test

## dagger-check: type-check the Dagger module against the pinned dagger.io/dagger API
dagger-check:
	./hack/dagger-typecheck.sh

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
