// Package suites owns the case catalogue: every case's stable ID, title,
// labels, fixtures and situation, how its request is crafted (through
// probe's Request), the resolution of a situation's expected outcome under
// a contract (For), and Execute, the one path from a case to a verdict that
// both the CLI and the self-tests use. Situations are code; what each must
// return is the contract's data.
package suites

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strings"
	"time"
	"unique"

	"github.com/golang-jwt/jwt/v5"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
)

// DefaultModel is the model named in otherwise well-formed requests when the
// config names no fixtures.model. Validation cases never reach inference, so
// any plausible name serves; a configured model makes them exact.
const DefaultModel = "openai/gpt-oss-120b"

// Case is one crafted request (or burst) of a situation, and what the
// contract in use promises for it.
type Case struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Group    string `json:"group"`
	Endpoint string `json:"endpoint"`
	// Situation names what the case does in the catalogue's vocabulary
	// ("invalid-value", "unknown-key"); a contract says what each
	// situation must return. Positive controls have none.
	Situation string   `json:"situation,omitempty"`
	Sends     string   `json:"sends"`
	Labels    []string `json:"labels"`
	Fixtures  []string `json:"fixtures,omitempty"`
	// Expect is what must come back: the catalogue sets the field the case
	// breaks (Param), Stream and IfAccepted; For fills in the status and
	// code the contract gives the situation.
	Expect check.Expectation `json:"expect"`
	// NotInContract, when set, says why the contract in use does not
	// cover the case: it is listed as such, never run and never passed.
	NotInContract string `json:"not_in_contract,omitempty"`
	// Burst repeats the request until the expected status arrives or
	// fixtures.rate_limit_burst requests have been sent.
	Burst bool `json:"burst,omitempty"`
	// Alone marks cases that must not overlap others (they change the
	// target's state, e.g. a rate-limit window).
	Alone bool `json:"alone,omitempty"`
	// Control marks the positive controls: valid requests that must
	// succeed, checked before any other case (see Preflight).
	Control bool `json:"control,omitempty"`
	// ValidInput marks explore's positive controls: valid boundary values
	// that must not be refused (judged as any case, not in the preflight).
	ValidInput bool `json:"valid_input,omitempty"`

	build func(cfg config.Config) probe.Request
	// limitOpen marks a burst on a route the contract does not say a
	// limiter covers: a burst that saw only successes is not applicable
	// (the target limits other routes), and a 429 from its first request
	// on is judged (a bucket the route shares, already empty).
	limitOpen bool
	// inapplicable, when set, says why the case cannot apply to a config
	// (e.g. a Bearer-scheme variant when the key travels in api-key).
	inapplicable func(cfg config.Config) string
}

// Inapplicable says why the case does not apply to cfg, or "".
func (c Case) Inapplicable(cfg config.Config) string {
	if c.inapplicable == nil {
		return ""
	}
	return c.inapplicable(cfg)
}

// Request crafts the case's request for a configuration.
func (c Case) Request(cfg config.Config) probe.Request { return c.build(cfg) }

// endpoint is an authenticated route with a request that is well-formed
// apart from what a case breaks. route is the path template a contract's
// OpenAPI document names it by.
type endpoint struct {
	name, method, path, route string
	body                      func(cfg config.Config) (contentType string, body []byte)
}

// ModelOf is the model well-formed requests name: fixtures.model, else
// DefaultModel.
func ModelOf(cfg config.Config) string { return modelOf(cfg) }

func modelOf(cfg config.Config) string {
	if cfg.Fixtures.Model != "" {
		return cfg.Fixtures.Model
	}
	return DefaultModel
}

// chatBody is a well-formed chat request asking for one output token, with
// overrides applied (a nil value deletes the field).
func chatBody(model string, overrides map[string]any) []byte {
	body := map[string]any{
		"model":      model,
		"messages":   []any{map[string]any{"role": "user", "content": "Say ok."}},
		"max_tokens": 1,
	}
	for k, v := range overrides {
		if v == nil {
			delete(body, k)
			continue
		}
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(fmt.Sprintf("suites: chat body does not encode: %v", err)) // a programming error in the catalogue
	}
	return b
}

