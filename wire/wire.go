// Package wire holds what goes over the wire and comes back: a crafted
// Request, the Response read up to a bound, and the Exchange probe records
// of the two, with why it is incomplete (FailureKind). It is a leaf
// (redact aside): probe fills these records, check judges them, and
// neither needs the other to do so.
package wire

import (
	"net/http"
	"time"

	"github.com/errconform/errconform/redact"
)

// Request is one crafted request, relative to the target's base URL.
type Request struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"-"`
	// Credential is the secret this request carries (API key or bearer
	// token), so that checks can prove it is never echoed back.
	Credential string `json:"-"`
	// CredentialIsSecret marks a credential made from a configured secret
	// (a JWT signed with fixtures.jwt_hs256_secret): unlike the others
	// errconform crafts, it may work against the target, so outputs
	// redact it.
	CredentialIsSecret bool `json:"-"`
}

// Response is what came back, with the body read up to the bound.
type Response struct {
	Status    int         `json:"status"`
	Header    http.Header `json:"header"`
	Body      []byte      `json:"-"`
	Truncated bool        `json:"truncated,omitempty"`
	// Read is how many body bytes were read when Body keeps only their
	// first ones (Cut); 0 when Body is all that was read.
	Read int `json:"-"`
}

// BodyLen is how many body bytes were read, whether or not Body still
// holds them all.
func (r *Response) BodyLen() int { return max(r.Read, len(r.Body)) }

// Cut keeps at most n bytes of the body, in a copy of their own (the
// rest of what was read is then free), remembering how much was read: a
// judged answer's evidence, bounded whatever the target sent.
func (r *Response) Cut(n int) {
	if r == nil || len(r.Body) <= n {
		return
	}
	r.Read = r.BodyLen()
	r.Body = append([]byte(nil), r.Body[:n]...)
}

// CutRedacted is Cut keeping the first n bytes of the body once redacted
// (its first n+redact.Margin bytes are redacted, then cut): a compact
// excerpt that no later cut can split a secret in.
func (r *Response) CutRedacted(n int, red *redact.Redactor) {
	if r == nil || len(r.Body) <= n {
		return
	}
	redacted := red.String(string(r.Body[:min(len(r.Body), n+redact.Margin)]))
	r.Read = r.BodyLen()
	r.Body = []byte(redacted[:min(n, len(redacted))])
}

// FailureKind classifies an exchange that produced no complete response.
type FailureKind string

// Failure kinds. Unreachable means no connection could be made at all: a
// harness problem ("errored"), not a contract violation.
const (
	FailureNone        FailureKind = ""
	FailureUnreachable FailureKind = "unreachable"
	FailureTimeout     FailureKind = "timeout"
	FailureBroken      FailureKind = "broken"
	// FailureCancelled means errconform itself gave up (run cancelled or
	// deadline passed): a harness outcome, not the target's fault.
	FailureCancelled FailureKind = "cancelled"
	// FailureBudget means the request was never sent: --max-requests spent.
	FailureBudget FailureKind = "budget"
)

// Exchange is one request and what the target did with it.
type Exchange struct {
	Request  Request       `json:"request"`
	URL      string        `json:"url"`
	Response *Response     `json:"response,omitempty"`
	Duration time.Duration `json:"duration"`
	// Failure says why Response is missing or incomplete; Err carries the
	// transport's words for it.
	Failure FailureKind `json:"failure,omitempty"`
	Err     string      `json:"error,omitempty"`
}
