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
	require.NoError(t, reports.WriteFormat("json", good, reports.Input{Run: run}))
	rep, err := reports.ReadJSON(good)
	require.NoError(t, err)
	require.Len(t, rep.Cases, 4)

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
