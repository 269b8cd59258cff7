# errconform — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/errconform
PKGS    := ./...

# Every go test has an explicit -timeout (per package binary): runner, the
# biggest package, takes about 4 minutes with a cold cache on 2 cores.
TEST_TIMEOUT    ?= 20m
RACE_TIMEOUT    ?= 10m
RELEASE_TIMEOUT ?= 40m
# The release tests (built with -tags release, named TestRelease*) live in
# these packages; see test-release.
RELEASE_PKGS := ./runner ./tools/image

# The static checkers, pinned: go run fetches them from the module proxy
# once and builds them into the Go cache.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
DEADCODE    := golang.org/x/tools/cmd/deadcode@v0.53.0

# timed runs the make target $(1) in a sub-make and prints its wall time
# last, whether it passed or not.
timed = start=$$(date +%s); status=0; \
	$(MAKE) --no-print-directory $(1) || status=$$?; \
	echo "make $(2): $$(( $$(date +%s) - start )) s"; exit $$status

.PHONY: run test test-steps test-release test-release-steps build lint static bench fuzz clean dist image

## run: check every case against the embedded reference target
run:
	$(GO) run -buildvcs=auto ./cmd/errconform run --target reference

## build: build bin/errconform
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/errconform

## lint: gofmt and go vet must be clean (the release tests' files too)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags release $(RELEASE_PKGS)

## static: staticcheck (all its default checks) and deadcode (-test: code
## that neither the commands nor the tests reach) must be clean
static:
	$(GO) run $(STATICCHECK) $(PKGS)
	@out=$$($(GO) run $(DEADCODE) -test $(PKGS)) || exit 1; \
	if [ -n "$$out" ]; then echo "deadcode: unreachable functions:"; echo "$$out"; exit 1; fi

## test: lint, then every test (unit, self-tests against mutants, end-to-end
## CLI, hostile targets, browser, one release build for this machine), the
## concurrent paths again under -race, and the mutant score; prints its wall
## time last. The six cross-compiles and the image are make test-release.
test:
	@$(call timed,test-steps,test)

test-steps: lint
	@rm -f out/mutant-score.txt
	ERRCONFORM_SCORE_FILE=$(CURDIR)/out/mutant-score.txt $(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)
	$(GO) test -count=1 -timeout $(RACE_TIMEOUT) -race ./probe ./suites ./check
	@cat out/mutant-score.txt

## test-release: the slow release checks, built with -tags release: make
## dist's six cross-compiles checked archive by archive (TestReleaseDist)
## and the container image built twice and inspected with skopeo
## (TestReleaseImage). A missing tool fails them; a package where no
## TestRelease* test ran fails the target. Prints its wall time last.
test-release:
	@$(call timed,test-release-steps,test-release)

test-release-steps:
	@mkdir -p out; rm -f out/test-release.log out/test-release.rc; \
	{ $(GO) test -tags release -count=1 -timeout $(RELEASE_TIMEOUT) -run '^TestRelease' $(RELEASE_PKGS) 2>&1; echo $$? > out/test-release.rc; } | tee out/test-release.log; \
	status=$$(cat out/test-release.rc); [ "$$status" = 0 ] || exit "$$status"; \
	if grep -q 'no tests to run' out/test-release.log; then echo "test-release: a package in RELEASE_PKGS ran no TestRelease* test" >&2; exit 1; fi

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
	$(GO) test -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./redact

