package check_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/spec"
)

func withMessage(status int, typ, msg string) probe.Exchange {
	body := `{"error":{"message":` + quote(msg) + `,"type":"` + typ + `","param":null,"code":null}}`
	return exchange(status, "application/json", body)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRulesBeyondTheShape covers each rule outside the core table on the
// response that breaks it and on one that keeps it.
func TestRulesBeyondTheShape(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	retryAfter := func(v string) probe.Exchange {
		ex := withMessage(429, "rate_limit_error", "Rate limit exceeded, retry later.")
		if v != "" {
			ex.Response.Header.Set("Retry-After", v)
		}
		return ex
	}
	timed := func(ex probe.Exchange, d time.Duration) probe.Exchange { ex.Duration = d; return ex }
	sse := exchange(400, "text/event-stream", "data: {\"error\":{}}\n\n")
	tests := []struct {
		name   string
		ex     probe.Exchange
		expect check.Expectation
		rule   string
		broken bool
	}{
		{"retry-after seconds", retryAfter("12"), check.Expectation{Status: 429}, "retry-after", false},
		{"retry-after date", retryAfter("Wed, 25 Nov 2026 03:00:00 GMT"), check.Expectation{Status: 429}, "retry-after", false},
		{"retry-after missing", retryAfter(""), check.Expectation{Status: 429}, "retry-after", true},
		{"retry-after words", retryAfter("soon"), check.Expectation{Status: 429}, "retry-after", true},
		{"504 in time", timed(withMessage(504, "gateway_timeout", "The model timed out."), 300*time.Millisecond), check.Expectation{Status: 504, GatewayTimeout: 200 * time.Millisecond}, "timeout", false},
		{"504 late", timed(withMessage(504, "gateway_timeout", "The model timed out."), time.Second), check.Expectation{Status: 504, GatewayTimeout: 200 * time.Millisecond}, "timeout", true},
		{"504 never", probe.Exchange{Failure: probe.FailureTimeout, Err: "no complete response", Duration: 2 * time.Second}, check.Expectation{Status: 504, GatewayTimeout: 200 * time.Millisecond}, "timeout", true},
		{"stream error as JSON", withMessage(400, "invalid_request_error", "Bad temperature."), check.Expectation{Status: 400, Stream: true}, "no-stream", false},
		{"stream error as SSE", sse, check.Expectation{Status: 400, Stream: true}, "no-stream", true},
		{"plain message", withMessage(401, "authentication_error", "Invalid API key."), check.Expectation{Status: 401}, "no-internal-leak", false},
		{"docs link", withMessage(401, "authentication_error", "Find your key at https://platform.example.com/api-keys."), check.Expectation{Status: 401}, "no-internal-leak", false},
		{"internal host", withMessage(502, "bad_gateway", "upstream http://inference.svc.cluster.local/v1 failed"), check.Expectation{Status: 502}, "no-internal-leak", true},
		{"port", withMessage(502, "bad_gateway", "upstream https://models.example.com:8443 failed"), check.Expectation{Status: 502}, "no-internal-leak", true},
		{"ip address", withMessage(502, "bad_gateway", "dial tcp 10.1.2.3:8000: connect: connection refused"), check.Expectation{Status: 502}, "no-internal-leak", true},
		{"python traceback", withMessage(500, "internal_error", "Traceback (most recent call last):\n  File \"app.py\", line 3"), check.Expectation{Status: 500}, "no-internal-leak", true},
		{"java trace", withMessage(500, "internal_error", "java.lang.NullPointerException: x\n\tat com.acme.Gw.handle(Gw.java:42)"), check.Expectation{Status: 500}, "no-internal-leak", true},
		{"decoder text", withMessage(400, "invalid_request_error", "json: cannot unmarshal string into Go struct field"), check.Expectation{Status: 400}, "no-internal-leak", true},
		{"one readable word", withMessage(401, "authentication_error", "Unauthorized."), check.Expectation{Status: 401}, "message", false},
		{"identifier", withMessage(401, "authentication_error", "errors.auth.invalid"), check.Expectation{Status: 401}, "message", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range check.Evaluate(tt.ex, tt.expect, contract) {
				if f.Rule == tt.rule {
					got = append(got, f.Message)
				}
			}
			if tt.broken {
				assert.NotEmpty(t, got, "%s must report", tt.rule)
			} else {
				assert.Empty(t, got, "%s must not report", tt.rule)
			}
		})
	}
}

func TestNoSecretEcho(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	const key = "sk-test-echo-0123456789"
	tests := []struct {
		name   string
		body   string
		header string
		broken bool
	}{
		{"clean", `{"error":{"message":"Invalid API key.","type":"authentication_error","code":"invalid_api_key"}}`, "", false},
		{"partly masked", `{"error":{"message":"Incorrect API key provided: sk-test-***6789.","type":"authentication_error","code":"invalid_api_key"}}`, "", false},
		{"in body", `{"error":{"message":"Incorrect API key provided: ` + key + `.","type":"authentication_error","code":"invalid_api_key"}}`, "", true},
		{"in header", `{"error":{"message":"Invalid API key.","type":"authentication_error","code":"invalid_api_key"}}`, "Bearer " + key, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := exchange(401, "application/json", tt.body)
			ex.Request.Credential = key
			if tt.header != "" {
				ex.Response.Header = http.Header{"Content-Type": {"application/json"}, "X-Debug-Auth": {tt.header}}
			}
			var found []check.Finding
			for _, f := range check.Evaluate(ex, check.Expectation{Status: 401}, contract) {
				if f.Rule == "no-secret-echo" {
					found = append(found, f)
				}
			}
			assert.Equal(t, tt.broken, len(found) > 0)
			for _, f := range found {
				assert.NotContains(t, f.Message+f.Actual+f.Expected, key, "the finding withholds the value")
			}
		})
	}
}

// An excerpt is scrubbed before it is cut, so half a secret cannot escape.
func TestExcerptsAreScrubbedBeforeTheyAreCut(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	secret := "ak_live_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	body := strings.Repeat("x", 60) + secret + strings.Repeat("y", 200)
	scrub := func(s string) string { return strings.ReplaceAll(s, secret, "[REDACTED]") }
	findings := check.Evaluate(exchange(401, "text/html", body), check.Expectation{Status: 401, Scrub: scrub}, contract)
	require.NotEmpty(t, findings)
	for _, f := range findings {
		assert.NotContains(t, f.Actual+f.Message, "ak_live_ABCDEFGH", f.Rule)
	}
}
