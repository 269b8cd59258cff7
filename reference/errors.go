package reference

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error codes the reference uses.
const (
	codeInvalidValue     = "invalid_value"
	codeContextLength    = "context_length_exceeded"
	codeCapability       = "model_capability_mismatch"
	codeFileNotFound     = "file_not_found"
	codeFileExpired      = "file_expired"
	codeInvalidAPIKey    = "invalid_api_key"
	codeRateLimit        = "rate_limit_exceeded"
	codeNoCredits        = "insufficient_credits"
	codeModelNotFound    = "model_not_found"
	maxEchoedInputLength = 120
)

// apiError is one error response. An empty code or param is written as null;
// the type always comes from the contract's status table.
type apiError struct {
	status     int
	code       string
	param      string
	message    string
	retryAfter int // seconds; written as Retry-After when positive
}

func (e *apiError) Error() string { return e.message }

func badRequest(param, code, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, param: param, code: code, message: message}
}

func errInternal() *apiError {
	return &apiError{status: http.StatusInternalServerError,
		message: "The server had an error while processing your request. Sorry about that!"}
}

func errNoCredits() *apiError {
	return &apiError{status: http.StatusPaymentRequired, code: codeNoCredits,
		message: "Your organization's credit balance is too low to process this request. Add credits to continue."}
}

type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// writeError is the one place an error response is written. secret, the
// credential the request presented, is removed from the message and param.
func (s *Server) writeError(w http.ResponseWriter, e *apiError, secret string) {
	typ, _ := s.contract.TypeFor(e.status) // New checked every status we use
	body := errorBody{Error: errorObject{
		Message: redact(e.message, secret),
		Type:    typ,
		Param:   nullable(redact(e.param, secret)),
		Code:    nullable(e.code),
	}}
	data, err := json.Marshal(body)
	if err != nil { // unreachable: the body holds only strings
		data = []byte(`{"error":{"message":"The server had an error while processing your request.","type":"` + typ + `","param":null,"code":null}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(append(data, '\n')) // a failed write means the client left
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

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
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
