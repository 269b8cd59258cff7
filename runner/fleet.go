package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// A fleet run: the targets of a config's targets: list (or one target,
// sharded) run concurrently, each with its own probe.Client (its own rate
// cap, request budget and in-flight bound), its own preflight and its own
// results; one report holds them all. It does not go through Ginkgo,
// which runs once per process: a fleet's JUnit report is rendered from the
// results (one testsuite per target), as errconform merge renders it.

// fleetTarget is one target of a fleet run: its resolution, the cases
// this run (or shard) performs, and what came back.
type fleetTarget struct {
	res resolution
	// all are the target's selected cases, unsharded; run those of them
	// this shard performs.
	all, run []suites.Case
	// progress numbers the fleet's case lines, one count over every
	// target (nil: unnumbered).
	progress *progress
	// outcome, reason: how the target's run ended (reports.Outcome*).
	outcome, reason string
	code            int
	results         []suites.Result
	started         time.Time
	elapsed         time.Duration
	sent            int64
	redactor        *redact.Redactor
	// notTestable and broke are what the controls found of the target
	// (reports.Run's NotTestable and TargetBroke).
	notTestable, broke *reports.Problem
}

// name is the target's name: its name in the targets: list, else
// metrics' default.
func (t *fleetTarget) name() string {
	if t.res.name != "" {
		return t.res.name
	}
	return "default"
}

// fleetOutcome is what a fleet run produced, for the reports, the metrics
// and the exit code.
type fleetOutcome struct {
	report  reports.JSONReport
	targets []*fleetTarget
	code    int
}

// planFleet narrows each target's selection to the shard's cases; a
// target with no case in the shard is left out.
func planFleet(fl fleetResolution) []*fleetTarget {
	var targets []*fleetTarget
	names := make([]string, len(fl.members))
	selected := make([][]suites.Case, len(fl.members))
	for i, m := range fl.members {
		// A fleet's shards need each target's cases in hand: its variants
		// are made and kept.
		names[i], selected[i] = m.name, m.selected.cases()
	}
	var keep []map[string]bool
	if fl.shard.count > 0 {
		keep = shardSelect(fl.shard, names, selected)
	}
	for i, m := range fl.members {
		t := &fleetTarget{res: m, all: selected[i]}
		for _, c := range selected[i] {
			if keep == nil || keep[i][c.ID] {
				t.run = append(t.run, c)
			}
		}
		if len(t.run) > 0 {
			targets = append(targets, t)
		}
	}
	// By name: the reports list the targets so, whatever order the file
	// gives them, and merged shards list them the same way.
	sort.SliceStable(targets, func(i, j int) bool { return targets[i].name() < targets[j].name() })
	return targets
}

// fleetRedactor redacts every target's secrets: the terminal and the
// reports of a fleet carry them all.
func fleetRedactor(fl fleetResolution) *redact.Redactor {
	var secrets []string
	for _, m := range fl.members {
		secrets = append(secrets, m.cfg.Secrets()...)
	}
	return redact.New(secrets...)
}

// runFleet runs every target of plan concurrently within ctx and returns
// the fleet's report and exit code: the worst over the targets, where 0 <
// 1 < 3 (a target that is not testable, its key or model rejected among
// the causes, has its cases errored: 3).
func (a App) runFleet(ctx context.Context, fl fleetResolution, plan []*fleetTarget, out io.Writer) fleetOutcome {
	var wg sync.WaitGroup
	var printMu sync.Mutex
	redactor := fleetRedactor(fl)
	parts := make([]reports.TargetReport, len(plan))
	total := 0
	for _, t := range plan {
		total += len(t.run)
	}
	counted := newProgress(total, 0)
	for i, t := range plan {
		t.progress = counted
		wg.Add(1)
		go func(i int, t *fleetTarget) {
			defer wg.Done()
			a.runTarget(ctx, fl.opts, t, out, &printMu)
			// The target's part of the report is built as it finishes,
			// while the others still run, and redacted then, once, with
			// every target's secrets (the reports' redaction boundary for
			// a fleet: its formats render from these parts alone), keeping
			// the credentials errconform crafted for it.
			ft := t.fleetTarget(fl.opts)
			// Cut short, the reports will be written compact: the part is
			// made so now, while the others still finish.
			ft.Run.Compact = ctx.Err() != nil
			part := reports.TargetPart(ft)
			if ft.Run.Compact {
				part = part.Compact()
			}
			redactor.Walk(&part, reports.Run{Results: t.results, SecretEnv: t.res.cfg.SecretEnv()}.CraftedCredentials()...)
			parts[i] = part
		}(i, t)
	}
	wg.Wait()
	code := ExitOK
	for _, t := range plan {
		if fleetRank(t.code) > fleetRank(code) {
			code = t.code
		}
	}
	var shard *reports.ShardInfo
	if fl.shard.count > 0 {
		shard = &reports.ShardInfo{Index: fl.shard.index, Count: fl.shard.count}
	}
	return fleetOutcome{report: reports.AssembleFleet(ToolVersion(), parts, shard), targets: plan, code: code}
}

