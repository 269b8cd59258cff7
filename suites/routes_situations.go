// The generated routes' cases by situation: unknown model and upstream
// failure, context length, capability, rate-limit burst, credentials, and
// authentication before validation.

package suites

import (
	"fmt"
	"strings"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/spec"
)

// modelCases are the cases of a route that names a model: a model that
// does not exist, and one whose upstream fails.
func (rs routeSpec) modelCases() []Case {
	if !rs.route.HasModel {
		return nil
	}
	withModel := func(pick func(cfg config.Config) string) func(cfg config.Config) probe.Request {
		return func(cfg config.Config) probe.Request {
			ct, body := rs.body(cfg, func(b map[string]any) { b["model"] = pick(cfg) })
			return rs.raw(cfg, cfg.Auth.APIKey, ct, body)
		}
	}
	return []Case{
		{ID: rs.slug + "/unknown-model", Endpoint: rs.slug, Title: "a model that does not exist on POST " + rs.route.Path,
			Sends: "POST " + rs.route.Path + " for the model " + probeModel, Situation: "unknown-model",
			build: withModel(func(config.Config) string { return probeModel })},
		{ID: rs.slug + "/upstream-error", Endpoint: rs.slug, Fixtures: []string{"upstream_error_model"},
			Title: "a model whose upstream answers 500 on POST " + rs.route.Path, Sends: "POST " + rs.route.Path + " for fixtures.upstream_error_model",
			Situation: "upstream-error", Expect: check.Expectation{IfAccepted: "the request for the failing upstream's model succeeded: its upstream did not fail"},
			build: withModel(func(cfg config.Config) string { return cfg.Fixtures.UpstreamErrorModel })},
	}
}

// contextFields are the members a model reads as its prompt on the
// routes where OpenAI answers a prompt over the model's context window
// with context_length_exceeded: a completion's prompt, an embedding's
// input and a response's input. The other routes have no context window
// to exceed: a moderation, an image prompt and speech input have limits
// of their own (a length the schema states, or none published), a
// transcription a file size, a batch no prompt at all.
var contextFields = map[string]string{
	spec.PathCompletions: "prompt",
	spec.PathEmbeddings:  "input",
	spec.PathResponses:   "input",
}

// contextCases are the context-length case of a route whose prompt a
// model reads, as chat's context/length-exceeded: a prompt of 4.4 ×
// fixtures.context_window characters for fixtures.model (contextPrompt).
func (rs routeSpec) contextCases() []Case {
	field, ok := contextFields[rs.route.Path]
	if !ok || !rs.route.HasModel || rs.route.Multipart || rs.invalid(field, contextPrompt(16)) {
		return nil
	}
	return []Case{{ID: rs.slug + "/context/length-exceeded", Endpoint: rs.slug, Fixtures: []string{"model", "context_window"},
		Title: article(field) + " " + field + " longer than the model's context window on POST " + rs.route.Path,
		Sends: fmt.Sprintf("POST %s with %s of 4.4 × fixtures.context_window characters (\"hi \" repeated): over the window at anything from 1 to 4 characters per token",
			rs.route.Path, quote(field)),
		Situation: "context-length-exceeded",
		build: func(cfg config.Config) probe.Request {
			ct, body := rs.body(cfg, func(b map[string]any) { b[field] = contextPrompt(cfg.Fixtures.ContextWindow) })
			return rs.raw(cfg, cfg.Auth.APIKey, ct, body)
		}}}
}

// capabilityParts are the input parts a text-only model cannot take, by
// route: a response's input_image and input_file (inline file_data, so
// that no file lookup comes before the capability check), as chat's
// capability cases send image_url and file parts. No other route takes
// anything but text a model reads: a completion's prompt and an
// embedding's input are text or tokens, and the image a moderation may
// carry is for a moderation model, which fixtures.text_only_model (a
// chat model) does not name.
var capabilityParts = map[string][]struct {
	slug, what string
	part       map[string]any
}{
	spec.PathResponses: {
		{"input-image", "an input_image part", map[string]any{"type": "input_image", "image_url": onePixelPNG, "detail": "auto"}},
		{"input-file", "an input_file part", map[string]any{"type": "input_file", "filename": "errconform-probe.pdf",
			"file_data": "data:application/pdf;base64,JVBERi0xLjQKJSVFT0YK"}},
	},
}

// capabilityCases are a route's input parts sent to
// fixtures.text_only_model, each in a user message after a text part; a
// part the route's schema refuses is left out.
func (rs routeSpec) capabilityCases() []Case {
	if !rs.route.HasModel || rs.route.Multipart {
		return nil
	}
	var cases []Case
	for _, p := range capabilityParts[rs.route.Path] {
		input := []any{map[string]any{"type": "message", "role": "user", "content": []any{
			map[string]any{"type": "input_text", "text": "Describe this."}, p.part}}}
		if rs.invalid("input", input) {
			continue
		}
		cases = append(cases, Case{ID: rs.slug + "/capability/" + p.slug, Endpoint: rs.slug, Fixtures: []string{"text_only_model"},
			Title:     p.what + " sent to a text-only model on POST " + rs.route.Path,
			Sends:     fmt.Sprintf("POST %s with a user message carrying a %s part, for fixtures.text_only_model", rs.route.Path, p.part["type"]),
			Situation: "capability-mismatch",
			build: func(cfg config.Config) probe.Request {
				ct, body := rs.body(cfg, func(b map[string]any) {
					b["model"], b["input"] = cfg.Fixtures.TextOnlyModel, deepCopy(input)
				})
				return rs.raw(cfg, cfg.Auth.APIKey, ct, body)
			}})
	}
	return cases
}

