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

	"github.com/errconform/errconform/reports"
)

// A monitor's runs: each run of a target is a child process, the
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
	if err := specsAgree(out.specs, out.report, fleetRedactor(fl)); err != nil {
		return ExitFailed, err
	}
	if err := json.NewEncoder(a.Stdout).Encode(out.report); err != nil {
		return ExitFailed, fmt.Errorf("the report to the monitor: %w", err)
	}
	return ExitOK, nil
}
