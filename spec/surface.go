package spec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"sigs.k8s.io/yaml"
)

// The OpenAI surface: the ten POST operations of OpenAI's published API
// that take a request body, each with its operationId and request schema,
// and the 260 schemas they reference (OpenAPI 3.1, MIT;
// spec/requests/README.md says where it comes from, and
// spec/requests/LICENSE.openai-openapi holds the notice).
//
//go:embed requests/openai-surface.json
var openAISurface []byte

// Media types of a route's request body.
const (
	MediaJSON      = "application/json"
	MediaMultipart = "multipart/form-data"
)

// Route is one POST route of an API that takes a request body: what
// suites, explore and the reference need to know of it.
type Route struct {
	// Path is the route's path template under the base URL: "/embeddings".
	Path string `json:"path"`
	// OperationID is the operation's id in OpenAI's API: "createEmbedding".
	OperationID string `json:"operation_id"`
	// Multipart says the body is multipart/form-data, not JSON.
	Multipart bool `json:"multipart,omitempty"`
	// Streams says the request schema has a stream member.
	Streams bool `json:"streams,omitempty"`
	// HasModel says the request schema has a model member.
	HasModel bool `json:"has_model,omitempty"`
	// SchemaName names the request schema: the component's name
	// ("CreateEmbeddingRequest"), or "" for an inline schema.
	SchemaName string `json:"schema_name,omitempty"`
	// SchemaOrigin says where the schema comes from: "contract" or
	// "openai-surface".
	SchemaOrigin string `json:"schema_origin"`
	// Schema is the request body's schema. Read it, never modify it: it
	// may be shared between contracts.
	Schema *openapi3.Schema `json:"-"`
}

// Schema origins of a route.
const (
	SchemaFromContract = "contract"
	SchemaFromSurface  = "openai-surface"
)

// MediaType is the route's request media type.
func (r Route) MediaType() string {
	if r.Multipart {
		return MediaMultipart
	}
	return MediaJSON
}

// Validate validates a decoded request body (encoding/json into an any;
// a multipart body as an object of its fields) against the route's
// request schema, reporting every violation.
func (r Route) Validate(body any) error {
	if r.Schema == nil {
		return nil
	}
	return r.Schema.VisitJSON(body, openapi3.MultiErrors())
}

// Valid reports whether a decoded request body is valid, without building
// the violations' messages.
func (r Route) Valid(body any) bool {
	return r.Schema == nil || r.Schema.VisitJSON(body, openapi3.FailFast()) == nil
}

// Property returns the schema of a member of the route's request body,
// looking through allOf; nil when the schema has no such member.
func (r Route) Property(name string) *openapi3.Schema { return property(r.Schema, name, 0) }

// Required reports whether the route's request schema requires a member
// (directly or through allOf).
func (r Route) Required(name string) bool { return required(r.Schema, name, 0) }

// maxAllOfDepth bounds how deep property and required follow allOf.
const maxAllOfDepth = 16

func property(s *openapi3.Schema, name string, depth int) *openapi3.Schema {
	if s == nil || depth > maxAllOfDepth {
		return nil
	}
	if ref, ok := s.Properties[name]; ok && ref != nil && ref.Value != nil {
		return ref.Value
	}
	for _, ref := range s.AllOf {
		if ref != nil {
			if p := property(ref.Value, name, depth+1); p != nil {
				return p
			}
		}
	}
	return nil
}

func required(s *openapi3.Schema, name string, depth int) bool {
	if s == nil || depth > maxAllOfDepth {
		return false
	}
	if slices.Contains(s.Required, name) {
		return true
	}
	for _, ref := range s.AllOf {
		if ref != nil && required(ref.Value, name, depth+1) {
			return true
		}
	}
	return false
}

// Paths of the routes that take a request body.
const (
	PathChatCompletions     = "/chat/completions"
	PathCompletions         = "/completions"
	PathEmbeddings          = "/embeddings"
	PathResponses           = "/responses"
	PathModerations         = "/moderations"
	PathImagesGenerations   = "/images/generations"
	PathAudioSpeech         = "/audio/speech"
	PathAudioTranscriptions = "/audio/transcriptions"
	PathBatches             = "/batches"
	PathFiles               = "/files"
)

