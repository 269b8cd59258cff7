package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImageRefuses checks the tool's refusals: each names what is wrong.
func TestImageRefuses(t *testing.T) {
	missingCA := filepath.Join(t.TempDir(), "no-such-bundle.crt")
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644))
	out := filepath.Join(t.TempDir(), "image.tar")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no CA bundle", []string{"-ca-bundle", missingCA}, 1, "apt-get install ca-certificates"},
		{"a CA bundle without certificates", []string{"-ca-bundle", notPEM}, 1, "holds no PEM certificate"},
		{"a version with a space", []string{"-version", "1.0 beta"}, 1, "may hold only letters"},
		{"a commit with a slash", []string{"-commit", "a/b"}, 1, "may hold only letters"},
		{"a platform that is not linux", []string{"-platforms", "windows/amd64"}, 1, "only linux/ARCH images"},
		{"a malformed platform", []string{"-platforms", "amd64"}, 2, "is not OS/ARCH"},
		{"a malformed epoch", []string{"-source-date-epoch", "yesterday"}, 2, "not a whole number of seconds"},
		{"an extra argument", []string{"extra"}, 2, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"-out", out}, tc.args...)
			code := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
			assert.Equal(t, tc.code, code, "stderr:\n%s", stderr.String())
			assert.Contains(t, stderr.String(), tc.want)
			assert.Empty(t, stdout.String())
			_, err := os.Stat(out)
			assert.True(t, errors.Is(err, os.ErrNotExist), "a refused build wrote %s", out)
		})
	}
}
