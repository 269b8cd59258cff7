package runner

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reports"
)

// gateCode lets a target pass under --fail-on new only when every failed
// case's failing findings are inherited, and nothing else failed it.
func TestGateCode(t *testing.T) {
	must := check.Finding{Rule: "status", Severity: check.Must, Expected: "400", Actual: "500", Message: "m"}
	should := check.Finding{Rule: "message", Severity: check.Should, Message: "m"}
	failed := func(classes ...check.Class) reports.CaseReport {
		c := reports.CaseReport{ID: "g/c", Verdict: check.Failed, Baseline: &reports.CaseBaseline{Compared: true, Findings: classes}}
		for range classes {
			c.Findings = append(c.Findings, must)
		}
		return c
	}
	passed := reports.CaseReport{ID: "g/p", Verdict: check.Passed}
	part := func(failOn check.FailOn, cases ...reports.CaseReport) reports.TargetReport {
		p := reports.TargetReport{Cases: append([]reports.CaseReport{passed}, cases...), Settings: &reports.Settings{},
			Baseline: &reports.TargetBaseline{FailOn: failOn}}
		p.Summary = reports.SummarizeCases(p.Cases)
		return p
	}
	warnedNew := reports.CaseReport{ID: "g/w", Verdict: check.Warned, Findings: []check.Finding{should}, Baseline: &reports.CaseBaseline{Compared: true, Findings: []check.Class{check.New}}}
	uncompared := failed(check.New)
	uncompared.Baseline.Compared = false
	noClass := failed(check.Inherited)
	noClass.Baseline = nil
	broke := part(check.FailOnNew, failed(check.Inherited))
	broke.TargetBroke = &reports.Problem{Cause: "c", Reason: "r"}
	errored := part(check.FailOnNew, failed(check.Inherited), reports.CaseReport{ID: "g/e", Verdict: check.Errored})
	noBaseline := part(check.FailOnNew, failed(check.Inherited))
	noBaseline.Baseline = nil
	tests := []struct {
		name string
		code int
		part reports.TargetReport
		want int
	}{
		{"every failure inherited: passes under new", ExitFailed, part(check.FailOnNew, failed(check.Inherited), failed(check.Inherited, check.Inherited)), ExitOK},
		{"a new SHOULD finding does not fail", ExitFailed, part(check.FailOnNew, failed(check.Inherited), warnedNew), ExitOK},
		{"every failure inherited: fails under any", ExitFailed, part(check.FailOnAny, failed(check.Inherited)), ExitFailed},
		{"one new finding fails", ExitFailed, part(check.FailOnNew, failed(check.Inherited), failed(check.Inherited, check.New)), ExitFailed},
		{"not compared: new for want of a comparison", ExitFailed, part(check.FailOnNew, uncompared), ExitFailed},
		{"a failed case without a classification fails", ExitFailed, part(check.FailOnNew, noClass), ExitFailed},
		{"an errored case fails", ExitFailed, errored, ExitFailed},
		{"a target that broke fails", ExitFailed, broke, ExitFailed},
		{"no baseline: the code stands", ExitFailed, noBaseline, ExitFailed},
		{"not testable stays 3", ExitUnreachable, part(check.FailOnNew, failed(check.Inherited)), ExitUnreachable},
		{"nothing judged fails", ExitFailed, reports.TargetReport{Baseline: &reports.TargetBaseline{FailOn: check.FailOnNew}}, ExitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, gateCode(tt.code, tt.part))
		})
	}
}

// A live baseline keeps the target's cases, fixtures and key, and its rate
// cap unless that was left to the loopback default: a remote upstream
// behind a local gateway is capped as a remote target is.
func TestLiveBaselineRateCap(t *testing.T) {
	target := func(sources map[string]config.Source) *targetRun {
		cfg := config.Config{Target: config.Target{BaseURL: "http://127.0.0.1:8787/v1"}, Auth: config.Auth{APIKey: "sk-test-000000000001"}}
		cfg.Baseline, cfg.FailOn = config.ParseBaseline("https://upstream.example.com/v1"), "new"
		return &targetRun{res: resolution{name: "gw", cfg: cfg, sources: sources, waivers: map[string]config.Waiver{"a/b": {}}}, all: []string{"a/b"}}
	}
	tests := []struct {
		name    string
		sources map[string]config.Source
		want    float64
	}{
		{"the default: the remote default", nil, DefaultMaxRPS},
		{"no cap given explicitly: none", map[string]config.Source{"limits.max_rps": {Kind: config.FromFlag, Name: "max-rps"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, stop, err := liveBaseline(target(tt.sources))
			require.NoError(t, err)
			defer stop()
			cfg := run.res.cfg
			assert.Equal(t, tt.want, cfg.Limits.MaxRPS)
			assert.Equal(t, "https://upstream.example.com/v1", cfg.Target.BaseURL)
			assert.Equal(t, "sk-test-000000000001", cfg.Auth.APIKey, "the target's key")
			assert.Empty(t, cfg.Baseline, "a baseline has no baseline")
			assert.Nil(t, run.res.waivers, "no waiver applies to a baseline")
			assert.Equal(t, []string{"a/b"}, run.all)
		})
	}
	bad := target(nil)
	bad.res.cfg.Baseline = config.ParseBaseline("https://user:pass@upstream.example.com/v1?x=1")
	_, _, err := liveBaseline(bad)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "pass", "no credential in the error")
}