// SurfacePaths lists the paths of the OpenAI surface's POST routes, in the
// order errconform reports them.
func SurfacePaths() []string {
	return []string{
		PathChatCompletions, PathCompletions, PathEmbeddings, PathResponses, PathModerations,
		PathImagesGenerations, PathAudioSpeech, PathAudioTranscriptions, PathBatches, PathFiles,
	}
}

// otherPaths are the routes without a request body that a contract may
// list besides the surface's (the built-in contracts' models and files
// routes).
var otherPaths = []string{"/models", "/models/{model}", "/files/{file_id}", "/files/{file_id}/content"}

// KnownPaths lists every path template a contract's paths may hold.
func KnownPaths() []string { return append(SurfacePaths(), otherPaths...) }

// surface is the loaded OpenAI surface document: its routes by path.
type surface struct {
	routes map[string]Route
}

// loadSurface loads the embedded surface document once: it is immutable,
// and loading it costs far more than a contract.
var loadSurface = sync.OnceValues(func() (*surface, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	// The document is not validated as a whole: doc.Validate refuses one
	// $recursiveRef that CreateResponse reaches, which loading and body
	// validation handle.
	doc, err := loadDocument(loader, openAISurface)
	if err != nil {
		return nil, fmt.Errorf("spec: the embedded OpenAI surface: %w", err)
	}
	inputItemAnyOf(doc)
	sf := &surface{routes: map[string]Route{}}
	for _, path := range SurfacePaths() {
		item := doc.Paths.Find(path)
		if item == nil || item.Post == nil {
			return nil, fmt.Errorf("spec: the embedded OpenAI surface lacks POST %s", path)
		}
		r, ok := routeOf(path, item.Post, SchemaFromSurface)
		if !ok {
			return nil, fmt.Errorf("spec: the embedded OpenAI surface's POST %s has no request schema", path)
		}
		sf.routes[path] = r
	}
	return sf, nil
})

// inputItemAnyOf reads a response's input item as OpenAI's API does: as
// any of its branches. The published schema makes InputItem a oneOf,
// tagged by a type member without a mapping, whose branches overlap: a
// message ({"type": "message", "role": "user", "content": [...]}) is both
// an EasyInputMessage and an InputMessage, so a strict oneOf refuses
// every message list, and a message without its (optional) type fails
// the tag. As an anyOf without the tag, every item one branch takes is
// valid, and an item none takes is not.
func inputItemAnyOf(doc *openapi3.T) {
	if doc.Components == nil {
		return
	}
	if ref := doc.Components.Schemas["InputItem"]; ref != nil && ref.Value != nil && len(ref.Value.OneOf) > 0 {
		ref.Value.AnyOf, ref.Value.OneOf, ref.Value.Discriminator = ref.Value.OneOf, nil, nil
	}
}

// SurfaceRoutes returns the ten routes of the OpenAI surface, each with
// its schema from the embedded surface document, in SurfacePaths' order.
func SurfaceRoutes() ([]Route, error) {
	sf, err := loadSurface()
	if err != nil {
		return nil, err
	}
	out := make([]Route, 0, len(sf.routes))
	for _, path := range SurfacePaths() {
		out = append(out, sf.routes[path])
	}
	return out, nil
}

// routeOf reads the route of a POST operation: its media type and the
// schema it names, if any (ok is false when it names none).
func routeOf(path string, op *openapi3.Operation, origin string) (Route, bool) {
	r := Route{Path: path, OperationID: op.OperationID, SchemaOrigin: origin}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return r, false
	}
	content := op.RequestBody.Value.Content
	mt := content.Get(MediaJSON)
	if mt == nil {
		if mt = content.Get(MediaMultipart); mt != nil {
			r.Multipart = true
		}
	}
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || !namesSchema(mt.Schema) {
		return r, false
	}
	r.Schema = mt.Schema.Value
	if ref := mt.Schema.Ref; ref != "" {
		r.SchemaName = ref[strings.LastIndex(ref, "/")+1:]
	}
	r.Streams = r.Property("stream") != nil
	r.HasModel = r.Property("model") != nil
	return r, true
}

// namesSchema reports whether a request body's schema says something of
// the body: a reference, or an inline schema with members, required
// members or allOf/anyOf/oneOf. A bare {type: object} names none.
func namesSchema(ref *openapi3.SchemaRef) bool {
	if ref.Ref != "" {
		return true
	}
	s := ref.Value
	return len(s.Properties) > 0 || len(s.Required) > 0 || len(s.AllOf) > 0 || len(s.AnyOf) > 0 || len(s.OneOf) > 0
}

