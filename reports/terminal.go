package reports

import (
	"fmt"
	"io"
	"time"

	"github.com/errconform/errconform/check"
)

// WriteSummary prints a run's closing summary for the terminal: the
// verdict counts (the cases the contract does not cover counted apart,
// "37 skipped (12 not in this contract)"), then a line per missing
// fixture, the cases not in the contract and the cases the request budget
// left unrun. sent is the number of requests the run sent.
func WriteSummary(w io.Writer, s Summary, elapsed time.Duration, sent int64) error {
	ew := &errWriter{w: w}
	ew.printf("\n%d cases in %s (%d requests), %s: %d passed, %d failed, %d warned, %s, %d errored",
		s.Total, elapsed.Round(time.Millisecond), sent, s.JudgedText(), s.Passed, s.Failed, s.Warned, skippedCount(s), s.Errored)
	if s.Waived > 0 {
		ew.printf(", %d waived", s.Waived)
	}
	ew.printf("\n")
	if s.NotInContract > 0 {
		ew.printf("  %3d not in this contract: listed in the reports, never run, never passed\n", s.NotInContract)
	}
	keys := sortedKeys(s.SkippedByFixture)
	for _, key := range keys {
		ew.printf("  %3d skipped for want of fixtures.%s\n", s.SkippedByFixture[key], key)
	}
	if len(keys) > 0 {
		ew.printf("  (configure those fixtures to check the whole contract; --require all turns these skips into failures)\n")
	}
	if n := s.SkippedFor(check.NotRun); n > 0 {
		ew.printf("  %3d not run: the request budget (--max-requests) was spent\n", n)
	}
	if ew.err != nil {
		return fmt.Errorf("write the summary: %w", ew.err)
	}
	return nil
}

// skippedCount is "37 skipped (12 not in this contract)", or "25 skipped"
// when the contract covers every case.
func skippedCount(s Summary) string {
	if s.NotInContract == 0 {
		return fmt.Sprintf("%d skipped", s.Skipped)
	}
	return fmt.Sprintf("%d skipped (%d not in this contract)", s.Skipped, s.NotInContract)
}

// errWriter keeps the first write error, so that a sequence of writes is
// checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (ew *errWriter) printf(format string, args ...any) {
	if ew.err == nil {
		_, ew.err = fmt.Fprintf(ew.w, format, args...)
	}
}
