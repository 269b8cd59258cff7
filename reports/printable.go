package reports

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Printable makes target-controlled text safe to print on one line of a
// terminal or a CI log: every byte or character that could move the
// cursor, start an escape sequence, end the line or reorder the text is
// shown as a visible escape instead of being sent raw.
//
//   - C0 controls (U+0000–U+001F, newline and tab included) and DEL:
//     \n, \r, \t, else \xNN (ESC is \x1b);
//   - C1 controls (U+0080–U+009F): \u0085 and so on;
//   - bidirectional overrides and isolates (U+202A–U+202E,
//     U+2066–U+2069) and marks (U+200E, U+200F, U+061C): \u202e and so on;
//   - bytes that are not valid UTF-8: \xNN.
//
// Everything else, backslashes included, is left as it is: a JSON body's
// own escapes (\" and \n inside a string) stay readable, so a literal
// "\x1b" in the text looks the same as an escaped ESC. That is harmless:
// neither reaches the terminal as a control.
func Printable(s string) string { return printable(s, false) }

// PrintableLines is Printable for text of many lines: newlines and tabs
// are kept as they are, everything else Printable escapes is escaped. It
// is what the terminal's writers apply to every line errconform prints,
// so that no name from a file or answer from a target printed anywhere
// (a request schema's field, a contract's reason) reaches the terminal
// raw.
func PrintableLines(s string) string { return printable(s, true) }

func printable(s string, lines bool) string {
	escape := needsEscape
	if lines {
		escape = func(r rune) bool { return r != '\n' && r != '\t' && needsEscape(r) }
	}
	i := strings.IndexFunc(s, escape)
	if i < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case lines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether Printable escapes r.
func needsEscape(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
