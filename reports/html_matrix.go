package reports

// The HTML report's status × code matrix: its view model and how it is laid
// out from a report's cases and contract.

import (
	"sort"
	"strconv"
	"strings"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
)

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

// htmlBreakable splits a code after each underscore; the template puts a <wbr>
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

// htmlCountList orders verdict counts worst first; unknown verdicts come last.
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
