package runner_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
