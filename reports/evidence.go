package reports

// A case's evidence as reports show it: the request and response, redacted
// first and then cut to bounded excerpts.

import (
	"fmt"
	"strings"

	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
)

// ExcerptBytes bounds body excerpts in reports.
const ExcerptBytes = 2048

func requestReport(r *redact.Redactor, ex probe.Exchange) *RequestReport {
	return &RequestReport{Method: ex.Request.Method, URL: r.String(ex.URL), Headers: BoundedHeaders(r, ex.Request.Header),
		BodyExcerpt: RedactedExcerpt(r, ex.Request.Body, ExcerptBytes), BodyBytes: len(ex.Request.Body)}
}

// RedactedExcerpt redacts the whole body, then cuts the excerpt: cutting
// first could leave half a secret that no longer matches redaction.
// Only the excerpt and redact.Margin bytes after it are redacted: a
// secret (in any encoding) that starts inside the excerpt ends within the
// margin, and what lies beyond is never shown.
func RedactedExcerpt(r *redact.Redactor, body []byte, n int) string {
	return redactedExcerpt(r, body, len(body), n)
}

// RedactedBodyExcerpt is RedactedExcerpt of a response's body, which may
// hold only the first of the bytes read (probe.Response.Cut): the count
// in all is of every byte read.
func RedactedBodyExcerpt(r *redact.Redactor, resp *probe.Response, n int) string {
	return redactedExcerpt(r, resp.Body, resp.BodyLen(), n)
}

// EvidenceBodyBytes is how much of a response body a result keeps for the
// reports once judged: every excerpt they show, and the margin redacted
// past it.
const EvidenceBodyBytes = ExcerptBytes + redact.Margin

func redactedExcerpt(r *redact.Redactor, body []byte, total, n int) string {
	window := body
	if len(window) > n+redact.Margin {
		window = window[:n+redact.Margin]
	}
	redacted := []byte(r.String(string(window)))
	if len(redacted) <= n && total <= len(body) {
		return Excerpt(redacted, n)
	}
	return Excerpt(redacted[:min(n, len(redacted))], n) + fmt.Sprintf("… (%d bytes in all)", max(total, len(body)))
}

func responseReport(r *redact.Redactor, ex probe.Exchange) *ResponseReport {
	out := &ResponseReport{DurationMS: float64(ex.Duration.Microseconds()) / 1000, Failure: string(ex.Failure), Error: r.String(ex.Err)}
	if ex.Response != nil {
		out.Status = ex.Response.Status
		out.Headers = BoundedHeaders(r, ex.Response.Header)
		out.BodyExcerpt = RedactedBodyExcerpt(r, ex.Response, ExcerptBytes)
		out.BodyBytes = ex.Response.BodyLen()
		out.Truncated = ex.Response.Truncated
	}
	return out
}

// Excerpt returns at most n bytes of a body as valid UTF-8 text.
func Excerpt(b []byte, n int) string {
	cut := b
	suffix := ""
	if len(cut) > n {
		cut, suffix = cut[:n], fmt.Sprintf("… (%d more bytes)", len(b)-n)
	}
	return strings.ToValidUTF8(string(cut), "\uFFFD") + suffix
}

// craftedCredential is the credential an exchange sent when errconform
// crafted it (a JWT signed with a wrong secret, an unknown key): no secret,
