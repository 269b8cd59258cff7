package reports

import (
	"fmt"
	"strings"

	"github.com/errconform/errconform/check"
)

// A run with a baseline (--baseline, baseline: in the config) classifies
// each target's findings against the baseline's (check.Classify): each
// case carries its classification (CaseBaseline), each target the counts
// (TargetBaseline), and every format shows them.

// CaseBaseline is a case's findings classified against the baseline's
// result for the same case.
type CaseBaseline struct {
	// Class is the case's class as a whole (check.Classification's
	// CaseClass): new, inherited, fixed, or "" when it fails neither here
	// nor in the baseline.
	Class check.Class `json:"class,omitempty"`
	// Compared reports whether the baseline judged the case: when it did
	// not, every finding is new for want of a comparison.
	Compared bool `json:"compared"`
	// Findings are the classes of the case's findings, in their order.
	Findings []check.Class `json:"findings"`
	// Fixed are the baseline's findings the case no longer has.
	Fixed []check.Finding `json:"fixed,omitempty"`
}

// NewCaseBaseline is a classification as a case's report holds it.
func NewCaseBaseline(c check.Classification, strict bool) *CaseBaseline {
	out := &CaseBaseline{Class: c.CaseClass(strict), Compared: c.Compared, Findings: make([]check.Class, len(c.Findings)), Fixed: c.Fixed}
	for i, f := range c.Findings {
		out.Findings[i] = f.Class
	}
	return out
}

// Classification is the case's classification again, from its findings
// and their classes (what merge and the renderers count from).
func (b *CaseBaseline) Classification(findings []check.Finding) check.Classification {
	c := check.Classification{Compared: b.Compared, Fixed: b.Fixed, Findings: make([]check.ClassifiedFinding, len(findings))}
	for i, f := range findings {
		class := check.New
		if i < len(b.Findings) {
			class = b.Findings[i]
		}
		c.Findings[i] = check.ClassifiedFinding{Finding: f, Class: class}
	}
	return c
}

// FindingClass is the class of the case's i-th finding ("" without a
// baseline).
func (c CaseReport) FindingClass(i int) check.Class {
	if c.Baseline == nil || i >= len(c.Baseline.Findings) {
		return ""
	}
	return c.Baseline.Findings[i]
}

// CaseClass is the case's class ("" without a baseline, or when it fails
// neither here nor in the baseline).
func (c CaseReport) CaseClass() check.Class {
	if c.Baseline == nil {
		return ""
	}
	return c.Baseline.Class
}

// TargetBaseline says what a target was compared with, and the counts.
type TargetBaseline struct {
	// Report is the baseline report's path as given; Target the name of
	// its target the run was compared with.
	Report string `json:"report"`
	Target string `json:"target"`
	// ContractDigest is the contract the baseline was judged by.
	ContractDigest string `json:"contract_digest,omitempty"`
	// FailOn is what failed the gate: new or any.
	FailOn check.FailOn `json:"fail_on"`
	// Summary counts the cases and findings by class.
	Summary check.ClassSummary `json:"summary"`
}

// SummarizeBaseline counts the classes of the reported cases.
func SummarizeBaseline(cases []CaseReport, strict bool) check.ClassSummary {
	var all []check.Classification
	for _, c := range cases {
		if c.Baseline != nil {
			all = append(all, c.Baseline.Classification(c.Findings))
		}
	}
	return check.SummarizeClasses(all, strict)
}

// BaselineText is the summary line of a target's classification: "3 new,
// 125 inherited, 2 fixed" (findings), with the cases the baseline did not
// judge.
func BaselineText(b *TargetBaseline) string {
	if b == nil {
		return ""
	}
	f := b.Summary.Findings
	text := fmt.Sprintf("%d new, %d inherited, %d fixed", f.New, f.Inherited, f.Fixed)
	if n := b.Summary.NotCompared; n > 0 {
		text += fmt.Sprintf(" (%d case(s) with findings the baseline did not judge: new for want of a comparison)", n)
	}
	return text
}

// ClassTitle is a class's heading in the Markdown and HTML sections.
func ClassTitle(c check.Class) string {
	switch c {
	case check.New:
		return "New: failing here, not in the baseline"
	case check.Inherited:
		return "Inherited: the baseline fails the same way"
	case check.Fixed:
		return "Fixed: the baseline fails, this target does not"
	}
	return strings.ToUpper(string(c))
}

