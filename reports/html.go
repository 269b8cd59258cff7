package reports

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
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

// verdictClass is the CSS-safe name of a verdict.
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

type matrixView struct {
	Columns []matrixColumn
	Rows    []matrixRow
	// Typed is true when a row has a type (OpenRouter's contract has none).
	Typed bool
}

type matrixColumn struct {
	Code     string   // "" for the (no code) column
	Label    []string // the label split after each underscore, for line breaks
	Status   string   // the contract's status for the code, "" when none
	Contract bool     // false for codes that cases name but the contract lacks
}

type matrixRow struct {
	Status   int
	Type     string
	Contract bool
	Cells    []matrixCell
}

type matrixCell struct {
	Status  int
	Code    string
	Class   string // "active", "empty" (paired, no case) or "na" (no such pairing)
	Verdict string // the worst verdict, "" unless active
	Paired  bool   // the contract pairs this status and code
	Total   int
	Counts  []htmlVerdictCount
	Cases   string // case IDs, for the tooltip
	Link    string // anchor of the worst case
}

type htmlVerdictCount struct {
	Verdict, Symbol string
	Count           int
}

type htmlGroupView struct {
	Name   string
	Anchor string
	Counts []htmlVerdictCount
	Cases  []htmlCaseView
}

type htmlCaseView struct {
	ID, Anchor, Title, Verdict, VerdictClass, Symbol, Reason string
	SkipReason, Situation                                    string
	Expect                                                   string
	Labels                                                   []string
	Findings                                                 []check.Finding
	Requests                                                 int
	Request                                                  *htmlRequestView
	Response                                                 *htmlResponseView
	Reproduce                                                []string // the command split at each CR
	Headline                                                 string
	// BaselineClass is the case's class against the baseline ("" without
	// one, or when it fails in neither).
	BaselineClass string
}

type htmlHeaderLine struct{ Name, Value string }

type htmlRequestView struct {
	Method, URL string
	Headers     []htmlHeaderLine
	Body        string
	BodyBytes   int
}

type htmlResponseView struct {
	Status                   string
	Headers                  []htmlHeaderLine
	Body                     string
	BodyBytes                int
	Truncated                bool
	Duration, Failure, Error string
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

// caseAnchor is the fragment identifier of a case's element.
func htmlCaseAnchor(id string) string { return "case-" + id }

// buildMatrix lays out the status×code matrix of a report. Its rows are
// the statuses the cases expect and its columns the codes they expect,
// plus, when the contract given is the one the report was judged against
// (layoutContract), that contract's statuses, types and codes, so that a
// pairing no case covers shows too. Nothing is assumed of the default
// contract: an OpenRouter run's 408 and 503 rows come from its cases (or
// its contract). The cases the contract does not cover, and positive
// controls, have no cell.
func buildMatrix(rep JSONReport, given *spec.Contract) matrixView {
	contract := layoutContract(rep, given)
	type key struct {
		status int
		code   string
	}
	byCell := map[key][]CaseReport{}
	caseStatuses := map[int]bool{}
	caseCodes := map[string]bool{}
	for _, c := range rep.Cases {
		if notInContract(c) || c.Expect.Status < 400 {
			continue // not in the contract, or a positive control: no cell of the error contract
		}
		k := key{c.Expect.Status, c.Expect.Code}
		byCell[k] = append(byCell[k], c)
		caseStatuses[c.Expect.Status] = true
		if c.Expect.Code != "" {
			caseCodes[c.Expect.Code] = true
		}
	}

	var m matrixView
	statusOfCode := map[string]int{}
	var rows []matrixRow
	knownStatus := map[int]bool{}
	knownCode := map[string]bool{}
	if contract != nil {
		for _, s := range contract.Statuses {
			rows = append(rows, matrixRow{Status: s.Status, Type: s.Type, Contract: true})
			knownStatus[s.Status] = true
		}
		for _, e := range contract.Codes {
			m.Columns = append(m.Columns, matrixColumn{Code: e.Code, Label: htmlBreakable(e.Code), Status: strconv.Itoa(e.Status), Contract: true})
			statusOfCode[e.Code] = e.Status
			knownCode[e.Code] = true
		}
	}
	// Statuses and codes the cases name but the contract lacks get rows and
	// columns of their own, marked as outside the contract when there is
	// one to be outside of.
	for s := range caseStatuses {
		if !knownStatus[s] {
			rows = append(rows, matrixRow{Status: s, Contract: contract == nil})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Status < rows[j].Status })
	var extraCodes []string
	for c := range caseCodes {
		if !knownCode[c] {
			extraCodes = append(extraCodes, c)
		}
	}
	sort.Slice(extraCodes, func(i, j int) bool { return codeLess(extraCodes[i], extraCodes[j]) })
	for _, c := range extraCodes {
		m.Columns = append(m.Columns, matrixColumn{Code: c, Label: htmlBreakable(c), Contract: contract == nil})
	}
	noCode := "(no code)"
	if codeEqualsStatus(contract) {
		noCode = "(code = status)"
	}
	m.Columns = append(m.Columns, matrixColumn{Code: "", Label: []string{noCode}, Contract: true})

	for _, row := range rows {
		for _, col := range m.Columns {
			cell := matrixCell{Status: row.Status, Code: col.Code, Class: "na"}
			switch {
			case col.Code == "":
				cell.Paired = row.Contract // any contract status may come without a code
			case contract == nil:
				cell.Paired = len(byCell[key{row.Status, col.Code}]) > 0
			default:
				s, ok := statusOfCode[col.Code]
				cell.Paired = ok && s == row.Status
			}
			if cell.Paired {
				cell.Class = "empty"
			}
			if in := byCell[key{row.Status, col.Code}]; len(in) > 0 {
				htmlFillCell(&cell, in)
			}
			row.Cells = append(row.Cells, cell)
		}
		m.Rows = append(m.Rows, row)
		m.Typed = m.Typed || row.Type != ""
	}
	return m
}

// codeLess orders codes numerically where both are numbers ("408" before
// "1001"), else as text, numbers first.
func codeLess(a, b string) bool {
	na, errA := strconv.Atoi(a)
	nb, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return na < nb
	case errA == nil:
		return true
	case errB == nil:
		return false
	}
	return a < b
}

