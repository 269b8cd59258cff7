// The rules: one check function per rule id, each reading the decoded
// input and returning its findings.

package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/errconform/errconform/wire"
)

func mismatch(expected, actual, pointer string) Finding {
	return Finding{Expected: expected, Actual: actual, Pointer: pointer,
		Message: fmt.Sprintf("expected %s, got %s", expected, actual)}
}

func checkResponse(in *input) []Finding {
	switch {
	case in.resp == nil:
		return []Finding{{Expected: "an HTTP response", Actual: string(in.ex.Failure), Message: in.ex.Err}}
	case in.ex.Failure != wire.FailureNone:
		return []Finding{{Expected: "a complete response body", Actual: string(in.ex.Failure), Message: in.ex.Err}}
	case in.resp.Truncated:
		what := "an error body"
		if in.expect.success() {
			what = "a response body"
		}
		return []Finding{{Expected: what + " within the read bound", Actual: "a larger body",
			Message: fmt.Sprintf("the body exceeds the %d-byte read bound; the rest was discarded", len(in.resp.Body))}}
	}
	return nil
}

// checkStatus finds a status other than the expected one and says what
// the observed status means for this case.
//
// Complexity: a flat decision list, one case per way a status can be
// wrong, in priority order (the first that holds words the finding);
// split apart, the order would be spread over several functions.
func checkStatus(in *input) []Finding {
	if in.resp == nil || in.resp.Status == in.expect.Status || in.midStream {
		return nil
	}
	f := mismatch(fmt.Sprintf("%d", in.expect.Status), fmt.Sprintf("%d", in.resp.Status), "")
	switch s := in.resp.Status; {
	case s == http.StatusOK && !in.expect.success() && in.errorObject == nil && streamCutShort(in.resp):
		f.Message += ": a 200 event stream that was cut short (it ended without [DONE] and without an error event), where the contract asks for the error"
	case s == http.StatusOK && in.expect.MidStream && !in.expect.success():
		f.Expected = fmt.Sprintf("%d, or a 200 carrying the error", in.expect.Status)
		f.Message = fmt.Sprintf("expected %d, or a 200 whose body or event carries the error (the contract lets it arrive mid-stream), got a 200 without an error", in.expect.Status)
	case s >= 200 && s < 300 && in.errorObject != nil:
		f.Message += ": a success status carrying an error body"
	case s >= 200 && s < 300 && in.expect.IfAccepted != "":
		f.Message += ": " + in.expect.IfAccepted
	case s >= 200 && s < 300:
		f.Message += ": the target accepted a request the contract says it must refuse"
	case s == http.StatusRequestEntityTooLarge && errorCode(in) != "":
		// The code says why, not the status: a 413 with
		// context_length_exceeded judged the prompt against the window.
		f.Message += fmt.Sprintf(": the target answered 413 with code %q, so it judged the request and refused it for that reason, under the status of a body-size refusal; the contract answers this case with %d",
			errorCode(in), in.expect.Status)
	case s == http.StatusRequestEntityTooLarge:
		f.Message += ": the target refused the request body as too large (413) before judging it; the contract answers this case with " +
			fmt.Sprintf("%d", in.expect.Status)
	case s >= 300 && s < 400:
		f.Message += fmt.Sprintf(": a redirect (Location %q), which errconform does not follow", in.resp.Header.Get("Location"))
	case in.expect.success() && in.expect.ValidInput != "" && s >= 500:
		f.Message += ": a server error on valid input: " + in.expect.ValidInput
	case in.expect.success() && in.expect.ValidInput != "":
		f.Message += ": refused valid input: " + in.expect.ValidInput
	case in.expect.success():
		f.Message += ": a valid request with the configured key and model was not served"
	case s >= 500 && in.expect.Status < 500:
		f.Message += ": " + serverErrorOnInvalid(s)
	}
	if failure := responsesFailure(in.resp.Body); failure != "" && in.resp.Status == http.StatusOK && !in.expect.success() {
		f.Message += "; the stream reported the failure in " + failure
	}
	if in.expect.Note != "" {
		f.Message += " (" + in.expect.Note + ")"
	}
	return []Finding{f}
}

// streamCutShort reports whether a response is an event stream that
// ended without its [DONE] terminator (and was read whole): the stream
// was cut short, which says nothing of how far the request got.
func streamCutShort(resp *wire.Response) bool {
	mediaType, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	if !strings.EqualFold(strings.TrimSpace(mediaType), "text/event-stream") || resp.Truncated {
		return false
	}
	return !bytes.Contains(resp.Body, []byte("[DONE]")) && !bytes.Contains(resp.Body, []byte(`"error"`))
}

// noErrorObject says why there is no error object to read a member of:
// the body is not one JSON document (and why), or it has none.
func noErrorObject(in *input) string {
	if in.jsonProblem != "" {
		return "no error object: " + in.jsonProblem
	}
	return "no error object"
}

