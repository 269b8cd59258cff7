package redact

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Margin is how far past the end of an excerpt text is redacted
// before it is cut: a configured secret that starts inside the excerpt, in
// any form the redactor knows (hex, base64, \u escapes), ends within it.
const Margin = 4096

// Redacted is what replaces a secret in every output.
const Redacted = "[REDACTED]"

// FragmentLen is the fragment threshold: any run of this many consecutive
// characters of a configured secret (case-insensitive) is redacted wherever
// it appears. A secret shorter than this is matched whole.
const FragmentLen = 8

// Forms Find names, most telling first: Find reports the first of these
// that it saw.
const (
	FormVerbatim    = "verbatim"
	FormCaseChanged = "case-changed"
	FormBase64      = "base64"
	FormHex         = "hex"
	FormPercent     = "percent-encoded"
	FormJSONEscaped = "JSON-escaped"
	FormBackslashX  = "backslash-escaped"
	FormHTML        = "HTML entities"
	FormReversed    = "reversed"
	FormSpaced      = "spaced"
	FormZeroWidth   = "zero-width split"
	FormFragment    = "fragment"
)

// sensitiveHeaders never leave the process with their values.
var sensitiveHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key"}

// Redactor removes known secrets, and secret-shaped strings, from text.
//
// Configured secrets are found in every form a target may send them back
// in (see Find); on top of them, String redacts credentials that were not
// configured but look like one (sk- keys, JWTs, labelled values such as
// "Bearer X" or "api_key=X") and the userinfo of URLs. A nil *Redactor
// knows no secrets and still redacts shapes.
type Redactor struct {
	det *detector
}

// New returns a Redactor for the given secrets (empty ones
// ignored). It is cheap (a few KiB per secret length), so building one per
// credential, e.g. New(cred).Find(body), is fine.
func New(secrets ...string) *Redactor {
	return &Redactor{det: newDetector(secrets)}
}

// Cache hands out one Redactor per secret, built once: a run's
// cases mostly send the same few credentials, and building a detector of
// every encoding of a secret costs more than using it. Safe for
// concurrent use; the zero value is ready.
type Cache struct {
	mu sync.Mutex
	m  map[string]*Redactor
}

// For returns the Redactor of one secret.
func (c *Cache) For(secret string) *Redactor {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.m[secret]; ok {
		return r
	}
	if c.m == nil {
		c.m = map[string]*Redactor{}
	}
	if len(c.m) >= maxCachedRedactors {
		clear(c.m) // a hostile run of ever-new credentials stays bounded
	}
	r := New(secret)
	c.m[secret] = r
	return r
}

// maxCachedRedactors bounds a Cache.
const maxCachedRedactors = 256

// String redacts a string: every configured secret in any form, every
// secret-shaped string and the userinfo of every URL become Redacted.
// Overlapping matches merge into one Redacted, so no fragment survives.
// Text with none of these in it is returned unchanged. String runs in time
// linear in len(s).
func (r *Redactor) String(s string) string {
	var st scanState
	if r != nil && r.det != nil {
		r.det.scan(&st, s)
	}
	st.out = appendShapes(st.out, s)
	st.out = appendUserinfo(st.out, s)
	if len(st.out) == 0 {
		return s
	}
	spans := st.out
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	widen(spans, s)
	var b strings.Builder
	b.Grow(len(s))
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

// Find reports whether a configured secret appears in s in any form String
// redacts (shapes and URL userinfo aside), and names the form without
// giving the secret away: FormVerbatim, FormCaseChanged, FormBase64,
// FormHex, FormPercent, FormJSONEscaped, FormBackslashX, FormHTML,
// FormReversed, FormSpaced, FormZeroWidth or FormFragment (the first in
// that order when several are there). It is what the no-secret-echo rule
// uses: New(credential).Find(string(body)).
func (r *Redactor) Find(s string) (form string, found bool) {
	if r == nil || r.det == nil {
		return "", false
	}
	var st scanState
	r.det.scan(&st, s)
	best := len(formOrder)
	for _, sp := range st.out {
		if i := r.det.formIndex(s, sp); i < best {
			best = i
		}
	}
	if best == len(formOrder) {
		return "", false
	}
	return formOrder[best], true
}

// StringKeeping redacts s but leaves every occurrence of the keep strings
// as it is: credentials errconform crafted itself (a JWT signed with a
// wrong secret, a key shaped like the configured one), which are no
// secret and which a reproduction command must send exactly. A keep string
// that holds any configured secret, in any form, is redacted all the same.
//
// It runs in time linear in len(s) whatever the number of keep strings (a
// fleet's report keeps every target's): the keep strings are swapped for
// placeholders in one pass of one multi-pattern replacer (a trie; at a
// position where several start, the longest wins), the text is redacted,
// and the placeholders are swapped back in one more pass.
func (r *Redactor) StringKeeping(s string, keep ...string) string {
	marker, ok := unusedMarker(s)
	if !ok {
		return r.String(s) // the text holds every marker: keep nothing
	}
	return r.keeper(keep, marker).string(s)
}

// The private-use characters placeholders are built of.
const privateUseFirst, privateUseLast = 0xE000, 0xF8FF

// unusedMarker is a private-use character s does not hold, to build
// placeholders no text can forge; false when s holds every one.
func unusedMarker(s string) (string, bool) {
	const first, last = privateUseFirst, privateUseLast
	if !strings.ContainsFunc(s, func(c rune) bool { return c >= first && c <= last }) {
		return string(rune(first)), true
	}
	used := make([]bool, last-first+1)
	for _, c := range s {
		if c >= first && c <= last {
			used[c-first] = true
		}
	}
	if i := slices.Index(used, false); i >= 0 {
		return string(rune(first + i)), true
	}
	return "", false
}

// Header returns a redacted copy of a header.
func (r *Redactor) Header(h http.Header) http.Header {
	out := http.Header{}
	for name, values := range h {
		shown := http.CanonicalHeaderKey(r.String(name)) // a target may echo a key as a header name
		for _, v := range values {
			if isSensitiveHeader(name) {
				out[shown] = append(out[shown], r.String(redactHeaderValue(v)))
				continue
			}
			out[shown] = append(out[shown], r.String(v))
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
