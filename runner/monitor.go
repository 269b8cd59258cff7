package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/net/netutil"

	"github.com/errconform/errconform/metrics"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// errconform monitor: the fleet (or the one target) run on a schedule,
// its latest results served on /metrics for Prometheus to scrape, as
// blackbox_exporter serves its probes. Each run of a target is a process
// of its own (monitorTick: the monitor's own command line again, told
// which target to run by monitorTickEnv), because Ginkgo, which decides
// every case's verdict, runs once per process: there the target runs as
// any run's does (runFleet with a plan of one: its own probe.Client, so
// its own rate cap, request budget and in-flight bound, and its own
// preflight) and its JSON report comes back on standard output.

// Monitor bounds and defaults.
const (
	// MinMonitorInterval is the shortest --interval accepted.
	MinMonitorInterval = time.Second
	// DefaultMonitorInterval and DefaultMonitorListen are monitor's
	// defaults: the example, and the port errconform's exporter
	// uses by convention.
	DefaultMonitorInterval = 5 * time.Minute
	DefaultMonitorListen   = "127.0.0.1:9464"
	// monitorShutdownWait bounds, once the in-flight runs are cancelled,
	// how long monitor waits for them to return, and then for the HTTP
	// server to close.
	monitorShutdownWait = time.Second

	// The listener's bounds: a client has monitorReadHeaderTimeout to send
	// its whole request, monitorWriteTimeout to take the answer (a scrape
	// is kilobytes), and an idle keep-alive connection is closed after
	// monitorIdleTimeout; at most monitorMaxConns connections are open at
	// once (the rest wait to be accepted), and a request's header is at
	// most monitorMaxHeaderBytes. A scraper every few seconds needs one.
	monitorReadHeaderTimeout = 5 * time.Second
	monitorWriteTimeout      = 30 * time.Second
	monitorIdleTimeout       = 60 * time.Second
	monitorMaxConns          = 64
	monitorMaxHeaderBytes    = 16 << 10
)

// monitorCutShort is the outcome label of a run that was cut short (its
// --deadline passed, or the monitor was stopped); the others are the
// fleet's target outcomes (reports.Outcome*).
const monitorCutShort = "cut_short"

// Names of monitor's own metrics.
const (
	MonitorRunsName           = "errconform_monitor_runs_total"
	MonitorSkippedTicksName   = "errconform_monitor_skipped_ticks_total"
	MonitorLastDurationName   = "errconform_monitor_last_run_duration_seconds"
	MonitorUpName             = "errconform_monitor_up"
	MonitorRunningName        = "errconform_monitor_running"
	MonitorExportFailuresName = "errconform_monitor_export_failures_total"
)

// monitorOutcomes are the values of errconform_monitor_runs_total's
// outcome label, all present from the start.
func monitorOutcomes() []string {
	return []string{reports.OutcomeCompleted, reports.OutcomeUnreachable, reports.OutcomeRejected, monitorCutShort}
}

const monitorLong = `monitor runs the fleet of the config's targets: list (or the one target) on a
schedule and serves the latest results on /metrics for Prometheus to scrape,
as blackbox_exporter serves its probes. It takes run's flags, except those that
write reports or narrow one run (--junit, --json, --html, --markdown, --ctrf,
--dry-run, --shard, --rerun-failed, --verbose) or compare it with a baseline
(--baseline, --fail-on): its results are its metrics.

The first round runs at start, then one every --interval (at least 1s). Each
run of a target is a complete run as run performs it: its preflight, its own
rate cap, request budget and in-flight bound, and --deadline; runs of one
target never overlap: a tick that finds the previous run of a target still
going is skipped and counted (errconform_monitor_skipped_ticks_total), and
the next run of a target starts no sooner than the rate cap allows after the
last request of the previous one. A target that is down does not stop the
monitor: its run counts its cases errored, its series show them, and the
others go on.

Served on --listen:
  /metrics  the metrics of the latest run of each target (the same series as
            run --metrics writes, metrics/README.md), and the monitor's own:
            errconform_monitor_runs_total{target,outcome}
            errconform_monitor_skipped_ticks_total{target}
            errconform_monitor_last_run_duration_seconds{target}
            errconform_monitor_up{target}       1: the last run reached the
                                                target and passed its preflight
            errconform_monitor_running{target}  1 while a run is in flight
            errconform_monitor_export_failures_total{target}
  /healthz  200 "ok" while the monitor runs

--metrics FILE rewrites the textfile after each run (every target's latest),
and --pushgateway URL pushes each run's metrics (grouped by target and
contract) as it completes; a failed export is printed and counted, and the
monitor goes on. A --listen address that cannot be bound exits 2 with the
reason. SIGINT or SIGTERM stops it: no new run starts, the runs in flight get
2s to finish and are then cancelled, the listener closes, and it exits 0.`

