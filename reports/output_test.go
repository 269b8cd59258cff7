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
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
)

// Every report format reaches its file through the run's Redactor: a secret
// planted where no field-level redaction looks (a title, a finding, a
// reason, a label) appears in no format, in no form. A format added to
// reports.Formats is covered by this test without a line of its own.
func TestEveryFormatPassesTheRedactionBoundary(t *testing.T) {
	const secret = "sk-boundary-Zq81mX0vPa77LkTT"
	run := junitRun(t, 4)
	run.Redactor = redact.New(secret)
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
		require.NoError(t, f.Write(path, reports.Input{Report: reports.FleetOfOne(run)}), f.Name)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		// Markdown escapes the brackets of what it quotes.
		assert.Contains(t, strings.NewReplacer(`\[`, "[", `\]`, "]").Replace(string(data)), redact.Redacted, "%s: the planted secrets were replaced", f.Name)
		if form, found := redact.New(secret).Find(string(data)); found {
			t.Errorf("%s: the secret survives (%s)", f.Name, form)
		}
	}
}

// A fleet's boundary is each target's part, walked once (redact.Walk) as
// the target finishes: the fleet's formats render from the parts alone and
// take no second pass. The same planted secrets appear in no fleet format;
// and the parts not walked, they do (the walk is what removes them).
func TestEveryFleetFormatRendersFromWalkedParts(t *testing.T) {
	const secret = "sk-fleet-boundary-Zq81mX0vPa77LkTT"
	planted := []string{secret, strings.ToUpper(secret), base64.StdEncoding.EncodeToString([]byte(secret)), secret[len(secret)-12:]}
	fleet := func(walk bool) reports.JSONReport {
		run := junitRun(t, 4) // its Redactor knows no secret: no field-level redaction helps
		for i := range run.Results {
			r := &run.Results[i]
			r.Case.Title += " " + planted[i%len(planted)]
			r.Case.Labels = append(r.Case.Labels, "note:"+planted[(i+1)%len(planted)])
			r.Reason += " " + planted[(i+2)%len(planted)]
			r.Verdict = check.Failed
			r.Findings = append(r.Findings, check.Finding{Rule: "status", Severity: check.Must, Expected: "401", Actual: planted[(i+3)%len(planted)],
				Message: "echoed " + planted[i%len(planted)]})
		}
		part := reports.TargetPart(reports.FleetTarget{Name: "t " + secret, Reason: "why " + secret, Run: run})
		if walk {
			redact.New(secret).Walk(&part)
		}
		return reports.AssembleFleet("0.0.0-test", []reports.TargetReport{part}, nil)
	}
	tests := []struct {
		name  string
		walk  bool
		leaks bool
	}{
		{"the parts walked", true, false},
		{"the parts not walked", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := reports.Input{Report: fleet(tt.walk)}
			leaked := 0
			for _, f := range reports.Formats() {
				text, err := f.Rendered(in)
				require.NoError(t, err, f.Name)
				form, found := redact.New(secret).Find(text)
				if found {
					leaked++
				}
				if !tt.leaks {
					assert.False(t, found, "%s: the secret survives (%s)", f.Name, form)
					assert.Contains(t, text, redact.Redacted, f.Name)
				}
			}
			if tt.leaks {
				assert.Equal(t, len(reports.Formats()), leaked, "every format renders the parts as given")
			}
		})
	}
}

// An abandoned rendering ends: once its Input's Done is closed, every
// format ends with reports.ErrAbandoned (a run cut short renders it again
// compact). While Done is open a rendering is the same as one without.
func TestAbandonedRenderingEnds(t *testing.T) {
	rep := reports.FleetOfOne(junitRun(t, 4))
	open, closed := make(chan struct{}), make(chan struct{})
	close(closed)
	for _, f := range reports.Formats() {
		t.Run(f.Name, func(t *testing.T) {
			want, err := f.Rendered(reports.Input{Report: rep})
			require.NoError(t, err)
			got, err := f.Rendered(reports.Input{Report: rep, Done: open})
			require.NoError(t, err)
			assert.Equal(t, want, got, "an open Done changes nothing")
			_, err = f.Rendered(reports.Input{Report: rep, Done: closed})
			assert.ErrorIs(t, err, reports.ErrAbandoned)
		})
	}
}

