package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// Traffic defaults. A remote target gets a modest rate; a target on
// loopback (the embedded reference, errconform serve) gets none.
const (
	DefaultMaxRPS      = config.DefaultMaxRPS
	DefaultConcurrency = config.DefaultConcurrency
)

// MinDeadline is the shortest --deadline accepted: anything shorter leaves
// no time for a case to run.
const MinDeadline = time.Second

// CutShortGrace bounds how long a run goes on after it is interrupted
// (SIGINT, SIGTERM): the cases in flight are cancelled, recorded as
// errored, and every report is written from what is known (compact when
// time runs short), all within CutShortGrace. A run's --deadline keeps
// its last reportReserve for the reports, which are written before it.
const CutShortGrace = 2 * time.Second

// runOptions are the run command's flags.
type runOptions struct {
	configFile, target, contract                       string
	labelFilter, require, waivers, caCert, rerunFailed string
	// reports maps each report format's flag (reports.Formats) to the
	// path it was given.
	reports map[string]string
	// targetFilter chooses among a config's targets (globs); shard is
	// "i/n"; metrics and pushgateway say where the run's metrics go.
	targetFilter, shard, metrics, pushgateway string
	// name names a single target (--name); tags are --tag's k=v pairs.
	name string
	// baseline is --baseline's report; failOn is --fail-on (both resolved
	// per target by config.Resolve: baseline:, fail_on:).
	baseline, failOn                         string
	tags                                     map[string]string
	cases                                    []string
	strict, quiet, verbose, dryRun, insecure bool
	// explore adds the explore variants to the catalogue's cases (run
	// --explore); exploreOnly runs them instead (errconform explore),
	// with the positive controls.
	explore, exploreOnly              bool
	deadline, timeout, gatewayTimeout time.Duration
	maxRPS                            float64
	maxRequests, maxBody              int64
	concurrency                       int
	// contracts memoizes the contracts loaded while resolving (not a flag).
	contracts contractMemo
}

