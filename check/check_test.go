package check_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/wire"
)

func exchange(status int, contentType, body string) wire.Exchange {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return wire.Exchange{Response: &wire.Response{Status: status, Header: h, Body: []byte(body)}}
}

const good401 = `{"error":{"message":"Invalid API key provided.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`

func rulesOf(findings []check.Finding) []string {
	var ids []string
	for _, f := range findings {
		ids = append(ids, f.Rule)
	}
	return ids
}

func TestEvaluate(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	expect401 := check.Expectation{Status: 401, Code: "invalid_api_key"}
	expect400 := check.Expectation{Status: 400, Code: "invalid_value", Param: "temperature"}
	tests := []struct {
		name   string
		ex     wire.Exchange
		expect check.Expectation
		rules  []string // exactly the rules that must report
	}{
		{"conforming 401", exchange(401, "application/json", good401), expect401, nil},
		{"charset allowed", exchange(401, "application/json; charset=utf-8", good401), expect401, nil},
		{"wrong status", exchange(403, "application/json", good401), expect401, []string{"status", "type", "code-status"}},
		{"2xx with error body", exchange(200, "application/json", good401), expect401, []string{"status", "code-status", "sdk"}},
		{"text/plain", exchange(401, "text/plain", good401), expect401, []string{"content-type"}},
		{"no content type", exchange(401, "", good401), expect401, []string{"content-type"}},
		{"not json", exchange(401, "application/json", "Unauthorized"), expect401, []string{"json", "code", "sdk"}},
		{"empty body", exchange(401, "application/json", ""), expect401, []string{"json", "code", "sdk"}},
		{"trailing data", exchange(401, "application/json", good401+`{"x":1}`), expect401, []string{"json", "code"}},
		{"invalid utf-8", exchange(401, "application/json", "{\"error\":\"\xff\"}"), expect401, []string{"json", "code", "sdk"}},
		{"no envelope", exchange(401, "application/json", `{"message":"Invalid key.","type":"authentication_error","code":"invalid_api_key"}`), expect401, []string{"shape", "code", "sdk"}},
		{"error is a string", exchange(401, "application/json", `{"error":"Invalid API key"}`), expect401, []string{"shape", "code", "sdk"}},
		{"numeric code", exchange(401, "application/json", `{"error":{"message":"Invalid key.","type":"authentication_error","code":401}}`), expect401, []string{"shape", "code", "sdk"}},
		{"empty message", exchange(401, "application/json", `{"error":{"message":"","type":"authentication_error","code":"invalid_api_key"}}`), expect401, []string{"message"}},
		{"token message", exchange(401, "application/json", `{"error":{"message":"invalid_api_key","type":"authentication_error","code":"invalid_api_key"}}`), expect401, []string{"message"}},
		{"wrong type", exchange(401, "application/json", `{"error":{"message":"Invalid key.","type":"invalid_request_error","code":"invalid_api_key"}}`), expect401, []string{"type"}},
		{"wrong code", exchange(401, "application/json", `{"error":{"message":"Invalid key.","type":"authentication_error","code":"unauthorized"}}`), expect401, []string{"code"}},
		{"null code", exchange(401, "application/json", `{"error":{"message":"Invalid key.","type":"authentication_error","code":null}}`), expect401, []string{"code"}},
		{"code with foreign status", exchange(400, "application/json", `{"error":{"message":"Bad value.","type":"invalid_request_error","param":"temperature","code":"file_not_found"}}`), expect400, []string{"code", "code-status"}},
		{"param matches", exchange(400, "application/json", `{"error":{"message":"Bad value.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`), expect400, nil},
		{"param wrong", exchange(400, "application/json", `{"error":{"message":"Bad value.","type":"invalid_request_error","param":"top_p","code":"invalid_value"}}`), expect400, []string{"param"}},
		{"param null", exchange(400, "application/json", `{"error":{"message":"Bad value.","type":"invalid_request_error","param":null,"code":"invalid_value"}}`), expect400, []string{"param"}},
		{"param path inside field", exchange(400, "application/json", `{"error":{"message":"Bad role.","type":"invalid_request_error","param":"messages[0].role","code":"invalid_value"}}`),
			check.Expectation{Status: 400, Param: "messages"}, nil},
		{"param prefix is not a path", exchange(400, "application/json", `{"error":{"message":"Bad role.","type":"invalid_request_error","param":"messages_extra"}}`),
			check.Expectation{Status: 400, Param: "messages"}, []string{"param"}},
		{"no response", wire.Exchange{Failure: wire.FailureTimeout, Err: "no complete response within 1s"}, expect401, []string{"response"}},
		{"truncated", func() wire.Exchange {
			ex := exchange(401, "application/json", good401)
			ex.Response.Truncated = true
			return ex
		}(), expect401, []string{"response"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := check.Evaluate(tt.ex, tt.expect, contract)
			assert.ElementsMatch(t, tt.rules, rulesOf(findings), "findings: %v", findings)
			for _, f := range findings {
				assert.NotEmpty(t, f.Message, "every finding says something")
				_, known := check.RuleByID(f.Rule)
				assert.True(t, known, f.Rule)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	must := check.Finding{Rule: "status", Severity: check.Must}
	should := check.Finding{Rule: "retry-after", Severity: check.Should}
	tests := []struct {
		name     string
		findings []check.Finding
		strict   bool
		want     check.Verdict
	}{
		{"none", nil, false, check.Passed},
		{"must", []check.Finding{must}, false, check.Failed},
		{"should", []check.Finding{should}, false, check.Warned},
		{"should strict", []check.Finding{should}, true, check.Failed},
		{"both", []check.Finding{should, must}, false, check.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, check.Judge(tt.findings, tt.strict)) })
	}
}

func TestRulesAreUniqueAndDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range check.Rules() {
		assert.False(t, seen[r.ID], "duplicate rule %s", r.ID)
		seen[r.ID] = true
		assert.NotEmpty(t, r.Description)
		assert.Contains(t, []check.Severity{check.Must, check.Should}, r.Severity)
	}
}

// A served request the contract refuses is one cause: the status finding
// alone (beside what holds for any answer), whatever the success body
// looks like; under AcceptedShould that finding only warns.
func TestAcceptedInvalidInputIsOneFinding(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	completion := `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]}`
	stream := "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[]}\n\ndata: [DONE]\n\n"
	tests := []struct {
		name, contentType, body string
		expect                  check.Expectation
		severity                check.Severity
	}{
		{"a served completion", "application/json", completion, check.Expectation{Status: 400, Code: "invalid_value", Param: "temperature"}, check.Must},
		{"a served stream", "text/event-stream", stream, check.Expectation{Status: 400, Param: "temperature", Stream: true}, check.Must},
		{"a served field outside the core set", "application/json", completion,
			check.Expectation{Status: 400, Code: "invalid_value", Param: "logprobs", AcceptedShould: "logprobs is outside the core set"}, check.Should},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := check.Evaluate(exchange(200, tt.contentType, tt.body), tt.expect, contract)
			require.Len(t, findings, 1, "%v", findings)
			assert.Equal(t, "status", findings[0].Rule)
			assert.Equal(t, tt.severity, findings[0].Severity)
			if tt.expect.AcceptedShould != "" {
				assert.Contains(t, findings[0].Message, "a warning: logprobs is outside the core set")
			}
		})
	}
	// An error body under a 2xx is not a served request: every rule judges it.
	findings := check.Evaluate(exchange(200, "application/json", `{"error":{"message":"bad","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`),
		check.Expectation{Status: 400, Code: "invalid_value", Param: "temperature", AcceptedShould: "outside"}, contract)
	require.NotEmpty(t, findings)
	assert.Equal(t, check.Must, findings[0].Severity, "a success status carrying an error body is no field the target ignored")
}
