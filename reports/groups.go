package reports

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/errconform/errconform/check"
)

// Group is one cause behind failed or errored cases: the cases whose
// headline finding has the same rule, expectation and observation, once
// what differs between endpoints (paths, ids, numbers in a body) is
// normalised. One gateway bug that fails 63 cases is one group of 63.
type Group struct {
	// Signature identifies the group across runs.
	Signature string `json:"signature"`
	Verdict   string `json:"verdict"`
	Rule      string `json:"rule,omitempty"`
	Expected  string `json:"expected,omitempty"`
	Observed  string `json:"observed,omitempty"`
	// Headline is the example case's headline finding.
	Headline string   `json:"headline"`
	Count    int      `json:"count"`
	Example  string   `json:"example"`
	Cases    []string `json:"cases"`
	// Evidence is the example's status line and a bounded excerpt of its
	// response body (redacted, like every report).
	Evidence string `json:"evidence,omitempty"`
}

// groupEvidenceBytes bounds a group's body excerpt.
const groupEvidenceBytes = 300

// GroupFailures groups the failed and errored cases by cause, largest
// group first (then by signature, for a stable order).
func GroupFailures(cases []CaseReport) []Group {
	index := map[string]int{}
	var groups []Group
	for _, c := range cases {
		if c.Verdict != check.Failed && c.Verdict != check.Errored {
			continue
		}
		g := groupOf(c)
		i, ok := index[g.Signature]
		if !ok {
			index[g.Signature] = len(groups)
			g.Example, g.Headline, g.Evidence = c.ID, firstFinding(c), evidence(c)
			groups = append(groups, g)
			i = len(groups) - 1
		}
		groups[i].Count++
		groups[i].Cases = append(groups[i].Cases, c.ID)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Count != groups[j].Count {
			return groups[i].Count > groups[j].Count
		}
		return groups[i].Signature < groups[j].Signature
	})
	return groups
}

// groupOf derives a case's group from its headline finding (its first
// MUST finding, as check.Headline picks it), or from its reason.
func groupOf(c CaseReport) Group {
	g := Group{Verdict: string(c.Verdict)}
	var f *check.Finding
	for i := range c.Findings {
		if c.Findings[i].Severity == check.Must {
			f = &c.Findings[i]
			break
		}
	}
	if f == nil && len(c.Findings) > 0 {
		f = &c.Findings[0]
	}
	if f == nil {
		g.Observed = normalizeObserved(c.Reason)
		g.Signature = g.Verdict + ": " + g.Observed
		return g
	}
	g.Rule, g.Expected, g.Observed = f.Rule, normalizeObserved(f.Expected), normalizeObserved(f.Actual)
	if g.Expected == "" && g.Observed == "" {
		g.Observed = normalizeObserved(f.Message)
	}
	g.Signature = g.Verdict + " " + g.Rule + ": expected " + g.Expected + ", got " + g.Observed
	return g
}

// evidence is the status line and a body excerpt of a case's judged answer.
func evidence(c CaseReport) string {
	r := c.Response
	if r == nil {
		return ""
	}
	if r.Status == 0 {
		return "no response: " + r.Error
	}
	line := "HTTP " + strconv.Itoa(r.Status)
	if body := strings.TrimSpace(r.BodyExcerpt); body != "" {
		line += " " + Excerpt([]byte(strings.Join(strings.Fields(body), " ")), groupEvidenceBytes)
	}
	return line
}

// What differs between the endpoints of one cause: paths, file and request
// ids, long numbers (ports, timestamps), hex strings, request durations.
var (
	observedPath     = regexp.MustCompile(`/(v1|files|models|chat)/[^\s"'<>)]*`)
	observedID       = regexp.MustCompile(`\b(file|chatcmpl|req|run|msg)[-_][A-Za-z0-9]{6,}\b`)
	observedDuration = regexp.MustCompile(`\b\d+(\.\d+)?(ms|s|µs)\b`)
	observedNumber   = regexp.MustCompile(`\b\d{4,}\b`)
	observedHex      = regexp.MustCompile(`\b[0-9a-fA-F]{12,}\b`)
)

// normalizeObserved makes an observation comparable across endpoints, and
// short.
func normalizeObserved(s string) string {
	s = observedPath.ReplaceAllString(s, "/$1/…")
	s = observedID.ReplaceAllString(s, "$1-…")
	s = observedDuration.ReplaceAllString(s, "…$2")
	s = observedHex.ReplaceAllString(s, "…")
	s = observedNumber.ReplaceAllString(s, "N")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		at := 120
		for at > 0 && s[at]&0xC0 == 0x80 {
			at--
		}
		s = s[:at] + "…"
	}
	return s
}