// uploadBody is a multipart upload of a small text file.
func uploadBody(purpose, mimeType string) (string, []byte) {
	var fields [][2]string
	if purpose != "" {
		fields = append(fields, [2]string{"purpose", purpose})
	}
	return multipartForm(fields, &formFile{name: "errconform-probe.txt", contentType: mimeType, content: []byte("errconform probe file\n")})
}

// formFile is the file part of a multipart form: the member "file".
type formFile struct {
	name, contentType string
	content           []byte
}

// multipartForm is a multipart form of fields (name, value, in order)
// and, unless file is nil, a file part, with its content type.
func multipartForm(fields [][2]string, file *formFile) (string, []byte) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	// Writes to a bytes.Buffer do not fail.
	for _, f := range fields {
		_ = w.WriteField(f[0], f[1])
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, file.name))
		h.Set("Content-Type", file.contentType)
		part, _ := w.CreatePart(h)
		_, _ = part.Write(file.content)
	}
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// probeFileID names a file that no target has.
const probeFileID = "file-errconformnosuchfile0000000000"

var endpoints = []endpoint{
	{"chat", http.MethodPost, "/chat/completions", "/chat/completions", func(cfg config.Config) (string, []byte) {
		return "application/json", chatBody(modelOf(cfg), nil)
	}},
	{"models-list", http.MethodGet, "/models", "/models", nil},
	{"models-get", http.MethodGet, "/models/{model}", "/models/{model}", nil},
	// Authentication cases on uploads send a purpose no API accepts, so that
	// even a gateway that wrongly lets the credential through stores nothing.
	{"files-upload", http.MethodPost, "/files", "/files", func(config.Config) (string, []byte) {
		return uploadBody("errconform-no-such-purpose", "text/plain")
	}},
	{"files-get", http.MethodGet, "/files/" + probeFileID, "/files/{file_id}", nil},
	{"files-content", http.MethodGet, "/files/" + probeFileID + "/content", "/files/{file_id}/content", nil},
	{"files-delete", http.MethodDelete, "/files/" + probeFileID, "/files/{file_id}", nil},
}

func endpointByName(name string) endpoint {
	if e, ok := endpointNamed(name); ok {
		return e
	}
	panic("suites: unknown endpoint " + name) // a programming error in the catalogue
}

// request builds an endpoint's request with the given Authorization value.
func (e endpoint) request(cfg config.Config, authorization, credential string) probe.Request {
	r := probe.Request{Method: e.method, Path: strings.ReplaceAll(e.path, "{model}", modelOf(cfg)), Header: http.Header{}, Credential: credential}
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	if e.body != nil {
		ct, body := e.body(cfg)
		r.Header.Set("Content-Type", ct)
		r.Body = body
	}
	return r
}

// keyed builds an endpoint's request carrying key the way the config says
// keys travel (auth.header); an empty key sends no credential.
func (e endpoint) keyed(cfg config.Config, key string) probe.Request {
	r := e.request(cfg, "", key)
	presentKey(cfg, &r, key)
	return r
}

// presentKey puts key where the target expects it: "Authorization: Bearer
// <key>", or the bare key in auth.header (Azure's api-key, say).
func presentKey(cfg config.Config, r *probe.Request, key string) {
	r.Credential = key
	if key == "" {
		return
	}
	if cfg.Auth.BearerAuth() {
		r.Header.Set("Authorization", bearer(key))
		return
	}
	r.Header.Set(cfg.Auth.Header, key)
}

func bearer(token string) string { return "Bearer " + token }

// bearerOnly marks variants that break the Bearer scheme itself: they mean
// nothing where the key travels in another header.
func bearerOnly(cfg config.Config) string {
	if cfg.Auth.BearerAuth() {
		return ""
	}
	return fmt.Sprintf("not applicable: the key travels in the %s header (auth.header), not as a Bearer token", cfg.Auth.Header)
}