// register declares run's flags, in the order its help lists them. A
// back-quoted word names the flag's value in the help.
func (o *runOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.target, "target", "", "base `URL` of the API under test, ending in /v1 (e.g. https://staging.example.com/v1), or \"reference\" for the embedded reference; the key comes from ERRCONFORM_API_KEY")
	fs.StringVar(&o.configFile, "config", "", "read the config from `FILE` (YAML); default: errconform.yaml or .errconform.yaml in the working directory or the nearest parent up to the repository root, if present")
	fs.StringVar(&o.contract, "contract", "", "judge the target by this error `CONTRACT`: a built-in name ("+strings.Join(spec.BuiltinNames(), ", ")+") or a contract file (overrides contract: in the config; default "+spec.DefaultContract+")")
	fs.StringVar(&o.labelFilter, "label-filter", "", "run only the cases whose labels match `EXPR`, a Ginkgo label expression such as 'status:401 && !slow' (errconform list --format json shows every case's labels)")
	fs.StringSliceVar(&o.cases, "case", nil, "run only the case with this `ID`, or the cases whose IDs match it as a glob (path.Match: * does not cross /); repeatable or comma-separated")
	fs.StringVar(&o.rerunFailed, "rerun-failed", "", "run only the failed and errored cases of an earlier JSON `REPORT` (--json): a partial run, for triage, never a gate; one without any: say so, send nothing, exit 2")
	fs.StringVar(&o.targetFilter, "target-filter", "", "run only the targets of the config's targets: list whose names match `GLOB` (path.Match; comma-separated globs match any); one matching none exits 2")
	fs.StringVar(&o.shard, "shard", "", "run only shard `I/N` (0 <= I < N) of the (target, case) pairs, for a CI matrix or an Indexed Job; errconform merge combines the shards' --json reports into what one run would have written")
	fs.BoolVar(&o.explore, "explore", false, "add the explore variants (every selected field of the request schema broken one constraint at a time; explore: in the config) to the catalogue's cases")
	fs.StringVar(&o.require, "require", "", "the fixture `KEYS` (comma-separated, or all) whose absence fails the cases that need them instead of skipping them")
	fs.BoolVar(&o.strict, "strict", false, "fail on SHOULD findings (warnings) too")
	fs.StringVar(&o.baseline, "baseline", "", "classify every finding against a `BASELINE`: the JSON report of an earlier run (--json; of the release in production), or a URL (the upstream behind a gateway) or reference that this run sends every selected case to as well, with the target's key and fixtures (baseline: in the config gives it its own): new, inherited (the baseline fails the same way, volatile ids aside) or fixed; a fleet's targets are compared with the report's targets of the same names (overrides baseline: in the config)")
	fs.StringVar(&o.failOn, "fail-on", "", "fail the gate on `WHICH` failures: any (the default), or only new ones (new: a case whose failing findings are all inherited from --baseline is reported, not failed on; overrides fail_on: in the config)")
	fs.StringVar(&o.waivers, "waivers", "", "read waived cases (case, reason, expires) from the YAML `FILE`")
	o.reports = registerReportFlags(fs, false)
	fs.StringVar(&o.metrics, "metrics", "", "write the run's Prometheus metrics to `FILE` (text format, for node_exporter's textfile collector: a name ending in .prom)")
	fs.StringVar(&o.pushgateway, "pushgateway", "", "push the run's Prometheus metrics to the Pushgateway at `URL`, grouped by target and contract")
	fs.StringVar(&o.name, "name", "", "`NAME` the target in every report and metric: the metrics' target label, the Pushgateway's grouping key, the JUnit suite (label-safe: letters, digits, '.', '_', '-'; overrides target.name; default: the base URL's host[:port], \"reference\" for the embedded reference; a targets: list names its own)")
	fs.StringToStringVar(&o.tags, "tag", nil, "tag the run with `KEY=VALUE` in every report and metric (a label of every series and of the Pushgateway's grouping key; repeatable or comma-separated; wins over tags: in the config, key by key)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the config file used and the summary")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "print each exchange (redacted)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print every request that would be sent (redacted) and send none")
	fs.DurationVar(&o.deadline, "deadline", 30*time.Minute, fmt.Sprintf("deadline for the whole run, report writing included (at least %s): the cases stop early enough (a tenth of it, at most 10s, more for a large fleet) for the reports to be written within it from what is known; unfinished cases are errored, and the run exits 1", MinDeadline))
	fs.DurationVar(&o.timeout, "timeout", 0, "per-request timeout, positive (overrides target.timeout; default 40s)")
	fs.DurationVar(&o.gatewayTimeout, "gateway-timeout", 0, "the gateway timeout for the 504 rule, positive (overrides target.gateway_timeout; default: the contract's, else 30s)")
	fs.Float64Var(&o.maxRPS, "max-rps", 0, fmt.Sprintf("cap on requests per second, a finite number (default %d for a remote target, none on loopback; 0 given explicitly: none)", DefaultMaxRPS))
	fs.Int64Var(&o.maxRequests, "max-requests", 0, "cap on the total number of requests (default: what the selected cases need at most)")
	fs.IntVar(&o.concurrency, "concurrency", 0, fmt.Sprintf("cases in flight at once (default %d)", DefaultConcurrency))
	fs.Int64Var(&o.maxBody, "max-body", 0, "read at most `BYTES` of each response body; the rest is discarded (default 1 MiB)")
	fs.StringVar(&o.caCert, "ca-cert", "", "trust the extra CA in this PEM `FILE`")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify the target's TLS certificate (prints a warning)")
}

// run is errconform run: fs holds the parsed flags, op the values they
// were parsed into (the environment fills in the rest here).
func (a App) run(fs *pflag.FlagSet, op *runOptions) (int, error) {
	invoked := time.Now()
	// A signal is caught from the start (resolving a fleet of hundreds of
	// targets takes a moment): one that arrives before the run begins
	// ends it at once, with its reports.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	fl, err := a.resolveFleet(fs, op)
	var none nothingToRerun
	if errors.As(err, &none) {
		// A re-run that sends nothing proves nothing: it is never green.
		fmt.Fprintf(a.Stderr, "errconform: PARTIAL RUN: --rerun-failed %s has no failed or errored case: nothing to re-run; nothing was sent and no report written: exit %d (a gate runs the full suite)\n",
			reports.Printable(none.report), ExitUsage)
		return ExitUsage, nil
	}
	if err != nil {
		return ExitUsage, err // the exit code follows the error: 2 for a usage or config error
	}
	defer fl.stop()
	return a.runCommand(fl, invoked, signals)
}

// reportTarget is a run's target as a JSON report records it.
type reportTarget struct {
	baseURL  string
	embedded bool
}

// same reports whether a report was written against this target: the
// embedded reference (whose port changes every run), or the same base URL.
func (t reportTarget) same(info reports.TargetInfo) bool {
	if t.embedded || info.Embedded {
		return t.embedded == info.Embedded
	}
	return config.SameBaseURL(t.baseURL, info.BaseURL)
}

func (t reportTarget) String() string {
	if t.embedded {
		return "the embedded reference"
	}
	return config.WithoutUserinfo(t.baseURL)
}

