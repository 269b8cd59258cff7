package reports

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/errconform/errconform/check"
)

// The renderers of a report of many targets: a fleet's (a config's
// targets: list) or merged shards'. A report of one target renders as a
// single target's (RenderHTML, RenderMarkdown).

// reportJSON is v, rendered from rep, as JSON: indented, unless rep is
// compact (Compact).
func reportJSON(rep JSONReport, v any) ([]byte, error) {
	if !rep.compact {
		return indentedJSON(v)
	}
	data, err := json.Marshal(v)
	return append(data, '\n'), err
}

// caseBody is a reported case's findings in words, the response's status
// and excerpt, and its reproduction command.
func caseBody(c CaseReport) string {
	var b strings.Builder
	for _, f := range c.Findings {
		fmt.Fprintf(&b, "[%s] %s\n", f.Severity, f.String())
	}
	if c.Reason != "" && len(c.Findings) == 0 {
		fmt.Fprintln(&b, c.Reason)
	}
	if c.Response != nil && c.Response.Status != 0 {
		fmt.Fprintf(&b, "\nResponse: HTTP %d\n%s\n", c.Response.Status, Printable(Excerpt([]byte(c.Response.BodyExcerpt), junitExcerptBytes)))
	}
	if c.Reproduce != "" {
		fmt.Fprintf(&b, "\nReproduce:\n%s\n", c.Reproduce)
	}
	return b.String()
}