// authVariant is one way of presenting a bad credential: either a key
// presented the usual way (key), or a raw Authorization value that breaks
// the Bearer scheme itself (authorization).
type authVariant struct {
	slug, title, sends string
	situation          string
	fixtures           []string
	key                func(cfg config.Config) string
	authorization      func(cfg config.Config) (authorization, credential string)
	// secretCredential says whether the credential is made from a
	// configured secret for this config (and so must stay redacted).
	secretCredential func(cfg config.Config) bool
}

// unknownKey looks like a real key and belongs to nobody.
// Its tail looks random, so that no ordinary text or other probe value
// shares 8 characters with it.
const unknownKey = "sk-errconform-Zq7Lx2Vp9Rt4Wm8Kc3Nb6Hd1Fj5Gs0Ya2UeQ8"

// wrongJWTSecret signs tokens whose signature no target can accept.
const wrongJWTSecret = "errconform-deliberately-wrong-signing-secret"

func signJWT(method jwt.SigningMethod, key any, exp time.Time) string {
	claims := jwt.MapClaims{"sub": "errconform", "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": exp.Unix()}
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		panic(fmt.Sprintf("suites: sign JWT: %v", err)) // a programming error: the methods and keys are fixed
	}
	return token
}

func rawAuth(f func(cfg config.Config) (string, string)) func(cfg config.Config) (string, string) {
	return f
}

var authVariants = []authVariant{
	{slug: "missing-header", title: "no credential", sends: "no credential at all", situation: "missing-credential",
		key: func(config.Config) string { return "" }},
	{slug: "key-without-scheme", title: "the valid key without the Bearer scheme", sends: "Authorization: <valid key> (no scheme)", situation: "malformed-credential",
		authorization: rawAuth(func(cfg config.Config) (string, string) { return cfg.Auth.APIKey, cfg.Auth.APIKey })},
	{slug: "basic-scheme", title: "the valid key under the Basic scheme", sends: "Authorization: Basic <valid key>", situation: "malformed-credential",
		authorization: rawAuth(func(cfg config.Config) (string, string) { return "Basic " + cfg.Auth.APIKey, cfg.Auth.APIKey })},
	{slug: "empty-bearer", title: "Bearer with no token", sends: "Authorization: Bearer (nothing after it)", situation: "malformed-credential",
		authorization: rawAuth(func(config.Config) (string, string) { return "Bearer", "" })},
	{slug: "malformed-bearer", title: "Bearer followed by two words", sends: "Authorization: Bearer not a key", situation: "malformed-credential",
		authorization: rawAuth(func(config.Config) (string, string) { return "Bearer not a key", "" })},
	{slug: "unknown-key", title: "a well-formed key that belongs to nobody", sends: "the key sk-errconform-Zq7L…", situation: "unknown-key",
		key: func(config.Config) string { return unknownKey }},
	{slug: "jwt-bad-signature", title: "a JWT with a signature the target cannot verify", sends: "Authorization: Bearer <HS256 JWT signed with the wrong secret>", situation: "invalid-jwt",
		authorization: rawAuth(func(config.Config) (string, string) {
			t := signJWT(jwt.SigningMethodHS256, []byte(wrongJWTSecret), time.Now().Add(time.Hour))
			return bearer(t), t
		})},
	{slug: "jwt-alg-none", title: `a JWT with "alg": "none"`, sends: "Authorization: Bearer <unsigned JWT, alg none>", situation: "invalid-jwt",
		authorization: rawAuth(func(config.Config) (string, string) {
			t := signJWT(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, time.Now().Add(time.Hour))
			return bearer(t), t
		})},
	{slug: "jwt-expired", title: "a JWT whose exp has passed", sends: "Authorization: Bearer <HS256 JWT expired an hour ago, signed with fixtures.jwt_hs256_secret when set>", situation: "invalid-jwt",
		secretCredential: func(cfg config.Config) bool { return cfg.Fixtures.JWTHS256Secret != "" },
		authorization: rawAuth(func(cfg config.Config) (string, string) {
			secret := cfg.Fixtures.JWTHS256Secret
			if secret == "" {
				secret = wrongJWTSecret
			}
			t := signJWT(jwt.SigningMethodHS256, []byte(secret), time.Now().Add(-time.Hour))
			return bearer(t), t
		})},
	// Appended later: new variants go at the end, so released IDs keep
	// their order.
	{slug: "shaped-unknown-key", title: "an unknown key shaped like the configured one",
		sends: "a key with the configured key's prefix, length and alphabet and a random tail", situation: "unknown-key",
		key: func(cfg config.Config) string { return ShapedUnknownKey(cfg.Auth.APIKey) }},
	// Credential variants around the valid key: a gateway that compares
	// only a prefix of the token, or trims, or splits on spaces, serves
	// them. Each carries the configured key almost whole, so each is a
	// secret for every output.
	{slug: "key-appended", title: "the valid key with a character appended", sends: "the configured key with one character appended",
		situation: "unknown-key", secretCredential: always, key: func(cfg config.Config) string { return alteredKey(cfg.Auth.APIKey, keyAppended) }},
	{slug: "key-truncated", title: "the valid key with its last character cut", sends: "the configured key without its last character",
		situation: "unknown-key", secretCredential: always, key: func(cfg config.Config) string { return alteredKey(cfg.Auth.APIKey, keyTruncated) }},
	{slug: "key-char-changed", title: "the valid key with its last character changed", sends: "the configured key with its last character replaced",
		situation: "unknown-key", secretCredential: always, key: func(cfg config.Config) string { return alteredKey(cfg.Auth.APIKey, keyCharChanged) }},
	{slug: "key-twice", title: "the valid key twice in one Authorization header", sends: "Authorization: Bearer <valid key> <valid key>",
		situation: "malformed-credential", secretCredential: always,
		authorization: rawAuth(func(cfg config.Config) (string, string) {
			return bearer(cfg.Auth.APIKey + " " + cfg.Auth.APIKey), cfg.Auth.APIKey + " " + cfg.Auth.APIKey
		})},
}

