package reference

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
)

// allRoutes returns the built-in contract of that name grown to list
// every route of the OpenAI surface.
func allRoutes(t *testing.T, name string) *spec.Contract {
	t.Helper()
	base, err := spec.Builtin(name)
	require.NoError(t, err)
	c, err := base.WithRoutes(spec.SurfacePaths()...)
	require.NoError(t, err)
	require.Equal(t, spec.SurfacePaths(), c.RoutePaths())
	return c
}

// expectSituation asserts that res is the contract's answer to a
// situation: its status, type and code, and the param where one is given.
func (h *harness) expectSituation(t *testing.T, res response, sit situation, param string) {
	t.Helper()
	fallback, err := spec.Load()
	require.NoError(t, err)
	o := outcomeOf(h.contract, fallback, sit)
	require.Equal(t, o.Status, res.status, "%s: body %s", sit, res.body)
	e := decodeError(t, res)
	if typ, ok := h.contract.TypeFor(o.Status); ok {
		assert.Equal(t, typ, e["type"], "%s: type", sit)
	}
	switch {
	case h.contract.CodeIsStatus():
		assert.EqualValues(t, o.Status, e["code"], "%s: code", sit)
	case o.Code != "":
		assert.Equal(t, o.Code, e["code"], "%s: code", sit)
	}
	if param != "" && h.contract.HasField("param") {
		assert.Equal(t, param, e["param"], "%s: param", sit)
	}
}

// jsonRouteCase is one request to a JSON route and the situation it must
// be answered with ("" for a success).
type jsonRouteCase struct {
	name  string
	body  string
	sit   situation
	param string
}

// jsonRouteCases are, per JSON route of the surface, a valid body and one
// body per situation the route's schema gives rise to. {{file}} is
// replaced by the id of a file the valid key's organization owns.
var jsonRouteCases = map[string][]jsonRouteCase{
	spec.PathCompletions: {
		{"valid", `{"model":"` + MainModel + `","prompt":"hi"}`, "", ""},
		{"missing prompt", `{"model":"` + MainModel + `"}`, sitMissingField, "prompt"},
		{"null prompt", `{"model":"` + MainModel + `","prompt":null}`, sitMissingField, "prompt"},
		{"wrong type", `{"model":"` + MainModel + `","prompt":"hi","max_tokens":"many"}`, sitWrongType, "max_tokens"},
		{"out of range", `{"model":"` + MainModel + `","prompt":"hi","temperature":5}`, sitInvalidValue, "temperature"},
		{"unknown model", `{"model":"no/such-model","prompt":"hi"}`, sitUnknownModel, "model"},
	},
	spec.PathEmbeddings: {
		{"valid", `{"model":"` + MainModel + `","input":["a","b"]}`, "", ""},
		{"missing input", `{"model":"` + MainModel + `"}`, sitMissingField, "input"},
		{"wrong type", `{"model":"` + MainModel + `","input":"hi","dimensions":"x"}`, sitWrongType, "dimensions"},
		{"out of range", `{"model":"` + MainModel + `","input":"hi","dimensions":0}`, sitInvalidValue, "dimensions"},
		{"unknown model", `{"model":"no/such-model","input":"hi"}`, sitUnknownModel, "model"},
	},
	spec.PathResponses: { // its schema requires no member
		{"valid", `{"model":"` + MainModel + `","input":"hi"}`, "", ""},
		{"wrong type", `{"model":"` + MainModel + `","input":"hi","temperature":"hot"}`, sitWrongType, "temperature"},
		{"out of range", `{"model":"` + MainModel + `","input":"hi","top_logprobs":50}`, sitInvalidValue, "top_logprobs"},
		{"unknown model", `{"model":"no/such-model","input":"hi"}`, sitUnknownModel, "model"},
	},
	spec.PathModerations: {
		{"valid", `{"input":"hi"}`, "", ""},
		{"missing input", `{"model":"` + MainModel + `"}`, sitMissingField, "input"},
		{"wrong type", `{"input":5}`, sitWrongType, "input"},
		{"unknown model", `{"model":"no/such-model","input":"hi"}`, sitUnknownModel, "model"},
	},
	spec.PathImagesGenerations: {
		{"valid", `{"prompt":"a cat"}`, "", ""},
		{"missing prompt", `{"n":1}`, sitMissingField, "prompt"},
		{"wrong type", `{"prompt":"a cat","n":"two"}`, sitWrongType, "n"},
		{"out of range", `{"prompt":"a cat","n":20}`, sitInvalidValue, "n"},
		{"unknown model", `{"prompt":"a cat","model":"no/such-model"}`, sitUnknownModel, "model"},
	},
	spec.PathAudioSpeech: {
		{"valid", `{"model":"` + MainModel + `","input":"hi","voice":"alloy"}`, "", ""},
		{"missing voice", `{"model":"` + MainModel + `","input":"hi"}`, sitMissingField, "voice"},
		{"wrong type", `{"model":"` + MainModel + `","input":"hi","voice":"alloy","speed":"fast"}`, sitWrongType, "speed"},
		{"out of range", `{"model":"` + MainModel + `","input":"hi","voice":"alloy","speed":10}`, sitInvalidValue, "speed"},
		{"unknown model", `{"model":"no/such-model","input":"hi","voice":"alloy"}`, sitUnknownModel, "model"},
	},
	spec.PathBatches: {
		{"valid", `{"input_file_id":"{{file}}","endpoint":"/v1/chat/completions","completion_window":"24h"}`, "", ""},
		{"missing endpoint", `{"input_file_id":"{{file}}","completion_window":"24h"}`, sitMissingField, "endpoint"},
		{"wrong type", `{"input_file_id":"{{file}}","endpoint":"/v1/chat/completions","completion_window":24}`, sitWrongType, "completion_window"},
		{"invalid value", `{"input_file_id":"{{file}}","endpoint":"/v1/chat/completions","completion_window":"1h"}`, sitInvalidValue, "completion_window"},
		{"unknown file", `{"input_file_id":"file-nope","endpoint":"/v1/chat/completions","completion_window":"24h"}`, sitFileNotFound, ""},
	},
}