// fleetTarget is what the report says of a target once it has run.
func (t *fleetTarget) fleetTarget(o runOptions) reports.FleetTarget {
	ids := make([]string, len(t.all))
	for i, c := range t.all {
		ids[i] = c.ID
	}
	cfg := t.res.cfg
	run := reports.Run{ToolVersion: ToolVersion(), ContractName: t.res.contract.Name, ContractVersion: t.res.contract.Version,
		ContractDigest: t.res.contract.Digest(), BaseURL: cfg.Target.BaseURL, Embedded: t.res.embedded, Started: t.started, Duration: t.elapsed,
		Results: t.results, Redactor: t.redactor, SecretEnv: cfg.SecretEnv(), FailureEvidenceOnly: !writesReportFile(o),
		Settings: reportSettings(t.name(), o, cfg, t.res.waivers), NotTestable: t.notTestable, TargetBroke: t.broke}
	return reports.FleetTarget{Name: t.name(), Outcome: t.outcome, Reason: t.reason, Run: run, Selected: ids}
}

// writesReportFile reports whether the run writes any report (a file or
// standard output): only then does each case's evidence go into it.
func writesReportFile(o runOptions) bool {
	return o.json != "" || o.junit != "" || o.html != "" || o.markdown != "" || o.ctrf != ""
}

// fleetRank orders exit codes by how bad they are for a fleet: 0 < 1 < 3.
func fleetRank(code int) int {
	switch code {
	case ExitOK:
		return 0
	case ExitFailed:
		return 1
	case ExitUnreachable:
		return 3
	}
	return 2
}

// runTarget runs one target of a fleet: its preflight, then its cases
// (those that need not run alone concurrently, then those that do, one
// at a time), under its own client, then the controls again. A target
// that is not testable (runControls) has every case errored with the
// cause; the other targets go on.
func (a App) runTarget(ctx context.Context, o runOptions, t *fleetTarget, out io.Writer, printMu *sync.Mutex) {
	cfg := t.res.cfg
	t.redactor = redact.New(cfg.Secrets()...)
	t.started = time.Now()
	t.outcome = reports.OutcomeCompleted
	defer func() { t.elapsed = time.Since(t.started) }()
	s := &session{app: a, opts: o, cfg: cfg, selected: heldCases(t.run), waivers: t.res.waivers, explored: newVariantResults(0, true)}
	results := map[string]suites.Result{}
	finish := func(r suites.Result) suites.Result {
		w, ok := s.waivers[r.Case.ID]
		r = suites.ApplyWaiver(r, w, ok, time.Now())
		if !o.quiet {
			printMu.Lock()
			printFleetCaseLine(out, t.name(), t.progress.tick(), r)
			printMu.Unlock()
		}
		return keptResult(o, r)
	}
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std(), TLS: t.res.tls,
		MaxRPS: cfg.Limits.MaxRPS, MaxRequests: s.budget(), Concurrency: cfg.Limits.Concurrency, MaxBody: cfg.Limits.MaxBodyBytes,
		Header: targetHeaders(cfg)})
	if err != nil {
		t.fail(&reports.Problem{Cause: reports.CauseUnreachable, Reason: fmt.Sprintf("the client for %s cannot be made: %v", cfg.Target.BaseURL, err)}, nil)
		return
	}
	defer client.Close()
	defer func() { t.sent = client.Sent() }()
	target := suites.Target{Config: cfg, Contract: t.res.contract, Client: client, Redactor: t.redactor, Detectors: &redact.Cache{}}

	var controls []suites.Result
	var problem *reports.Problem
	if ctx.Err() == nil { // else cut short before it began: every case is unfinished
		controls, problem = runControls(ctx, controlCases(t.run), target, cfg)
	}
	if problem != nil {
		t.fail(problem, controls)
		t.printAll(o, out, printMu)
		return
	}
	for _, r := range controls {
		results[r.Case.ID] = finish(r)
	}
	var batch, alone []suites.Case
	for _, c := range t.run {
		switch {
		case c.Control:
		case c.Alone:
			alone = append(alone, c)
		default:
			batch = append(batch, c)
		}
	}
	var resultsMu sync.Mutex
	suites.ExecuteEach(ctx, batch, target, cfg.Strict, func(r suites.Result) {
		r = finish(r)
		resultsMu.Lock()
		results[r.Case.ID] = r
		resultsMu.Unlock()
	})
	for _, c := range alone {
		if ctx.Err() != nil {
			break
		}
		results[c.ID] = finish(suites.Execute(ctx, c, target, cfg.Strict))
	}
	reason := "not completed: the run's --deadline passed or it was interrupted"
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		reason = "not completed: " + cause.Error()
	}
	for _, c := range t.run {
		r, ok := results[c.ID]
		if !ok {
			d := check.Unfinished(reason)
			r = finish(suites.Result{Case: c, Verdict: d.Verdict, Skip: d.Skip, Reason: d.Reason})
		}
		t.results = append(t.results, r)
	}
	t.broke = endControls(ctx, controls, target, cfg)
	if t.broke != nil && !o.quiet {
		printMu.Lock()
		fmt.Fprintf(out, "  [%s] TARGET BROKE DURING THE RUN (%s): %s\n", t.name(), t.broke.Cause, reports.Printable(t.redactor.String(t.broke.Reason)))
		printMu.Unlock()
	}
	summary := reports.Summarize(t.results)
	t.code = runExitCode(summary, reports.Run{Results: t.results, TargetBroke: t.broke})
	if t.code == ExitOK && ctx.Err() != nil {
		t.code = ExitFailed
	}
	if t.code == ExitOK && o.shard == "" && summary.NothingJudged() {
		// A shard may hold no judgeable case; merge judges the whole run.
		t.code = ExitFailed
	}
}

