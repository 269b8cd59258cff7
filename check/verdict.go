package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/errconform/errconform/wire"
)

// Verdict is a case's outcome.
type Verdict string

// Verdicts. Errored is kept apart from Failed so that a dashboard never
// mistakes a harness problem for a gateway bug.
const (
	Passed  Verdict = "passed"
	Failed  Verdict = "failed"
	Warned  Verdict = "warned"
	Skipped Verdict = "skipped"
	Errored Verdict = "errored"
	// Waived is a failure a waiver excuses until its expiry date.
	Waived Verdict = "waived"
)

// SkipReason says, as a type, why a case was skipped.
type SkipReason string

// Skip reasons.
const (
	// NotInContract: the contract does not cover the case's situation or
	// route. Such a case is listed, never run and never passed.
	NotInContract SkipReason = "not-in-contract"
	// FixtureMissing: the case needs a fixture the config lacks.
	FixtureMissing SkipReason = "fixture-missing"
	// NotApplicable: the case means nothing for this config (a Bearer
	// variant where the key travels in another header).
	NotApplicable SkipReason = "not-applicable"
	// NotRun: the request budget or the run's deadline ran out first.
	NotRun SkipReason = "not-run"
)

// Meaning is one row of the verdict table: a verdict or skip reason, what
// it means and what it does to the exit code.
type Meaning struct {
	Name    string `json:"name"`
	Meaning string `json:"meaning"`
	Exit    string `json:"exit"`
}

// VerdictTable describes every verdict, then every skip reason: the one
// table the docs, the report schema and the CLI's help read.
func VerdictTable() []Meaning {
	return []Meaning{
		{string(Passed), "every rule held", "0"},
		{string(Warned), "only SHOULD rules broke", "0 (1 with --strict)"},
		{string(Failed), "a MUST rule broke: the target broke the contract (or a fixture --require names is missing)", "1"},
		{string(Errored), "errconform could not complete the case (connection refused, run cancelled, left unrun under --require all, or the target was not testable: its positive controls could not pass): a harness or setup problem, not a gateway bug", "1 (3 when the target is not testable)"},
		{string(Waived), "a failure that an active waiver excuses until its expiry date", "0"},
		{string(Skipped), "not judged; skip_reason says why", "0"},
		{"skipped: " + string(NotInContract), "the contract does not cover the case's situation or route: listed, never run, never passed", "0"},
		{"skipped: " + string(FixtureMissing), "the case needs a fixture the config lacks (--require turns it into a failure)", "0"},
		{"skipped: " + string(NotApplicable), "the case means nothing for this config (a Bearer variant where the key travels in another header)", "0"},
		{"skipped: " + string(NotRun), "the request budget or the deadline ran out before the case (errored under --require all)", "0"},
	}
}

// Decision is a verdict with its skip reason and the reason in words.
type Decision struct {
	Verdict Verdict
	Skip    SkipReason
	Reason  string
}

// Preconditions are what decides a case before anything is sent.
type Preconditions struct {
	// NotInContract says why the contract does not cover the case, or "".
	NotInContract string
	// MissingFixtures are the fixtures the case needs that the config lacks.
	MissingFixtures []string
	// Required reports whether the run requires a fixture (--require).
	Required func(fixture string) bool
	// Inapplicable says why the case means nothing for the config, or "".
	Inapplicable string
}

// Before decides a case that is not to be sent; false means send it.
func Before(p Preconditions) (Decision, bool) {
	if p.NotInContract != "" {
		return Decision{Skipped, NotInContract, "not in this contract: " + p.NotInContract}, true
	}
	if len(p.MissingFixtures) > 0 {
		var required []string
		for _, key := range p.MissingFixtures {
			if p.Required != nil && p.Required(key) {
				required = append(required, key)
			}
		}
		if len(required) > 0 {
			return Decision{Failed, "", fixtureList(required) + " required (--require) but not configured"}, true
		}
		return Decision{Skipped, FixtureMissing, "fixture not configured: " + fixtureList(p.MissingFixtures)}, true
	}
	if p.Inapplicable != "" {
		return Decision{Skipped, NotApplicable, p.Inapplicable}, true
	}
	return Decision{}, false
}

