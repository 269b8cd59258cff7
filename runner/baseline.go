package runner

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
)

// A baseline (--baseline, baseline: in the config, per target in a fleet)
// is the JSON report of an earlier run: the upstream behind a gateway, the
// release in production. Once the targets have run, each target's cases
// are classified against the baseline report's target of the same name
// (or its only target) with check.ClassifyAll: every finding new or
// inherited, the baseline's missing ones fixed. --fail-on new then lets a
// failed case whose failing findings are all inherited pass the gate.

// targetBaseline is one target's baseline, read before the run.
type targetBaseline struct {
	// path is the baseline report's path as given; target is its target
	// the run is compared with.
	path   string
	target reports.TargetReport
	// dropped are the live baseline's judged variants its run did not
	// keep (a run writing no report keeps failures only).
	dropped []check.CaseFindings
	failOn  check.FailOn
	strict  bool
}

// runBaselines are a run's baselines, known before anything is sent: by
// target name, those read from reports, and the live ones (a URL, or
// "reference") as targets of their own to run beside the run's.
type runBaselines struct {
	byTarget map[string]*targetBaseline
	// live are the live baselines' runs, named as the targets they are
	// the baselines of; stop stops the embedded references among them.
	live []*targetRun
	stop func()
	// failOn is each target's --fail-on, by name (a live baseline's
	// entry is made once it has run).
	failOn map[string]check.FailOn
}

// loadBaselines reads the baseline report of every target that names one
// (each file once), by the target's name, and makes the run of every
// live baseline, before anything is sent: an unreadable report, one
// without a target to compare with, or a baseline URL that is none is a
// usage error. A baseline judged by another contract than its target is
// compared all the same, with a warning on w.
func loadBaselines(w io.Writer, plan []*targetRun) (runBaselines, error) {
	read := map[string]reports.JSONReport{}
	out := runBaselines{byTarget: map[string]*targetBaseline{}, failOn: map[string]check.FailOn{}, stop: func() {}}
	var stops []func()
	out.stop = func() {
		for _, stop := range stops {
			stop()
		}
	}
	for _, t := range plan {
		cfg := t.res.cfg
		failOn, err := check.ParseFailOn(cfg.FailOn)
		if err != nil {
			out.stop()
			return runBaselines{}, usageError{err}
		}
		out.failOn[t.name()] = failOn
		if err := trustedFailOn(t, failOn); err != nil {
			out.stop()
			return runBaselines{}, err
		}
		if !cfg.Baseline.IsSet() {
			if failOn == check.FailOnNew {
				fmt.Fprintf(w, "errconform: WARNING: target %s: --fail-on new without a baseline (--baseline, baseline: in the config): every failure is new and fails the gate\n", t.name())
			}
			continue
		}
		if cfg.Baseline.Live() {
			live, stop, err := liveBaseline(t)
			if err != nil {
				out.stop()
				return runBaselines{}, err
			}
			stops = append(stops, stop)
			out.live = append(out.live, live)
			continue
		}
		path := cfg.Baseline.Report
		rep, ok := read[path]
		if !ok {
			if rep, err = reports.ReadJSON(path); err != nil {
				out.stop()
				return runBaselines{}, usagef("--baseline: %v", err)
			}
			rep = reports.AsFleet(rep)
			read[path] = rep
		}
		base, err := baselineTarget(rep, path, t.name())
		if err != nil {
			out.stop()
			return runBaselines{}, err
		}
		if d, own := base.Contract.Digest, t.res.contract.Digest(); d != "" && d != own {
			fmt.Fprintf(w, "errconform: WARNING: target %s: the baseline %s was judged against contract %s %s (%s), this run against %s (%s): findings may differ for that reason alone\n",
				t.name(), reports.Printable(path), reports.Printable(base.Contract.Name), reports.Printable(base.Contract.Version), reports.Printable(d), t.res.contract.Label(), own)
		}
		out.byTarget[t.name()] = &targetBaseline{path: path, target: base, failOn: failOn, strict: cfg.Strict}
	}
	return out, nil
}

