package reports

// The HTML report's cases: the per-group view model and each case's
// evidence (request, response, findings, reproduction) made safe to show.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/errconform/errconform/check"
)

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

// htmlPrettyBody indents a body excerpt that is one JSON document; anything
// else (truncated, not JSON) is shown as it is.
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
