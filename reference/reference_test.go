package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
)

const testGatewayTimeout = 50 * time.Millisecond

// The codes the default contract (aiand) gives the reference's errors. The
// tests spell them out rather than read them from the contract, so that
// they prove what the reference answers.
const (
	codeInvalidValue  = "invalid_value"
	codeContextLength = "context_length_exceeded"
	codeCapability    = "model_capability_mismatch"
	codeFileNotFound  = "file_not_found"
	codeFileExpired   = "file_expired"
	codeInvalidAPIKey = "invalid_api_key"
	codeRateLimit     = "rate_limit_exceeded"
	codeNoCredits     = "insufficient_credits"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type harness struct {
	contract *spec.Contract
	ref      *Server
	cfg      config.Config
	url      string
	clock    *clock
}

// newHarness serves a reference under the default contract.
func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	c, err := spec.Load()
	require.NoError(t, err)
	return newHarnessWith(t, c, opts)
}

// newHarnessWith serves a reference under contract c.
func newHarnessWith(t *testing.T, c *spec.Contract, opts Options) *harness {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.GatewayTimeout == 0 {
		opts.GatewayTimeout = testGatewayTimeout
	}
	ref := New(c, opts)
	srv := httptest.NewServer(ref) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	return &harness{contract: c, ref: ref, cfg: ref.Config(srv.URL + "/v1"), url: srv.URL, clock: clk}
}

type request struct {
	method      string
	path        string
	key         string  // sent as "Bearer <key>"; "" means the valid key
	auth        *string // the raw Authorization header, overriding key; "" omits it
	header      map[string]string
	body        string
	contentType string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (h *harness) do(t *testing.T, rq request) response {
	t.Helper()
	res, err := h.send(t.Context(), rq)
	require.NoError(t, err)
	return res
}

// send performs one request; it is safe to call from any goroutine.
func (h *harness) send(ctx context.Context, rq request) (response, error) {
	method := rq.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, h.url+rq.path, strings.NewReader(rq.body))
	if err != nil {
		return response{}, err
	}
	switch {
	case rq.auth != nil:
		if *rq.auth != "" {
			req.Header.Set("Authorization", *rq.auth)
		}
	case rq.key != "":
		req.Header.Set("Authorization", "Bearer "+rq.key)
	default:
		req.Header.Set("Authorization", "Bearer "+h.cfg.Auth.APIKey)
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	} else if rq.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: body}, err
}

// expectError checks a response against the contract; an empty code or param
// means null.
func (h *harness) expectError(t *testing.T, res response, status int, code, param string) map[string]any {
	t.Helper()
	require.Equal(t, status, res.status, "body: %s", res.body)
	assert.Equal(t, "application/json", res.header.Get("Content-Type"))
	var doc any
	dec := json.NewDecoder(bytes.NewReader(res.body))
	require.NoError(t, dec.Decode(&doc), "body: %s", res.body)
	require.ErrorIs(t, dec.Decode(new(any)), io.EOF, "data after the JSON document")
	require.NoError(t, h.contract.ValidateError(doc))
	e := doc.(map[string]any)["error"].(map[string]any)
	wantType, ok := h.contract.TypeFor(status)
	require.True(t, ok)
	assert.Equal(t, wantType, e["type"])
	msg, _ := e["message"].(string)
	assert.NotEmpty(t, strings.TrimSpace(msg))
	assert.Equal(t, orNull(code), e["code"], "code")
	assert.Equal(t, orNull(param), e["param"], "param")
	for _, secret := range h.cfg.Secrets() {
		assert.NotContains(t, string(res.body), secret, "the response echoes a credential")
	}
	for _, leak := range []string{"127.0.0.1", "goroutine", "panic", ".go:", "json:", "unexpected EOF"} {
		assert.NotContains(t, msg, leak)
	}
	return e
}

func ptr(s string) *string { return &s }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}

// chat builds a chat completion body for model with one user message
// carrying content, merged with extra fields.
func chat(t *testing.T, model string, content any, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"model": model, "messages": []any{map[string]any{"role": "user", "content": content}}}
	for k, v := range extra {
		body[k] = v
	}
	return mustJSON(t, body)
}