// A format's Stream writes the same bytes as its Render: a fleet's JSON
// target by target, indented or compact, of one target, of many, of
// none, and a version 2 report (made a fleet of one first).
func TestStreamedFormatsAreTheRendering(t *testing.T) {
	run := junitRun(t, 6)
	part := func(name string) reports.TargetReport {
		return reports.TargetPart(reports.FleetTarget{Name: name, Outcome: reports.OutcomeCompleted, Run: run})
	}
	fleet := reports.AssembleFleet("0.0.0-test", []reports.TargetReport{part("a"), part("b <&> \"c\""), part("d")}, &reports.ShardInfo{Index: 1, Count: 3})
	v2 := reports.BuildJSON(run)
	tests := []struct {
		name string
		rep  reports.JSONReport
	}{
		{"a fleet of three", fleet},
		{"a fleet of three, compact", fleet.Compact()},
		{"a fleet of one", reports.FleetOfOne(run)},
		{"a fleet of none", reports.AssembleFleet("0.0.0-test", nil, nil)},
		{"a version 2 report", v2},
		{"a version 2 report, compact", v2.Compact()},
	}
	streamed := 0
	for _, f := range reports.Formats() {
		if f.Stream == nil {
			continue
		}
		streamed++
		for _, tt := range tests {
			t.Run(f.Name+", "+tt.name, func(t *testing.T) {
				in := reports.Input{Report: tt.rep}
				want, err := f.Rendered(in)
				require.NoError(t, err)
				var b bytes.Buffer
				require.NoError(t, f.StreamTo(&b, in))
				assert.Equal(t, want, b.String())
				path := filepath.Join(t.TempDir(), f.File)
				require.NoError(t, f.WriteStreamed(path, in))
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.Equal(t, want, string(data))
			})
		}
	}
	assert.Positive(t, streamed, "the JSON report is streamed")
}

// The terminal's boundary: a secret written in pieces, across writes,
// never reaches the terminal.
func TestRedactingWriter(t *testing.T) {
	const secret = "sk-terminal-Zq81mX0vPa77LkTT"
	var out bytes.Buffer
	w := reports.NewRedactingWriter(&out, redact.New(secret))
	for _, piece := range []string{"  FAIL  auth/x  echoed sk-term", "inal-Zq81mX0v", "Pa77LkTT in the body\n", "no newline: " + secret} {
		_, err := w.Write([]byte(piece))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	assert.NotContains(t, out.String(), "Zq81mX0v")
	assert.Equal(t, "  FAIL  auth/x  echoed [REDACTED] in the body\nno newline: [REDACTED]", out.String())
}

// The evidence travels with a failure: the JUnit failure body holds the
// status line and a bounded, redacted excerpt of the response body, and
// the testsuite is named by the target.
func TestJUnitFailureCarriesTheResponse(t *testing.T) {
	const secret = "sk-junit-Zq81mX0vPa77LkTT"
	run := junitRun(t, 2)
	run.Redactor = redact.New(secret)
	body := `{"status":"failure","message":"key ` + secret + `"}` + strings.Repeat(" ", 5000)
	run.Results[1].Exchanges = []probe.Exchange{{URL: "http://127.0.0.1:9/v1/models", Request: probe.Request{Method: "GET"},
		Response: &probe.Response{Status: 500, Body: []byte(body)}}}
	path := filepath.Join(t.TempDir(), "junit.xml")
	require.NoError(t, reports.WriteFormat("junit", path, reports.Input{Report: reports.FleetOfOne(run)}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(data)
	assert.Contains(t, text, `testsuite name="errconform: http://127.0.0.1:9/v1"`)
	assert.Contains(t, text, "Response: HTTP 500")
	assert.Contains(t, text, `{&#34;status&#34;:&#34;failure&#34;`)
	assert.NotContains(t, text, "Zq81mX0v")
	assert.Less(t, len(text), 8000, "the excerpt is bounded")

	run.Settings.Name = "eu-west"
	require.NoError(t, reports.WriteFormat("junit", path, reports.Input{Report: reports.FleetOfOne(run)}))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `testsuite name="errconform: eu-west"`)
}