// uploadBatchFile uploads a JSONL file and returns its id.
func (h *harness) uploadBatchFile(t *testing.T) string {
	t.Helper()
	body, ct := multipartBody(t, formPart{name: "purpose", value: "batch"},
		formPart{name: "file", filename: "in.jsonl", contentType: "application/jsonl", value: "{}\n"})
	res := h.do(t, request{path: "/v1/files", body: body, contentType: ct})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var f struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(res.body, &f))
	return f.ID
}

func TestEverySurfaceRouteAnswersAsTheContractSays(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			h := newHarnessWith(t, allRoutes(t, name), Options{})
			fileID := h.uploadBatchFile(t)
			for path, cases := range jsonRouteCases {
				for _, tc := range cases {
					t.Run(path+"/"+tc.name, func(t *testing.T) {
						res := h.do(t, request{path: "/v1" + path, body: strings.ReplaceAll(tc.body, "{{file}}", fileID)})
						if tc.sit == "" {
							require.Equal(t, http.StatusOK, res.status, "%s", res.body)
							return
						}
						h.expectSituation(t, res, tc.sit, tc.param)
					})
				}
				t.Run(path+"/every route's common situations", func(t *testing.T) {
					valid := strings.ReplaceAll(cases[0].body, "{{file}}", fileID)
					model := `"model":"` + MainModel + `"`
					for _, c := range []struct {
						rq  request
						sit situation
					}{
						{request{path: "/v1" + path, body: `{"model":`}, sitMalformedBody},
						{request{path: "/v1" + path, body: ``}, sitMalformedBody},
						{request{path: "/v1" + path, body: `[1]`}, sitMalformedBody},
						{request{path: "/v1" + path, body: valid, auth: ptr("")}, sitMissingCredential},
						{request{path: "/v1" + path, body: valid, key: "sk-nope"}, sitUnknownKey},
						{request{path: "/v1" + path, body: valid, auth: ptr("Basic abc")}, sitMalformedCredential},
						{request{path: "/v1" + path, body: valid, key: h.cfg.Fixtures.DisabledAPIKey}, sitDisabledKey},
						{request{path: "/v1" + path, body: valid, key: h.cfg.Fixtures.NoCreditsAPIKey}, sitNoCredits},
						{request{path: "/v1" + path, body: `{"model":`, auth: ptr("")}, sitUnauthenticatedInvalidBody},
						{request{path: "/v1" + path, body: valid, header: map[string]string{"X-Fault": "500"}}, sitInternalError},
						{request{path: "/v1" + path, body: strings.Replace(valid, model, `"model":"`+UpstreamErrorModel+`"`, 1)}, sitUpstreamError},
					} {
						if c.sit == sitUpstreamError && !strings.Contains(valid, model) {
							continue // the route's valid body names no model
						}
						h.expectSituation(t, h.do(t, c.rq), c.sit, "")
					}
				})
			}
		})
	}
}