func (h *harness) jwt(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return token
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t, Options{})
	secret := []byte(h.cfg.Fixtures.JWTHS256Secret)
	future := h.clock.Now().Add(time.Hour).Unix()
	past := h.clock.Now().Add(-time.Hour).Unix()
	valid := h.jwt(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "ci", "exp": future})
	key := h.cfg.Auth.APIKey

	// Under the default contract every rejected credential is a 401; an
	// invalid JWT has no code, every other an invalid_api_key.
	const chatPath = "/v1/chat/completions"
	rejected := []struct {
		name string
		auth string
		path string
		code string
	}{
		{"missing header", "", chatPath, codeInvalidAPIKey},
		{"bare key without scheme", key, chatPath, codeInvalidAPIKey},
		{"basic scheme", "Basic " + key, chatPath, codeInvalidAPIKey},
		{"token scheme", "Token " + key, chatPath, codeInvalidAPIKey},
		{"bearer without token", "Bearer", chatPath, codeInvalidAPIKey},
		{"bearer with empty token", "Bearer ", chatPath, codeInvalidAPIKey},
		{"two tokens", "Bearer " + key + " " + key, chatPath, codeInvalidAPIKey},
		{"two spaces", "Bearer  " + key, chatPath, codeInvalidAPIKey},
		{"unknown key", "Bearer sk-ref-00000000000000000000000000000000", chatPath, codeInvalidAPIKey},
		{"truncated key", "Bearer " + key[:len(key)-1], chatPath, codeInvalidAPIKey},
		{"JWT with a bad signature", "Bearer " + h.jwt(t, jwt.SigningMethodHS256, []byte("not-the-secret"), jwt.MapClaims{"exp": future}), chatPath, ""},
		{"JWT with alg none", "Bearer " + h.jwt(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"exp": future}), chatPath, ""},
		{"expired JWT", "Bearer " + h.jwt(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": past}), chatPath, ""},
		{"JWT without exp", "Bearer " + h.jwt(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "ci"}), chatPath, ""},
		{"JWT with HS512", "Bearer " + h.jwt(t, jwt.SigningMethodHS512, secret, jwt.MapClaims{"exp": future}), chatPath, ""},
		{"tampered JWT", "Bearer " + tamperSignature(valid), chatPath, ""},
		{"unknown route without a key", "", "/v1/nope", codeInvalidAPIKey},
		{"unknown route with a bad key", "Bearer sk-nope", "/v1/nope", codeInvalidAPIKey},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			// A valid body: an invalid one makes it the
			// unauthenticated-invalid-body situation (TestUnauthenticatedInvalidBody).
			res := h.do(t, request{path: tc.path, auth: ptr(tc.auth), body: chat(t, h.cfg.Fixtures.Model, "hi", nil)})
			e := h.expectError(t, res, http.StatusUnauthorized, tc.code, "")
			if strings.Contains(tc.auth, ".") {
				assert.NotContains(t, e["message"], strings.TrimPrefix(tc.auth, "Bearer "))
			}
		})
	}

	t.Run("two Authorization headers", func(t *testing.T) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, h.url+"/v1/models", nil)
		require.NoError(t, err)
		req.Header.Add("Authorization", "Bearer "+key)
		req.Header.Add("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		h.expectError(t, response{status: res.StatusCode, header: res.Header, body: body}, http.StatusUnauthorized, codeInvalidAPIKey, "")
	})

	for _, tc := range []struct{ name, key, says string }{
		{"disabled key", h.cfg.Fixtures.DisabledAPIKey, "disabled"},
		{"expired key", h.cfg.Fixtures.ExpiredAPIKey, "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, body := range []string{chat(t, MainModel, "hi", nil), chat(t, MainModel, "hi", map[string]any{"stream": true}), "{not json"} {
				e := h.expectError(t, h.do(t, request{path: "/v1/chat/completions", key: tc.key, body: body}), http.StatusUnauthorized, codeInvalidAPIKey, "")
				assert.Contains(t, e["message"], tc.says, "the message says why the known key is refused")
			}
			h.expectError(t, h.do(t, request{method: http.MethodGet, path: "/v1/models", key: tc.key}), http.StatusUnauthorized, codeInvalidAPIKey, "")
		})
	}

	accepted := []struct{ name, auth string }{
		{"valid key", "Bearer " + key},
		{"lower-case scheme", "bearer " + key},
		{"upper-case scheme", "BEARER " + key},
		{"valid JWT", "Bearer " + valid},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do(t, request{path: "/v1/chat/completions", auth: ptr(tc.auth), body: chat(t, MainModel, "Hello!", nil)})
			require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		})
	}
}

func TestRouting(t *testing.T) {
	h := newHarness(t, Options{})
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/v1/nope"},
		{http.MethodGet, "/v1/chat/completions"},
		{http.MethodPut, "/v1/chat/completions"},
		{http.MethodPost, "/v1/models"},
		{http.MethodDelete, "/v1/models/" + MainModel},
		{http.MethodGet, "/v1/models/"},
		{http.MethodGet, "/v1/files"},
		{http.MethodPost, "/v1/files/file-abc"},
		{http.MethodDelete, "/v1/files/file-abc/content"},
		{http.MethodGet, "/v1/files/file-abc/other"},
		{http.MethodPost, "/chat/completions"},
		{http.MethodGet, "/"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res := h.do(t, request{method: tc.method, path: tc.path})
			e := h.expectError(t, res, http.StatusNotFound, "", "")
			assert.Contains(t, e["message"], tc.method+" "+tc.path)
		})
	}
	t.Run("the credential in the path is redacted", func(t *testing.T) {
		res := h.do(t, request{method: http.MethodGet, path: "/v1/" + h.cfg.Auth.APIKey})
		h.expectError(t, res, http.StatusNotFound, "", "")
	})
}

