package reports

import (
	"encoding/xml"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/suites"
)

// RenderJUnit renders the run as JUnit XML. Ginkgo's own reporter produces
// the document (the suite and its properties); errconform then lists every
// case of the run in its order and fills in what CI test tabs show:
// classname = the case's group, the failure message = the first finding in
// words, the failure body = every finding and the reproduction command,
// errored cases as <error>, skips and waivers with their reason. A case
// Ginkgo never reported (the run's --deadline passed, or it was
// interrupted, before its spec ran) is listed all the same, from the run's
// result: the report always has one testcase per selected case. A zero
// report (Ginkgo never got to report at all) gives a suite of errconform's
// own.
func RenderJUnit(report types.Report, run Run) ([]byte, error) {
	doc, err := ginkgoJUnit(report)
	if err != nil {
		return nil, fmt.Errorf("JUnit report: %w", err)
	}
	if len(doc.TestSuites) == 0 {
		doc.TestSuites = []reporters.JUnitTestSuite{ownSuite(run)}
	}
	enrichJUnit(&doc, run)
	return xmlDocument(doc)
}

// ginkgoJUnit is Ginkgo's JUnit document for report, read back from the
// temporary file Ginkgo's reporter writes; none for a zero report.
func ginkgoJUnit(report types.Report) (reporters.JUnitTestSuites, error) {
	var doc reporters.JUnitTestSuites
	if report.SuiteDescription == "" {
		return doc, nil
	}
	// A directory of its own: the report's directory may not take other
	// files (--junit /dev/stdout).
	dir, err := os.MkdirTemp("", "errconform-junit-")
	if err != nil {
		return doc, err
	}
	defer os.RemoveAll(dir)
	tmpPath := filepath.Join(dir, "ginkgo.xml")
	err = reporters.GenerateJUnitReportWithConfig(report, tmpPath, reporters.JunitReportConfig{
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped | types.SpecStateFailed,
		OmitCapturedStdOutErr:     true,
		OmitSpecLabels:            true,
		OmitLeafNodeType:          true,
		OmitSuiteSetupNodes:       true,
	})
	if err != nil {
		return doc, err
	}
	data, err := os.ReadFile(tmpPath)
	if err != nil {
		return doc, fmt.Errorf("read back Ginkgo's JUnit report: %w", err)
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return doc, fmt.Errorf("read back Ginkgo's JUnit report: %w", err)
	}
	return doc, nil
}

// ownSuite is the suite element when Ginkgo reported nothing.
func ownSuite(run Run) reporters.JUnitTestSuite {
	succeeded := true
	for _, r := range run.Results {
		if r.Verdict == check.Failed || r.Verdict == check.Errored {
			succeeded = false
		}
	}
	return reporters.JUnitTestSuite{
		Name:      "errconform",
		Time:      run.Duration.Seconds(),
		Timestamp: run.Started.Format("2006-01-02T15:04:05"),
		Properties: reporters.JUnitProperties{Properties: []reporters.JUnitProperty{
			{Name: "SuiteSucceeded", Value: fmt.Sprintf("%t", succeeded)},
		}},
	}
}

// enrichJUnit makes the first suite hold exactly the run's cases, in the
// run's order, each described from its result; Ginkgo's testcase for a
// case is kept where there is one. Cases the run did not select
// (--label-filter) are left out: a test tab shows what was checked.
func enrichJUnit(doc *reporters.JUnitTestSuites, run Run) {
	reported := map[string]reporters.JUnitTestCase{}
	for _, suite := range doc.TestSuites {
		for _, tc := range suite.TestCases {
			reported[tc.Name] = tc
		}
	}
	doc.TestSuites = doc.TestSuites[:1]
	suite := &doc.TestSuites[0]
	suite.Name = suiteName(run)
	suite.TestCases = make([]reporters.JUnitTestCase, 0, len(run.Results))
	suite.Failures, suite.Errors, suite.Skipped, suite.Disabled = 0, 0, 0, 0
	for _, r := range run.Results {
		tc, ok := reported[r.Case.ID]
		if !ok {
			tc = reporters.JUnitTestCase{Name: r.Case.ID}
		}
		describeTestCase(&tc, r, run)
		suite.TestCases = append(suite.TestCases, tc)
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
	summary := Summarize(run.Results)
	setProperty(&suite.Properties, "errconform.contract", run.contractInfo().String())
	setProperty(&suite.Properties, "errconform.not_in_contract", strconv.Itoa(summary.NotInContract))
	for _, p := range gateProperties(summary, run.contractInfo(), run.Settings.Partial, run.WaivedFailures()) {
		setProperty(&suite.Properties, p.Name, p.Value)
	}
	for _, k := range slices.Sorted(maps.Keys(run.Settings.Tags)) {
		setProperty(&suite.Properties, "errconform.tag."+k, run.Redactor.String(run.Settings.Tags[k]))
	}
	setProblems(&suite.Properties, run.NotTestable.redacted(run.Redactor), run.TargetBroke.redacted(run.Redactor))
	doc.Tests, doc.Failures, doc.Errors, doc.Disabled = suite.Tests, suite.Failures, suite.Errors, suite.Skipped
	doc.Time = suite.Time
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
		tc.Error = &reporters.JUnitError{Type: "errored", Message: r.Summary(), Description: body}
	case check.Skipped:
		// "not in this contract: …" for a case the contract does not cover.
		tc.Skipped = &reporters.JUnitSkipped{Message: skipText(r)}
	case check.Waived:
		tc.Skipped = &reporters.JUnitSkipped{Message: r.Reason}
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
		fmt.Fprintln(&b, r.Reason)
	}
	if ex, ok := r.Judged(); ok {
		if ex.Response != nil {
			fmt.Fprintf(&b, "\nResponse: HTTP %d\n%s\n", ex.Response.Status,
				Printable(RedactedBodyExcerpt(run.Redactor, ex.Response, junitExcerptBytes)))
		}
		fmt.Fprintf(&b, "\nReproduce:\n%s\n", Reproduce(run.Redactor, run.SecretEnv, ex))
	}
	return b.String()
}

// junitExcerptBytes bounds the response body a failure body quotes: the
// evidence travels with the failure into a CI test tab.
const junitExcerptBytes = 1024

// setProperty sets a suite property, replacing one of the same name.
func setProperty(props *reporters.JUnitProperties, name, value string) {
	for i, p := range props.Properties {
		if p.Name == name {
			props.Properties[i].Value = value
			return
		}
	}
	props.Properties = append(props.Properties, reporters.JUnitProperty{Name: name, Value: value})
}

// suiteName names the testsuite by the target, so that a matrix's reports
// stay apart in a test tab: the target's name, else its base URL.
func suiteName(run Run) string {
	target := run.Settings.Name
	if target == "" {
		target = config.WithoutUserinfo(run.BaseURL)
	}
	if target == "" {
		return "errconform"
	}
	return "errconform: " + target
}

// setProblems records the run-level problems as the suite's properties
// errconform.not_testable and errconform.target_broke.
func setProblems(props *reporters.JUnitProperties, notTestable, broke *Problem) {
	for _, line := range problemLines(notTestable, broke) {
		name := "errconform.not_testable"
		if line[0] == TargetBrokeHeadline {
			name = "errconform.target_broke"
		}
		setProperty(props, name, line[1])
	}
}
