package runner

import (
	"slices"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// variantResults is what a run keeps of its explore variants' results as
// they come in: how many were sent per field and constraint, which variants have a result
// (and which passed or warned, for a baseline's fixed count), and
// the results themselves where the run needs them: every one when a report
// or metrics are written, else only the failed, errored and waived ones
// (the summary's failure groups and waived failures), the others counted
// in dropped. A run that
// writes no report then holds a flag per variant, and otherwise memory
// that does not grow with the number of variants.
//
// Of the results kept, the first fullEvidences failed or errored ones keep
// what a case's evidence keeps (keptResult); every other keeps its
// answers' bodies as a redacted excerpt of variantExcerptBytes, so that
// the memory of a run with thousands of variants stays bounded whatever
// the target answers.
type variantResults struct {
	keepEvery bool
	// redactor redacts the excerpts; nil cuts them unredacted (a report
	// redacts what it shows in any case).
	redactor  *redact.Redactor
	full      int // results kept with full evidence
	total     int
	sent      exploreCounts // the variants with a result that are not skipped
	done      []bool        // by position among the variants
	got       int
	cancelled int // results stopped in flight, or before they could send
	kept      []positioned
	dropped   reports.Summary
	// passed and warned are the judged variants not kept (passed; warned,
	// with their findings), by position: a baseline classifies them too,
	// so that its fixed findings (the baseline fails, the target passes)
	// count whether or not a report keeps every result. A flag per
	// variant, and the findings of the warned ones.
	passed []bool
	warned map[int][]check.Finding
}

// fullEvidences is how many failed or errored variants keep their full
// evidence (each answer's body up to reports.EvidenceBodyBytes); the
// others keep variantExcerptBytes of each body, redacted.
const (
	fullEvidences       = 256
	variantExcerptBytes = 512
)

// positioned is a kept result and its variant's position.
type positioned struct {
	at int
	r  suites.Result
}

// newVariantResults is ready for total variants; keepEvery keeps every
// result, not the failed and errored only.
func newVariantResults(total int, keepEvery bool) *variantResults {
	return &variantResults{keepEvery: keepEvery, total: total, sent: newExploreCounts(),
		done: make([]bool, total), dropped: reports.Summarize(nil)}
}

// keepsEveryResult reports whether a run needs every result to its end:
// a report file, or metrics, lists every case.
func keepsEveryResult(o runOptions) bool {
	return writesReportFile(o) || o.metrics != "" || o.pushgateway != ""
}

// record takes the result of the variant at position at (once).
func (v *variantResults) record(at int, r suites.Result) {
	if at < 0 || at >= v.total || v.done[at] {
		return
	}
	v.done[at] = true
	v.got++
	if ex, judged := r.Judged(); judged && ex.Failure == probe.FailureCancelled {
		v.cancelled++
	}
	if r.Verdict != check.Skipped {
		v.sent.add(r.Case)
	}
	if v.keepEvery || r.KeepsEvidence() || r.Verdict == check.Waived {
		// A waived variant is kept too (as few as the waivers name): the
		// summary lists every waived failure.
		if r.KeepsEvidence() && v.full < fullEvidences {
			v.full++
		} else {
			r = r.WithBodiesCut(variantExcerptBytes, v.redactor)
		}
		v.kept = append(v.kept, positioned{at, r})
		return
	}
	v.dropped.Add(r)
	switch r.Verdict {
	case check.Passed:
		if v.passed == nil {
			v.passed = make([]bool, v.total)
		}
		v.passed[at] = true
	case check.Warned:
		if v.warned == nil {
			v.warned = map[int][]check.Finding{}
		}
		v.warned[at] = r.Findings
	}
}

// droppedJudged are the judged variants of list whose results were not
// kept, as a baseline compares them: their IDs (the list's walk makes
// them again), verdicts and findings.
func (v *variantResults) droppedJudged(list caseList) []check.CaseFindings {
	if v == nil || (v.passed == nil && v.warned == nil) {
		return nil
	}
	var out []check.CaseFindings
	for i, c := range list.All() {
		if !list.isVariant(i) {
			continue
		}
		at := i - len(list.head)
		if findings, ok := v.warned[at]; ok {
			out = append(out, check.CaseFindings{ID: c.ID, Verdict: check.Warned, Findings: findings})
		} else if at < len(v.passed) && v.passed[at] {
			out = append(out, check.CaseFindings{ID: c.ID, Verdict: check.Passed})
		}
	}
	return out
}

// has reports whether the variant at position at has a result.
func (v *variantResults) has(at int) bool { return at >= 0 && at < v.total && v.done[at] }

// missing is how many variants have no result.
func (v *variantResults) missing() int { return v.total - v.got }

// ordered is the kept results in the variants' order.
func (v *variantResults) ordered() []suites.Result {
	slices.SortFunc(v.kept, func(a, b positioned) int { return a.at - b.at })
	out := make([]suites.Result, len(v.kept))
	for i, p := range v.kept {
		out[i] = p.r
	}
	return out
}
