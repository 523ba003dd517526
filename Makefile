# gt — build, test and benchmark. Every install step the project needs lives here.
GO      ?= go
PYTHON  ?= /usr/bin/python3
PKGS    := ./...

.PHONY: all deps build test vet fmt-check fuzz golden bench demo clean

all: build

## deps: download the pinned Go modules (go.mod / go.sum).
deps:
	$(GO) mod download

## build: compile every package and command.
build: deps
	$(GO) build $(PKGS)

## test: formatting, vet, the whole test suite (no PyTorch needed: golden files are
## committed) and a short run of every fuzz target.
test: deps fmt-check vet
	$(GO) test -count=1 $(PKGS)
	$(MAKE) --no-print-directory fuzz

## fuzz: each loader's fuzz target for FUZZTIME (go test runs one target at a time).
FUZZTIME ?= 4s
FUZZ_TARGETS := FuzzReadIDX:./tensorlib/data FuzzReadCSV:./tensorlib/data \
	FuzzLoadSafetensors:./tensorlib/nn FuzzLoadTorch:./tensorlib/nn
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg >/tmp/gt-fuzz.log 2>&1 || { cat /tmp/gt-fuzz.log; exit 1; }; \
	done

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

## demo: the quick start and the seed walkthrough (plots into out/).
demo:
	$(GO) run ./examples/quickstart
	$(GO) run ./examples/linear_regression -out out/linear_regression

clean:
	$(GO) clean -testcache
