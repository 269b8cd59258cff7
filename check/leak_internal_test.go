package check

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A hint is a necessary condition of its pattern: wherever the pattern
// matches, the hint holds, so skipping the regexp when it fails loses
// nothing.
func TestLeakHintsHoldWherePatternsMatch(t *testing.T) {
	samples := []string{
		"upstream http://10.0.0.7:8080/v1 failed", "GRPC://svc.internal:9000", "tcp://db:5432",
		"dial tcp 10.12.3.4:8000: connect: connection refused", "[fe80::1]:8080 refused", "Dial TCP 127.0.0.1:1",
		"panic: runtime error", "goroutine 41 [running]:", "/app/internal/gateway/chat.go:212 +0x1d",
		"Traceback (most recent call last):", `File "/app/main.py", line 12, in handler`,
		"at com.example.Gateway.chat(Gateway.java:42)", "at Foo.Bar(String x) in C:\\src\\Foo.cs", "java.lang.NullPointerException: boom",
		"ValueError: invalid.literal.here", "at handler (/app/server.js:10:5)", "node:internal/process",
		"json: cannot unmarshal string into Go struct field", "invalid character 'x' looking for beginning of value",
		"unexpected end of JSON input", "JSONDecodeError: Expecting value", "Unexpected token < in JSON at position 0",
		"ECONNREFUSED 127.0.0.1:6379", "lookup upstream: no such host", "NO SUCH HOST",
		"The model 'gpt-5' does not exist.", "temperature must be between 0 and 2.", "at least 1.5 tokens",
	}
	for _, s := range samples {
		for _, variant := range []string{s, strings.ToUpper(s), strings.ToLower(s), "x " + s + " y"} {
			for _, p := range leakPatterns {
				if p.re.MatchString(variant) {
					assert.True(t, p.hint(variant, strings.ToLower(variant)), "%s matches %q but its hint fails", p.what, variant)
				}
			}
		}
	}
}