func TestTranscriptionsAreMultipart(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			h := newHarnessWith(t, allRoutes(t, name), Options{})
			audio := formPart{name: "file", filename: "a.wav", contentType: "audio/wav", value: "RIFF"}
			mdl := formPart{name: "model", value: MainModel}
			send := func(parts ...formPart) response {
				body, ct := multipartBody(t, parts...)
				return h.do(t, request{path: "/v1/audio/transcriptions", body: body, contentType: ct})
			}
			res := send(audio, mdl, formPart{name: "temperature", value: "0.5"}, formPart{name: "timestamp_granularities[]", value: "word"})
			require.Equal(t, http.StatusOK, res.status, "%s", res.body)
			assert.JSONEq(t, `{"text":"ok"}`, string(res.body))
			h.expectSituation(t, send(mdl), sitMissingField, "file")
			h.expectSituation(t, send(audio), sitMissingField, "model")
			h.expectSituation(t, send(audio, mdl, formPart{name: "temperature", value: "warm"}), sitWrongType, "temperature")
			h.expectSituation(t, send(audio, formPart{name: "model", value: "no/such-model"}), sitUnknownModel, "model")
			h.expectSituation(t, send(formPart{name: "file", filename: "a.txt", contentType: "text/plain", value: "hi"}, mdl), sitInvalidValue, "file")
			h.expectSituation(t, h.do(t, request{path: "/v1/audio/transcriptions", body: `{"model":"x"}`}), sitMalformedBody, "")
			h.expectSituation(t, h.do(t, request{path: "/v1/audio/transcriptions", body: "--x\r\nbroken", contentType: "multipart/form-data; boundary=x"}), sitMalformedBody, "")
		})
	}
}

// events splits a server-sent event stream into its events' names and
// decoded data.
func events(t *testing.T, body []byte) (names []string, data []map[string]any) {
	t.Helper()
	for _, block := range bytes.Split(bytes.TrimSpace(body), []byte("\n\n")) {
		name := ""
		for _, line := range strings.Split(string(block), "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				var d map[string]any
				if v != "[DONE]" {
					require.NoError(t, json.Unmarshal([]byte(v), &d), v)
				}
				names, data = append(names, name), append(data, d)
			}
		}
	}
	return names, data
}