// breakable splits a code after each underscore; the template puts a <wbr>
// at each split so a narrow column breaks "model_capability_mismatch" there.
func htmlBreakable(code string) []string {
	parts := strings.SplitAfter(code, "_")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func htmlFillCell(cell *matrixCell, in []CaseReport) {
	cell.Class = "active"
	cell.Total = len(in)
	worst := in[0]
	counts := map[check.Verdict]int{}
	ids := make([]string, 0, len(in))
	for _, c := range in {
		counts[c.Verdict]++
		ids = append(ids, c.ID+" ("+string(c.Verdict)+")")
		if htmlSeverity(c.Verdict) > htmlSeverity(worst.Verdict) {
			worst = c
		}
	}
	cell.Verdict = htmlVerdictClass(worst.Verdict)
	if cell.Verdict == "unknown" {
		cell.Verdict = string(check.Errored)
	}
	cell.Link = "#" + htmlCaseAnchor(worst.ID)
	cell.Cases = strings.Join(ids, "\n")
	cell.Counts = htmlCountList(counts)
}

// countList orders verdict counts worst first; unknown verdicts come last.
func htmlCountList(counts map[check.Verdict]int) []htmlVerdictCount {
	var out []htmlVerdictCount
	for i := len(htmlVerdictOrder) - 1; i >= 0; i-- {
		vd := htmlVerdictOrder[i]
		if n := counts[vd]; n > 0 {
			out = append(out, htmlVerdictCount{string(vd), htmlVerdictSymbol[vd], n})
		}
	}
	var unknown []string
	for vd := range counts {
		if htmlVerdictClass(vd) == "unknown" {
			unknown = append(unknown, string(vd))
		}
	}
	sort.Strings(unknown)
	for _, vd := range unknown {
		out = append(out, htmlVerdictCount{vd, "?", counts[check.Verdict(vd)]})
	}
	return out
}

func buildHTMLGroups(cases []CaseReport) []htmlGroupView {
	var groups []htmlGroupView
	index := map[string]int{}
	counts := []map[check.Verdict]int{}
	for _, c := range cases {
		i, ok := index[c.Group]
		if !ok {
			i = len(groups)
			index[c.Group] = i
			name := c.Group
			if name == "" {
				name = "(no group)"
			}
			groups = append(groups, htmlGroupView{Name: name, Anchor: "group-" + name})
			counts = append(counts, map[check.Verdict]int{})
		}
		counts[i][c.Verdict]++
		groups[i].Cases = append(groups[i].Cases, buildHTMLCase(c))
	}
	for i := range groups {
		groups[i].Counts = htmlCountList(counts[i])
	}
	return groups
}

func buildHTMLCase(c CaseReport) htmlCaseView {
	cv := htmlCaseView{
		ID: c.ID, Anchor: htmlCaseAnchor(c.ID), Title: c.Title, Verdict: string(c.Verdict),
		VerdictClass: htmlVerdictClass(c.Verdict), Symbol: htmlVerdictSymbol[c.Verdict], Reason: htmlVisible(caseSkipText(c)),
		SkipReason: string(c.SkipReason), Situation: c.Situation,
		Expect: htmlExpectText(c), Labels: c.Labels, Findings: htmlVisibleFindings(c.Findings), Requests: c.Requests,
		BaselineClass: string(c.CaseClass()),
	}
	if c.Reproduce != "" {
		// HTML parsing turns every raw CR into LF; a multipart body's CRLFs
		// survive only as &#13; references, which the template puts between
		// these parts, so the command copied from the page is byte-exact.
		cv.Reproduce = strings.Split(c.Reproduce, "\r")
	}
	if cv.Symbol == "" {
		cv.Symbol = "?"
	}
	cv.Headline = htmlVisible(firstFinding(c))
	if notInContract(c) {
		cv.Headline = cv.Reason
	}
	if r := c.Request; r != nil {
		cv.Request = &htmlRequestView{Method: r.Method, URL: r.URL, Headers: htmlHeaderLines(r.Headers), Body: htmlVisible(htmlPrettyBody(r.BodyExcerpt)), BodyBytes: r.BodyBytes}
	}
	if r := c.Response; r != nil {
		rv := &htmlResponseView{Headers: htmlHeaderLines(r.Headers), Body: htmlVisible(htmlPrettyBody(r.BodyExcerpt)), BodyBytes: r.BodyBytes,
			Truncated: r.Truncated, Duration: fmt.Sprintf("%.1f ms", r.DurationMS), Failure: r.Failure, Error: htmlVisible(r.Error)}
		if r.Status != 0 {
			rv.Status = strconv.Itoa(r.Status)
		}
		cv.Response = rv
	}
	return cv
}

func htmlExpectText(c CaseReport) string {
	if notInContract(c) {
		return "nothing: not in this contract"
	}
	parts := []string{strconv.Itoa(c.Expect.Status)}
	if c.Expect.Code != "" {
		parts = append(parts, "code "+c.Expect.Code)
	}
	if c.Expect.Param != "" {
		parts = append(parts, "param "+c.Expect.Param)
	}
	if c.Expect.Stream {
		parts = append(parts, "stream")
	}
	if c.Expect.MidStream {
		parts = append(parts, "or an error in a 200 once the model started")
	}
	return strings.Join(parts, ", ")
}

func htmlHeaderLines(h map[string][]string) []htmlHeaderLine {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []htmlHeaderLine
	for _, name := range names {
		for _, v := range h[name] {
			out = append(out, htmlHeaderLine{htmlVisible(name), htmlVisible(v)})
		}
	}
	return out
}

// prettyBody indents a body excerpt that is one JSON document; anything
// else (truncated, not JSON) is shown as it is.
// htmlVisible shows target-sent control characters as visible escapes
// (Printable), line by line, so that a body keeps its line breaks.
func htmlVisible(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = Printable(line)
	}
	return strings.Join(lines, "\n")
}

