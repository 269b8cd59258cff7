package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// must and should are findings of a rule with an expected and an observed
// value, as the rules write them.
func must(rule, expected, actual string) Finding {
	return Finding{Rule: rule, Severity: Must, Expected: expected, Actual: actual, Message: "expected " + expected + ", got " + actual}
}

func should(rule, expected, actual string) Finding {
	return Finding{Rule: rule, Severity: Should, Expected: expected, Actual: actual, Message: "expected " + expected + ", got " + actual}
}

func judged(findings ...Finding) BaselineCase { return BaselineCase{Judged: true, Findings: findings} }

func classes(c Classification) []Class {
	out := make([]Class, len(c.Findings))
	for i, f := range c.Findings {
		out[i] = f.Class
	}
	return out
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		target   []Finding
		baseline BaselineCase
		want     []Class // the target's findings, in order
		fixed    []Finding
		compared bool
	}{
		{
			name:     "the baseline fails the same way: inherited",
			target:   []Finding{must("status", "400", "500")},
			baseline: judged(must("status", "400", "500")),
			want:     []Class{Inherited}, compared: true,
		},
		{
			name:     "the baseline passes: new",
			target:   []Finding{must("status", "400", "500")},
			baseline: judged(),
			want:     []Class{New}, compared: true,
		},
		{
			name:     "the baseline fails, the target passes: fixed",
			baseline: judged(must("status", "400", "500")),
			want:     []Class{}, fixed: []Finding{must("status", "400", "500")}, compared: true,
		},
		{
			name:     "another observed status: new, and the baseline's own is fixed",
			target:   []Finding{must("status", "400", "422")},
			baseline: judged(must("status", "400", "500")),
			want:     []Class{New}, fixed: []Finding{must("status", "400", "500")}, compared: true,
		},
		{
			name:     "another expected value (another contract's status): new",
			target:   []Finding{must("status", "404", "400")},
			baseline: judged(must("status", "400", "400")),
			want:     []Class{New}, fixed: []Finding{must("status", "400", "400")}, compared: true,
		},
		{
			name:     "another rule with the same values: new",
			target:   []Finding{must("code", `"invalid_api_key"`, "null")},
			baseline: judged(must("type", `"invalid_api_key"`, "null")),
			want:     []Class{New}, fixed: []Finding{must("type", `"invalid_api_key"`, "null")}, compared: true,
		},
		{
			name:     "some inherited, some new, some fixed, in the target's order",
			target:   []Finding{must("status", "400", "200"), should("message", "human text", `"x"`), must("param", `"messages"`, "null")},
			baseline: judged(must("param", `"messages"`, "null"), must("status", "400", "200"), must("content-type", "application/json", "text/html")),
			want:     []Class{Inherited, New, Inherited}, fixed: []Finding{must("content-type", "application/json", "text/html")}, compared: true,
		},
		{
			name:     "severity, message and pointer do not count: the same observation under another contract",
			target:   []Finding{{Rule: "param", Severity: Should, Expected: "messages", Actual: "null", Message: "one wording", Pointer: "/error/param"}},
			baseline: judged(Finding{Rule: "param", Severity: Must, Expected: "messages", Actual: "null", Message: "another"}),
			want:     []Class{Inherited}, compared: true,
		},
		{
			name:     "a finding twice against once: one inherited, one new",
			target:   []Finding{must("shape", "an error object", "{}"), must("shape", "an error object", "{}")},
			baseline: judged(must("shape", "an error object", "{}")),
			want:     []Class{Inherited, New}, compared: true,
		},
		{
			name:     "a finding once against twice: inherited, and the other is fixed",
			target:   []Finding{must("shape", "an error object", "{}")},
			baseline: judged(must("shape", "an error object", "{}"), must("shape", "an error object", "{}")),
			want:     []Class{Inherited}, fixed: []Finding{must("shape", "an error object", "{}")}, compared: true,
		},
		{
			name:     "the baseline did not judge the case: every finding new, nothing fixed",
			target:   []Finding{must("status", "400", "500")},
			baseline: BaselineCase{Findings: []Finding{must("status", "400", "500")}},
			want:     []Class{New},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Classify(tt.target, tt.baseline)
			assert.Equal(t, tt.want, classes(c))
			assert.Equal(t, tt.fixed, c.Fixed)
			assert.Equal(t, tt.compared, c.Compared)
			for i, f := range c.Findings {
				assert.Equal(t, tt.target[i], f.Finding, "the finding is kept as it was")
			}
		})
	}
}