// BuildCTRF assembles a report's CTRF document: one test per (target,
// case), its suite the target and the case's group.
//
// Its complexity (26) is the mapping of each verdict and each optional
// member (findings, evidence, baseline class, waiver) onto CTRF's fields,
// one branch each, read top to bottom against the CTRF schema.
func BuildCTRF(rep JSONReport) CTRF {
	rep = AsFleet(rep)
	start := rep.StartedAt.UnixMilli()
	doc := CTRF{ReportFormat: "CTRF", SpecVersion: "0.0.0", Timestamp: rep.StartedAt.UTC().Format("2006-01-02T15:04:05Z07:00"),
		GeneratedBy: "errconform " + rep.Tool.Version,
		Results: CTRFResults{
			Tool:        CTRFTool{Name: "errconform", Version: rep.Tool.Version},
			Summary:     CTRFSummary{Start: start, Stop: start + rep.DurationMS, Duration: rep.DurationMS},
			Tests:       []CTRFTest{},
			Environment: CTRFEnvironment{ReportName: "errconform contract " + rep.Contract.String(), TestEnvironment: fmt.Sprintf("%d targets", len(rep.Targets))},
		}}
	suitesSeen := map[string]bool{}
	s := &doc.Results.Summary
	for _, t := range rep.Targets {
		for _, c := range t.Cases {
			status := ctrfStatus[c.Verdict]
			test := CTRFTest{Name: c.ID, Status: status, RawStatus: string(c.Verdict), Suite: []string{t.Name, c.Group}, Tags: c.Labels,
				Message: firstNonEmpty(firstFinding(c), c.Reason), Extra: map[string]any{"target": t.Name}}
			if c.Response != nil {
				test.Duration = int64(c.Response.DurationMS)
			}
			if c.Verdict == check.Skipped {
				test.Message = caseSkipText(c)
				test.Extra["skip_reason"] = c.SkipReason
			}
			if len(c.Findings) > 0 {
				test.Extra["findings"] = c.Findings
			}
			if c.Baseline != nil {
				// Its class against the baseline (new, inherited, fixed;
				// "" when it fails in neither) and each finding's.
				test.Extra["baseline_class"] = c.Baseline.Class
				test.Extra["baseline"] = c.Baseline
			}
			var trace strings.Builder
			for _, f := range c.Findings {
				fmt.Fprintf(&trace, "[%s] %s\n", f.Severity, f.String())
			}
			if c.Reproduce != "" {
				fmt.Fprintf(&trace, "\nReproduce:\n%s\n", c.Reproduce)
			}
			test.Trace = trace.String()
			doc.Results.Tests = append(doc.Results.Tests, test)
			suitesSeen[t.Name+"\x00"+c.Group] = true
			s.Tests++
			switch status {
			case "passed":
				s.Passed++
			case "failed":
				s.Failed++
			case "skipped":
				s.Skipped++
			default:
				s.Other++
			}
		}
	}
	s.Suites = len(suitesSeen)
	s.Extra = ctrfGateExtra(rep.Summary, rep.WaivedFailures())
	s.Extra["not_in_contract"], s.Extra["skipped_by_reason"], s.Extra["targets"] = rep.Summary.NotInContract, rep.Summary.SkippedByReason, len(rep.Targets)
	var contracts []ContractInfo
	for _, t := range rep.Targets {
		contracts = append(contracts, t.Contract)
	}
	s.Extra["contracts"] = distinctContracts(contracts)
	// The contract every target shares ("mixed" when they differ).
	s.Extra["contract"] = rep.Contract
	// The failures by cause, per target, each with an example and its
	// evidence (every test carries its own in its trace).
	type cause struct {
		Headline string `json:"headline"`
		Count    int    `json:"count"`
		Example  string `json:"example"`
		Evidence string `json:"evidence,omitempty"`
	}
	causes := map[string][]cause{}
	for _, t := range rep.Targets {
		for _, g := range t.Groups {
			causes[t.Name] = append(causes[t.Name], cause{g.Headline, g.Count, g.Example, g.Evidence})
		}
	}
	if len(causes) > 0 {
		s.Extra["failure_groups"] = causes
	}
	baselines := map[string]*TargetBaseline{}
	for _, t := range rep.Targets {
		if t.Baseline != nil {
			baselines[t.Name] = t.Baseline
		}
	}
	if len(baselines) > 0 {
		s.Extra["baseline"] = baselines
	}
	if len(rep.Targets) == 1 {
		// A single target's run: its name, tags and problems, as its own.
		t := rep.Targets[0]
		s.Extra["target"] = t.Name
		if tags := tagsOf(t.Settings); len(tags) > 0 {
			s.Extra["tags"] = tags
		}
		if t.NotTestable != nil {
			s.Extra["not_testable"] = t.NotTestable
		}
		if t.TargetBroke != nil {
			s.Extra["target_broke"] = t.TargetBroke
		}
	}
	byTarget := map[string]string{}
	for _, t := range rep.Targets {
		byTarget[t.Name] = t.Summary.JudgedText()
	}
	s.Extra["coverage_by_target"] = byTarget
	delete(s.Extra, "nothing_judged")
	if blind := nothingJudgedTargets(rep); len(blind) > 0 {
		s.Extra["nothing_judged"] = blind
	}
	if partial := fleetPartial(rep); partial != "" {
		s.Extra["partial"] = partial
	}
	return doc
}

// fleetCell is one (status, code) cell of a contract, as the fleet matrix
// has it: a column.
type fleetCell struct {
	Status int
	Code   string
}

func (c fleetCell) String() string {
	if c.Code == "" {
		return strconv.Itoa(c.Status)
	}
	return strconv.Itoa(c.Status) + " " + c.Code
}

// fleetCellOf is a case's cell, false for a case without one (a positive
// control, a case the contract does not cover).
func fleetCellOf(c CaseReport) (fleetCell, bool) {
	if notInContract(c) || c.Expect.Status < 400 {
		return fleetCell{}, false
	}
	return fleetCell{c.Expect.Status, c.Expect.Code}, true
}

// fleetMatrix is targets × cells: the columns are every cell any target's
// cases cover, by status then code.
type fleetMatrix struct {
	Columns []fleetCell
	Rows    []fleetRow
}

type fleetRow struct {
	Target TargetReport
	Cells  []fleetMatrixCell
	// Controls are the positive controls' verdict counts (no cell).
	Failing []fleetFailures
}

// fleetMatrixCell counts one target's cases in one cell.
type fleetMatrixCell struct {
	Total, Passed, Failed, Other int
	Anchor                       string
	Class, Text                  string
}

