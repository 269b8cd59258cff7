package reports_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/errconform/errconform/reports"
)

func TestPrintable(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text unchanged", `{"error":{"message":"Invalid key."}}`, `{"error":{"message":"Invalid key."}}`},
		{"JSON escapes unchanged", `"a\"b\\n"`, `"a\"b\\n"`},
		{"non-ASCII text unchanged", "clé invalide, ключ, 鍵 \uFFFD", "clé invalide, ключ, 鍵 \uFFFD"},
		{"terminal title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"clear screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"fake PASS line", "oops\n  PASS  auth/missing-header/chat", `oops\n  PASS  auth/missing-header/chat`},
		{"carriage return overwrite", "FAIL\r  PASS", `FAIL\r  PASS`},
		{"backspace", "FAIL\b\b\b\bPASS", `FAIL\x08\x08\x08\x08PASS`},
		{"tab", "a\tb", `a\tb`},
		{"NUL and DEL", "a\x00b\x7fc", `a\x00b\x7fc`},
		{"C1 CSI and NEL", "a\u009b2Jb\u0085c", `a\u009b2Jb\u0085c`},
		{"bidi override", "evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`},
		{"bidi embeddings and marks", "\u202a\u202b\u202c\u202d\u200e\u200f\u061c", `\u202a\u202b\u202c\u202d\u200e\u200f\u061c`},
		{"invalid UTF-8 bytes", "a\xffb\x9bc", `a\xffb\x9bc`},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reports.Printable(tt.in)
			assert.Equal(t, tt.want, got)
			assert.True(t, utf8.ValidString(got))
			assert.NotContains(t, got, "\x1b")
			assert.NotContains(t, got, "\n")
			assert.Equal(t, got, reports.Printable(got), "escaping is stable")
		})
	}
}

// Every rune that could move the cursor or reorder text comes out as
// printable ASCII escapes.
func TestPrintableEscapesEveryControl(t *testing.T) {
	var controls []rune
	for r := rune(0); r < 0x20; r++ {
		controls = append(controls, r)
	}
	for r := rune(0x7f); r <= 0x9f; r++ {
		controls = append(controls, r)
	}
	controls = append(controls, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069)
	for _, r := range controls {
		got := reports.Printable("x" + string(r) + "y")
		assert.True(t, strings.HasPrefix(got, `x\`) && strings.HasSuffix(got, "y"), "%U -> %q", r, got)
		for _, c := range got {
			assert.True(t, c >= 0x20 && c < 0x7f, "%U -> %q", r, got)
		}
	}
}
