package redact_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/redact"
)

const jwtSample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

func TestRedactorStringConfiguredSecrets(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{
			name:    "single occurrence",
			secrets: []string{"Q9x7Z2w"},
			in:      `{"error":"key Q9x7Z2w is invalid"}`,
			want:    `{"error":"key [REDACTED] is invalid"}`,
		},
		{
			name:    "multiple occurrences",
			secrets: []string{"Q9x7Z2w"},
			in:      "Q9x7Z2w/Q9x7Z2w and again Q9x7Z2w",
			want:    "[REDACTED]/[REDACTED] and again [REDACTED]",
		},
		{
			name:    "adjacent occurrences",
			secrets: []string{"Q9x7Z2w"},
			in:      "Q9x7Z2wQ9x7Z2w",
			want:    "[REDACTED][REDACTED]",
		},
		{
			name:    "several secrets",
			secrets: []string{"alpha111", "beta222"},
			in:      "a=alpha111 b=beta222",
			want:    "a=[REDACTED] b=[REDACTED]",
		},
		{
			name:    "secret containing another, short given first",
			secrets: []string{"key1", "key1-extended"},
			in:      "got key1-extended and key1",
			want:    "got [REDACTED] and [REDACTED]",
		},
		{
			name:    "secret containing another, long given first",
			secrets: []string{"key1-extended", "key1"},
			in:      "got key1-extended and key1",
			want:    "got [REDACTED] and [REDACTED]",
		},
		{
			name:    "empty secrets ignored",
			secrets: []string{"", "Q9x7Z2w", ""},
			in:      "x Q9x7Z2w y",
			want:    "x [REDACTED] y",
		},
		{
			name:    "case-insensitive match",
			secrets: []string{"Q9x7Z2w"},
			in:      "q9x7z2w and Q9X7Z2W",
			want:    "[REDACTED] and [REDACTED]",
		},
		{
			name:    "secret inside a URL",
			secrets: []string{"Q9x7Z2w"},
			in:      "https://host/v1?key=Q9x7Z2w&x=1",
			want:    "https://host/v1?key=[REDACTED]&x=1",
		},
		{
			name:    "no secrets",
			secrets: nil,
			in:      "plain text",
			want:    "plain text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact.New(tt.secrets...).String(tt.in)
			assert.Equal(t, tt.want, got)
			for _, s := range tt.secrets {
				if s != "" && strings.Contains(tt.want, "[REDACTED]") {
					assert.NotContains(t, got, s)
				}
			}
		})
	}
}

func TestRedactorStringShapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"bearer token", "Authorization: Bearer abcdefgh12345678", "Authorization: Bearer [REDACTED]"},
		{"bearer lower case", "bearer abcdefgh12345678", "bearer [REDACTED]"},
		{"basic credentials", "Basic dXNlcjpwYXNzd29yZA==", "Basic [REDACTED]"},
		{"token scheme", "Token abcdefgh12345678", "Token [REDACTED]"},
		{"bearer in JSON", `{"msg":"Bearer abcdefgh12345678 rejected"}`, `{"msg":"Bearer [REDACTED] rejected"}`},
		{"bearer with JWT", "Bearer " + jwtSample, "Bearer [REDACTED]"},
		{"bare JWT", "token was " + jwtSample + ".", "token was [REDACTED]."},
		{"JWT in JSON", `{"jwt":"` + jwtSample + `"}`, `{"jwt":"[REDACTED]"}`},
		{"short JWT shape", "eyJx.y.z", "[REDACTED]"},
		{"sk key", "your key sk-abcdefghijklmnop is invalid", "your key [REDACTED] is invalid"},
		{"sk project key", `"sk-proj_ABCdef123456"`, `"[REDACTED]"`},
		{"sk key after equals", "key=sk-abcdefgh12", "key=[REDACTED]"},
		{"two shapes", "sk-abcdefgh12 and Bearer zzzzzzzz42", "[REDACTED] and Bearer [REDACTED]"},
		{"labelled key", `{"api_key": "abcdefgh1234"}`, `{"api_key": "[REDACTED]"}`},
		{"token equals", "token=Zq8pLmN2xYw", "token=[REDACTED]"},
		{"english after token", "the token validation failed", "the token validation failed"},
		{"english after bearer", "Invalid Bearer authorization header", "Invalid Bearer authorization header"},
		{"english after basic", "Basic authentication required", "Basic authentication required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Shapes are redacted without being configured.
			assert.Equal(t, tt.want, redact.New().String(tt.in))
			assert.Equal(t, tt.want, redact.New("unrelated-secret").String(tt.in))
		})
	}
}

