package runner

import (
	"runtime"
	"sync"

	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	gomegatypes "github.com/onsi/gomega/types"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// Ginkgo drives every run (run, explore, a fleet, a shard, a monitor's
// tick): one suite per process, an Ordered container per target, a spec
// per case (per explored field for explore's variants, whose variants
// are judged in that spec), with the case's labels. The engine
// (engine.go) performs a target's cases under its rate cap and bounds and
// hands each result to the target's mailbox; each spec takes its case's
// result from there and decides its verdict with the contract matcher
// (keepTheContract: check's rules, then check.Judge, then the waiver).
// Ginkgo's pass, fail and skip are the verdicts: a failed or errored case
// fails its spec, a skipped or waived one is skipped, a passed or warned
// one passes. The container's AfterAll builds the target's part of the
// report. RunSpecs runs once per process: a monitor runs each tick in a
// process of its own.

// specReport is Ginkgo's report of a run's specs.
type specReport = types.Report

// ginkgoSuiteText names the one suite (and its outer container, which
// keeps the targets in the plan's order: Ginkgo shuffles only top-level
// containers).
const ginkgoSuiteText = "errconform"

// runFleet runs plan's targets through Ginkgo within ctx and returns the
// run's report and exit code (fleetRun.outcome), with Ginkgo's report of
// the specs. It must be called once per process.
func (a App) runFleet(ctx context.Context, fl fleetResolution, plan []*targetRun, lines *caseLines) fleetOutcome {
	f := a.startFleet(ctx, fl, plan, lines)
	var specReport types.Report
	ginkgo.Describe(ginkgoSuiteText, func() {
		for i, t := range plan {
			f.targetSpecs(i, t)
		}
	})
	ginkgo.ReportAfterSuite("errconform", func(r types.Report) { specReport = r })
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	// The run's own --deadline bounds it (ctx); Ginkgo's default hour
	// must not cut a long run short.
	suiteConfig.Timeout = 100 * 365 * 24 * time.Hour
	suiteConfig.GracePeriod = 2 * time.Second // a spec waits on its mailbox, which an interrupt fills at once
	suiteConfig.RandomizeAllSpecs = false
	reporterConfig.NoColor = true
	// errconform prints its own line per case; Ginkgo's console reporter
	// would repeat them in Ginkgo's words.
	formatter.ColorableStdOut = io.Discard
	ginkgo.RunSpecs(ginkgoT{}, ginkgoSuiteText, suiteConfig, reporterConfig)
	// An interrupt stops Ginkgo's specs where they are (it skips the rest):
	// the cases their specs did not judge are judged now, by the same path.
	for i := range plan {
		f.finishTarget(i)
	}
	out := f.outcome()
	out.specs = &specReport
	return out
}

// targetSpecs declares target i's container: its specs in the order the
// cases are judged (judgingOrder: the controls, the concurrent phase's
// cases, those that run alone), a spec per catalogue case and a spec per
// explored field for the variants (as many specs as fields, not variants:
// Ginkgo keeps a node and a report per spec), and the target's part built
// after the last spec.
func (f *fleetRun) targetSpecs(i int, t *targetRun) {
	ginkgo.Describe(t.name(), ginkgo.Ordered, ginkgo.ContinueOnFailure, func() {
		for k := 0; k < len(t.order); {
			at := t.order[k]
			if !t.list.isVariant(at) {
				caseSpec(t, f.lines, t.caseAt(at), k)
				k++
				continue
			}
			// The variants come together, field by field.
			for _, field := range t.list.variants.order {
				n := t.list.variants.fieldTotal(field)
				fieldSpec(t, f.lines, field, k, k+n)
				k += n
			}
		}
		ginkgo.AfterAll(func() { f.finishTarget(i) })
	})
}

// caseSpec is the spec of the case judged k-th: it takes the case's result
// (once those before it are judged) and decides its verdict.
func caseSpec(t *targetRun, lines *caseLines, c suites.Case, k int) {
	ginkgo.It(c.ID, ginkgo.Label(ginkgoLabels(c.Labels)...), func(ctx ginkgo.SpecContext) {
		r, ok := t.takeKth(ctx, k, lines)
		if !ok {
			ginkgo.Fail("interrupted before the case was judged")
		}
		m := &contractMatcher{t: t, lines: lines}
		defer func() { t.record(t.order[k], m.judged) }()
		gomega.NewGomega(ginkgo.Fail).Expect(r).To(m) // decided; Ginkgo's outcome follows
		specOutcome(m.judged)
	})
}

// fieldSpec is an explored field's spec: every variant of the field (the
// from-th to the end-th judged), each judged by the contract matcher,
// several at once (the variants of a field are many, and judging them is
// the run's CPU); it fails when any of them does, naming how many.
func fieldSpec(t *targetRun, lines *caseLines, field string, from, end int) {
	name := fmt.Sprintf("explore %s (%d variants)", field, end-from)
	ginkgo.It(name, ginkgo.Label(ginkgoLabels([]string{"explore", "field:" + field})...), func(ctx ginkgo.SpecContext) {
		failed := 0
		matchers := make([]*contractMatcher, 0, judgeAtOnce())
		for k := from; k < end; {
			// Take as many variants as are judged at once, in order, and
			// judge them side by side; record them in order.
			matchers = matchers[:0]
			var wg sync.WaitGroup
			for ; k < end && len(matchers) < cap(matchers); k++ {
				r, ok := t.takeKth(ctx, k, lines)
				if !ok {
					wg.Wait()
					ginkgo.Fail(fmt.Sprintf("interrupted after %d of %d variants", k-from, end-from))
				}
				m := &contractMatcher{t: t, lines: lines, at: t.order[k]}
				matchers = append(matchers, m)
				wg.Add(1)
				go func() {
					defer wg.Done()
					if ok, _ := m.Match(r); !ok {
						m.failed = true
					}
				}()
			}
			wg.Wait()
			for _, m := range matchers {
				if m.failed {
					failed++
				}
				t.record(m.at, m.judged)
			}
		}
		if failed > 0 {
			ginkgo.Fail(fmt.Sprintf("%d of %d variants of %s failed or errored", failed, end-from, field))
		}
	})
}

// judgeAtOnce is how many variants a field's spec judges side by side.
func judgeAtOnce() int { return 2 * runtime.GOMAXPROCS(0) }

// specOutcome makes Ginkgo's outcome the verdict's: a skipped or waived
// case is skipped (with why), a failed or errored one has already failed
// through the matcher.
func specOutcome(r suites.Result) {
	switch r.Verdict {
	case check.Skipped, check.Waived:
		ginkgo.Skip(r.Reason)
	}
}

// contractMatcher is the Gomega matcher that decides a case: its actual is
// the case's result as the engine performed it; Match judges it
// (targetRun.judged: check's rules under the case's expectation and the
// contract, check.Judge, the waiver) and succeeds unless the verdict is
// failed or errored. judged is the decided result.
type contractMatcher struct {
	t      *targetRun
	lines  *caseLines
	judged suites.Result
	// at and failed: the variant's position and whether it failed or
	// errored (a field's spec).
	at     int
	failed bool
}

var _ gomegatypes.GomegaMatcher = (*contractMatcher)(nil)

func (m *contractMatcher) Match(actual any) (bool, error) {
	r, ok := actual.(suites.Result)
	if !ok {
		return false, fmt.Errorf("keeps the contract: a case's result, not %T", actual)
	}
	m.judged = m.t.judged(r, m.lines)
	return m.judged.Verdict != check.Failed && m.judged.Verdict != check.Errored, nil
}

func (m *contractMatcher) FailureMessage(any) string {
	if m.judged.Verdict == check.Errored {
		return "errored: " + m.judged.Summary()
	}
	return m.judged.Summary()
}

func (m *contractMatcher) NegatedFailureMessage(any) string {
	return "expected the case to break the contract; it kept it"
}

// ginkgoT is the GinkgoTestingT RunSpecs needs: the verdicts are
// recorded by the specs themselves, the suite's outcome read from them.
type ginkgoT struct{}

func (ginkgoT) Fail() {}

// ginkgoLabels are the labels Ginkgo takes of a case's: a label from a
// contract (a code with a slash, say) that Ginkgo's syntax refuses is left
// out of the spec (Ginkgo would end the process on it); errconform's
// own selection (--label-filter) reads the case's labels, every one.
func ginkgoLabels(labels []string) []string {
	out := make([]string, 0, len(labels))
	for _, l := range labels {
		if _, err := types.ValidateAndCleanupLabel(l, types.CodeLocation{}); err == nil {
			out = append(out, l)
		}
	}
	return out
}

// specsAgree checks Ginkgo's report of a run's specs against the run's
// JSON report, whose verdicts those specs decided: every catalogue case
// has its spec, in its target's container, and the spec's state is its
// verdict's (failed or errored: failed; skipped or waived: skipped;
// passed or warned: passed); an explored field's spec failed exactly when
// one of its variants did. A spec an interrupt stopped is not compared
// (its cases were judged after Ginkgo stopped, by the same path). The
// JUnit report, rendered from the JSON report, thereby says what Ginkgo's
// specs decided.
func specsAgree(specs *types.Report, rep reports.JSONReport, red *redact.Redactor) error {
	if specs == nil {
		return nil
	}
	type key struct{ target, name string }
	states := map[key]types.SpecState{}
	for _, sr := range specs.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt || len(sr.ContainerHierarchyTexts) < 2 {
			continue
		}
		// The report's names are redacted (a case ID may hold a
		// fixture's value); the specs' are not.
		states[key{red.String(sr.ContainerHierarchyTexts[1]), red.String(sr.LeafNodeText)}] = sr.State
	}
	// An interrupt skips every spec after it: those cases were judged
	// after Ginkgo stopped.
	interrupted := slices.ContainsFunc(specs.SpecialSuiteFailureReasons, func(s string) bool { return strings.Contains(s, "Interrupted") })
	stopped := func(s types.SpecState) bool {
		return stoppedByGinkgo(s) || (interrupted && s == types.SpecStateSkipped)
	}
	for _, t := range rep.Targets {
		fieldFailed := map[string]bool{}
		for _, c := range t.Cases {
			if c.Group == suites.ExploreGroup {
				field := labelValue(c.Labels, "field")
				fieldFailed[field] = fieldFailed[field] || c.Verdict == check.Failed || c.Verdict == check.Errored
				continue
			}
			state, ok := states[key{t.Name, c.ID}]
			if !ok {
				return fmt.Errorf("internal error: case %s of target %s has no Ginkgo spec", c.ID, t.Name)
			}
			if want := specState(c.Verdict); stopped(state) || state == want {
				continue
			}
			return fmt.Errorf("internal error: case %s of target %s is %s in the report but its Ginkgo spec %s", c.ID, t.Name, c.Verdict, state)
		}
		for k, state := range states {
			field, isField := strings.CutPrefix(k.name, "explore ")
			if k.target != t.Name || !isField || stopped(state) {
				continue
			}
			field, _, _ = strings.Cut(field, " (")
			if failed := state == types.SpecStateFailed; failed != fieldFailed[field] {
				return fmt.Errorf("internal error: explored field %s of target %s: its Ginkgo spec %s, its variants in the report do not agree", field, t.Name, state)
			}
		}
	}
	return nil
}

// specState is the state of the spec that decided a case with this
// verdict.
func specState(v check.Verdict) types.SpecState {
	switch v {
	case check.Failed, check.Errored:
		return types.SpecStateFailed
	case check.Skipped, check.Waived:
		return types.SpecStateSkipped
	}
	return types.SpecStatePassed
}

// stopped reports whether Ginkgo stopped the spec before it decided (an
// interrupt, its grace period).
func stoppedByGinkgo(s types.SpecState) bool {
	return s.Is(types.SpecStateInterrupted | types.SpecStateAborted | types.SpecStateTimedout | types.SpecStatePanicked)
}
