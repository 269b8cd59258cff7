package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/errconform/errconform/check"
)

// What every report states so that a gate cannot be made green unseen:
// how much the run judged of what it selected, the contract it judged by
// (name, version and the digest of its document), whether it was a
// partial run, and every failure a waiver excused, with the waiver's
// expiry and reason.

// WaivedFailure is a failure a waiver excused.
type WaivedFailure struct {
	// Target is the fleet target's name ("" for a single target's run).
	Target  string
	Case    string
	Expires string
	Reason  string
	// Finding is the case's headline finding: what the waiver excuses.
	Finding string
}

// String is "case (waived until 2026-12-31: reason): finding".
func (w WaivedFailure) String() string {
	id := w.Case
	if w.Target != "" {
		id = w.Target + ": " + id
	}
	return fmt.Sprintf("%s (waived until %s: %s): %s", id, w.Expires, w.Reason, w.Finding)
}

// waiverOf is the waiver of a case among the settings' waivers.
func waiverOf(settings *Settings, id string) (WaiverInfo, bool) {
	if settings == nil {
		return WaiverInfo{}, false
	}
	for _, w := range settings.Waivers {
		if w.Case == id {
			return w, true
		}
	}
	return WaiverInfo{}, false
}

// waivedFailure is the entry for a waived case; a report that does not
// record its waivers (written before errconform did) gives the reason's
// words.
func waivedFailure(target, id string, findings []check.Finding, reason string, settings *Settings) WaivedFailure {
	w, ok := waiverOf(settings, id)
	if !ok {
		w = WaiverInfo{Case: id, Expires: "?", Reason: reason}
	}
	return WaivedFailure{Target: target, Case: id, Expires: w.Expires, Reason: w.Reason, Finding: check.Headline(findings, reason)}
}

// WaivedFailures lists the run's waived failures, in the run's order.
func (run Run) WaivedFailures() []WaivedFailure {
	var out []WaivedFailure
	settings := run.Settings
	for _, r := range run.Results {
		if r.Verdict == check.Waived {
			out = append(out, waivedFailure("", r.Case.ID, r.Findings, r.Reason, &settings))
		}
	}
	return out
}

// WaivedFailures lists a report's waived failures: a fleet's, every
// target's, each named by its target.
func (r JSONReport) WaivedFailures() []WaivedFailure {
	if !r.IsFleet() {
		return waivedCases("", r.Cases, r.Settings)
	}
	var out []WaivedFailure
	for _, t := range r.Targets {
		out = append(out, waivedCases(t.Name, t.Cases, t.Settings)...)
	}
	return out
}

func waivedCases(target string, cases []CaseReport, settings *Settings) []WaivedFailure {
	var out []WaivedFailure
	for _, c := range cases {
		if c.Verdict == check.Waived {
			out = append(out, waivedFailure(target, c.ID, c.Findings, c.Reason, settings))
		}
	}
	return out
}

// Green reports whether a summary means a green gate: no case failed or
// errored, and some case beyond the positive controls was judged.
func (s Summary) Green() bool { return s.Failed == 0 && s.Errored == 0 && !s.NothingJudged() }

// gateProperties are the JUnit suite properties that say how much the run
// judged, by which contract, and what was waived.
func gateProperties(s Summary, c ContractInfo, partial string, waived []WaivedFailure) []junitProperty {
	props := []junitProperty{
		{Name: "errconform.judged", Value: strconv.Itoa(s.Judged)},
		{Name: "errconform.selected", Value: strconv.Itoa(s.Total)},
		{Name: "errconform.coverage", Value: s.JudgedText()},
		{Name: "errconform.routes_judged", Value: s.RoutesText()},
		{Name: "errconform.contract.name", Value: c.Name},
		{Name: "errconform.contract.version", Value: c.Version},
		{Name: "errconform.contract.digest", Value: c.Digest},
		{Name: "errconform.waived", Value: strconv.Itoa(len(waived))},
	}
	if s.NothingJudged() {
		props = append(props, junitProperty{Name: "errconform.nothing_judged", Value: s.NothingJudgedText()})
	}
	if partial != "" {
		props = append(props, junitProperty{Name: "errconform.partial", Value: partial})
	}
	for i, w := range waived {
		props = append(props, junitProperty{Name: fmt.Sprintf("errconform.waived.%d", i+1), Value: w.String()})
	}
	return props
}

// partialOf is a report's settings' partial-run note.
func partialOf(s *Settings) string {
	if s == nil {
		return ""
	}
	return s.Partial
}