// always marks a variant's credential as made from a configured secret.
func always(config.Config) bool { return true }

// request builds the variant's request on an endpoint.
func (v authVariant) request(cfg config.Config, e endpoint) probe.Request {
	if v.authorization != nil {
		authorization, credential := v.authorization(cfg)
		r := e.request(cfg, authorization, credential)
		r.CredentialIsSecret = v.secretCredential != nil && v.secretCredential(cfg)
		return r
	}
	r := e.keyed(cfg, v.key(cfg))
	r.CredentialIsSecret = v.secretCredential != nil && v.secretCredential(cfg)
	return r
}

// situations returns every case in a stable order, each with its
// situation but not yet an outcome: the same whatever the contract, target
// and config.
func situations() []Case {
	cases := controlCases()
	cases = append(cases, requestCases()...)
	cases = append(cases, authCases()...)
	cases = append(cases, authBeforeValidationCases()...)
	cases = append(cases, routeAndFileCases()...)
	cases = append(cases, fixtureCases()...)
	cases = append(cases, newRouteAndKeyCases()...)
	cases = append(cases, gateCases()...)
	return append(cases, streamTwins(cases)...)
}

// finish derives group and labels from the rest of a case.
func finish(c *Case) {
	c.Group, _, _ = strings.Cut(c.ID, "/")
	labels := []string{"group:" + c.Group, "endpoint:" + c.Endpoint}
	if c.Situation != "" {
		labels = append(labels, "situation:"+c.Situation)
	}
	if c.NotInContract != "" {
		labels = append(labels, "not-in-contract")
	} else {
		labels = append(labels, fmt.Sprintf("status:%d", c.Expect.Status))
	}
	if c.Expect.Code != "" {
		labels = append(labels, "code:"+c.Expect.Code)
	}
	for _, f := range c.Fixtures {
		labels = append(labels, "fixture:"+f)
	}
	if len(c.Fixtures) == 0 {
		labels = append(labels, "no-fixture")
	}
	c.Labels = interned(append(labels, c.Labels...))
	sort.Strings(c.Labels)
}

