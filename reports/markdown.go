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

// RenderMarkdown writes a short summary fit for a CI step summary: the
// verdict counts, the contract matrix, every cause of failure (the cases
// grouped by their headline finding) with an example, its evidence and the
// first group's reproduction command.
func RenderMarkdown(w io.Writer, rep JSONReport, contract *spec.Contract) error {
	var b strings.Builder
	s := rep.Summary
	headline := mdHeadline(s, "✅ contract kept")
	if rep.NotTestable != nil {
		headline = "⛔ not testable"
	} else if rep.TargetBroke != nil && s.Failed == 0 && s.Errored == 0 {
		headline = "❌ target broke during the run"
	}
	fmt.Fprintf(&b, "## errconform: %s\n\n", headline)
	for _, line := range problemLines(rep.NotTestable, rep.TargetBroke) {
		fmt.Fprintf(&b, "**%s** (%s)\n\n", line[0], mdBounded(line[1], 4*mdCellBound))
	}
	named := ""
	if name, tags := runLabels(rep.Settings); name != "" || len(tags) > 0 {
		named = "`" + mdCode(name) + "` "
		for _, tag := range tags {
			named += "· tag `" + mdCode(tag) + "` "
		}
		named += "· "
	}
	fmt.Fprintf(&b, "%sTarget `%s` · contract %s · errconform %s · %d cases in %.1fs\n\n",
		named, mdCode(rep.Target.BaseURL), mdCell(rep.Contract.String()), rep.Tool.Version, s.Total, float64(rep.DurationMS)/1000)
	mdGate(&b, s, []ContractInfo{rep.Contract}, partialOf(rep.Settings), rep.WaivedFailures())
	fmt.Fprintf(&b, "| ✅ passed | ❌ failed | ⚠️ warned | 🕊️ waived | ⏭️ skipped | 💥 errored |\n|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %s | %d |\n\n", s.Passed, s.Failed, s.Warned, s.Waived, mdSkipped(s), s.Errored)

	matrix := buildMatrix(rep, contract)
	// A contract without types (OpenRouter's) has no type column.
	typed := false
	for _, row := range matrix.Rows {
		typed = typed || row.Type != ""
	}
	b.WriteString("| status |")
	if typed {
		b.WriteString(" type |")
	}
	for _, col := range matrix.Columns {
		fmt.Fprintf(&b, " %s |", mdCell(strings.Join(col.Label, "")))
	}
	b.WriteString("\n|---|")
	if typed {
		b.WriteString("---|")
	}
	for range matrix.Columns {
		b.WriteString(":---:|")
	}
	b.WriteString("\n")
	for _, row := range matrix.Rows {
		fmt.Fprintf(&b, "| %d |", row.Status)
		if typed {
			fmt.Fprintf(&b, " %s |", mdCell(row.Type))
		}
		for _, cell := range row.Cells {
			switch {
			case cell.Total > 0:
				fmt.Fprintf(&b, " %s %d |", markdownEmoji[check.Verdict(cell.Verdict)], cell.Total)
			case cell.Paired:
				b.WriteString(" · |")
			default:
				b.WriteString("  |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\nEach cell: the worst verdict of the cases expecting that status and code, and how many there are; · a pairing no case covers.")
	if s.NotInContract > 0 {
		fmt.Fprintf(&b, " The %s not in this contract have no cell.", plural(s.NotInContract, "case"))
	}
	b.WriteString("\n")

	groups := rep.Groups
	if groups == nil {
		groups = GroupFailures(rep.Cases)
	}
	if len(groups) > 0 {
		failing := 0
		for _, g := range groups {
			failing += g.Count
		}
		fmt.Fprintf(&b, "\n### %s, %s\n\n| cases | cause | example | evidence |\n|---:|---|---|---|\n", plural(failing, "failing case"), plural(len(groups), "cause"))
		for _, g := range groups {
			fmt.Fprintf(&b, "| %d | %s | `%s` | %s |\n", g.Count, mdCell(g.Headline), mdCode(g.Example), mdCell(g.Evidence))
		}
		first := caseByID(rep.Cases, groups[0].Example)
		if first.Reproduce != "" {
			repro := PrintableLines(first.Reproduce)
			fence := mdFence(repro)
			fmt.Fprintf(&b, "\n<details><summary>Reproduce <code>%s</code></summary>\n\n%ssh\n%s\n%s\n\n</details>\n",
				html.EscapeString(Printable(first.ID)), fence, repro, fence)
		}
		b.WriteString("\nEvery case of every cause is in the JSON (`groups`) and HTML reports.\n")
	}
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

// mdSkipped is the skipped count, with the cases not in the contract
// counted apart: "37 (12 not in this contract)".
func mdSkipped(s Summary) string {
	if s.NotInContract == 0 {
		return fmt.Sprint(s.Skipped)
	}
	return fmt.Sprintf("%d (%d not in this contract)", s.Skipped, s.NotInContract)
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