// fail ends a target's run at its preflight: the target is not
// testable, and every case is errored with the one cause.
func (t *fleetTarget) fail(p *reports.Problem, controls []suites.Result) {
	t.outcome, t.reason, t.code, t.notTestable = outcomeOf(p), check.NotTestable(p.Reason).Reason, ExitUnreachable, p
	t.results = untestableResults(t.run, controls, p)
}

// printAll prints the lines of a target whose run ended at its preflight.
func (t *fleetTarget) printAll(o runOptions, out io.Writer, printMu *sync.Mutex) {
	if o.quiet {
		return
	}
	printMu.Lock()
	defer printMu.Unlock()
	fmt.Fprintf(out, "  [%s] %s\n", t.name(), t.reason)
	for _, r := range t.results {
		printFleetCaseLine(out, t.name(), t.progress.tick(), r)
	}
}

// printFleetCaseLine is printCaseLine with the target's name.
func printFleetCaseLine(w io.Writer, name string, counter string, r suites.Result) {
	var b strings.Builder
	printCaseLine(&b, counter, r)
	line := strings.TrimPrefix(b.String(), "  ")
	fmt.Fprintf(w, "  [%s] %s", name, line)
}

// fleetTargetsText lists a fleet's targets for its first line.
func fleetTargetsText(plan []*fleetTarget) string {
	var parts []string
	for _, t := range plan {
		where := config.WithoutUserinfo(t.res.cfg.Target.BaseURL)
		if t.res.embedded {
			where = "embedded reference"
		}
		parts = append(parts, fmt.Sprintf("%s (%s, contract %s, %d cases)", t.name(), where, t.res.contract.Label(), len(t.run)))
	}
	return strings.Join(parts, "; ")
}

// writeFleetReports writes every report asked for, rendered from the
// fleet's JSON report; the one whose path is "-" goes to stdout.
//
// ctx bounds the writing: once it is done (the run's --deadline passed, or
// it was interrupted) the reports still to be written, and the one being
// rendered, are written compact (reports.JSONReport.Compact: complete and
// valid, without most evidence, quick to render); compact reports whether
// any was.
func writeFleetReports(ctx context.Context, o runOptions, out fleetOutcome, redactor *redact.Redactor, stdout io.Writer) (compact bool, err error) {
	// runFleet redacted each target's part of the report as it finished.
	in := reports.Input{Run: reports.Run{Redactor: redactor}, Fleet: out.report, FleetRedacted: true}
	return writeFormatsWithin(ctx, o.reportPaths(), reports.FleetFormats(), in, stdout)
}

// withDone is in abandoned once done is closed.
func withDone(in reports.Input, done <-chan struct{}) reports.Input {
	in.Done = done
	return in
}