// errorCode is the error object's code when it is a non-empty string.
func errorCode(in *input) string {
	code, _ := in.errorObject["code"].(string)
	return code
}

// serverErrorOnInvalid says what a 5xx answer to a request the contract
// says must be refused (with a 4xx) observed: only a 500 is the target
// crashing on the bad input; a 502, 503 or 504 says an upstream or the
// capacity failed before the request was judged at all.
func serverErrorOnInvalid(status int) string {
	switch status {
	case http.StatusInternalServerError:
		return "a crash on bad input (500: the target failed instead of refusing the request)"
	case http.StatusBadGateway:
		return "an upstream failure (502 Bad Gateway): the target passed the request on and its upstream failed, instead of refusing it itself"
	case http.StatusServiceUnavailable:
		return "unavailable (503 Service Unavailable: no capacity or no upstream channel for the request), so the request was never judged; the contract asks for a refusal"
	case http.StatusGatewayTimeout:
		return "an upstream timeout (504 Gateway Timeout): the target passed the request on and gave up waiting, instead of refusing it itself"
	}
	return fmt.Sprintf("a server error (%d %s) instead of refusing the request", status, http.StatusText(status))
}

func checkContentType(in *input) []Finding {
	if in.resp == nil {
		return nil
	}
	ct := in.resp.Header.Get("Content-Type")
	if in.expect.success() && in.expect.Stream {
		return checkEventStream(in)
	}
	if in.midStream {
		// A 200 carrying the error: in its JSON body or in an event.
		mediaType, _, _ := strings.Cut(ct, ";")
		if m := strings.ToLower(strings.TrimSpace(mediaType)); m == "application/json" || m == "text/event-stream" {
			return nil
		}
		return []Finding{mismatch("application/json or text/event-stream", fmt.Sprintf("%q", ct), "")}
	}
	if ct == "" {
		return []Finding{{Expected: "application/json", Actual: "no Content-Type",
			Message: "expected Content-Type application/json, got no Content-Type header"}}
	}
	mediaType, _, _ := strings.Cut(ct, ";")
	if strings.EqualFold(strings.TrimSpace(mediaType), "application/json") {
		return nil
	}
	return []Finding{mismatch("application/json", fmt.Sprintf("%q", ct), "")}
}

func checkJSON(in *input) []Finding {
	if in.resp == nil || in.jsonProblem == "" || (in.expect.success() && in.expect.Stream) || in.midStream {
		return nil
	}
	return []Finding{{Expected: "one JSON document", Actual: in.excerpt(in.resp.Body, 80), Message: in.jsonProblem}}
}

func checkShape(in *input) []Finding {
	if in.resp == nil || in.jsonProblem != "" || in.documentRaw == nil {
		return nil
	}
	// kin-openapi validates values as encoding/json decodes them plainly.
	var plain any
	if err := json.Unmarshal(in.documentRaw, &plain); err != nil {
		return nil
	}
	if err := in.contract.ValidateError(plain); err != nil {
		what := "the body"
		if in.midStream {
			what = "the error the 200 carries"
		}
		return []Finding{{Expected: fmt.Sprintf(`{"error":{%s}}`, quotedFields(in.contract.ErrorFields)), Actual: in.excerpt(in.documentRaw, 120),
			Message: what + " does not match the contract's ErrorResponse schema: " + describeSchemaError(err)}}
	}
	return nil
}

// quotedFields lists error members as the shape rule shows them.
func quotedFields(fields []string) string {
	quoted := make([]string, len(fields))
	for i, f := range fields {
		quoted[i] = fmt.Sprintf("%q", f)
	}
	return strings.Join(quoted, ",")
}