func htmlVisibleFindings(findings []check.Finding) []check.Finding {
	out := make([]check.Finding, len(findings))
	for i, f := range findings {
		f.Expected, f.Actual, f.Pointer, f.Message = htmlVisible(f.Expected), htmlVisible(f.Actual), htmlVisible(f.Pointer), htmlVisible(f.Message)
		out[i] = f
	}
	return out
}

func htmlPrettyBody(s string) string {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" || (trimmed[0] != '{' && trimmed[0] != '[') || !json.Valid([]byte(trimmed)) {
		return s
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(trimmed), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

// Page assets. They are template text, not data: the CSP hashes below are
// computed over exactly these bytes.

const htmlCSS = `
:root{--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#b42318;--fail-bg:#ffe1dc;--err:#7a1010;--err-bg:#f6c9c4;
--warn:#9a6700;--warn-bg:#fff1c2;--skip:#57606a;--skip-bg:#eaeef2;--na:#f2f3f5;--line:#d0d7de;--ink:#1f2328;--muted:#59636e;
--errconform-css:1}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;color:var(--ink);background:#f6f8fa}
main{max-width:1360px;margin:0 auto;padding:20px 24px 48px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}h3{font-size:15px;margin:20px 0 8px}
header.top{background:#fff;border:1px solid var(--line);border-left:6px solid var(--pass);border-radius:8px;padding:16px 20px}
header.top.failed{border-left-color:var(--fail)}
h1 .verdict{display:inline-block;padding:1px 10px;border-radius:6px;background:var(--pass-bg);color:var(--pass)}
header.top.failed h1 .verdict{background:var(--fail-bg);color:var(--fail)}
h1 .sub{font-weight:400;color:var(--muted);font-size:15px}
h2 .c{font-weight:400;color:var(--muted);font-size:12px}
ol.causes{padding-left:22px}ol.causes li{margin:4px 0;overflow-wrap:anywhere}
details.cause>summary{cursor:pointer}
details.cause .evidence,details.cause .cause-cases{margin:4px 0 4px 16px}
.scroll{overflow-x:auto;max-width:100%}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:10px 0 0;color:var(--muted)}
.meta dt{font-weight:600}.meta dd{margin:0;color:var(--ink);overflow-wrap:anywhere}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin-top:14px}
.tile{min-width:96px;padding:8px 14px;border-radius:8px;border:1px solid var(--line);background:#fff}
.tile b{display:block;font-size:22px;line-height:1.1}.tile span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile.passed{background:var(--pass-bg);border-color:#aceebb}.tile.failed{background:var(--fail-bg);border-color:#ffb8ad}
.tile.warned{background:var(--warn-bg);border-color:#f0d58a}.tile.waived{background:repeating-linear-gradient(135deg,var(--warn-bg) 0 6px,#fff 6px 12px);border-color:#f0d58a}
.tile.skipped{background:var(--skip-bg)}.tile.errored{background:var(--err-bg);border-color:#e8a39b}
.tile.zero{opacity:.55}
.fixtures{margin-top:10px;color:var(--muted)}
.problem{margin:10px 0;padding:8px;border:2px solid currentColor}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px;overflow-x:auto}
table.matrix{border-collapse:separate;border-spacing:3px;width:100%}
.matrix th{font-weight:600;font-size:12px;text-align:center;padding:4px 6px;color:var(--muted)}
.matrix thead th{vertical-align:bottom;font-size:11.5px}.matrix thead th small{display:block;font-weight:400}
.matrix th.row{text-align:left;white-space:nowrap;color:var(--ink)}.matrix th.row small{display:block;color:var(--muted);font-weight:400}
.matrix .off{font-style:italic;color:var(--fail)}
td.cell{text-align:center;border-radius:6px;padding:5px 3px;min-width:58px;height:50px;border:1px solid transparent}
td.cell a{display:block;color:inherit;text-decoration:none}
td.cell .n{display:block;font-size:16px;font-weight:700;line-height:1.2}td.cell .c{display:block;font-size:11px;white-space:nowrap}
td.cell.na{background:var(--na);background-image:repeating-linear-gradient(135deg,transparent 0 5px,#e4e6ea 5px 6px)}
td.cell.empty{background:#fff;border:1px dashed var(--line);color:var(--muted);font-size:11px}
.v-passed{background:var(--pass-bg);color:var(--pass)}
.v-failed{background:var(--fail-bg);color:var(--fail)}
.v-errored{background:var(--err-bg);color:var(--err)}
.v-warned{background:var(--warn-bg);color:var(--warn)}
.v-waived{background:repeating-linear-gradient(135deg,var(--warn-bg) 0 6px,#fffaf0 6px 12px);color:var(--warn)}
.v-skipped{background:var(--skip-bg);color:var(--skip)}
.v-unknown{background:var(--err-bg);color:var(--err)}
td.cell.v-failed,td.cell.v-errored{border-color:currentColor}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:12px;font-size:12px;color:var(--muted)}
.legend .sw{display:inline-block;width:18px;height:14px;border-radius:3px;vertical-align:-2px;margin-right:5px;text-align:center;font-size:10px;line-height:14px}
.legend .sw.na{background:var(--na);background-image:repeating-linear-gradient(135deg,transparent 0 3px,#d6d9de 3px 4px)}
.legend .sw.empty{border:1px dashed var(--line);background:#fff}
.toolbar{display:flex;gap:8px;align-items:center;margin:0 0 10px;flex-wrap:wrap}
.toolbar button,.copy{font:inherit;font-size:12px;padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:#fff;cursor:pointer}
.toolbar button[aria-pressed=true]{background:var(--ink);color:#fff}
html:not(.js) .js-only{display:none}
section.group{margin-top:18px}
.group h3 .c{font-weight:400;color:var(--muted);font-size:12px;margin-left:8px}
details.case{background:#fff;border:1px solid var(--line);border-left:5px solid var(--skip);border-radius:6px;margin:6px 0}
details.case.v-passed{border-left-color:var(--pass)}details.case.v-failed{border-left-color:var(--fail)}
details.case.v-errored{border-left-color:var(--err)}details.case.v-warned,details.case.v-waived{border-left-color:#d4a72c}
details.case{background:#fff;color:var(--ink)}
details.case>summary{cursor:pointer;padding:7px 12px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap;list-style-position:inside}
details.case>summary .id{font-weight:600}
details.case>summary .title{color:var(--muted)}
details.case>summary .why{flex-basis:100%;color:var(--fail);font-size:12.5px;padding-left:18px;overflow-wrap:anywhere}
details.case.v-warned>summary .why,details.case.v-waived>summary .why{color:var(--warn)}
details.case.v-skipped>summary .why{color:var(--skip)}
.badge{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;padding:1px 8px;border-radius:999px}
.body{padding:4px 16px 14px;border-top:1px solid var(--line)}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
.kv dt{color:var(--muted)}.kv dd{margin:0;overflow-wrap:anywhere}
table.findings{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}
.findings th,.findings td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.findings th{background:#f6f8fa;font-weight:600}
.findings td:nth-child(-n+2),.findings th:nth-child(-n+2){white-space:nowrap;overflow-wrap:normal}
.findings td.sev-MUST{color:var(--fail);font-weight:600}.findings td.sev-SHOULD{color:var(--warn);font-weight:600}
.exchange{display:grid;grid-template-columns:1fr 1fr;gap:12px}
@media (max-width:900px){.exchange{grid-template-columns:1fr}
main{padding:12px 10px 32px}header.top{padding:12px}.panel{padding:10px 8px}
td.cell{min-width:40px;height:42px}td.cell .n{font-size:14px}.matrix thead th{font-size:10.5px;padding:3px 2px}
.tile{min-width:72px;padding:6px 10px}.tile b{font-size:18px}
.findings td:nth-child(-n+2),.findings th:nth-child(-n+2){white-space:normal}}
.exchange>div{min-width:0}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere;max-height:360px;overflow:auto}
pre.repro{background:#1f2328;color:#e6edf3;border-color:#1f2328;user-select:all;-webkit-user-select:all}
.repro-head{display:flex;justify-content:space-between;align-items:center;margin-top:10px}
.label{color:var(--muted);font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.labels code{background:#eef1f4;border-radius:4px;padding:0 5px;margin-right:4px}
.none{color:var(--muted);font-style:italic}
footer{margin-top:32px;color:var(--muted);font-size:12px}
.hidden{display:none}
`

const htmlJS = `
(function(){
var root=document.documentElement;root.classList.add("js");root.setAttribute("data-js","ok");
if(getComputedStyle(root).getPropertyValue("--errconform-css").trim()==="1"){root.setAttribute("data-css","ok");}
var cases=Array.prototype.slice.call(document.querySelectorAll("details.case"));
function each(f){cases.forEach(f);}
var expand=document.getElementById("expand-all"),collapse=document.getElementById("collapse-all");
if(expand){expand.addEventListener("click",function(){each(function(d){d.open=true;});});}
if(collapse){collapse.addEventListener("click",function(){each(function(d){d.open=false;});});}
var filters=Array.prototype.slice.call(document.querySelectorAll("button[data-filter]"));
filters.forEach(function(b){b.addEventListener("click",function(){
var want=b.getAttribute("data-filter");
filters.forEach(function(o){o.setAttribute("aria-pressed",o===b?"true":"false");});
each(function(d){d.classList.toggle("hidden",want!=="all"&&d.getAttribute("data-verdict")!==want);});
document.querySelectorAll("section.group").forEach(function(s){
s.classList.toggle("hidden",!s.querySelector("details.case:not(.hidden)"));});
});});
document.querySelectorAll("button.copy").forEach(function(b){b.addEventListener("click",function(){
var pre=document.getElementById(b.getAttribute("data-for"));if(!pre||!navigator.clipboard){return;}
navigator.clipboard.writeText(pre.textContent).then(function(){b.textContent="Copied";setTimeout(function(){b.textContent="Copy";},1500);});
});});
function openHash(){if(!location.hash){return;}var t=document.getElementById(decodeURIComponent(location.hash.slice(1)));if(t&&t.tagName==="DETAILS"){t.open=true;}}
openHash();addEventListener("hashchange",openHash);
document.querySelectorAll("td.cell a,a.cause-case,.evidence a").forEach(function(a){a.addEventListener("click",function(){
var t=document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));if(t){t.open=true;}});});
})();
`

func htmlCspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// htmlContentSecurityPolicy forbids every load and every script or style but
// the page's own.
var htmlContentSecurityPolicy = "default-src 'none'; style-src " + htmlCspHash(htmlCSS) + "; script-src " + htmlCspHash(htmlJS) +
	"; img-src 'none'; base-uri 'none'; form-action 'none'"

const htmlBody = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@CSP@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Verdict}} · {{.Title}}: {{if .Name}}{{.Name}} {{end}}{{.Target.BaseURL}}</title>
<style>@CSS@</style>
</head>
<body>
<main>
<header class="top {{.Overall}}" id="top">
<h1><span class="verdict" id="verdict" data-verdict="{{.Verdict}}">{{.VerdictSymbol}} {{.Verdict}}</span> <span class="sub">{{.Tool.Name}} report</span></h1>
<dl class="meta">
<dt>Tool</dt><dd>{{.Tool.Name}} {{.Tool.Version}}</dd>
<dt>Contract</dt><dd>{{.Contract}} <span class="mono" id="contract-digest">{{.Digest}}</span></dd>
<dt>Judged</dt><dd id="judged">{{.Judged}}</dd>
<dt>Routes</dt><dd id="routes-judged">{{.Routes}}</dd>
{{- if .Partial}}
<dt>Partial run</dt><dd id="partial">{{.Partial}}</dd>
{{- end}}
{{- if .NothingJudged}}
<dt>Not green</dt><dd id="nothing-judged">{{.NothingJudged}}</dd>
{{- end}}
{{- if .Name}}
<dt>Name</dt><dd class="mono" id="target-name">{{.Name}}</dd>
{{- end}}
{{- if .Tags}}
<dt>Tags</dt><dd class="mono" id="tags">{{range $i, $t := .Tags}}{{if $i}}, {{end}}{{$t}}{{end}}</dd>
{{- end}}
<dt>Target</dt><dd class="mono" id="target-url">{{.Target.BaseURL}}{{if .Target.Embedded}} <span class="none">(embedded reference)</span>{{end}}</dd>
<dt>Started</dt><dd>{{if .StartedAt}}{{.StartedAt}}{{else}}<span class="none">unknown</span>{{end}}</dd>
<dt>Duration</dt><dd>{{.Duration}}</dd>
</dl>
{{- range .Problems}}
<p class="problem"><b>{{index . 0}}</b>: {{index . 1}}</p>
{{- end}}
<div class="tiles" id="summary">
{{- range .Tiles}}
<div class="tile {{.Class}}{{if not .Count}} zero{{end}}" data-summary="{{.Key}}"{{if .Title}} title="{{.Title}}"{{end}}><b>{{.Count}}</b><span>{{.Label}}</span></div>
{{- end}}
</div>
{{- if .ByFixture}}
<div class="fixtures" id="skipped-by-fixture">Skipped for a missing fixture:
{{- range $i, $f := .ByFixture}}{{if $i}},{{end}} <code data-fixture="{{$f.Key}}">{{$f.Key}}</code> × {{$f.Count}}{{end}}
</div>
{{- end}}
{{- if .Waived}}
<div class="fixtures" id="waived-failures">Waived failures ({{len .Waived}}):
<ul>
{{- range .Waived}}
<li class="mono">{{.Case}}: waived until {{.Expires}} ({{.Reason}}): {{.Finding}}</li>
{{- end}}
</ul>
</div>
{{- end}}
{{- if .NotInContract}}
<div class="fixtures" id="not-in-contract">Not in this contract (skipped, never run, never passed):
<ul>
{{- range .NotInContract}}
<li data-reason-count="{{.Count}}" title="{{.Cases}}">{{.Reason}} × {{.Count}}</li>
{{- end}}
</ul>
</div>
{{- end}}
</header>
{{- if .Causes}}

