package runner

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/suites"
)

// A run that writes no report keeps the evidence of failures only.
func TestKeptResult(t *testing.T) {
	ex := probe.Exchange{Request: probe.Request{Method: "POST", Path: "/chat/completions", Body: []byte(`{"model":"m"}`)},
		Response: &probe.Response{Status: 400, Body: []byte(`{"error":{}}`)}}
	cancelled := probe.Exchange{Request: probe.Request{Method: "POST", Path: "/chat/completions", Body: []byte(`{}`)}, Failure: probe.FailureCancelled}
	tests := []struct {
		name      string
		opts      runOptions
		verdict   check.Verdict
		exchanges []probe.Exchange
		kept      int // exchanges kept
		bodies    bool
	}{
		{"a passed case, no report", runOptions{}, check.Passed, []probe.Exchange{ex}, 0, false},
		{"a failed case, no report", runOptions{}, check.Failed, []probe.Exchange{ex}, 1, true},
		{"an errored case, no report", runOptions{}, check.Errored, []probe.Exchange{ex}, 1, true},
		{"a passed case, a JSON report", runOptions{json: "r.json"}, check.Passed, []probe.Exchange{ex}, 1, true},
		{"a passed case, a report on stdout", runOptions{junit: "-"}, check.Passed, []probe.Exchange{ex}, 1, true},
		{"a transport failure keeps how it ended", runOptions{}, check.Skipped, []probe.Exchange{ex, cancelled}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := keptResult(tt.opts, suites.Result{Verdict: tt.verdict, Exchanges: tt.exchanges})
			require.Len(t, r.Exchanges, tt.kept)
			if tt.kept > 0 {
				assert.Equal(t, tt.bodies, r.Exchanges[0].Request.Body != nil)
			}
			if tt.name == "a transport failure keeps how it ended" {
				judged, _ := r.Judged()
				assert.Equal(t, probe.FailureCancelled, judged.Failure)
			}
		})
	}
}

// Writing reports lowers the collector's headroom for its length only, and
// never raises it above what GOGC asked for (or turns collection back on).
func TestWithGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tt := range []struct{ before, during int }{{100, 25}, {400, 25}, {10, 10}, {-1, -1}} {
		debug.SetGCPercent(tt.before)
		restore := withGCPercent(25)
		assert.Equal(t, tt.during, debug.SetGCPercent(tt.during), "GOGC %d", tt.before)
		restore()
		assert.Equal(t, tt.before, debug.SetGCPercent(tt.before), "GOGC %d restored", tt.before)
	}
}