func TestChatValidation(t *testing.T) {
	h := newHarness(t, Options{})
	msg := func(m map[string]any) string {
		return mustJSON(t, map[string]any{"model": MainModel, "messages": []any{m}})
	}
	// Under the default contract every one is a 400: malformed bodies,
	// missing members and members of the wrong type have no code, invalid
	// values have invalid_value.
	for _, tc := range []struct {
		name, body, param, code string
	}{
		{"empty body", "", "", ""},
		{"whitespace body", "  \n", "", ""},
		{"malformed JSON", `{"model": "x",`, "", ""},
		{"trailing data", `{"model":"x","messages":[]} {}`, "", ""},
		{"trailing garbage", `{"model":"x"}x`, "", ""},
		{"array body", `[1,2]`, "", ""},
		{"string body", `"hello"`, "", ""},
		{"null body", `null`, "", ""},
		{"missing model", `{"messages":[{"role":"user","content":"hi"}]}`, "model", ""},
		{"null model", `{"model":null,"messages":[{"role":"user","content":"hi"}]}`, "model", ""},
		{"empty model", `{"model":"","messages":[{"role":"user","content":"hi"}]}`, "model", ""},
		{"numeric model", `{"model":42,"messages":[{"role":"user","content":"hi"}]}`, "model", ""},
		{"missing messages", `{"model":"openai/gpt-oss-120b"}`, "messages", ""},
		{"messages not an array", `{"model":"openai/gpt-oss-120b","messages":"Say ok."}`, "messages", ""},
		{"messages an object", `{"model":"openai/gpt-oss-120b","messages":{"role":"user"}}`, "messages", ""},
		{"empty messages", `{"model":"openai/gpt-oss-120b","messages":[]}`, "messages", codeInvalidValue},
		{"message not an object", `{"model":"openai/gpt-oss-120b","messages":["hi"]}`, "messages[0]", ""},
		{"unknown role", msg(map[string]any{"role": "wizard", "content": "hi"}), "messages[0].role", codeInvalidValue},
		{"missing role", msg(map[string]any{"content": "hi"}), "messages[0].role", ""},
		{"numeric role", msg(map[string]any{"role": 1, "content": "hi"}), "messages[0].role", ""},
		{"missing user content", msg(map[string]any{"role": "user"}), "messages[0].content", ""},
		{"numeric content", msg(map[string]any{"role": "user", "content": 3}), "messages[0].content", ""},
		{"empty parts", msg(map[string]any{"role": "user", "content": []any{}}), "messages[0].content", codeInvalidValue},
		{"unknown part type", msg(map[string]any{"role": "user", "content": []any{map[string]any{"type": "audio"}}}), "messages[0].content[0].type", codeInvalidValue},
		{"part without a type", msg(map[string]any{"role": "user", "content": []any{map[string]any{"text": "hi"}}}), "messages[0].content[0].type", ""},
		{"part with a numeric type", msg(map[string]any{"role": "user", "content": []any{map[string]any{"type": 1}}}), "messages[0].content[0].type", ""},
		{"part not an object", msg(map[string]any{"role": "user", "content": []any{"hi"}}), "messages[0].content[0]", ""},
		{"text part without text", msg(map[string]any{"role": "user", "content": []any{map[string]any{"type": "text"}}}), "messages[0].content[0].text", ""},
		{"text part with numeric text", msg(map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": 1}}}), "messages[0].content[0].text", ""},
		{"numeric file_id", msg(map[string]any{"role": "user", "content": []any{map[string]any{"type": "input_file", "file_id": 7}}}), "messages[0].content[0].file_id", ""},
		{"temperature too high", chat(t, MainModel, "hi", map[string]any{"temperature": 2.5}), "temperature", codeInvalidValue},
		{"temperature negative", chat(t, MainModel, "hi", map[string]any{"temperature": -0.1}), "temperature", codeInvalidValue},
		{"temperature a string", chat(t, MainModel, "hi", map[string]any{"temperature": "hot"}), "temperature", ""},
		{"top_p too high", chat(t, MainModel, "hi", map[string]any{"top_p": 1.5}), "top_p", codeInvalidValue},
		{"top_p a bool", chat(t, MainModel, "hi", map[string]any{"top_p": true}), "top_p", ""},
		{"max_tokens zero", chat(t, MainModel, "hi", map[string]any{"max_tokens": 0}), "max_tokens", codeInvalidValue},
		{"max_tokens negative", chat(t, MainModel, "hi", map[string]any{"max_tokens": -5}), "max_tokens", codeInvalidValue},
		{"max_tokens fractional", chat(t, MainModel, "hi", map[string]any{"max_tokens": 1.5}), "max_tokens", ""},
		{"max_tokens huge", chat(t, MainModel, "hi", map[string]any{"max_tokens": 1e9}), "max_tokens", codeInvalidValue},
		{"max_tokens a string", chat(t, MainModel, "hi", map[string]any{"max_tokens": "10"}), "max_tokens", ""},
		{"max_tokens a word", chat(t, MainModel, "hi", map[string]any{"max_tokens": "one"}), "max_tokens", ""},
		{"n zero", chat(t, MainModel, "hi", map[string]any{"n": 0}), "n", codeInvalidValue},
		{"n too large", chat(t, MainModel, "hi", map[string]any{"n": 129}), "n", codeInvalidValue},
		{"stream a string", chat(t, MainModel, "hi", map[string]any{"stream": "yes"}), "stream", ""},
		{"validation precedes model lookup", chat(t, "no/such-model", "hi", map[string]any{"n": 0}), "n", codeInvalidValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do(t, request{path: "/v1/chat/completions", body: tc.body})
			h.expectError(t, res, http.StatusBadRequest, tc.code, tc.param)
		})
	}

	t.Run("body over 8 MiB", func(t *testing.T) {
		big := chat(t, MainModel, strings.Repeat("a", maxBodyBytes), nil)
		res := h.do(t, request{path: "/v1/chat/completions", body: big})
		h.expectError(t, res, http.StatusBadRequest, codeInvalidValue, "")
	})

	t.Run("well-formed optional fields pass", func(t *testing.T) {
		body := mustJSON(t, map[string]any{
			"model": MainModel, "temperature": 0.7, "top_p": 1, "max_tokens": 1, "n": 1, "stream": false,
			"messages": []any{
				map[string]any{"role": "system", "content": "Be brief."},
				map[string]any{"role": "developer", "content": "Answer ok."},
				map[string]any{"role": "assistant", "content": nil},
				map[string]any{"role": "tool", "content": "42", "tool_call_id": "call_1"},
				map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "hi"}}},
			},
		})
		res := h.do(t, request{path: "/v1/chat/completions", body: body})
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	})
}

