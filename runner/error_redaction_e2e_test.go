package runner_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The error a command ends with passes the redaction boundary: a
// Pushgateway URL's password never reaches the terminal.
func TestFinalErrorLineIsRedacted(t *testing.T) {
	const password = "s3cretpassw0rd-errconform"
	tests := []struct {
		name string
		args []string
	}{
		{"unreachable Pushgateway", []string{"run", "--target", "reference", "--quiet", "--pushgateway", "http://user:" + password + "@127.0.0.1:1"}},
		{"unreachable target", []string{"run", "--target", "http://user:" + password + "@127.0.0.1:1/v1", "--quiet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, nil, tt.args...)
			assert.NotEqual(t, 0, out.code)
			assert.NotContains(t, out.stdout+out.stderr, password)
		})
	}
}

// Explore without fixtures.model would skip every variant and end green
// having judged nothing: it is refused before anything is sent.
func TestExploreNeedsTheModelFixture(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("target: {base_url: \"http://127.0.0.1:1/v1\"}\nauth: {api_key: sk-test-0123456789abcdef}\n"), 0o600))
	out := errconform(t, nil, "explore", "--config", cfg)
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "fixtures.model")
}
