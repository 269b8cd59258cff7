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

.PHONY: run gofmt test test-steps test-release test-release-steps build lint static bench fuzz clean dist release-snapshot release-notes release release-tools image stress-timing

## run: check every case against the embedded reference target
run:
	$(GO) run -buildvcs=auto ./cmd/errconform run --target reference

## build: build bin/errconform
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/errconform

## lint: gofmt and go vet must be clean (the release tests' files too)
lint: gofmt
	$(GO) vet $(PKGS)
	$(GO) vet -tags release $(RELEASE_PKGS)

gofmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## static: staticcheck (all its default checks) and deadcode (-test: code
## that neither the commands nor the tests reach) must be clean
static:
	$(GO) run $(STATICCHECK) $(PKGS)
	@out=$$($(GO) run $(DEADCODE) -test $(PKGS)) || exit 1; \
	if [ -n "$$out" ]; then echo "deadcode: unreachable functions:"; echo "$$out"; exit 1; fi

## test: lint, then every test (unit, self-tests against mutants, end-to-end
## CLI through the one errconform binary the runner tests build, hostile
## targets, browser, the install script and CI templates), the concurrent
## paths again under -race, and the mutant score; prints its wall time last.
## The goreleaser build (six cross-compiles) and the image are
## make test-release: a cold make test compiles each package once, plus
## actionlint, and the race build of probe and suites and their dependencies.
##
## The order keeps both cores busy and compiles nothing twice. go vet comes
## first: it compiles every package (both cores), and the tests reuse that,
## so they run with -vet=off (go vet has just checked their files with more
## analyzers than go test's own). Then the tests, and beside them, at a
## lower priority (nice), the release files' vet and the race run: the -race
## build compiles every dependency again, instrumented (its own build keys,
## nothing shared to wait for), mostly while the runner package's
## end-to-end tests wait on their targets' rate caps and deadlines. Its
## output (out/race.log) is printed after the tests'.
##
## The race run: RACE_PKGS, the packages whose own code runs on several
## goroutines (probe: the rate cap, the burst budget, requests in flight;
## suites: ExecuteAll and ExecuteSeq, which call check's functions from
## their workers, instrumented too). check starts no goroutine of its own;
## its tests alone would find no race.
RACE_PKGS := ./probe ./suites
test:
	@$(call timed,test-steps,test)

test-steps: gofmt
	@rm -f out/mutant-score.txt out/race.log out/race.rc; mkdir -p out
	$(GO) vet $(PKGS)
	@{ nice -n 10 sh -c '$(GO) vet -tags release $(RELEASE_PKGS) && \
	  $(GO) test -count=1 -vet=off -timeout $(RACE_TIMEOUT) -race $(RACE_PKGS)' >out/race.log 2>&1; \
	  echo $$? >out/race.rc; } & \
	echo "go vet -tags release $(RELEASE_PKGS) and go test -race $(RACE_PKGS): in the background (nice), into out/race.log"; \
	echo 'ERRCONFORM_SCORE_FILE=$(CURDIR)/out/mutant-score.txt $(GO) test -count=1 -vet=off -timeout $(TEST_TIMEOUT) $(PKGS)'; \
	ERRCONFORM_SCORE_FILE='$(CURDIR)/out/mutant-score.txt' $(GO) test -count=1 -vet=off -timeout $(TEST_TIMEOUT) $(PKGS); \
	status=$$?; wait; \
	echo "go vet -tags release $(RELEASE_PKGS) && go test -count=1 -vet=off -timeout $(RACE_TIMEOUT) -race $(RACE_PKGS):"; \
	cat out/race.log; race=$$(cat out/race.rc 2>/dev/null || echo 1); \
	[ "$$race" = 0 ] || { echo "the release vet or the race run failed (exit $$race)" >&2; [ "$$status" != 0 ] || status=$$race; }; \
	[ "$$status" = 0 ] || exit "$$status"
	@cat out/mutant-score.txt

## test-release: the slow release checks, built with -tags release:
## make release-snapshot run twice by goreleaser (six cross-compiles, SBOMs,
## the same checksums both times) and checked archive by archive
## (TestReleaseGoreleaser), and the container image built twice and
## inspected with skopeo (TestReleaseImage). A missing tool fails them; a
## package where no TestRelease* test ran fails the target. Prints its wall
## time last.
test-release:
	@$(call timed,test-release-steps,test-release)

test-release-steps:
	@mkdir -p out; rm -f out/test-release.log out/test-release.rc; \
	{ $(GO) test -tags release -count=1 -timeout $(RELEASE_TIMEOUT) -run '^TestRelease' $(RELEASE_PKGS) 2>&1; echo $$? > out/test-release.rc; } | tee out/test-release.log; \
	status=$$(cat out/test-release.rc); [ "$$status" = 0 ] || exit "$$status"; \
	if grep -q 'no tests to run' out/test-release.log; then echo "test-release: a package in RELEASE_PKGS ran no TestRelease* test" >&2; exit 1; fi

## stress-timing: every timing-sensitive test COUNT times in a row (default
## 10) beside LOAD busy loops (default twice the cores): tools/stress-timing.sh
## lists them. Not part of make test; run it after touching a test that
## sleeps, waits or bounds a duration.
stress-timing:
	GO='$(GO)' sh tools/stress-timing.sh

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