// interned replaces each label by its canonical copy: the same labels
// ("status:400", "field:messages") recur over hundreds of explore variants,
// which then share one copy of each.
func interned(labels []string) []string {
	for i, l := range labels {
		labels[i] = unique.Make(l).Value()
	}
	return labels
}

func chatCase(id, title, sends, situation, param string, overrides func(cfg config.Config) map[string]any) Case {
	return Case{ID: id, Title: title, Endpoint: "chat", Sends: sends, Situation: situation, Expect: check.Expectation{Param: param},
		build: func(cfg config.Config) probe.Request {
			return rawChat(cfg, cfg.Auth.APIKey, chatBody(modelOf(cfg), overrides(cfg)))
		}}
}

// rawChat is a chat request with the given key (none when empty) and body.
func rawChat(cfg config.Config, key string, body []byte) probe.Request {
	r := probe.Request{Method: http.MethodPost, Path: "/chat/completions", Body: body,
		Header: http.Header{"Content-Type": {"application/json"}}}
	presentKey(cfg, &r, key)
	return r
}

func fixed(m map[string]any) func(config.Config) map[string]any {
	return func(config.Config) map[string]any { return m }
}

// The situations of bad request bodies.
const (
	malformedBody = "malformed-body"
	missingField  = "missing-field"
	wrongType     = "wrong-type"
	invalidValue  = "invalid-value"
)

func requestCases() []Case {
	raw := func(id, title, sends string, body []byte) Case {
		return Case{ID: id, Title: title, Endpoint: "chat", Sends: sends, Situation: malformedBody,
			build: func(cfg config.Config) probe.Request { return rawChat(cfg, cfg.Auth.APIKey, body) }}
	}
	return []Case{
		raw("request/malformed-json", "a body that is not valid JSON", `{"model": "…", "messages": [ (truncated JSON)`,
			[]byte(`{"model": "`+DefaultModel+`", "messages": [`)),
		raw("request/empty-body", "an empty body", "Content-Type: application/json with zero bytes of body", []byte{}),
		raw("request/not-an-object", "a JSON body that is not an object", `["model", "messages"]`, []byte(`["model", "messages"]`)),
		chatCase("request/missing-model", "no model field", `a chat request without "model"`, missingField, "model",
			fixed(map[string]any{"model": nil})),
		chatCase("request/missing-messages", "no messages field", `a chat request without "messages"`, missingField, "messages",
			fixed(map[string]any{"messages": nil})),
		chatCase("request/messages-not-array", "messages is a string, not an array", `"messages": "Say ok."`, wrongType, "messages",
			fixed(map[string]any{"messages": "Say ok."})),
		chatCase("request/invalid-role", "a message with an unknown role", `"messages": [{"role": "wizard", …}]`, invalidValue, "messages",
			fixed(map[string]any{"messages": []any{map[string]any{"role": "wizard", "content": "Say ok."}}})),
		chatCase("request/temperature-too-high", "temperature above 2", `"temperature": 3.5`, invalidValue, "temperature",
			fixed(map[string]any{"temperature": 3.5})),
		chatCase("request/temperature-negative", "temperature below 0", `"temperature": -1`, invalidValue, "temperature",
			fixed(map[string]any{"temperature": -1})),
		chatCase("request/top-p-too-high", "top_p above 1", `"top_p": 1.5`, invalidValue, "top_p",
			fixed(map[string]any{"top_p": 1.5})),
		chatCase("request/max-tokens-zero", "max_tokens of zero", `"max_tokens": 0`, invalidValue, "max_tokens",
			fixed(map[string]any{"max_tokens": 0})),
		chatCase("request/max-tokens-negative", "negative max_tokens", `"max_tokens": -5`, invalidValue, "max_tokens",
			fixed(map[string]any{"max_tokens": -5})),
		chatCase("request/n-zero", "n of zero", `"n": 0`, invalidValue, "n",
			fixed(map[string]any{"n": 0})),
		chatCase("request/max-tokens-wrong-type", "max_tokens of the wrong JSON type", `"max_tokens": "one"`, wrongType, "max_tokens",
			fixed(map[string]any{"max_tokens": "one"})),
		func() Case {
			c := chatCase("request/stream-invalid-field", "stream: true with an invalid temperature", `"stream": true, "temperature": 5`,
				invalidValue, "temperature", fixed(map[string]any{"stream": true, "temperature": 5}))
			c.Expect.Stream = true
			return c
		}(),
	}
}

