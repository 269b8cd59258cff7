package reports

import (
	"fmt"
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
// group first (then by signature, for a stable order). The failures of
// explore variants group by what the target did (accepted invalid input,
// refused valid input, crashed on bad input, or another rule's finding),
// whatever field and constraint: their headline lists the fields and
// constraints, so that a gateway that validates nothing reads as "accepted
// invalid input on 14 fields", not as hundreds of lines.
func GroupFailures(cases []CaseReport) []Group {
	index := map[string]int{}
	var groups []Group
	explored := map[int]*exploreGroup{}
	for _, c := range cases {
		if c.Verdict != check.Failed && c.Verdict != check.Errored {
			continue
		}
		g, eg := groupOf(c), (*exploreGroup)(nil)
		if x, ok := exploreGroupOf(c); ok {
			g, eg = x.Group, &x
		}
		i, ok := index[g.Signature]
		if !ok {
			index[g.Signature] = len(groups)
			g.Example, g.Headline, g.Evidence = c.ID, firstFinding(c), evidence(c)
			groups = append(groups, g)
			i = len(groups) - 1
			if eg != nil {
				explored[i] = eg
			}
		}
		groups[i].Count++
		groups[i].Cases = append(groups[i].Cases, c.ID)
		if eg := explored[i]; eg != nil {
			eg.add(c)
		}
	}
	for i, eg := range explored {
		groups[i].Headline = eg.headline()
	}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Count != groups[j].Count {
			return groups[i].Count > groups[j].Count
		}
		return groups[i].Signature < groups[j].Signature
	})
	return groups
}

// What a target did with an explore variant, by the status it answered.
const (
	AcceptedInvalid = "accepted invalid input"
	RefusedValid    = "refused valid input"
	CrashOnBad      = "crash on bad input"
	FailedOnValid   = "failed on valid input"
)

// GroupHeadlineBytes bounds an explore group's headline (the fields and
// constraints are listed until it is reached, then counted); the terminal
// shows every group's headline up to it.
const GroupHeadlineBytes = 300

// exploreGroup is a group of failed explore variants, with the fields and
// constraints of its cases.
type exploreGroup struct {
	Group
	// prefix is what the cases share, in words: "accepted invalid input".
	prefix string
	// constraints are each field's broken constraints (or positive
	// controls), as a set.
	constraints map[string]map[string]bool
}

// exploreGroupOf groups a failed explore variant (ID prefix "explore/", or
// the label "explore") by rule, expectation and what the target did:
// false for any other case, or an explore variant that errored.
func exploreGroupOf(c CaseReport) (exploreGroup, bool) {
	if c.Verdict != check.Failed || !isExploreVariant(c) {
		return exploreGroup{}, false
	}
	g := groupOf(c)
	status := 0
	if c.Response != nil {
		status = c.Response.Status
	}
	valid := labelOf(c.Labels, "constraint") == "valid" || (c.Expect.Status >= 200 && c.Expect.Status < 300)
	class := ""
	switch {
	case status >= 200 && status < 300 && !valid:
		class = AcceptedInvalid
	case status >= 500 && !valid:
		class = CrashOnBad
	case status >= 400 && status < 500 && valid:
		class = RefusedValid
	case status >= 500 && valid:
		class = FailedOnValid
	}
	eg := exploreGroup{constraints: map[string]map[string]bool{}}
	if class != "" {
		g.Rule, g.Expected, g.Observed = "status", strconv.Itoa(c.Expect.Status), class
		eg.prefix = class
	} else {
		if g.Rule == "param" {
			// Each variant expects its own field: what they share is that
			// param does not name it.
			g.Expected = "the field (or a path inside it)"
			if strings.HasPrefix(g.Observed, `"`) {
				g.Observed = "another name"
			}
		}
		eg.prefix = g.Rule + ": expected " + g.Expected + ", got " + g.Observed
		if g.Rule == "" {
			eg.prefix = g.Observed
		}
	}
	g.Signature = "explore " + g.Verdict + " " + g.Rule + ": expected " + g.Expected + ", got " + g.Observed
	eg.Group = g
	return eg, true
}

