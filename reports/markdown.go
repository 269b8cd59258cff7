package reports

import (
	"fmt"
	"html"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
)

// markdownEmoji marks verdicts in the Markdown summary, where colour is not
// available (GitHub step summaries, GitLab MR notes).
var markdownEmoji = map[check.Verdict]string{
	check.Passed: "✅", check.Failed: "❌", check.Warned: "⚠️", check.Waived: "🕊️", check.Skipped: "⏭️", check.Errored: "💥",
}

// RenderMarkdown writes a report's summary for a CI step summary: a
// single target's (a report of one target, or a version 2 report), or a
// fleet's (renderFleetMarkdown).
func RenderMarkdown(w io.Writer, rep JSONReport, contract *spec.Contract) error {
	if one, ok := oneTarget(rep); ok {
		return renderTargetMarkdown(w, one, contract)
	}
	return renderFleetMarkdown(w, rep)
}

// renderTargetMarkdown writes a short summary fit for a CI step summary, the
// most telling first, in at most four narrow columns (it reads at 800 px):
// the verdict word, the counts with the failing ones first, the run-level
// problems and warnings each on a line of its own, every cause of failure
// (the cases grouped by their headline finding) with an example, its
// evidence and the first group's reproduction command, then the contract's
// status × code cells that did not pass (the passing ones counted in one
// line), then where the run went and why cases were not run.
func renderTargetMarkdown(w io.Writer, rep JSONReport, contract *spec.Contract) error {
	var b strings.Builder
	s := rep.Summary
	fmt.Fprintf(&b, "## errconform: %s\n\n%s\n\n", runHeadline(rep, "✅ contract kept"), mdCounts(s))
	for _, line := range problemLines(rep.NotTestable, rep.TargetBroke) {
		fmt.Fprintf(&b, "**%s** (%s)\n\n", line[0], mdBounded(line[1], 4*mdCellBound))
	}
	if s.Warned > 0 {
		fmt.Fprintf(&b, "> ⚠️ **%s**: a SHOULD of the contract not kept; the gate stays green for them (`--strict` fails it).\n\n", plural(s.Warned, "case warned"))
	}
	mdGate(&b, s, []ContractInfo{rep.Contract}, partialOf(rep.Settings), rep.WaivedFailures())
	mdFailureGroups(&b, rep)
	mdBaseline(&b, "", rep)
	mdCells(&b, buildMatrix(rep, contract), s.NotInContract)

	named := ""
	if name, tags := runLabels(rep.Settings); name != "" || len(tags) > 0 {
		named = "`" + mdCode(name) + "` "
		for _, tag := range tags {
			named += "· tag `" + mdCode(tag) + "` "
		}
		named += "· "
	}
	fmt.Fprintf(&b, "\n%sTarget `%s` · contract %s · errconform %s · %d cases in %.1fs\n",
		named, mdCode(rep.Target.BaseURL), mdCell(rep.Contract.String()), rep.Tool.Version, s.Total, float64(rep.DurationMS)/1000)
	if reasons := notInContractReasons(rep.Cases); len(reasons) > 0 {
		n := 0
		for _, r := range reasons {
			n += len(r.Cases)
		}
		fmt.Fprintf(&b, "\n### ⏭️ %d not in this contract\n\nListed, never run, never passed: the contract does not cover them.\n\n", n)
		for _, r := range reasons {
			fmt.Fprintf(&b, "- %s: %s\n", mdCell(r.Reason), plural(len(r.Cases), "case"))
		}
	}
	if len(s.SkippedByFixture) > 0 {
		b.WriteString("\n### Skipped for want of fixtures\n\n")
		for _, key := range sortedKeys(s.SkippedByFixture) {
			fmt.Fprintf(&b, "- `fixtures.%s`: %s\n", key, plural(s.SkippedByFixture[key], "case"))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCounts is the verdict counts on one line, the ones that fail the gate
// first and in bold: "**❌ 70 failed · 💥 2 errored** · ✅ 120 passed · …".
func mdCounts(s Summary) string {
	var failing, rest []string
	if s.Failed > 0 {
		failing = append(failing, fmt.Sprintf("❌ %d failed", s.Failed))
	}
	if s.Errored > 0 {
		failing = append(failing, fmt.Sprintf("💥 %d errored", s.Errored))
	}
	rest = append(rest, fmt.Sprintf("✅ %d passed", s.Passed))
	if s.Failed == 0 {
		rest = append(rest, "❌ 0 failed")
	}
	if s.Errored == 0 {
		rest = append(rest, "💥 0 errored")
	}
	skipped := fmt.Sprintf("⏭️ %d skipped", s.Skipped)
	if s.NotInContract > 0 {
		skipped += fmt.Sprintf(" (%d not in this contract)", s.NotInContract)
	}
	rest = append(rest, fmt.Sprintf("⚠️ %d warned", s.Warned), fmt.Sprintf("🕊️ %d waived", s.Waived), skipped)
	line := strings.Join(rest, " · ")
	if len(failing) > 0 {
		line = "**" + strings.Join(failing, " · ") + "** · " + line
	}
	return line
}

// mdFailureGroups writes the causes of failure: a row per cause, with an
// example case and its evidence, and the first cause's reproduction.
func mdFailureGroups(b *strings.Builder, rep JSONReport) {
	groups := rep.Groups
	if groups == nil {
		groups = GroupFailures(rep.Cases)
	}
	if len(groups) == 0 {
		return
	}
	failing := 0
	for _, g := range groups {
		failing += g.Count
	}
	fmt.Fprintf(b, "### %s, %s\n\n| cases | cause | example | evidence |\n|---:|---|---|---|\n", plural(failing, "failing case"), plural(len(groups), "cause"))
	for _, g := range groups {
		fmt.Fprintf(b, "| %d | %s | `%s` | %s |\n", g.Count, mdCell(g.Headline), mdCode(g.Example), mdCell(g.Evidence))
	}
	first := caseByID(rep.Cases, groups[0].Example)
	if first.Reproduce != "" {
		repro := PrintableLines(first.Reproduce)
		fence := mdFence(repro)
		fmt.Fprintf(b, "\n<details><summary>Reproduce <code>%s</code></summary>\n\n%ssh\n%s\n%s\n\n</details>\n",
			html.EscapeString(Printable(first.ID)), fence, repro, fence)
	}
	b.WriteString("\nEvery case of every cause is in the JSON (`groups`) and HTML reports.\n\n")
}

// mdCellRank orders the contract's cells in the summary: those that fail
// the gate first, then those that warn; the others are only counted.
var mdCellRank = map[check.Verdict]int{check.Errored: 1, check.Failed: 2, check.Warned: 3}

// mdCells writes the contract's status × code cells transposed, a row per
// cell that did not pass (errored and failed first, then warned), and
// counts the rest in one line, so that the table fits a narrow page and a
// red cell is never off to the right.
func mdCells(b *strings.Builder, matrix matrixView, notInContract int) {
	type row struct {
		status    int
		typ, code string
		verdict   check.Verdict
		total     int
	}
	var shown []row
	others := map[check.Verdict]int{}
	uncovered := 0
	typed := false
	for _, r := range matrix.Rows {
		typed = typed || r.Type != ""
		for j, cell := range r.Cells {
			v := check.Verdict(cell.Verdict)
			switch {
			case cell.Total > 0 && mdCellRank[v] > 0:
				code := "`" + mdCode(cell.Code) + "`"
				if cell.Code == "" && j < len(matrix.Columns) {
					code = mdCell(strings.Join(matrix.Columns[j].Label, "")) // "(no code)", "(code = status)"
				}
				shown = append(shown, row{status: r.Status, typ: r.Type, code: code, verdict: v, total: cell.Total})
			case cell.Total > 0:
				others[v]++
			case cell.Paired:
				uncovered++
			}
		}
	}
	sort.SliceStable(shown, func(i, j int) bool { return mdCellRank[shown[i].verdict] < mdCellRank[shown[j].verdict] })
	b.WriteString("### Status × code\n\n")
	if len(shown) > 0 {
		b.WriteString("| status |")
		if typed {
			b.WriteString(" type |")
		}
		b.WriteString(" code | cases |\n|---|")
		if typed {
			b.WriteString("---|")
		}
		b.WriteString("---|---|\n")
		for _, r := range shown {
			fmt.Fprintf(b, "| %d |", r.status)
			if typed {
				fmt.Fprintf(b, " %s |", mdCell(r.typ))
			}
			fmt.Fprintf(b, " %s | %s %d |\n", r.code, markdownEmoji[r.verdict], r.total)
		}
		b.WriteString("\n")
	}
	var rest []string
	for _, v := range []check.Verdict{check.Passed, check.Waived, check.Skipped} {
		if n := others[v]; n > 0 {
			word := "cells"
			if n == 1 {
				word = "cell"
			}
			rest = append(rest, fmt.Sprintf("%s %d %s %s", markdownEmoji[v], n, word, v))
		}
	}
	switch {
	case len(shown) > 0 && len(rest) > 0:
		fmt.Fprintf(b, "%d more: %s.", sumOf(others), strings.Join(rest, ", "))
	case len(rest) > 0:
		fmt.Fprintf(b, "Every cell: %s.", strings.Join(rest, ", "))
	}
	if uncovered > 0 {
		fmt.Fprintf(b, " %s of the contract no case covers.", plural(uncovered, "pairing"))
	}
	b.WriteString(" A cell is a status and code of the contract; its verdict is the worst of its cases'.")
	if notInContract > 0 {
		fmt.Fprintf(b, " The %s not in this contract have no cell.", plural(notInContract, "case"))
	}
	b.WriteString("\n")
}

// sumOf adds a map's counts.
func sumOf(m map[check.Verdict]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// plural is "1 cause", "2 causes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func caseByID(cases []CaseReport, id string) CaseReport {
	for _, c := range cases {
		if c.ID == id {
			return c
		}
	}
	return CaseReport{}
}

// mdCellBound bounds a table cell's text, in bytes before escaping.
const mdCellBound = 200

// mdCell makes text safe inside a Markdown table cell (and a list item):
// cut on a rune boundary first, made printable (Printable: control
// characters shown as escapes), then & escaped (so that no &#NNN; entity
// a target sent renders as a character), pipes, angle brackets (HTML and
// <http…> autolinks) and backquotes escaped, the link and image syntax
// ([, ], (, ), !) escaped, and bare URLs defanged (mdDefanged), so that
// no text a target or a file supplied renders as a link or an image.
func mdCell(s string) string { return mdBounded(s, mdCellBound) }

// mdBounded is mdCell with another bound on the bytes kept.
func mdBounded(s string, bound int) string {
	if len(s) > bound {
		at := bound
		for at > 0 && !utf8.RuneStart(s[at]) {
			at--
		}
		s = s[:at] + "…"
	}
	return mdDefanged(mdTableEscaped.Replace(Printable(s)))
}

// mdTableEscaped escapes what a Markdown table cell must not hold raw
// (built once, as a Replacer builds its table on first use).
var mdTableEscaped = strings.NewReplacer("&", "&amp;", "|", `\|`, "<", "&lt;", ">", "&gt;", "`", "'",
	"[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "!", `\!`)

// mdAutolinked matches what GitHub turns into a link without any markup:
// a URL scheme's "://" (and mailto:, xmpp:), and "www.".
var mdAutolinked = regexp.MustCompile(`(?i)://|\b(mailto|xmpp):|\bwww\.`)

// mdDefanged breaks every bare URL so that it stays text, as security
// tools defang links: "http://x" shows as "http[:]//x", "mailto:x" as
// "mailto[:]x", "www.x" as "www[.]x" (the brackets escaped: plain text).
func mdDefanged(s string) string {
	return mdAutolinked.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case m == "://":
			return `\[:\]//`
		case strings.HasSuffix(m, ":"):
			return m[:len(m)-1] + `\[:\]`
		}
		return m[:len(m)-1] + `\[.\]`
	})
}

// mdCode makes text safe inside a code span in a table: printable, no
// backquote to end the span, no pipe to end the cell. A code span renders
// no link, image or autolink.
func mdCode(s string) string { return mdCodeReplacer.Replace(Printable(s)) }

// mdCodeReplacer is mdCode's, built once (a Replacer is safe for
// concurrent use): a fleet's summary quotes tens of thousands of values.
var mdCodeReplacer = strings.NewReplacer("`", "'", "|", `\|`)

// mdFence is a code fence longer than any run of backquotes in s, so that
// s cannot end it.
func mdFence(s string) string {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
