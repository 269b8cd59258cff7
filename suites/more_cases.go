package suites

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"unicode"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
)

// ShapedUnknownKey returns a key nobody holds that a gateway's own format
// check accepts: the configured key's type prefix (redact.KeyPrefix:
// "sk-proj-"), the same length, and a random tail drawn from the character
// classes its tail uses. A gateway that rejects malformed keys first only
// reaches its unknown-key path (where keys get echoed back) with such a key.
func ShapedUnknownKey(key string) string {
	if key == "" {
		return unknownKey
	}
	// Only the key type's prefix is kept: keys of the base64url alphabet
	// hold - and _ throughout, and a prefix up to the last of them would
	// send nearly the whole valid key.
	prefix := redact.KeyPrefix(key)
	tail := key[len(prefix):]
	alphabet := tailAlphabet(tail)
	for {
		var b strings.Builder
		b.WriteString(prefix)
		for range len(tail) {
			n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet)))) // crypto/rand never fails (Go 1.24+)
			b.WriteByte(alphabet[n.Int64()])
		}
		if shaped := b.String(); shaped != key || len(tail) == 0 {
			return shaped
		}
	}
}

// tailAlphabet is every character of the classes the tail uses: lower- and
// upper-case letters (hex digits alone when the tail is hex), digits, and
// the tail's own symbols.
func tailAlphabet(tail string) string {
	const lower, upper, digits, hexLower = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "abcdef"
	var hasLower, hasUpper, hasDigit, onlyHex = false, false, false, true
	symbols := ""
	for _, r := range tail {
		switch {
		case unicode.IsLower(r) && r < 128:
			hasLower = true
			onlyHex = onlyHex && strings.ContainsRune(hexLower, r)
		case unicode.IsUpper(r) && r < 128:
			hasUpper = true
			onlyHex = false
		case unicode.IsDigit(r) && r < 128:
			hasDigit = true
		case r < 128 && r > ' ' && !strings.ContainsRune(symbols, r):
			symbols += string(r)
		}
	}
	alphabet := symbols
	switch {
	case hasLower && onlyHex && !hasUpper:
		alphabet += hexLower
	case hasLower:
		alphabet += lower
	}
	if hasUpper {
		alphabet += upper
	}
	if hasDigit || alphabet == "" {
		alphabet += digits
	}
	return alphabet
}

// controlCases are the positive controls: valid requests with the
// configured key and model that must succeed. Preflight runs them before
// any other case, so that a rejected key or model (or another setup
// problem: runner/preflight.go) stops the run with one
// message instead of dozens of misleading failures.
func controlCases() []Case {
	chat := func(stream bool) func(cfg config.Config) probe.Request {
		return func(cfg config.Config) probe.Request {
			overrides := map[string]any{}
			if stream {
				overrides["stream"] = true
			}
			return rawChat(cfg, cfg.Auth.APIKey, chatBody(modelOf(cfg), overrides))
		}
	}
	return []Case{
		{ID: "control/models-list", Endpoint: "models-list", Control: true, Labels: []string{"control"},
			Title: "the configured key lists the models", Sends: "GET /models with the configured key",
			Expect: check.Expectation{Status: 200}, build: authed("models-list")},
		{ID: "control/chat", Endpoint: "chat", Control: true, Labels: []string{"control"},
			Title: "a minimal chat completion with the configured key and model succeeds", Sends: "a one-token chat request with the configured key and model",
			Expect: check.Expectation{Status: 200}, build: chat(false)},
		{ID: "control/chat-stream", Endpoint: "chat", Control: true, Labels: []string{"control"},
			Title: "a minimal streamed chat completion succeeds as an event stream", Sends: `a one-token chat request with "stream": true`,
			Expect: check.Expectation{Status: 200, Stream: true}, build: chat(true)},
	}
}

// authBeforeValidationCases send bad bodies without a valid key: the
// answer must be 401, or anyone unauthenticated can map the validation
// surface. The unknown key is shaped like the configured one, so that a
// gateway's key-format check cannot answer before its validation does.
func authBeforeValidationCases() []Case {
	keys := []struct {
		slug, sends string
		key         func(cfg config.Config) string
	}{
		{"no-key", "no credential", func(config.Config) string { return "" }},
		{"unknown-key", "an unknown key shaped like the configured one", func(cfg config.Config) string { return ShapedUnknownKey(cfg.Auth.APIKey) }},
	}
	bodies := []struct {
		slug, sends string
		body        func(cfg config.Config) []byte
	}{
		{"malformed-json", "a body that is not valid JSON", func(config.Config) []byte { return []byte(`{"model": "` + DefaultModel + `", "messages": [`) }},
		{"missing-messages", `a body without "messages"`, func(cfg config.Config) []byte { return chatBody(modelOf(cfg), map[string]any{"messages": nil}) }},
		{"invalid-temperature", `"temperature": 3.5`, func(cfg config.Config) []byte { return chatBody(modelOf(cfg), map[string]any{"temperature": 3.5}) }},
	}
	var cases []Case
	for _, k := range keys {
		for _, b := range bodies {
			k, b := k, b
			cases = append(cases, Case{
				ID:        fmt.Sprintf("auth/before-validation/%s/%s", k.slug, b.slug),
				Title:     fmt.Sprintf("%s with %s: authentication comes before validation", b.sends, k.sends),
				Endpoint:  "chat",
				Sends:     fmt.Sprintf("POST /chat/completions with %s and %s", k.sends, b.sends),
				Situation: "unauthenticated-invalid-body",
				build:     func(cfg config.Config) probe.Request { return rawChat(cfg, k.key(cfg), b.body(cfg)) },
			})
		}
	}
	return cases
}

