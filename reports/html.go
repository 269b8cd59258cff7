package reports

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
)

// The HTML report is one self-contained file: inline CSS and a few lines of
// inline JavaScript, nothing fetched. A Content-Security-Policy meta tag
// pins the style and script to their SHA-256 hashes, so even a rendering bug
// could not make the page load or run anything else. Every value from the
// report goes through html/template's contextual escaping: report content
// comes from the target, which may be hostile.
//
// Verdict severity, worst first, decides a matrix cell's colour:
//
//	failed > errored > warned > waived > skipped > passed
//
// failed (red) and errored (dark red) both mean the contract was not shown
// to hold; failed ranks first because it is a definite contract violation.
// waived (a failure a waiver excuses until its expiry date) ranks just below
// warned and is drawn amber with stripes: it is not green, but it is known
// and accepted, so a fresh SHOULD warning outranks it. skipped (grey)
// outranks passed (green) so that a cell is green only when every case in it
// passed. Any other verdict string ranks and colours like errored.

// htmlVerdictOrder lists the verdicts best first; the index is the severity.
var htmlVerdictOrder = []check.Verdict{check.Passed, check.Skipped, check.Waived, check.Warned, check.Errored, check.Failed}

func htmlSeverity(v check.Verdict) int {
	for i, known := range htmlVerdictOrder {
		if known == v {
			return i
		}
	}
	return htmlSeverity(check.Errored)
}

// htmlVerdictClass is the CSS-safe name of a verdict.
func htmlVerdictClass(v check.Verdict) string {
	for _, known := range htmlVerdictOrder {
		if known == v {
			return string(v)
		}
	}
	return "unknown"
}

var htmlVerdictSymbol = map[check.Verdict]string{
	check.Passed: "✓", check.Failed: "✗", check.Warned: "!", check.Waived: "~", check.Skipped: "–", check.Errored: "⚠",
}

// RenderHTML renders a report's HTML page: a single target's (a report
// of one target, or a version 2 report) with its matrix, failures by cause
// and every case's evidence; a fleet's with its targets × cells matrix.
func RenderHTML(w io.Writer, rep JSONReport, contract *spec.Contract) error {
	if one, ok := oneTarget(rep); ok {
		return renderTargetHTML(w, one, contract)
	}
	return renderFleetHTML(w, rep)
}