func TestRedactorStringLeavesOrdinaryTextAlone(t *testing.T) {
	r := redact.New("Q9x7Z2w")
	for _, in := range []string{
		"",
		"plain text",
		`{"error":{"type":"invalid_request_error","message":"model not found"}}`,
		"Bearer short",                 // token shorter than 8 characters
		"ask-abcdefghij",               // sk- inside a word
		"risk-assessment-document",     // sk- inside a word
		"keyJx.y.z",                    // eyJ inside a word
		"HTTP/1.1 401 Unauthorized",    // status line
		"[REDACTED]",                   // already redacted text is stable
		"Retry-After: 30",              // header-ish text
		"2024-01-01T00:00:00Z",         // timestamps
		"file-abc123 / req_1234567890", // ids
	} {
		t.Run(in, func(t *testing.T) {
			assert.Equal(t, in, r.String(in))
		})
	}
}

func TestRedactorIdempotent(t *testing.T) {
	r := redact.New("Q9x7Z2w")
	in := "Q9x7Z2w Bearer abcdefgh12345678 " + jwtSample + " sk-abcdefgh12"
	once := r.String(in)
	assert.Equal(t, once, r.String(once))
}

func TestNilRedactor(t *testing.T) {
	var r *redact.Redactor
	tests := []struct {
		in   string
		want string
	}{
		{"Bearer abcdefgh12345678", "Bearer [REDACTED]"},
		{jwtSample, "[REDACTED]"},
		{"sk-abcdefgh12", "[REDACTED]"},
		{"not a secret", "not a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, r.String(tt.in))
		})
	}
	h := r.Header(http.Header{
		"Authorization": {"Bearer abcdefgh12345678"},
		"X-Request-Id":  {"req-1"},
		"X-Echo":        {"sk-abcdefgh12"},
	})
	assert.Equal(t, http.Header{
		"Authorization": {"Bearer [REDACTED]"},
		"X-Request-Id":  {"req-1"},
		"X-Echo":        {"[REDACTED]"},
	}, h)
}

func TestRedactorHeader(t *testing.T) {
	const secret = "Q9x7Z2w"
	tests := []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{
			name: "authorization keeps the scheme",
			in:   http.Header{"Authorization": {"Bearer " + secret}},
			want: http.Header{"Authorization": {"Bearer [REDACTED]"}},
		},
		{
			name: "authorization basic",
			in:   http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}},
			want: http.Header{"Authorization": {"Basic [REDACTED]"}},
		},
		{
			name: "authorization without scheme",
			in:   http.Header{"Authorization": {"rawtokenvalue"}},
			want: http.Header{"Authorization": {"[REDACTED]"}},
		},
		{
			name: "authorization scheme-looking word that is a token",
			in:   http.Header{"Authorization": {"sk-abc.def rest"}},
			want: http.Header{"Authorization": {"[REDACTED]"}},
		},
		{
			name: "proxy authorization",
			in:   http.Header{"Proxy-Authorization": {"Basic cHJveHk6cGFzcw=="}},
			want: http.Header{"Proxy-Authorization": {"Basic [REDACTED]"}},
		},
		{
			name: "cookie",
			in:   http.Header{"Cookie": {"session=abc123; theme=dark"}},
			want: http.Header{"Cookie": {"[REDACTED]"}},
		},
		{
			name: "set-cookie, several values",
			in:   http.Header{"Set-Cookie": {"id=a3fWa; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "sid=xyz; Path=/; HttpOnly"}},
			want: http.Header{"Set-Cookie": {"[REDACTED]", "[REDACTED]"}},
		},
		{
			name: "x-api-key",
			in:   http.Header{"X-Api-Key": {secret}},
			want: http.Header{"X-Api-Key": {"[REDACTED]"}},
		},
		{
			name: "api-key",
			in:   http.Header{"Api-Key": {"anything"}},
			want: http.Header{"Api-Key": {"[REDACTED]"}},
		},
		{
			name: "non-canonical sensitive names",
			in:   http.Header{"authorization": {"Bearer x"}, "X-API-KEY": {"k"}},
			want: http.Header{"Authorization": {"Bearer [REDACTED]"}, "X-Api-Key": {"[REDACTED]"}},
		},
		{
			name: "configured secret in another header",
			in:   http.Header{"X-Echo": {"you sent " + secret}, "Location": {"https://h/cb?key=" + secret}},
			want: http.Header{"X-Echo": {"you sent [REDACTED]"}, "Location": {"https://h/cb?key=[REDACTED]"}},
		},
		{
			name: "shape in another header",
			in:   http.Header{"Www-Authenticate": {`Bearer realm="api"`}, "X-Debug": {"got Bearer abcdefgh12345678"}},
			want: http.Header{"Www-Authenticate": {`Bearer realm="api"`}, "X-Debug": {"got Bearer [REDACTED]"}},
		},
		{
			name: "ordinary headers untouched",
			in:   http.Header{"Content-Type": {"application/json"}, "Retry-After": {"30"}, "X-Request-Id": {"req_123", "req_456"}},
			want: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"30"}, "X-Request-Id": {"req_123", "req_456"}},
		},
		{
			name: "empty",
			in:   http.Header{},
			want: http.Header{},
		},
	}
	r := redact.New(secret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.in.Clone()
			got := r.Header(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, orig, tt.in, "input header must not be modified")
			for _, vs := range got {
				for _, v := range vs {
					assert.NotContains(t, v, secret)
				}
			}
		})
	}
}

