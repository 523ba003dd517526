# gt — build, test and benchmark. Every install step the project needs lives here.
GO      ?= go
PYTHON  ?= /usr/bin/python3
PKGS    := ./...

.PHONY: all deps build test portable-test vet fmt-check fuzz golden bench demo clean \
	jupyter notebooks notebooks-test notebooks-html kernel-test

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
	$(MAKE) --no-print-directory portable-test
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory notebooks-test
	$(MAKE) --no-print-directory kernel-test

## portable-test: tensorlib's tests again as other CPUs run them: without AVX-512 (the AVX2
## kernels, e.g. Zen 3) and without any assembly (the pure-Go kernels of other architectures);
## plus a 32-bit build and an arm64 vet.
portable-test:
	GODEBUG=cpu.avx512f=off $(GO) test -count=1 ./tensorlib/...
	GODEBUG=cpu.avx2=off,cpu.avx512f=off $(GO) test -count=1 ./tensorlib/...
	GOARCH=386 $(GO) build ./...
	GOARCH=arm64 $(GO) vet ./tensorlib/...

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

## bench: gt against PyTorch (1 and 2 threads): sgemm, MLP training products, elementwise ops
##        and sum on 16M values, the walkthrough, MLP (Adam) and CNN training.
##        Prints gt numbers only when torch is missing. BENCHFLAGS="-rounds 3" etc.
bench: deps
	$(GO) run ./tools/bench -go $(GO) -python $(PYTHON) $(BENCHFLAGS)

## demo: the quick start and the seed walkthrough (plots into out/).
demo:
	$(GO) run ./examples/quickstart
	$(GO) run ./examples/linear_regression -out out/linear_regression

## jupyter: build the GoNB kernel and goimports into bin/ (pinned in
## tools/jupyter/go.mod), install Debian's Jupyter when missing (as root; else
## it prints the command), register the kernel so that notebooks import gt with
## no setup cell, build bin/gtrepl and register the gt kernel ("Go tensors
## (gt)": values persist between cells), and start Jupyter on notebooks/.
## JUPYTER_ARGS adds options, e.g. JUPYTER_ARGS="--ip=0.0.0.0 --no-browser".
JUPYTER_ARGS ?=
jupyter:
	GO=$(GO) tools/jupyter/setup.sh tools
	tools/jupyter/setup.sh packages full
	tools/jupyter/setup.sh kernel default
	$(GO) build -o bin/gtrepl ./cmd/gtrepl
	bin/gtrepl jupyter install
	PATH="$(CURDIR)/bin:$$(dirname "$$(command -v $(GO))"):$$PATH" /usr/bin/jupyter notebook \
		--notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(JUPYTER_ARGS)

## notebooks: regenerate notebooks/*.ipynb from their sources, notebooks/src/*.md.
notebooks:
	$(GO) run ./tools/nbgen

## notebooks-test: execute every notebook headless (jupyter nbconvert --execute,
## installing Jupyter and the kernel first when missing) into NB_OUT and check
## the outputs: no errors, PyTorch's numbers, the plots (tools/nbcheck).
NB_OUT ?= out/notebooks
notebooks-test:
	GO=$(GO) tools/jupyter/run-notebooks.sh $(NB_OUT)

## kernel-test: the gt kernel under Jupyter: jupyter_kernel_test's conformance
## tests (Debian's python3-jupyter-kernel-test, installed when missing, as root)
## and every notebook executed with the gt kernel into NB_OUT-gt, checked like
## notebooks-test (tools/jupyter/gt-kernel.sh).
kernel-test:
	GO=$(GO) tools/jupyter/gt-kernel.sh $(NB_OUT)-gt

## notebooks-html: render the executed notebooks to HTML and take a screenshot
## of each with headless Chromium (NB_OUT/*.html, NB_OUT/*.png).
notebooks-html: notebooks-test
	tools/jupyter/screenshots.sh $(NB_OUT)

clean:
	$(GO) clean -testcache