// renderTargetHTML renders the HTML report of rep, its matrix laid out by the
// contract's status and code tables (by the cases alone when contract is nil).
func renderTargetHTML(w io.Writer, rep JSONReport, contract *spec.Contract) error {
	bw := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(bw, buildHTMLView(rep, contract)); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// View model.

type htmlView struct {
	Title     string
	Tool      Tool
	Contract  string
	Target    TargetInfo
	Name      string   // the target's name (--name)
	Tags      []string // the run's tags, "k=v"
	StartedAt string
	Duration  string
	Overall   string // "passed" or "failed": whether a case failed or errored, or nothing was judged
	// Verdict is the run's verdict in words ("contract broken"), as the
	// Markdown summary words it, and VerdictSymbol its symbol.
	Verdict, VerdictSymbol string
	// Filters are the case filter buttons, each with how many cases it shows.
	Filters []htmlFilter
	// Digest is the contract document's digest; Judged "judged N of M
	// selected"; NothingJudged says why a run that judged nothing is not
	// green; Partial a partial run's note; Waived every waived failure.
	Digest        string
	Judged        string
	Routes        string
	NothingJudged string
	Partial       string
	Waived        []WaivedFailure
	Tiles         []htmlSummaryTile
	ByFixture     []htmlFixtureCount
	// NotInContract are the reasons the contract gives for the cases it
	// does not cover, with how many; OutOfMatrix counts those cases.
	NotInContract []htmlReasonCount
	OutOfMatrix   int
	Matrix        matrixView
	Legend        []htmlLegendEntry
	Groups        []htmlGroupView
	CaseCount     int
	HasMatrix     bool
	// Causes are the failing cases grouped by cause, shown first.
	Causes []htmlCauseView
	// Problems are the run-level problems (not testable, target broke):
	// a headline and its line each.
	Problems [][2]string
	// Baseline is the run's classification against --baseline (nil
	// without one).
	Baseline *htmlBaselineView
}

type htmlCauseView struct {
	Count                       int
	Headline, Evidence, Example string
	ExampleAnchor               string
	Cases                       []htmlCauseCase
}

type htmlCauseCase struct{ ID, Anchor string }

type htmlFilter struct {
	Verdict string // "all" or a verdict
	Count   int
}

type htmlSummaryTile struct {
	Key, Label, Class string
	Count             int
	Title             string
}

type htmlReasonCount struct {
	Reason string
	Count  int
	Cases  string // the case IDs, for the tooltip
}

type htmlFixtureCount struct {
	Key   string
	Count int
}

type htmlLegendEntry struct {
	Class, Symbol, Label, Meaning string
}

func buildHTMLView(rep JSONReport, contract *spec.Contract) htmlView {
	v := htmlView{
		Title:     "errconform report",
		Tool:      rep.Tool,
		Contract:  rep.Contract.String(),
		Target:    rep.Target,
		Duration:  (time.Duration(rep.DurationMS) * time.Millisecond).String(),
		Overall:   "passed",
		CaseCount: len(rep.Cases),
	}
	if v.Tool.Name == "" {
		v.Tool.Name = "errconform"
	}
	if !rep.StartedAt.IsZero() {
		v.StartedAt = rep.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if !rep.Summary.Green() || rep.TargetBroke != nil || rep.NotTestable != nil {
		v.Overall = "failed"
	}
	for _, line := range problemLines(rep.NotTestable, rep.TargetBroke) {
		v.Problems = append(v.Problems, [2]string{line[0], htmlVisible(line[1])})
	}
	// The headline's emoji are not in every browser's fonts; the page
	// marks the verdict with the symbols its matrix uses.
	v.Verdict, v.VerdictSymbol = headlineWords(runHeadline(rep, "✅ contract kept")), htmlVerdictSymbol[check.Passed]
	if v.Overall == "failed" {
		v.VerdictSymbol = htmlVerdictSymbol[check.Failed]
	}
	v.Name, v.Tags = runLabels(rep.Settings)
	v.Baseline = buildHTMLBaseline(rep, htmlCaseAnchor)
	v.Digest, v.Judged, v.Partial, v.Waived = orUnknown(rep.Contract.Digest), rep.Summary.JudgedText(), partialOf(rep.Settings), rep.WaivedFailures()
	for i, w := range v.Waived {
		v.Waived[i] = WaivedFailure{Target: htmlVisible(w.Target), Case: htmlVisible(w.Case), Expires: htmlVisible(w.Expires),
			Reason: htmlVisible(w.Reason), Finding: htmlVisible(w.Finding)}
	}
	v.Routes = strings.TrimPrefix(rep.Summary.RoutesText(), "routes judged: ")
	if rep.Summary.NothingJudged() {
		v.NothingJudged = rep.Summary.NothingJudgedText()
	}
	groups := rep.Groups
	if groups == nil {
		groups = GroupFailures(rep.Cases)
	}
	for _, g := range groups {
		cv := htmlCauseView{Count: g.Count, Headline: htmlVisible(g.Headline), Evidence: htmlVisible(g.Evidence),
			Example: g.Example, ExampleAnchor: htmlCaseAnchor(g.Example)}
		for _, id := range g.Cases {
			cv.Cases = append(cv.Cases, htmlCauseCase{id, htmlCaseAnchor(id)})
		}
		v.Causes = append(v.Causes, cv)
	}
	s := rep.Summary
	tile := func(label string, n int) htmlSummaryTile {
		return htmlSummaryTile{Key: label, Label: label, Class: label, Count: n}
	}
	v.Tiles = []htmlSummaryTile{
		tile("total", s.Total), tile("passed", s.Passed), tile("failed", s.Failed),
		tile("warned", s.Warned), tile("waived", s.Waived), tile("skipped", s.Skipped),
	}
	if s.NotInContract > 0 {
		v.Tiles = append(v.Tiles, htmlSummaryTile{Key: string(check.NotInContract), Label: "not in this contract", Class: "skipped",
			Count: s.NotInContract, Title: "skipped: the contract does not cover them; listed, never run, never passed (counted in skipped too)"})
	}
	v.Tiles = append(v.Tiles, tile("errored", s.Errored))
	for _, r := range notInContractReasons(rep.Cases) {
		v.NotInContract = append(v.NotInContract, htmlReasonCount{Reason: htmlVisible(r.Reason), Count: len(r.Cases), Cases: strings.Join(r.Cases, "\n")})
		v.OutOfMatrix += len(r.Cases)
	}
	for key, n := range s.SkippedByFixture {
		v.ByFixture = append(v.ByFixture, htmlFixtureCount{key, n})
	}
	sort.Slice(v.ByFixture, func(i, j int) bool { return v.ByFixture[i].Key < v.ByFixture[j].Key })
	for i := len(htmlVerdictOrder) - 1; i >= 0; i-- {
		vd := htmlVerdictOrder[i]
		v.Legend = append(v.Legend, htmlLegendEntry{string(vd), htmlVerdictSymbol[vd], string(vd), verdictMeaning(vd)})
	}
	v.Filters = htmlFilters(rep.Cases)
	v.Matrix = buildMatrix(rep, contract)
	v.HasMatrix = len(v.Matrix.Rows) > 0
	v.Groups = buildHTMLGroups(rep.Cases)
	return v
}

// htmlFilters are the case filter buttons: all, then each verdict worst
// first, each with how many cases it shows.
func htmlFilters(cases []CaseReport) []htmlFilter {
	counts := map[string]int{}
	for _, c := range cases {
		counts[string(c.Verdict)]++
	}
	filters := []htmlFilter{{"all", len(cases)}}
	for i := len(htmlVerdictOrder) - 1; i >= 0; i-- {
		vd := string(htmlVerdictOrder[i])
		filters = append(filters, htmlFilter{vd, counts[vd]})
	}
	return filters
}

// verdictMeaning is a verdict's meaning, as check.VerdictTable words it.
func verdictMeaning(v check.Verdict) string {
	for _, m := range check.VerdictTable() {
		if m.Name == string(v) {
			return m.Meaning
		}
	}
	return ""
}

// htmlCaseAnchor is the fragment identifier of a case's element.
func htmlCaseAnchor(id string) string { return "case-" + id }