func TestStreamsOfCompletionsAndResponses(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			c := allRoutes(t, name)
			h := newHarnessWith(t, c, Options{})
			res := h.do(t, request{path: "/v1/responses", body: `{"model":"` + MainModel + `","input":"hi","stream":true}`})
			require.Equal(t, http.StatusOK, res.status)
			assert.Equal(t, "text/event-stream", res.header.Get("Content-Type"))
			names, data := events(t, res.body)
			assert.Equal(t, []string{"response.created", "response.output_text.delta", "response.completed"}, names)
			for i, d := range data {
				assert.Equal(t, names[i], d["type"])
				assert.EqualValues(t, i, d["sequence_number"])
			}

			res = h.do(t, request{path: "/v1/completions", body: `{"model":"` + MainModel + `","prompt":"hi","stream":true}`})
			require.Equal(t, http.StatusOK, res.status)
			_, data = events(t, res.body)
			require.Len(t, data, 2)
			assert.Equal(t, "text_completion", data[0]["object"])
			assert.Nil(t, data[1], "[DONE]")

			// An upstream error: mid-stream where the contract lets it
			// arrive so, else before the stream, with its status.
			res = h.do(t, request{path: "/v1/responses", body: `{"model":"` + UpstreamErrorModel + `","input":"hi","stream":true}`})
			if !c.Outcome(string(sitUpstreamError)).MidStream {
				h.expectSituation(t, res, sitUpstreamError, "")
				return
			}
			require.Equal(t, http.StatusOK, res.status)
			names, data = events(t, res.body)
			require.Equal(t, []string{"response.created", "error", "response.failed"}, names)
			assert.Equal(t, "error", data[1]["type"])
			errObj, ok := data[1]["error"].(map[string]any)
			require.True(t, ok, "the error event carries the contract's error object: %v", data[1])
			require.NoError(t, c.ValidateError(map[string]any{"error": errObj}))
			status := c.Outcome(string(sitUpstreamError)).Status
			if c.CodeIsStatus() {
				assert.EqualValues(t, status, errObj["code"])
			}
			failed, _ := data[2]["response"].(map[string]any)
			assert.Equal(t, "failed", failed["status"])
			assert.Equal(t, map[string]any{"code": strconv.Itoa(status), "message": failed["error"].(map[string]any)["message"]}, failed["error"])
		})
	}
}

func TestUnlistedRoutesAreUnknown(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			c, err := spec.Builtin(name)
			require.NoError(t, err)
			h := newHarnessWith(t, c, Options{})
			for _, path := range spec.SurfacePaths() {
				if c.Lists(path) || path == spec.PathFiles {
					continue // the files route is served under every contract, as before
				}
				h.expectSituation(t, h.do(t, request{path: "/v1" + path, body: `{"model":"` + MainModel + `","input":"hi"}`}), sitUnknownRoute, "")
			}
		})
	}
}

// Options.Routes serves only the routes it names: the others answer as
// unknown routes, as a target that does not serve them; GET routes are
// served as before.
func TestOptionsRoutesServesOnlyThoseRoutes(t *testing.T) {
	c := allRoutes(t, spec.DefaultContract)
	served := []string{spec.PathChatCompletions, spec.PathEmbeddings, spec.PathAudioTranscriptions}
	h := newHarnessWith(t, c, Options{Routes: served})
	for _, path := range spec.SurfacePaths() {
		res := h.do(t, request{path: "/v1" + path, body: ""})
		if slices.Contains(served, path) {
			assert.Equal(t, http.StatusBadRequest, res.status, "%s is served: an empty body is refused", path)
		} else {
			h.expectSituation(t, res, sitUnknownRoute, "")
		}
	}
	assert.Equal(t, http.StatusOK, h.do(t, request{method: http.MethodGet, path: "/v1/models"}).status)
}

// Under a contract listing every route the reference serves a model per
// route (beside fixtures.model) and its config names them in
// fixtures.route_models; the default contract's config names none.
func TestConfigNamesTheRouteModels(t *testing.T) {
	assert.Nil(t, newHarness(t, Options{}).cfg.Fixtures.RouteModels, "the default contract lists no route with a model of its own")
	h := newHarnessWith(t, allRoutes(t, "aiand"), Options{})
	require.NoError(t, h.cfg.Validate())
	assert.Equal(t, RouteModels, h.cfg.Fixtures.RouteModels)
	listed := h.do(t, request{method: http.MethodGet, path: "/v1/models"})
	require.Equal(t, http.StatusOK, listed.status)
	for path, id := range RouteModels {
		assert.Contains(t, string(listed.body), `"`+id+`"`, "%s's model is listed", path)
	}
	res := h.do(t, request{method: http.MethodPost, path: "/v1/embeddings", contentType: "application/json",
		body: `{"model": "` + RouteModels[spec.PathEmbeddings] + `", "input": "Say ok."}`})
	assert.Equal(t, http.StatusOK, res.status, string(res.body))
}
