package wire_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/wire"
)

// A judged answer's body is cut to a bounded prefix of its own, counting
// every byte read; the redacted cut never keeps a secret, whole or split.
func TestResponseCut(t *testing.T) {
	secret := "sk-cut-secret-0123456789abcdef"
	red := redact.New(secret)
	tests := []struct {
		name     string
		body     string
		n        int
		redactor *redact.Redactor
		want     string
		read     int
	}{
		{"a short body is kept whole", "short", 16, nil, "short", 0},
		{"a long body keeps its first bytes", strings.Repeat("a", 100), 10, nil, strings.Repeat("a", 10), 100},
		{"redacted, a secret across the cut is gone", "xx" + secret + strings.Repeat("b", 100), 8, red, "xx[REDAC", 2 + len(secret) + 100},
		{"redacted, a short body is left for the report to redact", "ok", 8, red, "ok", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &wire.Response{Body: []byte(tt.body)}
			if tt.redactor != nil {
				resp.CutRedacted(tt.n, tt.redactor)
			} else {
				resp.Cut(tt.n)
			}
			assert.Equal(t, tt.want, string(resp.Body))
			assert.Equal(t, tt.read, resp.Read)
			assert.Equal(t, len(tt.body), resp.BodyLen())
			assert.NotContains(t, string(resp.Body), secret[:redact.FragmentLen])
		})
	}
}
