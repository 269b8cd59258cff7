// The routes of the OpenAI surface beyond chat completions and files:
// completions, embeddings, responses, moderations, image generations,
// speech, transcriptions and batches, each served where the contract
// lists it, its body validated against the route's request schema.

package reference

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/errconform/errconform/spec"
)

// maxFieldBytes bounds one multipart field's value (not the file's).
const maxFieldBytes = 64 << 10

// surfaceRoutes are the contract's routes the generic handler serves: all
// but chat completions and files, which have their own handlers (and are
// served under every contract, as before routes were the contract's).
// A route whose schema does not load is an error (checkContract reports
// it before the server is built).
func surfaceRoutes(c *spec.Contract) (map[string]spec.Route, error) {
	out := map[string]spec.Route{}
	for _, path := range c.RoutePaths() {
		if path == spec.PathChatCompletions || path == spec.PathFiles {
			continue
		}
		r, _, err := c.Route(path)
		if err != nil {
			return nil, fmt.Errorf("reference: contract %s: %w", c.Name, err)
		}
		out[path] = r
	}
	return out, nil
}

// routeCall is a validated request of a surface route.
type routeCall struct {
	route  spec.Route
	body   map[string]any
	model  model
	stream bool
}

// serveRoute serves one surface route: the body validated against the
// route's schema, then its model (where it has one), the credits, any
// file it names, the model's upstream and a minimal success.
func (s *Server) serveRoute(route spec.Route) handler {
	return func(w http.ResponseWriter, r *http.Request, p principal) *apiError {
		body, aerr := s.readRouteBody(route, w, r)
		if aerr != nil {
			return aerr
		}
		call := routeCall{route: route, body: body}
		call.stream, _ = body["stream"].(bool)
		if call.model, aerr = s.routeModel(route, p, body); aerr != nil {
			return aerr
		}
		if !s.hasCredits(p) {
			return errNoCredits()
		}
		if id, ok := body["input_file_id"].(string); ok {
			if _, aerr := s.lookupFile(p, id); aerr != nil {
				return aerr
			}
		}
		if aerr := inputCapabilities(call); aerr != nil {
			return aerr
		}
		if aerr := contextLength(call); aerr != nil {
			return aerr
		}
		if route.Path == spec.PathResponses && call.stream && s.midStream(call.model) {
			return s.streamResponse(w, r, call)
		}
		if aerr := s.callUpstream(r.Context(), call.model); aerr != nil {
			return aerr
		}
		return s.writeRouteSuccess(w, call)
	}
}

// responsePartInputs are the capabilities a response's input parts
// need beyond text.
var responsePartInputs = map[string]capability{"input_image": capImage, "input_file": capFile, "input_audio": capAudio}

// inputCapabilities refuses a response whose input carries a part the
// model cannot take (an image for a text-only model), as chat does.
func inputCapabilities(call routeCall) *apiError {
	if call.route.Path != spec.PathResponses {
		return nil
	}
	items, _ := call.body["input"].([]any)
	for _, raw := range items {
		item, _ := raw.(map[string]any)
		parts, _ := item["content"].([]any)
		for _, p := range parts {
			part, _ := p.(map[string]any)
			typ, _ := part["type"].(string)
			if in, ok := responsePartInputs[typ]; ok && !call.model.accepts(in) {
				return fail(sitCapabilityMismatch, "input", fmt.Sprintf("The model '%s' does not accept %s input.", call.model.id, in))
			}
		}
	}
	return nil
}

// promptFields are the members a model reads as its prompt on the
// routes with a context window: a completion's prompt, an embedding's
// input and a response's input.
var promptFields = map[string]string{
	spec.PathCompletions: "prompt",
	spec.PathEmbeddings:  "input",
	spec.PathResponses:   "input",
}

// contextLength refuses a request whose prompt alone exceeds the model's
// context window (estimateTokens, as chat's), on the routes that have a
// prompt.
func contextLength(call routeCall) *apiError {
	field, ok := promptFields[call.route.Path]
	if !ok {
		return nil
	}
	prompt := estimateTokens(textsOf(call.body[field], nil))
	if prompt <= call.model.contextWindow {
		return nil
	}
	return fail(sitContextLength, field, fmt.Sprintf(
		"This model's maximum context length is %d tokens. However, you requested about %d tokens in the %s. Please reduce the length of the %s.",
		call.model.contextWindow, prompt, field, field))
}

// textsOf collects every string in a JSON value (a prompt, a list of
// prompts, a list of input items with their content parts).
func textsOf(v any, into []string) []string {
	switch v := v.(type) {
	case string:
		return append(into, v)
	case []any:
		for _, item := range v {
			into = textsOf(item, into)
		}
	case map[string]any:
		for _, item := range v {
			into = textsOf(item, into)
		}
	}
	return into
}

// readRouteBody reads and validates a surface route's body: JSON, or the
// fields of a multipart form.
func (s *Server) readRouteBody(route spec.Route, w http.ResponseWriter, r *http.Request) (map[string]any, *apiError) {
	if route.Multipart {
		return readFormBody(route, w, r)
	}
	data, aerr := readBody(r.Body)
	if aerr != nil {
		return nil, aerr
	}
	return parseRouteJSON(route, data)
}

