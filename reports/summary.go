package reports

// A report's Summary: the verdict counts of a run, their texts, and the
// typed skip reasons and not-in-contract wording every report shares.

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/suites"
)

// Summary counts verdicts. Total is the sum of the six verdict counts;
// the cases the contract does not cover are skipped cases, counted in
// Skipped and, apart, in NotInContract.
type Summary struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Warned  int `json:"warned"`
	Skipped int `json:"skipped"`
	Errored int `json:"errored"`
	Waived  int `json:"waived"`
	// NotInContract counts the cases the contract does not cover (listed,
	// never run, never passed); each is also counted in Skipped.
	NotInContract int `json:"not_in_contract"`
	// SkippedByFixture counts skipped cases per missing fixture key.
	SkippedByFixture map[string]int `json:"skipped_by_fixture"`
	// Judged counts the cases whose answer was judged (passed, failed,
	// warned or waived): "judged N of Total selected". JudgedControls
	// counts the positive controls among them (the preflight's, and the
	// valid requests judged as cases): they test nothing of the error
	// contract.
	Judged         int `json:"judged"`
	JudgedControls int `json:"judged_controls"`
	// SkippedByReason counts skipped cases per typed skip reason: its keys
	// are check.SkipReason values ("not-in-contract", "fixture-missing",
	// "not-applicable", "not-run"). Schema version 1 keyed it by the
	// reason's words; ReadJSON re-keys such a report.
	SkippedByReason map[string]int `json:"skipped_by_reason"`
	// RoutesJudged counts the judged cases per route path ("/embeddings"):
	// which routes of the contract the run actually judged. Absent from
	// reports written before errconform counted it.
	RoutesJudged map[string]int `json:"routes_judged,omitempty"`
}

// SkippedFor is how many cases were skipped for that reason.
func (s Summary) SkippedFor(reason check.SkipReason) int { return s.SkippedByReason[string(reason)] }

// Summarize counts the verdicts of a run's results.
func Summarize(results []suites.Result) Summary {
	s := Summary{SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{}}
	for _, r := range results {
		s.Add(r)
	}
	return s
}

// Add counts one more result (s made by Summarize).
func (s *Summary) Add(r suites.Result) {
	s.Total++
	if judgedVerdict(r.Verdict) {
		s.Judged++
		if r.Case.Control || r.Case.ValidInput {
			// A valid request that must be served (a preflight control, or
			// one judged as a case) tests nothing of the error contract.
			s.JudgedControls++
		}
		if route := r.Case.Route(); route != "" {
			if s.RoutesJudged == nil {
				s.RoutesJudged = map[string]int{}
			}
			s.RoutesJudged[route]++
		}
	}
	switch r.Verdict {
	case check.Passed:
		s.Passed++
	case check.Failed:
		s.Failed++
	case check.Warned:
		s.Warned++
	case check.Skipped:
		s.Skipped++
		for _, key := range r.Missing {
			s.SkippedByFixture[key]++
		}
		reason := skipReasonOf(r.Skip, r.Reason)
		s.SkippedByReason[string(reason)]++
		if reason == check.NotInContract {
			s.NotInContract++
		}
	case check.Errored:
		s.Errored++
	case check.Waived:
		s.Waived++
	}
}

// judgedVerdict reports whether a verdict comes from judging an answer.
func judgedVerdict(v check.Verdict) bool {
	return v == check.Passed || v == check.Failed || v == check.Warned || v == check.Waived
}

// JudgedText is "judged N of M selected": how much of what the run
// selected it actually judged.
func (s Summary) JudgedText() string {
	return fmt.Sprintf("judged %d of %d selected", s.Judged, s.Total)
}

// RoutesText is "routes judged: /chat/completions 113, /files 17, …":
// the routes whose cases the run judged, each with its count, in path
// order ("routes judged: none" when it judged none).
func (s Summary) RoutesText() string {
	if len(s.RoutesJudged) == 0 {
		return "routes judged: none"
	}
	parts := make([]string, 0, len(s.RoutesJudged))
	for _, route := range slices.Sorted(maps.Keys(s.RoutesJudged)) {
		parts = append(parts, fmt.Sprintf("%s %d", route, s.RoutesJudged[route]))
	}
	return "routes judged: " + strings.Join(parts, ", ")
}

// NothingJudged reports whether the run judged no case beyond its positive
// controls: it tested nothing of the contract (a contract covering none of
// the selected cases, every case skipped), and must not be green.
func (s Summary) NothingJudged() bool { return s.Judged-s.JudgedControls <= 0 }

// NothingJudgedText says why a run that judged nothing is not green.
func (s Summary) NothingJudgedText() string {
	return fmt.Sprintf("no case beyond the %d positive control(s) was judged (%s): the run tested nothing of the contract, so it is not green",
		s.JudgedControls, s.JudgedText())
}

// Plus is both summaries' counts together.
func (s Summary) Plus(o Summary) Summary {
	sum := Summary{Total: s.Total + o.Total, Passed: s.Passed + o.Passed, Failed: s.Failed + o.Failed, Warned: s.Warned + o.Warned,
		Skipped: s.Skipped + o.Skipped, Errored: s.Errored + o.Errored, Waived: s.Waived + o.Waived, NotInContract: s.NotInContract + o.NotInContract,
		Judged: s.Judged + o.Judged, JudgedControls: s.JudgedControls + o.JudgedControls,
		SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{}}
	for _, m := range []Summary{s, o} {
		for k, n := range m.RoutesJudged {
			if sum.RoutesJudged == nil {
				sum.RoutesJudged = map[string]int{}
			}
			sum.RoutesJudged[k] += n
		}
		for k, n := range m.SkippedByFixture {
			sum.SkippedByFixture[k] += n
		}
		for k, n := range m.SkippedByReason {
			sum.SkippedByReason[k] += n
		}
	}
	return sum
}

// skipReasonOf is the typed reason of a skipped case: its own, else one
// read from the reason's words, as errconform 0.1 wrote them (a version 1
// report, or a result made without a typed reason).
func skipReasonOf(skip check.SkipReason, reason string) check.SkipReason {
	if skip != "" {
		return skip
	}
	switch {
	case strings.HasPrefix(reason, notInContractPrefix):
		return check.NotInContract
	case strings.HasPrefix(reason, "fixture not configured"):
		return check.FixtureMissing
	case strings.HasPrefix(reason, "not run"):
		return check.NotRun
	default:
		return check.NotApplicable
	}
}

// notInContractPrefix begins the words shown for a case the contract does
// not cover, in every report.
const notInContractPrefix = "not in this contract"

// NotInContractText is how every report shows a case the contract does
// not cover: "not in this contract: <why>".
func NotInContractText(why string) string {
	why = strings.TrimPrefix(why, notInContractPrefix+": ")
	if why == "" {
		return notInContractPrefix
	}
	return notInContractPrefix + ": " + why
}
