package suites

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/spec"
)

// Target is everything a case needs to run: where, with what, and the
// contract it is judged by.
type Target struct {
	Config   config.Config
	Contract *spec.Contract
	Client   *probe.Client
	// Redactor scrubs secrets from findings before they leave Execute.
	Redactor *redact.Redactor
	// Detectors, when set, builds each credential's echo detector once for
	// the run (check's no-secret-echo rule); nil builds one per case.
	Detectors *redact.Cache
}

// Result is a case's outcome with the evidence for it.
type Result struct {
	Case    Case          `json:"-"`
	Verdict check.Verdict `json:"verdict"`
	// Skip says why a skipped case was skipped.
	Skip      check.SkipReason `json:"skip_reason,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	Missing   []string         `json:"missing_fixtures,omitempty"`
	Exchanges []probe.Exchange `json:"-"`
	Findings  []check.Finding  `json:"findings,omitempty"`
	Duration  time.Duration    `json:"duration"`
	// pending: Perform recorded the exchanges, Judge has not yet judged
	// them.
	pending bool
}

// Judged returns the exchange the verdict is about (the last one sent).
func (r Result) Judged() (probe.Exchange, bool) {
	if len(r.Exchanges) == 0 {
		return probe.Exchange{}, false
	}
	return r.Exchanges[len(r.Exchanges)-1], true
}

// KeepsEvidence reports whether a run that keeps only what its summary,
// failure groups and metrics need must keep this result's evidence: only
// a failed or errored case's exchanges are shown there (the runner's
// compact results and reports' FailureEvidenceOnly both ask this).
func (r Result) KeepsEvidence() bool { return r.Verdict == check.Failed || r.Verdict == check.Errored }

// WithoutEvidence is the result without its exchanges' headers and
// bodies: what a run that writes no report keeps of a case that did not
// fail, so that its memory does not grow with every answer the target
// gives. An exchange that ended in a transport failure (unreachable,
// cancelled, …) keeps where it went and how it ended, which the summary
// counts; one that got its answer keeps nothing, and the result then has
// no exchange at all.
func (r Result) WithoutEvidence() Result {
	var bare []probe.Exchange
	for _, ex := range r.Exchanges {
		if ex.Failure == probe.FailureNone {
			continue
		}
		b := probe.Exchange{Request: probe.Request{Method: ex.Request.Method, Path: ex.Request.Path}, URL: ex.URL,
			Duration: ex.Duration, Failure: ex.Failure, Err: ex.Err}
		if ex.Response != nil {
			b.Response = &probe.Response{Status: ex.Response.Status, Truncated: ex.Response.Truncated}
		}
		bare = append(bare, b)
	}
	r.Exchanges = bare
	return r
}

// WithBodiesCut is the result with each answer's body cut to its first n
// bytes (probe.Response.Cut), once it is judged: what a run keeps for its
// reports, bounded whatever the target sent. With a redactor the n bytes
// kept are of the redacted body (probe.Response.CutRedacted). The result's
// own responses are left as they were.
func (r Result) WithBodiesCut(n int, red *redact.Redactor) Result {
	cut := false
	for _, ex := range r.Exchanges {
		cut = cut || (ex.Response != nil && len(ex.Response.Body) > n)
	}
	if !cut {
		return r
	}
	exchanges := slices.Clone(r.Exchanges)
	for i, ex := range exchanges {
		if ex.Response != nil && len(ex.Response.Body) > n {
			resp := *ex.Response
			if red != nil {
				resp.CutRedacted(n, red)
			} else {
				resp.Cut(n)
			}
			exchanges[i].Response = &resp
		}
	}
	r.Exchanges = exchanges
	return r
}

// Summary is the result in one line (check.Headline).
func (r Result) Summary() string { return check.Headline(r.Findings, r.Reason) }

// Expectation is the case's expectation with the config's gateway timeout.
func (c Case) Expectation(cfg config.Config) check.Expectation {
	e := c.Expect
	e.GatewayTimeout = cfg.Target.GatewayTimeout.Std()
	e.GatewaySlack = config.TimeoutSlackFor(e.GatewayTimeout)
	return e
}

// MissingFixtures lists the fixture keys the case needs that cfg lacks.
func (c Case) MissingFixtures(cfg config.Config) []string {
	var missing []string
	for _, key := range c.Fixtures {
		if !cfg.Fixtures.Has(key) {
			missing = append(missing, key)
		}
	}
	return missing
}

// Preconditions are what decides the case under cfg before anything is
// sent (check.Before).
func (c Case) Preconditions(cfg config.Config) check.Preconditions {
	return check.Preconditions{NotInContract: c.NotInContract, MissingFixtures: c.MissingFixtures(cfg),
		Required: cfg.Requires, Inapplicable: c.Inapplicable(cfg)}
}

// Judgeable reports whether the case would be sent and judged under cfg:
// its contract covers it and nothing decides it before sending.
func (c Case) Judgeable(cfg config.Config) bool {
	_, decided := check.Before(c.Preconditions(cfg))
	return !decided
}

// Execute runs one case against the target and judges it: Perform, then
// Judge. The self-tests and the preflight call it; a run's cases are
// performed by the engine and judged in their Ginkgo specs. strict makes
// SHOULD findings fail.
func Execute(ctx context.Context, c Case, t Target, strict bool) Result {
	return Judge(Perform(ctx, c, t), t, strict)
}

// Perform runs one case against the target and records what came back,
// without judging it: the result holds the exchanges, to be judged by
// Judge (Pending), or the decision made without judging any answer (a
// precondition: not in the contract, a missing fixture, a burst that
// never saw its limit, an exchange the run interrupted).
func Perform(ctx context.Context, c Case, t Target) Result {
	res := Result{Case: c}
	pre := c.Preconditions(t.Config)
	if d, decided := check.Before(pre); decided {
		if d.Skip != check.NotInContract {
			res.Missing = pre.MissingFixtures
		}
		return res.decided(d)
	}
	start := time.Now()
	req := c.Request(t.Config)
	if c.Burst {
		res.Exchanges = burst(ctx, t, req, c.Expect.Status, t.Config.Fixtures.RateLimitBurst)
	} else {
		res.Exchanges = []probe.Exchange{t.Client.Do(ctx, req)}
	}
	res.Duration = time.Since(start)
	switch {
	case c.Burst && c.limitOpen:
		if d, decided := limitNotSeen(res.Exchanges, c.Expect.Status, c.Route()); decided {
			return res.decided(d)
		}
	case c.Burst:
		if d, decided := check.BurstPrecondition(res.Exchanges, c.Expect.Status); decided {
			return res.decided(d)
		}
	}
	judged, _ := res.Judged()
	if d, decided := check.Interrupted(judged, len(res.Exchanges)-1, t.Config.Requires("all")); decided {
		if judged.Failure == probe.FailureBudget {
			// Not the target's fault: the budget's refusal is no exchange.
			res.Exchanges = res.Exchanges[:len(res.Exchanges)-1]
		}
		d.Reason = t.Redactor.String(d.Reason)
		return res.decided(d)
	}
	res.pending = true
	return res
}

// Pending reports whether the result's exchanges await Judge: Perform
// recorded them and decided nothing.
func (r Result) Pending() bool { return r.pending }

// Judge decides a performed case's verdict from its recorded exchanges:
// check's rules under the case's expectation and the target's contract
// (check.EvaluateAll), every finding redacted, then check.Judge. A result
// Perform already decided (or one judged before) is returned as it is.
func Judge(r Result, t Target, strict bool) Result {
	if !r.pending {
		return r
	}
	r.pending = false
	expect := r.Case.Expectation(t.Config)
	if r.Case.Burst {
		expect.Note = fmt.Sprintf("after %d of at most %d requests", len(r.Exchanges), t.Config.Fixtures.RateLimitBurst)
	}
	expect.Scrub, expect.Detectors = t.Redactor.String, t.Detectors
	r.Findings = check.EvaluateAll(r.Exchanges, expect, t.Contract)
	for i := range r.Findings {
		r.Findings[i] = redactFinding(t.Redactor, r.Findings[i])
	}
	r.Verdict = check.Judge(r.Findings, strict)
	return r
}

// limitNotSeen decides a burst on a route no limit is promised for
// (Case.limitOpen) that never saw the limit's status and succeeded every
// time: not applicable, for the target's limiter covers other routes; a
// burst with any other answer is judged. false means judge the burst.
func limitNotSeen(exchanges []probe.Exchange, want int, route string) (check.Decision, bool) {
	for _, ex := range exchanges {
		if ex.Failure != probe.FailureNone || ex.Response == nil || ex.Response.Status < 200 || ex.Response.Status >= 300 {
			return check.Decision{}, false
		}
	}
	return check.Decision{Verdict: check.Skipped, Skip: check.NotApplicable, Reason: fmt.Sprintf(
		"not applicable: %d requests on POST %s all succeeded, none answered %d: the target's limiter does not cover this route (the contract leaves open which routes a limit covers)",
		len(exchanges), route, want)}, true
}

// burstBodyKept is how much of a 2xx burst answer's body is kept.
const burstBodyKept = 512

// burst sends the request one after another until the wanted status comes
// back, a transport failure occurs, or limit requests have been sent.
func burst(ctx context.Context, t Target, req probe.Request, want, limit int) []probe.Exchange {
	var exchanges []probe.Exchange
	for i := 0; i < max(limit, 1); i++ {
		ex := t.Client.Do(ctx, req)
		if ex.Response == nil || ex.Response.Status == want || ctx.Err() != nil {
			exchanges = append(exchanges, ex)
			break
		}
		if ex.Response.Status >= 200 && ex.Response.Status < 300 && len(ex.Response.Body) > burstBodyKept {
			// A 2xx before the limit is judged by its status alone: keep
			// only what a report shows of it, so a long burst holds no
			// megabytes of bodies.
			ex.Response.Body = ex.Response.Body[:burstBodyKept]
		}
		exchanges = append(exchanges, ex)
	}
	return exchanges
}

// decided records a decision made without judging findings.
func (r Result) decided(d check.Decision) Result {
	r.Verdict, r.Skip, r.Reason = d.Verdict, d.Skip, d.Reason
	return r
}

func redactFinding(r *redact.Redactor, f check.Finding) check.Finding {
	f.Expected, f.Actual, f.Message = r.String(f.Expected), r.String(f.Actual), r.String(f.Message)
	return f
}

// ApplyWaiver turns a failure into a waived verdict while the case's waiver
// is active; an expired waiver leaves the failure standing and says so, and
// a waiver on a passing case is reported as no longer needed.
func ApplyWaiver(r Result, w config.Waiver, ok bool, now time.Time) Result {
	if !ok {
		return r
	}
	return r.decided(check.Waive(check.Decision{Verdict: r.Verdict, Skip: r.Skip, Reason: r.Reason}, WaiverOf(w), now))
}

// WaiverOf is a config's waiver as check decides with it.
func WaiverOf(w config.Waiver) check.Waiver {
	return check.Waiver{Reason: w.Reason, Expires: w.Expires, Until: w.Until}
}

// ExecuteAll runs cases concurrently (each under the client's bound on
// requests in flight and its rate cap) and returns the results in the
// order of cases.
func ExecuteAll(ctx context.Context, cases []Case, t Target, strict bool) []Result {
	results := make([]Result, len(cases))
	ExecuteSeq(ctx, slices.All(cases), t, strict, func(i int, r Result) { results[i] = r })
	return results
}

// ExecuteSeq runs the cases a sequence yields as ExecuteAll does (each
// under the client's bound on requests in flight and its rate cap) and
// hands each result to done as it completes (from the goroutine that
// performed it: done must be safe for concurrent use), with its position
// in the sequence, taking the next only when a worker
// is free: a sequence that makes its cases as it goes (explore's plan)
// has as many of them in memory as there are requests in flight.
func ExecuteSeq(ctx context.Context, cases iter.Seq2[int, Case], t Target, strict bool, done func(i int, r Result)) {
	PerformSeq(ctx, cases, t, func(i int, r Result) { done(i, Judge(r, t, strict)) })
}

// PerformSeq is ExecuteSeq without the judging: done gets each case as
// Perform left it (the engine's cases, judged in their Ginkgo specs).
func PerformSeq(ctx context.Context, cases iter.Seq2[int, Case], t Target, done func(i int, r Result)) {
	type job struct {
		i int
		c Case
	}
	next := make(chan job)
	var wg sync.WaitGroup
	started := 0
	for i, c := range cases {
		if started < max(t.Client.Concurrency(), 1) {
			started++
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range next {
					done(j.i, Perform(ctx, j.c, t))
				}
			}()
		}
		next <- job{i, c}
	}
	close(next)
	wg.Wait()
}
