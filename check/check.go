// Package check owns the verdict logic: pure functions from a recorded
// Exchange, the case's Expectation and the Contract to Findings, one rule at
// a time. It performs no I/O and knows nothing of Ginkgo; the sdk rule feeds
// the recorded response to the official SDK through an in-memory transport.
package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/wire"
)

// Severity says whether a finding fails a case (MUST) or warns (SHOULD).
type Severity string

// Severities.
const (
	Must   Severity = "MUST"
	Should Severity = "SHOULD"
)

// Finding is one broken rule.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Expected string   `json:"expected,omitempty"`
	Actual   string   `json:"actual,omitempty"`
	Pointer  string   `json:"pointer,omitempty"`
	Message  string   `json:"message"`
}

// String renders a finding in one line: "type: expected X, got Y (pointer)".
func (f Finding) String() string {
	s := f.Rule + ": " + f.Message
	if f.Pointer != "" {
		s += " at " + f.Pointer
	}
	return s
}

// Expectation is what must come back for a case: the status and code its
// situation has under the contract, the field it breaks, and how it was
// sent. It is the one expectation type: the catalogue fills it from the
// contract, the rules read it.
type Expectation struct {
	Status int `json:"status"`
	// Code, when set, is the error.code the case requires.
	Code string `json:"code,omitempty"`
	// Param, when set, is the error.param the case requires: the field the
	// request breaks, where the contract's errors name one.
	Param string `json:"param,omitempty"`
	// Stream is true when the request asked for stream: true.
	Stream bool `json:"stream,omitempty"`
	// MidStream accepts a 200 whose body or server-sent event carries the
	// error, where the contract lets an error arrive after the model
	// started.
	MidStream bool `json:"mid_stream,omitempty"`
	// GatewayTimeout bounds how long the contract's timeout status may take,
	// plus GatewaySlack (the config's TimeoutSlackFor the timeout).
	GatewayTimeout time.Duration `json:"-"`
	GatewaySlack   time.Duration `json:"-"`
	// Note explains the circumstances, e.g. "after 6 requests".
	Note string `json:"-"`
	// IfAccepted says what a success answer means where the request was
	// valid and the target should have failed it ("the fault header had no
	// effect"); empty for requests the contract refuses.
	IfAccepted string `json:"-"`
	// AcceptedShould, when set, says why serving the (invalid) request is
	// no proof of accepting invalid input: the target may ignore a field
	// it does not implement. A 2xx is then a SHOULD finding (a warning).
	AcceptedShould string `json:"-"`
	// ValidInput, set on a valid request that must succeed, says what
	// makes it valid ("temperature is 2"): a 4xx reads as "refused valid
	// input: …", a 5xx as "a server error on valid input: …".
	ValidInput string `json:"-"`
	// Scrub, when set, redacts secrets from body text before a finding
	// quotes an excerpt of it.
	Scrub func(string) string `json:"-"`
	// Detectors, when set, hands out the detector of a credential's
	// secret part for the no-secret-echo rule, built once per run.
	Detectors *redact.Cache `json:"-"`
}

// Rule is one thing checked on a response.
type Rule struct {
	ID          string
	Severity    Severity
	Description string
	check       func(in *input) []Finding
	// onSuccess marks the rules that also judge a positive control (an
	// expected 2xx); the others are about error bodies.
	onSuccess bool
	// appliesTo, when set, says whether the rule applies under a contract
	// (the type rule only where errors have a type, …).
	appliesTo func(c *spec.Contract) bool
}

// AppliesTo reports whether the rule judges responses under the contract.
func (r Rule) AppliesTo(c *spec.Contract) bool {
	return (r.appliesTo == nil || r.appliesTo(c)) && r.SeverityUnder(c) != ""
}

// SeverityUnder is the rule's severity under a contract: the contract sets
// the Retry-After rule's (MUST, SHOULD or off, which is ""); the others
// keep their own.
func (r Rule) SeverityUnder(c *spec.Contract) Severity {
	if r.ID != "retry-after" || c == nil {
		return r.Severity
	}
	switch c.Rules.RetryAfter {
	case spec.SeverityMust:
		return Must
	case spec.SeverityOff:
		return ""
	}
	return Should
}

// input is an exchange with its body decoded once for all rules.
type input struct {
	ex       wire.Exchange
	resp     *wire.Response
	expect   Expectation
	contract *spec.Contract

	jsonProblem string         // why the body is not one JSON document; "" when it is
	document    any            // the decoded body (or the event carrying a mid-stream error)
	documentRaw []byte         // the JSON text document was decoded from
	errorObject map[string]any // document["error"] when it is an object
	// midStream is set when the contract accepts a 200 carrying the error
	// and this 200 does: the rules judge the error it carries as if it had
	// come with the expected status.
	midStream bool
}

// status is the status the error is judged under: the response's, or the
// expected one for an error carried mid-stream in a 200.
func (in *input) status() int {
	if in.midStream {
		return in.expect.Status
	}
	return in.resp.Status
}

