package runner

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/errconform/errconform/metrics"
	"github.com/errconform/errconform/reports"
)

// reportReserve is how much of a run's --deadline is kept for writing
// its reports: a tenth (at most 10 s), and more for a large fleet,
// reservePerCase per selected case, at most a third. A fleet of hundreds
// of targets writes tens of megabytes of reports; they are written
// compact if even that is not enough.
func reportReserve(deadline time.Duration, cases int) time.Duration {
	return min(max(min(deadline/10, 10*time.Second), time.Duration(cases)*reservePerCase), deadline/3)
}

// reservePerCase is reportReserve's time per selected case: twice what
// the five compact reports cost per case, of one processor (a loaded
// machine gives the run less than one), measured on 256 targets of the
// full catalogue (54,016 cases: 5.1 s with the fleet's parts live and the
// collector at reportGCPercent).
const reservePerCase = 190 * time.Microsecond

// metricsRun is one target's report, for --metrics and --pushgateway.
type metricsRun struct {
	name   string
	report reports.JSONReport
}

// pushTimeout bounds a push to the Pushgateway (within the run's
// --deadline, which bounds it too).
const pushTimeout = 30 * time.Second

// pushMetrics pushes runs to the Pushgateway at url. The push is a network
// step of the run: inside its --deadline and an interrupt (ctx), which
// refuse it once passed, and at most pushTimeout.
func pushMetrics(ctx context.Context, url string, runs []metrics.Run) error {
	if ctx.Err() != nil {
		return fmt.Errorf("--pushgateway: not pushed: %v", context.Cause(ctx))
	}
	pctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	if err := metrics.Push(pctx, url, runs, &http.Client{Timeout: pushTimeout}); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
		}
		return fmt.Errorf("--pushgateway: %w", err)
	}
	return nil
}

// exportMetrics writes --metrics and pushes to --pushgateway, when given.
func (a App) exportMetrics(ctx context.Context, o runOptions, runs []metricsRun) error {
	if o.metrics == "" && o.pushgateway == "" {
		return nil
	}
	var mr []metrics.Run
	for _, r := range runs {
		mr = append(mr, metrics.Run{Target: r.name, Report: r.report})
	}
	if o.metrics != "" {
		reg, err := metrics.Registry(mr)
		if err != nil {
			return fmt.Errorf("--metrics: %w", err)
		}
		if err := metrics.WriteTextfile(o.metrics, reg); err != nil {
			return fmt.Errorf("--metrics: %w", err)
		}
	}
	if o.pushgateway != "" {
		if err := pushMetrics(ctx, o.pushgateway, mr); err != nil {
			return err
		}
	}
	return nil
}
