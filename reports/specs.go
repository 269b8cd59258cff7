package reports

import (
	"fmt"

	"github.com/errconform/errconform/check"
)

// Spec is one Ginkgo spec of a run, as the reports read it: the target
// whose container holds it, the catalogue case it decided (its ID) or the
// explored field whose variants it decided (and how many), and Ginkgo's
// outcome of it (SpecPassed, SpecFailed, SpecSkipped; any other: Ginkgo
// stopped it before it decided, an interrupt). Names are redacted as the
// report's are.
type Spec struct {
	Target   string
	Case     string
	Field    string
	Variants int
	State    string
}

// The outcomes of a spec that decided its case.
const (
	SpecPassed  = "passed"
	SpecFailed  = "failed"
	SpecSkipped = "skipped"
)

// SpecState is the outcome of the spec that decided a case with this
// verdict: failed or errored fail it, skipped or waived skip it, passed
// or warned pass it.
func SpecState(v check.Verdict) string {
	switch v {
	case check.Failed, check.Errored:
		return SpecFailed
	case check.Skipped, check.Waived:
		return SpecSkipped
	}
	return SpecPassed
}

// decided reports whether the spec decided its case (Ginkgo did not stop
// it first).
func (s Spec) decided() bool {
	return s.State == SpecPassed || s.State == SpecFailed || s.State == SpecSkipped
}

// SpecCases lists a target's cases in the order of its specs: each
// catalogue case's spec gives its case, an explored field's spec the
// field's next variants in the report's order; the cases no spec decided
// (an interrupt stopped Ginkgo before their specs ran; they were judged
// after it, by the same path) follow in the report's order. It checks
// that the specs and the report agree: every catalogue case of the target
// has its spec, and a spec that decided has its case's outcome (an
// explored field's failed exactly when one of its variants did); an error
// names the first disagreement.
func SpecCases(t TargetReport, specs []Spec) ([]CaseReport, error) {
	byID := make(map[string]int, len(t.Cases))
	variants := map[string][]int{}
	for i, c := range t.Cases {
		byID[c.ID] = i
		if isExploreVariant(c) {
			field := labelOf(c.Labels, "field")
			variants[field] = append(variants[field], i)
		}
	}
	used := make([]bool, len(t.Cases))
	out := make([]CaseReport, 0, len(t.Cases))
	for _, s := range specs {
		if s.Target != t.Name {
			continue
		}
		if s.Case != "" {
			i, ok := byID[s.Case]
			if !ok || used[i] {
				return nil, fmt.Errorf("internal error: Ginkgo's spec %s of target %s has no case in the report", s.Case, t.Name)
			}
			c := t.Cases[i]
			if s.decided() && SpecState(c.Verdict) != s.State {
				return nil, fmt.Errorf("internal error: case %s of target %s is %s in the report but its Ginkgo spec %s", c.ID, t.Name, c.Verdict, s.State)
			}
			used[i] = true
			out = append(out, c)
			continue
		}
		failed, n := false, 0
		for _, i := range variants[s.Field] {
			if n == s.Variants {
				break
			}
			if used[i] {
				continue
			}
			used[i], n = true, n+1
			out = append(out, t.Cases[i])
			failed = failed || SpecState(t.Cases[i].Verdict) == SpecFailed
		}
		if s.decided() && failed != (s.State == SpecFailed) {
			return nil, fmt.Errorf("internal error: explored field %s of target %s: its Ginkgo spec %s, its variants in the report do not agree", s.Field, t.Name, s.State)
		}
	}
	for i, c := range t.Cases {
		if used[i] {
			continue
		}
		if !isExploreVariant(c) {
			return nil, fmt.Errorf("internal error: case %s of target %s has no Ginkgo spec", c.ID, t.Name)
		}
		out = append(out, c)
	}
	return out, nil
}
