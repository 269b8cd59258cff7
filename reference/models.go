package reference

import (
	"fmt"
	"net/http"

	"github.com/errconform/errconform/spec"
)

// capability is a kind of input a model accepts.
type capability string

const (
	capText  capability = "text"
	capImage capability = "image"
	capVideo capability = "video"
	capFile  capability = "file"
	capAudio capability = "audio"
)

// upstream is how a model's inference layer behaves.
type upstream int

const (
	upstreamOK          upstream = iota
	upstreamUnreachable          // cannot be reached: upstream-unreachable
	upstreamSilent               // never answers: upstream-timeout after the gateway timeout
	upstreamRateLimited          // answers 429: upstream-rate-limited
	upstreamFailing              // answers 500: upstream-error
)

type model struct {
	id            string
	ownedBy       string
	capabilities  []capability
	contextWindow int
	restricted    bool
	upstream      upstream
}

func (m model) accepts(c capability) bool {
	for _, have := range m.capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// newCatalogue lists the models in the order GET /v1/models returns them.
func newCatalogue() []model {
	all := []capability{capText, capImage, capVideo, capFile, capAudio}
	return []model{
		{id: MainModel, ownedBy: "openai", capabilities: all, contextWindow: ContextWindow},
		{id: TextOnlyModel, ownedBy: "ref", capabilities: []capability{capText}, contextWindow: ContextWindow},
		{id: RestrictedModel, ownedBy: "ref", capabilities: all, contextWindow: ContextWindow, restricted: true},
		{id: UnreachableModel, ownedBy: "test", capabilities: all, contextWindow: ContextWindow, upstream: upstreamUnreachable},
		{id: SlowModel, ownedBy: "test", capabilities: all, contextWindow: ContextWindow, upstream: upstreamSilent},
		{id: UpstreamRateLimitedModel, ownedBy: "test", capabilities: all, contextWindow: ContextWindow, upstream: upstreamRateLimited},
		{id: UpstreamErrorModel, ownedBy: "test", capabilities: all, contextWindow: ContextWindow, upstream: upstreamFailing},
	}
}

// RouteModels are the models the reference serves for the routes a
// contract lists whose requests a chat model would not serve at a real
// provider, by route; its config names them in fixtures.route_models. A
// response is a chat model's (/responses is sent fixtures.model).
var RouteModels = map[string]string{
	spec.PathCompletions:         "openai/gpt-3.5-turbo-instruct",
	spec.PathEmbeddings:          "openai/text-embedding-3-small",
	spec.PathModerations:         "openai/omni-moderation-latest",
	spec.PathImagesGenerations:   "openai/gpt-image-1",
	spec.PathAudioSpeech:         "openai/gpt-4o-mini-tts",
	spec.PathAudioTranscriptions: "openai/gpt-4o-transcribe",
}

// routeModels are the models of the routes the contract lists (their
// paths sorted), text-only, with the main model's context window (a
// route's context-length case sends 4.4 × fixtures.context_window
// characters to its model).
func routeModels(surface map[string]spec.Route) []model {
	var out []model
	for _, path := range spec.SurfacePaths() {
		if id, ok := RouteModels[path]; ok && surface[path].HasModel {
			out = append(out, model{id: id, ownedBy: "openai", capabilities: []capability{capText}, contextWindow: ContextWindow})
		}
	}
	return out
}

// routeModelFixtures is fixtures.route_models for the routes the contract
// lists; nil when it lists none of them.
func routeModelFixtures(surface map[string]spec.Route) map[string]string {
	var out map[string]string
	for path, r := range surface {
		if id, ok := RouteModels[path]; ok && r.HasModel {
			if out == nil {
				out = map[string]string{}
			}
			out[path] = id
		}
	}
	return out
}

// lookupModel finds a model the principal may use.
func (s *Server) lookupModel(p principal, id string) (model, *apiError) {
	var m model
	ok := false
	for _, candidate := range s.models {
		if candidate.id == id {
			m, ok = candidate, true
			break
		}
	}
	if !ok {
		return model{}, fail(sitUnknownModel, "model", fmt.Sprintf("The model '%s' does not exist.", excerpt(id)))
	}
	if m.restricted && p.restricted {
		return model{}, fail(sitModelNotPermitted, "model", fmt.Sprintf("Your API key is not allowed to use the model '%s'.", m.id))
	}
	return m, nil
}

type modelObject struct {
	ID            string       `json:"id"`
	Object        string       `json:"object"`
	Created       int64        `json:"created"`
	OwnedBy       string       `json:"owned_by"`
	ContextWindow int          `json:"context_window"`
	Capabilities  []capability `json:"capabilities"`
}

func (s *Server) modelObject(m model) modelObject {
	return modelObject{ID: m.id, Object: "model", Created: s.created.Unix(), OwnedBy: m.ownedBy,
		ContextWindow: m.contextWindow, Capabilities: m.capabilities}
}

func (s *Server) listModels(w http.ResponseWriter, _ *http.Request, _ principal) *apiError {
	list := struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}{Object: "list", Data: make([]modelObject, 0, len(s.models))}
	for _, m := range s.models {
		list.Data = append(list.Data, s.modelObject(m))
	}
	return s.writeJSON(w, list)
}

func (s *Server) retrieveModel(w http.ResponseWriter, p principal, id string) *apiError {
	m, aerr := s.lookupModel(p, id)
	if aerr != nil {
		return aerr
	}
	return s.writeJSON(w, s.modelObject(m))
}