// newRouteAndKeyCases are the routes and key states added after the first
// release.
func newRouteAndKeyCases() []Case {
	keyCase := func(slug, fixture, what string, key func(cfg config.Config) string) Case {
		return Case{ID: "auth/" + slug + "/chat", Endpoint: "chat", Fixtures: []string{fixture},
			Title: what + " on POST /chat/completions", Sends: "a one-token chat request with fixtures." + fixture,
			Situation: slug,
			build:     keyedChat(key, modelOf, nil)}
	}
	return []Case{
		{ID: "route/unknown-model/models-get", Endpoint: "models-get", Title: "retrieve a model that does not exist",
			Sends: "GET /models/" + probeModel + " with the valid key", Situation: "unknown-model",
			build: func(cfg config.Config) probe.Request {
				r := authed("models-get")(cfg)
				r.Path = "/models/" + probeModel
				return r
			}},
		keyCase("disabled-key", "disabled_api_key", "a key that was disabled", func(cfg config.Config) string { return cfg.Fixtures.DisabledAPIKey }),
		keyCase("expired-key", "expired_api_key", "a key past its expiry", func(cfg config.Config) string { return cfg.Fixtures.ExpiredAPIKey }),
		{ID: "upstream/error-model", Endpoint: "chat", Fixtures: []string{"upstream_error_model"},
			Title: "a model whose upstream answers 500", Sends: "a one-token chat request for fixtures.upstream_error_model",
			Situation: "upstream-error", Expect: check.Expectation{IfAccepted: "the request for the failing upstream's model succeeded: its upstream did not fail"},
			build: keyedChat(validKey, func(cfg config.Config) string { return cfg.Fixtures.UpstreamErrorModel }, nil)},
		{ID: "upstream/rate-limited-model", Endpoint: "chat", Fixtures: []string{"upstream_rate_limited_model"},
			Title: "a model whose upstream answers 429", Sends: "a one-token chat request for fixtures.upstream_rate_limited_model",
			Situation: "upstream-rate-limited", Expect: check.Expectation{IfAccepted: "the upstream's answer did not reach the client"},
			build: keyedChat(validKey, func(cfg config.Config) string { return cfg.Fixtures.UpstreamRateLimitedModel }, nil)},
	}
}

// probeModel names a model that no target serves.
const probeModel = "errconform-no-such-model"

// streamTwinGroups are the groups whose chat cases get a stream: true twin:
// the contract holds for streamed requests too.
var streamTwinGroups = map[string]bool{
	"auth": true, "request": true, "capability": true, "context": true, "billing": true, "permission": true, "upstream": true,
}

// streamTwins returns, for every chat case of those groups whose body is a
// JSON object without "stream", the same request with "stream": true. The
// twin's ID is the case's ID with "/stream" appended.
func streamTwins(cases []Case) []Case {
	probeCfg := twinProbeConfig()
	var twins []Case
	for _, c := range cases {
		group, _, _ := strings.Cut(c.ID, "/")
		if c.Endpoint != "chat" || !streamTwinGroups[group] || c.Expect.Stream || c.Burst || c.Control {
			continue
		}
		var body map[string]any
		if json.Unmarshal(c.Request(probeCfg).Body, &body) != nil {
			continue // malformed or not an object: nothing to stream
		}
		if _, has := body["stream"]; has {
			continue
		}
		twins = append(twins, streamTwin(c))
	}
	return twins
}

// streamTwin is the case sent again with "stream": true; its ID is the
// case's with "/stream" appended.
func streamTwin(c Case) Case {
	twin := c
	twin.ID = c.ID + "/stream"
	twin.Title = c.Title + `, with "stream": true`
	twin.Sends = c.Sends + `, with "stream": true`
	twin.Expect.Stream = true
	twin.Labels = append(append(make([]string, 0, len(c.Labels)+1), c.Labels...), "stream")
	build := c.build
	twin.build = func(cfg config.Config) probe.Request {
		r := build(cfg)
		r.Body = withStream(r.Body)
		return r
	}
	return twin
}

// withStream adds "stream": true to a JSON object body.
func withStream(body []byte) []byte { return withMembers(body, map[string]any{"stream": true}) }

// withMembers sets top-level members of a JSON object body, leaving every
// other member's bytes as they are; a body that is not a JSON object comes
// back unchanged. Members come out in key order, as json.Marshal writes a
// map.
func withMembers(body []byte, members map[string]any) []byte {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		return body
	}
	for name, value := range members {
		raw, err := json.Marshal(value)
		if err != nil {
			panic(fmt.Sprintf("suites: member %s does not encode: %v", name, err)) // callers set strings and booleans
		}
		doc[name] = raw
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("suites: a decoded body does not encode: %v", err)) // decoded JSON always encodes
	}
	return out
}

// twinProbeConfig fills every fixture, so that a case's body shows whether
// it is a JSON object.
func twinProbeConfig() config.Config {
	return config.Config{Auth: config.Auth{APIKey: "sk-twin-probe-0000000000"}, Fixtures: config.Fixtures{
		Model: DefaultModel, ContextWindow: 16, TextOnlyModel: "m", NoCreditsAPIKey: "k1", RestrictedAPIKey: "k2", RestrictedModel: "m",
		ForeignFileID: "file-a", ExpiredFileID: "file-b", RateLimitedAPIKey: "k3", UnreachableModel: "m", SlowModel: "m",
		InternalErrorHeader: "X-Fault: x", DisabledAPIKey: "k4", ExpiredAPIKey: "k5", UpstreamRateLimitedModel: "m", UpstreamErrorModel: "m",
	}}
}

// requestHeader is a small helper for cases that add one header.
func requestHeader(r probe.Request, name, value string) probe.Request {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set(name, value)
	return r
}