// mdGate writes the Markdown lines every summary carries: the
// judged/selected line, the contract, a partial run's note, a run that
// judged nothing, and the waived failures.
func mdGate(b *strings.Builder, s Summary, contracts []ContractInfo, partial string, waived []WaivedFailure) {
	fmt.Fprintf(b, "**%s** cases", s.JudgedText())
	for _, c := range contracts {
		fmt.Fprintf(b, " · contract %s `%s`", mdCell(c.String()), mdCode(orUnknown(c.Digest)))
	}
	// Not cut to a cell's bound: fourteen routes with their counts are
	// longer, and the line is the place a reader looks for them.
	fmt.Fprintf(b, " · %s\n\n", mdBounded(s.RoutesText(), 1024))
	if partial != "" {
		fmt.Fprintf(b, "> ⚠️ **Partial run**: %s\n\n", mdCell(partial))
	}
	if s.NothingJudged() {
		fmt.Fprintf(b, "> ❌ **Nothing judged**: %s\n\n", mdCell(s.NothingJudgedText()))
	}
	if len(waived) > 0 {
		fmt.Fprintf(b, "### 🕊️ %s\n\n| case | expires | waiver's reason | finding |\n|---|---|---|---|\n", plural(len(waived), "waived failure"))
		for _, w := range waived {
			id := w.Case
			if w.Target != "" {
				id = w.Target + ": " + id
			}
			fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", mdCode(id), mdCell(w.Expires), mdCell(w.Reason), mdCell(w.Finding))
		}
		b.WriteString("\n")
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "digest unknown"
	}
	return s
}

// mdHeadline is a Markdown summary's verdict: kept, broken, or nothing
// judged (not green either).
func mdHeadline(s Summary, kept string) string {
	switch {
	case s.Failed > 0 || s.Errored > 0:
		return "❌ contract broken"
	case s.NothingJudged():
		return "❌ nothing judged"
	}
	return kept
}

// runHeadline is a single target's verdict, as the summaries word it: not
// testable, target broke during the run, contract broken, nothing judged,
// or kept (the caller's words), each after its symbol.
func runHeadline(rep JSONReport, kept string) string {
	s := rep.Summary
	switch {
	case rep.NotTestable != nil:
		return "⛔ not testable"
	case rep.TargetBroke != nil && s.Failed == 0 && s.Errored == 0:
		return "❌ target broke during the run"
	}
	return mdHeadline(s, kept)
}

// headlineWords is a headline without its symbol: "contract broken".
func headlineWords(headline string) string {
	if _, words, ok := strings.Cut(headline, " "); ok {
		return words
	}
	return headline
}

// Green reports whether a report means a green gate: for a fleet, every
// target's summary is green (a target that judged nothing is not hidden
// by the others' counts).
func (r JSONReport) Green() bool {
	if !r.IsFleet() {
		return r.Summary.Green()
	}
	for _, t := range r.Targets {
		if !t.Summary.Green() {
			return false
		}
	}
	return len(r.Targets) > 0
}

// fleetHeadline is a fleet summary's verdict.
func fleetHeadline(rep JSONReport) string {
	s := rep.Summary
	switch {
	case s.Failed > 0 || s.Errored > 0:
		return "❌ contract broken"
	case !rep.Green():
		return "❌ nothing judged (" + strings.Join(nothingJudgedTargets(rep), ", ") + ")"
	}
	return "✅ contract kept by every target"
}

// nothingJudgedTargets names a fleet's targets that judged nothing beyond
// their positive controls.
func nothingJudgedTargets(rep JSONReport) []string {
	var names []string
	for _, t := range rep.Targets {
		if t.Summary.NothingJudged() {
			names = append(names, t.Name)
		}
	}
	return names
}

// distinctContracts lists the contracts once each, in order.
func distinctContracts(cs []ContractInfo) []ContractInfo {
	var out []ContractInfo
	for _, c := range cs {
		seen := false
		for _, o := range out {
			seen = seen || o == c
		}
		if !seen {
			out = append(out, c)
		}
	}
	return out
}

// ctrfGateExtra is what a CTRF summary's extra says beyond the counts:
// how much was judged, and every waived failure.
func ctrfGateExtra(s Summary, waived []WaivedFailure) map[string]any {
	list := make([]string, len(waived))
	for i, w := range waived {
		list[i] = w.String()
	}
	extra := map[string]any{"judged": s.Judged, "selected": s.Total, "coverage": s.JudgedText(), "routes_judged": s.RoutesJudged, "waived_failures": list}
	if s.NothingJudged() {
		extra["nothing_judged"] = s.NothingJudgedText()
	}
	return extra
}

// fleetPartial is a fleet's partial-run note (every target's run shares
// the command line).
func fleetPartial(rep JSONReport) string {
	for _, t := range rep.Targets {
		if p := partialOf(t.Settings); p != "" {
			return p
		}
	}
	return ""
}