// trustedFailOn refuses fail_on: new written in the config file where a
// pull request could make it green: beside a baseline report (a report
// and the config that names it may both come from the pull request, and
// a forged report could claim any failure inherited), or beside a live
// baseline that is the target itself (every failure would be
// inherited). The CI job's own --fail-on new (or ERRCONFORM_FAIL_ON) is
// the CI owner's choice, taken with whatever baseline it is given; a
// live baseline at another URL, or the embedded reference, is measured
// by the run itself.
func trustedFailOn(t *targetRun, failOn check.FailOn) error {
	src, ok := t.res.sources["fail_on"]
	b := t.res.cfg.Baseline
	if failOn != check.FailOnNew || !ok || src.Kind != config.FromFile || !b.IsSet() {
		return nil
	}
	switch {
	case !b.Live():
		return usagef("target %s: fail_on: new (%s) with the baseline report %s: a report is not measured by this run, and a report and the config naming it may both come from a pull request, where a forged report would let any failure pass as inherited; "+
			"give --fail-on new (or ERRCONFORM_FAIL_ON=new) in the CI job instead, or make the baseline live (a base URL or reference, measured by the run itself)",
			t.name(), src, reports.Printable(b.Report))
	case b.BaseURL != config.ReferenceTarget && config.SameBaseURL(b.BaseURL, t.res.cfg.Target.BaseURL):
		return usagef("target %s: fail_on: new (%s) with the target itself as its baseline: every failure would be inherited and pass; "+
			"give --fail-on new (or ERRCONFORM_FAIL_ON=new) in the CI job to mean it, or name another baseline", t.name(), src)
	}
	return nil
}

// liveBaseline is the run of t's live baseline: t's selected cases (its
// shard's, explore's variants included) sent to the baseline's URL with
// the baseline's identity (config.BaselineConfig: its own key, headers
// and fixtures where the baseline: object gives them, else t's) and
// limits (a client of its own: its own rate cap and request budget), or
// to an embedded reference speaking t's contract (with the reference's
// own key and fixtures; stop stops it). No waiver applies: the
// baseline's findings stand as they are.
func liveBaseline(t *targetRun) (run *targetRun, stop func(), err error) {
	res := t.res
	where := res.cfg.Baseline.BaseURL
	cfg := res.cfg.BaselineConfig()
	res.waivers, res.embedded, stop = nil, false, func() {}
	if where == config.ReferenceTarget {
		running, err := reference.Start(res.contract, reference.Options{GatewayTimeout: EmbeddedGatewayTimeout}, "")
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: start the embedded reference as its baseline: %w", t.name(), err)
		}
		stop = func() { _ = running.Close() }
		cfg = cfg.WithIdentity(running.Config().Identity())
		res.embedded, res.tls = true, nil
	} else {
		if _, err := config.ParseBaseURL(where); err != nil {
			return nil, nil, usagef("target %s: --baseline %q is neither a JSON report nor a base URL such as https://upstream.example.com/v1: %v",
				t.name(), config.WithoutUserinfo(where), err)
		}
		// The target's rate cap is the baseline's (unless baseline.limits
		// gives its own), unless the target's was left to the default: a
		// remote baseline behind a loopback gateway gets the remote
		// default, as if it were the target.
		if _, set := res.sources["limits.max_rps"]; !set && cfg.Limits.MaxRPS == 0 && !config.IsLoopback(where) {
			cfg.Limits.MaxRPS = DefaultMaxRPS
		}
	}
	res.cfg = cfg
	return &targetRun{res: res, all: t.all, list: t.list}, stop, nil
}

// start runs the live baselines within ctx, beside the run's targets,
// quietly (their lines are not the run's); wait returns once they are
// done, having made each its target's baseline. A live baseline that was
// not testable is said on w: every finding of its target is then new
// for want of a comparison.
func (b runBaselines) start(ctx context.Context, a App, fl fleetResolution, w io.Writer) (wait func()) {
	if len(b.live) == 0 {
		return func() {}
	}
	done := make(chan fleetOutcome, 1)
	go func() { done <- a.runFleetInline(ctx, fl, b.live, nil) }()
	return func() {
		out := <-done
		for i, part := range out.report.Targets {
			cfg := out.targets[i].res.cfg
			where := config.WithoutUserinfo(cfg.Target.BaseURL)
			if out.targets[i].res.embedded {
				where = config.ReferenceTarget
			}
			if part.NotTestable != nil {
				fmt.Fprintf(w, "errconform: WARNING: target %s: its baseline %s is not testable (%s): every finding is new for want of a comparison\n",
					part.Name, where, reports.Printable(part.NotTestable.Reason))
			}
			b.byTarget[part.Name] = &targetBaseline{path: where, target: part, failOn: b.failOn[part.Name], strict: cfg.Strict,
				dropped: out.targets[i].explored.droppedJudged(out.targets[i].list)}
		}
	}
}

// baselineTarget is the baseline report's target for the run's target
// name: the one of that name, else its only target.
func baselineTarget(rep reports.JSONReport, path, name string) (reports.TargetReport, error) {
	var names []string
	for _, t := range rep.Targets {
		if t.Name == name {
			return t, nil
		}
		names = append(names, reports.Printable(t.Name))
	}
	if len(rep.Targets) == 1 {
		return rep.Targets[0], nil
	}
	sort.Strings(names)
	return reports.TargetReport{}, usagef("--baseline %s: no target named %s among its %d targets (%s): a fleet's baseline names its targets as the run does",
		reports.Printable(path), name, len(names), strings.Join(names, ", "))
}

