package redact_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/errconform/errconform/redact"
)

type walkInner struct {
	Text   string
	Body   []byte
	hidden string
}

type walkDoc struct {
	Title  string
	Inner  *walkInner
	Items  []walkInner
	Counts map[string]int
	Any    any
	Fixed  [2]string
	Nil    *walkInner
}

// Walk redacts every string a value holds, wherever it is held, and keeps
// the crafted credentials it is given.
func TestWalk(t *testing.T) {
	const secret = "sk-walk-Zq81mX0vPa77LkTT"
	const crafted = "sk-crafted-not-a-secret-00000000"
	tests := []struct {
		name string
		in   walkDoc
		want walkDoc
		keep []string
	}{
		{"every place a string is held",
			walkDoc{Title: "t " + secret, Inner: &walkInner{Text: secret, Body: []byte("b " + secret), hidden: "h"},
				Items: []walkInner{{Text: "x" + secret[:12]}}, Counts: map[string]int{secret: 1}, Any: "a " + secret,
				Fixed: [2]string{secret, "ok"}},
			walkDoc{Title: "t " + redact.Redacted, Inner: &walkInner{Text: redact.Redacted, Body: []byte("b " + redact.Redacted), hidden: "h"},
				Items: []walkInner{{Text: "x" + redact.Redacted}}, Counts: map[string]int{redact.Redacted: 1}, Any: "a " + redact.Redacted,
				Fixed: [2]string{redact.Redacted, "ok"}}, nil},
		{"a crafted credential is kept", walkDoc{Title: "Bearer " + crafted + " and " + secret},
			walkDoc{Title: "Bearer " + crafted + " and " + redact.Redacted}, []string{crafted}},
		{"nothing to redact", walkDoc{Title: "plain"}, walkDoc{Title: "plain"}, []string{crafted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.in
			redact.New(secret).Walk(&doc, tt.keep...)
			assert.Equal(t, tt.want, doc)
		})
	}
}

// benchCase is shaped like a report's case: a few short strings repeated
// in every case (labels, rule names, header names and values), a few long
// ones of its own (a body excerpt, a reproduction command), header maps.
type benchCase struct {
	ID, Title, Group, Verdict string
	Labels                    []string
	Findings                  []struct{ Rule, Severity, Expected, Actual, Message string }
	RequestHeaders            map[string][]string
	ResponseHeaders           map[string][]string
	Body, Reproduce           string
}

type benchPart struct {
	Name  string
	Cases []benchCase
}

// benchTargetPart is one fleet target's part: 211 cases, as the catalogue.
func benchTargetPart(i int) benchPart {
	p := benchPart{Name: fmt.Sprintf("t%03d", i)}
	for c := range 211 {
		id := fmt.Sprintf("request/case-%03d", c)
		p.Cases = append(p.Cases, benchCase{ID: id, Title: "a JSON body that is not an object", Group: "request", Verdict: "failed",
			Labels: []string{"endpoint:chat", "group:request", "no-fixture", "situation:malformed-body", "status:400"},
			Findings: []struct{ Rule, Severity, Expected, Actual, Message string }{
				{"status", "MUST", "400", "422", "expected 400, got 422"},
				{"code", "MUST", `"invalid_value"`, "null", `expected "invalid_value", got null`}},
			RequestHeaders:  map[string][]string{"Accept-Encoding": {"gzip"}, "Authorization": {"Bearer sk-errconform-test-key-0001"}, "Content-Type": {"application/json"}},
			ResponseHeaders: map[string][]string{"Content-Length": {"83"}, "Content-Type": {"application/json"}, "Date": {"Mon, 07 Dec 2026 22:47:48 GMT"}},
			Body:            fmt.Sprintf(`{"error":{"message":"bad request %d","type":"invalid_request_error","param":null,"code":null}}`, c),
			Reproduce:       fmt.Sprintf(`curl -sS -i --compressed -X POST 'http://127.0.0.1:33401/v1/chat/completions' -H "Accept-Encoding: gzip" -H "Authorization: Bearer ${ERRCONFORM_API_KEY}" -H "Content-Type: application/json" --data-binary '{"model":"m","case":%d}'`, c)})
	}
	return p
}

// BenchmarkWalkTargetPart: Walk over one fleet target's part of a report
// (a fleet of 256 targets walks 256 of them).
func BenchmarkWalkTargetPart(b *testing.B) {
	r := redact.New("sk-walk-Zq81mX0vPa77LkTT", "sk-errconform-test-key-0001")
	parts := make([]benchPart, 64)
	for i := range parts {
		parts[i] = benchTargetPart(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := parts[i%len(parts)]
		p.Cases = slices.Clone(p.Cases) // a part is walked once
		r.Walk(&p, "sk-crafted-not-a-secret-00000000")
		i++
	}
}
