//go:build !release

package runner_test

// releaseTag is false in make test: the goreleaser build
// (TestReleaseGoreleaser) is make test-release's, and a tool that a
// release-side test needs skips locally when missing (it fails on CI).
const releaseTag = false
