package spec_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
)

// surfaceBodies are, per route, a minimal valid body and one that is not
// valid: missing a required member or, for /responses (whose schema
// requires none), with a member of the wrong type. Multipart bodies are
// objects of their fields.
var surfaceBodies = []struct {
	path, operationID string
	multipart, stream bool
	valid, invalid    string
}{
	{spec.PathChatCompletions, "createChatCompletion", false, true, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, `{"model":"m"}`},
	{spec.PathCompletions, "createCompletion", false, true, `{"model":"m","prompt":"hi"}`, `{"model":"m"}`},
	{spec.PathEmbeddings, "createEmbedding", false, false, `{"model":"m","input":"hi"}`, `{"model":"m"}`},
	{spec.PathResponses, "createResponse", false, true, `{"model":"m","input":"hi"}`, `{"model":5}`},
	{spec.PathModerations, "createModeration", false, false, `{"input":"hi"}`, `{"model":"m"}`},
	{spec.PathImagesGenerations, "createImage", false, true, `{"prompt":"a cat"}`, `{"model":"m"}`},
	{spec.PathAudioSpeech, "createSpeech", false, false, `{"model":"m","input":"hi","voice":"alloy"}`, `{"model":"m","input":"hi"}`},
	{spec.PathAudioTranscriptions, "createTranscription", true, true, `{"file":"RIFF","model":"m"}`, `{"model":"m"}`},
	{spec.PathBatches, "createBatch", false, false, `{"input_file_id":"file-1","endpoint":"/v1/chat/completions","completion_window":"24h"}`, `{"input_file_id":"file-1","completion_window":"24h"}`},
	{spec.PathFiles, "createFile", true, false, `{"file":"data","purpose":"batch"}`, `{"file":"data"}`},
}

func decoded(t *testing.T, body string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	return v
}

func TestSurfaceRoutesValidateTheirBodies(t *testing.T) {
	routes, err := spec.SurfaceRoutes()
	require.NoError(t, err)
	require.Len(t, routes, len(surfaceBodies))
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	for i, tc := range surfaceBodies {
		t.Run(tc.path, func(t *testing.T) {
			r := routes[i]
			assert.Equal(t, tc.path, r.Path)
			assert.Equal(t, tc.operationID, r.OperationID)
			assert.Equal(t, tc.multipart, r.Multipart, "multipart")
			assert.Equal(t, tc.stream, r.Streams, "stream")
			assert.Equal(t, spec.SchemaFromSurface, r.SchemaOrigin)
			require.NotNil(t, r.Schema)
			assert.NoError(t, r.Validate(decoded(t, tc.valid)))
			assert.True(t, r.Valid(decoded(t, tc.valid)))
			assert.Error(t, r.Validate(decoded(t, tc.invalid)))
			assert.False(t, r.Valid(decoded(t, tc.invalid)))
			assert.True(t, rs.ValidBody(r, decoded(t, tc.valid)))
			assert.False(t, rs.ValidBody(r, decoded(t, tc.invalid)))
			assert.Error(t, rs.ValidateBody(r, decoded(t, tc.invalid)))
			assert.False(t, r.Valid(decoded(t, `{"model":5}`)), "a numeric model is valid on no route")
		})
	}
}

// routesOf is the contract's routes, which load.
func routesOf(t *testing.T, c *spec.Contract) []spec.Route {
	t.Helper()
	routes, err := c.Routes()
	require.NoError(t, err)
	return routes
}

// routeOf is the contract's route of that path, which loads.
func routeOf(t *testing.T, c *spec.Contract, path string) (spec.Route, bool) {
	t.Helper()
	r, ok, err := c.Route(path)
	require.NoError(t, err)
	return r, ok
}

func TestBuiltinContractsKeepTheirRoutes(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			c, err := spec.Builtin(name)
			require.NoError(t, err)
			assert.NotContains(t, c.RoutePaths(), spec.PathEmbeddings)
			routes := routesOf(t, c)
			require.NotEmpty(t, routes)
			assert.Equal(t, spec.PathChatCompletions, routes[0].Path)
			assert.Equal(t, spec.SchemaFromSurface, routes[0].SchemaOrigin, "{type: object} names no schema")
			if files, ok := routeOf(t, c, spec.PathFiles); ok {
				require.Len(t, routes, 2)
				assert.True(t, files.Multipart)
				assert.Equal(t, spec.SchemaFromContract, files.SchemaOrigin, "the contract's own multipart schema")
				assert.True(t, files.Required("purpose"))
			} else {
				require.Len(t, routes, 1, "openrouter lists chat completions and models only")
			}
			_, ok := routeOf(t, c, spec.PathEmbeddings)
			assert.False(t, ok)
			assert.True(t, c.HasOperation("GET", "/models"))
		})
	}
}

