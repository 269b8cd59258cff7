// The routes explore walks: chat completions, from the chat request
// schema of the run (which a config or contract may replace), and every
// route the contract lists beyond it, from the route's own schema, with
// the same selection (the route's core set unless explore.fields says
// otherwise) and the same oracle; a multipart route's variants are sent
// as forms (explore_form.go).

package suites

import (
	"net/http"
	"slices"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
)

// exploreRoute is one route explore walks.
type exploreRoute struct {
	chat     bool
	path     string // "/embeddings"
	slug     string // in IDs: "chat", "embeddings"
	endpoint string // the cases' Endpoint
	sends    string // how its cases' Sends begins
	schema   *openapi3.Schema
	valid    func(body any) bool
	base     func() map[string]any
	core     []string // the fields walked when the selection includes none
	fields   []string // the fields selected
	hasModel bool
	streams  bool
	// noControls says the route's valid requests are not sent as
	// positive controls (why: routeWithoutControls).
	noControls bool
	// multipart says the variants are sent as multipart forms.
	multipart bool
}

// fieldLabel is a field's field: label: the field's name on chat
// completions, "<route>.<field>" on the others, so that a field's tally
// is its route's.
func (r *exploreRoute) fieldLabel(field string) string {
	if r.chat {
		return field
	}
	return r.slug + "." + field
}

// model is the model the route's variants send: fixtures.model on chat
// completions, the route's fixtures.route_models entry on the others
// (else fixtures.model).
func (r *exploreRoute) model(cfg config.Config) string {
	if r.chat {
		return modelOf(cfg)
	}
	return routeModelOf(cfg, r.path)
}

// controls reports whether a field of the route gets positive controls:
// not the members every request of the route must carry with a value of
// its own (its model, messages, input or prompt), and none on a route
// whose success is not a JSON document or cannot be had.
func (r *exploreRoute) controls(field string, required bool) bool {
	if r.chat {
		return true
	}
	return !r.noControls && !required && field != "model" && field != "input"
}

// chatExploreRoute is chat completions, walked from the run's chat
// request schema.
func chatExploreRoute(rs *spec.RequestSchemas, sel ExploreSelection) *exploreRoute {
	r := &exploreRoute{chat: true, path: spec.PathChatCompletions, slug: "chat", endpoint: "chat", sends: "a one-token chat request",
		schema: rs.Chat, valid: rs.ValidChat, base: exploreBase, core: CoreFields(), hasModel: true, streams: true}
	r.fields = selectedFields(r.schema, r.core, sel)
	return r
}

// routeCoreExtras are, beside chat's core set and a route's required
// members, the fields of the other routes every API is expected to
// validate.
var routeCoreExtras = []string{"input", "prompt", "voice", "encoding_format", "dimensions", "instructions", "max_output_tokens",
	"response_format", "size", "quality", "speed", "endpoint", "completion_window", "input_file_id"}

// routeWithoutControls are routes none of whose valid requests is sent as
// a positive control: speech answers audio, not JSON; a batch's valid
// body names a file no target has; a transcription answers text, SRT or
// VTT for the response_format values its controls would send, and an
// event stream of its own for stream: true, where a control expects JSON.
var routeWithoutControls = map[string]bool{spec.PathAudioSpeech: true, spec.PathBatches: true, spec.PathAudioTranscriptions: true}

// RouteCoreFields are the fields explore walks on a route by default:
// its required members, and those of chat's core set and of the other
// routes' core fields that its schema has, sorted.
func RouteCoreFields(r spec.Route) []string {
	sh := shapeOf(r.Schema)
	var core []string
	for name := range sh.props {
		if contains(sh.required, name) || contains(CoreFields(), name) || contains(routeCoreExtras, name) {
			core = append(core, name)
		}
	}
	sort.Strings(core)
	return core
}

// exploreRoutes are the routes the contract lists beyond chat
// completions (and files), each with its selected fields. A multipart
// route's variants are forms: its file part is not walked (the
// catalogue's multipart cases send a missing file and one of a type the
// route refuses), nor streamed (a form cannot ask for a chat's stream
// twin).
func exploreRoutes(contract *spec.Contract, sel ExploreSelection) ([]*exploreRoute, error) {
	var out []*exploreRoute
	for _, path := range GeneratedRoutes(contract) {
		route, _, err := contract.Route(path)
		if err != nil {
			return nil, err
		}
		base, ok := routeBase(route)
		if !ok {
			continue // no valid body to edit
		}
		slug := RouteSlug(path)
		r := &exploreRoute{path: path, slug: slug, endpoint: slug, sends: http.MethodPost + " " + path,
			schema: route.Schema, valid: route.Valid, core: RouteCoreFields(route),
			base:     func() map[string]any { return deepCopy(base).(map[string]any) },
			hasModel: route.HasModel, streams: route.Streams, noControls: routeWithoutControls[path]}
		r.fields = selectedFields(r.schema, r.core, sel)
		if route.Multipart {
			r.multipart, r.streams, r.valid = true, false, validForm(route)
			r.sends = http.MethodPost + " " + path + " (a multipart form with an audio file)"
			r.fields = slices.DeleteFunc(r.fields, func(f string) bool { return f == "file" })
		}
		out = append(out, r)
	}
	return out, nil
}

// selectedFields are a schema's top-level fields the selection probes,
// sorted.
func selectedFields(schema *openapi3.Schema, core []string, sel ExploreSelection) []string {
	var fields []string
	for name := range shapeOf(schema).props {
		if sel.selects(core, name) {
			fields = append(fields, name)
		}
	}
	slices.Sort(fields)
	return fields
}