// caseFindings are the judged cases of a report (a case skipped or
// errored has nothing to compare: it is left unclassified).
func caseFindings(cases []reports.CaseReport) []check.CaseFindings {
	var out []check.CaseFindings
	for _, c := range cases {
		if check.BaselineOf(c.Verdict, nil).Judged {
			out = append(out, check.CaseFindings{ID: c.ID, Verdict: c.Verdict, Findings: c.Findings})
		}
	}
	return out
}

// applyBaselines classifies each target of out that has a baseline: every
// judged case gets its classification, the target its counts (findings
// the baseline holds are redacted with the run's secrets, as the rest of
// the report is), and under --fail-on new the target's exit code and the
// run's are decided again (gateCode).
func applyBaselines(out *fleetOutcome, b runBaselines, redactor *redact.Redactor) {
	baselines := b.byTarget
	if len(baselines) == 0 {
		return
	}
	for i := range out.report.Targets {
		part := &out.report.Targets[i]
		b := baselines[part.Name]
		if b == nil {
			continue
		}
		// The variants a run without a report did not keep are classified
		// too: they count (a fixed finding is a passed variant's), though
		// no report lists them.
		dropped := droppedOf(out.targets, part.Name)
		classes := check.ClassifyAll(append(caseFindings(part.Cases), dropped...), append(caseFindings(b.target.Cases), b.dropped...))
		cases := make([]reports.CaseReport, len(part.Cases))
		for k, c := range part.Cases {
			if cl, ok := classes[c.ID]; ok {
				c.Baseline = reports.NewCaseBaseline(cl, b.strict)
				redactor.Walk(c.Baseline)
			}
			cases[k] = c
		}
		part.Cases = cases
		summary := reports.SummarizeBaseline(cases, b.strict)
		counted := make([]check.Classification, len(dropped))
		for k, c := range dropped {
			counted[k] = classes[c.ID]
		}
		summary.Add(check.SummarizeClasses(counted, b.strict))
		part.Baseline = &reports.TargetBaseline{Report: b.path, Target: b.target.Name, ContractDigest: b.target.Contract.Digest,
			FailOn: b.failOn, Summary: summary}
		redactor.Walk(part.Baseline)
	}
	out.code = ExitOK
	for _, t := range out.targets {
		for _, part := range out.report.Targets {
			if part.Name == t.name() {
				t.code = gateCode(t.code, part)
			}
		}
		if fleetRank(t.code) > fleetRank(out.code) {
			out.code = t.code
		}
	}
}

// droppedOf are the judged variants the run of the target named name did
// not keep (variantResults.droppedJudged).
func droppedOf(targets []*targetRun, name string) []check.CaseFindings {
	for _, t := range targets {
		if t.name() == name {
			return t.explored.droppedJudged(t.list)
		}
	}
	return nil
}

// gateCode is a target's exit code under its --fail-on: code itself,
// except that under --fail-on new a target that failed only because of
// failed cases, each with every failing finding inherited from the
// baseline (check.FailsGate), exits 0. An errored case, a target that
// broke during the run or judged nothing still fails.
func gateCode(code int, part reports.TargetReport) int {
	b := part.Baseline
	if code != ExitFailed || b == nil || b.FailOn != check.FailOnNew || part.TargetBroke != nil ||
		part.Summary.Errored > 0 || part.Summary.NothingJudged() {
		return code
	}
	strict := part.Settings != nil && part.Settings.Strict
	for _, c := range part.Cases {
		var cl *check.Classification
		if c.Baseline != nil {
			x := c.Baseline.Classification(c.Findings)
			cl = &x
		}
		if check.FailsGate(c.Verdict, cl, b.FailOn, strict) {
			return code
		}
	}
	return ExitOK
}

// printBaseline prints a target's classification after its summary
// (prefix names the target in a fleet): "baseline: 3 new, 125 inherited,
// 2 fixed", and, under --fail-on new, how many failed cases did not fail
// the gate.
func printBaseline(w io.Writer, prefix string, part reports.TargetReport) {
	b := part.Baseline
	if b == nil {
		return
	}
	fmt.Fprintf(w, "%sbaseline: %s (against %s, target %s)\n", prefix, reports.BaselineText(b), reports.Printable(b.Report), reports.Printable(b.Target))
	if b.FailOn == check.FailOnNew {
		if n := b.Summary.Cases[check.Inherited]; n > 0 {
			fmt.Fprintf(w, "%s--fail-on new: %d failed case(s) whose every failing finding is inherited do not fail the gate\n", prefix, n)
		}
	}
}
