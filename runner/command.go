package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// runCommand is errconform run (or explore) once resolved: every target
// of fl through the one engine (runFleet; a single target is a fleet of
// one), within the run's --deadline, then the reports, the summary, the
// metrics and the exit code. A single target's terminal lines and
// reports are a single target's (no target names, schema version 2); a
// fleet's (a targets: list, or a sharded run) name each target.
func (a App) runCommand(fl fleetResolution, invoked time.Time, signals chan os.Signal) (int, error) {
	o := fl.opts
	single := !fl.isFleet()
	reportOut := a.Stdout
	if fl.toStdout != "" {
		// Standard output carries the report alone: every line the run
		// prints goes to standard error.
		a.Stdout = a.Stderr
	}
	if err := checkOutputPaths(o); err != nil {
		return ExitUsage, err
	}
	redactor := fleetRedactor(fl)
	// The terminal's redaction boundary: everything this run prints from
	// here on passes through the redactor, a line at a time, whatever
	// printed it.
	stdout, stderr := reports.NewRedactingWriter(a.Stdout, redactor), reports.NewRedactingWriter(a.Stderr, redactor)
	defer stdout.Close()
	defer stderr.Close()
	a.Stdout, a.Stderr = stdout, stderr
	plan := planFleet(fl)
	baselines, err := loadBaselines(a.Stderr, plan)
	if err != nil {
		return ExitUsage, err
	}
	defer baselines.stop()
	if o.dryRun {
		for _, t := range plan {
			if !single {
				fmt.Fprintf(a.Stdout, "target %s:\n", t.name())
			}
			printDryRun(a.Stdout, t.list, t.res.cfg, redactor)
		}
		return ExitOK, nil
	}
	for _, t := range plan {
		switch {
		case !t.res.cfg.TLS.Insecure:
		case single:
			fmt.Fprintln(a.Stderr, "errconform: WARNING: --insecure: the target's TLS certificate is NOT verified")
		default:
			fmt.Fprintf(a.Stderr, "errconform: WARNING: target %s: --insecure: its TLS certificate is NOT verified\n", t.name())
		}
	}
	ctx, stopRun := runContext(invoked.Add(o.deadline), o.deadline, signals)
	defer stopRun()
	printPartial(a.Stdout, o)
	selected, variants := printFirstLine(a.Stdout, fl, plan)
	for _, t := range plan {
		name := t.name()
		if single {
			name = ""
		}
		printLongWaivers(a.Stderr, name, t.res.waivers, t.res.cfg.WaiversMaxDaysOrDefault(), time.Now())
	}
	started := time.Now()
	// The cases end reportReserve before the deadline: the reports are
	// written within it.
	reserve := reportReserve(o.deadline, selected)
	cases, stopCases := context.WithDeadlineCause(ctx, invoked.Add(o.deadline-reserve),
		fmt.Errorf("the run's --deadline (%s) passed for its cases (its last %s are kept for writing the reports)", o.deadline, reserve))
	defer stopCases()
	lines := &caseLines{w: a.Stdout, progress: newProgress(selected, variants), named: !single, quiet: o.quiet, verbose: o.verbose}
	waitBaselines := baselines.start(cases, a, fl, a.Stderr)
	out := a.runFleet(cases, fl, plan, lines)
	waitBaselines()
	if a.specsRan != nil && out.ginkgo != nil {
		a.specsRan(*out.ginkgo)
	}
	if err := specsAgree(out.specs, out.report); err != nil {
		return ExitFailed, err // never seen: the specs decided the report's verdicts
	}
	applyBaselines(&out, baselines, redactor)
	elapsed := time.Since(started)
	var contract *spec.Contract
	if len(plan) == 1 {
		contract = plan[0].res.contract
	}
	compact, reportErr := writeRunReports(ctx, o, out, contract, reportOut)
	if single {
		return a.finishSingle(ctx, cases, o, out, elapsed, compact, reportErr)
	}
	return a.finishFleet(ctx, cases, o, out, elapsed, compact, reportErr)
}

// printFirstLine prints the run's first line (a --quiet run's names its
// config file only) and returns how many cases, and explore variants
// among them, the run performs.
func printFirstLine(w io.Writer, fl fleetResolution, plan []*targetRun) (selected, variants int) {
	o := fl.opts
	judging := 0
	for _, t := range plan {
		selected += t.list.Len()
		variants += t.list.variants.total
		judging += judgeable(t.list, t.res.cfg)
	}
	single := !fl.isFleet()
	switch {
	case o.quiet:
		printQuietFirstLine(w, o, single && plan[0].res.embedded)
	case single:
		t := plan[0]
		cfg, contract := t.res.cfg, t.res.contract
		// The routes the run judges close the first line (issue 26): a
		// contract listing more routes than a target serves shows here.
		fmt.Fprintf(w, "errconform %s: checking %s against contract %s %s (%s; judging at most %d of %d selected cases, concurrency %d, %s); %s\n", ToolVersion(),
			cfg.Target.BaseURL, contract.Label(), contract.Digest(), configText(o.configFile, t.res.embedded), judging, selected,
			max(cfg.Limits.Concurrency, 1), rateText(cfg.Limits.MaxRPS), suites.RoutesJudged(t.list.held()))
		if counts := t.list.exploreCounts(); counts.total > 0 && t.list.plan != nil {
			fmt.Fprintf(w, "explore: %d variants over %d fields of %s\n", counts.total, len(counts.fields), t.list.plan.Origin())
		}
	default:
		shard := ""
		if fl.shard.count > 0 {
			shard = fmt.Sprintf(", shard %s", fl.shard)
		}
		fmt.Fprintf(w, "errconform %s: checking %d targets concurrently (%s%s; judging at most %d of %d selected cases): %s\n", ToolVersion(), len(plan),
			configText(o.configFile, false), shard, judging, selected, fleetTargetsText(plan))
	}
	return selected, variants
}