// fleetFailures are one target's failed and errored cases of one cell (or
// of no cell: the controls and others), for the section a cell links to.
type fleetFailures struct {
	Anchor, Title string
	Cases         []CaseReport
}

// slug is s as GitHub's heading anchors make it: lower case, letters,
// digits, '-' and '_' kept, spaces as '-', everything else dropped.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// failuresTitle is the heading of a target's failures in a cell; its slug
// is the anchor the cell links to.
func failuresTitle(target string, cell string) string { return "failures " + target + " " + cell }

func buildFleetMatrix(rep JSONReport) fleetMatrix {
	cols := map[fleetCell]bool{}
	for _, t := range rep.Targets {
		for _, c := range t.Cases {
			if cell, ok := fleetCellOf(c); ok {
				cols[cell] = true
			}
		}
	}
	var m fleetMatrix
	for c := range cols {
		m.Columns = append(m.Columns, c)
	}
	sort.Slice(m.Columns, func(i, j int) bool {
		a, b := m.Columns[i], m.Columns[j]
		if a.Status != b.Status {
			return a.Status < b.Status
		}
		return a.Code < b.Code
	})
	for _, t := range rep.Targets {
		row := fleetRow{Target: t}
		counts := map[fleetCell]*fleetMatrixCell{}
		failing := map[string]*fleetFailures{}
		var failOrder []string
		for _, c := range t.Cases {
			cell, ok := fleetCellOf(c)
			label := "other cases"
			if ok {
				label = cell.String()
				if counts[cell] == nil {
					counts[cell] = &fleetMatrixCell{}
				}
				mc := counts[cell]
				mc.Total++
				switch c.Verdict {
				case check.Passed, check.Warned:
					mc.Passed++
				case check.Failed, check.Errored:
					mc.Failed++
				default:
					mc.Other++
				}
			}
			if c.Verdict == check.Failed || c.Verdict == check.Errored {
				if failing[label] == nil {
					title := failuresTitle(t.Name, label)
					failing[label] = &fleetFailures{Anchor: slug(title), Title: title}
					failOrder = append(failOrder, label)
				}
				failing[label].Cases = append(failing[label].Cases, c)
			}
		}
		for _, col := range m.Columns {
			mc := fleetMatrixCell{}
			if p := counts[col]; p != nil {
				mc = *p
			}
			switch {
			case mc.Total == 0:
				mc.Class, mc.Text = "none", "·"
			case mc.Failed > 0:
				mc.Class, mc.Text = "failed", fmt.Sprintf("✗ %d/%d", mc.Failed, mc.Total)
				mc.Anchor = slug(failuresTitle(t.Name, col.String()))
			case mc.Passed == 0:
				mc.Class, mc.Text = "skipped", fmt.Sprintf("– %d", mc.Total)
			default:
				mc.Class, mc.Text = "passed", fmt.Sprintf("✓ %d", mc.Passed)
			}
			row.Cells = append(row.Cells, mc)
		}
		sort.SliceStable(failOrder, func(i, j int) bool { return failOrder[i] < failOrder[j] })
		for _, label := range failOrder {
			row.Failing = append(row.Failing, *failing[label])
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// renderFleetMarkdown writes a fleet's summary for a CI step summary: one
// line per target, the matrix of targets × cells, where a failing cell
// links to the target's failures in it, each target's failures by cause
// with their evidence, and the failures of each cell.
func renderFleetMarkdown(w io.Writer, rep JSONReport) error {
	var b strings.Builder
	s := rep.Summary
	fmt.Fprintf(&b, "## errconform fleet: %s\n\n%s\n\n", fleetHeadline(rep), mdCounts(s))
	if s.Warned > 0 {
		fmt.Fprintf(&b, "> ⚠️ **%s**: a SHOULD of the contract not kept; the gate stays green for them (`--strict` fails it).\n\n", plural(s.Warned, "case warned"))
	}
	var contracts []ContractInfo
	for _, t := range rep.Targets {
		contracts = append(contracts, t.Contract)
	}
	mdGate(&b, s, distinctContracts(contracts), fleetPartial(rep), rep.WaivedFailures())
	// A row per target, the ones that failed first; four columns, so that
	// the table fits a narrow page.
	targets := slices.Clone(rep.Targets)
	sort.SliceStable(targets, func(i, j int) bool { return !targets[i].Summary.Green() && targets[j].Summary.Green() })
	b.WriteString("| target | outcome | judged | cases |\n|---|---|---|---|\n")
	for _, t := range targets {
		outcome := t.Outcome
		if t.Reason != "" {
			outcome += ": " + t.Reason
		}
		if t.TargetBroke != nil {
			outcome += "; " + TargetBrokeHeadline + ": " + t.TargetBroke.Reason
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(t.Name), mdCell(outcome), mdCell(t.Summary.JudgedText()), mdCounts(t.Summary))
	}
	m := buildFleetMatrix(rep)
	// The cells transposed: a row per (target, cell) that failed, linking
	// to its failures; the others counted in one line.
	var failing []string
	passed, other := 0, 0
	for _, row := range m.Rows {
		for i, cell := range row.Cells {
			switch cell.Class {
			case "failed":
				failing = append(failing, fmt.Sprintf("| %s | %s | [%s](#%s) |\n", mdCell(row.Target.Name), mdCell(m.Columns[i].String()), cell.Text, cell.Anchor))
			case "passed":
				passed++
			case "skipped":
				other++
			}
		}
	}
	if len(failing) > 0 {
		b.WriteString("\n### Failing cells\n\n| target | status and code | failed/cases |\n|---|---|---|\n")
		b.WriteString(strings.Join(failing, ""))
	}
	if passed+other > 0 {
		fmt.Fprintf(&b, "\n%s (a target's status and code): ✓ %d passed, – %d skipped.\n", plural(passed+other, "more cell"), passed, other)
	}
	// Each target's failures by cause, with an example and its evidence,
	// as a single target's summary has them.
	for _, t := range rep.Targets {
		if t.Summary.Failed+t.Summary.Errored == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### Target `%s`: failures by cause\n\n", mdCode(t.Name))
		mdFailureGroups(&b, rep.TargetAsReport(t))
	}
	for _, t := range rep.Targets {
		mdBaseline(&b, "Target `"+mdCode(t.Name)+"`: ", rep.TargetAsReport(t))
	}
	for _, row := range m.Rows {
		for _, f := range row.Failing {
			fmt.Fprintf(&b, "\n#### %s\n\n", f.Title)
			for _, c := range f.Cases {
				fmt.Fprintf(&b, "- `%s` (%s): %s\n", mdCode(c.ID), c.Verdict, mdCell(firstFinding(c)))
			}
		}
	}
	fmt.Fprintf(&b, "\n%d targets · errconform %s · %d cases in %.1fs\n", len(rep.Targets), rep.Tool.Version, s.Total, float64(rep.DurationMS)/1000)
	_, err := io.WriteString(w, b.String())
	return err
}

// renderFleetHTML renders a fleet's HTML report: a self-contained page
// with the targets' summaries, the matrix of targets × cells (a failing
// cell links to its failures), each target's failures by cause with an
// example and its evidence, and every failing case with its findings,
// evidence and reproduction command.
func renderFleetHTML(w io.Writer, rep JSONReport) error {
	bw := bufio.NewWriter(w)
	view := struct {
		Report   JSONReport
		Matrix   fleetMatrix
		Failed   bool
		Headline string
		Waived   []WaivedFailure
		Partial  string
	}{rep, buildFleetMatrix(rep), !rep.Green(), strings.TrimLeft(fleetHeadline(rep), "✅❌ "), rep.WaivedFailures(), fleetPartial(rep)}
	if err := fleetHTMLTemplate.Execute(bw, view); err != nil {
		return fmt.Errorf("render the fleet's HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write the fleet's HTML report: %w", err)
	}
	return nil
}

var fleetHTMLTemplate = template.Must(template.New("fleet").Funcs(template.FuncMap{
	"headline": firstFinding,
	"body":     func(c CaseReport) string { return Printable(caseBody(c)) },
	"visible":  Printable,
	"baseline": func(rep JSONReport, t TargetReport) *htmlBaselineView {
		return buildHTMLBaseline(rep.TargetAsReport(t), nil)
	},
}).Parse(htmlBaselineTemplate + `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{visible .Headline}} · errconform fleet: {{len .Report.Targets}} targets</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:center}
th.t,td.t{text-align:left}.passed{background:#e6f4ea}.failed{background:#fce8e6}.skipped{background:#f1f3f4}.none{color:#999}
a{color:inherit}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f8f8;padding:.5em;border:1px solid #eee}
.scroll{overflow-x:auto;max-width:100%}summary{overflow-wrap:anywhere}
</style></head><body>
<h1 class="{{if .Failed}}failed{{else}}passed{{end}}">errconform fleet: {{visible .Headline}}</h1>
<p>{{len .Report.Targets}} targets · errconform {{.Report.Tool.Version}} · {{.Report.Summary.Total}} cases · {{.Report.DurationMS}} ms · <b id="judged">{{.Report.Summary.JudgedText}}</b></p>
{{if .Partial}}<p id="partial"><b>Partial run</b>: {{visible .Partial}}</p>
{{end}}<div class="scroll"><table id="targets"><tr><th class="t">target</th><th>contract</th><th>outcome</th><th>judged</th><th>passed</th><th>failed</th><th>warned</th><th>waived</th><th>skipped</th><th>errored</th></tr>
{{range .Report.Targets}}<tr><td class="t">{{.Name}}</td><td>{{visible .Contract.Described}}</td><td>{{.Outcome}}{{if .Reason}}: {{visible .Reason}}{{end}}{{if .TargetBroke}}; Target broke during the run: {{visible .TargetBroke.Reason}}{{end}}</td><td{{if .Summary.NothingJudged}} class="failed" title="{{.Summary.NothingJudgedText}}"{{end}}>{{.Summary.JudgedText}}</td><td>{{.Summary.Passed}}</td><td>{{.Summary.Failed}}</td><td>{{.Summary.Warned}}</td><td>{{.Summary.Waived}}</td><td>{{.Summary.Skipped}}</td><td>{{.Summary.Errored}}</td></tr>
{{end}}</table></div>
{{if .Waived}}<h2 id="waived-failures">Waived failures ({{len .Waived}})</h2>
<ul>{{range .Waived}}<li><code>{{.Target}}: {{.Case}}</code> waived until {{.Expires}} ({{visible .Reason}}): {{visible .Finding}}</li>
{{end}}</ul>
{{end}}<h2>Targets × contract cells</h2>
<div class="scroll"><table id="cells"><tr><th class="t">target</th>{{range .Matrix.Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Matrix.Rows}}<tr><td class="t">{{.Target.Name}}</td>{{range .Cells}}<td class="{{.Class}}">{{if .Anchor}}<a href="#{{.Anchor}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{end}}</table></div>
{{range .Report.Targets}}{{if .Groups}}<h2 id="causes-{{.Name}}">{{.Name}}: failures by cause</h2>
<div class="scroll"><table class="causes"><tr><th>cases</th><th class="t">cause</th><th class="t">example</th><th class="t">evidence</th></tr>
{{range .Groups}}<tr><td>{{.Count}}</td><td class="t">{{visible .Headline}}</td><td class="t"><code>{{visible .Example}}</code></td><td class="t">{{visible .Evidence}}</td></tr>
{{end}}</table></div>
{{end}}{{end}}{{range .Report.Targets}}{{template "baseline" (baseline $.Report .)}}{{end}}{{range .Matrix.Rows}}{{range .Failing}}<h3 id="{{.Anchor}}">{{.Title}}</h3>
{{range .Cases}}<details><summary><code>{{.ID}}</code> {{.Verdict}}: {{visible (headline .)}}</summary><pre>{{body .}}</pre></details>
{{end}}{{end}}{{end}}</body></html>
`))
