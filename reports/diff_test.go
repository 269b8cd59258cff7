package reports_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/reports"
)

func TestReadJSONRefusesWhatIsNotAReport(t *testing.T) {
	dir := t.TempDir()
	run := junitRun(t, 4)
	good := filepath.Join(dir, "good.json")
	require.NoError(t, reports.WriteFormat("json", good, reports.Input{Report: reports.FleetOfOne(run)}))
	rep, err := reports.ReadJSON(good)
	require.NoError(t, err)
	require.Len(t, rep.Targets, 1, "a single target's report is a fleet of one")
	require.Len(t, rep.Targets[0].Cases, 4)

	empty := reports.BuildJSON(reports.Run{ToolVersion: "x", ContractVersion: "x", Redactor: run.Redactor})
	emptyJSON, err := json.Marshal(empty)
	require.NoError(t, err)
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(reports.MaxReportBytes+1))
	require.NoError(t, f.Close())

	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "is empty"},
		{"blank", "\n\n", "is empty"},
		{"not JSON", "<html>", "not JSON"},
		{"empty object", "{}", "missing properties"},
		{"version only", `{"schema_version":"1"}`, "missing properties"},
		{"other version", `{"schema_version":"0"}`, `schema_version "0"`},
		{"no cases", string(emptyJSON), "lists no cases"},
		{"trailing garbage", `{"schema_version":"1"} {}`, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.json")
			require.NoError(t, os.WriteFile(p, []byte(tt.content), 0o600))
			_, err := reports.ReadJSON(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), p, "the message names the file")
		})
	}
	_, err = reports.ReadJSON(huge)
	assert.ErrorContains(t, err, "32 MiB")
}

func TestDiffTextEscapesControls(t *testing.T) {
	run := junitRun(t, 2)
	run.Results[0].Verdict = check.Passed
	old := reports.BuildJSON(run)
	run.Results[0].Verdict = check.Failed
	run.Results[0].Findings = []check.Finding{{Rule: "message", Severity: check.Must, Message: "\x1b]0;pwned\x07\r\n  PASS  fake\u202e"}}
	current := reports.BuildJSON(run)
	d := reports.Compare(old, current)
	require.True(t, d.HasRegression())
	var out bytes.Buffer
	d.WriteText(&out, "old\x1b.json", "new.json")
	assert.NotContains(t, out.String(), "\x1b")
	assert.NotContains(t, out.String(), "\r")
	assert.NotContains(t, out.String(), "\u202e")
	assert.Contains(t, out.String(), `\x1b]0;pwned\x07\r\n  PASS  fake\u202e`)
	assert.Contains(t, out.String(), `old\x1b.json`)
}

func TestDiffIgnoresVolatileValues(t *testing.T) {
	failedWith := func(actual string) reports.JSONReport {
		run := junitRun(t, 1)
		run.Results[0].Verdict = check.Failed
		run.Results[0].Findings = []check.Finding{{Rule: "status", Severity: check.Must, Expected: "400", Actual: actual, Message: "accepted: " + actual}}
		return reports.BuildJSON(run)
	}
	tests := []struct {
		name          string
		old, new      string
		changedReport bool
	}{
		{"only the completion id and created differ", `200 {"id":"chatcmpl-9a8B7c6D5e4F","created":1733600000}`, `200 {"id":"chatcmpl-Q1w2E3r4T5y6","created":1733600042}`, false},
		{"only the request id differs", `200 (x-request-id 3f2b6c1e-8d4a-4b7e-9c1d-2a3b4c5d6e7f)`, `200 (x-request-id 00000000-1111-4222-8333-444444444444)`, false},
		{"the observed status differs", `200 {"id":"chatcmpl-9a8B7c6D5e4F"}`, `500 {"id":"chatcmpl-9a8B7c6D5e4F"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := reports.Compare(failedWith(tt.old), failedWith(tt.new))
			assert.Equal(t, tt.changedReport, len(d.ChangedFindings) == 1, "changed findings: %v", d.ChangedFindings)
		})
	}
}
