package suites

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/spec"
)

// Target is everything a case needs to run: where, with what, and the
// contract it is judged by.
type Target struct {
	Config   config.Config
	Contract *spec.Contract
	Client   *probe.Client
	// Redactor scrubs secrets from findings before they leave Execute.
	Redactor *probe.Redactor
}

// Result is a case's outcome with the evidence for it.
type Result struct {
	Case      Case             `json:"-"`
	Verdict   check.Verdict    `json:"verdict"`
	Reason    string           `json:"reason,omitempty"`
	Missing   []string         `json:"missing_fixtures,omitempty"`
	Exchanges []probe.Exchange `json:"-"`
	Findings  []check.Finding  `json:"findings,omitempty"`
	Duration  time.Duration    `json:"duration"`
}

// Judged returns the exchange the verdict is about (the last one sent).
func (r Result) Judged() (probe.Exchange, bool) {
	if len(r.Exchanges) == 0 {
		return probe.Exchange{}, false
	}
	return r.Exchanges[len(r.Exchanges)-1], true
}

// Summary is the result in one line (check.Headline).
func (r Result) Summary() string { return check.Headline(r.Findings, r.Reason) }

// Expectation turns a case's Expect into check's terms for a config.
func (c Case) Expectation(cfg config.Config) check.Expectation {
	return check.Expectation{
		Status: c.Expect.Status, Code: c.Expect.Code, Param: c.Expect.Param, Stream: c.Expect.Stream,
		GatewayTimeout: cfg.Target.GatewayTimeout.Std(), IfAccepted: c.Expect.IfAccepted,
	}
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

// Execute runs one case against the target and judges it. It is the only
// path from a case to a verdict: the Ginkgo specs and the self-tests both
// call it. strict makes SHOULD findings fail.
func Execute(ctx context.Context, c Case, t Target, strict bool) Result {
	res := Result{Case: c}
	if missing := c.MissingFixtures(t.Config); len(missing) > 0 {
		res.Missing = missing
		res.Reason = "fixture not configured: " + fixtureList(missing)
		res.Verdict = check.Skipped
		var required []string
		for _, key := range missing {
			if t.Config.Requires(key) {
				required = append(required, key)
			}
		}
		if len(required) > 0 {
			res.Verdict = check.Failed
			res.Reason = fixtureList(required) + " required (--require) but not configured"
		}
		return res
	}
	if why := c.Inapplicable(t.Config); why != "" {
		res.Verdict, res.Reason = check.Skipped, why
		return res
	}
	start := time.Now()
	req := c.Request(t.Config)
	expect := c.Expectation(t.Config)
	if c.Burst {
		res.Exchanges = burst(ctx, t, req, c.Expect.Status, t.Config.Fixtures.RateLimitBurst)
		expect.Note = fmt.Sprintf("after %d of at most %d requests", len(res.Exchanges), t.Config.Fixtures.RateLimitBurst)
	} else {
		res.Exchanges = []probe.Exchange{t.Client.Do(ctx, req)}
	}
	res.Duration = time.Since(start)
	judged, _ := res.Judged()
	if judged.Failure == probe.FailureBudget {
		// Not the target's fault: the case (a burst cut short included) is
		// reported as not run.
		res.Exchanges = res.Exchanges[:len(res.Exchanges)-1]
		res.Verdict, res.Reason = check.Skipped, fmt.Sprintf("not run: %s (after %d of its requests)", judged.Err, len(res.Exchanges))
		if t.Config.Requires("all") {
			// The whole contract was asked for: a case left unrun is not a pass.
			res.Verdict, res.Reason = check.Errored, res.Reason+"; --require all asks for every case"
		}
		return res
	}
	if judged.Failure == probe.FailureUnreachable || judged.Failure == probe.FailureCancelled {
		res.Verdict, res.Reason = check.Errored, t.Redactor.String(judged.Err)
		return res
	}
	expect.Scrub = t.Redactor.String
	res.Findings = check.EvaluateAll(res.Exchanges, expect, t.Contract)
	for i := range res.Findings {
		res.Findings[i] = redactFinding(t.Redactor, res.Findings[i])
	}
	res.Verdict = check.Judge(res.Findings, strict)
	return res
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

func fixtureList(keys []string) string {
	named := make([]string, len(keys))
	for i, k := range keys {
		named[i] = "fixtures." + k
	}
	return strings.Join(named, ", ")
}

func redactFinding(r *probe.Redactor, f check.Finding) check.Finding {
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
	switch {
	case r.Verdict == check.Failed && w.Active(now):
		r.Verdict = check.Waived
		r.Reason = fmt.Sprintf("waived until %s: %s", w.Expires, w.Reason)
	case r.Verdict == check.Failed:
		r.Reason = fmt.Sprintf("waiver expired on %s (%s)", w.Expires, w.Reason)
	case r.Verdict == check.Passed || r.Verdict == check.Warned:
		r.Reason = fmt.Sprintf("waived until %s but no longer failing: the waiver can go", w.Expires)
	}
	return r
}

// ExecuteAll runs cases concurrently (each under the client's bound on
// requests in flight and its rate cap) and calls done with each result as
// it completes. It returns the results in the order of cases.
func ExecuteAll(ctx context.Context, cases []Case, t Target, strict bool, done func(Result)) []Result {
	results := make([]Result, len(cases))
	workers := max(t.Client.Concurrency(), 1)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(cases)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = Execute(ctx, cases[i], t, strict)
				if done != nil {
					done(results[i])
				}
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}
