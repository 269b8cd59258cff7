package reports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
)

// One gateway bug that fails many cases on many endpoints is one cause;
// different bugs are different causes, the largest first.
func TestGroupFailuresByCause(t *testing.T) {
	var cases []CaseReport
	for i, path := range []string{"/v1/models", "/v1/chat/completions", "/v1/files/file-abc123def", "/v1/files/file-abc123def/content"} {
		for j := range 15 {
			cases = append(cases, CaseReport{ID: fmt.Sprintf("auth/v%d/e%d", j, i), Verdict: check.Failed,
				Findings: []check.Finding{
					{Rule: "type", Severity: check.Must, Expected: `"authentication_error"`, Actual: `"invalid_request_error"`,
						Message: `expected "authentication_error", got "invalid_request_error"`},
					{Rule: "no-internal-leak", Severity: check.Should, Actual: path},
				},
				Response: &ResponseReport{Status: 401, BodyExcerpt: `{"error":{"message":"No key for ` + path + `","type":"invalid_request_error"}}`}})
		}
	}
	cases = append(cases,
		CaseReport{ID: "upstream/unreachable-model", Verdict: check.Failed, Findings: []check.Finding{
			{Rule: "status", Severity: check.Must, Expected: "502", Actual: "500", Message: "expected 502, got 500"}},
			Response: &ResponseReport{Status: 500, BodyExcerpt: `{"status":"failure"}`}},
		CaseReport{ID: "ratelimit/burst", Verdict: check.Warned, Findings: []check.Finding{{Rule: "retry-after", Severity: check.Should}}},
		CaseReport{ID: "route/unknown-route", Verdict: check.Passed},
		CaseReport{ID: "files/x", Verdict: check.Errored, Reason: "not completed: the run's --deadline passed"},
		CaseReport{ID: "files/y", Verdict: check.Errored, Reason: "not completed: the run's --deadline passed"},
	)
	groups := GroupFailures(cases)
	require.Len(t, groups, 3)
	assert.Equal(t, 60, groups[0].Count)
	assert.Equal(t, "type", groups[0].Rule)
	assert.Equal(t, "auth/v0/e0", groups[0].Example)
	assert.Contains(t, groups[0].Evidence, "HTTP 401")
	assert.Equal(t, 2, groups[1].Count)
	assert.Equal(t, "errored", groups[1].Verdict)
	assert.Equal(t, 1, groups[2].Count)
	assert.Equal(t, "status", groups[2].Rule)
	assert.Equal(t, []string{"upstream/unreachable-model"}, groups[2].Cases)
}

func TestNormalizeObserved(t *testing.T) {
	tests := map[string]string{
		`"Unknown route GET /v1/files/file-abc123/content"`: `"Unknown route GET /v1/…"`,
		`request req_8a7sd6f5a4 took 1234ms`:                `request req-… took …ms`,
		"500":                                               "500",
		`"dial tcp 127.0.0.1:45678"`:                        `"dial tcp 127.0.0.1:N"`,
	}
	for in, want := range tests {
		assert.Equal(t, want, normalizeObserved(in), in)
	}
	long := normalizeObserved(strings.Repeat("é", 200))
	assert.True(t, strings.HasSuffix(long, "…"))
}

// The Markdown summary lists every cause, however many cases fail.
func TestMarkdownListsEveryCause(t *testing.T) {
	var cases []CaseReport
	for i := range 40 {
		cases = append(cases, CaseReport{ID: fmt.Sprintf("g/c%02d", i), Verdict: check.Failed,
			Findings: []check.Finding{{Rule: "code", Severity: check.Must, Expected: fmt.Sprintf(`"code_%c"`, 'a'+i%26), Actual: "absent"}}})
	}
	var b strings.Builder
	rep := JSONReport{Cases: cases, Summary: Summarize(nil)}
	require.NoError(t, RenderMarkdown(&b, rep, nil))
	assert.Contains(t, b.String(), "40 failing cases, 26 causes")
	assert.Equal(t, 26, strings.Count(b.String(), "| `g/c"))
}

// exploreCase is a failed explore variant answered with status, its
// headline finding the given one.
func exploreCase(id, field, constraint string, expect, status int, f check.Finding) CaseReport {
	return CaseReport{ID: id, Group: "explore", Verdict: check.Failed,
		Labels:   []string{"explore", "field:" + field, "constraint:" + constraint},
		Expect:   check.Expectation{Status: expect},
		Findings: []check.Finding{f},
		Response: &ResponseReport{Status: status, BodyExcerpt: `{"id":"chatcmpl-1"}`}}
}

