package check

import "fmt"

// A baseline is another target judged on the same cases (or explored
// variants): the upstream behind a gateway, or the release in production.
// Each finding of the target is classified against the baseline's
// findings for the same case: new (the baseline does not fail that way),
// inherited (the baseline fails the same way: same rule, same expected and
// observed value, volatile values normalised as ObservationKey does), and
// each baseline finding the target does not have is fixed. The functions
// here are pure: the run pairs the cases and decides the gate with them.

// Class says how a finding compares with the baseline's findings.
type Class string

// Classes.
const (
	// New: the baseline does not have the finding (or has no result for
	// the case to compare with).
	New Class = "new"
	// Inherited: the baseline fails the same way.
	Inherited Class = "inherited"
	// Fixed: the baseline has the finding, the target does not.
	Fixed Class = "fixed"
)

// Classes lists the classes in the order reports show them.
func Classes() []Class { return []Class{New, Inherited, Fixed} }

// BaselineCase is what the baseline gave for a case or variant.
type BaselineCase struct {
	// Judged reports whether the baseline judged the case (passed, warned,
	// failed or waived). A case the baseline did not run, skipped or
	// errored on has nothing to inherit: every finding of the target is
	// new, and nothing is fixed.
	Judged bool
	// Findings are the baseline's findings for the case.
	Findings []Finding
}

// BaselineOf is the baseline's entry for a case with this verdict and
// these findings (as a report or a run's result states them).
func BaselineOf(v Verdict, findings []Finding) BaselineCase {
	switch v {
	case Passed, Warned, Failed, Waived:
		return BaselineCase{Judged: true, Findings: findings}
	}
	return BaselineCase{}
}

// ClassifiedFinding is a finding with its class.
type ClassifiedFinding struct {
	Finding
	Class Class `json:"class"`
}

// Classification is one case's findings classified against its baseline.
type Classification struct {
	// Compared reports whether the baseline judged the case: when it did
	// not, every finding is new for want of a comparison, and reports say
	// so rather than claim a regression.
	Compared bool `json:"compared"`
	// Findings are the target's findings, in their order, each new or
	// inherited.
	Findings []ClassifiedFinding `json:"findings"`
	// Fixed are the baseline's findings the target does not have, in the
	// baseline's order.
	Fixed []Finding `json:"fixed,omitempty"`
}

// findingKey is the comparable form of one finding (ObservationKey of it
// alone): its rule, expected and observed value, volatile values
// normalised. Severity, message and pointer do not count: the same
// observation under another contract may carry another severity.
func findingKey(f Finding) string { return ObservationKey([]Finding{f}) }

// Classify classifies target, a case's findings, against the baseline's
// for the same case. Findings are matched as a multiset: a finding the
// target has twice and the baseline once is inherited once and new once.
func Classify(target []Finding, baseline BaselineCase) Classification {
	c := Classification{Compared: baseline.Judged, Findings: make([]ClassifiedFinding, len(target))}
	left := map[string]int{} // baseline findings not matched yet, by key
	if baseline.Judged {
		for _, f := range baseline.Findings {
			left[findingKey(f)]++
		}
	}
	for i, f := range target {
		class := New
		if k := findingKey(f); left[k] > 0 {
			left[k]--
			class = Inherited
		}
		c.Findings[i] = ClassifiedFinding{Finding: f, Class: class}
	}
	if !baseline.Judged {
		return c
	}
	for _, f := range baseline.Findings {
		if k := findingKey(f); left[k] > 0 {
			left[k]--
			c.Fixed = append(c.Fixed, f)
		}
	}
	return c
}

// ClassCounts counts a case's (or a run's) findings by class, and the
// failing ones (MUST, or any under strict) apart.
type ClassCounts struct {
	New              int `json:"new"`
	Inherited        int `json:"inherited"`
	Fixed            int `json:"fixed"`
	FailingNew       int `json:"failing_new"`
	FailingInherited int `json:"failing_inherited"`
	FailingFixed     int `json:"failing_fixed"`
}

// Add adds o to c (a run's total over its cases).
func (c *ClassCounts) Add(o ClassCounts) {
	c.New += o.New
	c.Inherited += o.Inherited
	c.Fixed += o.Fixed
	c.FailingNew += o.FailingNew
	c.FailingInherited += o.FailingInherited
	c.FailingFixed += o.FailingFixed
}

// failing reports whether a finding fails a case: a MUST finding, or any
// under strict (as Judge decides).
func failing(f Finding, strict bool) bool { return f.Severity == Must || strict }

