package reports

import (
	"fmt"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// WriteJUnit writes Ginkgo's JUnit XML for the run: one testcase per case,
// named by the case ID, without suite setup nodes or label suffixes.
func WriteJUnit(report types.Report, path string) error {
	err := reporters.GenerateJUnitReportWithConfig(report, path, reporters.JunitReportConfig{
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped,
		OmitCapturedStdOutErr:     true,
		OmitSpecLabels:            true,
		OmitLeafNodeType:          true,
		OmitSuiteSetupNodes:       true,
	})
	if err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}