func TestRedactorHeaderIsACopy(t *testing.T) {
	in := http.Header{"X-A": {"1"}}
	out := redact.New().Header(in)
	require.NotNil(t, out)
	out.Set("X-A", "2")
	assert.Equal(t, "1", in.Get("X-A"))
	assert.NotNil(t, redact.New().Header(nil))
}

// Known bug: redactHeaderValue keeps the first word of a sensitive header
// as an "auth scheme" without checking it against the configured secrets,
// so a key sent without a scheme but followed by a space leaks.
func TestRedactorHeaderSchemeSlotLeak(t *testing.T) {
	const secret = "a1b2c3d4"
	got := redact.New(secret).Header(http.Header{
		"Authorization": {secret + " extra"},
		"X-Api-Key":     {secret + " " + secret},
	})
	for _, vs := range got {
		for _, v := range vs {
			assert.NotContains(t, v, secret)
		}
	}
}

func TestOverlappingSecretsLeaveNoFragment(t *testing.T) {
	r := redact.New("abc12345", "c12345xyz")
	assert.Equal(t, "key [REDACTED] end", r.String("key abc12345xyz end"))
	assert.Equal(t, "[REDACTED] and [REDACTED]", r.String("abc12345 and c12345xyz"))
}

// keyA is an API-key-shaped secret; hsSecret a JWT HS256 secret holding
// English words ("Tok", "Status") shorter than the 8-character threshold;
// ampSecret holds characters HTML escapes by name.
const (
	keyA      = "sk-proj-Xq7Lm9Tz2Rb4Wn8Kd3Vh"
	hsSecret  = "Tok3n-StatusQ7mZ9pLx"
	ampSecret = "Tk9&Rq4<Mz7>Lp2"
)

func pctEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// uEscape \u-escapes the runes of s at the positions every selects.
func uEscape(s string, every func(i int) bool) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if every(i) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func entities(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func interleave(s, sep string) string {
	return strings.Join(strings.Split(s, ""), sep)
}

// TestRedactorStringForms: every form a configured secret can come back in
// is replaced whole, and the text around it is kept.
func TestRedactorStringForms(t *testing.T) {
	b64 := func(enc *base64.Encoding, s string) string { return enc.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		secret string
		in     string
		want   string
	}{
		{"upper case", keyA, `{"echo":"` + strings.ToUpper(keyA) + `"}`, `{"echo":"[REDACTED]"}`},
		{"lower case", hsSecret, `{"echo":"` + strings.ToLower(hsSecret) + `"}`, `{"echo":"[REDACTED]"}`},
		{"base64 standard, padded", keyA, `{"echo":"` + b64(base64.StdEncoding, keyA) + `"}`, `{"echo":"[REDACTED]"}`},
		{"base64 standard, unpadded", keyA, `{"echo":"` + b64(base64.RawStdEncoding, keyA) + `"}`, `{"echo":"[REDACTED]"}`},
		{"base64 URL, padded", hsSecret + "??>", `x ` + b64(base64.URLEncoding, hsSecret+"??>") + ` y`, `x [REDACTED] y`},
		{"base64 URL, unpadded", hsSecret + "??>", `x ` + b64(base64.RawURLEncoding, hsSecret+"??>") + ` y`, `x [REDACTED] y`},
		{"base64 inside Basic credentials", keyA, `{"credentials":"` + b64(base64.StdEncoding, "ci-user:"+keyA) + `"}`, `{"credentials":"[REDACTED]"}`},
		{"base64 at byte offset 1", keyA, "v=" + b64(base64.StdEncoding, "a"+keyA+"zz"), "v=[REDACTED]"},
		{"base64 at byte offset 2", keyA, "v=" + b64(base64.StdEncoding, "ab"+keyA+"z"), "v=[REDACTED]"},
		{"base64 at byte offset 3", keyA, "v=" + b64(base64.StdEncoding, "abc"+keyA), "v=[REDACTED]"},
		{"base64 after a word of the alphabet", keyA, "token" + b64(base64.RawStdEncoding, keyA) + " end", "[REDACTED] end"},
		{"hex lower case", keyA, `{"echo":"` + hex.EncodeToString([]byte(keyA)) + `"}`, `{"echo":"[REDACTED]"}`},
		{"hex upper case", keyA, `{"echo":"` + strings.ToUpper(hex.EncodeToString([]byte(keyA))) + `"}`, `{"echo":"[REDACTED]"}`},
		{"hex with 0x, odd offset", keyA, `0x` + hex.EncodeToString([]byte(keyA)), `0x[REDACTED]`},
		{"hex after a hex digit", keyA, `a` + hex.EncodeToString([]byte(keyA)) + `!`, `[REDACTED]!`},
		{"percent-encoded every byte", keyA, "https://h/v1?key=" + pctEncode(keyA) + "&x=1", "https://h/v1?key=[REDACTED]&x=1"},
		{"percent-encoded lower-case digits", keyA, "k=" + strings.ToLower(pctEncode(keyA)), "k=[REDACTED]"},
		{"percent-encoded some bytes", ampSecret, "k=" + strings.NewReplacer("&", "%26", "<", "%3C", ">", "%3E").Replace(ampSecret) + "&x=1", "k=[REDACTED]&x=1"},
		{"JSON \\u escapes, every character", keyA, `{"key":"` + uEscape(keyA, func(int) bool { return true }) + `"}`, `{"key":"[REDACTED]"}`},
		{"JSON \\u escapes, some characters", keyA, `{"key":"` + uEscape(keyA, func(i int) bool { return i%3 == 0 }) + `"}`, `{"key":"[REDACTED]"}`},
		{"JSON \\u escapes, upper-case digits", ampSecret, `{"key":"` + strings.ReplaceAll(strings.ToUpper(uEscape(ampSecret, func(int) bool { return true })), `\U`, `\u`) + `"}`, `{"key":"[REDACTED]"}`},
		{"JSON escapes of HTML-unsafe characters", ampSecret, `{"key":"Tk9\u0026Rq4\u003cMz7\u003eLp2"}`, `{"key":"[REDACTED]"}`},
		{"HTML decimal entities", keyA, "<p>" + entities(keyA, "&#%d;") + "</p>", "<p>[REDACTED]</p>"},
		{"HTML hex entities", keyA, "<p>" + entities(keyA, "&#x%x;") + "</p>", "<p>[REDACTED]</p>"},
		{"HTML named entities", ampSecret, "<p>Tk9&amp;Rq4&lt;Mz7&gt;Lp2</p>", "<p>[REDACTED]</p>"},
		{"reversed", keyA, "got " + reverse(keyA) + ".", "got [REDACTED]."},
		{"reversed upper case", keyA, "got " + strings.ToUpper(reverse(keyA)) + ".", "got [REDACTED]."},
		{"spaced with spaces", keyA, "key: " + interleave(keyA, " ") + "!", "key: [REDACTED]!"},
		{"spaced with dots", keyA, "key: " + interleave(keyA, ".") + "!", "key: [REDACTED]!"},
		{"spaced with dashes", keyA, "key: " + interleave(keyA, "-") + "!", "key: [REDACTED]!"},
		{"spaced with no-break spaces", keyA, "key: " + interleave(keyA, "\u00a0") + "!", "key: [REDACTED]!"},
		{"zero-width space between every character", keyA, "k " + interleave(keyA, "\u200b") + " k", "k [REDACTED] k"},
		{"zero-width non-joiner", keyA, "k " + interleave(keyA, "\u200c") + " k", "k [REDACTED] k"},
		{"zero-width joiner", keyA, "k " + interleave(keyA, "\u200d") + " k", "k [REDACTED] k"},
		{"byte order mark", keyA, "k " + interleave(keyA, "\ufeff") + " k", "k [REDACTED] k"},
		{"word joiner", keyA, "k " + interleave(keyA, "\u2060") + " k", "k [REDACTED] k"},
		{"soft hyphen", keyA, "k " + interleave(keyA, "\u00ad") + " k", "k [REDACTED] k"},
		{"zero-width characters here and there", keyA, "k " + keyA[:5] + "\u200b" + keyA[5:9] + "\u2060\u200d" + keyA[9:] + " k", "k [REDACTED] k"},
		{"first 12 characters after an underscore", keyA, "key_" + keyA[:12] + " rejected", "key_[REDACTED] rejected"},
		{"last 12 characters", keyA, "key ending " + keyA[len(keyA)-12:] + " rejected", "key ending [REDACTED] rejected"},
		{"halves in two JSON fields", keyA, `{"a":"` + keyA[:14] + `","b":"` + keyA[14:] + `"}`, `{"a":"[REDACTED]","b":"[REDACTED]"}`},
		{"cut by a length bound", keyA, `{"detail":"key ` + keyA[:20] + `"}`, `{"detail":"key [REDACTED]"}`},
		{"cut by a length bound, not key-shaped", hsSecret, `{"detail":"` + hsSecret[:16] + `… (4 more bytes)"}`, `{"detail":"[REDACTED]… (4 more bytes)"}`},
		{"8 characters from the middle", keyA, "...9Tz2Rb4W...", "...[REDACTED]..."},
		{"8 characters, case changed", keyA, "...9TZ2RB4w...", "...[REDACTED]..."},
		{"fragment of a secret with words in it", hsSecret, "echo: " + hsSecret[3:13], "echo: [REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := redact.New(tt.secret)
			got := r.String(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, r.String(got), "redacting twice changes nothing")
		})
	}
}