## dist: release archives in DIST (default dist/): errconform_<version>_<os>_<arch>.tar.gz
## (.zip for windows) with the binary, LICENSE and README.md, for linux, darwin and
## windows on amd64 and arm64 (static: CGO_ENABLED=0, -trimpath, stripped), and
## checksums.txt in sha256sum format. VERSION defaults to git describe (without
## the leading v) or 0.0.0-dev; a release version (X.Y.Z) must be the one that
## action.yml and ci/errconform.gitlab-ci.yml install and the GitLab example includes.
DIST      ?= dist
VERSION    = $(or $(patsubst v%,%,$(shell git describe --tags --always --dirty 2>/dev/null)),0.0.0-dev)
COMMIT     = $(or $(shell git rev-parse HEAD 2>/dev/null),unknown)
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
dist:
	@set -eu; version='$(VERSION)'; commit='$(COMMIT)'; dist='$(DIST)'; \
	case "$$version" in ''|*[!A-Za-z0-9.+_-]*) echo "dist: VERSION '$$version' may hold only letters, digits and . + _ -" >&2; exit 2;; esac; \
	case "$$commit" in ''|*[!A-Za-z0-9._-]*) echo "dist: COMMIT '$$commit' may hold only letters, digits and . _ -" >&2; exit 2;; esac; \
	if expr "$$version" : '[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*$$' >/dev/null; then \
	  grep -q "^    default: \"$$version\"" action.yml || { echo "dist: action.yml does not install $$version (inputs.version.default): bump it before releasing" >&2; exit 2; }; \
	  grep -q "^    ERRCONFORM_VERSION: \"$$version\"" ci/errconform.gitlab-ci.yml || { echo "dist: ci/errconform.gitlab-ci.yml does not install $$version (ERRCONFORM_VERSION): bump it before releasing" >&2; exit 2; }; \
	  grep -q "errconform/errconform/v$$version/ci/errconform.gitlab-ci.yml" examples/gitlab/.gitlab-ci.yml || { echo "dist: examples/gitlab/.gitlab-ci.yml does not include the template at v$$version: bump it before releasing" >&2; exit 2; }; \
	fi; \
	command -v zip >/dev/null || { echo "dist: zip is needed for the windows archives (apt-get install zip)" >&2; exit 2; }; \
	mkdir -p "$$dist"; rm -rf "$$dist"/errconform_* "$$dist/checksums.txt" "$$dist/.stage"; \
	for platform in $(PLATFORMS); do \
	  os=$${platform%/*}; arch=$${platform#*/}; exe=errconform; [ "$$os" = windows ] && exe=errconform.exe; \
	  name="errconform_$${version}_$${os}_$${arch}"; stage="$$dist/.stage/$$name"; mkdir -p "$$stage"; \
	  echo "dist: $$name"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -buildvcs=false \
	    -ldflags "-s -w -X github.com/errconform/errconform/runner.Version=$$version -X github.com/errconform/errconform/runner.Commit=$$commit" \
	    -o "$$stage/$$exe" ./cmd/errconform; \
	  cp LICENSE README.md "$$stage/"; \
	  if [ "$$os" = windows ]; then (cd "$$stage" && zip -q -X "../../$$name.zip" "$$exe" LICENSE README.md); \
	  else tar -C "$$stage" -czf "$$dist/$$name.tar.gz" "$$exe" LICENSE README.md; fi; \
	done; \
	rm -rf "$$dist/.stage"; \
	cd "$$dist"; \
	if command -v sha256sum >/dev/null; then sha256sum errconform_* > checksums.txt; else shasum -a 256 errconform_* > checksums.txt; fi; \
	cat checksums.txt

## image: the container image as an OCI archive, $(DIST)/errconform-image.tar,
## tagged ghcr.io/errconform/errconform:<VERSION> (tools/image: the static binary
## as dist builds it, CA certificates, user 65532, no shell; linux/amd64 and
## linux/arm64). Reproducible: every timestamp is SOURCE_DATE_EPOCH (default:
## the commit's time, else 0). Push with skopeo copy oci-archive:... docker://...
image:
	@set -eu; epoch='$(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null),0)'; \
	SOURCE_DATE_EPOCH="$$epoch" $(GO) run ./tools/image -out '$(DIST)/errconform-image.tar' -version '$(VERSION)' -commit '$(COMMIT)'

clean:
	rm -rf bin out
