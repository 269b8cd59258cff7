package probe_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/probe"
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
			name:    "case sensitive match only",
			secrets: []string{"Q9x7Z2w"},
			in:      "q9x7z2w",
			want:    "q9x7z2w",
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
			got := probe.NewRedactor(tt.secrets...).String(tt.in)
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
			assert.Equal(t, tt.want, probe.NewRedactor().String(tt.in))
			assert.Equal(t, tt.want, probe.NewRedactor("unrelated-secret").String(tt.in))
		})
	}
}

func TestRedactorStringLeavesOrdinaryTextAlone(t *testing.T) {
	r := probe.NewRedactor("Q9x7Z2w")
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
	r := probe.NewRedactor("Q9x7Z2w")
	in := "Q9x7Z2w Bearer abcdefgh12345678 " + jwtSample + " sk-abcdefgh12"
	once := r.String(in)
	assert.Equal(t, once, r.String(once))
}

func TestNilRedactor(t *testing.T) {
	var r *probe.Redactor
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
	r := probe.NewRedactor(secret)
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
	out := probe.NewRedactor().Header(in)
	require.NotNil(t, out)
	out.Set("X-A", "2")
	assert.Equal(t, "1", in.Get("X-A"))
	assert.NotNil(t, probe.NewRedactor().Header(nil))
}

// Known bug: redactHeaderValue keeps the first word of a sensitive header
// as an "auth scheme" without checking it against the configured secrets,
// so a key sent without a scheme but followed by a space leaks.
func TestRedactorHeaderSchemeSlotLeak(t *testing.T) {
	const secret = "a1b2c3d4"
	got := probe.NewRedactor(secret).Header(http.Header{
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
	r := probe.NewRedactor("abc12345", "c12345xyz")
	assert.Equal(t, "key [REDACTED] end", r.String("key abc12345xyz end"))
	assert.Equal(t, "[REDACTED] and [REDACTED]", r.String("abc12345 and c12345xyz"))
}
