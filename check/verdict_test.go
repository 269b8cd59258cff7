package check_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/errconform/errconform/check"
)

// Redecide gives what the run decided (Judge, then Waive), and nothing
// else: errconform merge refuses a shard whose stated verdict differs.
func TestRedecide(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	must := []check.Finding{{Rule: "status", Severity: check.Must}}
	should := []check.Finding{{Rule: "content-type", Severity: check.Should}}
	active := check.Waiver{Reason: "ticket", Expires: "2027-01-01", Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	expired := check.Waiver{Reason: "ticket", Expires: "2026-12-01", Until: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name     string
		stated   check.Verdict
		findings []check.Finding
		strict   bool
		required bool
		waiver   *check.Waiver
		want     check.Verdict
	}{
		{"a MUST finding fails", check.Passed, must, false, false, nil, check.Failed},
		{"no finding passes", check.Passed, nil, false, false, nil, check.Passed},
		{"a SHOULD finding warns", check.Passed, should, false, false, nil, check.Warned},
		{"strict fails a SHOULD finding", check.Warned, should, true, false, nil, check.Failed},
		{"an active waiver waives a failure", check.Waived, must, false, false, &active, check.Waived},
		{"an expired waiver does not", check.Waived, must, false, false, &expired, check.Failed},
		{"a waiver cannot waive a pass", check.Waived, nil, false, false, &active, check.Passed},
		{"skipped without findings stays skipped", check.Skipped, nil, false, false, nil, check.Skipped},
		{"errored without findings stays errored", check.Errored, nil, false, false, nil, check.Errored},
		{"skipped with a MUST finding is a failure", check.Skipped, must, false, false, nil, check.Failed},
		{"a required fixture missing fails", check.Failed, nil, false, true, nil, check.Failed},
		{"failed without findings or a required fixture passes", check.Failed, nil, false, false, nil, check.Passed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, check.Redecide(tt.stated, tt.findings, tt.strict, tt.required, tt.waiver, now))
		})
	}
}