// finishSingle prints a single target's summary once its reports are
// written (compact, reportErr), exports its metrics and returns the exit
// code. ctx is the run's, cases the cases' (done reportReserve before the
// deadline).
func (a App) finishSingle(ctx, cases context.Context, o runOptions, out fleetOutcome, elapsed time.Duration, compact bool, reportErr error) (code int, err error) {
	t, part := out.targets[0], out.report.Targets[0]
	run := t.reportRun(o)
	cutShort := cases.Err() != nil
	summary := part.Summary
	printProblems(a.Stdout, run)
	_ = reports.WriteSummary(a.Stdout, summary, elapsed, t.sent) // the terminal: a failed write has nowhere to be told
	printBaseline(a.Stdout, "", part)
	if t.notTestable == nil {
		// Not testable: no variant was sent, and the one cause is said above.
		printExploreSent(a.Stdout, t.explored.sent, t.explored.total)
		printGroups(a.Stdout, part.Groups)
	}
	printWaived(a.Stdout, run.WaivedFailures())
	if cutShort {
		fmt.Fprintf(a.Stderr, "errconform: %s: %d of %d cases not completed (errored); the reports hold what was known\n",
			context.Cause(cases), t.notCompleted, t.list.Len())
	}
	if compact {
		fmt.Fprintf(a.Stderr, "errconform: %s: the reports were written compact (verdicts and findings, little evidence)\n", compactCause(ctx, o))
	}
	defer func() { printLastLine(a.Stdout, summary, o.rerunFailed != "", code, part) }()
	if reportErr != nil {
		return signalExit(ctx, ExitFailed, reportErr)
	}
	// The metrics read the report, redacted as every other output is (tags
	// from a secret ${VAR} among it).
	if err := a.exportMetrics(ctx, o, []metricsRun{{name: t.name(), report: out.report.TargetAsReport(part)}}); err != nil {
		return signalExit(ctx, ExitFailed, err)
	}
	code = notGreen(a.Stderr, gateCode(runExitCode(summary, run), part), summary)
	if code == ExitOK && cutShort {
		fmt.Fprintln(a.Stderr, "errconform: the run was cut short: exiting 1")
		code = ExitFailed
	}
	code, _ = signalExit(ctx, code, nil)
	return code, nil
}

// finishFleet prints a fleet's summary once its reports are written,
// exports its metrics and returns the exit code.
func (a App) finishFleet(ctx, cases context.Context, o runOptions, out fleetOutcome, elapsed time.Duration, compact bool, reportErr error) (code int, err error) {
	printFleetSummary(a.Stdout, out, elapsed)
	for _, t := range out.report.Targets {
		printBaseline(a.Stdout, "  "+t.Name+": ", t)
	}
	if compact {
		fmt.Fprintf(a.Stderr, "errconform: %s: the reports were written compact (verdicts and findings, little evidence)\n", compactCause(ctx, o))
	}
	code = out.code
	defer func() { printLastLine(a.Stdout, out.report.Summary, o.rerunFailed != "", code, out.report.Targets...) }()
	if reportErr != nil {
		return signalExit(ctx, ExitFailed, reportErr)
	}
	var runs []metricsRun
	for _, t := range out.report.Targets {
		runs = append(runs, metricsRun{name: t.Name, report: out.report.TargetAsReport(t)})
	}
	if err := a.exportMetrics(ctx, o, runs); err != nil {
		return signalExit(ctx, ExitFailed, err)
	}
	if cases.Err() != nil && out.code == ExitOK {
		fmt.Fprintln(a.Stderr, "errconform: the run was cut short: exiting 1")
		code = ExitFailed
	}
	code, _ = signalExit(ctx, code, nil)
	return code, nil
}

// compactCause says why the reports were written compact: the run's
// stop (its --deadline passed, an interrupt), else the time left before
// its --deadline, too short for the full reports (fullReportsFit).
func compactCause(ctx context.Context, o runOptions) error {
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	return fmt.Errorf("too little of the run's --deadline (%s) was left for the full reports", o.deadline)
}
