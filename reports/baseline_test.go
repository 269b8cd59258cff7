package reports_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/reports"
)

func finding(rule, observed string, sev check.Severity) check.Finding {
	return check.Finding{Rule: rule, Severity: sev, Expected: "x", Actual: observed, Message: rule}
}

// A case's classification survives the report: made again from its
// findings and their classes, it counts the same.
func TestCaseBaselineRoundTrip(t *testing.T) {
	mine := []check.Finding{finding("status", "500", check.Must), finding("content-type", "text/plain", check.Must), finding("message", "", check.Should)}
	base := check.BaselineOf(check.Failed, []check.Finding{finding("status", "500", check.Must), finding("code", "nope", check.Must)})
	c := check.Classify(mine, base)
	cb := reports.NewCaseBaseline(c, false)
	assert.Equal(t, []check.Class{check.Inherited, check.New, check.New}, cb.Findings)
	assert.Equal(t, check.New, cb.Class)
	require.Len(t, cb.Fixed, 1)
	assert.Equal(t, c.Counts(false), cb.Classification(mine).Counts(false))

	cr := reports.CaseReport{Findings: mine, Baseline: cb}
	assert.Equal(t, check.New, cr.CaseClass())
	assert.Equal(t, check.Inherited, cr.FindingClass(0))
	assert.Equal(t, check.Class(""), cr.FindingClass(5))
	assert.Equal(t, check.Class(""), reports.CaseReport{}.CaseClass(), "no baseline: no class")
}

func TestSummarizeBaselineAndText(t *testing.T) {
	cases := []reports.CaseReport{
		{ID: "a/1", Verdict: check.Failed, Findings: []check.Finding{finding("status", "500", check.Must)},
			Baseline: &reports.CaseBaseline{Class: check.New, Compared: true, Findings: []check.Class{check.New}}},
		{ID: "a/2", Verdict: check.Failed, Findings: []check.Finding{finding("status", "500", check.Must), finding("code", "x", check.Must)},
			Baseline: &reports.CaseBaseline{Class: check.Inherited, Compared: true, Findings: []check.Class{check.Inherited, check.Inherited}}},
		{ID: "a/3", Verdict: check.Passed, Baseline: &reports.CaseBaseline{Class: check.Fixed, Compared: true, Findings: []check.Class{},
			Fixed: []check.Finding{finding("status", "502", check.Must)}}},
		{ID: "a/4", Verdict: check.Failed, Findings: []check.Finding{finding("status", "404", check.Must)},
			Baseline: &reports.CaseBaseline{Class: check.New, Findings: []check.Class{check.New}}},
		{ID: "a/5", Verdict: check.Skipped},
	}
	s := reports.SummarizeBaseline(cases, false)
	assert.Equal(t, map[check.Class]int{check.New: 2, check.Inherited: 1, check.Fixed: 1}, s.Cases)
	assert.Equal(t, 2, s.Findings.New)
	assert.Equal(t, 2, s.Findings.Inherited)
	assert.Equal(t, 1, s.Findings.Fixed)
	assert.Equal(t, 1, s.NotCompared)
	text := reports.BaselineText(&reports.TargetBaseline{Summary: s})
	assert.Contains(t, text, "2 new, 2 inherited, 1 fixed")
	assert.Contains(t, text, "1 case(s) with findings the baseline did not judge")
	assert.Empty(t, reports.BaselineText(nil))
	assert.Equal(t, []string{"a/1", "a/4"}, ids(reports.CasesOfClass(cases, check.New)))
}

func ids(cases []reports.CaseReport) []string {
	var out []string
	for _, c := range cases {
		out = append(out, c.ID)
	}
	return out
}

// Merge keeps each case's classification and counts the merged target's
// classes again: each shard counted only its own cases.
func TestMergeKeepsBaselineClasses(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fail := func(id string, class check.Class) reports.CaseReport {
		return reports.CaseReport{ID: id, Title: id, Group: "g", Verdict: check.Failed, Findings: []check.Finding{finding("status", "500", check.Must)},
			Baseline: &reports.CaseBaseline{Class: class, Compared: true, Findings: []check.Class{class}}}
	}
	shard := func(i int, c reports.CaseReport) reports.JSONReport {
		part := reports.TargetReport{Name: "gw", Outcome: reports.OutcomeCompleted, StartedAt: start, Settings: &reports.Settings{Selected: []string{"g/a", "g/b"}},
			Cases: []reports.CaseReport{c}, Baseline: &reports.TargetBaseline{Report: "up.json", Target: "up", FailOn: check.FailOnNew,
				Summary: reports.SummarizeBaseline([]reports.CaseReport{c}, false)}}
		return reports.AssembleFleet("test", []reports.TargetReport{part}, &reports.ShardInfo{Index: i, Count: 2})
	}
	merged, err := reports.Merge([]reports.JSONReport{shard(0, fail("g/a", check.New)), shard(1, fail("g/b", check.Inherited))}, []string{"s0", "s1"})
	require.NoError(t, err)
	b := merged.Targets[0].Baseline
	require.NotNil(t, b)
	assert.Equal(t, "up.json", b.Report)
	assert.Equal(t, 1, b.Summary.Findings.New)
	assert.Equal(t, 1, b.Summary.Findings.Inherited)
	assert.Equal(t, check.Inherited, merged.Targets[0].Cases[1].CaseClass())
}
