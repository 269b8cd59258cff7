package reference

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/errconform/errconform/spec"
)

const maxEchoedInputLength = 120

// situation names what went wrong, in the vocabulary of errconform's
// catalogue: the contract, not the reference, decides its status and code.
type situation string

// The situations the reference answers with. Every one of them is named by
// the default contract; allSituations lists them.
const (
	sitMalformedBody       situation = "malformed-body"          // not JSON, empty, not an object, not (parseable) multipart
	sitMissingField        situation = "missing-field"           // a required member is absent
	sitWrongType           situation = "wrong-type"              // a member has the wrong JSON type
	sitInvalidValue        situation = "invalid-value"           // right type, invalid value (or a body too large)
	sitMissingCredential   situation = "missing-credential"      // no Authorization header
	sitMalformedCredential situation = "malformed-credential"    // not "Bearer <one token>"
	sitUnknownKey          situation = "unknown-key"             // an API key the reference never issued
	sitInvalidJWT          situation = "invalid-jwt"             // bad signature, alg none, expired…
	sitDisabledKey         situation = "disabled-key"            // a known key, disabled
	sitExpiredKey          situation = "expired-key"             // a known key, expired
	sitUnknownRoute        situation = "unknown-route"           // no such method and path
	sitUnknownModel        situation = "unknown-model"           // no such model
	sitFileNotFound        situation = "file-not-found"          // no such file, or another organization's
	sitFileExpired         situation = "file-expired"            // a file past its expiry
	sitNoCredits           situation = "no-credits"              // the organization's balance is zero
	sitModelNotPermitted   situation = "model-not-permitted"     // the key may not use the model
	sitCapabilityMismatch  situation = "capability-mismatch"     // an input the model does not accept
	sitContextLength       situation = "context-length-exceeded" // prompt plus completion over the window
	sitRateLimited         situation = "rate-limited"            // the per-key limiter refused the request
	sitInternalError       situation = "internal-error"          // the fault header, or a recovered panic
	sitUpstreamUnreachable situation = "upstream-unreachable"    // the model's upstream cannot be reached
	sitUpstreamTimeout     situation = "upstream-timeout"        // the model's upstream never answered
	sitUpstreamRateLimited situation = "upstream-rate-limited"   // the model's upstream answered 429
	sitUpstreamError       situation = "upstream-error"          // the model's upstream answered 500
	// sitUnauthenticatedInvalidBody: no valid credential and an invalid
	// chat body at once; its outcome says which check comes first.
	sitUnauthenticatedInvalidBody situation = "unauthenticated-invalid-body"
)

// allSituations returns every situation the reference answers with.
func allSituations() []situation {
	return []situation{
		sitMalformedBody, sitMissingField, sitWrongType, sitInvalidValue,
		sitMissingCredential, sitMalformedCredential, sitUnknownKey, sitInvalidJWT, sitDisabledKey, sitExpiredKey,
		sitUnknownRoute, sitUnknownModel, sitFileNotFound, sitFileExpired, sitNoCredits, sitModelNotPermitted,
		sitCapabilityMismatch, sitContextLength, sitRateLimited, sitInternalError,
		sitUpstreamUnreachable, sitUpstreamTimeout, sitUpstreamRateLimited, sitUpstreamError, sitUnauthenticatedInvalidBody,
	}
}

// apiError is one error response: the situation decides status, code and
// type through the contract; param (the offending field, empty for none)
// and the message are the reference's own.
type apiError struct {
	situation  situation
	param      string
	message    string
	retryAfter int // seconds; written as Retry-After when positive
}

func (e *apiError) Error() string { return e.message }

// fail returns an error of that situation about param ("" for none).
func fail(sit situation, param, message string) *apiError {
	return &apiError{situation: sit, param: param, message: message}
}

// errInternal is the reference's own failure (internal-error).
func errInternal() *apiError {
	return fail(sitInternalError, "", "The server had an error while processing your request. Sorry about that!")
}

// errNoCredits refuses an organization without credits (no-credits).
func errNoCredits() *apiError {
	return fail(sitNoCredits, "",
		"Your organization's credit balance is too low to process this request. Add credits to continue.")
}

// outcomeOf is what contract c says of a situation or, where c does not
// cover it, what fallback (the default contract) says.
func outcomeOf(c, fallback *spec.Contract, sit situation) spec.Outcome {
	if o := c.Outcome(string(sit)); o.Covered() {
		return o
	}
	return fallback.Outcome(string(sit))
}

// writeError is the one place an error response is written: the status and
// code come from the contract's outcome for the error's situation, the type
// from its status table, the body from its error template. secret, the
// credential the request presented, is removed from the message and param.
func (s *Server) writeError(w http.ResponseWriter, e *apiError, secret string) {
	status, data := s.renderError(e, secret)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n')) // a failed write means the client left
}

// renderError is an error's status and body under the contract: the
// status and code from the outcome of its situation, the type from the
// status table, the body from the error template, with secret removed
// from the message and param.
func (s *Server) renderError(e *apiError, secret string) (int, []byte) {
	o := outcomeOf(s.contract, s.fallback, e.situation)
	status := o.Status
	if status == 0 { // unreachable: New checked that every situation resolves
		status = http.StatusInternalServerError
	}
	typ, _ := s.contract.TypeFor(status) // none for a status the contract lacks
	data, err := s.contract.RenderError(spec.ErrorValues{Status: status, Message: redact(e.message, secret), Type: typ,
		Param: redact(e.param, secret), Code: o.Code})
	if err != nil { // unreachable: New rendered the template once
		data = []byte(`{"error":{"message":"The server had an error while rendering its error."}}`)
	}
	return status, data
}

// writeJSON writes a successful JSON response.
func (s *Server) writeJSON(w http.ResponseWriter, v any) *apiError {
	data, err := json.Marshal(v)
	if err != nil {
		return errInternal()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(data, '\n')) // a failed write means the client left
	return nil
}

func redact(text, secret string) string {
	if secret == "" || text == "" {
		return text
	}
	return strings.ReplaceAll(text, secret, "[redacted]")
}

// excerpt shortens client input before a message quotes it.
func excerpt(s string) string {
	if len(s) <= maxEchoedInputLength {
		return s
	}
	cut := maxEchoedInputLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