// describeSchemaError lists kin-openapi's violations as "at POINTER: reason",
// without the schema dump its Error() appends.
func describeSchemaError(err error) string {
	var parts []string
	var visit func(error)
	visit = func(e error) {
		var multi openapi3.MultiError
		if errors.As(e, &multi) {
			for _, inner := range multi {
				visit(inner)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			pointer := "/" + strings.Join(se.JSONPointer(), "/")
			parts = append(parts, fmt.Sprintf("at %s: %s", pointer, se.Reason))
			return
		}
		parts = append(parts, oneLine(e.Error()))
	}
	visit(err)
	return strings.Join(parts, "; ")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

func checkMessage(in *input) []Finding {
	if in.errorObject == nil {
		return nil
	}
	v, present := in.field("message")
	msg, isString := v.(string)
	switch {
	case !isString:
		return []Finding{{Expected: "a non-empty string", Actual: describe(v, present), Pointer: "/error/message",
			Message: "expected a human-readable message, got " + describe(v, present)}}
	case strings.TrimSpace(msg) == "":
		return []Finding{{Expected: "a non-empty string", Actual: `""`, Pointer: "/error/message", Message: "the message is empty"}}
	case !isHumanText(msg, in.errorObject):
		return []Finding{{Expected: "a sentence a person can read", Actual: fmt.Sprintf("%q", msg), Pointer: "/error/message",
			Message: fmt.Sprintf("the message %q is not human-readable text (a bare token or number)", msg)}}
	}
	return nil
}

// isHumanText rejects messages a person cannot read: no letters at all, a
// copy of the type or code, or a bare identifier such as "invalid_api_key".
func isHumanText(msg string, errorObject map[string]any) bool {
	msg = strings.TrimSpace(msg)
	if !strings.ContainsFunc(msg, unicode.IsLetter) {
		return false
	}
	for _, k := range []string{"type", "code"} {
		if other, ok := errorObject[k].(string); ok && strings.EqualFold(other, msg) {
			return false
		}
	}
	word := strings.TrimRight(msg, ".!?")
	return !identifierLike.MatchString(word)
}

// identifierLike is a machine token: one word with an underscore or an
// inner dot, colon or slash ("invalid_api_key", "errors.auth.invalid").
// "Unauthorized." is a word a person reads.
var identifierLike = regexp.MustCompile(`^[A-Za-z0-9-]*([_.:/][A-Za-z0-9-]*)+$`)

func checkType(in *input) []Finding {
	if in.resp == nil || in.errorObject == nil {
		return nil
	}
	want, known := in.contract.TypeFor(in.status())
	if !known {
		return nil // the status rule reports a status outside the contract
	}
	v, present := in.field("type")
	if got, ok := v.(string); ok && got == want {
		return nil
	}
	f := mismatch(fmt.Sprintf("%q", want), describe(v, present), "/error/type")
	f.Message += fmt.Sprintf(" (the contract's type for status %d)", in.status())
	return []Finding{f}
}

func checkCode(in *input) []Finding {
	if in.expect.Code == "" || in.resp == nil {
		return nil
	}
	v, present := in.field("code")
	if got, ok := v.(string); ok && got == in.expect.Code {
		return nil
	}
	if in.errorObject == nil {
		return []Finding{{Expected: fmt.Sprintf("%q", in.expect.Code), Actual: "no error object", Pointer: "/error/code",
			Message: fmt.Sprintf("expected error.code %q, got %s", in.expect.Code, noErrorObject(in))}}
	}
	return []Finding{mismatch(fmt.Sprintf("%q", in.expect.Code), describe(v, present), "/error/code")}
}

func checkCodeStatus(in *input) []Finding {
	if in.resp == nil {
		return nil
	}
	v, _ := in.field("code")
	code, ok := v.(string)
	if !ok {
		return nil
	}
	want, listed := in.contract.StatusForCode(code)
	if !listed || want == in.status() {
		return nil
	}
	return []Finding{{Expected: fmt.Sprintf("status %d for code %q", want, code), Actual: fmt.Sprintf("status %d", in.status()),
		Pointer: "/error/code", Message: fmt.Sprintf("code %q belongs to status %d in the contract, but came with %d", code, want, in.status())}}
}

// checkEqualsStatus: each member the contract declares equal to the status
// is that number (OpenRouter's error.code).
func checkEqualsStatus(in *input) []Finding {
	if in.resp == nil || in.errorObject == nil {
		return nil
	}
	var findings []Finding
	for _, name := range in.contract.EqualsStatus {
		v, present := in.field(name)
		if n, ok := v.(json.Number); ok && sameNumber(n, in.status()) {
			continue
		}
		f := mismatch(fmt.Sprintf("the number %d", in.status()), describe(v, present), "/error/"+name)
		f.Message += fmt.Sprintf(" (the contract's error.%s is the HTTP status as a number)", name)
		findings = append(findings, f)
	}
	return findings
}

// sameNumber reports whether a JSON number is the integer n: 401 and 401.0
// are the same JSON value.
func sameNumber(num json.Number, n int) bool {
	r, ok := new(big.Rat).SetString(num.String())
	return ok && r.Cmp(new(big.Rat).SetInt64(int64(n))) == 0
}

func checkParam(in *input) []Finding {
	if in.expect.Param == "" || in.resp == nil {
		return nil
	}
	v, present := in.field("param")
	if got, ok := v.(string); ok && namesField(got, in.expect.Param) {
		return nil
	}
	if in.errorObject == nil {
		return []Finding{{Expected: fmt.Sprintf("%q", in.expect.Param), Actual: "no error object", Pointer: "/error/param",
			Message: fmt.Sprintf("expected error.param %q, got %s", in.expect.Param, noErrorObject(in))}}
	}
	return []Finding{mismatch(fmt.Sprintf("%q", in.expect.Param), describe(v, present), "/error/param")}
}

// namesField accepts the field itself or a path inside it: for "messages",
// "messages[0].role" and "messages.0.role" name the offending field too.
func namesField(got, field string) bool {
	return got == field || strings.HasPrefix(got, field+"[") || strings.HasPrefix(got, field+".")
}
