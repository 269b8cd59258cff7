# errconform — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/errconform
PKGS    := ./...

.PHONY: run test build lint bench fuzz clean

## run: check every case against the embedded reference target
run:
	$(GO) run -buildvcs=auto ./cmd/errconform run --target reference

## build: build bin/errconform
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/errconform

## lint: gofmt and go vet must be clean
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## test: lint, then every test (unit, self-tests against mutants, end-to-end
## CLI, hostile targets, browser), the concurrent paths again under -race, and
## the mutant score
test: lint
	@rm -f out/mutant-score.txt
	ERRCONFORM_SCORE_FILE=$(CURDIR)/out/mutant-score.txt $(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race ./probe ./suites ./check
	@cat out/mutant-score.txt

## bench: errconform against the floor (bench/), ratios first
bench: build
	$(GO) run ./bench -bin $(BIN)

## fuzz: run each fuzz target for FUZZTIME (go test fuzzes one target per package
## invocation); a new interesting input is minimized for at most FUZZMINIMIZETIME
FUZZTIME         ?= 20s
FUZZMINIMIZETIME ?= 2s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzEvaluate$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./check
	$(GO) test -run '^$$' -fuzz '^FuzzReadResponse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./probe
	$(GO) test -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./probe

clean:
	rm -rf bin out
