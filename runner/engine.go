package runner

import (
	"context"
	"fmt"
	"runtime"
	"sort"
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
// The engine performs the cases; each case's verdict is decided in its
// Ginkgo spec (specs.go).

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

	// box carries the engine's results to the specs that judge them;
	// performed is closed when the engine is done with the target;
	// hasTurn: it holds one of the fleet's turns.
	box       *mailbox
	performed chan struct{}
	hasTurn   bool
	// order is the positions in the order they are judged (judgingOrder;
	// notBatch marks those the concurrent phase does not perform), k how many
	// are judged; held the judged results of the catalogue's cases by
	// position, until the target completes; keep what the run keeps of a
	// judged result; judgeTarget what Judge needs.
	order       []int
	notBatch    map[int]bool
	k           int
	held        map[int]suites.Result
	keep        func(suites.Result) suites.Result
	judgeTarget suites.Target
	// finished: its part of the report is built.
	finished bool
}

// name is the target's name: its name in the targets: list, else its
// --name, target.name, host[:port] or "reference" (config.TargetName).
func (t *targetRun) name() string { return t.res.name }

// summary counts every result of the target, the variants' it did not
// keep included.
func (t *targetRun) summary() reports.Summary {
	return reports.Summarize(t.results).Plus(t.explored.dropped)
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
	// specs is Ginkgo's report of the run's specs (nil: judged inline).
	specs []reports.Spec
	// ginkgo is Ginkgo's own report of them.
	ginkgo *specReport
}

// fleetRun is a run of a plan's targets in progress: the engine performs
// each target's cases (performTarget) and hands the results over, in the
// list's order, to what judges them: the target's Ginkgo container
// (runFleet, specs.go) or, for a baseline, judgeInline. finishTarget then
// builds the target's part of the report.
//
// At most fleetInFlight targets are performed or waiting to be judged at
// once; the others wait their turn in the plan's order (a target's turn
// ends when its part is built). A target still waiting when ctx ends (the
// cases' deadline, an interrupt) does not wait any longer: it sends
// nothing and has its cases errored as not completed, as cheaply as a
// target's cases can be.
type fleetRun struct {
	app      App
	ctx      context.Context
	fl       fleetResolution
	plan     []*targetRun
	lines    *caseLines
	redactor *redact.Redactor
	built    []reports.TargetReport
	turns    chan struct{}
	// tree names what each Ginkgo spec decides (specs.go).
	tree map[specKey]reports.Spec
}

// startFleet starts performing plan's targets, each as its turn comes.
func (a App) startFleet(ctx context.Context, fl fleetResolution, plan []*targetRun, lines *caseLines) *fleetRun {
	f := &fleetRun{app: a, ctx: ctx, fl: fl, plan: plan, lines: lines, redactor: fleetRedactor(fl),
		built: make([]reports.TargetReport, len(plan)), turns: make(chan struct{}, fleetInFlight()), tree: map[specKey]reports.Spec{}}
	for _, t := range plan {
		t.prepare(fl.opts)
	}
	go func() {
		for _, t := range plan {
			select {
			case f.turns <- struct{}{}:
				t.hasTurn = true
			case <-ctx.Done(): // its turn will not come: it starts cut short
			}
			go func() {
				defer close(t.performed)
				a.performTarget(ctx, fl.opts, t, lines)
			}()
		}
	}()
	return f
}

// runFleetInline runs plan's targets with every case judged as the
// engine hands it over, outside Ginkgo: a live baseline's targets, whose
// verdicts are compared with the run's, never a gate's own
// (docs/architecture.md).
func (a App) runFleetInline(ctx context.Context, fl fleetResolution, plan []*targetRun, lines *caseLines) fleetOutcome {
	f := a.startFleet(ctx, fl, plan, lines)
	var wg sync.WaitGroup
	for i, t := range plan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.judgeUpTo(context.Background(), len(t.order), lines)
			f.finishTarget(i)
		}()
	}
	wg.Wait()
	return f.outcome()
}