// isExploreVariant reports whether a case is an explore variant.
func isExploreVariant(c CaseReport) bool {
	if strings.HasPrefix(c.ID, "explore/") {
		return true
	}
	for _, l := range c.Labels {
		if l == "explore" {
			return true
		}
	}
	return false
}

// labelOf is the value of a case's "name:value" label, or "".
func labelOf(labels []string, name string) string {
	for _, l := range labels {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

// add records a case's field and constraint. They come from its labels
// (field:, constraint:), else from its ID (explore/chat/<path>/<constraint>,
// perhaps with /stream); a positive control is named by its ID's last
// part (valid-minimum), which says which valid value was refused.
func (eg *exploreGroup) add(c CaseReport) {
	id := strings.TrimSuffix(c.ID, "/stream")
	last := id[strings.LastIndex(id, "/")+1:]
	path := strings.TrimSuffix(id, "/"+last)
	path = path[strings.LastIndex(path, "/")+1:]
	field := labelOf(c.Labels, "field")
	if field == "" {
		field = path
		if at := strings.IndexAny(path, ".:"); at > 0 {
			field = path[:at]
		}
	}
	constraint := labelOf(c.Labels, "constraint")
	if constraint == "" || constraint == "valid" {
		constraint = last
	}
	if eg.constraints[field] == nil {
		eg.constraints[field] = map[string]bool{}
	}
	eg.constraints[field][constraint] = true
}

// headline is "accepted invalid input on 14 fields: temperature
// (above-maximum, below-minimum, wrong-type), top_p (…), …", within
// GroupHeadlineBytes: past it, fields are named without their constraints,
// then counted.
func (eg *exploreGroup) headline() string {
	fields := make([]string, 0, len(eg.constraints))
	for f := range eg.constraints {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var b strings.Builder
	b.WriteString(eg.prefix + " on " + plural(len(fields), "field") + ": ")
	namesOnly := false
	for i, f := range fields {
		constraints := make([]string, 0, len(eg.constraints[f]))
		for c := range eg.constraints[f] {
			constraints = append(constraints, c)
		}
		sort.Strings(constraints)
		full := f + " (" + strings.Join(constraints, ", ") + ")"
		sep := ""
		if i > 0 {
			sep = ", "
		}
		more := ""
		if rest := len(fields) - i - 1; rest > 0 {
			more = fmt.Sprintf(", … and %d more", rest)
		}
		switch {
		case !namesOnly && b.Len()+len(sep)+len(full)+len(more) <= GroupHeadlineBytes:
			b.WriteString(sep + full)
		case b.Len()+len(sep)+len(f)+len(more) <= GroupHeadlineBytes:
			namesOnly = true
			b.WriteString(sep + f)
		default:
			fmt.Fprintf(&b, "%s… and %d more", sep, len(fields)-i)
			return b.String()
		}
	}
	return b.String()
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
	g.Rule, g.Expected, g.Observed = f.Rule, normalizeObserved(f.Expected), normalizeObserved(observedOf(*f))
	if g.Expected == "" && g.Observed == "" {
		g.Observed = normalizeObserved(f.Message)
	}
	g.Signature = g.Verdict + " " + g.Rule + ": expected " + g.Expected + ", got " + g.Observed
	return g
}

// observedOf is what a finding observed, as a cause: for the rules whose
// Actual quotes the body (json, shape, message), the kind of problem their
// message names, not the body's text, so that one cause over many bodies
// is one group.
func observedOf(f check.Finding) string {
	switch f.Rule {
	case "json":
		kind, _, _ := strings.Cut(f.Message, ": ")
		return kind
	case "shape":
		return f.Message
	case "message":
		if strings.Contains(f.Message, "not human-readable") {
			return "a message that is not human-readable text"
		}
	}
	return f.Actual
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
