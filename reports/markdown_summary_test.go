package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/reports"
)

// A red run's summary says so first: the verdict word, then the failing
// counts, then the causes, then only the cells that did not pass (the
// passing ones counted), in at most four columns; warnings on a line of
// their own.
func TestMarkdownPutsTheVerdictAndTheFailuresFirst(t *testing.T) {
	run, contract := contractRun(t, "aiand", "aiand")
	failed, warned := 0, 0
	for i := range run.Results {
		r := &run.Results[i]
		switch {
		case r.Verdict != check.Passed || r.Case.Expect.Status < 400:
		case r.Case.Expect.Status == 401 && failed < 5:
			r.Verdict = check.Failed
			r.Findings = []check.Finding{{Rule: "type", Severity: check.Must, Expected: "authentication_error", Actual: "invalid_request_error", Message: "expected type authentication_error, got invalid_request_error"}}
			failed++
		case r.Case.Expect.Status == 429 && warned < 1:
			r.Verdict = check.Warned
			r.Findings = []check.Finding{{Rule: "retry-after", Severity: check.Should, Message: "no Retry-After header"}}
			warned++
		}
	}
	require.Equal(t, 5, failed)
	var buf bytes.Buffer
	require.NoError(t, reports.RenderMarkdown(&buf, reports.BuildJSON(run), contract))
	md := buf.String()
	t.Log("\n" + md)
	lines := strings.Split(md, "\n")
	assert.Equal(t, "## errconform: ❌ contract broken", lines[0])
	assert.True(t, strings.HasPrefix(lines[2], "**❌ 6 failed** · ✅ "), "the failing counts first, in bold: %q", lines[2])
	assert.Contains(t, md, "> ⚠️ **1 case warned**", "warnings on a line of their own")
	causes, cells := strings.Index(md, "failing cases, "), strings.Index(md, "### Status × code")
	require.Positive(t, causes)
	assert.Less(t, causes, cells, "the causes come before the cells")
	table := md[cells:]
	assert.Contains(t, table, "| 401 | authentication_error | `invalid_api_key` | ❌ ")
	assert.Contains(t, table, "| 429 | rate_limit_error |")
	assert.Less(t, strings.Index(table, "❌"), strings.Index(table, "⚠️"), "failing cells before warning ones")
	assert.Regexp(t, `\d+ more: ✅ \d+ cells passed`, table, "the passing cells are counted, not listed")
	for _, line := range lines {
		if strings.HasPrefix(line, "|") {
			assert.LessOrEqual(t, strings.Count(line, " | ")+1, 5, "a table fits 800 px: at most four columns: %q", line)
		}
	}
	assert.Less(t, strings.Index(md, "failing cases, "), strings.Index(md, "Target `"), "where the run went comes after what failed")
}
