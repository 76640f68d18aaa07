# paved's one entry point for people and CI. Every Go command needs
# GOEXPERIMENT=jsonv2: Trivy imports encoding/json/v2.
export GOEXPERIMENT := jsonv2
GO ?= go
GOTESTFLAGS ?= -timeout 30m

.PHONY: demo test bench build lint fmt-check vet apps-test

## demo: build go-api into the embedded registry on embedded defaults (offline)
demo: build
	./hack/demo.sh

## test: format, vet and every test (the project's and the reference apps')
test: fmt-check vet
	$(GO) test $(GOTESTFLAGS) ./...
	$(MAKE) apps-test

## bench: print build, scan, sign and deploy figures
bench:
	./hack/bench.sh

## build: the paved binary into bin/
build:
	$(GO) build -o bin/paved ./cmd/paved

apps-test:
	cd examples/reference-apps/go-api && GOEXPERIMENT= $(GO) vet ./... && GOEXPERIMENT= $(GO) test ./...

fmt-check:
	@out="$$(gofmt -l cmd pipelines internal examples)"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