// failedIn reads an earlier JSON report and returns its failed and
// errored case IDs, or nothingToRerun (selectCases refuses an ID this
// errconform does not know: the report comes from another version).
func failedIn(reportPath string, target reportTarget) (map[string]bool, error) {
	rep, err := reports.ReadJSON(reportPath)
	if err != nil {
		return nil, usagef("--rerun-failed: %v", err)
	}
	// Any schema version: a version 1 or 2 report is a fleet of one.
	rep = reports.AsFleet(rep)
	failed := map[string]bool{}
	matched := false
	for _, t := range rep.Targets {
		if !target.same(t.Target) {
			continue
		}
		matched = true
		for _, c := range t.Cases {
			if c.Verdict == check.Failed || c.Verdict == check.Errored {
				failed[c.ID] = true
			}
		}
	}
	if !matched {
		// A report's failures re-run against another target would pass
		// for the wrong reason, or find nothing to re-run.
		var against []string
		for _, t := range rep.Targets {
			against = append(against, t.Target.String())
		}
		return nil, usagef("--rerun-failed %s was written against %s, but this run's target is %s: re-run against the same target",
			reportPath, reports.Printable(strings.Join(against, ", ")), reports.Printable(target.String()))
	}
	if len(failed) == 0 {
		return nil, nothingToRerun{reportPath}
	}
	return failed, nil
}

// stdoutReport returns the report format whose path is "-", written to
// standard output; at most one can be.
func stdoutReport(o runOptions) (string, error) {
	paths := o.reportPaths()
	var names []string
	for _, f := range reports.Formats() {
		if paths[f.Name] == "-" {
			names = append(names, "--"+f.Name)
		}
	}
	switch len(names) {
	case 0:
		return "", nil
	case 1:
		return names[0], nil
	}
	return "", usagef("%s: only one report can go to standard output (-)", strings.Join(names, " and "))
}

// runContext is the run's context: done at the deadline, or at the first
// SIGINT or SIGTERM on signals (signal.Notify'd by the caller, since the
// command began), with the reason as its cause. stop releases the signal
// handler.
func runContext(deadline time.Time, d time.Duration, signals chan os.Signal) (ctx context.Context, stop func()) {
	interrupted, cancel := context.WithCancelCause(context.Background())
	ctx, cancelDeadline := context.WithDeadlineCause(interrupted, deadline, fmt.Errorf("the run's --deadline (%s) passed", d))
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-signals:
			cancel(interruptedBy{sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		cancelDeadline()
		cancel(nil)
	}
}

// interruptedBy is the cause of a run stopped by a signal.
type interruptedBy struct{ sig os.Signal }

func (i interruptedBy) Error() string {
	return fmt.Sprintf("the run was interrupted (%s)", signalName(i.sig))
}

// signalExit is a run's outcome once its reports are written: when a
// signal stopped it, 128 plus the signal's number (130 for SIGINT, 143
// for SIGTERM), as shells and CI runners expect of an interrupted
// command, whatever the cases' verdicts; else code and err as they are.
func signalExit(ctx context.Context, code int, err error) (int, error) {
	var in interruptedBy
	if !errors.As(context.Cause(ctx), &in) {
		return code, err
	}
	sig, ok := in.sig.(syscall.Signal)
	if !ok {
		return code, err
	}
	code = 128 + int(sig)
	if err != nil {
		err = exitError{code: code, err: err}
	}
	return code, err
}

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// printQuietFirstLine is a --quiet run's one line before its summary:
// which config file it used.
func printQuietFirstLine(w io.Writer, o runOptions, embedded bool) {
	fmt.Fprintf(w, "errconform: %s\n", configText(o.configFile, embedded))
}

// configText names the config file a run used, for its first line.
func configText(file string, embedded bool) string {
	switch {
	case file != "":
		return "config " + file
	case embedded:
		return "no config file: the embedded reference's own"
	}
	return "no config file"
}

// targetHeaders is target.headers as an http.Header.
func targetHeaders(cfg config.Config) http.Header {
	h := http.Header{}
	for name, value := range cfg.Target.Headers {
		h.Set(name, value)
	}
	return h
}

// unreachable counts the cases that errored because no connection could be
// made at all.
func unreachable(results []suites.Result) int {
	n := 0
	for _, r := range results {
		if ex, ok := r.Judged(); ok && r.Verdict == check.Errored && ex.Failure == probe.FailureUnreachable {
			n++
		}
	}
	return n
}

// keptResult is what a run keeps of a finished case until its end: all of
// it when a report is written, else the evidence of a failure only (the
// summary, failure groups and metrics need no more), and of each answer's
// body only what the reports show (reports.EvidenceBodyBytes). A run's
// memory then grows with its failures, not with its cases, and never with
// what the target sends.
func keptResult(o runOptions, r suites.Result) suites.Result {
	if writesReportFile(o) || r.KeepsEvidence() {
		return r.WithBodiesCut(reports.EvidenceBodyBytes, nil)
	}
	return r.WithoutEvidence()
}