// burstCases are the rate-limit burst on the route, as ratelimit/burst
// on GET /models: the rate-limited key sends the route's valid body one
// request after another until the first 429. Which routes a limiter
// covers is the target's choice (chat alone, every route in one bucket,
// a bucket per route), so the case judges what it sees: a 429, from the
// first request on (a shared bucket another burst emptied), has the
// contract's shape; no 429 at all is not applicable (Case.limitOpen). A
// body naming a file (a batch's input_file_id) is left out: its requests
// would fail on the file before the limit could answer.
func (rs routeSpec) burstCases() []Case {
	if _, names := rs.base["input_file_id"]; names {
		return nil
	}
	return []Case{{ID: rs.slug + "/ratelimit/burst", Endpoint: rs.slug, Fixtures: []string{"rate_limited_api_key"},
		Burst: true, Alone: true, limitOpen: true, Labels: []string{"alone"},
		Title: "a burst on a rate-limited key until the first 429 on POST " + rs.route.Path + "; every answer before it a 2xx",
		Sends: "POST " + rs.route.Path + " with fixtures.rate_limited_api_key, one after another, stopping at the first 429 or after fixtures.rate_limit_burst requests " +
			"(no 429 at all: not applicable, the target's limiter does not cover the route)",
		Situation: "rate-limited", Expect: check.Expectation{IfAccepted: "no answer was the rate limit's, and not every answer before it succeeded"},
		build: func(cfg config.Config) probe.Request {
			ct, body := rs.body(cfg, nil)
			return rs.raw(cfg, cfg.Fixtures.RateLimitedAPIKey, ct, body)
		}}}
}

// credentialCases are every credential variant on the route, and the
// disabled and expired keys.
func (rs routeSpec) credentialCases() []Case {
	var cases []Case
	for _, v := range authVariants {
		c := Case{
			ID:        fmt.Sprintf("%s/auth/%s", rs.slug, v.slug),
			Title:     fmt.Sprintf("%s on POST %s", v.title, rs.route.Path),
			Endpoint:  rs.slug,
			Fixtures:  v.fixtures,
			Sends:     fmt.Sprintf("POST %s with %s", rs.route.Path, v.sends),
			Situation: v.situation,
			build:     func(cfg config.Config) probe.Request { return v.request(cfg, rs.e) },
		}
		if v.authorization != nil {
			c.inapplicable = bearerOnly
		}
		cases = append(cases, c)
	}
	for _, k := range []struct {
		slug, fixture, what string
		key                 func(cfg config.Config) string
	}{
		{"disabled-key", "disabled_api_key", "a key that was disabled", func(cfg config.Config) string { return cfg.Fixtures.DisabledAPIKey }},
		{"expired-key", "expired_api_key", "a key past its expiry", func(cfg config.Config) string { return cfg.Fixtures.ExpiredAPIKey }},
	} {
		cases = append(cases, Case{ID: rs.slug + "/auth/" + k.slug, Endpoint: rs.slug, Fixtures: []string{k.fixture},
			Title: k.what + " on POST " + rs.route.Path, Sends: "POST " + rs.route.Path + " with fixtures." + k.fixture, Situation: k.slug,
			build: func(cfg config.Config) probe.Request { return rs.e.keyed(cfg, k.key(cfg)) }})
	}
	return cases
}

// authBeforeValidationCases send a body that is not valid JSON without a
// valid key: the answer must be the authentication error, as on chat
// completions (authBeforeValidationCases).
func (rs routeSpec) authBeforeValidationCases() []Case {
	malformed := []byte(`{"model": "` + DefaultModel + `", "input": [`)
	var cases []Case
	for _, k := range []struct {
		slug, sends string
		key         func(cfg config.Config) string
	}{
		{"no-key", "no credential", func(config.Config) string { return "" }},
		{"unknown-key", "an unknown key shaped like the configured one", func(cfg config.Config) string { return ShapedUnknownKey(cfg.Auth.APIKey) }},
	} {
		cases = append(cases, Case{ID: rs.slug + "/auth/before-validation/" + k.slug, Endpoint: rs.slug,
			Title:     fmt.Sprintf("a body that is not valid JSON with %s on POST %s: authentication comes before validation", k.sends, rs.route.Path),
			Sends:     fmt.Sprintf("POST %s with %s and truncated JSON", rs.route.Path, k.sends),
			Situation: "unauthenticated-invalid-body",
			build:     func(cfg config.Config) probe.Request { return rs.raw(cfg, k.key(cfg), "application/json", malformed) }})
	}
	return cases
}

// article is "an" before a vowel, else "a".
func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// quote writes a member's name as JSON does.
func quote(name string) string { return `"` + name + `"` }
