//go:build !release

package runner_test

import "runtime"

// releaseTag is false in make test: TestReleaseDist builds the host's
// platform alone (one release build, its archive, checksum, version stamp
// and install.sh); make test-release builds with -tags release
// (release_matrix_test.go) and checks all six.
const releaseTag = false

// distPlatforms is what TestReleaseDist has make dist build.
var distPlatforms = []platform{{runtime.GOOS, runtime.GOARCH}}