// parseRouteJSON validates a JSON body against the route's schema.
func parseRouteJSON(route spec.Route, data []byte) (map[string]any, *apiError) {
	obj, aerr := decodeObject(data, "a JSON object")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := requireNonNull(route, obj); aerr != nil {
		return nil, aerr
	}
	if aerr := validateRouteSchema(route, obj); aerr != nil {
		return nil, aerr
	}
	return obj, nil
}

// requireNonNull refuses a required top-level member sent as null, even
// where the schema allows null (CreateCompletionRequest's prompt is
// required and nullable): a required member carries a value.
func requireNonNull(route spec.Route, obj map[string]any) *apiError {
	var missing []string
	for name, v := range obj {
		if v == nil && route.Required(name) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return fail(sitMissingField, missing[0], fmt.Sprintf("Missing required parameter: '%s'.", missing[0]))
}

// routeModel looks up the model a body names; a route without a model
// member, or a body that names none where the schema lets it, is served
// by the main model.
func (s *Server) routeModel(route spec.Route, p principal, body map[string]any) (model, *apiError) {
	id, ok := body["model"].(string)
	if !route.HasModel || !ok {
		return s.lookupModel(p, MainModel)
	}
	if id == "" {
		return model{}, fail(sitMissingField, "model", "You must provide a model parameter.")
	}
	return s.lookupModel(p, id)
}

// readFormBody reads a multipart body as an object of its fields, each
// value typed as the route's schema says (a number field's value parsed
// as a number, an array field's repeated values as an array), the file
// part as its file name, and validates it against the route's schema.
func readFormBody(route spec.Route, w http.ResponseWriter, r *http.Request) (map[string]any, *apiError) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != spec.MediaMultipart || params["boundary"] == "" {
		return nil, fail(sitMalformedBody, "", fmt.Sprintf("Requests to %s must be sent as multipart/form-data (with a boundary).", route.Path))
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, maxBodyBytes), params["boundary"])
	body := map[string]any{}
	fileType := ""
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uploadReadError(err)
		}
		name := part.FormName()
		if name == "file" {
			if _, seen := body["file"]; !seen {
				body["file"], fileType = part.FileName(), part.Header.Get("Content-Type")
			}
		} else if name != "" {
			value, err := io.ReadAll(io.LimitReader(part, maxFieldBytes))
			if err != nil {
				return nil, uploadReadError(err)
			}
			route.AddFormField(body, name, string(value))
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return nil, uploadReadError(err)
		}
	}
	if aerr := validateRouteSchema(route, body); aerr != nil {
		return nil, aerr
	}
	if !audioType(fileType) {
		return nil, fail(sitInvalidValue, "file", fmt.Sprintf(
			"Files of type '%s' are not supported here. Send audio (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm).", excerpt(fileType)))
	}
	return body, nil
}

// audioType reports whether a file part's content type is one a
// transcription accepts: audio or video, or none said.
func audioType(contentType string) bool {
	if contentType == "" {
		return true
	}
	t, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/") || t == "application/octet-stream"
}

