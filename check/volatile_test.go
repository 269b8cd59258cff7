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
		{"rfc3339", `at 2026-12-07T19:51:03Z`, `at 2026-12-08T01:02:03.123+01:00`},
		{"http date", `Date: Mon, 07 Dec 2026 19:51:03 GMT`, `Date: Tue, 08 Dec 2026 01:02:03 GMT`},
		{"duration", `no answer within 1.25s`, `no answer within 980ms`},
		{"rate-limit counter", `x-ratelimit-remaining-requests: 57`, `x-ratelimit-remaining-requests: 12`},
		{"retry-after", `Retry-After: 20`, `Retry-After: 3`},
		{"json rate-limit counter", `"x-ratelimit-reset-tokens":"6ms"`, `"x-ratelimit-reset-tokens":"1s"`},
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
