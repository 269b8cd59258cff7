package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeVolatileMakesRequestsComparable(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"chat completion id", `200 with body {"id":"chatcmpl-9a8B7c6D5e4F","object":"chat.completion"}`, `200 with body {"id":"chatcmpl-Zz1Yy2Xx3Ww4","object":"chat.completion"}`},
		{"responses id", `{"id":"resp_67ccd2bed1ec8190b14f964abc054267"}`, `{"id":"resp_0123456789abcdef0123456789abcdef"}`},
		{"created", `{"created":1733600000,"model":"m"}`, `{"created":1733600123,"model":"m"}`},
		{"created in milliseconds", `{"created_at":1733600000000}`, `{"created_at":1733600999999}`},
		{"request id uuid", `x-request-id: 3f2b6c1e-8d4a-4b7e-9c1d-2a3b4c5d6e7f`, `x-request-id: 00000000-1111-4222-8333-444444444444`},
		{"request id hex", `request 0123456789abcdef0123 failed`, `request fedcba9876543210fedc failed`},
		{"a labelled request id in a message", `"message":"upstream failed (request id: 7f3a9c01bd)"`, `"message":"upstream failed (request id: 0b1e22aa93)"`},
		{"a request_id member", `{"request_id":"Ab12cd34ef","error":{}}`, `{"request_id":"Zz98yx76wv","error":{}}`},
		{"a trace id header", `X-Trace-Id: 1-5f84c7a1-0e7e6c2a`, `X-Trace-Id: 1-5f84c7b2-9a1b2c3d`},
		{"request id minted another way", `x-request-id: 3f2b6c1e-8d4a-4b7e-9c1d-2a3b4c5d6e7f`, `x-request-id: 0123456789abcdef0123456789abcdef`},
		{"rfc3339", `at 2026-12-07T19:51:03Z`, `at 2026-12-08T01:02:03.123+01:00`},
		{"http date", `Date: Mon, 07 Dec 2026 19:51:03 GMT`, `Date: Tue, 08 Dec 2026 01:02:03 GMT`},
		{"duration", `no answer within 1.25s`, `no answer within 980ms`},
		{"rate-limit counter", `x-ratelimit-remaining-requests: 57`, `x-ratelimit-remaining-requests: 12`},
		{"retry-after", `Retry-After: 20`, `Retry-After: 3`},
		{"json rate-limit counter", `"x-ratelimit-reset-tokens":"6ms"`, `"x-ratelimit-reset-tokens":"1s"`},
		{"rate-limit reset in minutes", `x-ratelimit-reset-requests: 6m0s`, `x-ratelimit-reset-requests: 1m30.5s`},
		{"the timeout rule's observed time", `6.2s`, `1m2.5s`},
		{"the timeout rule's observed time in hours", `1h0m3s`, `912ms`},
		{"took", `the 504 took 6.2s, longer than the gateway timeout 4s plus 1s slack`, `the 504 took 7.913s, longer than the gateway timeout 4s plus 1s slack`},
		{"after the request timeout", `no answer after the 10s request timeout`, `no answer after the 30s request timeout`},
		{"try again in", `"message":"Rate limit reached, please try again in 20s"`, `"message":"Rate limit reached, please try again in 1.5s"`},
		{"slack", `within 5s (gateway timeout 4s + 1s slack)`, `within 6s (gateway timeout 4s + 2s slack)`},
		{"a latency member", `{"latency":"12ms","object":"error"}`, `{"latency":"0.4s","object":"error"}`},
		{"a processing time header", `x-processing-time: 12ms`, `x-processing-time: 1.2s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, NormalizeVolatile(tt.a), NormalizeVolatile(tt.b))
		})
	}
}

func TestNormalizeVolatileKeepsWhatConformanceIsAbout(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"status", "expected 400, got 500", "expected 400, got 422"},
		{"type", `"type":"invalid_request_error"`, `"type":"server_error"`},
		{"code", `"code":"context_length_exceeded"`, `"code":"invalid_value"`},
		{"param", `"param":"messages"`, `"param":"model"`},
		{"content type", "text/html", "application/json"},
		{"a number that is no time", `max_tokens is 4097, above its maximum 4096`, `max_tokens is 2049, above its maximum 2048`},
		{"an error code name with an id-like prefix", `"code":"request_too_large"`, `"code":"request_timeout"`},
		// A number with s or ms attached that is no time: only a text about
		// time makes it a duration.
		{"status classes in a message", `"message":"retry the 500s, not the 400s"`, `"message":"retry the 400s, not the 500s"`},
		{"a model name", `"model":"tiny-2s"`, `"model":"tiny-7s"`},
		{"a count in a message", `"message":"n is 12s above its maximum"`, `"message":"n is 3s above its maximum"`},
		{"an observed status quoting a body", `200 with body {"choices":[{"text":"4s"}]}`, `200 with body {"choices":[{"text":"9s"}]}`},
		{"a parameter value", `"param":"stop[10ms]"`, `"param":"stop[20ms]"`},
		{"a word after an id label is no id", `"request_id":"missing_header"`, `"request_id":"malformed_value"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotEqual(t, NormalizeVolatile(tt.a), NormalizeVolatile(tt.b))
		})
	}
}

func TestObservationKey(t *testing.T) {
	a := []Finding{
		{Rule: "status", Expected: "400", Actual: "200", Message: "accepted"},
		{Rule: "shape", Expected: "an error object", Actual: `{"id":"chatcmpl-AAAAAAAAAAAA"}`},
	}
	b := []Finding{
		{Rule: "shape", Expected: "an error object", Actual: `{"id":"chatcmpl-BBBBBBBBBBBB"}`},
		{Rule: "status", Expected: "400", Actual: "200", Message: "worded differently"},
	}
	assert.Equal(t, ObservationKey(a), ObservationKey(b), "order, messages and ids do not matter")
	c := []Finding{{Rule: "status", Expected: "400", Actual: "500"}}
	assert.NotEqual(t, ObservationKey(a[:1]), ObservationKey(c), "the observed status does")
}

// FuzzNormalizeVolatile: normalising is idempotent: a normalised text is
// its own key, so a key compared again (a merged report's, a baseline
// read from a report) compares the same.
func FuzzNormalizeVolatile(f *testing.F) {
	for _, seed := range []string{
		`200 with body {"id":"chatcmpl-9a8B7c6D5e4F","created":1733600000}`,
		`x-request-id: 3f2b6c1e-8d4a-4b7e-9c1d-2a3b4c5d6e7f`, `request id: req_7f3a9c01bd`,
		`the 504 took 1m2.5s, longer than the gateway timeout 4s plus 1s slack`, `x-ratelimit-reset-requests: 6m0s`,
		`"message":"retry the 500s, not the 400s"`, `at 2026-12-07T19:51:03Z`, `Retry-After: 20`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := NormalizeVolatile(s)
		if twice := NormalizeVolatile(once); twice != once {
			t.Fatalf("not idempotent:\n%q\n%q\n%q", s, once, twice)
		}
	})
}