// CasesOfClass lists the cases of a class, in their order.
func CasesOfClass(cases []CaseReport, class check.Class) []CaseReport {
	var out []CaseReport
	for _, c := range cases {
		if c.CaseClass() == class {
			out = append(out, c)
		}
	}
	return out
}

// baselineListBound bounds the cases a Markdown section of a class lists
// (the JSON and HTML reports list them all).
const baselineListBound = 25

// mdBaseline writes a target's classification against its baseline: the
// counts, then a section per class listing its cases (title names the
// target in a fleet).
func mdBaseline(b *strings.Builder, title string, rep JSONReport) {
	bl := rep.Baseline
	if bl == nil {
		return
	}
	fmt.Fprintf(b, "\n### %sAgainst the baseline: %s\n\nBaseline `%s` (target `%s`), `--fail-on %s`.\n", title, mdCell(BaselineText(bl)),
		mdCode(bl.Report), mdCode(bl.Target), bl.FailOn)
	for _, class := range check.Classes() {
		cases := CasesOfClass(rep.Cases, class)
		if len(cases) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n#### %s (%s)\n\n", ClassTitle(class), plural(len(cases), "case"))
		for i, c := range cases {
			if i == baselineListBound {
				fmt.Fprintf(b, "- … and %d more (the JSON and HTML reports list them all)\n", len(cases)-i)
				break
			}
			text := firstFinding(c)
			if class == check.Fixed && len(c.Baseline.Fixed) > 0 {
				text = "was: " + check.Headline(c.Baseline.Fixed, "")
			}
			fmt.Fprintf(b, "- `%s` (%s): %s\n", mdCode(c.ID), c.Verdict, mdCell(text))
		}
	}
}

// htmlBaselineView is a target's classification as the HTML reports show
// it: the counts, and a section per class with its cases.
type htmlBaselineView struct {
	Text, Report, Target, FailOn string
	Sections                     []htmlBaselineSection
}

type htmlBaselineSection struct {
	Class, Title string
	Cases        []htmlBaselineCase
}

type htmlBaselineCase struct{ ID, Anchor, Verdict, Headline string }

// buildHTMLBaseline is the view of rep's classification (nil without a
// baseline); anchor links each case to its details.
func buildHTMLBaseline(rep JSONReport, anchor func(id string) string) *htmlBaselineView {
	b := rep.Baseline
	if b == nil {
		return nil
	}
	v := &htmlBaselineView{Text: BaselineText(b), Report: Printable(b.Report), Target: Printable(b.Target), FailOn: string(b.FailOn)}
	for _, class := range check.Classes() {
		cases := CasesOfClass(rep.Cases, class)
		if len(cases) == 0 {
			continue
		}
		s := htmlBaselineSection{Class: string(class), Title: fmt.Sprintf("%s (%d)", ClassTitle(class), len(cases))}
		for _, c := range cases {
			text := firstFinding(c)
			if class == check.Fixed && len(c.Baseline.Fixed) > 0 {
				text = "was: " + check.Headline(c.Baseline.Fixed, "")
			}
			link := ""
			if anchor != nil {
				link = anchor(c.ID)
			}
			s.Cases = append(s.Cases, htmlBaselineCase{ID: c.ID, Anchor: link, Verdict: string(c.Verdict), Headline: Printable(text)})
		}
		v.Sections = append(v.Sections, s)
	}
	return v
}

// htmlBaselineTemplate is the baseline's part of a page (the single
// target's and the fleet's).
const htmlBaselineTemplate = `{{define "baseline"}}{{if .}}
<section class="baseline">
<h2>Against the baseline: {{.Text}}</h2>
<p>Baseline <code>{{.Report}}</code> (target <code>{{.Target}}</code>), <code>--fail-on {{.FailOn}}</code>.</p>
{{- range .Sections}}
<details class="baseline-class" data-class="{{.Class}}"><summary><b>{{.Title}}</b></summary>
<ul>
{{- range .Cases}}
<li class="mono" data-class-case="{{.ID}}">{{if .Anchor}}<a href="#{{.Anchor}}">{{.ID}}</a>{{else}}{{.ID}}{{end}} ({{.Verdict}}): {{.Headline}}</li>
{{- end}}
</ul>
</details>
{{- end}}
</section>
{{- end}}{{end}}`