// A finding is the same observation when only volatile values differ, and
// another when what conformance is about differs.
func TestClassifyComparesObservations(t *testing.T) {
	tests := []struct {
		name             string
		target, baseline Finding
		want             Class
	}{
		{"another chat completion id", must("status", "400", `200 {"id":"chatcmpl-9a8B7c6D5e4F","object":"chat.completion"}`),
			must("status", "400", `200 {"id":"chatcmpl-Q1w2E3r4T5y6","object":"chat.completion"}`), Inherited},
		{"another responses id", must("shape", "an error object", `{"id":"resp_67ccd2bed1ec8190b14f964abc054267"}`),
			must("shape", "an error object", `{"id":"resp_0123456789abcdef0123456789abcdef"}`), Inherited},
		{"another request id (uuid)", must("message", "human text", `"failed (request 3f2b6c1e-8d4a-4b7e-9c1d-2a3b4c5d6e7f)"`),
			must("message", "human text", `"failed (request 00000000-1111-4222-8333-444444444444)"`), Inherited},
		{"another request id (req_)", must("message", "human text", `"upstream error req_8Hk2LmQ9xYz01"`),
			must("message", "human text", `"upstream error req_Pq7Rs6Tu5Vw4X"`), Inherited},
		{"another created timestamp", must("status", "400", `200 {"created":1733600000,"model":"m"}`),
			must("status", "400", `200 {"created":1733600042,"model":"m"}`), Inherited},
		{"another RFC 3339 time", must("message", "human text", `"at 2026-12-07T19:51:03Z: overloaded"`),
			must("message", "human text", `"at 2026-12-08T01:02:03.123+01:00: overloaded"`), Inherited},
		{"another rate-limit counter", must("retry-after", "Retry-After", "none (x-ratelimit-remaining-requests: 57)"),
			must("retry-after", "Retry-After", "none (x-ratelimit-remaining-requests: 3)"), Inherited},
		{"another Retry-After", must("status", "429", "503 (Retry-After: 20)"), must("status", "429", "503 (Retry-After: 3)"), Inherited},

		{"another status", must("status", "400", "500"), must("status", "400", "422"), New},
		{"another type", must("type", `"invalid_request_error"`, `"server_error"`), must("type", `"invalid_request_error"`, `"api_error"`), New},
		{"another code", must("code", `"context_length_exceeded"`, `"invalid_value"`), must("code", `"context_length_exceeded"`, `"string_above_max_length"`), New},
		{"another param", must("param", `"messages"`, `"model"`), must("param", `"messages"`, `"messages[0]"`), New},
		{"another code with an id-like prefix", must("code", `"invalid_api_key"`, `"request_too_large"`), must("code", `"invalid_api_key"`, `"request_timeout"`), New},
		{"another limit in the message", must("status", "400", `200 (max_tokens 4097 above 4096)`), must("status", "400", `200 (max_tokens 2049 above 2048)`), New},
		{"the same status, another id, another type", must("type", `"invalid_request_error"`, `"server_error" (chatcmpl-9a8B7c6D5e4F)`),
			must("type", `"invalid_request_error"`, `"api_error" (chatcmpl-Q1w2E3r4T5y6)`), New},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Classify([]Finding{tt.target}, judged(tt.baseline))
			require.Len(t, c.Findings, 1)
			assert.Equal(t, tt.want, c.Findings[0].Class)
			if tt.want == Inherited {
				assert.Empty(t, c.Fixed)
			} else {
				assert.Equal(t, []Finding{tt.baseline}, c.Fixed, "the baseline's own finding is not the target's")
			}
		})
	}
}

func TestCaseClassAndCounts(t *testing.T) {
	tests := []struct {
		name     string
		target   []Finding
		baseline BaselineCase
		strict   bool
		want     Class
		counts   ClassCounts
	}{
		{"a new MUST finding", []Finding{must("status", "400", "500"), must("type", "t", "u")}, judged(must("type", "t", "u")), false,
			New, ClassCounts{New: 1, Inherited: 1, FailingNew: 1, FailingInherited: 1}},
		{"every MUST finding inherited, a new SHOULD one", []Finding{must("status", "400", "500"), should("message", "text", "none")}, judged(must("status", "400", "500")), false,
			Inherited, ClassCounts{New: 1, Inherited: 1, FailingInherited: 1}},
		{"the same under strict: the new SHOULD finding fails", []Finding{must("status", "400", "500"), should("message", "text", "none")}, judged(must("status", "400", "500")), true,
			New, ClassCounts{New: 1, Inherited: 1, FailingNew: 1, FailingInherited: 1}},
		{"the target passes where the baseline failed", nil, judged(must("status", "400", "500")), false,
			Fixed, ClassCounts{Fixed: 1, FailingFixed: 1}},
		{"only a warning fixed: no case class", nil, judged(should("message", "text", "none")), false,
			"", ClassCounts{Fixed: 1}},
		{"both pass", nil, judged(), false, "", ClassCounts{}},
		{"only a new warning: no case class", []Finding{should("message", "text", "none")}, judged(), false, "", ClassCounts{New: 1}},
		{"no baseline result: new", []Finding{must("status", "400", "500")}, BaselineCase{}, false, New, ClassCounts{New: 1, FailingNew: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Classify(tt.target, tt.baseline)
			assert.Equal(t, tt.want, c.CaseClass(tt.strict))
			assert.Equal(t, tt.counts, c.Counts(tt.strict))
		})
	}
}

