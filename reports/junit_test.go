package reports_test

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// junitRun is a run of the first n catalogue cases: the first one passed,
// the second failed, every other one not completed (errored), as after a
// --deadline or an interrupt during the concurrent phase.
func junitRun(t *testing.T, n int) reports.Run {
	t.Helper()
	catalogue := suites.Catalogue()
	require.GreaterOrEqual(t, len(catalogue), n)
	var results []suites.Result
	for i, c := range catalogue[:n] {
		r := suites.Result{Case: c, Verdict: check.Errored, Reason: "not completed: the run's --deadline (3s) passed"}
		switch i {
		case 0:
			r = suites.Result{Case: c, Verdict: check.Passed, Duration: time.Millisecond}
		case 1:
			r = suites.Result{Case: c, Verdict: check.Failed, Findings: []check.Finding{{Rule: "status", Severity: check.Must, Expected: "401", Actual: "200", Message: "expected 401, got 200"}}}
		}
		results = append(results, r)
	}
	return reports.Run{ToolVersion: "0.0.0-test", ContractVersion: "test", BaseURL: "http://127.0.0.1:9/v1",
		Started: time.Now(), Duration: 3 * time.Second, Results: results, Redactor: redact.New()}
}

func readJUnit(t *testing.T, path string) reporters.JUnitTestSuites {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc reporters.JUnitTestSuites
	require.NoError(t, xml.Unmarshal(data, &doc))
	return doc
}

// The JUnit report lists every case of the run in its order (a run cut
// short included: its unfinished cases are errored), one testsuite per
// target, with errconform's properties only, and validates against the
// Jenkins XSD with passed, failed, errored, skipped and waived cases in it:
// a skip's reason is the <skipped> element's text, which the XSD allows
// (not a message attribute, which it refuses).
func TestJUnitListsEveryCaseAndValidates(t *testing.T) {
	const n = 6
	run := junitRun(t, n)
	run.Results[2].Verdict, run.Results[2].Skip, run.Results[2].Reason = check.Skipped, check.FixtureMissing, "fixture not configured: fixtures.file_id"
	run.Results[3].Verdict, run.Results[3].Reason = check.Waived, "waived until 2099-01-01: known"
	path := filepath.Join(t.TempDir(), "junit.xml")
	require.NoError(t, reports.WriteFormat("junit", path, reports.Input{Report: reports.FleetOfOne(run)}))
	doc := readJUnit(t, path)
	assert.Equal(t, n, doc.Tests)
	require.Len(t, doc.TestSuites, 1)
	suite := doc.TestSuites[0]
	assert.Equal(t, "errconform: http://127.0.0.1:9/v1", suite.Name)
	assert.Equal(t, n, suite.Tests)
	assert.Equal(t, 1, suite.Failures)
	assert.Equal(t, n-4, suite.Errors)
	assert.Equal(t, 2, suite.Skipped)
	causes := 0
	for _, p := range suite.Properties.Properties {
		assert.True(t, strings.HasPrefix(p.Name, "errconform."), "only errconform's properties: %s", p.Name)
		if strings.HasPrefix(p.Name, "errconform.cause.") {
			causes++
		}
	}
	assert.Equal(t, 2, causes, "the failures by cause: the failed case's, and the unfinished cases'")
	require.Len(t, suite.TestCases, n)
	for i, tc := range suite.TestCases {
		r := run.Results[i]
		assert.Equal(t, r.Case.ID, tc.Name, "the run's order")
		assert.Equal(t, r.Case.Group, tc.Classname)
		assert.Equal(t, string(r.Verdict), tc.Status)
		if r.Verdict == check.Errored {
			require.NotNil(t, tc.Error, tc.Name)
			assert.Contains(t, tc.Error.Message, "not completed", tc.Name)
			assert.Nil(t, tc.Failure)
		}
	}
	assert.NotNil(t, suite.TestCases[1].Failure)
	assert.Nil(t, suite.TestCases[0].Failure)
	assert.Nil(t, suite.TestCases[0].Error)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "<skipped>fixture not configured: fixtures.file_id</skipped>")
	assert.Contains(t, string(data), "<skipped>waived until 2099-01-01: known</skipped>")
	assert.NotContains(t, string(data), "<skipped message=")

	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is missing; .ci/run installs it (Debian package libxml2-utils)")
		}
		t.Skip("xmllint not installed: apt-get install libxml2-utils")
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", "../testdata/schemas/jenkins-junit.xsd", path).CombinedOutput()
	assert.NoError(t, err, "xmllint: %s", out)
}
