package probe

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// Redacted is what replaces a secret in every output.
const Redacted = "[REDACTED]"

// sensitiveHeaders never leave the process with their values.
var sensitiveHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key"}

// secretShapes match credentials even when they were not configured:
// bearer tokens, JWTs and sk- keys.
var secretShapes = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`\bsk-[A-Za-z0-9_-]{8,}`),
}

// Redactor removes known secrets and secret-shaped strings from text.
type Redactor struct {
	secrets []string
}

// NewRedactor returns a Redactor for the given secrets (empty ones ignored).
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r
}

// String redacts a string.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, secret := range r.secrets {
			s = strings.ReplaceAll(s, secret, Redacted)
		}
	}
	for _, shape := range secretShapes {
		s = shape.ReplaceAllStringFunc(s, func(m string) string {
			if scheme, _, ok := strings.Cut(m, " "); ok && shape == secretShapes[0] {
				return scheme + " " + Redacted
			}
			return Redacted
		})
	}
	return s
}

// Header returns a redacted copy of a header.
func (r *Redactor) Header(h http.Header) http.Header {
	out := http.Header{}
	for name, values := range h {
		for _, v := range values {
			if isSensitiveHeader(name) {
				out.Add(name, redactHeaderValue(v))
				continue
			}
			out.Add(name, r.String(v))
		}
	}
	return out
}

func isSensitiveHeader(name string) bool {
	for _, s := range sensitiveHeaders {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// redactHeaderValue keeps an Authorization scheme (useful to a reader:
// "Bearer", "Basic") and drops the credential.
func redactHeaderValue(v string) string {
	if scheme, _, ok := strings.Cut(v, " "); ok && len(scheme) <= 16 && !strings.ContainsAny(scheme, ".-_=") {
		return scheme + " " + Redacted
	}
	return Redacted
}
