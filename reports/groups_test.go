package reports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
)

// One gateway bug that fails many cases on many endpoints is one cause;
// different bugs are different causes, the largest first.
func TestGroupFailuresByCause(t *testing.T) {
	var cases []CaseReport
	for i, path := range []string{"/v1/models", "/v1/chat/completions", "/v1/files/file-abc123def", "/v1/files/file-abc123def/content"} {
		for j := range 15 {
			cases = append(cases, CaseReport{ID: fmt.Sprintf("auth/v%d/e%d", j, i), Verdict: check.Failed,
				Findings: []check.Finding{
					{Rule: "type", Severity: check.Must, Expected: `"authentication_error"`, Actual: `"invalid_request_error"`,
						Message: `expected "authentication_error", got "invalid_request_error"`},
					{Rule: "no-internal-leak", Severity: check.Should, Actual: path},
				},
				Response: &ResponseReport{Status: 401, BodyExcerpt: `{"error":{"message":"No key for ` + path + `","type":"invalid_request_error"}}`}})
		}
	}
	cases = append(cases,
		CaseReport{ID: "upstream/unreachable-model", Verdict: check.Failed, Findings: []check.Finding{
			{Rule: "status", Severity: check.Must, Expected: "502", Actual: "500", Message: "expected 502, got 500"}},
			Response: &ResponseReport{Status: 500, BodyExcerpt: `{"status":"failure"}`}},
		CaseReport{ID: "ratelimit/burst", Verdict: check.Warned, Findings: []check.Finding{{Rule: "retry-after", Severity: check.Should}}},
		CaseReport{ID: "route/unknown-route", Verdict: check.Passed},
		CaseReport{ID: "files/x", Verdict: check.Errored, Reason: "not completed: the run's --deadline passed"},
		CaseReport{ID: "files/y", Verdict: check.Errored, Reason: "not completed: the run's --deadline passed"},
	)
	groups := GroupFailures(cases)
	require.Len(t, groups, 3)
	assert.Equal(t, 60, groups[0].Count)
	assert.Equal(t, "type", groups[0].Rule)
	assert.Equal(t, "auth/v0/e0", groups[0].Example)
	assert.Contains(t, groups[0].Evidence, "HTTP 401")
	assert.Equal(t, 2, groups[1].Count)
	assert.Equal(t, "errored", groups[1].Verdict)
	assert.Equal(t, 1, groups[2].Count)
	assert.Equal(t, "status", groups[2].Rule)
	assert.Equal(t, []string{"upstream/unreachable-model"}, groups[2].Cases)
}

func TestNormalizeObserved(t *testing.T) {
	tests := map[string]string{
		`"Unknown route GET /v1/files/file-abc123/content"`: `"Unknown route GET /v1/…"`,
		`request req_8a7sd6f5a4 took 1234ms`:                `request req-… took …ms`,
		"500":                                               "500",
		`"dial tcp 127.0.0.1:45678"`:                        `"dial tcp 127.0.0.1:N"`,
	}
	for in, want := range tests {
		assert.Equal(t, want, normalizeObserved(in), in)
	}
	long := normalizeObserved(strings.Repeat("é", 200))
	assert.True(t, strings.HasSuffix(long, "…"))
}

// The Markdown summary lists every cause, however many cases fail.
func TestMarkdownListsEveryCause(t *testing.T) {
	var cases []CaseReport
	for i := range 40 {
		cases = append(cases, CaseReport{ID: fmt.Sprintf("g/c%02d", i), Verdict: check.Failed,
			Findings: []check.Finding{{Rule: "code", Severity: check.Must, Expected: fmt.Sprintf(`"code_%c"`, 'a'+i%26), Actual: "absent"}}})
	}
	var b strings.Builder
	rep := JSONReport{Cases: cases, Summary: Summarize(nil)}
	require.NoError(t, RenderMarkdown(&b, rep, nil))
	assert.Contains(t, b.String(), "40 failing cases, 26 causes")
	assert.Equal(t, 26, strings.Count(b.String(), "| `g/c"))
}