func TestChatOutcomes(t *testing.T) {
	h := newHarness(t, Options{})
	fx := h.cfg.Fixtures
	image := []any{map[string]any{"type": "text", "text": "What is this?"},
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/a.png"}}}
	video := []any{map[string]any{"type": "video_url", "video_url": map[string]any{"url": "https://example.com/a.mp4"}}}
	fileRef := func(id string) []any {
		return []any{map[string]any{"type": "file", "file": map[string]any{"file_id": id}}}
	}
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("a ", n)) } // n tokens: more words than bytes/4

	for _, tc := range []struct {
		name   string
		key    string
		header map[string]string
		body   string
		status int
		code   string
		param  string
	}{
		{name: "unknown model", body: chat(t, "no/such-model", "hi", nil), status: 404, param: "model"},
		{name: "restricted model", key: fx.RestrictedAPIKey, body: chat(t, fx.RestrictedModel, "hi", nil), status: 403, param: "model"},
		{name: "no credits", key: fx.NoCreditsAPIKey, body: chat(t, fx.Model, "hi", nil), status: 402, code: codeNoCredits},
		{name: "image to a text-only model", body: chat(t, fx.TextOnlyModel, image, nil), status: 400, code: codeCapability, param: "messages"},
		{name: "video to a text-only model", body: chat(t, fx.TextOnlyModel, video, nil), status: 400, code: codeCapability, param: "messages"},
		{name: "file to a text-only model", body: chat(t, fx.TextOnlyModel, fileRef(fx.ForeignFileID), nil), status: 400, code: codeCapability, param: "messages"},
		{name: "unknown file", body: chat(t, fx.Model, fileRef("file-nope"), nil), status: 404, code: codeFileNotFound},
		{name: "foreign file", body: chat(t, fx.Model, fileRef(fx.ForeignFileID), nil), status: 404, code: codeFileNotFound},
		{name: "expired file", body: chat(t, fx.Model, fileRef(fx.ExpiredFileID), nil), status: 410, code: codeFileExpired},
		{name: "input_file expired", body: chat(t, fx.Model, []any{map[string]any{"type": "input_file", "file_id": fx.ExpiredFileID}}, nil), status: 410, code: codeFileExpired},
		{name: "prompt over the context window", body: chat(t, fx.Model, words(fx.ContextWindow+1), nil), status: 400, code: codeContextLength, param: "messages"},
		{name: "long bytes over the context window", body: chat(t, fx.Model, strings.Repeat("x", 4*fx.ContextWindow+4), nil), status: 400, code: codeContextLength, param: "messages"},
		{name: "prompt plus max_tokens over the window", body: chat(t, fx.Model, words(100), map[string]any{"max_tokens": fx.ContextWindow - 99}), status: 400, code: codeContextLength, param: "messages"},
		{name: "unreachable upstream", body: chat(t, fx.UnreachableModel, "hi", nil), status: 502},
		{name: "internal fault", header: map[string]string{"X-Fault": "500"}, body: chat(t, fx.Model, "hi", nil), status: 500},
		{name: "internal fault on models", header: map[string]string{"X-Fault": "500"}, status: 500},
		{name: "error to a streaming request is JSON", body: chat(t, "no/such-model", "hi", map[string]any{"stream": true}), status: 404, param: "model"},
		{name: "rate-limited upstream", body: chat(t, fx.UpstreamRateLimitedModel, "hi", nil), status: 429},
		{name: "rate-limited upstream, streaming", body: chat(t, fx.UpstreamRateLimitedModel, "hi", map[string]any{"stream": true}), status: 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rq := request{path: "/v1/chat/completions", key: tc.key, header: tc.header, body: tc.body}
			if tc.body == "" {
				rq.method, rq.path = http.MethodGet, "/v1/models"
			}
			res := h.do(t, rq)
			h.expectError(t, res, tc.status, tc.code, tc.param)
			if tc.status == http.StatusTooManyRequests {
				assert.Equal(t, "1", res.header.Get("Retry-After"))
			}
		})
	}

	ok := []struct{ name, key, body string }{
		{"restricted key, other model", fx.RestrictedAPIKey, chat(t, fx.Model, "hi", nil)},
		{"valid key, restricted model", "", chat(t, fx.RestrictedModel, "hi", nil)},
		{"image to the main model", "", chat(t, fx.Model, image, nil)},
		{"prompt at the context window", "", chat(t, fx.Model, words(fx.ContextWindow-1), map[string]any{"max_tokens": 1})},
		{"other fault values are ignored", "", chat(t, fx.Model, "hi", nil)},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do(t, request{path: "/v1/chat/completions", key: tc.key, body: tc.body, header: map[string]string{"X-Fault": "none"}})
			require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		})
	}

	t.Run("completion", func(t *testing.T) {
		res := h.do(t, request{path: "/v1/chat/completions", body: chat(t, fx.Model, "Hello!", map[string]any{"max_tokens": 1})})
		require.Equal(t, http.StatusOK, res.status)
		assert.Equal(t, "application/json", res.header.Get("Content-Type"))
		var c struct {
			Object  string `json:"object"`
			Model   string `json:"model"`
			Choices []struct {
				Message struct{ Role, Content string } `json:"message"`
			} `json:"choices"`
		}
		require.NoError(t, json.Unmarshal(res.body, &c))
		assert.Equal(t, "chat.completion", c.Object)
		assert.Equal(t, fx.Model, c.Model)
		require.Len(t, c.Choices, 1)
		assert.Equal(t, "assistant", c.Choices[0].Message.Role)
		assert.Equal(t, "ok", c.Choices[0].Message.Content)
	})

	t.Run("stream", func(t *testing.T) {
		res := h.do(t, request{path: "/v1/chat/completions", body: chat(t, fx.Model, "Hello!", map[string]any{"stream": true})})
		require.Equal(t, http.StatusOK, res.status)
		assert.Equal(t, "text/event-stream", res.header.Get("Content-Type"))
		events := strings.Split(strings.TrimSpace(string(res.body)), "\n\n")
		require.Len(t, events, 2)
		assert.Equal(t, "data: [DONE]", events[1])
		var chunk map[string]any
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(events[0], "data: ")), &chunk))
		assert.Equal(t, "chat.completion.chunk", chunk["object"])
	})
}