const monitorExample = `  # the embedded reference, every minute
  errconform monitor --target reference --interval 1m

  # a fleet, every 5 minutes, scraped by Prometheus at 127.0.0.1:9464/metrics
  errconform monitor --config fleet.yaml --interval 5m --listen 127.0.0.1:9464

  # two of its targets, gently, pushing each run to a Pushgateway as well
  errconform monitor --config fleet.yaml --target-filter 'eu-*' --max-rps 2 --pushgateway http://pushgateway:9091`

// monitorOptions are monitor's flags: its own, and the run flags it
// takes.
type monitorOptions struct {
	run      runOptions
	interval time.Duration
	listen   string
}

// runOnlyFlag reports whether a run flag has no meaning for monitor: the
// report files, and the flags that narrow or empty one run.
func runOnlyFlag(name string) bool { return slices.Contains(runOnlyFlags(), name) }

// runOnlyFlags are the run flags monitor refuses: every report format's
// (reports.Formats), and the flags that narrow or empty one run.
func runOnlyFlags() []string {
	return append(reportFlagNames(), "dry-run", "shard", "rerun-failed", "verbose", "baseline", "fail-on")
}

// monitorUsage rewords the help of the run flags whose meaning changes
// under monitor.
func monitorUsage(name string) string {
	switch name {
	case "deadline":
		return fmt.Sprintf("deadline for each run of a target (at least %s); when it passes, the run's unfinished cases are errored and it counts as cut short", MinDeadline)
	case "quiet":
		return "print nothing per run: only the first line, skipped ticks and errors"
	case "metrics":
		return "after each run, rewrite `FILE` with the Prometheus metrics of every target's latest run (text format, for node_exporter's textfile collector: a name ending in .prom)"
	case "pushgateway":
		return "after each run, push its Prometheus metrics to the Pushgateway at `URL`, grouped by target and contract"
	}
	return ""
}

// monitorCmd is errconform monitor.
func (a App) monitorCmd() *cobra.Command {
	var o monitorOptions
	cmd := &cobra.Command{
		Use:               "monitor [flags]",
		Short:             "Run the targets on a schedule and serve their latest results on /metrics for Prometheus",
		Long:              monitorLong,
		Example:           monitorExample,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ran(func(cmd *cobra.Command, _ []string) (int, error) {
			return a.monitor(cmd.Flags(), &o)
		}),
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.DurationVar(&o.interval, "interval", DefaultMonitorInterval, fmt.Sprintf("run every target once per `DURATION` (at least %s); the first round runs at start", MinMonitorInterval))
	fs.StringVar(&o.listen, "listen", DefaultMonitorListen, "serve /metrics and /healthz on `ADDRESS` (host:port; port 0 picks a free one, printed on the first line)")
	runs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	runs.SortFlags = false
	o.run.register(runs)
	runs.VisitAll(func(f *pflag.Flag) {
		if runOnlyFlag(f.Name) {
			return
		}
		if usage := monitorUsage(f.Name); usage != "" {
			f.Usage = usage
		}
		fs.AddFlag(f)
	})
	bindEnv(fs)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		for _, name := range runOnlyFlags() {
			if strings.Contains(err.Error(), "--"+name) {
				return fmt.Errorf("%w: monitor does not take --%s: its results are served on /metrics (and written by --metrics, pushed by --pushgateway); errconform run writes reports", err, name)
			}
		}
		return c.Root().FlagErrorFunc()(c, err) // the suggestions every command gives
	})
	completeRunFlags(cmd, suites.Catalogue)
	return cmd
}

