// The cases of the routes a contract lists beyond chat completions,
// models and files (completions, embeddings, responses, moderations,
// image generations, speech, transcriptions, batches): generated from
// each route's request schema, so that the catalogue holds the same
// situations on every route the API has.

package suites

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/spec"
)

// RouteSlug is a route's name in case IDs, groups and labels: its path
// without the leading slash, "/" read as "-" ("audio-transcriptions").
func RouteSlug(path string) string {
	return strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "-")
}

// Route is the path template of the route a case sends to
// ("/chat/completions", "/models/{model}", "/embeddings"); "" for the
// unknown-route case, which sends to no route of the API.
func (c Case) Route() string {
	if e, ok := endpointNamed(c.Endpoint); ok {
		return e.route
	}
	for _, path := range spec.SurfacePaths() {
		if RouteSlug(path) == c.Endpoint {
			return path
		}
	}
	return ""
}

// builtinRoutes are the POST routes whose cases the catalogue writes by
// hand (situations): every other route a contract lists gets generated
// cases (routeCases).
func builtinRoutes() []string { return []string{spec.PathChatCompletions, spec.PathFiles} }

// GeneratedRoutes lists the contract's POST routes whose cases are
// generated from their request schema: those it lists beyond chat
// completions and files, in spec.SurfacePaths' order.
func GeneratedRoutes(contract *spec.Contract) []string {
	var out []string
	for _, path := range contract.RoutePaths() {
		if !slices.Contains(builtinRoutes(), path) {
			out = append(out, path)
		}
	}
	return out
}

