package reports_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reports"
)

// Every report format reaches its file through the run's Redactor: a secret
// planted where no field-level redaction looks (a title, a finding, a
// reason, a label) appears in no format, in no form. A format added to
// reports.Formats is covered by this test without a line of its own.
func TestEveryFormatPassesTheRedactionBoundary(t *testing.T) {
	const secret = "sk-boundary-Zq81mX0vPa77LkTT"
	run := junitRun(t, 4)
	run.Redactor = probe.NewRedactor(secret)
	planted := []string{secret, strings.ToUpper(secret), base64.StdEncoding.EncodeToString([]byte(secret)), secret[len(secret)-12:]}
	for i := range run.Results {
		r := &run.Results[i]
		r.Case.Title += " " + planted[i%len(planted)]
		r.Case.Labels = append(r.Case.Labels, "note:"+planted[(i+1)%len(planted)])
		r.Reason += " " + planted[(i+2)%len(planted)]
		r.Verdict = check.Failed
		r.Findings = append(r.Findings, check.Finding{Rule: "status", Severity: check.Must, Expected: "401", Actual: planted[(i+3)%len(planted)],
			Message: "echoed " + planted[i%len(planted)]})
	}
	dir := t.TempDir()
	formats := reports.Formats()
	require.NotEmpty(t, formats)
	for _, f := range formats {
		path := filepath.Join(dir, "report."+f.Name)
		require.NoError(t, f.Write(path, reports.Input{Run: run}), f.Name)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(data), probe.Redacted, "%s: the planted secrets were replaced", f.Name)
		if form, found := probe.NewRedactor(secret).Find(string(data)); found {
			t.Errorf("%s: the secret survives (%s)", f.Name, form)
		}
	}
}

// The terminal's boundary: a secret written in pieces, across writes,
// never reaches the terminal.
func TestRedactingWriter(t *testing.T) {
	const secret = "sk-terminal-Zq81mX0vPa77LkTT"
	var out bytes.Buffer
	w := reports.NewRedactingWriter(&out, probe.NewRedactor(secret))
	for _, piece := range []string{"  FAIL  auth/x  echoed sk-term", "inal-Zq81mX0v", "Pa77LkTT in the body\n", "no newline: " + secret} {
		_, err := w.Write([]byte(piece))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	assert.NotContains(t, out.String(), "Zq81mX0v")
	assert.Equal(t, "  FAIL  auth/x  echoed [REDACTED] in the body\nno newline: [REDACTED]", out.String())
}