func TestBaselineOf(t *testing.T) {
	f := []Finding{must("status", "400", "500")}
	tests := []struct {
		verdict Verdict
		judged  bool
	}{
		{Passed, true}, {Warned, true}, {Failed, true}, {Waived, true},
		{Skipped, false}, {Errored, false}, {"", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.verdict), func(t *testing.T) {
			b := BaselineOf(tt.verdict, f)
			assert.Equal(t, tt.judged, b.Judged)
			c := Classify(f, b)
			want := New
			if tt.judged {
				want = Inherited
			}
			assert.Equal(t, want, c.Findings[0].Class)
		})
	}
}

func TestFailsGate(t *testing.T) {
	inherited := Classify([]Finding{must("status", "400", "500")}, judged(must("status", "400", "500")))
	inheritedNewWarning := Classify([]Finding{must("status", "400", "500"), should("message", "text", "none")}, judged(must("status", "400", "500")))
	newMust := Classify([]Finding{must("status", "400", "500"), must("type", "t", "u")}, judged(must("type", "t", "u")))
	noFindings := Classify(nil, judged())
	notCompared := Classify([]Finding{must("status", "400", "500")}, BaselineCase{})
	tests := []struct {
		name    string
		verdict Verdict
		class   *Classification
		failOn  FailOn
		strict  bool
		fails   bool
	}{
		{"any: an inherited failure fails", Failed, &inherited, FailOnAny, false, true},
		{"any: a new failure fails", Failed, &newMust, FailOnAny, false, true},
		{"new: every MUST finding inherited: reported, does not fail", Failed, &inherited, FailOnNew, false, false},
		{"new: inherited MUST and a new warning: does not fail", Failed, &inheritedNewWarning, FailOnNew, false, false},
		{"new: the new warning fails under strict", Failed, &inheritedNewWarning, FailOnNew, true, true},
		{"new: a new MUST finding fails", Failed, &newMust, FailOnNew, false, true},
		{"new: the baseline did not judge the case: fails", Failed, &notCompared, FailOnNew, false, true},
		{"new: no classification: fails", Failed, nil, FailOnNew, false, true},
		{"new: failed without findings (a required fixture): fails", Failed, &noFindings, FailOnNew, false, true},
		{"new: errored always fails", Errored, &inherited, FailOnNew, false, true},
		{"any: errored fails", Errored, nil, FailOnAny, false, true},
		{"passed never fails", Passed, &newMust, FailOnAny, false, false},
		{"warned never fails (strict turns it failed before)", Warned, &newMust, FailOnNew, false, false},
		{"waived never fails", Waived, &newMust, FailOnAny, false, false},
		{"skipped never fails", Skipped, nil, FailOnNew, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.fails, FailsGate(tt.verdict, tt.class, tt.failOn, tt.strict))
		})
	}
}

