package reports

import (
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

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