// indexRoutes checks the contract's paths and builds its routes: every
// path must be one errconform knows, and a surface path's POST operation
// takes its schema from the contract or, naming none, from the surface
// document by its path's operationId.
func (c *Contract) indexRoutes() error {
	if c.doc.Paths == nil { // OpenAPI 3.1 lets a document have no paths: an API without routes
		return nil
	}
	known := KnownPaths()
	for path := range c.doc.Paths.Map() {
		if !slices.Contains(known, path) {
			return fmt.Errorf("paths.%s: is not a route errconform knows (known: %s)", path, strings.Join(known, ", "))
		}
	}
	for _, path := range SurfacePaths() {
		item := c.doc.Paths.Value(path)
		if item == nil || item.GetOperation(http.MethodPost) == nil {
			continue
		}
		builtin := surfaceOperations[path]
		op := item.Post
		if op.OperationID != "" && op.OperationID != builtin.operationID {
			return fmt.Errorf("paths.%s.post.operationId: %q is not the route's operation (%s)", path, op.OperationID, builtin.operationID)
		}
		r, ok := routeOf(path, op, SchemaFromContract)
		switch {
		case !ok:
			// The surface's schema, filled in when the routes are read:
			// loading the surface document costs more than most runs
			// need (a run of the catalogue reads no route's schema).
			r = Route{Path: path, Multipart: builtin.multipart, SchemaOrigin: SchemaFromSurface}
		case r.Multipart != builtin.multipart:
			return fmt.Errorf("paths.%s.post.requestBody: the route's body is %s", path, Route{Multipart: builtin.multipart}.MediaType())
		}
		r.OperationID = builtin.operationID
		c.routes = append(c.routes, r)
	}
	return nil
}

// RoutePaths returns the paths of the POST routes with a request body that
// the contract's paths list, in SurfacePaths' order, without reading any
// route's schema (so without loading the surface document).
func (c *Contract) RoutePaths() []string {
	out := make([]string, len(c.routes))
	for i, r := range c.routes {
		out[i] = r.Path
	}
	return out
}

// Lists reports whether the contract's paths list that POST route.
func (c *Contract) Lists(path string) bool { return slices.Contains(c.RoutePaths(), path) }

