// Reading what a target sent: bounds on what a finding quotes, decoding a
// body (one JSON value, or why not) and describing values for findings.

package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/errconform/errconform/redact"
)

// Bounds on what a finding quotes: every value a target sent is cut to
// QuoteBound bytes, a whole finding's message to MessageBound.
const (
	QuoteBound   = 200
	MessageBound = 3 * QuoteBound
)

// bounded scrubs a finding's texts of secrets, then cuts them to their
// bounds on a rune boundary: scrubbing first, so that a cut cannot leave
// half a secret that no longer matches.
func bounded(f Finding, scrub func(string) string) Finding {
	for _, field := range []struct {
		text  *string
		bound int
	}{{&f.Expected, QuoteBound}, {&f.Actual, QuoteBound}, {&f.Message, MessageBound}, {&f.Pointer, QuoteBound}} {
		if scrub != nil {
			*field.text = scrub(*field.text)
		}
		*field.text = Cut(*field.text, field.bound)
	}
	return f
}

// Cut returns s, or its first bound bytes (on a rune boundary) marked as
// cut with the size of the whole.
func Cut(s string, bound int) string {
	if len(s) <= bound {
		return s
	}
	return fmt.Sprintf("%s… (cut: %d bytes in all)", s[:runeCut(s, bound)], len(s))
}

// runeCut is the largest rune boundary at or below bound.
func runeCut(s string, bound int) int {
	at := min(bound, len(s))
	for at > 0 && at < len(s) && !utf8.RuneStart(s[at]) {
		at--
	}
	return at
}

// Bounds on the JSON errconform decodes: an error body is a few values
// deep and a few dozen long; one of more is reported, not decoded, so that
// a hostile body costs bounded work and memory.
const (
	MaxJSONValues = 10_000
	MaxJSONDepth  = 64
)

// jsonTooLarge scans the body's structure without decoding it and says why
// it is too large to decode, or "".
func jsonTooLarge(body []byte) string {
	values, depth, inString, escaped := 1, 0, false, false
	for _, b := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
			values++
			if depth > MaxJSONDepth {
				return fmt.Sprintf("the body nests JSON deeper than %d levels (a depth no error needs); errconform does not decode it", MaxJSONDepth)
			}
		case b == '}' || b == ']':
			depth--
		case b == ',':
			values++
		}
		if values > MaxJSONValues {
			return fmt.Sprintf("the body holds more than %d JSON values (far more than an error needs); errconform does not decode it", MaxJSONValues)
		}
	}
	return ""
}

// validOne says why the body is not one JSON document, or "", building no
// tree.
func validOne(body []byte) string {
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return "the body is empty"
	case !utf8.Valid(body):
		return "the body is not valid UTF-8"
	case !json.Valid(body):
		return "the body is not one JSON document"
	}
	return ""
}

// decodeOne decodes exactly one JSON document; it returns why not, or "".
func decodeOne(body []byte, into *any) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "the body is empty"
	}
	if !utf8.Valid(body) {
		return "the body is not valid UTF-8"
	}
	if problem := jsonTooLarge(body); problem != "" {
		return problem
	}
	if bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		return "the body begins with a UTF-8 byte-order mark (EF BB BF), which JSON does not allow before the document"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var first any
	err := dec.Decode(&first)
	if what := notJSONText(body); what != "" && (err != nil || !isContainer(first)) {
		return what
	}
	if err != nil {
		return "the body is not JSON: " + describeJSONError(err)
	}
	*into = first
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		return "the body holds more than one JSON document (trailing data after the first)"
	}
	return ""
}

// isContainer: a decoded JSON object or array.
func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// notJSONText names a body that is not JSON at all (it is not a valid JSON
// document and does not begin like an object or array): HTML, or plain
// text such as Go's "404 page not found"; "" otherwise. The json rule's
// finding quotes the body itself (scrubbed, then cut).
func notJSONText(body []byte) string {
	trimmed := bytes.TrimSpace(body)
	if json.Valid(trimmed) || len(trimmed) == 0 || trimmed[0] == '{' || trimmed[0] == '[' {
		return ""
	}
	if trimmed[0] == '<' {
		return "the body is HTML or XML, not JSON"
	}
	return "the body is plain text, not JSON"
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	if e, ok := err.(*json.SyntaxError); ok {
		syntax = e
		return fmt.Sprintf("%s (at byte %d)", syntax.Error(), syntax.Offset)
	}
	return err.Error()
}

// excerpt quotes at most n bytes of a body for a finding, scrubbing it
// first: a secret cut in half by the excerpt would escape redaction later.
func (in *input) excerpt(b []byte, n int) string {
	if len(b) > n+redact.Margin {
		b = b[:n+redact.Margin] // what lies beyond is never quoted
	}
	text := string(b)
	if in.expect.Scrub != nil {
		text = in.expect.Scrub(text)
	}
	if len(text) > n {
		return fmt.Sprintf("%q…", text[:n])
	}
	return fmt.Sprintf("%q", text)
}

// field returns error.<name> and whether it is present.
func (in *input) field(name string) (any, bool) {
	if in.errorObject == nil {
		return nil, false
	}
	v, ok := in.errorObject[name]
	return v, ok
}

func describe(v any, present bool) string {
	if !present {
		return "absent"
	}
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return quoteBounded(x)
	case json.Number:
		return "the number " + Cut(x.String(), QuoteBound)
	default:
		b, _ := json.Marshal(x)
		return fmt.Sprintf("%T %s", x, Cut(string(b), QuoteBound))
	}
}
