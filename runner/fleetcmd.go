package runner

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/errconform/errconform/metrics"
	"github.com/errconform/errconform/reports"
)

// runFleetCommand is errconform run (or explore) for a fleet: a config
// with a targets: list, or a sharded run.
func (a App) runFleetCommand(fl fleetResolution, invoked time.Time, signals chan os.Signal) (int, error) {
	o := fl.opts
	reportOut := a.Stdout
	if fl.toStdout != "" {
		a.Stdout = a.Stderr
	}
	if err := checkOutputPaths(o); err != nil {
		return ExitUsage, err
	}
	redactor := fleetRedactor(fl)
	stdout, stderr := reports.NewRedactingWriter(a.Stdout, redactor), reports.NewRedactingWriter(a.Stderr, redactor)
	defer stdout.Close()
	defer stderr.Close()
	a.Stdout, a.Stderr = stdout, stderr
	plan := planFleet(fl)
	if o.dryRun {
		for _, t := range plan {
			fmt.Fprintf(a.Stdout, "target %s:\n", t.name())
			s := &session{app: a, opts: o, cfg: t.res.cfg, selected: heldCases(t.run), explored: newVariantResults(0, true)}
			s.printDryRun(fleetRedactor(fl))
		}
		return ExitOK, nil
	}
	for _, t := range plan {
		if t.res.cfg.TLS.Insecure {
			fmt.Fprintf(a.Stderr, "errconform: WARNING: target %s: --insecure: its TLS certificate is NOT verified\n", t.name())
		}
	}
	ctx, _, stopRun := runContext(invoked.Add(o.deadline), o.deadline, signals)
	defer stopRun()
	printPartial(a.Stdout, o)
	judging, selected := 0, 0
	for _, t := range plan {
		for _, c := range t.run {
			selected++
			if c.Judgeable(t.res.cfg) {
				judging++
			}
		}
	}
	if !o.quiet {
		shard := ""
		if fl.shard.count > 0 {
			shard = fmt.Sprintf(", shard %s", fl.shard)
		}
		fmt.Fprintf(a.Stdout, "errconform %s: checking %d targets concurrently (%s%s; judging at most %d of %d selected cases): %s\n", ToolVersion(), len(plan),
			configText(o.configFile, false), shard, judging, selected, fleetTargetsText(plan))
	} else {
		printQuietFirstLine(a.Stdout, o, false)
	}
	for _, t := range plan {
		printLongWaivers(a.Stderr, t.name(), t.res.waivers, t.res.cfg.WaiversMaxDaysOrDefault(), time.Now())
	}
	started := time.Now()
	// The targets' cases end fleetReportReserve before the deadline: the
	// reports are written within it.
	reserve := fleetReportReserve(o.deadline, selected)
	cases, stopCases := context.WithDeadlineCause(ctx, invoked.Add(o.deadline-reserve),
		fmt.Errorf("the run's --deadline (%s) is near: its last %s are kept for writing the reports", o.deadline, reserve))
	defer stopCases()
	out := a.runFleet(cases, fl, plan, a.Stdout)
	elapsed := time.Since(started)
	compact, reportErr := writeFleetReports(ctx, o, out, redactor, reportOut)
	printFleetSummary(a.Stdout, out, elapsed)
	if compact {
		fmt.Fprintf(a.Stderr, "errconform: %s: the reports were written compact (verdicts and findings, little evidence)\n", context.Cause(ctx))
	}
	code := out.code
	defer func() { printLastLine(a.Stdout, out.report.Summary, o.rerunFailed != "", code) }()
	if reportErr != nil {
		code, reportErr = signalExit(ctx, ExitFailed, reportErr)
		return code, reportErr
	}
	var runs []metricsRun
	for _, t := range out.report.Targets {
		runs = append(runs, metricsRun{name: t.Name, report: targetAsReport(out.report, t)})
	}
	if err := a.exportMetrics(ctx, o, runs); err != nil {
		code, err = signalExit(ctx, ExitFailed, err)
		return code, err
	}
	if cases.Err() != nil && out.code == ExitOK {
		fmt.Fprintln(a.Stderr, "errconform: the run was cut short: exiting 1")
		code = ExitFailed
	}
	code, _ = signalExit(ctx, code, nil)
	return code, nil
}

// fleetReportReserve is how much of a fleet's --deadline is kept for
// writing its reports: a tenth (at most 10 s), and more for a large fleet (writing
// compact reports takes about reservePerCase of one processor per case,
// measured on 256 targets of the full catalogue, 54,016 cases), at most a
// third. A fleet of hundreds of targets writes tens of megabytes of
// reports; they are written compact if even that is not enough.
func fleetReportReserve(deadline time.Duration, cases int) time.Duration {
	return min(max(min(deadline/10, 10*time.Second), time.Duration(cases)*reservePerCase), deadline/3)
}

// reservePerCase is fleetReportReserve's time per selected case.
const reservePerCase = 100 * time.Microsecond

// targetAsReport is one target of a fleet's report as a single target's
// (schema version 2): what metrics reads.
func targetAsReport(fleet reports.JSONReport, t reports.TargetReport) reports.JSONReport {
	return reports.JSONReport{SchemaVersion: reports.SchemaVersion, Tool: fleet.Tool, Contract: t.Contract, Target: t.Target,
		StartedAt: t.StartedAt, DurationMS: t.DurationMS, Settings: t.Settings, Summary: t.Summary, Groups: t.Groups, Cases: t.Cases}
}

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