// Explore failures group by what the target did, whatever the field and
// constraint; the headline lists the fields and their constraints.
func TestGroupFailuresGroupsExploreByFieldAndConstraint(t *testing.T) {
	accepted := check.Finding{Rule: "status", Severity: check.Must, Expected: "400", Actual: "200", Message: "expected 400, got 200: accepted invalid input"}
	crashed := check.Finding{Rule: "status", Severity: check.Must, Expected: "400", Actual: "500", Message: "expected 400, got 500"}
	refused := check.Finding{Rule: "status", Severity: check.Must, Expected: "200", Actual: "400", Message: "expected 200, got 400: refused valid input"}
	param := func(field, got string) check.Finding {
		return check.Finding{Rule: "param", Severity: check.Must, Expected: `"` + field + `"`, Actual: got, Pointer: "/error/param"}
	}
	tests := []struct {
		name  string
		cases []CaseReport
		// want: each group's headline and count, largest first.
		want []Group
	}{
		{
			name: "accepted invalid input on several fields, stream twins and all",
			cases: []CaseReport{
				exploreCase("explore/chat/temperature/above-maximum", "temperature", "above-maximum", 400, 200, accepted),
				exploreCase("explore/chat/temperature/above-maximum/stream", "temperature", "above-maximum", 400, 200, accepted),
				exploreCase("explore/chat/temperature/wrong-type", "temperature", "wrong-type", 400, 200, accepted),
				exploreCase("explore/chat/top_p/below-minimum", "top_p", "below-minimum", 400, 200, accepted),
				exploreCase("explore/chat/messages.0:user.content/wrong-type", "messages", "wrong-type", 400, 200, accepted),
			},
			want: []Group{{Rule: "status", Expected: "400", Observed: AcceptedInvalid, Count: 5,
				Headline: "accepted invalid input on 3 fields: messages (wrong-type), temperature (above-maximum, wrong-type), top_p (below-minimum)"}},
		},
		{
			name: "each class its own group",
			cases: []CaseReport{
				exploreCase("explore/chat/n/above-maximum", "n", "above-maximum", 400, 200, accepted),
				exploreCase("explore/chat/tools.0.function/wrong-type", "tools", "wrong-type", 400, 500, crashed),
				exploreCase("explore/chat/tools.0.type/null", "tools", "null", 400, 502, crashed),
				exploreCase("explore/chat/temperature/valid-maximum", "temperature", "valid", 200, 400, refused),
			},
			want: []Group{
				{Rule: "status", Expected: "400", Observed: CrashOnBad, Count: 2, Headline: "crash on bad input on 1 field: tools (null, wrong-type)"},
				{Rule: "status", Expected: "200", Observed: RefusedValid, Count: 1, Headline: "refused valid input on 1 field: temperature (valid-maximum)"},
				{Rule: "status", Expected: "400", Observed: AcceptedInvalid, Count: 1, Headline: "accepted invalid input on 1 field: n (above-maximum)"},
			},
		},
		{
			name: "a param naming another field is one cause, whichever field each expects",
			cases: []CaseReport{
				exploreCase("explore/chat/temperature/wrong-type", "temperature", "wrong-type", 400, 400, param("temperature", `"body"`)),
				exploreCase("explore/chat/top_p/wrong-type", "top_p", "wrong-type", 400, 400, param("top_p", `"body"`)),
				exploreCase("explore/chat/seed/wrong-type", "seed", "wrong-type", 400, 400, param("seed", "null")),
			},
			want: []Group{
				{Rule: "param", Expected: "the field (or a path inside it)", Observed: "another name", Count: 2,
					Headline: "param: expected the field (or a path inside it), got another name on 2 fields: temperature (wrong-type), top_p (wrong-type)"},
				{Rule: "param", Expected: "the field (or a path inside it)", Observed: "null", Count: 1,
					Headline: "param: expected the field (or a path inside it), got null on 1 field: seed (wrong-type)"},
			},
		},
		{
			name: "fields and constraints from the ID when the labels are missing",
			cases: []CaseReport{{ID: "explore/chat/stop/too-long/stream", Verdict: check.Failed, Expect: check.Expectation{Status: 400},
				Findings: []check.Finding{accepted}, Response: &ResponseReport{Status: 200}}},
			want: []Group{{Rule: "status", Expected: "400", Observed: AcceptedInvalid, Count: 1, Headline: "accepted invalid input on 1 field: stop (too-long)"}},
		},
		{
			name: "explore and catalogue failures never share a group",
			cases: []CaseReport{
				exploreCase("explore/chat/n/above-maximum", "n", "above-maximum", 400, 200, accepted),
				{ID: "request/invalid-value", Verdict: check.Failed, Findings: []check.Finding{accepted}, Response: &ResponseReport{Status: 200}},
			},
			want: []Group{
				{Rule: "status", Expected: "400", Observed: AcceptedInvalid, Count: 1, Headline: "accepted invalid input on 1 field: n (above-maximum)"},
				{Rule: "status", Expected: "400", Observed: "200", Count: 1, Headline: "status: expected 400, got 200: accepted invalid input"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := GroupFailures(tt.cases)
			require.Len(t, groups, len(tt.want))
			for i, want := range tt.want {
				got := groups[i]
				assert.Equal(t, want.Rule, got.Rule, "group %d", i)
				assert.Equal(t, want.Expected, got.Expected, "group %d", i)
				assert.Equal(t, want.Observed, got.Observed, "group %d", i)
				assert.Equal(t, want.Count, got.Count, "group %d", i)
				assert.Len(t, got.Cases, want.Count, "group %d", i)
				assert.Equal(t, want.Headline, got.Headline, "group %d", i)
				assert.Contains(t, got.Cases, got.Example)
			}
		})
	}
}

// A gateway that validates nothing: hundreds of variants on many fields
// are one group of bounded headline, fields named until the bound, then
// counted.
func TestExploreGroupHeadlineIsBounded(t *testing.T) {
	accepted := check.Finding{Rule: "status", Severity: check.Must, Expected: "400", Actual: "200"}
	var cases []CaseReport
	for f := range 20 {
		field := fmt.Sprintf("field_%02d_with_a_long_name", f)
		for _, constraint := range []string{"wrong-type", "above-maximum", "below-minimum", "not-in-enum", "null"} {
			for _, suffix := range []string{"", "/stream"} {
				cases = append(cases, exploreCase("explore/chat/"+field+"/"+constraint+suffix, field, constraint, 400, 200, accepted))
			}
		}
	}
	groups := GroupFailures(cases)
	require.Len(t, groups, 1)
	g := groups[0]
	assert.Equal(t, 200, g.Count)
	assert.LessOrEqual(t, len(g.Headline), GroupHeadlineBytes)
	assert.True(t, strings.HasPrefix(g.Headline, "accepted invalid input on 20 fields: field_00_with_a_long_name (above-maximum, below-minimum, not-in-enum, null, wrong-type)"), g.Headline)
	assert.Regexp(t, `… and \d+ more$`, g.Headline)
}

// The Markdown summary and the HTML report show an explore group as any
// other: one row, one cause.
func TestMarkdownAndHTMLShowExploreGroups(t *testing.T) {
	accepted := check.Finding{Rule: "status", Severity: check.Must, Expected: "400", Actual: "200"}
	var cases []CaseReport
	for _, field := range []string{"temperature", "top_p", "n"} {
		cases = append(cases, exploreCase("explore/chat/"+field+"/wrong-type", field, "wrong-type", 400, 200, accepted))
	}
	var b strings.Builder
	require.NoError(t, RenderMarkdown(&b, JSONReport{Cases: cases, Summary: Summarize(nil)}, nil))
	assert.Contains(t, b.String(), "3 failing cases, 1 cause")
	assert.Contains(t, b.String(), `| 3 | accepted invalid input on 3 fields: n \(wrong-type\), temperature \(wrong-type\), top_p \(wrong-type\) |`)
	var h strings.Builder
	require.NoError(t, RenderHTML(&h, JSONReport{Cases: cases, Summary: Summarize(nil)}, nil))
	assert.Equal(t, 1, strings.Count(h.String(), "accepted invalid input on 3 fields: n (wrong-type), temperature (wrong-type), top_p (wrong-type)"))
}

// A cause over many bodies is one group: the json, shape and message rules
// quote each body, but the group is the kind of problem they name.
func TestGroupsFollowTheCauseNotTheBody(t *testing.T) {
	var cases []CaseReport
	for i := range 6 {
		cases = append(cases,
			CaseReport{ID: fmt.Sprintf("a/json%d", i), Verdict: check.Failed, Findings: []check.Finding{{Rule: "json", Severity: check.Must,
				Expected: "one JSON document", Actual: fmt.Sprintf("%q", fmt.Sprintf("Unauthorized request %d from gateway node %c", i, 'a'+i)),
				Message: "the body is plain text, not JSON"}}},
			CaseReport{ID: fmt.Sprintf("a/syntax%d", i), Verdict: check.Failed, Findings: []check.Finding{{Rule: "json", Severity: check.Must,
				Expected: "one JSON document", Actual: fmt.Sprintf(`"{\"error\":%d,"`, i),
				Message: fmt.Sprintf("the body is not JSON: unexpected end of JSON input (at byte %d)", 10+i)}}},
			CaseReport{ID: fmt.Sprintf("a/shape%d", i), Verdict: check.Failed, Findings: []check.Finding{{Rule: "shape", Severity: check.Must,
				Expected: `{"error":{"message","type","param","code"}}`, Actual: fmt.Sprintf(`"{\"error\":{\"message\":\"no %d\"}}"`, i),
				Message: "the body does not match the contract's ErrorResponse schema: missing property 'type' at /error"}}},
		)
	}
	groups := GroupFailures(cases)
	require.Len(t, groups, 3, "%+v", groups)
	for _, g := range groups {
		assert.Equal(t, 6, g.Count, g.Signature)
	}
}
