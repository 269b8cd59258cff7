package reports_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reports"
)

// A run that writes no report keeps the evidence of its failures only:
// its groups still show what failed, and the passes cost nothing.
func TestFailureEvidenceOnly(t *testing.T) {
	run, _ := contractRun(t, "aiand", "aiand")
	exchange := probe.Exchange{Request: probe.Request{Method: http.MethodPost, Path: "/chat/completions", Header: http.Header{}},
		Response: &probe.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"ok":true}`)}}
	for i := range run.Results {
		run.Results[i].Exchanges = []probe.Exchange{exchange}
	}
	for _, only := range []bool{false, true} {
		run.FailureEvidenceOnly = only
		rep := reports.BuildJSON(run)
		for _, c := range rep.Cases {
			failing := c.Verdict == check.Failed || c.Verdict == check.Errored
			assert.Equal(t, !only || failing, c.Response != nil, "%s (failure evidence only: %t)", c.ID, only)
			assert.Equal(t, !only || failing, c.Reproduce != "", "%s (failure evidence only: %t)", c.ID, only)
		}
		for _, g := range rep.Groups {
			assert.NotEmpty(t, g.Evidence, "a failure group keeps its evidence")
		}
	}
}
