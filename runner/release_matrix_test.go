//go:build release

package runner_test

// releaseTag is true under make test-release (go test -tags release): the
// release tests run in full, and a tool they need that is missing fails
// them instead of skipping.
const releaseTag = true

// distPlatforms is what TestReleaseDist has make dist build: make dist's
// PLATFORMS, every platform a release publishes (six cross-compiles).
var distPlatforms = []platform{
	{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"windows", "arm64"},
}