// monitor is errconform monitor: fs holds the parsed flags, op the values
// they were parsed into (the environment fills in the rest here).
func (a App) monitor(fs *pflag.FlagSet, op *monitorOptions) (int, error) {
	fromCommandLine := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { fromCommandLine[f.Name] = true })
	fl, err := a.resolveFleet(fs, &op.run) // applies the ERRCONFORM_ variables to every flag, monitor's own too
	if err != nil {
		return ExitUsage, err
	}
	defer fl.stop()
	if name, ok := a.LookupEnv(monitorTickEnv); ok {
		return a.monitorTick(fl, name)
	}
	// A baseline in the config file would be ignored: monitor's results
	// are its metrics, compared with nothing. Refused like the flags.
	for _, m := range fl.members {
		if m.cfg.Baseline.IsSet() || (m.cfg.FailOn != "" && m.cfg.FailOn != "any") {
			return ExitUsage, usagef("%s: baseline: and fail_on: are for run and explore; monitor compares no baseline (its results are its metrics): remove them from the config monitor reads", configText(fl.opts.configFile, false))
		}
	}
	o := *op
	from := func(name string) string {
		if fromCommandLine[name] {
			return "--" + name
		}
		return EnvName(name) + " (--" + name + ")"
	}
	if o.interval < MinMonitorInterval {
		return ExitUsage, usagef("%s %s: must be at least %s", from("interval"), o.interval, MinMonitorInterval)
	}
	if strings.TrimSpace(o.listen) == "" {
		return ExitUsage, usagef("%s is empty: give an address such as %s", from("listen"), DefaultMonitorListen)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return ExitUsage, usagef("%s %s: cannot listen: %v", from("listen"), o.listen, err)
	}
	defer ln.Close()

	redactor := fleetRedactor(fl)
	stdout, stderr := reports.NewRedactingWriter(a.Stdout, redactor), reports.NewRedactingWriter(a.Stderr, redactor)
	defer stdout.Close()
	defer stderr.Close()
	a.Stdout, a.Stderr = stdout, stderr

	m := newMonitor(a, fl, o)
	for _, t := range m.plan {
		if t.res.cfg.TLS.Insecure {
			fmt.Fprintf(a.Stderr, "errconform: WARNING: target %s: --insecure: its TLS certificate is NOT verified\n", t.name())
		}
	}
	fmt.Fprintf(a.Stdout, "errconform %s: monitoring %d targets every %s, serving http://%s/metrics (%s): %s\n", ToolVersion(), len(m.plan), o.interval,
		ln.Addr(), configText(fl.opts.configFile, len(fl.members) == 1 && fl.members[0].embedded), fleetTargetsText(m.plan))

	srv := &http.Server{Handler: m.handler(), ReadHeaderTimeout: monitorReadHeaderTimeout, ReadTimeout: monitorReadHeaderTimeout,
		WriteTimeout: monitorWriteTimeout, IdleTimeout: monitorIdleTimeout, MaxHeaderBytes: monitorMaxHeaderBytes}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(netutil.LimitListener(ln, monitorMaxConns)) }()

	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	runs, cancelRuns := context.WithCancelCause(context.Background())
	defer cancelRuns(nil)

	ticker := time.NewTicker(o.interval)
	defer ticker.Stop()
	m.round(runs)
	var serveErr error
	var sig os.Signal
loop:
	for {
		select {
		case sig = <-signals:
			break loop
		case err := <-served:
			serveErr = err
			break loop
		case <-ticker.C:
			m.round(runs)
		}
	}
	ticker.Stop()
	stopped := "the monitor stopped"
	if sig != nil {
		stopped = fmt.Sprintf("the monitor was stopped (%s)", signalName(sig))
		fmt.Fprintf(a.Stderr, "errconform: %s: no new run starts; waiting at most %s for the runs in flight\n", stopped, CutShortGrace)
	}
	// The runs in flight get CutShortGrace to finish (a second signal cuts
	// it short), then are cancelled and get monitorShutdownWait to return.
	if !m.wait(CutShortGrace, signals) {
		cancelRuns(errors.New(stopped))
		if !m.wait(monitorShutdownWait, nil) {
			fmt.Fprintf(a.Stderr, "errconform: runs still in flight after cancelling them: exiting without them\n")
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), monitorShutdownWait)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		_ = srv.Close()
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return ExitFailed, fmt.Errorf("monitor: serving %s: %w", ln.Addr(), serveErr)
	}
	return ExitOK, nil
}