// TestRedactorStringLeavesWordsAlone: secrets holding English words, and
// placeholders in documentation, do not cost ordinary text a character.
func TestRedactorStringLeavesWordsAlone(t *testing.T) {
	r := redact.New(keyA, hsSecret, ampSecret, "sk-test-echo-0123456789")
	for _, in := range []string{
		"TokenStatusExhausted",
		`{"error":{"code":"TokenStatusExhausted","message":"Token status: exhausted"}}`,
		"Bearer YOUR_API_KEY",
		"Authorization: Bearer YOUR_API_KEY",
		`{"api_key": "YOUR_API_KEY_HERE"}`,
		"token=MY_SECRET_TOKEN",
		"Authorization: Bearer <API_KEY>",
		"Authorization: Bearer $OPENAI_API_KEY",
		"curl -H 'Authorization: Bearer ${ERRCONFORM_API_KEY}' https://api.example.com/v1/models",
		"Tokens, statuses and projects: the sk-proj prefix names a project key.",
		"Incorrect API key provided: sk-test-***6789.",
		"Incorrect API key provided: sk-proj-****************3Vh.",
		"id 00000000-0000-0000-0000-000000000000, status ok",
		"the quick brown fox jumps over the lazy dog",
		"a b c d e f g h i j k l m n o p q r s t u v w x y z",
		"&amp; &lt; &gt; %20 \\u0020 \u200b",
		"[REDACTED]",
	} {
		t.Run(in, func(t *testing.T) {
			assert.Equal(t, in, r.String(in))
		})
	}
}

// TestRedactorStringURLUserinfo: the userinfo of any URL goes, the scheme
// and host stay.
func TestRedactorStringURLUserinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://ci:sk-abc@host:443 /v1", "https://[REDACTED]@host:443 /v1"},
		{"https://ci:sk-abc@host:443/v1", "https://[REDACTED]@host:443/v1"},
		{"dial https://token@api.example.com/v1 failed", "dial https://[REDACTED]@api.example.com/v1 failed"},
		{`{"url":"http://user:p%40ss@10.0.0.1:8080/x"}`, `{"url":"http://[REDACTED]@10.0.0.1:8080/x"}`},
		{"postgres://app:hunter2@db/app?sslmode=disable", "postgres://[REDACTED]@db/app?sslmode=disable"},
		{"https://host/v1/users/me@example.com", "https://host/v1/users/me@example.com"},
		{"mail me@example.com or see https://example.com/a", "mail me@example.com or see https://example.com/a"},
		{"https://[REDACTED]@host/v1", "https://[REDACTED]@host/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, redact.New().String(tt.in))
			assert.Equal(t, tt.want, redact.New(keyA).String(tt.in))
		})
	}
}