<h2 id="causes">Failing cases by cause <span class="c">(click a cause for its cases)</span></h2>
<ol class="causes">
{{- range .Causes}}
<li class="cause" data-count="{{.Count}}"><details class="cause"><summary><b>{{.Count}}</b> × <span class="mono">{{.Headline}}</span></summary>
<div class="evidence mono">e.g. <a href="#{{.ExampleAnchor}}">{{.Example}}</a>{{if .Evidence}}: {{.Evidence}}{{end}}</div>
<div class="cause-cases">{{range $i, $c := .Cases}}{{if $i}}, {{end}}<a href="#{{$c.Anchor}}" class="mono cause-case">{{$c.ID}}</a>{{end}}</div>
</details></li>
{{- end}}
</ol>
{{- end}}
{{- template "baseline" .Baseline}}

<h2 id="matrix">Contract matrix</h2>
<div class="panel">
{{- if .HasMatrix}}
<table class="matrix">
<thead><tr><th scope="col">status{{if .Matrix.Typed}} / type{{end}}</th>
{{- range .Matrix.Columns}}
<th scope="col" class="mono{{if not .Contract}} off{{end}}" data-code="{{.Code}}">{{range $i, $part := .Label}}{{if $i}}<wbr>{{end}}{{$part}}{{end}}{{if .Status}}<small>{{.Status}}</small>{{else if not .Contract}}<small>not in contract</small>{{end}}</th>
{{- end}}
</tr></thead>
<tbody>
{{- range .Matrix.Rows}}
<tr data-status="{{.Status}}"><th scope="row" class="row mono{{if not .Contract}} off{{end}}">{{.Status}}<small>{{if .Type}}{{.Type}}{{else if not .Contract}}not in contract{{end}}</small></th>
{{- range .Cells}}
{{- if eq .Class "active"}}
<td class="cell active v-{{.Verdict}}" data-status="{{.Status}}" data-code="{{.Code}}" data-verdict="{{.Verdict}}" data-cases="{{.Total}}" title="{{.Cases}}"><a href="{{.Link}}"><span class="n">{{.Total}}</span><span class="c">{{range $i, $c := .Counts}}{{if $i}} {{end}}{{$c.Symbol}}{{$c.Count}}{{end}}</span></a></td>
{{- else if eq .Class "empty"}}
<td class="cell empty" data-status="{{.Status}}" data-code="{{.Code}}" data-verdict="" title="in the contract, no case">no case</td>
{{- else}}
<td class="cell na" data-status="{{.Status}}" data-code="{{.Code}}" data-verdict="" title="the contract pairs no such status and code"></td>
{{- end}}
{{- end}}
</tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p class="none">No statuses to show.</p>
{{- end}}
<div class="legend" id="legend">
{{- range .Legend}}
<span title="{{.Meaning}}"><span class="sw v-{{.Class}}">{{.Symbol}}</span>{{.Label}}</span>
{{- end}}
<span title="the contract has the pairing but no case expects it"><span class="sw empty"></span>no case</span>
<span title="the contract pairs no such status and code"><span class="sw na"></span>not a contract pairing</span>
</div>
<p class="legend">A cell counts the cases expecting that status and code and takes the colour of its worst verdict:
failed &gt; errored &gt; warned &gt; waived &gt; skipped &gt; passed. Click a cell for its worst case.
{{- if .OutOfMatrix}} The {{.OutOfMatrix}} cases not in this contract have no cell.{{end}}</p>
</div>