// Rules returns every rule in the order they are reported.
func Rules() []Rule {
	return []Rule{
		{"response", Must, "the target answered with a complete HTTP response within the request timeout and the body bound", checkResponse, true, nil},
		{"status", Must, "HTTP status equals the status the contract gives the case's situation", checkStatus, true, nil},
		{"content-type", Must, "Content-Type is application/json (parameters such as charset allowed); a successful stream is text/event-stream", checkContentType, true, nil},
		{"json", Must, "body is one valid UTF-8 JSON document, nothing after it", checkJSON, true, nil},
		{"shape", Must, "body validates against the contract's ErrorResponse schema", checkShape, false, nil},
		{"message", Must, "error.message is a non-empty human-readable string", checkMessage, false, nil},
		{"type", Must, "error.type equals the contract's type for the response status (contracts whose errors have a type)", checkType, false,
			func(c *spec.Contract) bool { return c.HasTypes() }},
		{"code", Must, "error.code equals the code the contract gives the case's situation, where it gives one", checkCode, false,
			func(c *spec.Contract) bool { return c.HasField("code") && !c.CodeIsStatus() }},
		{"code-status", Must, "a code from the contract's table comes only with its own status", checkCodeStatus, false,
			func(c *spec.Contract) bool { return len(c.Codes) > 0 }},
		{"equals-status", Must, "the error members the contract declares equal to the status (equals_status) carry the HTTP status as a number", checkEqualsStatus, false,
			func(c *spec.Contract) bool { return len(c.EqualsStatus) > 0 }},
		{"param", Must, "error.param names the offending field (or a path inside it), where the case names one (contracts whose errors have a param)", checkParam, false,
			func(c *spec.Contract) bool { return c.HasField("param") }},
		{"retry-after", Should, "a 429 carries Retry-After, in seconds or as an HTTP date (the contract sets the severity: MUST, SHOULD or off)", checkRetryAfter, false, nil},
		{"no-secret-echo", Must, "the credential the request sent never appears in the response body or headers, whole, in part or encoded", checkNoSecretEcho, true, nil},
		{"sdk", Must, "the official Go SDK (openai-go) parses the response into its typed error with the same status, type, code, param and message (contracts that declare OpenAI compatibility)", checkSDK, false,
			func(c *spec.Contract) bool { return c.OpenAICompatible }},
		{"timeout", Must, "the contract's timeout status arrives within the configured gateway timeout plus slack (contracts with a timeout status)", checkTimeout, false,
			func(c *spec.Contract) bool { return c.Rules.TimeoutStatus != 0 }},
		{"no-stream", Must, "an error to a stream: true request is JSON, not an event stream (unless the contract lets the error arrive mid-stream in a 200)", checkNoStream, false, nil},
		{"no-internal-leak", Should, "no string in the body and no header value exposes internals: upstream URLs or addresses, stack traces, exception or decoder text", checkNoInternalLeak, false, nil},
		{"single-member", Should, "the body is the error object alone: no top-level member beside \"error\"", checkSingleMember, false, nil},
	}
}

// ruleTable is Rules() built once, for Evaluate, which runs for every
// case: it is never modified (Rules gives each caller a copy of its own).
var ruleTable = Rules()

// RulesUnder returns the rules that apply under a contract, each with its
// severity under it.
func RulesUnder(c *spec.Contract) []Rule {
	var out []Rule
	for _, r := range ruleTable {
		if r.AppliesTo(c) {
			r.Severity = r.SeverityUnder(c)
			out = append(out, r)
		}
	}
	return out
}

// RuleByID returns the rule with that ID.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Evaluate runs every rule on an exchange and returns the findings. For an
// expected success (a positive control) only the rules marked onSuccess run.
//
// A request the contract refuses that the target served (a 2xx carrying no
// error) is one cause: the status rule says so, and the rules about an
// error's shape, type, stream or SDK parse, which would each fire on the
// success body, are not run. Only the rules that hold for any answer
// (a complete response, no echoed credential, no leaked internals) run beside it.
func Evaluate(ex wire.Exchange, expect Expectation, contract *spec.Contract) []Finding {
	in := newInput(ex, expect, contract)
	accepted := in.acceptedInvalid()
	var findings []Finding
	for _, rule := range ruleTable {
		if (expect.success() && !rule.onSuccess) || !rule.AppliesTo(contract) || (accepted && !judgesAccepted(rule.ID)) {
			continue
		}
		rule.Severity = rule.SeverityUnder(contract)
		for _, f := range rule.check(in) {
			f.Rule, f.Severity = rule.ID, rule.Severity
			if accepted && f.Rule == "status" && expect.AcceptedShould != "" {
				f.Severity = Should
				f.Message += " (a warning: " + expect.AcceptedShould + ")"
			}
			findings = append(findings, bounded(f, expect.Scrub))
		}
	}
	return findings
}

