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
	out.ginkgo = &specReport
	out.specs = f.specsOf(specReport)
	return out
}

// specsOf is Ginkgo's report of the run's specs as the reports read them
// (reports.Spec): what each spec decided, from the tree runFleet built,
// and Ginkgo's outcome of it, names redacted as the report's are. After
// an interrupt, Ginkgo skips every spec it did not run: those decided
// nothing.
func (f *fleetRun) specsOf(r types.Report) []reports.Spec {
	interrupted := slices.ContainsFunc(r.SpecialSuiteFailureReasons, func(s string) bool { return strings.Contains(s, "Interrupted") })
	var out []reports.Spec
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt || len(sr.ContainerHierarchyTexts) < 2 {
			continue
		}
		spec, ok := f.tree[specKey{sr.ContainerHierarchyTexts[1], sr.LeafNodeText}]
		if !ok {
			continue
		}
		switch {
		case sr.State == types.SpecStatePassed:
			spec.State = reports.SpecPassed
		case sr.State == types.SpecStateFailed:
			spec.State = reports.SpecFailed
		case sr.State == types.SpecStateSkipped && !interrupted:
			spec.State = reports.SpecSkipped
		default: // Ginkgo stopped it, or skipped it after an interrupt
			spec.State = "stopped: " + sr.State.String()
		}
		spec.Target, spec.Case, spec.Field = f.redactor.String(spec.Target), f.redactor.String(spec.Case), f.redactor.String(spec.Field)
		out = append(out, spec)
	}
	return out
}

// specKey names a spec in the tree: its target's container and its text.
type specKey struct{ target, text string }

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
				c := t.caseAt(at)
				f.tree[specKey{t.name(), c.ID}] = reports.Spec{Target: t.name(), Case: c.ID}
				caseSpec(t, f.lines, c, k)
				k++
				continue
			}
			// The variants come together, field by field.
			for _, field := range t.list.variants.order {
				n := t.list.variants.fieldTotal(field)
				f.tree[specKey{t.name(), fieldSpecName(field, n)}] = reports.Spec{Target: t.name(), Field: field, Variants: n}
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
	ginkgo.It(fieldSpecName(field, end-from), ginkgo.Label(ginkgoLabels([]string{"explore", "field:" + field})...), func(ctx ginkgo.SpecContext) {
		failed := 0
		matchers := make([]*contractMatcher, 0, judgeAtOnce())
		for k := from; k < end; {
			// Take as many variants as are judged at once, in order, and
			// judge them side by side; record them in order.
			matchers = matchers[:0]
			var wg sync.WaitGroup
			record := func() {
				wg.Wait()
				for _, m := range matchers {
					if m.failed {
						failed++
					}
					t.record(m.at, m.judged)
				}
			}
			for ; k < end && len(matchers) < cap(matchers); k++ {
				r, ok := t.takeKth(ctx, k, lines)
				if !ok {
					record() // those taken are judged: the rest are, once the target finishes
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
			record()
		}
		if failed > 0 {
			ginkgo.Fail(fmt.Sprintf("%d of %d variants of %s failed or errored", failed, end-from, field))
		}
	})
}

// fieldSpecName is an explored field's spec's name.
func fieldSpecName(field string, variants int) string {
	return fmt.Sprintf("explore %s (%d variants)", field, variants)
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

// specsAgree checks every target's cases in the run's report against
// Ginkgo's specs (reports.SpecCases: each case has its spec, and a spec
// that decided has its case's outcome).
func specsAgree(specs []reports.Spec, rep reports.JSONReport) error {
	if specs == nil {
		return nil
	}
	for _, t := range rep.Targets {
		if _, err := reports.SpecCases(t, specs); err != nil {
			return err
		}
	}
	return nil
}