func TestAContractMayListEveryRoute(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			base, err := spec.Builtin(name)
			require.NoError(t, err)
			c, err := base.WithRoutes(spec.SurfacePaths()...)
			require.NoError(t, err)
			assert.Contains(t, c.Origin(), "with routes /chat/completions")
			doc, err := spec.WithRoutes(base.Raw(), spec.PathEmbeddings)
			require.NoError(t, err)
			one, err := spec.Parse(doc)
			require.NoError(t, err)
			assert.Len(t, routesOf(t, one), len(routesOf(t, base))+1)
			assert.True(t, one.Lists(spec.PathEmbeddings))
			var paths []string
			for _, r := range routesOf(t, c) {
				paths = append(paths, r.Path)
				require.NotNil(t, r.Schema, r.Path)
			}
			assert.Equal(t, spec.SurfacePaths(), paths)
			for _, tc := range surfaceBodies {
				r, ok := routeOf(t, c, tc.path)
				require.True(t, ok, tc.path)
				assert.Equal(t, tc.operationID, r.OperationID)
				if tc.path != spec.PathFiles { // the contract's own schema requires no more than the surface's
					assert.True(t, r.Valid(decoded(t, tc.valid)), tc.path)
					assert.False(t, r.Valid(decoded(t, tc.invalid)), tc.path)
				}
			}
			assert.Equal(t, base.SituationNames(), c.SituationNames(), "the tables are the base contract's")
		})
	}
}

func TestContractRoutesAreRefusedNamingTheMember(t *testing.T) {
	base, err := spec.Builtin(spec.DefaultContract)
	require.NoError(t, err)
	yamlDoc := string(base.Raw())
	tests := []struct {
		name, doc, want string
	}{
		{"unknown route", strings.Replace(yamlDoc, "  /models:\n", "  /assistants:\n    post:\n      operationId: createAssistant\n      responses:\n        \"200\": {description: ok}\n  /models:\n", 1),
			"paths./assistants: is not a route errconform knows"},
		{"wrong operation", strings.Replace(yamlDoc, "operationId: createChatCompletion", "operationId: createEmbedding", 1),
			"paths./chat/completions.post.operationId"},
		{"wrong media type", strings.Replace(yamlDoc, "          multipart/form-data:\n", "          application/json:\n", 1),
			"paths./files.post.requestBody"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NotEqual(t, yamlDoc, tc.doc, "the edit applies")
			_, err := spec.Parse([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err = spec.WithRoutes(base.Raw(), "/assistants")
	assert.ErrorContains(t, err, "/assistants is not a route of the OpenAI surface")
}

func TestWithPathsKeepsExactlyThePathsGiven(t *testing.T) {
	base, err := spec.Builtin(spec.DefaultContract)
	require.NoError(t, err)
	doc, err := spec.WithPaths(base.Raw(), spec.PathChatCompletions, spec.PathEmbeddings, spec.PathAudioTranscriptions, "/models", "/models/{model}")
	require.NoError(t, err)
	c, err := spec.Parse(doc)
	require.NoError(t, err)
	assert.Equal(t, []string{spec.PathChatCompletions, spec.PathEmbeddings, spec.PathAudioTranscriptions}, c.RoutePaths())
	assert.True(t, c.HasOperation("GET", "/models/{model}"))
	assert.False(t, c.HasOperation("GET", "/files/{file_id}"), "a path not given is removed")
	assert.False(t, c.Lists(spec.PathFiles))
	tr, ok := routeOf(t, c, spec.PathAudioTranscriptions)
	require.True(t, ok)
	assert.True(t, tr.Multipart)
	assert.Equal(t, base.SituationNames(), c.SituationNames(), "the base's tables")

	openrouter, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	_, err = spec.WithPaths(openrouter.Raw(), "/files/{file_id}")
	assert.ErrorContains(t, err, "/files/{file_id} is neither in the contract document nor a POST route")
}

// A response's input items are read as OpenAI's API reads them: a message
// list, with or without the item's type, is valid (the published oneOf's
// branches overlap on a message), and an item no branch takes is not.
func TestResponseInputItemsAreAnyOfTheirBranches(t *testing.T) {
	responses := surfaceRoute(t, spec.PathResponses)
	require.Equal(t, spec.PathResponses, responses.Path)
	for _, tt := range []struct {
		name, input string
		valid       bool
	}{
		{"typed message with an image", `[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}, {"type": "input_image", "image_url": "data:image/png;base64,AA==", "detail": "auto"}]}]`, true},
		{"message without its type", `[{"role": "user", "content": "hi"}]`, true},
		{"assistant message as text", `[{"role": "assistant", "content": "ok"}]`, true},
		{"message with an unknown role", `[{"type": "message", "role": "oracle", "content": "hi"}]`, false},
		{"item of no known type", `[{"type": "not-an-item"}]`, false},
		{"item that is not an object", `[42]`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var input any
			require.NoError(t, json.Unmarshal([]byte(tt.input), &input))
			body := map[string]any{"model": "m", "input": input}
			assert.Equal(t, tt.valid, responses.Valid(body), "%s", responses.Validate(body))
		})
	}
}

// surfaceRoute is the OpenAI surface's route at path.
func surfaceRoute(t *testing.T, path string) spec.Route {
	t.Helper()
	routes, err := spec.SurfaceRoutes()
	require.NoError(t, err)
	for _, r := range routes {
		if r.Path == path {
			return r
		}
	}
	t.Fatalf("the surface has no %s", path)
	return spec.Route{}
}