// routeBases are well-formed bodies of the known routes, asking for as
// little work as each allows; "model" is replaced by the run's model. A
// member the route's schema requires that a base lacks is filled in with
// a minimal valid value.
var routeBases = map[string]map[string]any{
	spec.PathCompletions:         {"model": DefaultModel, "prompt": "Say ok.", "max_tokens": json.Number("1")},
	spec.PathEmbeddings:          {"model": DefaultModel, "input": "Say ok."},
	spec.PathResponses:           {"model": DefaultModel, "input": "Say ok."},
	spec.PathModerations:         {"model": DefaultModel, "input": "Say ok."},
	spec.PathImagesGenerations:   {"model": DefaultModel, "prompt": "A red dot.", "n": json.Number("1")},
	spec.PathAudioSpeech:         {"model": DefaultModel, "input": "Say ok.", "voice": "alloy"},
	spec.PathAudioTranscriptions: {"model": DefaultModel},
	spec.PathBatches:             {"input_file_id": probeFileID, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
}

// routeBase is a valid body of the route: its known base with every
// required member it lacks filled in; false when no such body is valid
// (a contract's own schema the base does not fit).
func routeBase(r spec.Route) (map[string]any, bool) {
	base := map[string]any{}
	for k, v := range routeBases[r.Path] {
		if k != "model" || r.HasModel {
			base[k] = v
		}
	}
	sh := shapeOf(r.Schema)
	for _, name := range sh.required {
		if _, ok := base[name]; ok || (r.Multipart && name == "file") {
			continue
		}
		v, ok := minimal(sh.props[name], 0)
		if !ok {
			return nil, false
		}
		base[name] = v
	}
	view := jsonValue(base)
	if r.Multipart {
		view.(map[string]any)["file"] = "errconform-probe.wav"
	}
	return base, r.Valid(view)
}

// The most invalid-value cases a route gets of each kind: the fields
// every client sends first, then the others by name.
const (
	maxRangeCases = 3
	maxEnumCases  = 2
)

// invalidValuePreference orders the fields whose invalid values a route's
// cases send: the ones every API validates first.
var invalidValuePreference = []string{"max_tokens", "max_output_tokens", "temperature", "top_p", "n", "dimensions", "speed",
	"encoding_format", "response_format", "completion_window", "endpoint", "quality", "size"}

// routeSpec is what a route's cases are generated from.
type routeSpec struct {
	route spec.Route
	slug  string
	base  map[string]any
	e     endpoint
}

// routeCases are the generated cases of the contract's routes beyond the
// built-in ones, route by route: the body cases from the route's schema
// (malformed, each required member missing, null or of the wrong type,
// out-of-range and not-in-enum values), an unknown model, every
// credential case, an upstream failure, their stream twins where the
// route streams, and a multipart route's own cases. A route whose schema
// does not load is the error.
func routeCases(contract *spec.Contract) ([]Case, error) {
	var cases []Case
	for _, path := range GeneratedRoutes(contract) {
		r, _, err := contract.Route(path)
		if err != nil {
			return nil, fmt.Errorf("suites: contract %s: %w", contract.Name, err)
		}
		cases = append(cases, casesOfRoute(r)...)
	}
	return cases, nil
}

// casesOfRoute are one route's generated cases.
func casesOfRoute(r spec.Route) []Case {
	rs := routeSpec{route: r, slug: RouteSlug(r.Path)}
	base, valid := routeBase(r)
	rs.base = base
	rs.e = endpoint{name: rs.slug, method: http.MethodPost, path: r.Path, route: r.Path,
		body: func(cfg config.Config) (string, []byte) { return rs.body(cfg, nil) }}
	var cases []Case
	if valid {
		if r.Multipart {
			cases = append(cases, rs.multipartCases()...)
		} else {
			cases = append(cases, rs.jsonCases()...)
		}
		cases = append(cases, rs.modelCases()...)
		cases = append(cases, rs.capabilityCases()...)
		cases = append(cases, rs.contextCases()...)
	}
	cases = append(cases, rs.credentialCases()...)
	if !r.Multipart {
		cases = append(cases, rs.authBeforeValidationCases()...)
	}
	if r.Streams && !r.Multipart {
		probeCfg := twinProbeConfig()
		for _, c := range slices.Clone(cases) {
			var body map[string]any
			if json.Unmarshal(c.Request(probeCfg).Body, &body) == nil {
				cases = append(cases, streamTwin(c)) // a JSON object: it can ask for a stream
			}
		}
	}
	if valid {
		cases = append(cases, rs.burstCases()...) // after the twins: a burst judges the limit, not a stream
	}
	return cases
}

// body is the route's body for cfg with edit applied (nil: none): JSON,
// or a multipart form of its members and an audio file.
func (rs routeSpec) body(cfg config.Config, edit func(body map[string]any)) (string, []byte) {
	b := deepCopy(rs.base).(map[string]any)
	if rs.route.HasModel {
		b["model"] = modelOf(cfg)
	}
	if edit != nil {
		edit(b)
	}
	if rs.route.Multipart {
		return formBody(b, "audio/wav")
	}
	return "application/json", encode(b)
}

// audioFileField is the member a multipart body's edit sets to say which
// file part it carries: its content type, or "" for none.
const audioFileField = "\x00file"

// formBody is a multipart form of a body's members (each as a field; an
// array as repeated fields) and a small audio file of fileType, unless
// the body sets audioFileField ("" leaves the file out).
func formBody(body map[string]any, fileType string) (string, []byte) {
	if t, ok := body[audioFileField].(string); ok {
		fileType = t
		delete(body, audioFileField)
	}
	names := make([]string, 0, len(body))
	for k := range body {
		names = append(names, k)
	}
	sort.Strings(names)
	var fields [][2]string
	for _, k := range names {
		values, isList := body[k].([]any)
		if !isList {
			values = []any{body[k]}
		}
		for _, v := range values {
			fields = append(fields, [2]string{k, fmt.Sprint(v)})
		}
	}
	var file *formFile
	if fileType != "" {
		file = &formFile{name: "errconform-probe.wav", contentType: fileType, content: []byte("RIFF\x24\x00\x00\x00WAVEfmt ")}
	}
	return multipartForm(fields, file)
}

// bodyCase is a case on the route with the valid key and the base body
// edited.
func (rs routeSpec) bodyCase(kind, title, sends, situation, param string, edit func(body map[string]any)) Case {
	return Case{ID: rs.slug + "/" + kind, Title: title + " on POST " + rs.route.Path, Endpoint: rs.slug,
		Sends: "POST " + rs.route.Path + " with " + sends, Situation: situation, Expect: check.Expectation{Param: param},
		build: func(cfg config.Config) probe.Request {
			ct, body := rs.body(cfg, edit)
			return rs.raw(cfg, cfg.Auth.APIKey, ct, body)
		}}
}

// raw is a request of the route with key (none when empty), the body and
// its content type.
func (rs routeSpec) raw(cfg config.Config, key, contentType string, body []byte) probe.Request {
	r := probe.Request{Method: http.MethodPost, Path: rs.route.Path, Body: body, Header: http.Header{}}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	presentKey(cfg, &r, key)
	return r
}

// jsonCases are a JSON route's body cases.
func (rs routeSpec) jsonCases() []Case {
	rawCase := func(kind, title, sends string, body []byte) Case {
		return Case{ID: rs.slug + "/" + kind, Title: title + " on POST " + rs.route.Path, Endpoint: rs.slug,
			Sends: "POST " + rs.route.Path + " with " + sends, Situation: malformedBody,
			build: func(cfg config.Config) probe.Request { return rs.raw(cfg, cfg.Auth.APIKey, "application/json", body) }}
	}
	cases := []Case{
		rawCase("malformed-json", "a body that is not valid JSON", "truncated JSON", []byte(`{"model": "`+DefaultModel+`", "input": [`)),
		rawCase("not-an-object", "a JSON body that is not an object", `["model"]`, []byte(`["model"]`)),
	}
	sh := shapeOf(rs.route.Schema)
	required := slices.Clone(sh.required)
	sort.Strings(required)
	for _, name := range slices.Compact(required) {
		cases = append(cases,
			rs.bodyCase("missing/"+name, "no "+name+" member", "a body without "+quote(name), missingField, name,
				func(b map[string]any) { delete(b, name) }),
			rs.bodyCase("null/"+name, name+" is null", quote(name)+": null", missingField, name,
				func(b map[string]any) { b[name] = jsonNull{} }))
	}
	typed := slices.Compact(required)
	if len(typed) == 0 { // a schema requiring nothing (responses): its model and input
		for _, name := range []string{"model", "input"} {
			if _, ok := sh.props[name]; ok {
				typed = append(typed, name)
			}
		}
	}
	for _, name := range typed {
		if wrong, ok := shapeOf(sh.props[name]).wrongTypeValue(); ok && rs.invalid(name, wrong) {
			cases = append(cases, rs.bodyCase("wrong-type/"+name, name+" of the wrong JSON type",
				fmt.Sprintf("%s: %s", quote(name), describeValue(wrong)), wrongType, name,
				func(b map[string]any) { b[name] = wrong }))
		}
	}
	return append(cases, rs.invalidValueCases()...)
}

// invalid reports whether the base body with name set to value is
// refused by the route's schema: a case sends only what the schema
// refuses.
func (rs routeSpec) invalid(name string, value any) bool {
	b := deepCopy(rs.base).(map[string]any)
	b[name] = value
	if rs.route.Multipart {
		b["file"] = "errconform-probe.wav"
	}
	return !rs.route.Valid(jsonValue(b))
}

// invalidValueCases are a route's out-of-range and not-in-enum values of
// its top-level members, the preferred fields first (each confirmed
// invalid by the schema).
func (rs routeSpec) invalidValueCases() []Case {
	sh := shapeOf(rs.route.Schema)
	names := make([]string, 0, len(sh.props))
	for name := range sh.props {
		if name != "model" && name != "stream" {
			names = append(names, name)
		}
	}
	rank := func(name string) int {
		if i := slices.Index(invalidValuePreference, name); i >= 0 {
			return i
		}
		return len(invalidValuePreference)
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	var cases []Case
	ranges, enums := 0, 0
	for _, name := range names {
		p := shapeOf(sh.props[name])
		switch {
		case len(p.enum) > 0 && p.types["string"] && enums < maxEnumCases && rs.invalid(name, exploreNotAValue):
			enums++
			cases = append(cases, rs.bodyCase("invalid-value/"+name, name+" not one of its values",
				fmt.Sprintf("%s: %q", quote(name), exploreNotAValue), invalidValue, name,
				func(b map[string]any) { b[name] = exploreNotAValue }))
		case (p.types["number"] || p.types["integer"]) && ranges < maxRangeCases:
			value, what, ok := outOfRange(p)
			if !ok || !rs.invalid(name, value) {
				continue
			}
			ranges++
			cases = append(cases, rs.bodyCase("invalid-value/"+name, name+" "+what,
				fmt.Sprintf("%s: %s", quote(name), value), invalidValue, name,
				func(b map[string]any) { b[name] = value }))
		}
	}
	return cases
}

// outOfRange is a number just outside a numeric shape's range: above its
// maximum, else below its minimum.
func outOfRange(p shape) (json.Number, string, bool) {
	switch {
	case p.max != nil && math.Abs(*p.max) < exactFloatInteger:
		return number(*p.max + 1), fmt.Sprintf("above its maximum %v", *p.max), true
	case p.min != nil && math.Abs(*p.min) < exactFloatInteger:
		return number(*p.min - 1), fmt.Sprintf("below its minimum %v", *p.min), true
	}
	return "", "", false
}

// multipartCases are a multipart route's body cases: a JSON body, each
// required field left out, a file of a type the route refuses, and a
// number field that is not a number and an enum field's unknown value.
func (rs routeSpec) multipartCases() []Case {
	notMultipart := Case{ID: rs.slug + "/not-multipart", Title: "a JSON body, not multipart, on POST " + rs.route.Path, Endpoint: rs.slug,
		Sends: "POST " + rs.route.Path + " with Content-Type application/json", Situation: malformedBody,
		build: func(cfg config.Config) probe.Request {
			b := deepCopy(rs.base).(map[string]any)
			if rs.route.HasModel {
				b["model"] = modelOf(cfg)
			}
			return rs.raw(cfg, cfg.Auth.APIKey, "application/json", encode(b))
		}}
	cases := []Case{notMultipart}
	sh := shapeOf(rs.route.Schema)
	required := slices.Clone(sh.required)
	sort.Strings(required)
	for _, name := range slices.Compact(required) {
		edit := func(b map[string]any) { delete(b, name) }
		if name == "file" {
			edit = func(b map[string]any) { b[audioFileField] = "" }
		}
		cases = append(cases, rs.bodyCase("missing/"+name, "no "+name+" field", "a form without the "+name+" field", missingField, name, edit))
	}
	if _, ok := sh.props["file"]; ok {
		cases = append(cases, rs.bodyCase("invalid-value/file", "a file of a type the route refuses",
			"a form whose file part is application/x-msdownload", invalidValue, "file",
			func(b map[string]any) { b[audioFileField] = "application/x-msdownload" }))
	}
	if p, ok := sh.props["temperature"]; ok && shapeOf(p).types["number"] {
		cases = append(cases, rs.bodyCase("wrong-type/temperature", "temperature that is not a number",
			`a form whose temperature field is "hot"`, wrongType, "temperature", func(b map[string]any) { b["temperature"] = "hot" }))
	}
	if p, ok := sh.props["response_format"]; ok && len(shapeOf(p).enum) > 0 {
		cases = append(cases, rs.bodyCase("invalid-value/response_format", "response_format not one of its values",
			fmt.Sprintf("a form whose response_format field is %q", exploreNotAValue), invalidValue, "response_format",
			func(b map[string]any) { b["response_format"] = exploreNotAValue }))
	}
	return cases
}

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

// RouteCases are the cases of one route, in the order given.
type RouteCases struct {
	// Route is the path template ("/embeddings"); "" for the unknown
	// route's case, which sends to no route of the API.
	Route string
	Cases []Case
}

// InContract counts the route's cases the contract covers.
func (rc RouteCases) InContract() int {
	n := 0
	for _, c := range rc.Cases {
		if c.NotInContract == "" {
			n++
		}
	}
	return n
}

// ByRoute groups cases by their route (Case.Route): the routes in
// spec.KnownPaths' order (the body routes of the OpenAI surface, then the
// others), the unknown route's case last.
func ByRoute(cases []Case) []RouteCases {
	byRoute := map[string][]Case{}
	for _, c := range cases {
		byRoute[c.Route()] = append(byRoute[c.Route()], c)
	}
	var out []RouteCases
	for _, path := range append(spec.KnownPaths(), "") {
		if len(byRoute[path]) > 0 {
			out = append(out, RouteCases{path, byRoute[path]})
		}
	}
	return out
}

// RoutesJudged says which routes a run judges, for its first line and
// its reports: every route with a selected case the contract covers, and
// how many ("routes judged: /chat/completions 113, /files 17, /models
// 16"); the unknown route's case counts under no route.
func RoutesJudged(cases []Case) string {
	var parts []string
	for _, rc := range ByRoute(cases) {
		if n := rc.InContract(); n > 0 && rc.Route != "" {
			parts = append(parts, fmt.Sprintf("%s %d", rc.Route, n))
		}
	}
	if len(parts) == 0 {
		return "routes judged: none"
	}
	return "routes judged: " + strings.Join(parts, ", ")
}
