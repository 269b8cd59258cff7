// Package mutants owns the deliberately broken targets: each wraps the
// reference so that it breaks the contract in exactly one way, the way a
// real gateway does (a proxy's HTML page, a framework's default error
// handler, a copy of OpenAI's own types, a hurried hand-written handler).
// Each names the rules that must catch it and the cases it touches; the
// self-tests prove every rule fails on its mutant and nothing else fails.
package mutants

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// Mutant is one way of breaking the contract.
type Mutant struct {
	Name        string
	Description string
	// Breaks lists the rules that must report on the cases it touches.
	Breaks []string
	// Affects says which cases the mutation touches; every other case must
	// still pass against it.
	Affects func(c suites.Case) bool
	// Wrap builds the mutant around a conforming handler.
	Wrap func(reference http.Handler) http.Handler
	// NotFor, when set, says why the mutant breaks nothing under a contract
	// (numeric codes are the rule under a contract whose code is the
	// status), or "" where it applies.
	NotFor func(c *spec.Contract) string
}

// BreaksUnder lists the rules the mutant must trip that apply under the
// contract.
func (m Mutant) BreaksUnder(c *spec.Contract) []string {
	var out []string
	for _, id := range m.Breaks {
		if r, ok := check.RuleByID(id); ok && r.AppliesTo(c) {
			out = append(out, id)
		}
	}
	return out
}

// NotApplicableUnder says why the mutant cannot apply under a contract:
// its own reason, or none of the rules it breaks applies there; "" when
// it applies. (A mutant may also touch no case the contract covers; the
// self-test says so.)
func (m Mutant) NotApplicableUnder(c *spec.Contract) string {
	if m.NotFor != nil {
		if why := m.NotFor(c); why != "" {
			return why
		}
	}
	if len(m.BreaksUnder(c)) == 0 {
		return fmt.Sprintf("none of the rules it breaks (%s) applies under the contract %s", strings.Join(m.Breaks, ", "), c.Name)
	}
	return ""
}

// response is a recorded response a mutation may rewrite.
type response struct {
	status int
	header http.Header
	body   []byte
	// requestBody is the request's body, kept for mutations that depend on it.
	requestBody []byte
}

// rewrite records the reference's response and lets edit change it before
// it is sent.
func rewrite(edit func(r *http.Request, resp *response)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var requestBody []byte
			if r.Body != nil {
				requestBody, _ = io.ReadAll(io.LimitReader(r.Body, 16<<20))
				r.Body = io.NopCloser(bytes.NewReader(requestBody))
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			resp := &response{status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes(), requestBody: requestBody}
			edit(r, resp)
			for k, v := range resp.header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
			w.WriteHeader(resp.status)
			_, _ = w.Write(resp.body)
		})
	}
}

// copyRecorded sends a recorded response unchanged.
func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// onErrors applies edit only to error responses (status >= 400) whose
// status is in statuses (all error statuses when none is given).
func onErrors(edit func(r *http.Request, resp *response), statuses ...int) func(http.Handler) http.Handler {
	return rewrite(func(r *http.Request, resp *response) {
		if resp.status < 400 {
			return
		}
		if len(statuses) > 0 && !containsInt(statuses, resp.status) {
			return
		}
		edit(r, resp)
	})
}

// editError decodes the error object, lets edit change it, and re-encodes.
func editError(edit func(e map[string]any)) func(*http.Request, *response) {
	return func(_ *http.Request, resp *response) {
		var doc map[string]any
		if json.Unmarshal(resp.body, &doc) != nil {
			return
		}
		e, ok := doc["error"].(map[string]any)
		if !ok {
			return
		}
		edit(e)
		resp.body, _ = json.Marshal(doc)
	}
}

// failure turns a response into a framework's bare 500.
func failure(resp *response) {
	resp.status = http.StatusInternalServerError
	resp.header = http.Header{"Content-Type": {"application/json"}}
	resp.body = []byte(`{"status":"failure"}`)
}

