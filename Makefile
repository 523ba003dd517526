# gt — build, test and benchmark. Every install step the project needs lives here.
GO      ?= go
PYTHON  ?= /usr/bin/python3
PKGS    := ./...

.PHONY: all deps build test vet fmt-check golden bench demo clean

all: build

## deps: download the pinned Go modules (go.mod / go.sum).
deps:
	$(GO) mod download

## build: compile every package and command.
build: deps
	$(GO) build $(PKGS)

## test: formatting, vet and the whole test suite (no PyTorch needed: golden files are committed).
test: deps fmt-check vet
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## golden: regenerate PyTorch golden files under */testdata (needs Debian's python3-torch).
golden:
	@$(PYTHON) -c 'import torch' 2>/dev/null || { echo "PyTorch missing: sudo apt-get install python3-torch"; exit 1; }
	$(PYTHON) tools/golden/generate.py

## bench: Go benchmarks of the tensor kernels (1 and 2 threads).
bench: deps
	$(GO) test -run '^$$' -bench . -cpu 1,2 ./tensorlib/

## demo: the quick start.
demo:
	$(GO) run ./examples/quickstart

clean:
	$(GO) clean -testcache
