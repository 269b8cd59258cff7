package reference

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// unknownRoutePath is the route errconform's catalogue probes.
const unknownRoutePath = "/v1/errconform-no-such-route"

// decodeError decodes an error body that must be exactly one JSON object
// with an "error" object, and returns that object.
func decodeError(t *testing.T, res response) map[string]any {
	t.Helper()
	assert.Equal(t, "application/json", res.header.Get("Content-Type"))
	assert.Equal(t, "nosniff", res.header.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
	dec := json.NewDecoder(bytes.NewReader(res.body))
	var doc map[string]any
	require.NoError(t, dec.Decode(&doc), "body: %s", res.body)
	require.ErrorIs(t, dec.Decode(new(any)), io.EOF, "data after the JSON document")
	e, ok := doc["error"].(map[string]any)
	require.True(t, ok, "body: %s", res.body)
	return e
}

func TestErrorBodyIsRenderedFromTheDefaultTemplate(t *testing.T) {
	h := newHarness(t, Options{})
	for _, tc := range []struct {
		name string
		rq   request
		want string
	}{
		{
			name: "unknown route",
			rq:   request{method: http.MethodGet, path: unknownRoutePath},
			want: `{"error":{"code":null,"message":"Unknown request URL: GET /v1/errconform-no-such-route. Please check the URL and the method.","param":null,"type":"invalid_request_error"}}`,
		},
		{
			name: "wrong type",
			rq:   request{path: "/v1/chat/completions", body: chat(t, MainModel, "hi", map[string]any{"stream": "yes"})},
			want: `{"error":{"code":null,"message":"'stream' must be a boolean.","param":"stream","type":"invalid_request_error"}}`,
		},
		{
			name: "invalid value",
			rq:   request{path: "/v1/chat/completions", body: chat(t, MainModel, "hi", map[string]any{"temperature": 3})},
			want: `{"error":{"code":"invalid_value","message":"'temperature' must be a number between 0 and 2.","param":"temperature","type":"invalid_request_error"}}`,
		},
		{
			name: "unknown key",
			rq:   request{method: http.MethodGet, path: "/v1/models", key: "sk-nope"},
			want: `{"error":{"code":"invalid_api_key","message":"Incorrect API key provided. You can find your API keys in your account settings.","param":null,"type":"authentication_error"}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := h.do(t, tc.rq)
			decodeError(t, first)
			assert.Equal(t, tc.want+"\n", string(first.body))
			again := h.do(t, tc.rq)
			assert.Equal(t, first.body, again.body, "the body is byte-stable")
		})
	}
}

// contractCase is one request under a contract other than the default and
// the error it must get.
type contractCase struct {
	name   string
	rq     request
	status int
	// want is the error object less its message; a member absent from want
	// must be absent from the answer.
	want map[string]any
}

func TestOtherContracts(t *testing.T) {
	openrouter, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	routed, err := spec.Open(filepath.Join("..", "testdata", "contracts", "acme.yaml"))
	require.NoError(t, err)

	statusCode := func(status int) map[string]any { return map[string]any{"code": float64(status)} }
	for _, tc := range []struct {
		contract *spec.Contract
		cases    func(h *harness) []contractCase
	}{
		{openrouter, func(h *harness) []contractCase {
			fx := h.cfg.Fixtures
			return []contractCase{
				{"unknown key", request{method: http.MethodGet, path: "/v1/models", key: "sk-nope"}, 401, statusCode(401)},
				{"missing credential", request{method: http.MethodGet, path: "/v1/models", auth: ptr("")}, 401, statusCode(401)},
				{"slow model: openrouter's timeout status", request{path: "/v1/chat/completions", body: chat(t, fx.SlowModel, "hi", nil)}, 408, statusCode(408)},
				{"unreachable model", request{path: "/v1/chat/completions", body: chat(t, fx.UnreachableModel, "hi", nil)}, 502, statusCode(502)},
				{"wrong type", request{path: "/v1/chat/completions", body: chat(t, fx.Model, "hi", map[string]any{"max_tokens": "one"})}, 400, statusCode(400)},
				{"no credits", request{path: "/v1/chat/completions", key: fx.NoCreditsAPIKey, body: chat(t, fx.Model, "hi", nil)}, 402, statusCode(402)},
				// Not in openrouter's contract: the default contract answers.
				{"unknown route falls back to 404", request{method: http.MethodGet, path: unknownRoutePath}, 404, statusCode(404)},
				{"unknown model falls back to 404", request{method: http.MethodGet, path: "/v1/models/no/such-model"}, 404, statusCode(404)},
				{"expired file falls back to 410", request{method: http.MethodGet, path: "/v1/files/" + fx.ExpiredFileID}, 410, statusCode(410)},
				{"internal error falls back to 500", request{method: http.MethodGet, path: "/v1/models", header: map[string]string{"X-Fault": "500"}}, 500, statusCode(500)},
			}
		}},
		{routed, func(*harness) []contractCase {
			return []contractCase{
				{"unknown route is the contract's 400", request{method: http.MethodGet, path: unknownRoutePath}, 400,
					map[string]any{"code": "unknown_route", "type": "invalid_request_error", "param": nil}},
				{"the rest is as aiand", request{method: http.MethodGet, path: "/v1/models", key: "sk-nope"}, 401,
					map[string]any{"code": codeInvalidAPIKey, "type": "authentication_error", "param": nil}},
			}
		}},
	} {
		h := newHarnessWith(t, tc.contract, Options{GatewayTimeout: testGatewayTimeout})
		for _, c := range tc.cases(h) {
			t.Run(tc.contract.Name+"/"+c.name, func(t *testing.T) {
				res := h.do(t, c.rq)
				require.Equal(t, c.status, res.status, "body: %s", res.body)
				e := decodeError(t, res)
				msg, _ := e["message"].(string)
				assert.NotEmpty(t, strings.TrimSpace(msg))
				delete(e, "message")
				assert.Equal(t, c.want, e)
				var doc any
				require.NoError(t, json.Unmarshal(res.body, &doc))
				require.NoError(t, tc.contract.ValidateError(doc), "body: %s", res.body)
			})
		}
	}

	t.Run("openrouter/rate limit", func(t *testing.T) {
		h := newHarnessWith(t, openrouter, Options{RateLimit: 1})
		rq := request{method: http.MethodGet, path: "/v1/models", key: h.cfg.Fixtures.RateLimitedAPIKey}
		require.Equal(t, http.StatusOK, h.do(t, rq).status)
		res := h.do(t, rq)
		require.Equal(t, http.StatusTooManyRequests, res.status, "body: %s", res.body)
		assert.Equal(t, "60", res.header.Get("Retry-After"))
		e := decodeError(t, res)
		assert.Equal(t, float64(429), e["code"])
	})
}

// withoutStatus404 is the default contract with no 404: its situations that
// were 404s are left out, so the reference answers them as the default
// contract says, with a status the loaded contract has no type for.
func withoutStatus404(t *testing.T) *spec.Contract {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "spec", "contracts", "aiand.yaml"))
	require.NoError(t, err)
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "- {status: 404,"),
			strings.HasPrefix(trimmed, "- {code: file_not_found,"),
			strings.HasPrefix(trimmed, "unknown-route:"),
			strings.HasPrefix(trimmed, "unknown-model:"),
			strings.HasPrefix(trimmed, "file-not-found:"):
			continue
		}
		kept = append(kept, line)
	}
	require.Less(t, len(kept), len(strings.Split(string(data), "\n"))-4, "the default contract changed shape")
	c, err := spec.Parse([]byte(strings.Join(kept, "\n")))
	require.NoError(t, err)
	require.False(t, c.HasStatus(404))
	return c
}

func TestFallbackStatusOutsideTheContractHasNoType(t *testing.T) {
	h := newHarnessWith(t, withoutStatus404(t), Options{})
	res := h.do(t, request{method: http.MethodGet, path: unknownRoutePath})
	require.Equal(t, http.StatusNotFound, res.status, "body: %s", res.body)
	e := decodeError(t, res)
	assert.Contains(t, e, "type")
	assert.Nil(t, e["type"], "no type: the contract has no 404")
	assert.Nil(t, e["code"])
}

func TestNewRefusesAContractItCannotAnswer(t *testing.T) {
	aiand, err := spec.Load()
	require.NoError(t, err)
	unrenderable := *aiand
	unrenderable.ErrorTemplate = map[string]any{"error": map[string]any{"message": "{{message}}", "bad": func() {}}}
	noTemplate := *aiand
	noTemplate.ErrorTemplate = nil
	for _, tc := range []struct {
		name     string
		contract *spec.Contract
		says     string
	}{
		{"nil contract", nil, "nil"},
		{"error_template that is not JSON", &unrenderable, "error_template"},
		{"no error_template", &noTemplate, "error_template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.PanicsWithValue(t, mustErr(t, tc.contract).Error(), func() { New(tc.contract, Options{}) })
			_, err := Start(tc.contract, Options{}, "")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}

// mustErr returns checkContract's error for c, failing if there is none.
func mustErr(t *testing.T, c *spec.Contract) error {
	t.Helper()
	_, err := checkContract(c)
	require.Error(t, err)
	return err
}

// declaredSituations parses the package's source and returns the value of
// every constant of type situation.
func declaredSituations(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "situation" {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					require.True(t, ok, "situation constants are string literals")
					s, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out = append(out, s)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestEverySituationIsNamedByTheDefaultContract(t *testing.T) {
	var listed []string
	for _, s := range allSituations() {
		listed = append(listed, string(s))
	}
	sort.Strings(listed)
	require.Equal(t, declaredSituations(t), listed, "allSituations lists every situation constant, once")

	def, err := spec.Load()
	require.NoError(t, err)
	for _, name := range listed {
		o := def.Outcome(name)
		assert.True(t, o.Covered(), "the default contract does not cover %s: %s", name, o.NotInContract)
		assert.True(t, def.HasStatus(o.Status), "%s: status %d", name, o.Status)
	}
	for _, name := range spec.BuiltinNames() {
		c, err := spec.Builtin(name)
		require.NoError(t, err)
		for _, sit := range listed {
			_, named := c.Situations[sit]
			assert.True(t, named, "the built-in contract %s does not name %s", name, sit)
		}
	}
}

// The order of authentication and validation is the contract's: the
// unauthenticated-invalid-body situation's outcome. Under the default
// contract a bad body without a valid key is a 401; under a contract that
// validates first, it is the validation error.
func TestUnauthenticatedInvalidBody(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "contracts", "acme.yaml"))
	require.NoError(t, err)
	validationFirst, err := spec.Parse([]byte(strings.Replace(string(data),
		"unauthenticated-invalid-body: {status: 401, code: invalid_api_key}", "unauthenticated-invalid-body: {status: 400}", 1)))
	require.NoError(t, err)
	aiand, err := spec.Load()
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		contract *spec.Contract
		body     string
		status   int
		param    string
	}{
		{"authentication first, invalid body", aiand, `{"model":"m","messages":[],"temperature":9}`, 401, ""},
		{"validation first, invalid body", validationFirst, `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":9}`, 400, "temperature"},
		{"validation first, valid body", validationFirst, "", 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, tc.contract, Options{})
			body := tc.body
			if body == "" {
				body = chat(t, h.cfg.Fixtures.Model, "hi", nil)
			}
			res := h.do(t, request{path: "/v1/chat/completions", auth: ptr(""), body: body})
			require.Equal(t, tc.status, res.status, "body: %s", res.body)
			e := decodeError(t, res)
			if tc.param != "" {
				assert.Equal(t, tc.param, e["param"])
			}
		})
	}
}

// The reference answers every situation of the catalogue's vocabulary, and
// no other.
func TestReferenceSpeaksTheCataloguesVocabulary(t *testing.T) {
	var catalogue, answered []string
	for _, s := range suites.Situations() {
		catalogue = append(catalogue, s.Name)
	}
	for _, s := range allSituations() {
		answered = append(answered, string(s))
	}
	assert.ElementsMatch(t, catalogue, answered)
}
