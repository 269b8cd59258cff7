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
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`\bsk-[A-Za-z0-9_-]{8,}`),
}

// labelledSecret matches a credential after its label: "Bearer X",
// "api_key=X", "token: X". The value must look like a credential (see
// looksLikeCredential), so that English ("the token validation failed",
// "Invalid Bearer authorization header") is left alone.
var labelledSecret = regexp.MustCompile(`(?i)\b(bearer|basic|token|api[_-]?key|secret|password)("?\s*[:=]?\s*"?)([A-Za-z0-9._~+/=-]{8,})`)

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
	return r
}

// String redacts a string.
func (r *Redactor) String(s string) string {
	if r != nil {
		s = r.replaceSecrets(s)
	}
	for _, shape := range secretShapes {
		s = shape.ReplaceAllString(s, Redacted)
	}
	return labelledSecret.ReplaceAllStringFunc(s, func(m string) string {
		parts := labelledSecret.FindStringSubmatch(m)
		if !looksLikeCredential(parts[3]) {
			return m
		}
		return parts[1] + parts[2] + Redacted
	})
}

// Header returns a redacted copy of a header.
func (r *Redactor) Header(h http.Header) http.Header {
	out := http.Header{}
	for name, values := range h {
		for _, v := range values {
			if isSensitiveHeader(name) {
				out.Add(name, r.String(redactHeaderValue(v)))
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
	if scheme, _, ok := strings.Cut(v, " "); ok {
		for _, known := range authSchemes {
			if strings.EqualFold(scheme, known) {
				return scheme + " " + Redacted
			}
		}
	}
	return Redacted
}

// authSchemes are the Authorization schemes kept visible in redacted output.
var authSchemes = []string{"Bearer", "Basic", "Token", "Digest", "ApiKey"}

// looksLikeCredential: a digit, a symbol, mixed case, or 20+ characters.
// A lowercase word shorter than that is taken for English.
func looksLikeCredential(v string) bool {
	return len(v) >= 20 || strings.ContainsAny(v, "0123456789._~+/=-") || strings.ToLower(v) != v
}

// replaceSecrets replaces every occurrence of every secret; occurrences
// that overlap ("abc" and "bcd" in "abcd") become one Redacted, so no
// fragment is left behind.
func (r *Redactor) replaceSecrets(s string) string {
	type span struct{ start, end int }
	var spans []span
	for _, secret := range r.secrets {
		for from := 0; ; {
			i := strings.Index(s[from:], secret)
			if i < 0 {
				break
			}
			spans = append(spans, span{from + i, from + i + len(secret)})
			from += i + 1
		}
	}
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].start < cur.end; i++ {
			cur.end = max(cur.end, spans[i].end)
		}
		b.WriteString(s[at:cur.start])
		b.WriteString(Redacted)
		at = cur.end
	}
	b.WriteString(s[at:])
	return b.String()
}