// benchText builds about n bytes of what reports carry: JSON error bodies,
// English, ids, hex digests, base64 blobs, escapes and URLs, with no secret.
func benchText(n int) string {
	chunks := []string{
		`{"error":{"message":"Invalid API key provided. You can find your API keys in your account settings.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}` + "\n",
		"The quick brown fox jumps over the lazy dog; tokens, statuses and projects are ordinary words. ",
		`{"id":"req_7f3a9c2e5b1d4086","created":1718000000,"digest":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}` + "\n",
		`data: eyJtb2RlbCI6ImdwdC00byIsIm1lc3NhZ2VzIjpbeyJyb2xlIjoidXNlciIsImNvbnRlbnQiOiJoZWxsbyJ9XX0=` + "\n",
		`{"message":"caf\u00e9 \u2014 \"quoted\" &amp; <b>bold</b> 100%25 done","path":"/v1/files/file-abc123/content?x=%2Fa%2Fb"}` + "\n",
		"Retry-After: 30\r\nX-Request-Id: 3f2c1e7a-9b4d-4c8e-a1f0-5d6e7f8a9b0c\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n",
		"see https://platform.example.com/docs/errors#rate-limits and https://user@example.org/ for details. ",
	}
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(chunks[i%len(chunks)])
	}
	return b.String()[:n]
}

// BenchmarkRedactorString: String on ~64 KiB and 1 MiB of report text with
// three configured secrets (report with -benchmem for allocations).
func BenchmarkRedactorString(b *testing.B) {
	r := redact.New(keyA, hsSecret, ampSecret)
	for _, size := range []int{64 << 10, 1 << 20} {
		text := benchText(size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				_ = r.String(text)
			}
		})
	}
}

// TestRedactorFind: Find names the form a configured secret came back in,
// and never finds one that is not there.
func TestRedactorFind(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name   string
		secret string
		in     string
		form   string // "" for not found
	}{
		{"verbatim", keyA, `{"message":"Incorrect API key provided: ` + keyA + `."}`, redact.FormVerbatim},
		{"verbatim beats a fragment", keyA, keyA[:10] + " " + keyA, redact.FormVerbatim},
		{"case-changed", keyA, strings.ToUpper(keyA), redact.FormCaseChanged},
		{"base64", keyA, b64([]byte(keyA)), redact.FormBase64},
		{"base64 URL alphabet, embedded", hsSecret + "??>", base64.RawURLEncoding.EncodeToString([]byte("x" + hsSecret + "??>")), redact.FormBase64},
		{"hex", keyA, strings.ToUpper(hex.EncodeToString([]byte(keyA))), redact.FormHex},
		{"percent-encoded", keyA, pctEncode(keyA), redact.FormPercent},
		{"JSON-escaped", keyA, uEscape(keyA, func(i int) bool { return i%2 == 0 }), redact.FormJSONEscaped},
		{"backslash-escaped", keyA, strings.ReplaceAll(uEscape(keyA, func(int) bool { return true }), `\u00`, `\x`), redact.FormBackslashX},
		{"HTML entities", keyA, entities(keyA, "&#x%X;"), redact.FormHTML},
		{"HTML named entities", ampSecret, "Tk9&amp;Rq4&lt;Mz7&gt;Lp2", redact.FormHTML},
		{"reversed", keyA, reverse(keyA), redact.FormReversed},
		{"spaced", keyA, interleave(keyA, " "), redact.FormSpaced},
		{"zero-width split", keyA, interleave(keyA, "\u200b"), redact.FormZeroWidth},
		{"fragment", keyA, "key_" + keyA[:12], redact.FormFragment},
		{"last 12", keyA, keyA[len(keyA)-12:], redact.FormFragment},
		{"8 characters", keyA, "..." + keyA[10:18] + "...", redact.FormFragment},
		{"short secret, whole", "Q9x7Z2w", "got Q9x7Z2w", redact.FormVerbatim},
		{"short secret, other case", "Q9x7Z2w", "got q9x7z2w", redact.FormCaseChanged},
		{"7 characters of a long secret", keyA, keyA[10:17], ""},
		{"masked like OpenAI", keyA, "Incorrect API key provided: sk-proj-****************3Vh.", ""},
		{"masked, public prefix only", "sk-test-echo-0123456789", "Incorrect API key provided: sk-test-***6789.", ""},
		{"zeros of a zero-padded key", "sk-test-0000000001", "id 00000000-0000-0000-0000-000000000000", ""},
		{"a shape is not a configured secret", keyA, "Bearer abcdefgh12345678 sk-abcdefghijklmnop", ""},
		{"nothing", keyA, `{"error":{"message":"Invalid API key.","type":"authentication_error"}}`, ""},
		{"empty", keyA, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form, found := redact.New(tt.secret).Find(tt.in)
			assert.Equal(t, tt.form != "", found)
			assert.Equal(t, tt.form, form)
			if found {
				assert.NotContains(t, form, tt.secret[:4], "the form never quotes the secret")
			}
		})
	}
	form, found := (*redact.Redactor)(nil).Find(keyA)
	assert.False(t, found, form)
	form, found = redact.New().Find(keyA)
	assert.False(t, found, form)
}