func TestGatewayTimeout(t *testing.T) {
	h := newHarness(t, Options{GatewayTimeout: testGatewayTimeout})
	start := time.Now()
	res := h.do(t, request{path: "/v1/chat/completions", body: chat(t, h.cfg.Fixtures.SlowModel, "hi", nil)})
	elapsed := time.Since(start)
	h.expectError(t, res, http.StatusGatewayTimeout, "", "")
	assert.GreaterOrEqual(t, elapsed, testGatewayTimeout)
	assert.Less(t, elapsed, testGatewayTimeout+10*time.Second, "answered at its gateway timeout, not never (headroom for a busy machine)")
	assert.Equal(t, testGatewayTimeout, h.cfg.Target.GatewayTimeout.Std())
}

func TestRateLimit(t *testing.T) {
	const limit = 3
	h := newHarness(t, Options{RateLimit: limit, RateWindow: time.Minute})
	key := h.cfg.Fixtures.RateLimitedAPIKey
	models := request{method: http.MethodGet, path: "/v1/models", key: key}
	for i := 0; i < limit; i++ {
		require.Equal(t, http.StatusOK, h.do(t, models).status, "request %d", i+1)
	}
	h.clock.Advance(15 * time.Second)
	res := h.do(t, request{path: "/v1/chat/completions", key: key, body: chat(t, MainModel, "hi", nil)})
	h.expectError(t, res, http.StatusTooManyRequests, codeRateLimit, "")
	assert.Equal(t, "45", res.header.Get("Retry-After"))

	// Other keys are not counted.
	assert.Equal(t, http.StatusOK, h.do(t, request{method: http.MethodGet, path: "/v1/models"}).status)

	h.clock.Advance(44*time.Second + 500*time.Millisecond)
	assert.Equal(t, "1", h.do(t, models).header.Get("Retry-After"), "Retry-After is at least 1")

	h.clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, h.do(t, models).status, "a new window admits the key again")
}