// finishTarget ends target i once its cases are judged: it waits for the
// engine's last step (the controls again), decides the target's exit
// code, builds its part of the report and ends its turn.
func (f *fleetRun) finishTarget(i int) {
	t := f.plan[i]
	if t.finished {
		return
	}
	t.finished = true
	// Judged in its spec or not (an interrupt stops the specs), every case
	// gets its verdict by the one path.
	t.judgeUpTo(context.Background(), len(t.order), f.lines)
	<-t.performed
	if t.hasTurn {
		<-f.turns
	}
	t.complete(f.ctx, f.fl.opts, f.lines)
	// The target's part of the report is built as it finishes, while the
	// others still run, and redacted then, once, with every target's
	// secrets (the reports' redaction boundary for a fleet: its formats
	// render from these parts alone), keeping the credentials errconform
	// crafted for it.
	ft := t.fleetTarget(f.fl.opts)
	// Cut short, the reports will be written compact: the part is made so
	// now, while the others still finish.
	ft.Run.Compact = f.ctx.Err() != nil
	part := reports.TargetPart(ft)
	// The variants a run without report did not keep are counted.
	part.Summary = part.Summary.Plus(t.explored.dropped)
	if ft.Run.Compact {
		part = part.Compact()
	}
	f.redactor.Walk(&part, reports.Run{Results: t.results, SecretEnv: t.res.cfg.SecretEnv()}.CraftedCredentials()...)
	f.built[i] = part
	if len(f.plan) > 1 {
		// A fleet's reports and summary read the part alone: the results
		// (every exchange's headers and bodies) go now, not when the last
		// target ends. A single target's summary reads its results
		// (finishSingle).
		t.results, t.explored.kept = nil, nil
	}
}

// outcome is the run's JSON report (fleet-shaped: a single target is a
// fleet of one) and its exit code: the worst over the targets, where 0 <
// 1 < 3 (a target that is not testable, its key or model rejected among
// the causes, has its cases errored: 3). Every target is finished.
func (f *fleetRun) outcome() fleetOutcome {
	out := fleetOutcome{targets: f.plan, code: ExitOK}
	for _, t := range f.plan {
		if fleetRank(t.code) > fleetRank(out.code) {
			out.code = t.code
		}
	}
	var shard *reports.ShardInfo
	if f.fl.shard.count > 0 {
		shard = &reports.ShardInfo{Index: f.fl.shard.index, Count: f.fl.shard.count}
	}
	out.report = reports.AssembleFleet(ToolVersion(), f.built, shard)
	return out
}

// fleetInFlight bounds the targets of a fleet that run at once: a small
// multiple of the processors. Every target at once (hundreds of them)
// finished none before the end: the heap held every target's exchanges,
// no part could be built early, and an interrupt found every target
// unfinished, each with its part still to build. A local fleet is
// CPU-bound (errconform judging the answers), so more in flight would
// not be faster; a remote one waits on the network, so a fleet of a few
// dozen staging targets runs all at once (32: with 8 on 2 cores, the
// bench's fleet of 20 targets 50 ms away took three waves, 3.0 times its
// slowest target alone).
func fleetInFlight() int { return max(32, 4*runtime.GOMAXPROCS(0)) }

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

// prepare readies a planned target for its run: the mailbox its results
// go through and what keeps them.
func (t *targetRun) prepare(o runOptions) {
	cfg := t.res.cfg
	t.redactor = redact.New(cfg.Secrets()...)
	t.outcome = reports.OutcomeCompleted
	t.explored = newVariantResults(t.list.variants.total, keepsEveryResult(o))
	t.explored.redactor = t.redactor
	t.order, t.notBatch = judgingOrder(t.list)
	t.held = map[int]suites.Result{}
	t.box = newMailbox(t.list.Len(), func(i int) bool { return !t.notBatch[i] })
	t.performed = make(chan struct{})
	t.keep = func(r suites.Result) suites.Result { return keptResult(o, r) }
	t.judgeTarget = suites.Target{Config: cfg, Contract: t.res.contract, Redactor: t.redactor, Detectors: &redact.Cache{}}
}

