//go:build release

package runner_test

// releaseTag is true under make test-release (go test -tags release): the
// release tests run in full, and a tool they need that is missing fails
// them instead of skipping.
const releaseTag = true

// distPlatforms is what TestReleaseDist has make dist build: every
// platform a release publishes (six cross-compiles).
var distPlatforms = allPlatforms