// withBody is a copy of r that reads body.
func withBody(r *http.Request, body []byte) *http.Request {
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.ContentLength = int64(len(body))
	return c
}

// replaceBody swaps the body and content type.
func replaceBody(contentType, body string) func(*http.Request, *response) {
	return func(_ *http.Request, resp *response) {
		resp.header.Set("Content-Type", contentType)
		resp.body = []byte(body)
	}
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// credentialProbe fills every credential and fixture, so that a case's
// request shows whether it carries one (and which).
var credentialProbe = config.Config{
	Auth: config.Auth{APIKey: "sk-mutants-credential-probe-0000"},
	Fixtures: config.Fixtures{Model: "mutants/probe-model", NoCreditsAPIKey: "sk-mutants-probe-1", RestrictedAPIKey: "sk-mutants-probe-2",
		RestrictedModel: "mutants/probe-restricted", RateLimitedAPIKey: "sk-mutants-probe-3", ForeignFileID: "file-x", ExpiredFileID: "file-y",
		TextOnlyModel: "mutants/probe-text-only", ContextWindow: 16, UnreachableModel: "mutants/probe-unreachable", SlowModel: "mutants/probe-slow",
		InternalErrorHeader: "X-Fault: 500", JWTHS256Secret: "mutants-probe-jwt-secret", DisabledAPIKey: "sk-mutants-probe-4",
		ExpiredAPIKey: "sk-mutants-probe-5", UpstreamRateLimitedModel: "mutants/probe-upstream-rate-limited",
		UpstreamErrorModel: "mutants/probe-upstream-error"},
}

// shapedProbe is credentialProbe with every key shaped like the
// reference's ("sk-ref-" and 32 hex digits), so that a case's request shows
// whether it presents an unknown key of the configured key's shape.
var shapedProbe = func() config.Config {
	cfg := credentialProbe
	key := func(digit string) string { return "sk-ref-" + strings.Repeat(digit, 32) }
	cfg.Auth.APIKey = key("0")
	f := &cfg.Fixtures
	f.NoCreditsAPIKey, f.RestrictedAPIKey, f.RateLimitedAPIKey, f.DisabledAPIKey, f.ExpiredAPIKey = key("1"), key("2"), key("3"), key("4"), key("5")
	return cfg
}()

// sendsCredential reports whether the case's request carries a credential
// long enough for the no-secret-echo rule to look for.
func sendsCredential(c suites.Case) bool { return len(c.Request(credentialProbe).Credential) >= 8 }

// sendsNoAuthorization reports whether the case's request has no
// Authorization header at all.
func sendsNoAuthorization(c suites.Case) bool {
	return c.Request(credentialProbe).Header.Get("Authorization") == ""
}

// sendsKey reports whether the case's request carries the key that pick
// takes from a config.
func sendsKey(pick func(config.Config) string) func(suites.Case) bool {
	return func(c suites.Case) bool { return c.Request(credentialProbe).Credential == pick(credentialProbe) }
}

// requestsModel reports whether the case's request body names the model
// that pick takes from a config.
func requestsModel(pick func(config.Config) string) func(suites.Case) bool {
	return func(c suites.Case) bool {
		var body struct {
			Model string `json:"model"`
		}
		return json.Unmarshal(c.Request(credentialProbe).Body, &body) == nil && body.Model == pick(credentialProbe)
	}
}

// presentsShapedUnknownKey reports whether the case presents, as a Bearer
// token, a key nobody holds that has the configured key's prefix and length.
func presentsShapedUnknownKey(c suites.Case) bool {
	token, ok := bearerToken(c.Request(shapedProbe).Header.Get("Authorization"))
	return ok && shapedLike(shapedProbe.Auth.APIKey, token) && !knownKey(shapedProbe, token)
}

// bearerToken returns the token of an "Authorization: Bearer <token>" value.
func bearerToken(authorization string) (string, bool) {
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// shapedLike reports whether token has key's prefix (up to its last
// separator, as suites.ShapedUnknownKey reads it) and key's length.
func shapedLike(key, token string) bool {
	prefix := key[:strings.LastIndexAny(key, "-_.:")+1]
	return prefix != "" && len(token) == len(key) && strings.HasPrefix(token, prefix)
}

// knownKey reports whether token is one of the config's API keys.
func knownKey(cfg config.Config, token string) bool {
	f := cfg.Fixtures
	for _, k := range []string{cfg.Auth.APIKey, f.NoCreditsAPIKey, f.RestrictedAPIKey, f.RateLimitedAPIKey, f.DisabledAPIKey, f.ExpiredAPIKey} {
		if k != "" && k == token {
			return true
		}
	}
	return false
}

// referenceConfig is the configuration of the reference server a mutant
// wraps, for the mutants that act on its keys or models. Those mutants must
// wrap the reference itself (innermost, when mutants are composed).
func referenceConfig(h http.Handler, mutant string) config.Config {
	s, ok := h.(*reference.Server)
	if !ok {
		panic(fmt.Sprintf("mutants: %s must wrap the *reference.Server itself, not a %T", mutant, h))
	}
	return s.Config("")
}

// presentedCredential is the Authorization value without its scheme.
func presentedCredential(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(v, " "); ok && len(scheme) <= 8 {
		return rest
	}
	return v
}

// requestsStream reports whether a JSON request body asked for stream: true.
func requestsStream(resp *response) bool {
	var body struct {
		Stream bool `json:"stream"`
	}
	return json.Unmarshal(resp.requestBody, &body) == nil && body.Stream
}

// Predicates over cases.
func all(suites.Case) bool { return true }

// answersError reports whether the reference answers the case with an
// error: every case but the positive controls, which it serves. A mutation
// of error responses touches exactly these.
func answersError(c suites.Case) bool { return c.Expect.Status >= 400 }

func both(a, b func(suites.Case) bool) func(suites.Case) bool {
	return func(c suites.Case) bool { return a(c) && b(c) }
}

func status(codes ...int) func(suites.Case) bool {
	return func(c suites.Case) bool { return containsInt(codes, c.Expect.Status) }
}

func withCode(c suites.Case) bool  { return c.Expect.Code != "" }
func withParam(c suites.Case) bool { return c.Expect.Param != "" }

func idPrefix(prefix string) func(suites.Case) bool {
	return func(c suites.Case) bool { return strings.HasPrefix(c.ID, prefix) }
}

func expectsCode(code string) func(suites.Case) bool {
	return func(c suites.Case) bool { return c.Expect.Code == code }
}

func expectsParam(params ...string) func(suites.Case) bool {
	return func(c suites.Case) bool {
		for _, p := range params {
			if c.Expect.Param == p {
				return true
			}
		}
		return false
	}
}

// laterItemCase: a case whose bad value is in a later item of a list.
func laterItemCase(c suites.Case) bool {
	id := strings.TrimSuffix(c.ID, "/stream")
	return strings.HasSuffix(id, "-second-message") || strings.HasSuffix(id, "-second-invalid") || strings.HasSuffix(id, "-second-wrong-type")
}

// firstItemsOnly drops the items after the first of messages, of each
// message's content array and of tools that a check of the first item only
// would have refused: the upstream never sees them, as if it ignored them.
func firstItemsOnly(body []byte) []byte {
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	doc["messages"] = laterValid(doc["messages"], func(m any) bool {
		msg, _ := m.(map[string]any)
		role, _ := msg["role"].(string)
		return slices.Contains([]string{"system", "user", "assistant", "tool", "developer", "function"}, role)
	})
	messages, _ := doc["messages"].([]any)
	for _, m := range messages {
		if msg, ok := m.(map[string]any); ok && msg["content"] != nil {
			msg["content"] = laterValid(msg["content"], func(p any) bool {
				part, _ := p.(map[string]any)
				typ, _ := part["type"].(string)
				return slices.Contains([]string{"text", "image_url", "input_audio", "file", "refusal", "video_url", "input_file"}, typ)
			})
		}
	}
	if tools, ok := doc["tools"]; ok {
		doc["tools"] = laterValid(tools, func(t any) bool { _, ok := t.(map[string]any); return ok })
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// laterValid keeps a list's first item and those after it that valid
// accepts; anything that is not a list of two or more comes back as is.
func laterValid(v any, valid func(any) bool) any {
	items, ok := v.([]any)
	if !ok || len(items) < 2 {
		return v
	}
	kept := items[:1:1]
	for _, item := range items[1:] {
		if valid(item) {
			kept = append(kept, item)
		}
	}
	return kept
}

func upstreamRateLimitedModel(cfg config.Config) string { return cfg.Fixtures.UpstreamRateLimitedModel }
func upstreamErrorModel(cfg config.Config) string       { return cfg.Fixtures.UpstreamErrorModel }

// asOwn500 answers the reference's error for the model that pick names as
// the gateway's own internal error, as the reference writes it (its fault
// header), whatever the contract says the upstream's failure becomes.
func asOwn500(mutant string, pick func(config.Config) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		cfg := referenceConfig(next, mutant)
		faultName, faultValue, err := config.SplitHeader(cfg.Fixtures.InternalErrorHeader)
		if err != nil {
			panic("mutants: the reference's fault header: " + err.Error())
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, withBody(r, body))
			var req struct {
				Model string `json:"model"`
			}
			if rec.Code >= 400 && json.Unmarshal(body, &req) == nil && req.Model == pick(cfg) {
				faulted := withBody(r, body)
				faulted.Header.Set(faultName, faultValue)
				rec = httptest.NewRecorder()
				next.ServeHTTP(rec, faulted)
			}
			copyRecorded(w, rec)
		})
	}
}

// upstreamModels are the reference's models whose upstream fails.
func upstreamModels(cfg config.Config) map[string]bool {
	f := cfg.Fixtures
	return map[string]bool{f.UnreachableModel: true, f.SlowModel: true, f.UpstreamRateLimitedModel: true, f.UpstreamErrorModel: true}
}

// midStreamCase: a stream: true case whose error the contract lets arrive
// mid-stream in a 200.
func midStreamCase(c suites.Case) bool { return c.Expect.Stream && c.Expect.MidStream }

// midStreamAnswer turns the reference's error to a stream: true request
// for an upstream model into a 200 event stream with the given body.
func midStreamAnswer(events func(errorBody []byte) []byte) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		cfg := referenceConfig(next, "a mid-stream mutant")
		upstream := upstreamModels(cfg)
		return onErrors(func(_ *http.Request, resp *response) {
			if requestsStream(resp) && upstream[requestedModel(resp)] {
				resp.status = http.StatusOK
				resp.header = http.Header{"Content-Type": {"text/event-stream"}}
				resp.body = events(resp.body)
			}
		})(next)
	}
}

// Reasons a mutant does not apply under a contract.
func codeIsStatus(c *spec.Contract) string {
	if c.CodeIsStatus() {
		return "the contract's error.code is the status number: the mutation is its rule"
	}
	return ""
}

func codeIsNotStatus(c *spec.Contract) string {
	if !c.CodeIsStatus() {
		return "the contract's error.code is not the status number"
	}
	return ""
}

func hasTypes(c *spec.Contract) string {
	if c.HasTypes() {
		return "the contract's errors have types: the type-specific mutants cover them"
	}
	return ""
}

func acceptsMidStream(c *spec.Contract) string {
	for _, name := range c.SituationNames() {
		if o := c.Outcome(name); o.MidStream && strings.HasPrefix(name, "upstream-") {
			return "the contract accepts an upstream error carried mid-stream in a 200"
		}
	}
	return ""
}

func noMidStream(c *spec.Contract) string {
	if acceptsMidStream(c) == "" {
		return "the contract accepts no error carried mid-stream in a 200"
	}
	return ""
}

// requestedModel is the model a JSON request body names.
func requestedModel(resp *response) string {
	var body struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(resp.requestBody, &body)
	return body.Model
}