// Counts counts the classification's findings by class.
func (c Classification) Counts(strict bool) ClassCounts {
	var n ClassCounts
	for _, f := range c.Findings {
		fails := failing(f.Finding, strict)
		switch f.Class {
		case New:
			n.New++
			if fails {
				n.FailingNew++
			}
		case Inherited:
			n.Inherited++
			if fails {
				n.FailingInherited++
			}
		}
	}
	for _, f := range c.Fixed {
		n.Fixed++
		if failing(f, strict) {
			n.FailingFixed++
		}
	}
	return n
}

// CaseClass is a case's class as a whole, what a report groups it under:
// New when one of its failing findings is new, Inherited when it fails
// and every failing finding is inherited, Fixed when it does not fail but
// the baseline failed it, and "" when neither fails (its warnings, if
// any, keep their own classes).
func (c Classification) CaseClass(strict bool) Class {
	n := c.Counts(strict)
	switch {
	case n.FailingNew > 0:
		return New
	case n.FailingInherited > 0:
		return Inherited
	case n.FailingFixed > 0:
		return Fixed
	}
	return ""
}

// FailOn is what fails the gate (--fail-on).
type FailOn string

// FailOn values.
const (
	// FailOnAny: every failed or errored case fails the gate (the default).
	FailOnAny FailOn = "any"
	// FailOnNew: a failed case whose every failing finding is inherited
	// from the baseline is reported but does not fail the gate.
	FailOnNew FailOn = "new"
)

// ParseFailOn reads a --fail-on value; "" is the default, any.
func ParseFailOn(s string) (FailOn, error) {
	switch FailOn(s) {
	case "", FailOnAny:
		return FailOnAny, nil
	case FailOnNew:
		return FailOnNew, nil
	}
	return "", fmt.Errorf("--fail-on %q: want %s or %s", s, FailOnNew, FailOnAny)
}

// FailsGate reports whether a case with this verdict fails the gate.
// Under FailOnAny a failed or errored case does. Under FailOnNew an
// errored case still does (a harness problem is no one's inheritance), and
// so does a failed case with a new failing finding, a failed case with no
// failing finding to compare (a fixture --require names is missing), and
// a failed case without a classification (nil: no baseline result); a
// failed case whose every failing finding is inherited does not.
func FailsGate(v Verdict, c *Classification, failOn FailOn, strict bool) bool {
	switch v {
	case Errored:
		return true
	case Failed:
	default:
		return false
	}
	if failOn != FailOnNew || c == nil {
		return true
	}
	n := c.Counts(strict)
	return n.FailingNew > 0 || n.FailingInherited == 0
}

// ClassSummary is a run's classification in numbers: cases by class and
// findings by class.
type ClassSummary struct {
	// Cases counts the cases by CaseClass; cases with none are not counted.
	Cases map[Class]int `json:"cases"`
	// Findings counts the findings by class over every case.
	Findings ClassCounts `json:"findings"`
	// NotCompared counts the cases with findings that the baseline did not
	// judge (their findings are all new).
	NotCompared int `json:"not_compared"`
}

// Add adds o to s (the classes of cases a report lists, and of those a
// run counted without keeping them).
func (s *ClassSummary) Add(o ClassSummary) {
	if s.Cases == nil {
		s.Cases = map[Class]int{}
	}
	for class, n := range o.Cases {
		s.Cases[class] += n
	}
	s.Findings.Add(o.Findings)
	s.NotCompared += o.NotCompared
}

// SummarizeClasses sums classified cases (or variants).
func SummarizeClasses(cases []Classification, strict bool) ClassSummary {
	s := ClassSummary{Cases: map[Class]int{}}
	for _, c := range cases {
		if class := c.CaseClass(strict); class != "" {
			s.Cases[class]++
		}
		s.Findings.Add(c.Counts(strict))
		if !c.Compared && len(c.Findings) > 0 {
			s.NotCompared++
		}
	}
	return s
}

// CaseFindings is what a run or a report states of one case or explored
// variant: its ID, verdict and findings.
type CaseFindings struct {
	ID       string
	Verdict  Verdict
	Findings []Finding
}

// ClassifyAll classifies each of the target's cases against the
// baseline's case with the same ID (a case the baseline lacks has nothing
// to inherit: BaselineCase{}). Cases only the baseline has are not the
// target's and are left out.
func ClassifyAll(target, baseline []CaseFindings) map[string]Classification {
	base := make(map[string]BaselineCase, len(baseline))
	for _, c := range baseline {
		base[c.ID] = BaselineOf(c.Verdict, c.Findings)
	}
	out := make(map[string]Classification, len(target))
	for _, c := range target {
		out[c.ID] = Classify(c.Findings, base[c.ID])
	}
	return out
}
