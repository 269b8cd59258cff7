package runner

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
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
		{"a passed case, a JSON report", runOptions{reports: map[string]string{"json": "r.json"}}, check.Passed, []probe.Exchange{ex}, 1, true},
		{"a passed case, a report on stdout", runOptions{reports: map[string]string{"junit": "-"}}, check.Passed, []probe.Exchange{ex}, 1, true},
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

// A run keeps of its variants' results what it needs: every one for a
// report or metrics, else the failed and errored ones, the rest counted;
// each field's tally and the sent counts see every result, once.
func TestVariantResultsKeepWhatTheRunNeeds(t *testing.T) {
	variant := func(id, field string, v check.Verdict) suites.Result {
		return suites.Result{Case: suites.Case{ID: id, Group: suites.ExploreGroup, Labels: []string{"explore", "field:" + field, "constraint:wrong-type"}},
			Verdict: v, Reason: "why", Skip: map[bool]check.SkipReason{true: check.NotRun}[v == check.Skipped]}
	}
	results := []suites.Result{ // by position
		variant("explore/chat/n/wrong-type", "n", check.Passed),
		variant("explore/chat/n/wrong-type/stream", "n", check.Failed),
		variant("explore/chat/seed/wrong-type", "seed", check.Skipped),
		variant("explore/chat/seed/wrong-type/stream", "seed", check.Errored),
		variant("explore/chat/top_p/wrong-type", "top_p", check.Warned),
	}
	tests := []struct {
		name string
		opts runOptions
		kept []string
	}{
		{"no report", runOptions{}, []string{"explore/chat/n/wrong-type/stream", "explore/chat/seed/wrong-type/stream"}},
		{"a JSON report", runOptions{reports: map[string]string{"json": "r.json"}}, []string{"explore/chat/n/wrong-type", "explore/chat/n/wrong-type/stream",
			"explore/chat/seed/wrong-type", "explore/chat/seed/wrong-type/stream", "explore/chat/top_p/wrong-type"}},
		{"metrics", runOptions{metrics: "m.prom"}, []string{"explore/chat/n/wrong-type", "explore/chat/n/wrong-type/stream",
			"explore/chat/seed/wrong-type", "explore/chat/seed/wrong-type/stream", "explore/chat/top_p/wrong-type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVariantResults(len(results)+1, keepsEveryResult(tt.opts))
			for _, at := range []int{4, 1, 3, 0, 2, 1} { // out of order, position 1 twice
				v.record(at, results[at])
			}
			assert.Equal(t, 1, v.missing(), "position 5 has no result")
			assert.False(t, v.has(5))
			assert.True(t, v.has(2))
			var kept []string
			for _, r := range v.ordered() {
				kept = append(kept, r.Case.ID)
			}
			assert.Equal(t, tt.kept, kept, "kept, in the variants' order")
			summary := reports.Summarize(v.ordered()).Plus(v.dropped)
			assert.Equal(t, reports.Summary{Total: 5, Passed: 1, Failed: 1, Warned: 1, Skipped: 1, Errored: 1, Judged: 3,
				SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{string(check.NotRun): 1}}, summary, "every result counted once")
			v.sent.finish()
			assert.Equal(t, 4, v.sent.total, "sent: every variant but the skipped one")
			assert.Equal(t, []string{"n", "seed", "top_p"}, v.sent.fields)
		})
	}
}

// A variant stopped in flight counts as not completed whether or not its
// result is kept.
func TestVariantResultsCountTheCancelled(t *testing.T) {
	cancelled := suites.Result{Case: suites.Case{ID: "explore/chat/n/null", Labels: []string{"field:n"}}, Verdict: check.Waived,
		Exchanges: []probe.Exchange{{Failure: probe.FailureCancelled}}}
	for _, keepEvery := range []bool{false, true} {
		v := newVariantResults(2, keepEvery)
		v.record(0, cancelled)
		v.record(1, suites.Result{Case: suites.Case{ID: "explore/chat/n/wrong-type", Labels: []string{"field:n"}}, Verdict: check.Passed})
		assert.Equal(t, 1, v.cancelled, "keep every result: %v", keepEvery)
	}
}

// Explore keeps full evidence (a body cut to what the reports show) for
// its first failed variants only; every other keeps a short excerpt of
// each body, redacted, and the count of bytes read.
func TestVariantResultsBoundTheirEvidence(t *testing.T) {
	const secret = "sk-variant-secret-0123456789"
	body := []byte(strings.Repeat("x", 500) + secret + strings.Repeat("A", 1<<20))
	v := newVariantResults(fullEvidences+10, true)
	v.redactor = redact.New(secret)
	for at := range fullEvidences + 10 {
		r := suites.Result{Case: suites.Case{ID: fmt.Sprintf("explore/chat/n/%d", at), Labels: []string{"field:n"}}, Verdict: check.Failed,
			Exchanges: []probe.Exchange{{Response: &probe.Response{Status: 400, Body: body}}}}
		v.record(at, keptResult(runOptions{reports: map[string]string{"json": "r.json"}}, r))
	}
	for i, r := range v.ordered() {
		resp := r.Exchanges[0].Response
		assert.Equal(t, len(body), resp.BodyLen(), "the count of bytes read is kept")
		if i < fullEvidences {
			assert.Len(t, resp.Body, reports.EvidenceBodyBytes, "variant %d keeps full evidence", i)
			continue
		}
		assert.LessOrEqual(t, len(resp.Body), variantExcerptBytes, "variant %d keeps an excerpt", i)
		assert.NotContains(t, string(resp.Body), secret[:redact.FragmentLen], "the excerpt is redacted")
	}
	assert.Len(t, body, 500+len(secret)+1<<20, "the target's answer itself is left as it was")
}
