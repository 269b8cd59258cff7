package runner

import (
	"errors"
	"fmt"
	"iter"
	"path"
	"slices"
	"strings"

	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// caseList is a run's selected cases in order: the catalogue's cases
// before the explore variants, the variants, then the catalogue's cases
// that run alone. It holds the catalogue's cases, not the variants: each
// walk makes them again from the explore plan (the same variants in the
// same order), so a run's memory does not grow with their number.
type caseList struct {
	head, tail []suites.Case
	// plan makes the variants (nil: none); keep says which of them the
	// run selected.
	plan *suites.ExplorePlan
	keep func(suites.Case) bool
	// variants counts the selected variants per field and constraint,
	// fields in the order the plan makes them.
	variants exploreCounts
}

// heldCases is a case list holding every case (a fleet's target, whose
// shards need the cases in hand).
func heldCases(cases []suites.Case) caseList { return caseList{head: cases} }

// Len is how many cases the list has.
func (l caseList) Len() int { return len(l.head) + l.variants.total + len(l.tail) }

// isVariant reports whether position i of the list is one of the plan's
// variants.
func (l caseList) isVariant(i int) bool { return i >= len(l.head) && i < len(l.head)+l.variants.total }

// All walks the list: each case with its position.
func (l caseList) All() iter.Seq2[int, suites.Case] {
	return func(yield func(int, suites.Case) bool) {
		i := 0
		for _, c := range l.head {
			if !yield(i, c) {
				return
			}
			i++
		}
		if l.plan != nil {
			more := true
			// The walk's only error (too many variants) is the
			// selection's: selectCases walked this same plan first and
			// returned it, so a list is never made from such a plan.
			_ = l.plan.Walk(func(c suites.Case) bool {
				if !l.keep(c) {
					return true
				}
				more = yield(i, c)
				i++
				return more
			})
			if !more {
				return
			}
		}
		for _, c := range l.tail {
			if !yield(i, c) {
				return
			}
			i++
		}
	}
}

// held is the catalogue's cases of the list (the controls among them).
func (l caseList) held() []suites.Case { return slices.Concat(l.head, l.tail) }

// cases is every case of the list, made and kept.
func (l caseList) cases() []suites.Case {
	out := make([]suites.Case, 0, l.Len())
	for _, c := range l.All() {
		out = append(out, c)
	}
	return out
}

// exploreCounts counts the list's variants per field and constraint.
func (l caseList) exploreCounts() exploreCounts {
	if l.plan != nil {
		return l.variants
	}
	return countVariants(l.head)
}

// nothingToRerun: the --rerun-failed report has no failed or errored
// case.
type nothingToRerun struct{ report string }

func (e nothingToRerun) Error() string {
	return fmt.Sprintf("--rerun-failed %s: no failed or errored case: nothing to re-run", e.report)
}

// selectCases returns the cases a run selects, in order, from the
// catalogue's cases (head, then the plan's variants, then tail): those
// that pass every selector given (--label-filter, --case, --rerun-failed),
// and the positive controls, which run whatever the selectors say: they
// prove the run tests the intended target with a working key and model.
// It walks the plan once, to check the selectors against every ID and
// count what they select; a plan with more variants than its cap fails
// here (suites.ErrTooManyVariants), before anything is sent, and before
// the selectors' own errors: a configuration error is the configuration's
// whatever the command line says.
//
// Its complexity (35) is the selectors' own: each of the three (label
// filter, --case globs, --rerun-failed) is applied and checked in the one
// walk of the plan, so that explore's variants are made once; a walk per
// selector would make every variant three times.
func selectCases(o runOptions, head, tail []suites.Case, plan *suites.ExplorePlan, target reportTarget) (caseList, error) {
	filter, filterErr := parseLabelFilter(o.labelFilter)
	if filterErr != nil {
		filter = func([]string) bool { return false }
	}
	var patterns []string
	for _, p := range o.cases {
		if p = strings.TrimSpace(p); p != "" {
			patterns = append(patterns, p)
		}
	}
	var rerun map[string]bool
	var rerunErr error
	if o.rerunFailed != "" {
		rerun, rerunErr = failedIn(o.rerunFailed, target)
	}
	patternMatched := make([]bool, len(patterns))
	rerunKnown := map[string]bool{}
	var badPattern error
	// seen checks a case against the patterns and the report's failures.
	seen := func(id string) {
		for i, p := range patterns {
			ok, err := path.Match(p, id)
			if err != nil && badPattern == nil {
				badPattern = usagef("--case %q: not a valid glob: %v", p, err)
			}
			patternMatched[i] = patternMatched[i] || ok
		}
		if rerun[id] {
			rerunKnown[id] = true
		}
	}
	selects := func(c suites.Case) bool {
		return filter(c.Labels) && (patterns == nil || matchesAny(patterns, c.ID)) && (rerun == nil || rerun[c.ID])
	}
	matched := 0
	pick := func(cases []suites.Case) []suites.Case {
		var out []suites.Case
		for _, c := range cases {
			seen(c.ID)
			ok := selects(c)
			if ok {
				matched++
			}
			if ok || c.Control {
				out = append(out, c)
			}
		}
		if len(out) == len(cases) {
			return cases // every case: no second copy
		}
		return out
	}
	list := caseList{head: pick(head), tail: pick(tail), plan: plan, keep: selects}
	if plan != nil {
		list.variants = newExploreCounts()
		err := plan.Walk(func(c suites.Case) bool {
			seen(c.ID)
			if selects(c) {
				matched++
				list.variants.add(c)
			}
			return true
		})
		if err != nil {
			return caseList{}, err
		}
		list.variants.finish()
	}
	if filterErr != nil {
		return caseList{}, filterErr
	}
	if rerunErr != nil {
		return caseList{}, rerunErr
	}
	if badPattern != nil {
		return caseList{}, badPattern
	}
	for i, p := range patterns {
		if !patternMatched[i] {
			return caseList{}, usagef("--case %q matches no case ID (errconform list shows them; in a glob, * does not cross /)", p)
		}
	}
	if rerun != nil {
		var unknown []string
		for id := range rerun {
			if !rerunKnown[id] {
				unknown = append(unknown, id)
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return caseList{}, usagef("--rerun-failed %s: %d failed case(s) this errconform does not know (a report from another version?): %s",
				o.rerunFailed, len(unknown), reports.Printable(strings.Join(unknown, ", ")))
		}
	}
	if matched == 0 {
		var by []string
		if o.labelFilter != "" {
			by = append(by, fmt.Sprintf("--label-filter %q", o.labelFilter))
		}
		for _, p := range patterns {
			by = append(by, fmt.Sprintf("--case %q", p))
		}
		if rerun != nil {
			by = append(by, fmt.Sprintf("--rerun-failed %s", o.rerunFailed))
		}
		return caseList{}, usagef("%s selects no case (errconform list shows the IDs; list --format json their labels)", strings.Join(by, " with "))
	}
	return list, nil
}

func matchesAny(patterns []string, id string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, id); ok {
			return true
		}
	}
	return false
}

// isTooManyVariants reports whether err is a plan's cap on variants.
func isTooManyVariants(err error) bool { return errors.Is(err, suites.ErrTooManyVariants) }