func TestParseFailOn(t *testing.T) {
	tests := []struct {
		in   string
		want FailOn
		err  bool
	}{
		{"", FailOnAny, false}, {"any", FailOnAny, false}, {"new", FailOnNew, false},
		{"New", "", true}, {"inherited", "", true}, {"all", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFailOn(tt.in)
			if tt.err {
				assert.ErrorContains(t, err, "want new or any")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSummarizeClasses(t *testing.T) {
	cases := []Classification{
		Classify([]Finding{must("status", "400", "500")}, judged(must("status", "400", "500"))),                              // inherited
		Classify([]Finding{must("status", "400", "500")}, judged()),                                                          // new
		Classify([]Finding{must("status", "400", "422"), should("message", "t", "n")}, judged(must("status", "400", "500"))), // new, fixed finding
		Classify(nil, judged(must("status", "400", "500"))),                                                                  // fixed
		Classify([]Finding{must("status", "400", "500")}, BaselineCase{}),                                                    // new, not compared
		Classify(nil, judged()), // none
	}
	s := SummarizeClasses(cases, false)
	assert.Equal(t, map[Class]int{New: 3, Inherited: 1, Fixed: 1}, s.Cases)
	assert.Equal(t, ClassCounts{New: 4, Inherited: 1, Fixed: 2, FailingNew: 3, FailingInherited: 1, FailingFixed: 2}, s.Findings)
	assert.Equal(t, 1, s.NotCompared)
	assert.Equal(t, []Class{New, Inherited, Fixed}, Classes())
}

// The two runs in small: a mutant against the reference as
// baseline (its findings are new, and fail a --fail-on new gate), and the
// mutant as its own baseline (all inherited: the gate passes); cases and
// explored variants are paired by ID.
func TestClassifyAll(t *testing.T) {
	typeFinding := must("type", `"authentication_error"`, `"invalid_request_error"`)
	mutant := []CaseFindings{
		{ID: "auth/unknown-key/chat", Verdict: Failed, Findings: []Finding{typeFinding}},
		{ID: "auth/missing-header/chat", Verdict: Failed, Findings: []Finding{typeFinding}},
		{ID: "request/missing-model", Verdict: Passed},
		{ID: "explore: chat temperature=-1", Verdict: Failed, Findings: []Finding{must("status", "400", `200 {"id":"chatcmpl-9a8B7c6D5e4F"}`)}},
		{ID: "only/in-the-target", Verdict: Failed, Findings: []Finding{must("status", "404", "500")}},
	}
	reference := []CaseFindings{
		{ID: "auth/unknown-key/chat", Verdict: Passed},
		{ID: "auth/missing-header/chat", Verdict: Passed},
		{ID: "request/missing-model", Verdict: Passed},
		{ID: "explore: chat temperature=-1", Verdict: Failed, Findings: []Finding{must("status", "400", `200 {"id":"chatcmpl-Q1w2E3r4T5y6"}`)}},
		{ID: "only/in-the-baseline", Verdict: Failed, Findings: []Finding{must("status", "404", "500")}},
	}
	gateFails := func(cases []CaseFindings, classes map[string]Classification, failOn FailOn) []string {
		var failing []string
		for _, c := range cases {
			class := classes[c.ID]
			if FailsGate(c.Verdict, &class, failOn, false) {
				failing = append(failing, c.ID)
			}
		}
		return failing
	}
	tests := []struct {
		name          string
		target, base  []CaseFindings
		caseClasses   map[string]Class
		failingOnNew  []string
		failingOnAny  []string
		summaryByCase map[Class]int
	}{
		{"the mutant against the reference", mutant, reference,
			map[string]Class{"auth/unknown-key/chat": New, "auth/missing-header/chat": New, "request/missing-model": "",
				"explore: chat temperature=-1": Inherited, "only/in-the-target": New},
			[]string{"auth/unknown-key/chat", "auth/missing-header/chat", "only/in-the-target"},
			[]string{"auth/unknown-key/chat", "auth/missing-header/chat", "explore: chat temperature=-1", "only/in-the-target"},
			map[Class]int{New: 3, Inherited: 1}},
		{"the mutant as its own baseline", mutant, mutant,
			map[string]Class{"auth/unknown-key/chat": Inherited, "auth/missing-header/chat": Inherited, "request/missing-model": "",
				"explore: chat temperature=-1": Inherited, "only/in-the-target": Inherited},
			nil,
			[]string{"auth/unknown-key/chat", "auth/missing-header/chat", "explore: chat temperature=-1", "only/in-the-target"},
			map[Class]int{Inherited: 4}},
		{"the reference against the mutant", reference, mutant,
			map[string]Class{"auth/unknown-key/chat": Fixed, "auth/missing-header/chat": Fixed, "request/missing-model": "",
				"explore: chat temperature=-1": Inherited, "only/in-the-baseline": New},
			[]string{"only/in-the-baseline"},
			[]string{"explore: chat temperature=-1", "only/in-the-baseline"},
			map[Class]int{Fixed: 2, Inherited: 1, New: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			classes := ClassifyAll(tt.target, tt.base)
			got := map[string]Class{}
			var all []Classification
			for id, c := range classes {
				got[id] = c.CaseClass(false)
				all = append(all, c)
			}
			assert.Equal(t, tt.caseClasses, got)
			assert.Equal(t, tt.failingOnNew, gateFails(tt.target, classes, FailOnNew))
			assert.Equal(t, tt.failingOnAny, gateFails(tt.target, classes, FailOnAny))
			assert.Equal(t, tt.summaryByCase, SummarizeClasses(all, false).Cases)
		})
	}
}
