package check_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/wire"
)

func withMessage(status int, typ, msg string) wire.Exchange {
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
	retryAfter := func(v string) wire.Exchange {
		ex := withMessage(429, "rate_limit_error", "Rate limit exceeded, retry later.")
		if v != "" {
			ex.Response.Header.Set("Retry-After", v)
		}
		return ex
	}
	timed := func(ex wire.Exchange, d time.Duration) wire.Exchange { ex.Duration = d; return ex }
	sse := exchange(400, "text/event-stream", "data: {\"error\":{}}\n\n")
	tests := []struct {
		name   string
		ex     wire.Exchange
		expect check.Expectation
		rule   string
		broken bool
	}{
		{"retry-after seconds", retryAfter("12"), check.Expectation{Status: 429}, "retry-after", false},
		{"retry-after date", retryAfter("Wed, 25 Nov 2026 03:00:00 GMT"), check.Expectation{Status: 429}, "retry-after", false},
		{"retry-after missing", retryAfter(""), check.Expectation{Status: 429}, "retry-after", true},
		{"retry-after words", retryAfter("soon"), check.Expectation{Status: 429}, "retry-after", true},
		{"504 in time", timed(withMessage(504, "gateway_timeout", "The model timed out."), 300*time.Millisecond), check.Expectation{Status: 504, GatewayTimeout: 200 * time.Millisecond, GatewaySlack: 250 * time.Millisecond}, "timeout", false},
		{"504 late", timed(withMessage(504, "gateway_timeout", "The model timed out."), time.Second), check.Expectation{Status: 504, GatewayTimeout: 200 * time.Millisecond, GatewaySlack: 250 * time.Millisecond}, "timeout", true},
		{"504 never", wire.Exchange{Failure: wire.FailureTimeout, Err: "no complete response", Duration: 2 * time.Second}, check.Expectation{Status: 504, GatewayTimeout: 200 * time.Millisecond, GatewaySlack: 250 * time.Millisecond}, "timeout", true},
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
		{"address in another field", exchange(500, "application/json", `{"error":{"message":"Upstream failed.","type":"internal_error","param":null,"code":null,"html-message":"connect to http://127.0.0.1:9/v1 failed"}}`), check.Expectation{Status: 500}, "no-internal-leak", true},
		{"address at the top level", exchange(502, "application/json", `{"error":{"message":"Upstream failed.","type":"bad_gateway","param":null,"code":null},"detail":["dial tcp 10.0.0.7:8080"]}`), check.Expectation{Status: 502}, "no-internal-leak", true},
		{"address in a header", headered(withMessage(502, "bad_gateway", "Upstream failed."), "X-Upstream", "10.0.0.7:8080"), check.Expectation{Status: 502}, "no-internal-leak", true},
		{"Cloudflare cookie", headered(withMessage(401, "authentication_error", "Bad key."), "Set-Cookie", "__cf_bm=abc-1700000000-1.0.1.1-xyz; path=/"), check.Expectation{Status: 401}, "no-internal-leak", false},
		{"server version", headered(withMessage(401, "authentication_error", "Bad key."), "Server", "openresty/1.21.4.1"), check.Expectation{Status: 401}, "no-internal-leak", false},
		{"CSP with localhost", headered(withMessage(401, "authentication_error", "Bad key."), "Content-Security-Policy", "connect-src http://localhost:3000"), check.Expectation{Status: 401}, "no-internal-leak", false},
		{"docs link with :443", headered(withMessage(401, "authentication_error", "Bad key."), "X-Docs", "https://docs.example.com:443/errors"), check.Expectation{Status: 401}, "no-internal-leak", false},
		{"request id of digits and dots", exchange(401, "application/json", `{"error":{"message":"Bad key.","type":"authentication_error","param":null,"code":null,"request_id":"req.10.20.30.40"}}`), check.Expectation{Status: 401}, "no-internal-leak", false},
		{"a public address", withMessage(502, "bad_gateway", "upstream 8.8.8.8 failed"), check.Expectation{Status: 502}, "no-internal-leak", false},
		{"a cluster address", withMessage(502, "bad_gateway", "upstream 100.64.3.2:9000 failed"), check.Expectation{Status: 502}, "no-internal-leak", true},
		{"docs link in another field", exchange(401, "application/json", `{"error":{"message":"Bad key.","type":"authentication_error","param":null,"code":null,"doc":"https://docs.example.com/errors"}}`), check.Expectation{Status: 401}, "no-internal-leak", false},
		{"the error alone", withMessage(401, "authentication_error", "Invalid API key."), check.Expectation{Status: 401}, "single-member", false},
		{"a provider member beside it", exchange(401, "application/json", `{"error":{"message":"Invalid API key.","type":"authentication_error","param":null,"code":null},"provider":"openai"}`), check.Expectation{Status: 401}, "single-member", true},
		{"stream control as event stream", exchange(200, "text/event-stream", "data: {}\n\n"), check.Expectation{Status: 200, Stream: true}, "content-type", false},
		{"stream control as JSON", exchange(200, "application/json", `{"id":"x"}`), check.Expectation{Status: 200, Stream: true}, "content-type", true},
		{"control refused", withMessage(500, "internal_error", "Boom."), check.Expectation{Status: 200}, "status", true},
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

func headered(ex wire.Exchange, name, value string) wire.Exchange {
	ex.Response.Header.Set(name, value)
	return ex
}

// A positive control is judged by the success rules alone: an error
// body's rules (shape, type, sdk…) say nothing about a 200.
func TestControlsRunOnlyTheSuccessRules(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	ok := exchange(200, "application/json", `{"object":"list","data":[]}`)
	assert.Empty(t, check.Evaluate(ok, check.Expectation{Status: 200}, contract))
	stream := exchange(200, "text/event-stream; charset=utf-8", "data: {\"id\":\"x\"}\n\ndata: [DONE]\n\n")
	assert.Empty(t, check.Evaluate(stream, check.Expectation{Status: 200, Stream: true}, contract))
	failed := check.Evaluate(exchange(500, "application/json", `{"status":"failure"}`), check.Expectation{Status: 200, Stream: true}, contract)
	require.NotEmpty(t, failed)
	assert.Equal(t, "status", failed[0].Rule)
	assert.Contains(t, failed[0].Message, "a valid request with the configured key and model was not served")
	for _, f := range failed {
		assert.NotContains(t, []string{"shape", "type", "sdk", "message"}, f.Rule)
	}
}

// The status finding says what a 2xx means for the case.
func TestStatusWording(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	ok := exchange(200, "application/json", `{"id":"chatcmpl-1"}`)
	tests := []struct {
		name   string
		ex     wire.Exchange
		expect check.Expectation
		want   string
	}{
		{"refusal expected", ok, check.Expectation{Status: 400}, "the target accepted a request the contract says it must refuse"},
		{"fault expected", ok, check.Expectation{Status: 500, IfAccepted: "the fault header had no effect"}, "expected 500, got 200: the fault header had no effect"},
		{"too large", withMessage(413, "invalid_request_error", "Payload too large."), check.Expectation{Status: 400}, "too large (413)"},
		{"413 with a code: explained from the code", exchange(413, "application/json",
			`{"error":{"message":"This model's maximum context length is 131072 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`),
			check.Expectation{Status: 400}, `the target answered 413 with code "context_length_exceeded", so it judged the request and refused it for that reason`},
		{"500 to an invalid request", withMessage(500, "api_error", "boom"), check.Expectation{Status: 400}, "a crash on bad input (500"},
		{"503 to an invalid request", withMessage(503, "api_error", "no available channel"), check.Expectation{Status: 400}, "unavailable (503 Service Unavailable"},
		{"504 to an invalid request", withMessage(504, "api_error", "timeout"), check.Expectation{Status: 401}, "an upstream timeout (504 Gateway Timeout)"},
		{"502 to an invalid request", withMessage(502, "api_error", "bad gateway"), check.Expectation{Status: 401}, "an upstream failure (502 Bad Gateway)"},
		{"500 to a valid request", withMessage(500, "api_error", "boom"), check.Expectation{Status: 200}, "a valid request with the configured key and model was not served"},
		{"a stream cut short", exchange(200, "text/event-stream", "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"h\"}}]}\n\n"),
			check.Expectation{Status: 502, IfAccepted: "the request for the unreachable model succeeded: its upstream was reached after all"},
			"a 200 event stream that was cut short (it ended without [DONE] and without an error event)"},
		{"a complete stream", exchange(200, "text/event-stream", "data: {\"id\":\"chatcmpl-1\"}\n\ndata: [DONE]\n\n"),
			check.Expectation{Status: 502, IfAccepted: "the request for the unreachable model succeeded: its upstream was reached after all"},
			"its upstream was reached after all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := check.Evaluate(tt.ex, tt.expect, contract)
			require.NotEmpty(t, findings)
			assert.Equal(t, "status", findings[0].Rule)
			assert.Contains(t, findings[0].Message, tt.want)
			if tt.expect.IfAccepted != "" {
				assert.NotContains(t, findings[0].Message, "must refuse")
			}
			if tt.ex.Response.Status != 500 || tt.expect.Status == 200 {
				assert.NotContains(t, findings[0].Message, "crash on bad input", "only a 500 to an invalid request is a crash on bad input")
			}
			if tt.name == "a stream cut short" {
				assert.NotContains(t, findings[0].Message, "reached after all")
			}
			if strings.Contains(tt.name, "with a code") {
				assert.NotContains(t, findings[0].Message, "before judging it")
			}
		})
	}
}

// Every answer of a burst is judged: a 500 before the 429 fails the case
// even though the last answer is a conforming 429.
func TestEveryBurstAnswerIsJudged(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	ok := exchange(200, "application/json", `{"object":"list","data":[]}`)
	limited := headered(withMessage(429, "rate_limit_error", "Rate limit reached, retry later."), "Retry-After", "3")
	failure := exchange(500, "application/json", `{"status":"failure"}`)
	expect := check.Expectation{Status: 429}
	assert.Empty(t, check.EvaluateAll([]wire.Exchange{ok, ok, limited}, expect, contract))
	findings := check.EvaluateAll([]wire.Exchange{ok, failure, ok, limited}, expect, contract)
	require.NotEmpty(t, findings)
	assert.Equal(t, "status", findings[0].Rule)
	assert.Contains(t, findings[0].Message, "answer 2 of 4")
	assert.Contains(t, findings[0].Message, "got 500")
	for _, f := range findings {
		assert.Contains(t, f.Message, "answer 2 of 4", "only the 500 is at fault")
	}
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
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
		{"upper case", `{"error":{"message":"Key ` + strings.ToUpper(key) + ` is unknown.","type":"authentication_error","code":"invalid_api_key"}}`, "", true},
		{"base64", `{"error":{"message":"Unknown key.","type":"authentication_error","code":"invalid_api_key","debug":"` + base64.StdEncoding.EncodeToString([]byte(key)) + `"}}`, "", true},
		{"reversed", `{"error":{"message":"Unknown key ` + reverse(key) + `.","type":"authentication_error","code":"invalid_api_key"}}`, "", true},
		{"last 12 characters", `{"error":{"message":"Unknown key ending ` + key[len(key)-12:] + `.","type":"authentication_error","code":"invalid_api_key"}}`, "", true},
		{"JSON escapes", `{"error":{"message":"Unknown key \u0073\u006b-test-echo-0123456789.","type":"authentication_error","code":"invalid_api_key"}}`, "", true},
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

// Whatever a target sends, a finding quotes a bounded part of it, cut on a
// rune boundary and marked as cut.
func TestFindingsQuoteBoundedValues(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	huge := strings.Repeat("é", 1<<19) // 1 MiB of two-byte runes
	tests := []struct {
		name     string
		body     string
		quotesIt bool
	}{
		{"huge type", `{"error":{"message":"Bad key.","type":"` + huge + `","param":null,"code":null}}`, true},
		{"huge code", `{"error":{"message":"Bad key.","type":"authentication_error","param":null,"code":"` + huge + `"}}`, true},
		{"huge param", `{"error":{"message":"Bad key.","type":"authentication_error","param":"` + huge + `","code":null}}`, true},
		{"huge message", `{"error":{"message":"` + huge + `","type":"authentication_error","param":null,"code":null}}`, false},
		{"huge non-JSON", huge, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := check.Evaluate(exchange(401, "application/json", tt.body), check.Expectation{Status: 401, Code: "invalid_api_key", Param: "x"}, contract)
			require.NotEmpty(t, findings)
			cutSeen := false
			for _, f := range findings {
				for _, text := range []string{f.Expected, f.Actual, f.Pointer} {
					assert.LessOrEqual(t, len(text), check.QuoteBound+64, "%s: %d bytes", f.Rule, len(text))
					assert.True(t, utf8.ValidString(text), f.Rule)
				}
				assert.LessOrEqual(t, len(f.Message), check.MessageBound+64, f.Rule)
				assert.True(t, utf8.ValidString(f.Message), f.Rule)
				cutSeen = cutSeen || strings.Contains(f.Message+f.Actual, "bytes in all")
			}
			if tt.quotesIt {
				assert.True(t, cutSeen, "a cut value says it was cut")
			}
		})
	}
}

// A body far larger in structure than any error is reported, not decoded.
func TestHugeJSONIsNotDecoded(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	tests := []struct {
		name, body, want string
	}{
		{"330k empty objects", "[" + strings.Repeat("{},", 330_000) + "{}]", "more than 10000 JSON values"},
		{"deep arrays", strings.Repeat("[", 100) + strings.Repeat("]", 100), "deeper than 64 levels"},
		{"brackets in strings do not count", `{"error":{"message":"` + strings.Repeat("[{,", 20_000) + `","type":"authentication_error","param":null,"code":null}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var jsonFindings []string
			for _, f := range check.Evaluate(exchange(401, "application/json", tt.body), check.Expectation{Status: 401}, contract) {
				if f.Rule == "json" {
					jsonFindings = append(jsonFindings, f.Message)
				}
			}
			if tt.want == "" {
				assert.Empty(t, jsonFindings)
				return
			}
			require.Len(t, jsonFindings, 1)
			assert.Contains(t, jsonFindings[0], tt.want)
		})
	}
}

// A masked echo, a JWT in an unrelated cookie, a path that shares a word
// with the key: none is the credential coming back.
func TestNoSecretEchoIgnoresWhatIsNotTheSecret(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTAwMDAwMDAsInN1YiI6ImVycmNvbmZvcm0ifQ.Zq7Lx2Vp9Rt4Wm8Kc3Nb6Hd1Fj5Gs0Ya2UeQ8xYz12"
	tests := []struct {
		name, credential, body, cookie string
		broken                         bool
	}{
		{"OpenAI-style mask", "sk-proj-Zq7Lx2Vp9Rt4Wm8Kc3Nb6Hd1Fj5G", `{"error":{"message":"Incorrect API key provided: sk-proj-****************************Fj5G.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`, "", false},
		{"classic key mask", "sk-7wJr7Qx9Zq7Lx2Vp9Rt4Wm8Kc3Nb6HdCdEf", `{"error":{"message":"Incorrect API key provided: sk-7wJr7*****************CdEf.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`, "", false},
		{"another JWT in a cookie", jwt, `{"error":{"message":"Invalid token.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`, "_vercel_jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.abcdefghijklmnopqrstuvwxyz012345; Path=/", false},
		{"the JWT echoed", jwt, `{"error":{"message":"Invalid token ` + jwt + `.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`, "", true},
		{"the key's tail echoed", "sk-proj-Zq7Lx2Vp9Rt4Wm8Kc3Nb6Hd1Fj5G", `{"error":{"message":"Unknown key ending Kc3Nb6Hd1Fj5G.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := exchange(401, "application/json", tt.body)
			ex.Request.Credential = tt.credential
			if tt.cookie != "" {
				ex.Response.Header.Set("Set-Cookie", tt.cookie)
			}
			var found []string
			for _, f := range check.Evaluate(ex, check.Expectation{Status: 401}, contract) {
				if f.Rule == "no-secret-echo" {
					found = append(found, f.Message)
				}
			}
			assert.Equal(t, tt.broken, len(found) > 0, "%v", found)
		})
	}
}

// A positive control's models list may be far larger than any error: it
// is judged only for being JSON.
func TestLargeModelsListPassesTheControl(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString(`{"object":"list","data":[`)
	for i := range 400 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"vendor/model-%d","object":"model","created":1700000000,"owned_by":"vendor","pricing":{"prompt":"0.000001","completion":"0.000002"},"architecture":{"modality":"text->text","input_modalities":["text","image"],"output_modalities":["text"]},"supported_parameters":["temperature","top_p","max_tokens","stop","seed","tools","tool_choice","response_format","stream","n","logprobs","top_logprobs","presence_penalty","frequency_penalty"]}`, i)
	}
	b.WriteString(`]}`)
	assert.Empty(t, check.Evaluate(exchange(200, "application/json", b.String()), check.Expectation{Status: 200}, contract))
}

// A long burst of failures draws a bounded number of findings.
func TestBurstFindingsAreBounded(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	failure := exchange(500, "text/html", "<html>boom</html>")
	limited := headered(withMessage(429, "rate_limit_error", "Rate limit reached, retry later."), "Retry-After", "3")
	var burst []wire.Exchange
	for range 1000 {
		burst = append(burst, failure)
	}
	findings := check.EvaluateAll(append(burst, limited), check.Expectation{Status: 429}, contract)
	require.NotEmpty(t, findings)
	assert.Less(t, len(findings), 60, "at most a few answers are judged one by one")
	last := findings[len(findings)-1]
	assert.Contains(t, last.Message, "995 more answers before the last were neither a 2xx nor judged one by one: 500 ×995")
}

// The json rule names what a body that is not one JSON document is; code
// and param say why they found no error object.
func TestBodyThatIsNotJSONIsNamed(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	tests := []struct {
		name, contentType, body, want string
	}{
		{"Go's plain-text 404", "text/plain; charset=utf-8", "404 page not found\n", "the body is plain text, not JSON"},
		{"an HTML page", "text/html", "<html><body>401 Authorization Required</body></html>", "the body is HTML or XML, not JSON"},
		{"a byte-order mark", "application/json", "\xef\xbb\xbf" + good401, "the body begins with a UTF-8 byte-order mark"},
		{"trailing data", "application/json", good401 + "garbage", "the body holds more than one JSON document (trailing data after the first)"},
		{"a bare number", "application/json", "401", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := check.Evaluate(exchange(401, tt.contentType, tt.body), check.Expectation{Status: 401, Code: "invalid_api_key"}, contract)
			var jsonMsg, codeMsg string
			for _, f := range findings {
				switch f.Rule {
				case "json":
					jsonMsg = f.Message
					if !strings.HasPrefix(tt.contentType, "application/json") {
						assert.Contains(t, f.Actual, strings.TrimSpace(tt.body)[:12], "the finding quotes the body")
					}
				case "code":
					codeMsg = f.Message
				}
			}
			if tt.want == "" {
				assert.NotContains(t, jsonMsg, "plain text")
				return
			}
			assert.Contains(t, jsonMsg, tt.want)
			assert.NotContains(t, jsonMsg, "invalid character 'ï'")
			assert.Contains(t, codeMsg, "got no error object: "+tt.want, "code says why there is no error object")
		})
	}
}

// A served invalid request is one cause: the status rule reports it, and
// no rule about the error's form restates it (a success stream is never
// called "an error").
func TestAcceptedInvalidRequestIsOneFinding(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	stream := exchange(200, "text/event-stream", "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n")
	plain := exchange(200, "application/json", `{"id":"chatcmpl-1","object":"chat.completion","choices":[]}`)
	for name, ex := range map[string]wire.Exchange{"stream": stream, "json": plain} {
		t.Run(name, func(t *testing.T) {
			findings := check.Evaluate(ex, check.Expectation{Status: 400, Code: "invalid_value", Param: "temperature", Stream: name == "stream"}, contract)
			require.Len(t, findings, 1, "%+v", findings)
			assert.Equal(t, "status", findings[0].Rule)
			assert.Contains(t, findings[0].Message, "the target accepted a request the contract says it must refuse")
			assert.NotContains(t, findings[0].Message, "an error")
		})
	}
}