## dist, release-snapshot: everything up to the tag, offline, in one command:
## goreleaser (.goreleaser.yaml; pinned, see release-tools) builds into DIST (default dist/) the six archives
## errconform_<version>_<os>_<arch>.tar.gz (.zip for windows) with the binary,
## LICENSE and README.md (linux, darwin and windows on amd64 and arm64; static,
## -trimpath, stripped), checksums.txt in sha256sum format and a CycloneDX SBOM
## per binary (errconform_<version>_<os>_<arch>.cdx.json), reproducibly: every
## timestamp is the commit's, so the same commit gives the same checksums. The
## version is the snapshot's (<next patch>-snapshot); release-notes.md is
## written beside them. make test-release runs it twice (TestReleaseGoreleaser).
DIST               ?= dist
# The release tools, pinned, installed from the Go module proxy into TOOLS
# once (again only when the pin changes): after that every release target
# runs offline. goreleaser hands the SBOM command PATH but not GOFLAGS or
# GOPROXY, so cyclonedx-gomod is a binary on PATH, not a go run.
TOOLS                   := $(CURDIR)/bin/tools
GORELEASER_VERSION      := v2.17.0
CYCLONEDX_GOMOD_VERSION := v1.10.0
GORELEASER              ?= $(TOOLS)/goreleaser
# goreleaser takes its output directory from its config alone: for another
# DIST it is handed a copy of .goreleaser.yaml with dist: set. It reads the
# commit, its date and the tag only where git names a remote (else it
# stamps "none" and the file dates go unset): a checkout without one (a
# worktree of a local repository) is given the project's URL through git's
# environment, the repository left untouched.
goreleaser = export PATH="$(TOOLS):$$PATH"; cfg=.goreleaser.yaml; \
	if [ -z "$$(git remote)" ]; then export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url \
	  GIT_CONFIG_VALUE_0=https://github.com/errconform/errconform.git; fi; \
	if [ '$(DIST)' != dist ]; then cfg=$$(mktemp); trap 'rm -f "$$cfg"' EXIT; \
	  { cat .goreleaser.yaml; printf 'dist: %s\n' '$(DIST)'; } > "$$cfg"; fi; \
	$(GORELEASER) $(1) --config "$$cfg"

## release-tools: goreleaser and cyclonedx-gomod, pinned, into bin/tools
release-tools:
	@mkdir -p '$(TOOLS)'
	@'$(TOOLS)/goreleaser' --version 2>/dev/null | grep -q '^GitVersion: *$(GORELEASER_VERSION)$$' || \
	  { echo "installing goreleaser $(GORELEASER_VERSION) into $(TOOLS)"; GOBIN='$(TOOLS)' $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION); }
	@'$(TOOLS)/cyclonedx-gomod' version 2>/dev/null | grep -q '$(CYCLONEDX_GOMOD_VERSION)' || \
	  { echo "installing cyclonedx-gomod $(CYCLONEDX_GOMOD_VERSION) into $(TOOLS)"; GOBIN='$(TOOLS)' $(GO) install github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@$(CYCLONEDX_GOMOD_VERSION); }

# VERSION and COMMIT: what make image compiles in (the tag without its v,
# else git describe, else 0.0.0-dev).
VERSION    = $(or $(patsubst v%,%,$(shell git describe --tags --always --dirty 2>/dev/null)),0.0.0-dev)
COMMIT     = $(or $(shell git rev-parse HEAD 2>/dev/null),unknown)

dist: release-snapshot

release-snapshot: release-tools
	@set -eu; $(call goreleaser,release --snapshot --clean); \
	version=$$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' '$(DIST)/metadata.json'); \
	sh tools/release/notes.sh "$$version" '$(DIST)/release-notes.md'; \
	cat '$(DIST)/checksums.txt'

## release-notes: RELEASE_NOTES (default out/release-notes.md) for VERSION
## from docs/release-notes.md and CHANGELOG.md's section for that version
RELEASE_NOTES ?= out/release-notes.md
release-notes:
	sh tools/release/notes.sh '$(VERSION)' '$(RELEASE_NOTES)'

## release: on a commit tagged vX.Y.Z (after make release-snapshot passed):
## refuses unless action.yml, ci/errconform.gitlab-ci.yml and the GitLab
## example install X.Y.Z and CHANGELOG.md has its section, then goreleaser
## builds and publishes the draft GitHub release (needs GITHUB_TOKEN).
release: release-tools
	@set -eu; tag=$$(git describe --tags --exact-match 2>/dev/null) || { echo "release: HEAD has no tag: tag it vX.Y.Z first (make release-snapshot builds everything up to that)" >&2; exit 2; }; \
	version=$${tag#v}; \
	expr "$$version" : '[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*$$' >/dev/null || { echo "release: tag $$tag is not vX.Y.Z" >&2; exit 2; }; \
	grep -q "^    default: \"$$version\"" action.yml || { echo "release: action.yml does not install $$version (inputs.version.default): bump it before releasing" >&2; exit 2; }; \
	grep -q "^    ERRCONFORM_VERSION: \"$$version\"" ci/errconform.gitlab-ci.yml || { echo "release: ci/errconform.gitlab-ci.yml does not install $$version (ERRCONFORM_VERSION): bump it before releasing" >&2; exit 2; }; \
	grep -q "errconform/errconform/v$$version/ci/errconform.gitlab-ci.yml" examples/gitlab/.gitlab-ci.yml || { echo "release: examples/gitlab/.gitlab-ci.yml does not include the template at v$$version: bump it before releasing" >&2; exit 2; }; \
	sh tools/release/notes.sh "$$version" '$(RELEASE_NOTES)'; \
	$(call goreleaser,release --clean --release-notes '$(RELEASE_NOTES)')

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
