package check_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
)

func builtin(t *testing.T, name string) *spec.Contract {
	t.Helper()
	c, err := spec.Builtin(name)
	require.NoError(t, err)
	return c
}

// The rules read the contract: OpenRouter's has no type and no param, its
// code is the status number, and it declares no OpenAI compatibility.
func TestRulesUnderEachContract(t *testing.T) {
	ids := func(rules []check.Rule) map[string]check.Severity {
		out := map[string]check.Severity{}
		for _, r := range rules {
			out[r.ID] = r.Severity
		}
		return out
	}
	aiand, openrouter := ids(check.RulesUnder(builtin(t, "aiand"))), ids(check.RulesUnder(builtin(t, "openrouter")))
	for _, id := range []string{"type", "code", "code-status", "param", "sdk", "retry-after"} {
		assert.Contains(t, aiand, id)
		assert.NotContains(t, openrouter, id, "%s does not apply under openrouter", id)
	}
	assert.NotContains(t, aiand, "equals-status")
	assert.Contains(t, openrouter, "equals-status")
	assert.Equal(t, check.Should, aiand["retry-after"])
	for _, id := range []string{"status", "shape", "message", "json", "content-type", "no-secret-echo", "no-stream", "timeout", "single-member", "no-internal-leak"} {
		assert.Contains(t, aiand, id)
		assert.Contains(t, openrouter, id)
	}
}

func TestEvaluateUnderOpenRouter(t *testing.T) {
	contract := builtin(t, "openrouter")
	const good401 = `{"error":{"code":401,"message":"No auth credentials found."}}`
	expect401 := check.Expectation{Status: 401}
	upstream := check.Expectation{Status: 502, MidStream: true}
	streamed := check.Expectation{Status: 502, MidStream: true, Stream: true}
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
		expect check.Expectation
		rules  []string
	}{
		{"conforming 401", 401, "application/json", good401, expect401, nil},
		{"metadata allowed", 401, "application/json", `{"error":{"code":401,"message":"No auth credentials found.","metadata":{"provider_name":"x"}}}`, expect401, nil},
		{"code as a string", 401, "application/json", `{"error":{"code":"401","message":"No auth credentials found."}}`, expect401, []string{"shape", "equals-status"}},
		{"code of another status", 401, "application/json", `{"error":{"code":400,"message":"No auth credentials found."}}`, expect401, []string{"equals-status"}},
		{"OpenAI's shape", 401, "application/json", `{"error":{"message":"Invalid key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`, expect401, []string{"shape", "equals-status"}},
		{"no code", 401, "application/json", `{"error":{"message":"No auth credentials found."}}`, expect401, []string{"shape", "equals-status"}},
		{"wrong status", 403, "application/json", `{"error":{"code":403,"message":"Flagged."}}`, expect401, []string{"status"}},
		{"upstream error as its status", 502, "application/json", `{"error":{"code":502,"message":"The model is down."}}`, upstream, nil},
		{"upstream error in a 200 body", 200, "application/json", `{"error":{"code":502,"message":"The model is down."}}`, upstream, nil},
		{"upstream error in a 200 event", 200, "text/event-stream", "data: {\"id\":\"x\",\"choices\":[]}\n\ndata: {\"error\":{\"code\":502,\"message\":\"The model is down.\"}}\n\ndata: [DONE]\n\n", streamed, nil},
		{"a 200 event with a bad error", 200, "text/event-stream", "data: {\"error\":{\"code\":\"502\",\"message\":\"The model is down.\"}}\n\n", streamed, []string{"shape", "equals-status"}},
		{"a 200 without an error", 200, "application/json", `{"id":"x","choices":[]}`, upstream, []string{"status"}}, // one cause, one finding,
		{"code as 401.0", 401, "application/json", `{"error":{"code":401.0,"message":"No auth credentials found."}}`, expect401, nil},
		{"an error after 70 chunks of content", 200, "text/event-stream", strings.Repeat("data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n", 70) +
			"data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"error\":{\"code\":502,\"message\":\"The provider went away.\"}}\n\n", streamed, nil},
		{"a 200 event stream without an error", 200, "text/event-stream", "data: {\"id\":\"x\"}\n\ndata: [DONE]\n\n", streamed, []string{"status"}}, // one cause, one finding,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := check.Evaluate(exchange(tt.status, tt.ct, tt.body), tt.expect, contract)
			assert.ElementsMatch(t, tt.rules, rulesOf(findings), "%v", findings)
		})
	}
}

// Without mid_stream, a 200 carrying the error is a status failure, as it
// always was.
func TestMidStreamOnlyWhereTheContractSaysSo(t *testing.T) {
	contract := builtin(t, "openrouter")
	body := `{"error":{"code":502,"message":"The model is down."}}`
	findings := check.Evaluate(exchange(200, "application/json", body), check.Expectation{Status: 502}, contract)
	assert.Contains(t, rulesOf(findings), "status")
}

func TestVerdictDecisions(t *testing.T) {
	required := func(key string) bool { return key == "slow_model" }
	tests := []struct {
		name    string
		pre     check.Preconditions
		verdict check.Verdict
		skip    check.SkipReason
		reason  string
	}{
		{"not in the contract", check.Preconditions{NotInContract: "no 404", MissingFixtures: []string{"model"}}, check.Skipped, check.NotInContract, "not in this contract: no 404"},
		{"fixture missing", check.Preconditions{MissingFixtures: []string{"model"}, Required: required}, check.Skipped, check.FixtureMissing, "fixtures.model"},
		{"fixture required", check.Preconditions{MissingFixtures: []string{"slow_model"}, Required: required}, check.Failed, "", "required (--require)"},
		{"not applicable", check.Preconditions{Inapplicable: "api-key header"}, check.Skipped, check.NotApplicable, "api-key header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, decided := check.Before(tt.pre)
			require.True(t, decided)
			assert.Equal(t, tt.verdict, d.Verdict)
			assert.Equal(t, tt.skip, d.Skip)
			assert.Contains(t, d.Reason, tt.reason)
		})
	}
	_, decided := check.Before(check.Preconditions{})
	assert.False(t, decided, "nothing stops a case that is in the contract, has its fixtures and applies")
}

func TestVerdictTableNamesEveryVerdictAndSkipReason(t *testing.T) {
	names := map[string]bool{}
	for _, m := range check.VerdictTable() {
		names[m.Name] = true
		assert.NotEmpty(t, m.Meaning, m.Name)
	}
	for _, v := range []check.Verdict{check.Passed, check.Failed, check.Warned, check.Skipped, check.Errored, check.Waived} {
		assert.True(t, names[string(v)], v)
	}
	for _, r := range []check.SkipReason{check.NotInContract, check.FixtureMissing, check.NotApplicable, check.NotRun} {
		assert.True(t, names["skipped: "+string(r)], r)
	}
}
