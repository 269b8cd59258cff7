package runner

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/errconform/errconform/reports"
)

// The reports' level is chosen before anything is rendered: full when
// the time left to the deadline holds twice fullReportPerCase per case,
// else compact.
func TestFullReportsFit(t *testing.T) {
	fleet := func(targets, cases int) reports.JSONReport {
		parts := make([]reports.TargetReport, targets)
		for i := range parts {
			parts[i].Cases = make([]reports.CaseReport, cases)
		}
		return reports.AssembleFleet("0.0.0-test", parts, nil)
	}
	tests := []struct {
		name string
		left time.Duration // 0: no deadline
		rep  reports.JSONReport
		want bool
	}{
		{"no deadline", 0, fleet(256, 211), true},
		{"256 targets of the full catalogue, 20 s left", 20 * time.Second, fleet(256, 211), true},
		{"256 targets of the full catalogue, 8 s left", 8 * time.Second, fleet(256, 211), false},
		{"one target, 1 s left", time.Second, fleet(1, 211), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.left > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.left)
				defer cancel()
			}
			assert.Equal(t, tt.want, fullReportsFit(ctx, tt.rep))
		})
	}
}