<h2 id="cases">Cases <span class="c">({{.CaseCount}})</span></h2>
<div class="toolbar js-only">
<button type="button" id="expand-all">Expand all</button><button type="button" id="collapse-all">Collapse all</button>
<span class="label">Show</span>
{{- range .Filters}}<button type="button" data-filter="{{.Verdict}}" data-count="{{.Count}}" aria-pressed="{{eq .Verdict "all"}}">{{.Verdict}} ({{.Count}})</button>{{end}}
</div>
{{- range .Groups}}
<section class="group" id="{{.Anchor}}" data-group="{{.Name}}">
<h3>{{.Name}}<span class="c">{{range $i, $c := .Counts}}{{if $i}} · {{end}}{{$c.Count}} {{$c.Verdict}}{{end}}</span></h3>
{{- range .Cases}}
<details class="case v-{{.VerdictClass}}" id="{{.Anchor}}" data-case-id="{{.ID}}" data-verdict="{{.Verdict}}"{{if .SkipReason}} data-skip-reason="{{.SkipReason}}"{{end}}>
<summary><span class="badge v-{{.VerdictClass}}">{{.Symbol}} {{.Verdict}}</span>{{if .BaselineClass}}<span class="baseline-class" data-baseline-class="{{.BaselineClass}}">{{.BaselineClass}}</span>{{end}}<span class="id mono">{{.ID}}</span><span class="title">{{.Title}}</span>{{if and .Headline (ne .Verdict "passed")}}<span class="why">{{.Headline}}</span>{{end}}</summary>
<div class="body">
<dl class="kv">
<dt>ID</dt><dd class="mono">{{.ID}}</dd>
<dt>Title</dt><dd>{{.Title}}</dd>
<dt>Verdict</dt><dd><span class="badge v-{{.VerdictClass}}">{{.Verdict}}</span>{{if .SkipReason}} <span class="mono" data-field="skip-reason">{{.SkipReason}}</span>{{end}}</dd>
{{- if .Situation}}
<dt>Situation</dt><dd class="mono">{{.Situation}}</dd>
{{- end}}
<dt>Expected</dt><dd class="mono">{{.Expect}}</dd>
{{- if .Reason}}
<dt>Reason</dt><dd>{{.Reason}}</dd>
{{- end}}
<dt>Requests sent</dt><dd>{{.Requests}}</dd>
{{- if .Labels}}
<dt>Labels</dt><dd class="labels">{{range .Labels}}<code>{{.}}</code>{{end}}</dd>
{{- end}}
</dl>
{{- if .Findings}}
<div class="label">Findings</div>
<div class="scroll">
<table class="findings">
<thead><tr><th>rule</th><th>severity</th><th>expected</th><th>actual</th><th>pointer</th><th>message</th></tr></thead>
<tbody>
{{- range .Findings}}
<tr data-rule="{{.Rule}}"><td class="mono">{{.Rule}}</td><td class="sev-{{.Severity}}">{{.Severity}}</td><td class="mono">{{.Expected}}</td><td class="mono">{{.Actual}}</td><td class="mono">{{.Pointer}}</td><td>{{.Message}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
{{- else}}
<p class="none">No findings.</p>
{{- end}}
{{- if or .Request .Response}}
<div class="exchange">
<div class="request">
<div class="label">Request</div>
{{- with .Request}}
<pre>{{.Method}} {{.URL}}
{{range .Headers}}{{.Name}}: {{.Value}}
{{end}}</pre>
{{- if .Body}}
<div class="label">Body ({{.BodyBytes}} bytes)</div>
<pre>{{.Body}}</pre>
{{- end}}
{{- else}}
<p class="none">No request recorded.</p>
{{- end}}
</div>
<div class="response">
<div class="label">Response</div>
{{- with .Response}}
<pre>{{if .Status}}HTTP {{.Status}}{{else}}no status{{end}} · {{.Duration}}
{{range .Headers}}{{.Name}}: {{.Value}}
{{end}}</pre>
{{- if .Failure}}
<dl class="kv"><dt>Failure</dt><dd>{{.Failure}}</dd>{{if .Error}}<dt>Error</dt><dd>{{.Error}}</dd>{{end}}</dl>
{{- else if .Error}}
<dl class="kv"><dt>Error</dt><dd>{{.Error}}</dd></dl>
{{- end}}
<div class="label">Body ({{.BodyBytes}} bytes{{if .Truncated}}, truncated{{end}})</div>
<pre>{{.Body}}</pre>
{{- else}}
<p class="none">No response recorded.</p>
{{- end}}
</div>
</div>
{{- end}}
{{- if .Reproduce}}
<div class="repro-head"><span class="label">Reproduce</span><button type="button" class="copy js-only" data-for="repro-{{.Anchor}}">Copy</button></div>
<pre class="repro" id="repro-{{.Anchor}}">{{range $i, $part := .Reproduce}}{{if $i}}&#13;{{end}}{{$part}}{{end}}</pre>
{{- end}}
</div>
</details>
{{- end}}
</section>
{{- end}}
<footer>Generated by {{.Tool.Name}} {{.Tool.Version}}. This file is self-contained: it loads nothing and runs no code but its own.</footer>
</main>
<script>@JS@</script>
</body>
</html>
`

var htmlTemplate = template.Must(template.New("report").Parse(
	strings.NewReplacer("@CSP@", htmlContentSecurityPolicy, "@CSS@", htmlCSS, "@JS@", htmlJS).Replace(htmlBody) + htmlBaselineTemplate))
