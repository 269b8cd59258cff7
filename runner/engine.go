package runner

import (
	"context"
	"fmt"
	"io"
	"runtime"
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

// The engine: every run (run, explore, a fleet, a shard, each tick of
// monitor) goes through it. A single target is a fleet of one. Each target
// has its own probe.Client (its own rate cap, request budget and in-flight
// bound), its own preflight (the positive controls), one phase plan (the
// cases that need not run alone, concurrently; then those that must, one
// at a time; then the controls again), one path for the cases a run cut
// short did not finish, and its own results. The targets run concurrently.
// It does not go through Ginkgo (docs/architecture.md says why).

// targetRun is one target of a run: its resolution, the cases this run
// (or shard) performs, and what came back.
type targetRun struct {
	res resolution
	// all lists the IDs of the target's selected cases, unsharded (nil:
	// list is the whole selection); list is what this run performs.
	all  []string
	list caseList
	// outcome, reason: how the target's run ended (reports.Outcome*).
	outcome, reason string
	code            int
	// results are every case's result in the list's order (of the
	// variants, what explored kept); explored keeps the variants'.
	results  []suites.Result
	explored *variantResults
	// notCompleted counts the cases the stop left unfinished, or
	// cancelled in flight.
	notCompleted int
	started      time.Time
	elapsed      time.Duration
	sent         int64
	redactor     *redact.Redactor
	// notTestable and broke are what the controls found of the target
	// (reports.Run's NotTestable and TargetBroke).
	notTestable, broke *reports.Problem
}

// name is the target's name: its name in the targets: list, else its
// --name, target.name, host[:port] or "reference" (config.TargetName).
func (t *targetRun) name() string { return t.res.name }

// summary counts every result of the target, the variants' it did not
// keep included.
func (t *targetRun) summary() reports.Summary {
	return reports.Summarize(t.results).Plus(t.explored.dropped)
}

// caseLines prints a run's case lines: numbered over every target
// (progress), prefixed with the target's name in a fleet, with each
// exchange under --verbose; none under --quiet.
type caseLines struct {
	mu       sync.Mutex
	w        io.Writer
	progress *progress
	// named prefixes each line with its target's name.
	named, quiet, verbose bool
}

// print prints r's line (and, under --verbose, its exchanges).
func (l *caseLines) print(t *targetRun, r suites.Result) {
	if l == nil || l.quiet {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.named {
		printFleetCaseLine(l.w, t.name(), l.progress.tick(), r)
	} else {
		l.progress.line(l.w, r)
	}
	if l.verbose {
		printExchanges(l.w, r, t.redactor)
	}
}

// printf prints a line of the run's, unless quiet.
func (l *caseLines) printf(format string, args ...any) {
	if l == nil || l.quiet {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}

// planFleet narrows each target's selection to the shard's cases; a
// target with no case in the shard is left out. Unsharded, each target
// keeps its selection as it is (explore's variants made as they are sent).
func planFleet(fl fleetResolution) []*targetRun {
	var targets []*targetRun
	if fl.shard.count == 0 {
		for _, m := range fl.members {
			targets = append(targets, &targetRun{res: m, list: m.selected})
		}
	} else {
		names := make([]string, len(fl.members))
		selected := make([][]suites.Case, len(fl.members))
		for i, m := range fl.members {
			// A shard needs each target's cases in hand: its variants are
			// made and kept.
			names[i], selected[i] = m.name, m.selected.cases()
		}
		keep := shardSelect(fl.shard, names, selected)
		for i, m := range fl.members {
			t := &targetRun{res: m, all: make([]string, len(selected[i]))}
			var run []suites.Case
			for k, c := range selected[i] {
				t.all[k] = c.ID
				if keep[i][c.ID] {
					run = append(run, c)
				}
			}
			t.list = heldCases(run)
			if len(run) > 0 {
				targets = append(targets, t)
			}
		}
	}
	// By name: the reports list the targets so, whatever order the file
	// gives them, and merged shards list them the same way.
	sort.SliceStable(targets, func(i, j int) bool { return targets[i].name() < targets[j].name() })
	return targets
}

// fresh is a copy of the target as planned, before it has run (monitor
// runs each target again on every tick).
func (t *targetRun) fresh() *targetRun { return &targetRun{res: t.res, all: t.all, list: t.list} }

// fleetRedactor redacts every target's secrets: the terminal and the
// reports of a fleet carry them all.
func fleetRedactor(fl fleetResolution) *redact.Redactor {
	var secrets []string
	for _, m := range fl.members {
		secrets = append(secrets, m.cfg.Secrets()...)
	}
	return redact.New(secrets...)
}

// fleetOutcome is what a run produced, for the reports, the metrics and
// the exit code.
type fleetOutcome struct {
	// report is the run's JSON report, redacted.
	report  reports.JSONReport
	targets []*targetRun
	code    int
}

// runFleet runs every target of plan concurrently within ctx and returns
// the run's JSON report (fleet-shaped: a single target is a fleet of one)
// and its exit code: the worst over the targets, where 0 < 1 < 3 (a
// target that is not testable, its key or model rejected among the
// causes, has its cases errored: 3).
//
// At most fleetInFlight targets run at once; the others wait their turn
// in the plan's order. A target still waiting when ctx ends (the cases'
// deadline, an interrupt) does not wait any longer: it sends nothing and
// has its cases errored as not completed (runTarget), as cheaply as a
// target's cases can be.
func (a App) runFleet(ctx context.Context, fl fleetResolution, plan []*targetRun, lines *caseLines) fleetOutcome {
	var wg sync.WaitGroup
	redactor := fleetRedactor(fl)
	built := make([]reports.TargetReport, len(plan))
	turns := make(chan struct{}, fleetInFlight())
	for i, t := range plan {
		turn := false
		select {
		case turns <- struct{}{}:
			turn = true
		case <-ctx.Done(): // its turn will not come: it starts cut short
		}
		wg.Add(1)
		go func(i int, t *targetRun) {
			defer wg.Done()
			if turn {
				defer func() { <-turns }()
			}
			a.runTarget(ctx, fl.opts, t, lines)
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
			// The variants a run without report did not keep are counted.
			part.Summary = part.Summary.Plus(t.explored.dropped)
			if ft.Run.Compact {
				part = part.Compact()
			}
			redactor.Walk(&part, reports.Run{Results: t.results, SecretEnv: t.res.cfg.SecretEnv()}.CraftedCredentials()...)
			built[i] = part
			if len(plan) > 1 {
				// A fleet's reports and summary read the part alone: the
				// results (every exchange's headers and bodies) go now,
				// not when the last target ends. A single target's
				// summary reads its results (finishSingle).
				t.results, t.explored.kept = nil, nil
			}
		}(i, t)
	}
	wg.Wait()
	out := fleetOutcome{targets: plan, code: ExitOK}
	for _, t := range plan {
		if fleetRank(t.code) > fleetRank(out.code) {
			out.code = t.code
		}
	}
	var shard *reports.ShardInfo
	if fl.shard.count > 0 {
		shard = &reports.ShardInfo{Index: fl.shard.index, Count: fl.shard.count}
	}
	out.report = reports.AssembleFleet(ToolVersion(), built, shard)
	return out
}

// fleetInFlight bounds the targets of a fleet that run at once: a small
// multiple of the processors. Every target at once (hundreds of them)
// finished none before the end: the heap held every target's exchanges,
// no part could be built early, and an interrupt found every target
// unfinished, each with its part still to build. A local fleet is
// CPU-bound (errconform judging the answers), so more in flight would
// not be faster.
func fleetInFlight() int { return max(4, 4*runtime.GOMAXPROCS(0)) }

// reportRun is the target's run as the reports read it.
func (t *targetRun) reportRun(o runOptions) reports.Run {
	cfg := t.res.cfg
	return reports.Run{ToolVersion: ToolVersion(), ContractName: t.res.contract.Name, ContractVersion: t.res.contract.Version,
		ContractDigest: t.res.contract.Digest(), BaseURL: cfg.Target.BaseURL, Embedded: t.res.embedded, Started: t.started, Duration: t.elapsed,
		Results: t.results, Redactor: t.redactor, SecretEnv: cfg.SecretEnv(), FailureEvidenceOnly: !writesReportFile(o),
		Settings: reportSettings(t.name(), o, cfg, t.res.waivers), NotTestable: t.notTestable, TargetBroke: t.broke}
}

// fleetTarget is what a fleet's report says of a target once it has run.
func (t *targetRun) fleetTarget(o runOptions) reports.FleetTarget {
	return reports.FleetTarget{Name: t.name(), Outcome: t.outcome, Reason: t.reason, Run: t.reportRun(o), Selected: t.all}
}

// writesReportFile reports whether the run writes any report (a file or
// standard output): only then does each case's evidence go into it.
func writesReportFile(o runOptions) bool {
	for _, path := range o.reportPaths() {
		if path != "" {
			return true
		}
	}
	return false
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

// runTarget runs one target: its preflight, then its cases (those that
// need not run alone concurrently, then those that do, one at a time),
// under its own client, then the controls again. A target that is not
// testable (runControls) has every case errored with the cause; the other
// targets go on. Every selected case gets a result, even when ctx (the
// run's --deadline, an interrupt) stopped the cases: never an empty report
// that exits 0.
func (a App) runTarget(ctx context.Context, o runOptions, t *targetRun, lines *caseLines) {
	cfg := t.res.cfg
	t.redactor = redact.New(cfg.Secrets()...)
	t.started = time.Now()
	t.outcome = reports.OutcomeCompleted
	t.explored = newVariantResults(t.list.variants.total, keepsEveryResult(o))
	t.explored.redactor = t.redactor
	defer func() { t.elapsed = time.Since(t.started) }()
	finish := func(r suites.Result) suites.Result {
		w, ok := t.res.waivers[r.Case.ID]
		r = suites.ApplyWaiver(r, w, ok, time.Now())
		lines.print(t, r)
		return keptResult(o, r)
	}
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std(), TLS: t.res.tls,
		MaxRPS: cfg.Limits.MaxRPS, MaxRequests: budget(t.list, cfg), Concurrency: cfg.Limits.Concurrency, MaxBody: cfg.Limits.MaxBodyBytes,
		Header: targetHeaders(cfg)})
	if err != nil {
		t.fail(&reports.Problem{Cause: reports.CauseUnreachable, Reason: fmt.Sprintf("the client for %s cannot be made: %v", cfg.Target.BaseURL, err)}, nil, lines)
		return
	}
	defer client.Close()
	defer func() { t.sent = client.Sent() }()
	target := suites.Target{Config: cfg, Contract: t.res.contract, Client: client, Redactor: t.redactor, Detectors: &redact.Cache{}}

	var controls []suites.Result
	var problem *reports.Problem
	if ctx.Err() == nil { // else cut short before it began: every case is unfinished
		controls, problem = runControls(ctx, controlCases(t.list.held()), target, cfg)
	}
	if problem != nil {
		t.fail(problem, controls, lines)
		return
	}
	held := map[string]suites.Result{}
	for _, r := range controls {
		held[r.Case.ID] = finish(r)
	}
	var mu sync.Mutex
	record := func(i int, r suites.Result) {
		mu.Lock()
		defer mu.Unlock()
		if t.list.isVariant(i) {
			t.explored.record(i-len(t.list.head), r)
		} else {
			held[r.Case.ID] = r
		}
	}
	batch := func(yield func(int, suites.Case) bool) {
		for i, c := range t.list.All() {
			if !c.Control && !c.Alone && !yield(i, c) {
				return
			}
		}
	}
	if ctx.Err() == nil { // else cut short before it began: unfinished below, none sent
		suites.ExecuteSeq(ctx, batch, target, cfg.Strict, func(i int, r suites.Result) { record(i, finish(r)) })
	}
	for _, c := range t.list.held() {
		if c.Alone && !c.Control && ctx.Err() == nil {
			held[c.ID] = finish(suites.Execute(ctx, c, target, cfg.Strict))
		}
	}
	t.unfinished(ctx, held, target, finish)
	t.broke = endControls(ctx, controls, target, cfg)
	if t.broke != nil && lines != nil && lines.named {
		lines.printf("  [%s] TARGET BROKE DURING THE RUN (%s): %s\n", t.name(), t.broke.Cause, reports.Printable(t.redactor.String(t.broke.Reason)))
	}
	summary := t.summary()
	t.code = runExitCode(summary, reports.Run{Results: t.results, TargetBroke: t.broke})
	if t.code == ExitOK && ctx.Err() != nil {
		t.code = ExitFailed
	}
	if t.code == ExitOK && o.shard == "" && summary.NothingJudged() {
		// A shard may hold no judgeable case; merge judges the whole run.
		t.code = ExitFailed
	}
}

// unfinished gives every case without a result one and puts the results
// in the list's order: a case missing a fixture is skipped (known without
// sending anything), any other is errored as not completed, with the
// reason the run stopped. It counts them, and the cases the stop
// cancelled in flight, in notCompleted.
func (t *targetRun) unfinished(ctx context.Context, held map[string]suites.Result, target suites.Target, finish func(suites.Result) suites.Result) {
	reason := "not completed: the run's --deadline passed or it was interrupted"
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		reason = "not completed: " + cause.Error()
	}
	missing := func(c suites.Case) suites.Result {
		if len(c.MissingFixtures(t.res.cfg)) > 0 {
			return finish(suites.Execute(ctx, c, target, t.res.cfg.Strict))
		}
		t.notCompleted++
		d := check.Unfinished(reason)
		return finish(suites.Result{Case: c, Verdict: d.Verdict, Skip: d.Skip, Reason: d.Reason})
	}
	ordered := func(cases []suites.Case) {
		for _, c := range cases {
			r, ok := held[c.ID]
			if !ok {
				r = missing(c)
			} else if ex, judged := r.Judged(); judged && ex.Failure == probe.FailureCancelled {
				t.notCompleted++ // stopped in flight, or before it could send
			}
			t.results = append(t.results, r)
		}
	}
	ordered(t.list.head)
	if t.explored.missing() > 0 {
		for i, c := range t.list.All() {
			if t.list.isVariant(i) && !t.explored.has(i-len(t.list.head)) {
				t.explored.record(i-len(t.list.head), missing(c))
			}
			if t.explored.missing() == 0 {
				break // the rest have theirs: no need to make them
			}
		}
	}
	t.results = append(t.results, t.explored.ordered()...)
	t.notCompleted += t.explored.cancelled
	ordered(t.list.tail)
}

// fail ends a target's run at its preflight: the target is not testable,
// and every case is errored with the one cause.
func (t *targetRun) fail(p *reports.Problem, controls []suites.Result, lines *caseLines) {
	t.outcome, t.reason, t.code, t.notTestable = reports.OutcomeOf(p), reports.ReasonOf(p), ExitUnreachable, p
	// A fleet says so on a target's lines; a single target's summary
	// says it once (printProblems).
	named := lines != nil && lines.named
	if named {
		lines.printf("  [%s] %s\n", t.name(), t.reason)
	}
	for _, r := range untestableResults(t.list.cases(), controls, p) {
		if named {
			lines.print(t, r)
		}
		t.results = append(t.results, r)
	}
}

// budget is the request cap: the configured one, or exactly what the
// selected cases need at most (one request each, plus the burst).
func budget(list caseList, cfg config.Config) int64 {
	if cfg.Limits.MaxRequests > 0 {
		return cfg.Limits.MaxRequests
	}
	// The controls run twice: at the start and again at the end.
	n := int64(list.variants.total) + int64(len(controlCases(list.held())))
	for _, c := range list.held() {
		if c.Burst {
			n += int64(max(cfg.Fixtures.RateLimitBurst, 1))
		} else {
			n++
		}
	}
	return n
}

// printFleetCaseLine is printCaseLine with the target's name.
func printFleetCaseLine(w io.Writer, name string, counter string, r suites.Result) {
	var b strings.Builder
	printCaseLine(&b, counter, r)
	line := strings.TrimPrefix(b.String(), "  ")
	fmt.Fprintf(w, "  [%s] %s", name, line)
}

// fleetTargetsText lists a fleet's targets for its first line.
func fleetTargetsText(plan []*targetRun) string {
	var parts []string
	for _, t := range plan {
		where := config.WithoutUserinfo(t.res.cfg.Target.BaseURL)
		if t.res.embedded {
			where = "embedded reference"
		}
		parts = append(parts, fmt.Sprintf("%s (%s, contract %s, %d cases)", t.name(), where, t.res.contract.Label(), t.list.Len()))
	}
	return strings.Join(parts, "; ")
}
