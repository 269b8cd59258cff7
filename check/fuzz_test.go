package check_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/wire"
)

// fuzzCredential is the key every fuzzed exchange claims to have sent, so
// that the no-secret-echo rule runs too. (Findings may quote it: check is
// pure, and suites.Execute redacts findings before they leave.)
const fuzzCredential = "sk-fuzz-credential-0000000000"

var fuzzContract = sync.OnceValues(spec.Load)

// fuzzStatus maps any int onto the statuses a wire.Response can hold: Go's
// HTTP client only returns three-digit codes from 100 to 999.
func fuzzStatus(n int) int {
	if n >= 100 && n <= 999 {
		return n
	}
	if n < 0 {
		n = -(n + 1) // never negative, even for math.MinInt
	}
	return 100 + n%900
}

// FuzzEvaluate feeds arbitrary responses and expectations to every rule:
// Evaluate never panics, every finding names a known rule with that rule's
// severity and a message a person can read, and Judge agrees with the
// severities. The seed corpus is in testdata/fuzz/FuzzEvaluate.
func FuzzEvaluate(f *testing.F) {
	contract, err := fuzzContract()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(401, "application/json",
		[]byte(`{"error":{"message":"Invalid API key provided.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`),
		401, "invalid_api_key", "", false)
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte, expectStatus int, code, param string, stream bool) {
		status = fuzzStatus(status)
		header := http.Header{}
		if contentType != "" {
			header.Set("Content-Type", contentType)
		}
		if status == http.StatusTooManyRequests && len(contentType)%2 == 1 {
			header.Set("Retry-After", contentType) // exercise retry-after with arbitrary text too
		}
		ex := wire.Exchange{
			Request:  wire.Request{Method: http.MethodGet, Path: "/models", Credential: fuzzCredential},
			URL:      "http://127.0.0.1:9/v1/models",
			Response: &wire.Response{Status: status, Header: header, Body: body},
			Duration: time.Duration(len(body)) * time.Millisecond,
		}
		expect := check.Expectation{Status: expectStatus, Code: code, Param: param, Stream: stream, GatewayTimeout: 300 * time.Millisecond, GatewaySlack: 250 * time.Millisecond}

		findings := check.Evaluate(ex, expect, contract)

		var must, should int
		for _, fd := range findings {
			rule, known := check.RuleByID(fd.Rule)
			if !known {
				t.Errorf("finding names an unknown rule %q: %+v", fd.Rule, fd)
				continue
			}
			if fd.Severity != check.Must && fd.Severity != check.Should {
				t.Errorf("finding %s has severity %q, neither MUST nor SHOULD", fd.Rule, fd.Severity)
			}
			if fd.Severity != rule.Severity {
				t.Errorf("finding %s has severity %s but the rule is %s", fd.Rule, fd.Severity, rule.Severity)
			}
			if strings.TrimSpace(fd.Message) == "" {
				t.Errorf("finding %s has no message: %+v", fd.Rule, fd)
			}
			switch fd.Severity {
			case check.Must:
				must++
			case check.Should:
				should++
			}
		}

		verdict := check.Judge(findings, false)
		if (verdict == check.Failed) != (must > 0) {
			t.Errorf("Judge = %s with %d MUST findings: %+v", verdict, must, findings)
		}
		switch {
		case must == 0 && should > 0 && verdict != check.Warned:
			t.Errorf("Judge = %s with only SHOULD findings", verdict)
		case len(findings) == 0 && verdict != check.Passed:
			t.Errorf("Judge = %s without findings", verdict)
		}
		if strict := check.Judge(findings, true); (strict == check.Failed) != (len(findings) > 0) {
			t.Errorf("strict Judge = %s with %d findings", strict, len(findings))
		}

		// Nothing passes unless the body is one JSON object.
		if len(findings) == 0 && !strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
			t.Errorf("a body that is not a JSON object passed: %q", body)
		}
	})
}