// monitorState is one monitor's state: the targets it runs, what their
// latest runs found, and its own metrics. Built per invocation, never
// global.
type monitorState struct {
	app  App
	fl   fleetResolution
	opts monitorOptions
	// plan are the targets, as planFleet gives them: each run starts
	// from a fresh copy of its target.
	plan []*targetRun

	mu sync.Mutex
	// latest is each target's latest published run, by target name.
	latest map[string]metrics.Run
	// running marks the targets with a run in flight; lastEnd is when
	// the previous run of each target ended.
	running map[string]bool
	lastEnd map[string]time.Time
	count   map[string]int
	wg      sync.WaitGroup
	// printMu orders the lines runs print.
	printMu sync.Mutex

	own                            *prometheus.Registry
	runs, skipped, exportFailures  *prometheus.CounterVec
	lastDuration, up, runningGauge *prometheus.GaugeVec
}

// newMonitor builds a monitor's state and its own metrics, every series
// present from the start (at 0).
func newMonitor(a App, fl fleetResolution, o monitorOptions) *monitorState {
	fl.opts.quiet = true // a run prints no case lines: the monitor prints one line per run
	m := &monitorState{app: a, fl: fl, opts: o, plan: planFleet(fl), latest: map[string]metrics.Run{},
		running: map[string]bool{}, lastEnd: map[string]time.Time{}, count: map[string]int{}, own: prometheus.NewRegistry()}
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: MonitorRunsName,
		Help: "Runs of the target the monitor completed, by outcome (completed, unreachable, rejected, cut_short)."}, []string{"target", "outcome"})
	m.skipped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: MonitorSkippedTicksName,
		Help: "Ticks that started no run of the target because its previous run was still going."}, []string{"target"})
	m.exportFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: MonitorExportFailuresName,
		Help: "Runs of the target whose --metrics write or --pushgateway push failed."}, []string{"target"})
	m.lastDuration = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MonitorLastDurationName,
		Help: "Duration of the target's last run in seconds."}, []string{"target"})
	m.up = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MonitorUpName,
		Help: "1 when the target's last run reached it and passed its preflight (outcome completed), else 0."}, []string{"target"})
	m.runningGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MonitorRunningName,
		Help: "1 while a run of the target is in flight, else 0."}, []string{"target"})
	m.own.MustRegister(m.runs, m.skipped, m.exportFailures, m.lastDuration, m.up, m.runningGauge)
	for _, t := range m.plan {
		for _, outcome := range monitorOutcomes() {
			m.runs.WithLabelValues(t.name(), outcome)
		}
		m.skipped.WithLabelValues(t.name())
		m.exportFailures.WithLabelValues(t.name())
		m.lastDuration.WithLabelValues(t.name())
		m.up.WithLabelValues(t.name())
		m.runningGauge.WithLabelValues(t.name())
	}
	return m
}

// handler serves /metrics (the latest runs' metrics and the monitor's
// own) and /healthz.
func (m *monitorState) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		reg, err := metrics.Registry(m.latestRuns())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		promhttp.HandlerFor(prometheus.Gatherers{reg, m.own}, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}).ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// latestRuns returns the latest published run of each target, in the
// plan's order. Safe to call concurrently (every scrape does).
func (m *monitorState) latestRuns() []metrics.Run {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latestLocked()
}

// round starts a run of every target whose previous run has ended, and
// counts a skipped tick for every other one.
func (m *monitorState) round(ctx context.Context) {
	for _, t := range m.plan {
		name := t.name()
		m.mu.Lock()
		if m.running[name] {
			m.mu.Unlock()
			m.skipped.WithLabelValues(name).Inc()
			m.printf(m.app.Stdout, "  [%s] tick skipped: its previous run is still going\n", name)
			continue
		}
		m.running[name] = true
		m.count[name]++
		n, lastEnd := m.count[name], m.lastEnd[name]
		m.wg.Add(1)
		m.mu.Unlock()
		m.runningGauge.WithLabelValues(name).Set(1)
		go m.runOne(ctx, t, n, lastEnd)
	}
}

// latestLocked is latestRuns with m.mu held.
func (m *monitorState) latestLocked() []metrics.Run {
	var out []metrics.Run
	for _, t := range m.plan {
		if r, ok := m.latest[t.name()]; ok {
			out = append(out, r)
		}
	}
	return out
}

// wait waits at most d for the runs in flight to end, or until a signal
// arrives on signals (nil: none); it reports whether they all ended.
func (m *monitorState) wait(d time.Duration, signals <-chan os.Signal) bool {
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
	case <-signals:
	}
	return false
}

// printf prints a line, one writer at a time.
func (m *monitorState) printf(w io.Writer, format string, args ...any) {
	m.printMu.Lock()
	defer m.printMu.Unlock()
	fmt.Fprintf(w, format, args...)
}