// acceptedInvalid reports whether a request the contract says must be
// refused was served: a 2xx carrying no error. That is one cause, which
// the status rule reports; the rules about the error's form (content
// type, JSON, shape, type, code, param, no-stream, ...) have no error to
// judge and stay silent instead of restating it.
func (in *input) acceptedInvalid() bool {
	return in.resp != nil && !in.expect.success() && in.resp.Status >= 200 && in.resp.Status < 300 &&
		in.errorObject == nil && !in.midStream && in.ex.Failure == wire.FailureNone && !in.resp.Truncated
}

// judgesAccepted: the rules that still judge a served invalid request:
// the response itself, its status, and what it must never expose.
func judgesAccepted(rule string) bool {
	switch rule {
	case "response", "status", "no-secret-echo", "no-internal-leak":
		return true
	}
	return false
}

// success reports whether the case expects a 2xx: a positive control.
func (e Expectation) success() bool { return e.Status >= 200 && e.Status < 300 }

// EvaluateAll judges a case of one or more exchanges. Every answer before
// the last of a multi-request case (the rate-limit burst) must be a 2xx or
// itself keep the contract; the last is judged as a single exchange is.
// Findings on earlier answers say which answer they are about.
func EvaluateAll(exchanges []wire.Exchange, expect Expectation, contract *spec.Contract) []Finding {
	if len(exchanges) == 0 {
		return nil
	}
	var findings []Finding
	n := len(exchanges)
	judged, unjudged := 0, map[string]int{}
	for i, ex := range exchanges[:n-1] {
		if ex.Response != nil && ex.Response.Status >= 200 && ex.Response.Status < 300 && ex.Failure == wire.FailureNone {
			continue
		}
		if judged == MaxJudgedBurstAnswers {
			// Bounded findings: the rest are counted by what they were.
			what := string(ex.Failure)
			if ex.Response != nil {
				what = fmt.Sprintf("%d", ex.Response.Status)
			}
			unjudged[what]++
			continue
		}
		judged++
		each := expect
		each.Note = fmt.Sprintf("answer %d of %d", i+1, n)
		for _, f := range Evaluate(ex, each, contract) {
			f.Message = fmt.Sprintf("answer %d of %d: %s", i+1, n, f.Message)
			findings = append(findings, f)
		}
	}
	if len(unjudged) > 0 {
		var counts []string
		total := 0
		for what, k := range unjudged {
			counts = append(counts, fmt.Sprintf("%s ×%d", what, k))
			total += k
		}
		sort.Strings(counts)
		findings = append(findings, Finding{Rule: "status", Severity: Must, Expected: fmt.Sprintf("%d or a 2xx", expect.Status),
			Actual: strings.Join(counts, ", "), Message: fmt.Sprintf("%d more answers before the last were neither a 2xx nor judged one by one: %s",
				total, strings.Join(counts, ", "))})
	}
	return append(findings, Evaluate(exchanges[n-1], expect, contract)...)
}

// MaxJudgedBurstAnswers bounds how many of a burst's answers before the
// last are judged rule by rule; the others are counted.
const MaxJudgedBurstAnswers = 5

func newInput(ex wire.Exchange, expect Expectation, contract *spec.Contract) *input {
	in := &input{ex: ex, resp: ex.Response, expect: expect, contract: contract}
	if in.resp == nil {
		return in
	}
	if expect.success() {
		// A positive control's body is judged only for being JSON: a
		// models list of hundreds of entries is far larger than any error,
		// and needs no tree.
		in.jsonProblem = validOne(in.resp.Body)
		return in
	}
	if expect.MidStream && in.resp.Status == http.StatusOK && ex.Failure == wire.FailureNone {
		if raw, doc, errObj, ok := midStreamError(in.resp.Body); ok {
			in.midStream, in.documentRaw, in.document, in.errorObject = true, raw, doc, errObj
			return in
		}
	}
	in.jsonProblem = decodeOne(in.resp.Body, &in.document)
	if in.jsonProblem == "" {
		in.documentRaw = in.resp.Body
		if doc, ok := in.document.(map[string]any); ok {
			in.errorObject, _ = doc["error"].(map[string]any)
		}
	}
	return in
}

// midStreamError finds the error a 200 carries: its JSON body's error
// object, or the first server-sent event whose data is a JSON object with
// an error object. Every event of the (already bounded) body is searched:
// a real mid-stream error follows the content it interrupts.
func midStreamError(body []byte) (raw []byte, doc any, errObj map[string]any, ok bool) {
	candidates := [][]byte{body}
	if trimmed := bytes.TrimSpace(body); bytes.HasPrefix(trimmed, []byte("data:")) || bytes.HasPrefix(trimmed, []byte("event:")) || bytes.HasPrefix(trimmed, []byte(":")) {
		candidates = nil
		for _, line := range bytes.Split(body, []byte("\n")) {
			if data, found := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("data:")); found && bytes.Contains(data, []byte(`"error"`)) {
				candidates = append(candidates, bytes.TrimSpace(data))
			}
		}
	}
	for _, c := range candidates {
		var v any
		if decodeOne(c, &v) != "" {
			continue
		}
		if m, isObject := v.(map[string]any); isObject {
			if e, isError := m["error"].(map[string]any); isError {
				return c, v, e, true
			}
		}
	}
	return nil, nil, nil, false
}

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