// Routes returns the POST routes with a request body that the contract's
// paths list, in SurfacePaths' order. A route whose schema comes from the
// surface document loads that document (once per process); failing to
// load it is the error.
func (c *Contract) Routes() ([]Route, error) {
	out := slices.Clone(c.routes)
	for i := range out {
		r, err := withSurfaceSchema(out[i])
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// Route returns the contract's route of that path ("/embeddings"); false
// when the contract does not list it. The error is the surface document's
// failing to load, where the route's schema comes from it.
func (c *Contract) Route(path string) (Route, bool, error) {
	for _, r := range c.routes {
		if r.Path == path {
			r, err := withSurfaceSchema(r)
			return r, err == nil, err
		}
	}
	return Route{}, false, nil
}

// withSurfaceSchema fills in a route's schema from the surface document
// when the contract names none.
func withSurfaceSchema(r Route) (Route, error) {
	if r.SchemaOrigin != SchemaFromSurface || r.Schema != nil {
		return r, nil
	}
	sf, err := loadSurface()
	if err != nil {
		return Route{}, fmt.Errorf("spec: the schema of POST %s: %w", r.Path, err)
	}
	return sf.routes[r.Path], nil
}

// surfaceOperations is what a contract's routes are checked against
// without loading the surface document: each surface path's operationId
// and whether its body is multipart. TestSurfaceOperationsMatchTheDocument
// holds it to the document.
var surfaceOperations = map[string]struct {
	operationID string
	multipart   bool
}{
	PathChatCompletions:     {"createChatCompletion", false},
	PathCompletions:         {"createCompletion", false},
	PathEmbeddings:          {"createEmbedding", false},
	PathResponses:           {"createResponse", false},
	PathModerations:         {"createModeration", false},
	PathImagesGenerations:   {"createImage", false},
	PathAudioSpeech:         {"createSpeech", false},
	PathAudioTranscriptions: {"createTranscription", true},
	PathBatches:             {"createBatch", false},
	PathFiles:               {"createFile", true},
}

// ValidBody reports whether a decoded request body is valid for a route:
// a chat completion body against the chat request schema of these request
// schemas (which a config or contract may replace), any other against the
// route's own schema.
func (rs *RequestSchemas) ValidBody(route Route, body any) bool {
	if route.Path == PathChatCompletions && rs.Chat != nil {
		return rs.ValidChat(body)
	}
	return route.Valid(body)
}

// ValidateBody validates a decoded request body for a route as ValidBody
// judges it, reporting every violation.
func (rs *RequestSchemas) ValidateBody(route Route, body any) error {
	if route.Path == PathChatCompletions && rs.Chat != nil {
		return rs.ValidateChat(body)
	}
	return route.Validate(body)
}

// WithRoutes returns a contract document (YAML or JSON) with POST routes
// of the OpenAI surface added to its paths, as a JSON document: each
// added route takes the chat completion route's responses and security
// and names no request schema of its own (so the surface's applies). A
// path the document lists already is left as it is. It is how a contract
// grows from the built-in ones' three routes to any of the ten.
func WithRoutes(doc []byte, paths ...string) ([]byte, error) { return editPaths(doc, paths, false) }

// WithPaths returns a contract document (YAML or JSON) whose paths are
// exactly these, as a JSON document: a path the document lists is kept as
// it is, a POST route of the OpenAI surface it does not list is added as
// WithRoutes adds it, and every other path of the document is removed.
// A path that is neither is an error. It is how errconform contract init
// writes a contract of the routes a target serves, from a base
// contract's tables.
func WithPaths(doc []byte, paths ...string) ([]byte, error) { return editPaths(doc, paths, true) }

// editPaths adds the surface routes of paths the document does not list
// and, when exact, removes every path not in paths.
func editPaths(doc []byte, paths []string, exact bool) ([]byte, error) {
	if len(doc) > MaxContractBytes {
		return nil, fmt.Errorf("spec: the contract document exceeds %d bytes", MaxContractBytes)
	}
	var root map[string]any
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("spec: read the contract document: %w", err)
	}
	docPaths, _ := root["paths"].(map[string]any)
	if docPaths == nil {
		docPaths = map[string]any{}
		root["paths"] = docPaths
	}
	var responses any = map[string]any{"200": map[string]any{"description": "A success (not checked by errconform)."}}
	var security any
	if chat, ok := docPaths[PathChatCompletions].(map[string]any); ok {
		if post, ok := chat["post"].(map[string]any); ok {
			if post["responses"] != nil {
				responses = post["responses"]
			}
			security = post["security"]
		}
	}
	for _, path := range paths {
		if _, listed := docPaths[path]; listed {
			continue
		}
		builtin, ok := surfaceOperations[path]
		if !ok && exact {
			return nil, fmt.Errorf("spec: %s is neither in the contract document nor a POST route of the OpenAI surface (%s)", path, strings.Join(SurfacePaths(), ", "))
		}
		if !ok {
			return nil, fmt.Errorf("spec: %s is not a route of the OpenAI surface (%s)", path, strings.Join(SurfacePaths(), ", "))
		}
		op := map[string]any{
			"operationId": builtin.operationID,
			"requestBody": map[string]any{"required": true, "content": map[string]any{
				Route{Multipart: builtin.multipart}.MediaType(): map[string]any{"schema": map[string]any{"type": "object"}},
			}},
			"responses": responses,
		}
		if security != nil {
			op["security"] = security
		}
		docPaths[path] = map[string]any{"post": op}
	}
	if exact {
		for path := range docPaths {
			if !slices.Contains(paths, path) {
				delete(docPaths, path)
			}
		}
	}
	out, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("spec: write the contract document: %w", err)
	}
	return out, nil
}

// WithRoutes returns the contract grown to list these routes of the
// OpenAI surface besides its own (see the function WithRoutes): its
// tables unchanged, its origin saying what was added.
func (c *Contract) WithRoutes(paths ...string) (*Contract, error) {
	doc, err := WithRoutes(c.raw, paths...)
	if err != nil {
		return nil, err
	}
	grown, err := Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("spec: contract %s with routes %s: %w", c.Name, strings.Join(paths, ", "), err)
	}
	grown.origin = c.origin + " with routes " + strings.Join(paths, ", ")
	return grown, nil
}
