package probe_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/errconform/errconform/probe"
)

const (
	fuzzMaxBody = 4096
	fuzzTimeout = 2 * time.Second
)

// fuzzAnswer is what the fuzz server sends for one input.
type fuzzAnswer struct {
	status      int
	headerName  string
	headerValue string
	body        []byte
	gzipIt      bool
}

// fuzzAnswers maps a request path to its answer: each fuzz call registers
// its input under a fresh path, so calls never see each other's input.
type fuzzAnswers struct {
	mu   sync.Mutex
	byID map[string]fuzzAnswer
	next atomic.Int64
}

func (a *fuzzAnswers) register(ans fuzzAnswer) (path string, unregister func()) {
	id := strconv.FormatInt(a.next.Add(1), 10)
	a.mu.Lock()
	a.byID[id] = ans
	a.mu.Unlock()
	return "/fuzz/" + id, func() {
		a.mu.Lock()
		delete(a.byID, id)
		a.mu.Unlock()
	}
}

func (a *fuzzAnswers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	ans, ok := a.byID[strings.TrimPrefix(r.URL.Path, "/v1/fuzz/")]
	a.mu.Unlock()
	if !ok {
		http.Error(w, "no such fuzz input", http.StatusTeapot)
		return
	}
	body := ans.body
	if ans.gzipIt {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	// One fuzzed header, when Go would put it on the wire as given.
	if httpguts.ValidHeaderFieldName(ans.headerName) && httpguts.ValidHeaderFieldValue(ans.headerValue) {
		w.Header().Set(ans.headerName, ans.headerValue)
	}
	status := ans.status
	if status < 200 {
		// An informational response first (Go's server sends 1xx at once),
		// then a final one: a 1xx can never end an HTTP/1.1 exchange.
		w.WriteHeader(http.StatusEarlyHints)
		status += 100
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // refused for 204 and 304, or past a fuzzed Content-Length
}

// fuzzServerStatus clamps any int to a status Go's server will send: 100..599.
func fuzzServerStatus(n int) int {
	if n >= 100 && n <= 599 {
		return n
	}
	if n < 0 {
		n = -(n + 1)
	}
	return 100 + n%500
}

// FuzzReadResponse serves arbitrary statuses, headers and bodies (gzip
// compressed or not) from one 127.0.0.1 server per fuzz process: Do never
// panics, always returns within its timeout, and never keeps more than
// MaxBody bytes of body. The seed corpus is in testdata/fuzz/FuzzReadResponse.
func FuzzReadResponse(f *testing.F) {
	answers := &fuzzAnswers{byID: map[string]fuzzAnswer{}}
	srv := httptest.NewServer(answers)
	f.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		f.Fatalf("the fuzz server must listen on 127.0.0.1, got %s", srv.URL)
	}
	client, err := probe.New(probe.Options{BaseURL: srv.URL + "/v1", Timeout: fuzzTimeout, MaxBody: fuzzMaxBody})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(client.Close)

	f.Add(401, "Content-Type", "application/json", []byte(`{"error":{"message":"Invalid API key provided.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`), false)
	f.Fuzz(func(t *testing.T, status int, headerName, headerValue string, body []byte, gzipIt bool) {
		path, unregister := answers.register(fuzzAnswer{status: fuzzServerStatus(status), headerName: headerName, headerValue: headerValue, body: body, gzipIt: gzipIt})
		defer unregister()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		ex := client.Do(ctx, probe.Request{Method: http.MethodGet, Path: path})
		wall := time.Since(start)
		if ex.Response != nil {
			t.Logf("status %d, %d body bytes (truncated %t), failure %q %s, in %s", ex.Response.Status, len(ex.Response.Body), ex.Response.Truncated, ex.Failure, ex.Err, wall)
		} else {
			t.Logf("no response: failure %q %s, in %s", ex.Failure, ex.Err, wall)
		}

		// The timeout is honoured: 10x headroom, as a busy machine needs.
		if wall >= 10*fuzzTimeout || ex.Duration >= 10*fuzzTimeout {
			t.Errorf("Do took %s (recorded %s), past the %s timeout", wall, ex.Duration, fuzzTimeout)
		}
		if ex.Response != nil {
			if n := len(ex.Response.Body); n > fuzzMaxBody {
				t.Errorf("kept %d body bytes, over the %d-byte bound", n, fuzzMaxBody)
			}
			if ex.Response.Truncated && len(ex.Response.Body) != fuzzMaxBody {
				t.Errorf("truncated, yet kept %d bytes instead of the bound %d", len(ex.Response.Body), fuzzMaxBody)
			}
		}
		if ex.Response == nil && ex.Failure == probe.FailureNone {
			t.Errorf("no response and no failure recorded: %+v", ex)
		}
		if ex.Failure != probe.FailureNone && strings.TrimSpace(ex.Err) == "" {
			t.Errorf("failure %q without words for it", ex.Failure)
		}
		if ex.Failure == probe.FailureUnreachable || ex.Failure == probe.FailureCancelled || ex.Failure == probe.FailureBudget {
			t.Errorf("a listening server that answered was recorded as %q: %s", ex.Failure, ex.Err)
		}
	})
}

// TestDoEmptyGzipBodyIsNotBroken: a 204 (or 304) has no body by definition,
// and may still carry Content-Encoding: gzip (it describes the
// representation). FuzzReadResponse's no-content seed meets it.
func TestDoEmptyGzipBodyIsNotBroken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	client, err := probe.New(probe.Options{BaseURL: srv.URL + "/v1", Timeout: fuzzTimeout, MaxBody: fuzzMaxBody})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	ex := client.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/models"})
	if ex.Response == nil || ex.Response.Status != http.StatusNoContent {
		t.Fatalf("want the 204 recorded, got %+v", ex)
	}
	if ex.Failure != probe.FailureNone || len(ex.Response.Body) != 0 {
		t.Errorf("an empty 204 is a complete response, got failure %q: %s", ex.Failure, ex.Err)
	}
}

