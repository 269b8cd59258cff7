package reports_test

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
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

// The JUnit report lists every case of the run, whether or not Ginkgo got
// to report its spec: a run cut short during the concurrent phase once
// wrote tests="0" while the JSON report listed every case.
func TestWriteJUnitListsCasesGinkgoNeverReported(t *testing.T) {
	const n = 6
	run := junitRun(t, n)
	// Ginkgo reported the first two specs only; the suite timed out
	// before the others ran.
	partial := types.Report{SuiteDescription: "errconform", SuitePath: "/tmp", StartTime: run.Started,
		SpecialSuiteFailureReasons: []string{"Suite Timeout Elapsed"}}
	for _, r := range run.Results[:2] {
		state := types.SpecStatePassed
		if r.Verdict == check.Failed {
			state = types.SpecStateFailed
		}
		partial.SpecReports = append(partial.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: r.Case.ID, State: state})
	}
	tests := []struct {
		name   string
		report types.Report
	}{
		{"Ginkgo never reported (zero report)", types.Report{}},
		{"Ginkgo reported no spec (the concurrent phase was cut)", types.Report{SuiteDescription: "errconform", StartTime: run.Started, SpecialSuiteFailureReasons: []string{"Interrupted by User"}}},
		{"Ginkgo reported some specs", partial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "junit.xml")
			require.NoError(t, reports.WriteFormat("junit", path, reports.Input{Run: run, Ginkgo: tt.report}))
			doc := readJUnit(t, path)
			assert.Equal(t, n, doc.Tests)
			require.Len(t, doc.TestSuites, 1)
			suite := doc.TestSuites[0]
			assert.NotEmpty(t, suite.Name)
			assert.Equal(t, n, suite.Tests)
			assert.Equal(t, 1, suite.Failures)
			assert.Equal(t, n-2, suite.Errors)
			assert.Equal(t, n-2, doc.Errors)
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
		})
	}
}

// A report path whose directory takes no other files (the temporary file
// Ginkgo's reporter needs goes elsewhere).
func TestWriteJUnitToAPathInAnUnwritableDirectory(t *testing.T) {
	if _, err := os.Stat("/dev/null"); err != nil {
		t.Skip("no /dev/null")
	}
	run := junitRun(t, 2)
	require.NoError(t, reports.WriteFormat("junit", "/dev/null", reports.Input{Run: run, Ginkgo: types.Report{SuiteDescription: "errconform"}}))
}