func TestRateLimitBurstFixture(t *testing.T) {
	h := newHarness(t, Options{})
	key := h.cfg.Fixtures.RateLimitedAPIKey
	var statuses []int
	for i := 0; i < h.cfg.Fixtures.RateLimitBurst; i++ {
		statuses = append(statuses, h.do(t, request{method: http.MethodGet, path: "/v1/models", key: key}).status)
	}
	assert.Contains(t, statuses, http.StatusTooManyRequests)
	assert.Equal(t, http.StatusOK, statuses[0])
}

func TestModels(t *testing.T) {
	h := newHarness(t, Options{})
	fx := h.cfg.Fixtures

	res := h.do(t, request{method: http.MethodGet, path: "/v1/models"})
	require.Equal(t, http.StatusOK, res.status)
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID            string `json:"id"`
			ContextWindow int    `json:"context_window"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(res.body, &list))
	assert.Equal(t, "list", list.Object)
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	assert.Subset(t, ids, []string{fx.Model, fx.TextOnlyModel, fx.RestrictedModel, fx.UnreachableModel, fx.SlowModel})

	res = h.do(t, request{method: http.MethodGet, path: "/v1/models/" + fx.Model})
	require.Equal(t, http.StatusOK, res.status)
	var m struct {
		ID            string `json:"id"`
		ContextWindow int    `json:"context_window"`
	}
	require.NoError(t, json.Unmarshal(res.body, &m))
	assert.Equal(t, fx.Model, m.ID)
	assert.Equal(t, fx.ContextWindow, m.ContextWindow)

	h.expectError(t, h.do(t, request{method: http.MethodGet, path: "/v1/models/no/such-model"}), 404, "", "model")
	h.expectError(t, h.do(t, request{method: http.MethodGet, path: "/v1/models/" + fx.RestrictedModel, key: fx.RestrictedAPIKey}), 403, "", "model")
	assert.Equal(t, http.StatusOK, h.do(t, request{method: http.MethodGet, path: "/v1/models/" + fx.RestrictedModel}).status)
}

type formPart struct {
	name, filename, contentType, value string
}

func multipartBody(t *testing.T, parts ...formPart) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		hdr := textproto.MIMEHeader{}
		disposition := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disposition += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		hdr.Set("Content-Disposition", disposition)
		if p.contentType != "" {
			hdr.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(hdr)
		require.NoError(t, err)
		_, err = io.WriteString(w, p.value)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return buf.String(), mw.FormDataContentType()
}

func TestFileUploadValidation(t *testing.T) {
	h := newHarness(t, Options{})
	purpose := formPart{name: "purpose", value: "assistants"}
	file := formPart{name: "file", filename: "notes.txt", contentType: "text/plain", value: "hello"}
	for _, tc := range []struct {
		name        string
		parts       []formPart
		contentType string // overrides the multipart content type
		body        string // overrides the multipart body
		key         string
		status      int
		code, param string
	}{
		{name: "JSON instead of multipart", contentType: "application/json", body: `{"purpose":"assistants"}`, status: 400},
		{name: "no content type", contentType: "-", body: "x", status: 400},
		{name: "multipart without boundary", contentType: "multipart/form-data", body: "x", status: 400},
		{name: "broken multipart", contentType: "multipart/form-data; boundary=zzz", body: "--zzz\r\nbroken", status: 400},
		{name: "missing purpose", parts: []formPart{file}, status: 400, param: "purpose"},
		{name: "empty purpose", parts: []formPart{{name: "purpose"}, file}, status: 400, param: "purpose"},
		{name: "unknown purpose", parts: []formPart{{name: "purpose", value: "fun"}, file}, status: 400, code: codeInvalidValue, param: "purpose"},
		{name: "missing file", parts: []formPart{purpose}, status: 400, param: "file"},
		{name: "unsupported mime type", parts: []formPart{purpose, {name: "file", filename: "a.exe", contentType: "application/x-msdownload", value: "MZ"}}, status: 400, code: codeInvalidValue, param: "file"},
		{name: "file part without a type", parts: []formPart{purpose, {name: "file", filename: "a.txt", value: "hi"}}, status: 400, code: codeInvalidValue, param: "file"},
		{name: "upload over 8 MiB", parts: []formPart{purpose, {name: "file", filename: "big.txt", contentType: "text/plain", value: strings.Repeat("a", maxBodyBytes)}}, status: 400, code: codeInvalidValue, param: "file"},
		{name: "no credits", key: h.cfg.Fixtures.NoCreditsAPIKey, parts: []formPart{purpose, file}, status: 402, code: codeNoCredits},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := multipartBody(t, tc.parts...)
			if tc.body != "" {
				body, ct = tc.body, tc.contentType
			}
			if ct == "-" {
				ct = ""
			}
			rq := request{path: "/v1/files", key: tc.key, body: body, contentType: ct}
			if ct == "" {
				rq.header = map[string]string{"Content-Type": ""} // send none at all
			}
			res := h.do(t, rq)
			h.expectError(t, res, tc.status, tc.code, tc.param)
		})
	}
}

func TestFileRoundTrip(t *testing.T) {
	h := newHarness(t, Options{})
	fx := h.cfg.Fixtures
	body, ct := multipartBody(t,
		formPart{name: "purpose", value: "user_data"},
		formPart{name: "file", filename: "data.jsonl", contentType: "application/jsonl", value: "{\"a\":1}\n"})
	res := h.do(t, request{path: "/v1/files", body: body, contentType: ct})
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	var f struct {
		ID        string `json:"id"`
		Object    string `json:"object"`
		Bytes     int    `json:"bytes"`
		Filename  string `json:"filename"`
		Purpose   string `json:"purpose"`
		CreatedAt int64  `json:"created_at"`
		ExpiresAt int64  `json:"expires_at"`
	}
	require.NoError(t, json.Unmarshal(res.body, &f))
	assert.Regexp(t, `^file-[0-9a-f]+$`, f.ID)
	assert.Equal(t, "file", f.Object)
	assert.Equal(t, 8, f.Bytes)
	assert.Equal(t, "data.jsonl", f.Filename)
	assert.Equal(t, "user_data", f.Purpose)
	assert.Equal(t, int64(24*time.Hour/time.Second), f.ExpiresAt-f.CreatedAt)

	get := h.do(t, request{method: http.MethodGet, path: "/v1/files/" + f.ID})
	require.Equal(t, http.StatusOK, get.status)
	assert.JSONEq(t, string(res.body), string(get.body))

	content := h.do(t, request{method: http.MethodGet, path: "/v1/files/" + f.ID + "/content"})
	require.Equal(t, http.StatusOK, content.status)
	assert.Equal(t, "application/jsonl", content.header.Get("Content-Type"))
	assert.Equal(t, "{\"a\":1}\n", string(content.body))

	// The file may be used in a chat, but not by another organization.
	use := chat(t, fx.Model, []any{map[string]any{"type": "file", "file": map[string]any{"file_id": f.ID}}}, nil)
	assert.Equal(t, http.StatusOK, h.do(t, request{path: "/v1/chat/completions", body: use}).status)
	h.expectError(t, h.do(t, request{method: http.MethodGet, path: "/v1/files/" + f.ID, key: fx.NoCreditsAPIKey}), 404, codeFileNotFound, "")

	del := h.do(t, request{method: http.MethodDelete, path: "/v1/files/" + f.ID})
	require.Equal(t, http.StatusOK, del.status)
	assert.JSONEq(t, fmt.Sprintf(`{"id":%q,"object":"file","deleted":true}`, f.ID), string(del.body))
	for _, rq := range []request{
		{method: http.MethodGet, path: "/v1/files/" + f.ID},
		{method: http.MethodGet, path: "/v1/files/" + f.ID + "/content"},
		{method: http.MethodDelete, path: "/v1/files/" + f.ID},
	} {
		h.expectError(t, h.do(t, rq), 404, codeFileNotFound, "")
	}

	t.Run("uploads expire", func(t *testing.T) {
		body, ct := multipartBody(t,
			formPart{name: "purpose", value: "vision"},
			formPart{name: "file", filename: "a.png", contentType: "image/png", value: "\x89PNG"})
		res := h.do(t, request{path: "/v1/files", body: body, contentType: ct})
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		var up struct{ ID string }
		require.NoError(t, json.Unmarshal(res.body, &up))
		h.clock.Advance(fileLifetime)
		h.expectError(t, h.do(t, request{method: http.MethodGet, path: "/v1/files/" + up.ID}), 410, codeFileExpired, "")
	})
}

func TestFileFixtures(t *testing.T) {
	h := newHarness(t, Options{})
	fx := h.cfg.Fixtures
	for _, tc := range []struct {
		name, id string
		status   int
		code     string
	}{
		{"foreign", fx.ForeignFileID, 404, codeFileNotFound},
		{"expired", fx.ExpiredFileID, 410, codeFileExpired},
		{"unknown", "file-0123456789abcdef", 404, codeFileNotFound},
	} {
		for _, rq := range []request{
			{method: http.MethodGet, path: "/v1/files/" + tc.id},
			{method: http.MethodGet, path: "/v1/files/" + tc.id + "/content"},
			{method: http.MethodDelete, path: "/v1/files/" + tc.id},
		} {
			t.Run(tc.name+" "+rq.method+" "+rq.path, func(t *testing.T) {
				h.expectError(t, h.do(t, rq), tc.status, tc.code, "")
			})
		}
	}
}

func TestConfig(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 7})
	cfg := h.cfg
	require.NoError(t, cfg.Validate())
	for _, key := range config.FixtureKeys() {
		if key == "rate_limit_endpoint" {
			continue // a choice with a default, not a fixture the reference creates: see below
		}
		if key == "route_models" {
			continue // filled under a contract listing the routes: TestConfigNamesTheRouteModels
		}
		assert.True(t, cfg.Fixtures.Has(key), "fixture %s is not filled", key)
	}
	// Left empty on purpose: empty means GET /models, and the reference
	// limits the rate-limited key on every route alike.
	assert.Contains(t, []string{"", config.RateLimitOnModels}, cfg.Fixtures.RateLimitEndpoint)
	assert.Equal(t, UpstreamRateLimitedModel, cfg.Fixtures.UpstreamRateLimitedModel)
	assert.Equal(t, h.url+"/v1", cfg.Target.BaseURL)
	assert.Equal(t, 10*time.Second, cfg.Target.Timeout.Std())
	assert.Equal(t, 12, cfg.Fixtures.RateLimitBurst)
	assert.Equal(t, ContextWindow, cfg.Fixtures.ContextWindow)
	assert.Equal(t, InternalErrorHeader, cfg.Fixtures.InternalErrorHeader)
	keyShape := regexp.MustCompile(`^sk-ref-[0-9a-f]{32}$`)
	keys := []string{cfg.Auth.APIKey, cfg.Fixtures.NoCreditsAPIKey, cfg.Fixtures.RestrictedAPIKey, cfg.Fixtures.RateLimitedAPIKey,
		cfg.Fixtures.DisabledAPIKey, cfg.Fixtures.ExpiredAPIKey}
	seen := map[string]bool{}
	for _, k := range keys {
		assert.Regexp(t, keyShape, k)
		seen[k] = true
	}
	assert.Len(t, seen, len(keys), "keys are distinct")
	assert.NotEmpty(t, cfg.Fixtures.JWTHS256Secret)

	// Every server has its own credentials.
	other := New(h.contract, Options{}).Config("http://127.0.0.1:1/v1")
	assert.NotEqual(t, cfg.Auth.APIKey, other.Auth.APIKey)
	assert.NotEqual(t, cfg.Fixtures.JWTHS256Secret, other.Fixtures.JWTHS256Secret)
	assert.Equal(t, 300*time.Millisecond, other.Target.GatewayTimeout.Std())
	assert.Equal(t, 10, other.Fixtures.RateLimitBurst)
}

func TestStart(t *testing.T) {
	c, err := spec.Load()
	require.NoError(t, err)
	run, err := Start(c, Options{GatewayTimeout: testGatewayTimeout}, "")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(run.BaseURL, "http://127.0.0.1:"), run.BaseURL)
	require.True(t, strings.HasSuffix(run.BaseURL, "/v1"), run.BaseURL)
	cfg := run.Config()
	require.NoError(t, cfg.Validate())

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, run.BaseURL+"/models/"+MainModel, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+cfg.Auth.APIKey)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	assert.Equal(t, http.StatusOK, res.StatusCode)

	require.NoError(t, run.Close())
	require.NoError(t, run.Close(), "Close is idempotent")

	_, err = Start(nil, Options{}, "")
	require.Error(t, err)
	_, err = Start(c, Options{}, "127.0.0.1:-1")
	require.Error(t, err)
}

func TestLatency(t *testing.T) {
	const latency = 40 * time.Millisecond
	h := newHarness(t, Options{Latency: latency})
	start := time.Now()
	res := h.do(t, request{method: http.MethodGet, path: "/v1/models", auth: ptr("")})
	assert.GreaterOrEqual(t, time.Since(start), latency)
	h.expectError(t, res, http.StatusUnauthorized, codeInvalidAPIKey, "")

	t.Run("cancellation ends the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/models", nil)
		slow := New(h.contract, Options{Latency: time.Hour})
		start := time.Now()
		slow.ServeHTTP(rec, req)
		assert.Less(t, time.Since(start), 30*time.Second, "the hour's latency was not waited out")
		assert.Empty(t, rec.Body.String(), "nothing is written for a client that left")
	})
}

func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 10})
	var requests []request
	for i := 0; i < 20; i++ {
		body, ct := multipartBody(t, formPart{name: "purpose", value: "batch"},
			formPart{name: "file", filename: "f.csv", contentType: "text/csv", value: "a,b\n" + strconv.Itoa(i)})
		requests = append(requests,
			request{path: "/v1/files", body: body, contentType: ct},
			request{method: http.MethodGet, path: "/v1/models", key: h.cfg.Fixtures.RateLimitedAPIKey})
	}
	var wg sync.WaitGroup
	statuses := make(chan int, len(requests))
	for _, rq := range requests {
		wg.Go(func() {
			res, err := h.send(t.Context(), rq)
			if err != nil {
				statuses <- 0
				return
			}
			statuses <- res.status
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 30, http.StatusTooManyRequests: 10}, counts)
}

func TestNewRejectsAnIncompleteContract(t *testing.T) {
	assert.Panics(t, func() { New(nil, Options{}) })
}

// orNull is s, or nil (JSON null) when s is empty.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// tamperSignature changes the first character of a JWT's signature to
// another one: a change there always changes the decoded bytes (the last
// character of an unpadded base64url signature carries ignored low bits,
// so changing the end sometimes decodes to the same signature).
func tamperSignature(token string) string {
	at := strings.LastIndexByte(token, '.') + 1
	replacement := byte('A')
	if token[at] == 'A' {
		replacement = 'B'
	}
	return token[:at] + string(replacement) + token[at+1:]
}