// writeRouteSuccess answers a valid request with a minimal success of the
// route's shape.
func (s *Server) writeRouteSuccess(w http.ResponseWriter, call routeCall) *apiError {
	now := s.opts.Now().Unix()
	usage := map[string]int{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
	switch call.route.Path {
	case spec.PathCompletions:
		c := map[string]any{"id": "cmpl-" + randomHex(12), "object": "text_completion", "created": now, "model": call.model.id,
			"choices": []any{map[string]any{"index": 0, "text": "ok", "logprobs": nil, "finish_reason": "stop"}}}
		if call.stream {
			return s.writeEvents(w, []event{{data: c}, {data: "[DONE]"}})
		}
		c["usage"] = usage
		return s.writeJSON(w, c)
	case spec.PathEmbeddings:
		inputs := 1
		if list, ok := call.body["input"].([]any); ok && len(list) > 0 {
			inputs = len(list)
		}
		data := make([]any, inputs)
		for i := range data {
			data[i] = map[string]any{"object": "embedding", "index": i, "embedding": []float64{0.1, 0.2, 0.3}}
		}
		return s.writeJSON(w, map[string]any{"object": "list", "data": data, "model": call.model.id,
			"usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1}})
	case spec.PathResponses:
		if call.stream {
			return s.streamResponse(w, nil, call)
		}
		return s.writeJSON(w, s.responseObject(call, "completed"))
	case spec.PathModerations:
		return s.writeJSON(w, map[string]any{"id": "modr-" + randomHex(12), "model": call.model.id,
			"results": []any{map[string]any{"flagged": false, "categories": map[string]bool{}, "category_scores": map[string]float64{}}}})
	case spec.PathImagesGenerations:
		if call.stream {
			return s.writeEvents(w, []event{{name: "image_generation.completed", data: map[string]any{"type": "image_generation.completed",
				"b64_json": onePixelPNG, "created_at": now}}})
		}
		return s.writeJSON(w, map[string]any{"created": now, "data": []any{map[string]any{"b64_json": onePixelPNG}}})
	case spec.PathAudioSpeech:
		w.Header().Set("Content-Type", "audio/mpeg")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ID3\x03\x00\x00\x00\x00\x00\x00")) // a failed write means the client left
		return nil
	case spec.PathAudioTranscriptions:
		return s.writeJSON(w, map[string]any{"text": "ok"})
	case spec.PathBatches:
		return s.writeJSON(w, map[string]any{"id": "batch_" + randomHex(12), "object": "batch",
			"endpoint": call.body["endpoint"], "input_file_id": call.body["input_file_id"],
			"completion_window": call.body["completion_window"], "status": "validating", "created_at": now})
	}
	return s.writeJSON(w, map[string]any{"object": "ok"})
}

// onePixelPNG is a 1×1 transparent PNG, base64-encoded.
const onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

// responseObject is a response of the Responses API with that status,
// carrying "ok" when completed.
func (s *Server) responseObject(call routeCall, status string) map[string]any {
	resp := map[string]any{"id": "resp_" + randomHex(12), "object": "response", "created_at": s.opts.Now().Unix(),
		"status": status, "model": call.model.id, "output": []any{}, "error": nil}
	if status == "completed" {
		resp["output"] = []any{map[string]any{"type": "message", "id": "msg_" + randomHex(12), "status": "completed", "role": "assistant",
			"content": []any{map[string]any{"type": "output_text", "text": "ok", "annotations": []any{}}}}}
		resp["usage"] = map[string]int{"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}
	}
	return resp
}

// midStream reports whether an error of the model's upstream may arrive
// after the stream started: the contract's outcome of the upstream's
// situation says so.
func (s *Server) midStream(m model) bool {
	sit, ok := map[upstream]situation{
		upstreamUnreachable: sitUpstreamUnreachable, upstreamSilent: sitUpstreamTimeout,
		upstreamRateLimited: sitUpstreamRateLimited, upstreamFailing: sitUpstreamError,
	}[m.upstream]
	return ok && outcomeOf(s.contract, s.fallback, sit).MidStream
}

// streamResponse streams a Responses API answer: response.created, then
// the text and response.completed or, when the upstream fails after the
// stream started (r is the request, nil when the upstream already
// answered), an error event carrying the contract's error body and
// response.failed.
func (s *Server) streamResponse(w http.ResponseWriter, r *http.Request, call routeCall) *apiError {
	created := s.responseObject(call, "in_progress")
	sw := s.startEvents(w)
	sw.send(event{name: "response.created", data: map[string]any{"type": "response.created", "response": created}})
	var aerr *apiError
	if r != nil {
		aerr = s.callUpstream(r.Context(), call.model)
	}
	if aerr != nil {
		status, body := s.renderError(aerr, "")
		var doc map[string]any
		if json.Unmarshal(body, &doc) != nil {
			doc = map[string]any{}
		}
		doc["type"] = "error"
		sw.send(event{name: "error", data: doc})
		failed := s.responseObject(call, "failed")
		failed["id"] = created["id"]
		failed["error"] = map[string]any{"code": strconv.Itoa(status), "message": aerr.message}
		sw.send(event{name: "response.failed", data: map[string]any{"type": "response.failed", "response": failed}})
		return nil
	}
	done := s.responseObject(call, "completed")
	done["id"] = created["id"]
	sw.send(event{name: "response.output_text.delta", data: map[string]any{"type": "response.output_text.delta",
		"item_id": "msg_" + randomHex(12), "output_index": 0, "content_index": 0, "delta": "ok"}})
	sw.send(event{name: "response.completed", data: map[string]any{"type": "response.completed", "response": done}})
	return nil
}

// event is one server-sent event: its name ("" for none) and its data, a
// JSON value or a literal string ("[DONE]").
type event struct {
	name string
	data any
}

// eventWriter writes server-sent events, numbering the Responses API's.
type eventWriter struct {
	w   http.ResponseWriter
	seq int
}

// startEvents answers 200 with an event stream.
func (s *Server) startEvents(w http.ResponseWriter) *eventWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return &eventWriter{w: w}
}

// send writes one event and flushes it; a failed write means the client
// left.
func (ew *eventWriter) send(e event) {
	var data []byte
	switch d := e.data.(type) {
	case string:
		data = []byte(d)
	case map[string]any:
		if e.name != "" {
			d["sequence_number"] = ew.seq
			ew.seq++
		}
		data, _ = json.Marshal(d) // maps of JSON values
	default:
		data, _ = json.Marshal(d)
	}
	if e.name != "" {
		_, _ = fmt.Fprintf(ew.w, "event: %s\n", e.name)
	}
	_, _ = fmt.Fprintf(ew.w, "data: %s\n\n", data)
	if f, ok := ew.w.(http.Flusher); ok {
		f.Flush()
	}
}

// writeEvents answers 200 with these events.
func (s *Server) writeEvents(w http.ResponseWriter, events []event) *apiError {
	sw := s.startEvents(w)
	for _, e := range events {
		sw.send(e)
	}
	return nil
}