func authCases() []Case {
	var cases []Case
	for _, v := range authVariants {
		for _, e := range endpoints {
			v, e := v, e
			c := Case{
				ID:        fmt.Sprintf("auth/%s/%s", v.slug, e.name),
				Title:     fmt.Sprintf("%s on %s %s", v.title, e.method, e.path),
				Endpoint:  e.name,
				Fixtures:  v.fixtures,
				Sends:     fmt.Sprintf("%s %s with %s", e.method, e.path, v.sends),
				Situation: v.situation,
				build:     func(cfg config.Config) probe.Request { return v.request(cfg, e) },
			}
			if v.authorization != nil {
				c.inapplicable = bearerOnly
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// authed builds an endpoint's request with the valid key.
func authed(name string) func(cfg config.Config) probe.Request {
	e := endpointByName(name)
	return func(cfg config.Config) probe.Request { return e.keyed(cfg, cfg.Auth.APIKey) }
}

func routeAndFileCases() []Case {
	upload := func(purpose, mimeType string) func(cfg config.Config) probe.Request {
		return func(cfg config.Config) probe.Request {
			r := authed("files-upload")(cfg)
			ct, body := uploadBody(purpose, mimeType)
			r.Header.Set("Content-Type", ct)
			r.Body = body
			return r
		}
	}
	return []Case{
		{ID: "route/unknown-route", Title: "a route the API does not have", Endpoint: "unknown", Sends: "GET /errconform-no-such-route with the valid key",
			Situation: "unknown-route",
			build: func(cfg config.Config) probe.Request {
				r := probe.Request{Method: http.MethodGet, Path: "/errconform-no-such-route", Header: http.Header{}}
				presentKey(cfg, &r, cfg.Auth.APIKey)
				return r
			}},
		{ID: "files/unknown-id/files-get", Title: "retrieve a file id that does not exist", Endpoint: "files-get",
			Sends: "GET /files/" + probeFileID, Situation: fileNotFound, build: authed("files-get")},
		{ID: "files/unknown-id/files-content", Title: "download a file id that does not exist", Endpoint: "files-content",
			Sends: "GET /files/" + probeFileID + "/content", Situation: fileNotFound, build: authed("files-content")},
		{ID: "files/unknown-id/files-delete", Title: "delete a file id that does not exist", Endpoint: "files-delete",
			Sends: "DELETE /files/" + probeFileID, Situation: fileNotFound, build: authed("files-delete")},
		{ID: "files/invalid-purpose", Title: "an upload with a purpose the API does not know", Endpoint: "files-upload",
			Sends: `multipart upload with purpose "errconform-no-such-purpose"`, Situation: invalidValue, Expect: check.Expectation{Param: "purpose"},
			build: upload("errconform-no-such-purpose", "text/plain")},
		{ID: "files/invalid-mime-type", Title: "an upload of a file type the API refuses", Endpoint: "files-upload",
			Sends: "multipart upload of an application/x-msdownload part", Situation: invalidValue, Expect: check.Expectation{Param: "file"},
			build: upload("user_data", "application/x-msdownload")},
		{ID: "files/not-multipart", Title: "an upload that is JSON, not multipart", Endpoint: "files-upload",
			Sends: `POST /files with Content-Type application/json`, Situation: malformedBody,
			build: func(cfg config.Config) probe.Request {
				r := authed("files-upload")(cfg)
				r.Header.Set("Content-Type", "application/json")
				r.Body = []byte(`{"purpose": "user_data", "file": "errconform probe file"}`)
				return r
			}},
	}
}