// Interrupted decides a case whose last exchange never became a response
// to judge: cut by the request budget (not run; errored when every case
// is required), or unreachable or cancelled (errored). sent counts the
// case's exchanges before the last; false means judge the exchanges.
func Interrupted(last wire.Exchange, sent int, requireAll bool) (Decision, bool) {
	switch last.Failure {
	case wire.FailureBudget:
		d := Decision{Skipped, NotRun, fmt.Sprintf("not run: %s (after %d of its requests)", last.Err, sent)}
		if requireAll {
			// The whole contract was asked for: a case left unrun is not a pass.
			d = Decision{Errored, "", d.Reason + "; --require all asks for every case"}
		}
		return d, true
	case wire.FailureUnreachable, wire.FailureCancelled:
		return Decision{Errored, "", last.Err}, true
	}
	return Decision{}, false
}

// AlreadyLimited is the reason a burst is errored when its very first
// request was refused with the limit's status: the key was limited before
// the case began, so the burst proved nothing about the limit.
const AlreadyLimited = "precondition not met: the key was already limited (the first request of the burst got %d, none succeeded before the limit): wait for the window or use another key"

// BurstPrecondition decides a burst whose precondition did not hold: some
// requests must succeed before the limit answers. exchanges are the
// burst's, want the limit's status; false means judge the burst.
func BurstPrecondition(exchanges []wire.Exchange, want int) (Decision, bool) {
	if len(exchanges) == 0 || exchanges[0].Response == nil || exchanges[0].Failure != wire.FailureNone || exchanges[0].Response.Status != want {
		return Decision{}, false
	}
	return Decision{Errored, "", fmt.Sprintf(AlreadyLimited, want)}, true
}

// NotTestable decides every case of a target whose positive controls
// could not pass (a wrong base URL, a refused key, ...): not judged, errored
// with that one cause.
func NotTestable(why string) Decision {
	return Decision{Errored, "", "not testable: " + why}
}

// Unfinished decides a case the run's deadline or an interrupt left
// without a result.
func Unfinished(why string) Decision { return Decision{Errored, "", why} }

// Judge turns findings into a verdict; strict makes SHOULD findings fail.
func Judge(findings []Finding, strict bool) Verdict {
	verdict := Passed
	for _, f := range findings {
		if f.Severity == Must || strict {
			return Failed
		}
		verdict = Warned
	}
	return verdict
}

// Waiver is what Waive needs of a case's waiver (config.Waiver as the
// config or waiver file gave it; suites.WaiverOf): why, the date it
// expires on as written, and the instant it lapses.
type Waiver struct {
	Reason  string
	Expires string
	Until   time.Time
}

// Active reports whether the waiver still holds at now.
func (w Waiver) Active(now time.Time) bool { return now.Before(w.Until) }

// Waive turns a failure into a waived verdict while the case's waiver is
// active; an expired waiver leaves the failure standing and says so, and a
// waiver on a passing case is reported as no longer needed.
func Waive(d Decision, w Waiver, now time.Time) Decision {
	switch {
	case d.Verdict == Failed && w.Active(now):
		d.Verdict = Waived
		d.Reason = fmt.Sprintf("waived until %s: %s", w.Expires, w.Reason)
	case d.Verdict == Failed:
		d.Reason = fmt.Sprintf("waiver expired on %s (%s)", w.Expires, w.Reason)
	case d.Verdict == Passed || d.Verdict == Warned:
		d.Reason = fmt.Sprintf("waived until %s but no longer failing: the waiver can go", w.Expires)
	}
	return d
}

// Redecide is the verdict a judged case's findings, its waiver (nil:
// none) and the run's settings give, decided as the run decides it: Judge,
// then Waive at the run's time. errconform merge re-decides every shard's
// stated verdict with it. A case decided before or without judging an
// answer has no findings: skipped and errored keep the stated verdict, and
// a case failed for a fixture --require names (requiredMissing) is failed.
func Redecide(stated Verdict, findings []Finding, strict, requiredMissing bool, w *Waiver, at time.Time) Verdict {
	verdict := Judge(findings, strict)
	if len(findings) == 0 {
		switch {
		case stated == Skipped || stated == Errored:
			return stated
		case requiredMissing:
			verdict = Failed
		}
	}
	if w != nil {
		verdict = Waive(Decision{Verdict: verdict}, *w, at).Verdict
	}
	return verdict
}

func fixtureList(keys []string) string {
	named := make([]string, len(keys))
	for i, k := range keys {
		named[i] = "fixtures." + k
	}
	return strings.Join(named, ", ")
}

// Headline is a case in one line: its first MUST finding, else its first
// finding, else the reason it carries (why skipped, errored or waived).
func Headline(findings []Finding, reason string) string {
	for _, f := range findings {
		if f.Severity == Must {
			return f.String()
		}
	}
	if len(findings) > 0 {
		return findings[0].String()
	}
	return reason
}