// TestDoRunCancelledWithCauseIsCancelled: Ginkgo cancels the SpecContext with
// a cause ("suite timeout occurred") when --deadline passes, and net/http
// returns that cause, not context.Canceled: the exchange is still
// errconform giving up (cancelled), never a broken target.
func TestDoRunCancelledWithCauseIsCancelled(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(func() { close(release); srv.CloseClientConnections(); srv.Close() })
	client, err := probe.New(probe.Options{BaseURL: srv.URL + "/v1", Timeout: fuzzTimeout, MaxBody: fuzzMaxBody})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(errors.New("suite timeout occurred")) })
	ex := client.Do(ctx, probe.Request{Method: http.MethodGet, Path: "/models"})
	if ex.Failure != probe.FailureCancelled {
		t.Errorf("a run cancelled with a cause is errconform giving up, got failure %q: %s", ex.Failure, ex.Err)
	}
}

// fuzzForms are the forms FuzzRedact embeds a secret in.
var fuzzForms = []struct {
	name string
	enc  func(secret string, pick uint8) string
}{
	{"verbatim", func(s string, _ uint8) string { return s }},
	{"upper case", func(s string, _ uint8) string { return strings.ToUpper(s) }},
	{"lower case", func(s string, _ uint8) string { return strings.ToLower(s) }},
	{"mixed case", func(s string, pick uint8) string {
		b := []byte(s)
		for i := range b {
			if (i+int(pick))%3 == 0 {
				b[i] ^= 0x20 * byte(boolInt(b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z'))
			}
		}
		return string(b)
	}},
	{"base64", func(s string, pick uint8) string {
		encs := []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}
		pad := strings.Repeat("\x00", int(pick>>2)%3) // the secret at byte alignment 0, 1 or 2
		return encs[pick%4].EncodeToString([]byte(pad + s + pad))
	}},
	{"hex", func(s string, pick uint8) string {
		if pick&1 == 1 {
			return strings.ToUpper(hex.EncodeToString([]byte(s)))
		}
		return hex.EncodeToString([]byte(s))
	}},
	{"percent-encoded", func(s string, _ uint8) string { return pctEncode(s) }},
	{"JSON \\u escapes", func(s string, pick uint8) string {
		return uEscape(s, func(i int) bool { return pick == 0 || (i+1)%int(pick) == 0 })
	}},
	{"HTML entities", func(s string, pick uint8) string {
		switch pick % 3 {
		case 0:
			return entities(s, "&#%d;")
		case 1:
			return entities(s, "&#x%x;")
		}
		return html.EscapeString(s)
	}},
	{"reversed", func(s string, _ uint8) string { return reverse(s) }},
	{"spaced", func(s string, pick uint8) string {
		seps := []string{" ", ".", "-", "_", "\t", "\u00a0", "/", "·"}
		return interleave(s, seps[int(pick)%len(seps)])
	}},
	{"zero-width split", func(s string, pick uint8) string {
		zws := []string{"\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"}
		return interleave(s, zws[int(pick)%len(zws)])
	}},
}

// partlyEscaped: the forms that escape some characters of a secret and
// not others (or, spaced, may put a separator after a backslash). Where
// the secret holds escapes itself ("%41", "\\n", "&amp;"), the text
// then decodes neither to the secret nor to the secret decoded.
func partlyEscaped(name string, pick uint8) bool {
	return name == "spaced" || (name == "JSON \\u escapes" && pick != 0) || (name == "HTML entities" && pick%3 == 2)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fuzzSecretOK: printable ASCII without brackets (so it cannot spell
// Redacted), 8 to 64 characters, at least 4 distinct.
func fuzzSecretOK(s string) bool {
	if len(s) < probe.FragmentLen || len(s) > 64 || strings.ContainsAny(s, "[]") {
		return false
	}
	seen := map[byte]bool{}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
		seen[s[i]] = true
	}
	return len(seen) >= 4
}

var keyPrefix = regexp.MustCompile(`(?i)^((sk|pk|rk)[-_]|github_pat_)`)

// fragmentCounts: a fragment of 8 or more characters is redacted when an
// 8-character window of it has 4 distinct characters (a key type's public
// prefix such as "sk-proj-" aside), or when no window of the secret would.
func fragmentCounts(secret, fragment string) bool {
	distinct := func(w string) bool {
		seen := map[byte]bool{}
		for i := 0; i < len(w); i++ {
			seen[lower(w[i])] = true
		}
		return len(seen) >= 4
	}
	anyCounts := false
	for i := 0; i+8 <= len(secret); i++ {
		anyCounts = anyCounts || distinct(secret[i:i+8])
	}
	if !anyCounts {
		return true
	}
	if keyPrefix.MatchString(secret) {
		return false // the fuzz target does not model the prefix length
	}
	for i := 0; i+8 <= len(fragment); i++ {
		if distinct(fragment[i : i+8]) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// sharesWindow over-approximates "s holds the secret in some form": any
// 6 characters in common, case-insensitively, between views of s (as is,
// HTML-, percent- and backslash-unescaped, with everything but letters and
// digits dropped) and forms of the secret (as is, reversed, hex, base64 in
// both alphabets at every alignment, the same stripped).
func sharesWindow(s, secret string) bool {
	const n = 6
	strip := func(v string) string {
		return strings.Map(func(r rune) rune {
			if r < 0x80 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return r
			}
			return -1
		}, v)
	}
	views := []string{s, html.UnescapeString(s), percentDecode(s), backslashDecode(s)}
	views = append(views, backslashDecode(percentDecode(html.UnescapeString(s))))
	for _, v := range views[:len(views):len(views)] {
		views = append(views, strip(v))
	}
	forms := []string{secret, reverse(secret), hex.EncodeToString([]byte(secret))}
	for a := 0; a < 3; a++ {
		pad := strings.Repeat("\x00", a)
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(pad+secret)), base64.URLEncoding.EncodeToString([]byte(pad+secret)))
	}
	for _, f := range forms[:len(forms):len(forms)] {
		forms = append(forms, strip(f))
	}
	for _, v := range views {
		v = strings.ToLower(v)
		for _, f := range forms {
			f = strings.ToLower(f)
			for i := 0; i+n <= len(f); i++ {
				if strings.Contains(v, f[i:i+n]) {
					return true
				}
			}
		}
	}
	return false
}

func percentDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func backslashDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch {
			case s[i+1] == 'u' && i+6 <= len(s):
				if v, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += 5
					continue
				}
			case s[i+1] == 'x' && i+4 <= len(s):
				if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
					b.WriteByte(byte(v))
					i += 3
					continue
				}
			default:
				b.WriteByte(s[i+1])
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// FuzzRedact embeds a secret in fuzzed text, in one of the forms above or
// as a fragment of 8 or more characters: Find finds it, String leaves none
// of it (and nothing Find would find), and redacting again changes
// nothing. The fuzzed text alone, when it shares nothing with the secret
// (sharesWindow), comes out exactly as from a Redactor without secrets.
func FuzzRedact(f *testing.F) {
	f.Add(`{"error":{"message":"Incorrect API key provided: `, `."}}`, "sk-proj-Xq7Lm9Tz2Rb4Wn8Kd3Vh", uint8(0), uint8(0), uint8(0), uint8(0))
	f.Add("Authorization: Basic ", "\r\n", "Tok3n-StatusQ7mZ9pLx", uint8(4), uint8(5), uint8(0), uint8(0))
	f.Add("key_", " rejected", "Tok3n-StatusQ7mZ9pLx", uint8(len(fuzzForms)), uint8(0), uint8(0), uint8(4))
	f.Add("TokenStatusExhausted ", "Bearer YOUR_API_KEY", "Tk9&Rq4<Mz7>Lp2", uint8(8), uint8(2), uint8(3), uint8(9))
	f.Add("a b c ", "\u200b%2", "a1b2c3d4", uint8(11), uint8(3), uint8(0), uint8(0))
	f.Add("0", "0", "00000127", uint8(4), uint8(0), uint8(96), uint8(0))    // an 8-byte secret's base64 has 10 whole characters
	f.Add("0", "0", "00000002%001", uint8(7), uint8(0), uint8(0), uint8(0)) // a secret holding an escape, \u-escaped
	f.Fuzz(func(t *testing.T, before, after, secret string, form, pick, from, length uint8) {
		if !fuzzSecretOK(secret) {
			t.Skip()
		}
		r := probe.NewRedactor(secret)
		var name, embedded string
		if int(form)%(len(fuzzForms)+1) == len(fuzzForms) {
			i := int(from) % (len(secret) - probe.FragmentLen + 1)
			j := i + probe.FragmentLen + int(length)%(len(secret)-i-probe.FragmentLen+1)
			name, embedded = "fragment", secret[i:j]
			if !fragmentCounts(secret, embedded) {
				t.Skip()
			}
		} else {
			ff := fuzzForms[int(form)%len(fuzzForms)]
			name, embedded = ff.name, ff.enc(secret, pick)
			if strings.ContainsAny(secret, `%\&`) && partlyEscaped(name, pick) {
				t.Skip("a secret holding escapes, partly escaped: a known gap")
			}
		}
		text := before + " " + embedded + " " + after
		if _, found := r.Find(text); !found {
			t.Fatalf("%s form %q not found in %q", name, embedded, text)
		}
		out := r.String(text)
		if strings.Contains(out, embedded) {
			t.Fatalf("%s form %q survived: %q", name, embedded, out)
		}
		if form, found := r.Find(out); found {
			t.Fatalf("%s form: the output %q still holds the secret (%s)", name, out, form)
		}
		if again := r.String(out); again != out {
			t.Fatalf("redacting twice changed %q into %q", out, again)
		}

		plain := before + " " + after
		if !sharesWindow(plain, secret) {
			if got, want := r.String(plain), probe.NewRedactor().String(plain); got != want {
				t.Fatalf("text without the secret changed: %q, want %q", got, want)
			}
			if form, found := r.Find(plain); found {
				t.Fatalf("found the secret (%s) in %q", form, plain)
			}
		}
	})
}