// performTarget performs one target's cases: its preflight, then its
// cases (those that need not run alone concurrently, then those that do,
// one at a time), under its own client, then the controls again. Each
// case's result goes, as Perform left it, into the target's mailbox, to be
// judged in its spec. A target that is not testable (runControls) has
// every case errored with the cause; the other targets go on. Every
// selected case gets a result, even when ctx (the run's --deadline, an
// interrupt) stopped the cases: never an empty report that exits 0.
func (a App) performTarget(ctx context.Context, o runOptions, t *targetRun, lines *caseLines) {
	cfg := t.res.cfg
	t.started = time.Now()
	defer func() { t.elapsed = time.Since(t.started) }()
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

	var performed, controls []suites.Result
	var problem *reports.Problem
	if ctx.Err() == nil { // else cut short before it began: every case is unfinished
		performed, controls, problem = runControls(ctx, controlCases(t.list.held()), target, cfg)
	}
	if problem != nil {
		t.fail(problem, controls, lines)
		return
	}
	at := map[string]int{}
	for i, c := range t.list.All() {
		if c.Control {
			at[c.ID] = i
		}
		if len(at) == len(performed) {
			break
		}
	}
	for _, r := range performed {
		t.box.deliver(at[r.Case.ID], r)
	}
	batch := func(yield func(int, suites.Case) bool) {
		for i, c := range t.list.All() {
			if c.Control || c.Alone {
				continue
			}
			if !t.box.admit(ctx, i) || !yield(i, c) {
				return
			}
		}
	}
	if ctx.Err() == nil { // else cut short before it began: unfinished below, none sent
		suites.PerformSeq(ctx, batch, target, t.box.deliver)
	}
	for i, c := range t.list.All() {
		if c.Alone && !c.Control && ctx.Err() == nil {
			t.box.deliver(i, suites.Perform(ctx, c, target))
		}
	}
	t.unfinished(ctx, target)
	t.broke = endControls(ctx, controls, target, cfg)
}

// unfinished gives every case without a result one: a case missing a
// fixture is skipped (known without sending anything), any other is
// errored as not completed, with the reason the run stopped. It counts
// them in notCompleted.
func (t *targetRun) unfinished(ctx context.Context, target suites.Target) {
	if t.box.missing() == 0 {
		return
	}
	reason := "not completed: the run's --deadline passed or it was interrupted"
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		reason = "not completed: " + cause.Error()
	}
	for i, c := range t.list.All() {
		if t.box.has(i) {
			continue
		}
		if len(c.MissingFixtures(t.res.cfg)) > 0 {
			t.box.deliver(i, suites.Perform(ctx, c, target))
			continue
		}
		t.notCompleted++
		d := check.Unfinished(reason)
		t.box.deliver(i, suites.Result{Case: c, Verdict: d.Verdict, Skip: d.Skip, Reason: d.Reason})
		if t.box.missing() == 0 {
			break // the rest have theirs: no need to make them
		}
	}
}

// fail ends a target's run at its preflight: the target is not testable,
// and every case is errored with the one cause.
func (t *targetRun) fail(p *reports.Problem, controls []suites.Result, lines *caseLines) {
	t.outcome, t.reason, t.notTestable = reports.OutcomeOf(p), reports.ReasonOf(p), p
	// A fleet says so on a target's lines; a single target's summary
	// says it once (printProblems).
	if lines != nil && lines.named {
		lines.printf("  [%s] %s\n", t.name(), t.reason)
	}
	i := 0
	for _, r := range untestableResults(t.list.cases(), controls, p) {
		t.box.deliver(i, r)
		i++
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
