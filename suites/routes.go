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

// routeModelOf is the model a generated route's requests send: the
// route's fixtures.route_models entry, else fixtures.model (else
// DefaultModel).
func routeModelOf(cfg config.Config, path string) string {
	if m := cfg.Fixtures.RouteModels[path]; m != "" {
		return m
	}
	return modelOf(cfg)
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
		b["model"] = routeModelOf(cfg, rs.route.Path)
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

// formBody is a multipart form of a body's members (formFieldsOf: each
// as a field, an array as repeated fields; the catalogue's bodies hold no
// null) and a small audio file of fileType, unless the body sets
// audioFileField ("" leaves the file out).
func formBody(body map[string]any, fileType string) (string, []byte) {
	if t, ok := body[audioFileField].(string); ok {
		fileType = t
		delete(body, audioFileField)
	}
	fields, _ := formFieldsOf(body)
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
				b["model"] = routeModelOf(cfg, rs.route.Path)
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
