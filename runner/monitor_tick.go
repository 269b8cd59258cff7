package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/errconform/errconform/metrics"
	"github.com/errconform/errconform/reports"
)

// A monitor's runs (runOne): each run of a target is a child process, the
// monitor's own command line run again with monitorTickEnv naming the
// target; the child runs it through Ginkgo (once in its process) and
// writes the target's JSON report, redacted, on its standard output.

// monitorTickEnv names the target a monitor's child process runs once.
const monitorTickEnv = "ERRCONFORM_MONITOR_TICK"

// monitorTickGrace is how long past its --deadline a child has to write
// its report (it stops its cases at the deadline itself) before the
// monitor stops it.
const monitorTickGrace = 5 * time.Second

// tick runs target name once in a child process within deadline d (ctx
// ends it sooner: the monitor is stopping) and returns its report.
func (m *monitorState) tick(ctx context.Context, name string, d time.Duration) (reports.JSONReport, error) {
	var rep reports.JSONReport
	exe, err := os.Executable()
	if err != nil {
		return rep, fmt.Errorf("the errconform executable to run: %w", err)
	}
	tickCtx, cancel := context.WithTimeout(ctx, d+monitorTickGrace)
	defer cancel()
	cmd := exec.CommandContext(tickCtx, exe, m.app.args...)
	cmd.Env = append(os.Environ(), monitorTickEnv+"="+name)
	// Stopped, the child writes what it knows, as run does on SIGTERM.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = monitorShutdownWait
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Targets) != 1 {
		why := errors.Join(runErr, err)
		if msg := bytes.TrimSpace(stderr.Bytes()); len(msg) > 0 {
			why = fmt.Errorf("%w: %s", why, oneLine(string(msg)))
		}
		return rep, why
	}
	return rep, nil
}

// monitorTick is a monitor's child process: it runs target name of fl
// once, within its --deadline, and writes its JSON report (redacted, as
// every part is) on standard output. SIGTERM or SIGINT stop its cases;
// the report then says what was known.
func (a App) monitorTick(fl fleetResolution, name string) (int, error) {
	var plan []*targetRun
	for _, t := range planFleet(fl) {
		if t.name() == name {
			plan = append(plan, t)
		}
	}
	if len(plan) != 1 {
		return ExitUsage, usagef("%s=%s: no such target in the monitor's fleet", monitorTickEnv, name)
	}
	signals, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := fl.opts.deadline
	ctx, cancel := context.WithTimeoutCause(signals, d, fmt.Errorf("the run's --deadline (%s) passed", d))
	defer cancel()
	out := a.runFleet(ctx, fl, plan, nil) // quiet: the monitor prints one line per run
	if err := specsAgree(out.specs, out.report); err != nil {
		return ExitFailed, err
	}
	if err := json.NewEncoder(a.Stdout).Encode(out.report); err != nil {
		return ExitFailed, fmt.Errorf("the report to the monitor: %w", err)
	}
	return ExitOK, nil
}

// runOne performs one run of a target (the n-th), publishes it, exports
// it when asked, and prints its line.
func (m *monitorState) runOne(ctx context.Context, tmpl *targetRun, n int, lastEnd time.Time) {
	name := tmpl.name()
	defer m.wg.Done()
	defer func() {
		m.runningGauge.WithLabelValues(name).Set(0)
		m.mu.Lock()
		m.running[name] = false
		m.lastEnd[name] = time.Now()
		m.mu.Unlock()
	}()
	// The rate cap holds across runs too: the first request of this run
	// comes no sooner after the last one of the previous run than the cap
	// allows (each run's client starts with a fresh limiter).
	if rps := tmpl.res.cfg.Limits.MaxRPS; rps > 0 && !lastEnd.IsZero() {
		wait := time.Until(lastEnd.Add(time.Duration(float64(time.Second) / rps)))
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
	}
	d := m.fl.opts.deadline
	runCtx, cancel := context.WithTimeoutCause(ctx, d, fmt.Errorf("the run's --deadline (%s) passed", d))
	defer cancel()
	started := time.Now()
	report, err := m.tick(ctx, name, d)
	elapsed := time.Since(started)
	if err != nil || len(report.Targets) != 1 {
		m.printf(m.app.Stderr, "errconform: [%s] run %d produced no report: %v\n", name, n, err)
		return
	}
	tr := report.Targets[0]
	outcome := tr.Outcome
	if runCtx.Err() != nil || elapsed >= d {
		outcome = monitorCutShort
	}
	m.runs.WithLabelValues(name, outcome).Inc()
	m.lastDuration.WithLabelValues(name).Set(elapsed.Seconds())
	up := 0.0
	if tr.Outcome == reports.OutcomeCompleted {
		up = 1
	}
	m.up.WithLabelValues(name).Set(up)
	if ctx.Err() != nil {
		// The monitor is stopping: a run it cancelled is not a result.
		m.printf(m.app.Stderr, "  [%s] run %d cancelled: %v\n", name, n, context.Cause(ctx))
		return
	}
	run := metrics.Run{Target: name, Report: report.TargetAsReport(tr), Finished: time.Now()}
	m.mu.Lock()
	m.latest[name] = run
	m.mu.Unlock()
	if !m.opts.run.quiet {
		s := tr.Summary
		line := fmt.Sprintf("  [%s] run %d: %d cases in %s: %d passed, %d failed, %d warned, %d skipped, %d errored (%s)", name, n, s.Total,
			elapsed.Round(time.Millisecond), s.Passed, s.Failed, s.Warned, s.Skipped, s.Errored, outcome)
		if tr.Reason != "" {
			line += ": " + reports.Printable(tr.Reason)
		}
		m.printf(m.app.Stdout, "%s\n", line)
	}
	if err := m.export(runCtx, run); err != nil {
		m.exportFailures.WithLabelValues(name).Inc()
		m.printf(m.app.Stderr, "errconform: [%s] run %d: %v\n", name, n, err)
	}
}

// export writes --metrics (every target's latest run) and pushes the run
// to --pushgateway, when given, within the run's context.
func (m *monitorState) export(runCtx context.Context, run metrics.Run) error {
	o := m.fl.opts
	var errs []error
	if o.metrics != "" {
		// One writer at a time: two runs ending together must not
		// interleave their renames.
		m.mu.Lock()
		reg, err := metrics.Registry(m.latestLocked())
		if err == nil {
			err = metrics.WriteTextfile(o.metrics, reg)
		}
		m.mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("--metrics: %w", err))
		}
	}
	if o.pushgateway != "" {
		// Within the run's --deadline (runCtx), like every network step.
		if err := pushMetrics(runCtx, o.pushgateway, []metrics.Run{run}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
