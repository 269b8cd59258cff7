package reports

import (
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/errconform/errconform/check"
)

// The JUnit XML report: in a run, Ginkgo's report of its specs filtered
// (RenderJUnit with the specs: the testcases are the specs', in their
// order); one testsuite per target, named "errconform:
// <target>", with errconform's properties only (the target, contract,
// outcome, gate and tags, the run-level problems, the failures by cause
// with an example and its evidence), and one testcase per
// case: classname the case's group, a failure's or error's message its
// headline finding and its body every finding, the response's status and
// excerpt and the reproduction; a skipped or waived case says why as the
// <skipped> element's text. It validates against the Jenkins JUnit XSD
// (testdata/schemas/jenkins-junit.xsd). The document's types are
// errconform's own: Ginkgo's (reporters.JUnitSkipped) put a skip's reason
// in a message attribute, which the XSD refuses, and add Ginkgo's own
// properties.

// junitSuites is the document.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Disabled int          `xml:"disabled,attr"`
	Errors   int          `xml:"errors,attr"`
	Failures int          `xml:"failures,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

// junitSuite is one target's suite.
type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Package    string          `xml:"package,attr"`
	Tests      int             `xml:"tests,attr"`
	Disabled   int             `xml:"disabled,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Errors     int             `xml:"errors,attr"`
	Failures   int             `xml:"failures,attr"`
	Time       float64         `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties junitProperties `xml:"properties"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperties struct {
	Properties []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// junitCase is one case; the XSD orders its children skipped, error,
// failure, system-out.
type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Status    string        `xml:"status,attr"`
	Time      float64       `xml:"time,attr"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// junitSkipped says why a case was skipped, as its text (the XSD's
// skipped element takes no attribute).
type junitSkipped struct {
	Reason string `xml:",chardata"`
}

// junitProblem is a failure or an error.
type junitProblem struct {
	Type        string `xml:"type,attr"`
	Message     string `xml:"message,attr"`
	Description string `xml:",chardata"`
}

// RenderJUnit renders a report's JUnit XML: in a run (specs: Ginkgo's
// specs of the run), the testcases of Ginkgo's report in its order, each
// a spec's case (or an explored field's spec's variants) with its evidence
// from the JSON report, and only errconform's properties (junitCases); a
// report with no specs (merge's) lists its cases in the report's order.
func RenderJUnit(rep JSONReport, specs []Spec) ([]byte, error) {
	rep = AsFleet(rep)
	doc := junitSuites{}
	for _, t := range rep.Targets {
		cases := t.Cases
		if specs != nil {
			var err error
			if cases, err = SpecCases(t, specs); err != nil {
				return nil, err
			}
		}
		suite := junitSuite{Name: "errconform: " + t.Name, Package: t.Name, Time: float64(t.DurationMS) / 1000,
			Timestamp: t.StartedAt.Format("2006-01-02T15:04:05")}
		props := &suite.Properties
		setProperty(props, "errconform.target", t.Target.String())
		setProperty(props, "errconform.contract", t.Contract.String())
		setProperty(props, "errconform.outcome", t.Outcome)
		setProperty(props, "errconform.not_in_contract", strconv.Itoa(t.Summary.NotInContract))
		for _, p := range gateProperties(t.Summary, t.Contract, partialOf(t.Settings), waivedCases(t.Name, t.Cases, t.Settings)) {
			setProperty(props, p.Name, p.Value)
		}
		tags := tagsOf(t.Settings)
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			setProperty(props, "errconform.tag."+k, tags[k]) // redacted when the report was built
		}
		setProblems(props, t.NotTestable, t.TargetBroke)
		for _, p := range baselineProperties(t.Baseline) {
			setProperty(props, p.Name, p.Value)
		}
		// The failures by cause, largest first: each failing testcase
		// carries its own evidence.
		for i, g := range t.Groups {
			setProperty(props, fmt.Sprintf("errconform.cause.%d", i+1), fmt.Sprintf("%d × %s (e.g. %s): %s", g.Count, g.Headline, g.Example, g.Evidence))
		}
		for _, c := range cases {
			suite.Cases = append(suite.Cases, junitCaseOf(c, &suite))
		}
		suite.Tests = len(suite.Cases)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Disabled += suite.Skipped
		doc.Time += suite.Time
		doc.Suites = append(doc.Suites, suite)
	}
	return xmlDocument(doc)
}

// junitCaseOf is a case's testcase, counted in its suite.
func junitCaseOf(c CaseReport, suite *junitSuite) junitCase {
	tc := junitCase{Name: c.ID, Classname: c.Group, Status: string(c.Verdict)}
	if c.Response != nil {
		tc.Time = c.Response.DurationMS / 1000
	}
	body := caseBody(c)
	switch c.Verdict {
	case check.Failed:
		tc.Failure = &junitProblem{Type: "failed", Message: classPrefix(c) + firstFinding(c), Description: body}
		suite.Failures++
	case check.Errored:
		tc.Error = &junitProblem{Type: "errored", Message: firstFinding(c), Description: body}
		suite.Errors++
	case check.Skipped:
		// "not in this contract: …" for a case the contract does not cover.
		tc.Skipped = &junitSkipped{Reason: caseSkipText(c)}
		suite.Skipped++
	case check.Waived:
		tc.Skipped = &junitSkipped{Reason: c.Reason}
		tc.SystemOut = body
		suite.Skipped++
	case check.Warned:
		tc.SystemOut = body
	}
	return tc
}

// junitExcerptBytes bounds the response body a failure body quotes: the
// evidence travels with the failure into a CI test tab.
const junitExcerptBytes = 1024

// setProperty sets a suite property, replacing one of the same name.
func setProperty(props *junitProperties, name, value string) {
	for i, p := range props.Properties {
		if p.Name == name {
			props.Properties[i].Value = value
			return
		}
	}
	props.Properties = append(props.Properties, junitProperty{Name: name, Value: value})
}

// setProblems records the run-level problems as the suite's properties
// errconform.not_testable and errconform.target_broke.
func setProblems(props *junitProperties, notTestable, broke *Problem) {
	for _, line := range problemLines(notTestable, broke) {
		name := "errconform.not_testable"
		if line[0] == TargetBrokeHeadline {
			name = "errconform.target_broke"
		}
		setProperty(props, name, line[1])
	}
}

// baselineProperties are a target's errconform.baseline.* properties (a
// run with --baseline): what it was compared with and its findings and
// cases by class.
func baselineProperties(b *TargetBaseline) []junitProperty {
	if b == nil {
		return nil
	}
	f := b.Summary.Findings
	return []junitProperty{
		{Name: "errconform.baseline.report", Value: b.Report},
		{Name: "errconform.baseline.target", Value: b.Target},
		{Name: "errconform.baseline.fail_on", Value: string(b.FailOn)},
		{Name: "errconform.baseline.new", Value: strconv.Itoa(f.New)},
		{Name: "errconform.baseline.inherited", Value: strconv.Itoa(f.Inherited)},
		{Name: "errconform.baseline.fixed", Value: strconv.Itoa(f.Fixed)},
		{Name: "errconform.baseline.cases_new", Value: strconv.Itoa(b.Summary.Cases[check.New])},
		{Name: "errconform.baseline.cases_inherited", Value: strconv.Itoa(b.Summary.Cases[check.Inherited])},
		{Name: "errconform.baseline.cases_fixed", Value: strconv.Itoa(b.Summary.Cases[check.Fixed])},
		{Name: "errconform.baseline.not_compared", Value: strconv.Itoa(b.Summary.NotCompared)},
	}
}

// classPrefix begins a failed case's text with its class against the
// baseline ("new: ", "inherited: "), or nothing without one.
func classPrefix(c CaseReport) string {
	if class := c.CaseClass(); class == check.New || class == check.Inherited {
		return string(class) + ": "
	}
	return ""
}
