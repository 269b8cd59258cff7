package check_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/wire"
)

func answer(status int) wire.Exchange {
	return wire.Exchange{Response: &wire.Response{Status: status}}
}

// A burst whose first request is refused with the limit's status did not
// test the limit: errored. One that got successes first is judged.
func TestBurstPrecondition(t *testing.T) {
	tests := []struct {
		name      string
		exchanges []wire.Exchange
		decided   bool
	}{
		{"limited from the first request", []wire.Exchange{answer(429)}, true},
		{"successes, then the limit", []wire.Exchange{answer(200), answer(200), answer(429)}, false},
		{"never limited", []wire.Exchange{answer(200), answer(200)}, false},
		{"first answer another error", []wire.Exchange{answer(500), answer(429)}, false},
		{"no answer", []wire.Exchange{{Failure: wire.FailureUnreachable, Err: "connection refused"}}, false},
		{"nothing sent", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, decided := check.BurstPrecondition(tt.exchanges, 429)
			assert.Equal(t, tt.decided, decided)
			if tt.decided {
				assert.Equal(t, check.Errored, d.Verdict)
				assert.Contains(t, d.Reason, "the key was already limited")
				assert.Contains(t, d.Reason, "wait for the window or use another key")
			}
		})
	}
}