// writeFormatsWithin is writeFormats bounded by ctx (writeFleetReports):
// a format still rendering when ctx ends is rendered again compact (the
// first rendering is left to finish unseen), and so is every later one;
// the compact ones are rendered side by side, as many at once as the
// machine has processors (they are what a run out of time writes).
func writeFormatsWithin(ctx context.Context, paths map[string]string, formats []reports.Format, in reports.Input, stdout io.Writer) (compact bool, err error) {
	for _, f := range formats {
		if paths[f.Name] != "" {
			defer withGCPercent(reportGCPercent)()
			break
		}
	}
	var errs []error
	write := func(f reports.Format, text string, err error) error {
		path := paths[f.Name]
		switch {
		case err != nil:
			return err
		case path == "-":
			return f.WriteRenderedTo(stdout, text)
		default:
			return f.WriteRendered(path, text)
		}
	}
	var late []reports.Format // rendered compact
	for _, f := range formats {
		if paths[f.Name] == "" {
			continue
		}
		if compact || ctx.Err() != nil {
			compact = true
			late = append(late, f)
			continue
		}
		type rendering struct {
			text string
			err  error
		}
		done := make(chan rendering, 1)
		go func(in reports.Input) {
			text, err := f.Rendered(in)
			done <- rendering{text, err}
		}(withDone(in, ctx.Done()))
		select {
		case r := <-done:
			errs = append(errs, write(f, r.text, r.err))
		case <-ctx.Done():
			compact = true
			late = append(late, f)
		}
	}
	if compact {
		in.Fleet = in.Fleet.Compact()
		results := make([]error, len(late))
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		var wg sync.WaitGroup
		for i, f := range late {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				text, err := f.Rendered(in)
				results[i] = write(f, text, err)
			}()
		}
		wg.Wait()
		errs = append(errs, results...)
	}
	return compact, errors.Join(errs...)
}

// writeFormats writes each format whose path is given (a failed one does
// not stop the others).
//
// A report of a thousand explore variants is megabytes, and rendering it
// and redacting it as a whole holds a few copies of it at once, garbage a
// moment later; with the garbage collector's default headroom (the heap
// may double before it collects) that made the run's peak memory. While
// the reports are written the collector runs at a quarter of that
// headroom: measured on explore over every field deep writing all five
// reports, 56 MiB of peak RSS instead of 64, for 0.2 s more CPU.
func writeFormats(paths map[string]string, formats []reports.Format, in reports.Input, stdout io.Writer) error {
	_, err := writeFormatsWithin(context.Background(), paths, formats, in, stdout)
	return err
}

// reportGCPercent is the garbage collector's headroom while reports are
// written (GOGC's 100 is its default).
const reportGCPercent = 25

// withGCPercent lowers the garbage collector's headroom to percent, unless
// GOGC asks for less (or for no collection at all), and returns what
// restores it.
func withGCPercent(percent int) (restore func()) {
	old := debug.SetGCPercent(percent)
	if old < percent {
		debug.SetGCPercent(old) // GOGC's own choice is kept
	}
	return func() { debug.SetGCPercent(old) }
}

// printFleetSummary prints one line per target and the fleet's total.
func printFleetSummary(w io.Writer, out fleetOutcome, elapsed time.Duration) {
	fmt.Fprintln(w)
	for _, t := range out.report.Targets {
		s := t.Summary
		line := fmt.Sprintf("  %-24s %d cases, %s: %d passed, %d failed, %d warned, %d skipped, %d errored", t.Name, s.Total, s.JudgedText(), s.Passed, s.Failed, s.Warned, s.Skipped, s.Errored)
		if t.Outcome != reports.OutcomeCompleted {
			line += "  [" + t.Outcome + "]"
		}
		if t.TargetBroke != nil {
			line += "  [TARGET BROKE DURING THE RUN: " + t.TargetBroke.Cause + "]"
		}
		if s.NothingJudged() && t.NotTestable == nil {
			line += "  [nothing judged beyond the positive controls: not green]"
		}
		fmt.Fprintln(w, line)
	}
	s := out.report.Summary
	fmt.Fprintf(w, "%d targets, %d cases in %s, %s: %d passed, %d failed, %d warned, %d skipped, %d errored\n", len(out.report.Targets), s.Total,
		elapsed.Round(time.Millisecond), s.JudgedText(), s.Passed, s.Failed, s.Warned, s.Skipped, s.Errored)
	printWaived(w, out.report.WaivedFailures())
}