// TestRedactorStringLeavesSecretFreeTextAlone is a property: text built
// from words, numbers, ids, hex and base64 of random bytes, escapes,
// entities, zero-width and spaced-out characters, none of it made from a
// secret, comes out of a Redactor with secrets exactly as out of one
// without (which applies the shape heuristics only), and Find finds
// nothing in it.
func TestRedactorStringLeavesSecretFreeTextAlone(t *testing.T) {
	secrets := []string{keyA, hsSecret, ampSecret, "sk-test-echo-0123456789", "Q9x7Z2w"}
	with, without := redact.New(secrets...), redact.New()
	rng := rand.New(rand.NewPCG(1, 2))
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	words := strings.Fields(`the token status exhausted project key secret password invalid request error
		rate limit model not found Bearer Basic api_key sk-proj TokenStatusExhausted quota billing
		{"error": "message" : , null true 401 429 500 https://api.example.com/v1/chat/completions?x=1
		caf\u00e9 \u2014 &amp; &lt;b&gt; %20 %2F \n \t \"`)
	pieces := []func() string{
		func() string { return words[rng.IntN(len(words))] },
		func() string { return strconv.Itoa(rng.IntN(1 << 30)) },
		func() string { return hex.EncodeToString(randomBytes(1 + rng.IntN(32))) },
		func() string { return base64.StdEncoding.EncodeToString(randomBytes(1 + rng.IntN(48))) },
		func() string { return base64.RawURLEncoding.EncodeToString(randomBytes(1 + rng.IntN(48))) },
		func() string { return pctEncode(string(randomBytes(1 + rng.IntN(12)))) },
		func() string { return uEscape(string(randomBytes(1+rng.IntN(12))), func(int) bool { return true }) },
		func() string { return entities(strconv.Itoa(rng.IntN(1<<30)), "&#%d;") },
		func() string { return interleave(strconv.FormatInt(rng.Int64(), 36), " ") },
		func() string { return interleave(strconv.FormatInt(rng.Int64(), 36), "\u200b") },
		func() string { return reverse(strconv.FormatInt(rng.Int64(), 36)) },
		func() string { return fmt.Sprintf("req_%016x", rng.Uint64()) },
	}
	for i := 0; i < 2000; i++ {
		var b strings.Builder
		for n := rng.IntN(40); n >= 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))]())
			b.WriteString([]string{" ", "", "\n", `","`, "/", "_"}[rng.IntN(6)])
		}
		text := strings.ToValidUTF8(b.String(), "?")
		require.Equal(t, without.String(text), with.String(text), "text %q", text)
		form, found := with.Find(text)
		require.False(t, found, "found %s in %q", form, text)
	}
}

// TestRedactorStringIsLinear: 1 MiB of the inputs that would make a naive
// scanner quadratic (runs that never close, escapes, hits everywhere,
// labels and shapes that never complete) is redacted in well under a
// second.
func TestRedactorStringIsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("1 MiB inputs")
	}
	r := redact.New(keyA, hsSecret, ampSecret, "sk-test-0000000001")
	inputs := map[string]string{
		"spaced letters":    "a b ",
		"percent escapes":   "%41",
		"JSON escapes":      `\u0041`,
		"backslashes":       `\\`,
		"entities":          "&#65;&amp;",
		"zero-width":        "\u200b",
		"the secret":        keyA,
		"the secret spaced": interleave(keyA, " ") + " ",
		"its base64":        base64.StdEncoding.EncodeToString([]byte(keyA)),
		"its hex":           hex.EncodeToString([]byte(keyA)),
		"weak windows":      "sk-test-00000000",
		"labels":            "token=",
		"JWT starts":        "eyJa-",
		"URL starts":        "a://b",
		"labelled values":   "Bearer abcdefgh1 ",
		"redacted":          "[REDACTED]",
	}
	for name, unit := range inputs {
		in := strings.Repeat(unit, (1<<20)/len(unit)+1)[:1<<20]
		start := time.Now()
		_ = r.String(in)
		_, _ = r.Find(in)
		// Linear: about 0.2 s per input; under -race on a loaded 2-core
		// machine the whole test took up to about 100 s for its dozen
		// inputs. A quadratic scan of 1 MiB would take hours.
		assert.Less(t, time.Since(start), 2*time.Minute, name)
	}
}

