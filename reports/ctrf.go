package reports

import (
	"fmt"
	"strings"

	"github.com/errconform/errconform/check"
)

// CTRF is the Common Test Report Format document (spec version 0.0.0).
type CTRF struct {
	ReportFormat string      `json:"reportFormat"`
	SpecVersion  string      `json:"specVersion"`
	Timestamp    string      `json:"timestamp"`
	GeneratedBy  string      `json:"generatedBy"`
	Results      CTRFResults `json:"results"`
}

// CTRFResults holds the tool, summary and tests.
type CTRFResults struct {
	Tool        CTRFTool        `json:"tool"`
	Summary     CTRFSummary     `json:"summary"`
	Tests       []CTRFTest      `json:"tests"`
	Environment CTRFEnvironment `json:"environment"`
}

// CTRFTool names errconform.
type CTRFTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// CTRFSummary counts tests; times are milliseconds since the epoch.
type CTRFSummary struct {
	Tests    int   `json:"tests"`
	Passed   int   `json:"passed"`
	Failed   int   `json:"failed"`
	Skipped  int   `json:"skipped"`
	Pending  int   `json:"pending"`
	Other    int   `json:"other"`
	Suites   int   `json:"suites"`
	Start    int64 `json:"start"`
	Stop     int64 `json:"stop"`
	Duration int64 `json:"duration"`
	// Extra counts the skipped tests per typed skip reason
	// ("skipped_by_reason") and, apart, the cases the contract does not
	// cover ("not_in_contract"; also counted in skipped); it says how many
	// were judged ("judged", "selected", "coverage"), by which contract
	// ("contract": name, version, digest; a fleet's "contracts"), and lists
	// every waived failure ("waived_failures").
	Extra map[string]any `json:"extra,omitempty"`
}

// CTRFTest is one case.
type CTRFTest struct {
	Name      string         `json:"name"`
	Status    string         `json:"status"`
	RawStatus string         `json:"rawStatus"`
	Duration  int64          `json:"duration"`
	Suite     []string       `json:"suite"`
	Message   string         `json:"message,omitempty"`
	Trace     string         `json:"trace,omitempty"`
	Tags      []string       `json:"tags,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
}

// CTRFEnvironment names what was tested.
type CTRFEnvironment struct {
	ReportName      string `json:"reportName"`
	TestEnvironment string `json:"testEnvironment"`
}

// ctrfStatus maps a verdict onto CTRF's five statuses: warned cases passed
// (their findings are in extra), errored and waived ones are "other".
var ctrfStatus = map[check.Verdict]string{
	check.Passed: "passed", check.Warned: "passed", check.Failed: "failed", check.Skipped: "skipped",
	check.Errored: "other", check.Waived: "other",
}

// BuildCTRF assembles the CTRF document of a run.
func BuildCTRF(run Run) CTRF { return buildCTRF(run, BuildJSON(run)) }

// buildCTRF is BuildCTRF from the run's JSON report, built already.
func buildCTRF(run Run, rep JSONReport) CTRF {
	start := run.Started.UnixMilli()
	doc := CTRF{ReportFormat: "CTRF", SpecVersion: "0.0.0", Timestamp: run.Started.UTC().Format("2006-01-02T15:04:05Z07:00"),
		GeneratedBy: "errconform " + run.ToolVersion,
		Results: CTRFResults{
			Tool:        CTRFTool{Name: "errconform", Version: run.ToolVersion},
			Summary:     CTRFSummary{Start: start, Stop: start + run.Duration.Milliseconds(), Duration: run.Duration.Milliseconds()},
			Tests:       []CTRFTest{},
			Environment: CTRFEnvironment{ReportName: "errconform contract " + rep.Contract.String(), TestEnvironment: rep.Target.BaseURL},
		}}
	groups := map[string]bool{}
	for i, c := range rep.Cases {
		status := ctrfStatus[c.Verdict]
		t := CTRFTest{Name: c.ID, Status: status, RawStatus: string(c.Verdict), Duration: run.Results[i].Duration.Milliseconds(),
			Suite: []string{c.Group}, Tags: c.Labels, Message: firstNonEmpty(run.Results[i].Summary(), c.Reason)}
		if c.Verdict == check.Skipped {
			// The reason in the message: "not in this contract: …" for a
			// case the contract does not cover.
			t.Message = caseSkipText(c)
		}
		var trace strings.Builder
		for _, f := range c.Findings {
			fmt.Fprintf(&trace, "[%s] %s\n", f.Severity, f.String())
		}
		if c.Reproduce != "" {
			fmt.Fprintf(&trace, "\nReproduce:\n%s\n", c.Reproduce)
		}
		t.Trace = trace.String()
		if len(c.Findings) > 0 {
			t.Extra = map[string]any{"findings": c.Findings}
		}
		if c.SkipReason != "" {
			if t.Extra == nil {
				t.Extra = map[string]any{}
			}
			t.Extra["skip_reason"] = c.SkipReason
		}
		doc.Results.Tests = append(doc.Results.Tests, t)
		groups[c.Group] = true
		s := &doc.Results.Summary
		s.Tests++
		switch status {
		case "passed":
			s.Passed++
		case "failed":
			s.Failed++
		case "skipped":
			s.Skipped++
		default:
			s.Other++
		}
	}
	doc.Results.Summary.Suites = len(groups)
	extra := ctrfGateExtra(rep.Summary, rep.WaivedFailures())
	extra["not_in_contract"], extra["skipped_by_reason"] = rep.Summary.NotInContract, rep.Summary.SkippedByReason
	extra["contract"] = rep.Contract
	if name, _ := runLabels(rep.Settings); name != "" {
		extra["target"] = name
	}
	if tags := tagsOf(rep.Settings); len(tags) > 0 {
		extra["tags"] = tags
	}
	if partial := partialOf(rep.Settings); partial != "" {
		extra["partial"] = partial
	}
	if rep.NotTestable != nil {
		extra["not_testable"] = rep.NotTestable
	}
	if rep.TargetBroke != nil {
		extra["target_broke"] = rep.TargetBroke
	}
	doc.Results.Summary.Extra = extra
	return doc
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
