package reports

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/suites"
)

// WriteJUnit writes the run as JUnit XML. Ginkgo's own reporter produces
// the document (one testcase per case, named by the case ID); errconform
// then fills in what CI test tabs show: classname = the case's group, the
// failure message = the first finding in words, the failure body = every
// finding and the reproduction command, errored cases as <error>, skips
// and waivers with their reason.
func WriteJUnit(path string, report types.Report, run Run) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".errconform-junit-*.xml")
	if err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(tmpPath)
	err = reporters.GenerateJUnitReportWithConfig(report, tmpPath, reporters.JunitReportConfig{
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped | types.SpecStateFailed,
		OmitCapturedStdOutErr:     true,
		OmitSpecLabels:            true,
		OmitLeafNodeType:          true,
		OmitSuiteSetupNodes:       true,
	})
	if err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	data, err := os.ReadFile(tmpPath)
	if err != nil {
		return fmt.Errorf("read back Ginkgo's JUnit report: %w", err)
	}
	var doc reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("read back Ginkgo's JUnit report: %w", err)
	}
	enrichJUnit(&doc, run)
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JUnit report: %w", err)
	}
	if err := os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

func enrichJUnit(doc *reporters.JUnitTestSuites, run Run) {
	byID := map[string]suites.Result{}
	for _, r := range run.Results {
		byID[r.Case.ID] = r
	}
	doc.Tests, doc.Failures, doc.Errors, doc.Disabled = 0, 0, 0, 0
	for si := range doc.TestSuites {
		suite := &doc.TestSuites[si]
		suite.Failures, suite.Errors, suite.Skipped, suite.Disabled = 0, 0, 0, 0
		// Cases the run did not select (--label-filter) are left out: a
		// test tab shows what was checked.
		kept := suite.TestCases[:0]
		for _, tc := range suite.TestCases {
			if r, ok := byID[tc.Name]; ok {
				describeTestCase(&tc, r, run)
				kept = append(kept, tc)
			}
		}
		suite.TestCases = kept
		for ci := range suite.TestCases {
			tc := &suite.TestCases[ci]
			switch {
			case tc.Failure != nil:
				suite.Failures++
			case tc.Error != nil:
				suite.Errors++
			case tc.Skipped != nil:
				suite.Skipped++
			}
		}
		suite.Tests = len(suite.TestCases)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Disabled += suite.Skipped
	}
}

func describeTestCase(tc *reporters.JUnitTestCase, r suites.Result, run Run) {
	tc.Classname = r.Case.Group
	tc.Status = string(r.Verdict)
	tc.Time = r.Duration.Seconds() // the exchange's time; the spec only judged it
	tc.Failure, tc.Error, tc.Skipped, tc.SystemErr = nil, nil, nil, ""
	body := findingsText(r, run)
	switch r.Verdict {
	case check.Failed:
		tc.Failure = &reporters.JUnitFailure{Type: "failed", Message: r.Summary(), Description: body}
	case check.Errored:
		tc.Error = &reporters.JUnitError{Type: "errored", Message: run.Redactor.String(r.Summary()), Description: body}
	case check.Skipped:
		tc.Skipped = &reporters.JUnitSkipped{Message: run.Redactor.String(r.Reason)}
	case check.Waived:
		tc.Skipped = &reporters.JUnitSkipped{Message: run.Redactor.String(r.Reason)}
		tc.SystemOut = body
	case check.Warned:
		tc.SystemOut = body
	}
}

// findingsText is every finding in words, then the reproduction command.
func findingsText(r suites.Result, run Run) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "[%s] %s\n", f.Severity, f.String())
	}
	if r.Reason != "" && len(r.Findings) == 0 {
		fmt.Fprintln(&b, run.Redactor.String(r.Reason))
	}
	if ex, ok := r.Judged(); ok {
		fmt.Fprintf(&b, "\nReproduce:\n%s\n", Reproduce(run.Redactor, run.SecretEnv, ex))
	}
	return b.String()
}
