package reports

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/errconform/errconform/check"
)

// Markdown is not an injection channel: entities a target sends stay text,
// a cut never splits a character, a cell stays one cell, control
// characters show as escapes, and no link, image or autolink renders.
func TestMarkdownCellsAreInert(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"entity", "key &#115;&#107;-abc", "key &amp;#115;&amp;#107;-abc"},
		{"named entity", "a &lt;b&gt;", "a &amp;lt;b&amp;gt;"},
		{"pipe and tags", "a|b <img src=x>", `a\|b &lt;img src=x&gt;`},
		{"control bytes", "PASS\r\n\x1b[2Jfake\u2028", `PASS\r\n\x1b\[2Jfake\u2028`},
		{"backquote", "`code`", "'code'"},
		{"an image", "![t](http://127.0.0.1/t.png)", `\!\[t\]\(http\[:\]//127.0.0.1/t.png\)`},
		{"a link", "[x](https://evil.example)", `\[x\]\(https\[:\]//evil.example\)`},
		{"an autolink", "<https://evil.example>", `&lt;https\[:\]//evil.example&gt;`},
		{"bare URLs", "see HTTPS://a.example, www.b.example, mailto:c@d.example", `see HTTPS\[:\]//a.example, www\[.\]b.example, mailto\[:\]c@d.example`},
		{"a reference link", "[x]: http://evil.example", `\[x\]: http\[:\]//evil.example`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, mdCell(tt.in))
		})
	}
	long := strings.Repeat("é", 150) // 300 bytes: a cut at 200 bytes falls between the two bytes of a rune only if done carelessly
	cell := mdCell("x" + long)
	assert.True(t, utf8.ValidString(cell))
	assert.True(t, strings.HasSuffix(cell, "…"))
	assert.LessOrEqual(t, len(cell), mdCellBound+len("…"))
}

// A code span stays one span in one cell, printable; a code fence is
// longer than any run of backquotes in what it holds.
func TestMarkdownCodeAndFence(t *testing.T) {
	assert.Equal(t, `a'b\|c\x1b`, mdCode("a`b|c\x1b"))
	assert.Equal(t, "```", mdFence("curl x"))
	assert.Equal(t, "`````", mdFence("a ```` b ` c"))
}

// The HTML report shows a target's control characters as visible escapes,
// keeping the body's line breaks.
func TestHTMLShowsControlCharactersVisibly(t *testing.T) {
	assert.Equal(t, "title\\x1b]0;pwned\\x07\nnext\\u202eline", htmlVisible("title\x1b]0;pwned\x07\nnext\u202eline"))
	view := buildHTMLCase(CaseReport{ID: "a/b", Findings: []check.Finding{{Rule: "type", Actual: "\x1b[2J", Message: "got \x1b[2J"}},
		Response: &ResponseReport{Headers: map[string][]string{"X-Evil": {"\x1b[31mred"}}, BodyExcerpt: "{\"e\":\"\x1b[2J\"}"}})
	assert.Equal(t, `\x1b[2J`, view.Findings[0].Actual)
	assert.Equal(t, `\x1b[31mred`, view.Response.Headers[0].Value)
	assert.NotContains(t, view.Response.Body, "\x1b")
}