// BenchmarkRedactorFind: the no-secret-echo rule's cost per response, a
// detector built for one credential and run over a 1 MiB body.
func BenchmarkRedactorFind(b *testing.B) {
	body := benchText(1 << 20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, found := redact.New(keyA).Find(body); found {
			b.Fatal("found a secret that is not there")
		}
	}
}

func TestRedactorStringBase64InAPathKeepsTheHost(t *testing.T) {
	in := "https://h/v1/files/" + base64.StdEncoding.EncodeToString([]byte(keyA)) + "/content"
	assert.Equal(t, "https://h/v1/files/[REDACTED]/content", redact.New(keyA).String(in))
}

// A key echoed as a response header's name is redacted too.
func TestHeaderNamesAreRedacted(t *testing.T) {
	const key = "sk-header-name-Zq81mX0vPa77"
	h := http.Header{}
	h[key] = []string{"1"}
	h["X-Ok"] = []string{"fine"}
	out := redact.New(key).Header(h)
	for name := range out {
		assert.NotContains(t, name, "Zq81mX0v")
	}
	assert.Equal(t, []string{"fine"}, out["X-Ok"])
}

// Credentials errconform crafted survive redaction where asked; configured
// secrets, and a crafted string holding one, never do.
func TestStringKeeping(t *testing.T) {
	const key = "sk-proj-Zq81mX0vPa77LkTTx9"
	r := redact.New(key)
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlcnJjb25mb3JtIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
	text := "Authorization: Bearer " + jwt + " and " + key
	assert.Equal(t, "Authorization: Bearer [REDACTED] and [REDACTED]", r.String(text))
	assert.Equal(t, "Authorization: Bearer "+jwt+" and [REDACTED]", r.StringKeeping(text, jwt))
	shaped := "sk-proj-AAAAbbbbCCCCddddEEEE12"
	assert.Equal(t, "key "+shaped, r.StringKeeping("key "+shaped, shaped), "a key shaped like the configured one shares only its public prefix")
	holdsKey := "x" + key[10:]
	assert.NotContains(t, r.StringKeeping("key "+holdsKey, holdsKey), key[10:])
}

// StringKeeping with many keep strings, overlapping ones, and text that
// holds the placeholders' characters: the kept strings come back exactly,
// the secret never does, and a text holding every marker keeps nothing.
func TestStringKeepingManyAndOverlapping(t *testing.T) {
	const key = "sk-proj-Zq81mX0vPa77LkTTx9"
	r := redact.New(key)
	jwt := func(i int) string {
		return fmt.Sprintf("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0YXJnZXQt%04d.c2lnbmF0dXJlc2lnbmF0dXJl", i)
	}
	var keep []string
	var text strings.Builder
	for i := range 2000 { // a fleet's worth: one pass, not one per string
		keep = append(keep, jwt(i), jwt(i)) // duplicates too
		fmt.Fprintf(&text, "Bearer %s key %s\n", jwt(i), key)
	}
	out := r.StringKeeping(text.String(), keep...)
	assert.Equal(t, 2000, strings.Count(out, "eyJzdWIiOiJ0YXJnZXQt"), "every kept credential is there")
	assert.Equal(t, 2000, strings.Count(out, redact.Redacted))
	assert.NotContains(t, out, key[8:])

	long, short := jwt(1)+"ZZ", jwt(1)
	tests := []struct{ name, text, want string }{
		{"the longer of two overlapping keeps wins", "a " + long + " b " + short, "a " + long + " b " + short},
		{"a text holding the first marker", "\uE000 " + short + " \uE0000\uE000", "\uE000 " + short + " \uE0000\uE000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, r.StringKeeping(tt.text, short, long))
		})
	}
	var every strings.Builder
	for c := rune(0xE000); c <= 0xF8FF; c++ {
		every.WriteRune(c)
	}
	assert.Equal(t, every.String()+" "+redact.Redacted, r.StringKeeping(every.String()+" "+short, short), "no marker left: nothing is kept")
}

func TestRedactorCacheBuildsOncePerSecret(t *testing.T) {
	var c redact.Cache
	a := c.For("sk-cache-0123456789abcdef")
	assert.Same(t, a, c.For("sk-cache-0123456789abcdef"), "one detector per secret")
	assert.NotSame(t, a, c.For("sk-cache-fedcba9876543210"))
	for i := range 1000 {
		c.For(fmt.Sprintf("sk-cache-%032d", i)) // stays bounded
	}
	_, found := c.For("sk-cache-0123456789abcdef").Find("key sk-cache-0123456789abcdef here")
	assert.True(t, found)
}
