package redact_test

import (
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
