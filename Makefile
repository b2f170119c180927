# ipcbench: `make` alone lists the targets. Variables can be overridden:
#   make report QUICK=1            the quick profile (about 2 minutes)
#   make report RESULTS=file.txt   rebuild a report from existing results (and the
#                                  targets.txt beside it, or TARGETS=file), copied into results/<run>/
#   make report BASE=old/results.txt   the report adds "Changes since old/results.txt":
#                                  each case judged as ipcbench compare judges it
#   make bench COUNT=5 BENCHTIME=1s BENCH='PingPong/transport=pipe/'
#   make regress BASE=<git revision>   interleaved A/B against a revision
SHELL := /bin/bash
export CGO_ENABLED ?= 0
GO        ?= go
COUNT     ?= 3
BENCHTIME ?= 200ms
BENCH     ?= .
PROFILE   ?= $(if $(QUICK),quick,default)
RUN       ?= $(shell date +%Y%m%d-%H%M%S)
OUT       ?= results/$(RUN)
BASE      ?=
IPCBENCH  := bin/ipcbench
# make report BASE=<results file>: ipcbench report's -base flag.
REPORT_BASE = $(if $(BASE),-base '$(BASE)')
# The targets profile's rounds in make report: its own 12 × 100 ms (about
# 40 s), or for QUICK=1 9 short rounds, to keep the quick budget.
TARGETS_FLAGS ?= $(if $(QUICK),-count 9 -benchtime 10ms -warmup 5ms)
export IPCBENCH_COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Packages whose tests can run under the race detector (it needs cgo).
RACE_PKGS ?= ./harness/... ./transports/... ./conformance/... ./reports/... ./regress/... ./bench/... ./cmd/... ./sweep/... ./internal/...

.PHONY: help test race bench smoke report targets build lint fuzz baseline regress history history-append regress-selftest soak crosscheck clean

help: ## list the targets
	@echo "ipcbench make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 20

test: ## run the test suite (what CI runs): go test ./... without cgo, one package at a time (the leak checks see the whole machine)
	$(GO) test -p 1 -count=1 ./...

race: ## run the tests under the race detector (needs cgo: gcc)
	CGO_ENABLED=1 $(GO) test -race -p 1 -count=1 -timeout 30m $(RACE_PKGS)

build: ## build the ipcbench command into bin/
	$(GO) build -o $(IPCBENCH) ./cmd/ipcbench

bench: ## run the go test benchmarks into results/bench-<run>.txt (COUNT, BENCHTIME, BENCH)
	@mkdir -p results
	$(GO) test -run '^$$' -bench '$(BENCH)' -count $(COUNT) -benchtime $(BENCHTIME) . | tee results/bench-$(RUN).txt

smoke: ## run every benchmark for a few iterations, so that none can rot
	$(GO) test -run '^$$' -bench . -benchtime 5x -count 1 . -args -ipcbench.warmup=1ms -ipcbench.rates=1000,100000 -ipcbench.pairs=1,2 -ipcbench.clients=1,2

report: build ## run the suite and the targets' pairs (or use RESULTS=file) and write charts, report and results.json into results/<run>/ (BASE=file: changes since that run; with Chromium, the page's first screen too)
	@test -z '$(BASE)' || test -f '$(BASE)' || { echo "BASE=$(BASE): no such file (make report BASE= takes an earlier results file)"; exit 2; }
ifdef RESULTS
	@test -f '$(RESULTS)' || { echo "RESULTS=$(RESULTS): no such file"; exit 2; }
	@test -z '$(TARGETS)' || test -f '$(TARGETS)' || { echo "TARGETS=$(TARGETS): no such file"; exit 2; }
	@mkdir -p $(OUT)
	@t='$(or $(TARGETS),$(dir $(RESULTS))targets.txt)'; \
	cp '$(RESULTS)' $(OUT)/results.txt; \
	if [ -f "$$t" ]; then cp "$$t" $(OUT)/targets.txt; \
		$(IPCBENCH) report -o $(OUT) -targets $(OUT)/targets.txt $(REPORT_BASE) $(OUT)/results.txt; \
		$(IPCBENCH) verdict -rankings -targets $(OUT)/targets.txt $(OUT)/results.txt > $(OUT)/verdict.txt; \
	else echo "no targets file beside $(RESULTS) (TARGETS= names one): the report judges the targets on the results"; \
		$(IPCBENCH) report -o $(OUT) $(REPORT_BASE) $(OUT)/results.txt; \
		$(IPCBENCH) verdict -rankings -targets $(OUT)/results.txt $(OUT)/results.txt > $(OUT)/verdict.txt; fi
else
	@mkdir -p $(OUT)
	$(IPCBENCH) run -profile $(PROFILE) -o $(OUT)/results.txt
	$(IPCBENCH) run -profile targets $(TARGETS_FLAGS) -o $(OUT)/targets.txt
	$(IPCBENCH) report -o $(OUT) -targets $(OUT)/targets.txt $(REPORT_BASE) $(OUT)/results.txt
	$(IPCBENCH) verdict -rankings -targets $(OUT)/targets.txt $(OUT)/results.txt > $(OUT)/verdict.txt
endif
	@# report.html in headless Chromium: its images and links, and report-first-screen.png
	@$(IPCBENCH) browse $(OUT)/report.html

targets: build ## run each speed target's two cases back to back, 12 rounds (about 40 s), and judge the targets
	@mkdir -p $(OUT)
	$(IPCBENCH) run -profile targets $(TARGETS_FLAGS) -o $(OUT)/targets.txt
	$(IPCBENCH) targets $(OUT)/targets.txt

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz: ## run each fuzz target briefly (FUZZTIME, default 10s)
	@specs=$$($(GO) test -list '^Fuzz' ./... 2>/dev/null | awk '/^Fuzz/ {names[n++]=$$1} /^ok/ {for (i = 0; i < n; i++) print $$2":"names[i]; n=0}'); \
	[ -n "$$specs" ] || { echo "no fuzz targets found"; exit 1; }; \
	for spec in $$specs; do pkg=$${spec%%:*}; fn=$${spec##*:}; echo "== $$pkg $$fn"; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $${FUZZTIME:-10s} $$pkg 2>&1); rc=$$?; echo "$$out"; \
		if [ $$rc -ne 0 ] && echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input'; then \
			echo "== $$pkg $$fn again: the fuzz engine timed out stopping its workers, no failing input"; \
			$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $${FUZZTIME:-10s} $$pkg || exit 1; \
		elif [ $$rc -ne 0 ]; then exit 1; fi; done

baseline: ## record a baseline of the quick regression profile in baselines/
	scripts/baseline.sh

regress: ## compare the quick profile now with the baseline (BASE=<rev>: interleaved A/B)
	scripts/regress.sh $(BASE)

history: ## chart the history of chosen metrics over commits (PNG)
	scripts/history.sh chart

history-append: ## append RESULTS=<file> to the history, keyed by commit
	scripts/history.sh append $(RESULTS)

regress-selftest: ## the CI check of the regression gate itself
	scripts/ci-gate.sh

crosscheck: ## ipcbench against minimal C (scripts/crosscheck/ref.c) and plain Go (scripts/crosscheck/goref) versions of its cases, interleaved, compared run by run
	scripts/crosscheck.sh

clean: ## remove built binaries
	rm -rf bin

soak: ## push SOAK messages (default 10 million) through every transport, each verified
	IPCBENCH_SOAK=$${SOAK:-10000000} $(GO) test -count=1 -timeout 0 -run '^TestSoak$$' -v ./conformance/ | grep -E '^(=== RUN|---|\s+soak_test|ok|FAIL|PASS)'
