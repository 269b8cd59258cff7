// Package check owns the verdict logic: pure functions from a recorded
// Exchange, the case's Expectation and the Contract to Findings, one rule at
// a time. It performs no I/O and knows nothing of Ginkgo; the sdk rule feeds
// the recorded response to the official SDK through an in-memory transport.
package check

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

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
