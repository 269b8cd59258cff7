package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"
)

// chatRequest is a validated chat completion request.
type chatRequest struct {
	model     string
	texts     []string     // every piece of text content, for the token estimate
	inputs    []capability // every non-text input the messages carry
	fileIDs   []string     // files referenced by file / input_file parts
	maxTokens int          // 0 when absent
	stream    bool
}

func knownRole(role string) bool {
	switch role {
	case "system", "user", "assistant", "tool", "developer", "function":
		return true
	}
	return false
}

// partInput returns the capability a content part type needs: OpenAI's
// part types, and the provider's own video_url and input_file. Which part
// types a message's role allows is the request schema's to say.
func partInput(typ string) (capability, bool) {
	switch typ {
	case "text", "refusal":
		return capText, true
	case "image_url":
		return capImage, true
	case "input_audio":
		return capAudio, true
	case "video_url":
		return capVideo, true
	case "file", "input_file":
		return capFile, true
	}
	return "", false
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request, p principal) *apiError {
	body, aerr := readBody(r.Body)
	if aerr != nil {
		return aerr
	}
	req, aerr := s.parseChatRequest(body)
	if aerr != nil {
		return aerr
	}
	m, aerr := s.lookupModel(p, req.model)
	if aerr != nil {
		return aerr
	}
	if !s.hasCredits(p) {
		return errNoCredits()
	}
	for _, in := range req.inputs {
		if !m.accepts(in) {
			return fail(sitCapabilityMismatch, "messages",
				fmt.Sprintf("The model '%s' does not accept %s input.", m.id, in))
		}
	}
	for _, id := range req.fileIDs {
		if _, aerr := s.lookupFile(p, id); aerr != nil {
			return aerr
		}
	}
	prompt := estimateTokens(req.texts)
	if prompt+req.maxTokens > m.contextWindow {
		return fail(sitContextLength, "messages", fmt.Sprintf(
			"This model's maximum context length is %d tokens. However, you requested about %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or the completion.",
			m.contextWindow, prompt+req.maxTokens, prompt, req.maxTokens))
	}
	if aerr := s.callUpstream(r.Context(), m); aerr != nil {
		return aerr
	}
	return s.writeCompletion(w, m, req, prompt)
}

// readBody reads a request body of at most maxBodyBytes.
func readBody(body io.Reader) ([]byte, *apiError) {
	data, err := io.ReadAll(io.LimitReader(body, maxBodyBytes+1))
	if err != nil {
		return nil, fail(sitMalformedBody, "", "The request body could not be read.")
	}
	if len(data) > maxBodyBytes {
		return nil, fail(sitInvalidValue, "", fmt.Sprintf("The request body exceeds the limit of %d MiB.", maxBodyBytes>>20))
	}
	return data, nil
}

// decodeJSON parses exactly one JSON document, keeping numbers exact.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("data follows the JSON document")
	}
	return v, nil
}

// decodeObject decodes a body that must be one JSON object; an empty one
// is answered by asking for what (what the route's body is).
func decodeObject(body []byte, what string) (map[string]any, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fail(sitMalformedBody, "", "The request body is empty. Send "+what+".")
	}
	v, err := decodeJSON(body)
	if err != nil {
		return nil, fail(sitMalformedBody, "", "We could not parse the JSON body of your request. The body must be a single valid JSON object.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fail(sitMalformedBody, "", "The request body must be a JSON object.")
	}
	return obj, nil
}

// parseChatRequest validates a chat request body: by hand first (the
// members the reference reads, with the situations and params the
// catalogue expects), then against the chat request schema.
func (s *Server) parseChatRequest(body []byte) (chatRequest, *apiError) {
	var req chatRequest
	obj, aerr := decodeObject(body, "a JSON object with 'model' and 'messages'")
	if aerr != nil {
		return req, aerr
	}

	switch model := obj["model"].(type) {
	case nil:
		return req, fail(sitMissingField, "model", "You must provide a model parameter.")
	case string:
		if model == "" {
			return req, fail(sitMissingField, "model", "You must provide a model parameter.")
		}
		req.model = model
	default:
		return req, fail(sitWrongType, "model", "'model' must be a string.")
	}

	rawMessages, present := obj["messages"]
	if !present || rawMessages == nil {
		return req, fail(sitMissingField, "messages", "Missing required parameter: 'messages'.")
	}
	messages, ok := rawMessages.([]any)
	if !ok {
		return req, fail(sitWrongType, "messages", "'messages' must be a non-empty array of messages.")
	}
	if len(messages) == 0 {
		return req, fail(sitInvalidValue, "messages", "'messages' must be a non-empty array of messages.")
	}
	for i, raw := range messages {
		if aerr := req.addMessage(i, raw); aerr != nil {
			return req, aerr
		}
	}

	if _, aerr := numberField(obj, "temperature", 0, 2, false); aerr != nil {
		return req, aerr
	}
	if _, aerr := numberField(obj, "top_p", 0, 1, false); aerr != nil {
		return req, aerr
	}
	for _, name := range []string{"max_tokens", "max_completion_tokens"} {
		n, aerr := numberField(obj, name, 1, 1_000_000, true)
		if aerr != nil {
			return req, aerr
		}
		req.maxTokens = max(req.maxTokens, int(n))
	}
	if _, aerr := numberField(obj, "n", 1, 128, true); aerr != nil {
		return req, aerr
	}
	switch stream := obj["stream"].(type) {
	case nil:
	case bool:
		req.stream = stream
	default:
		return req, fail(sitWrongType, "stream", "'stream' must be a boolean.")
	}
	if aerr := s.validateChatSchema(obj); aerr != nil {
		return req, aerr
	}
	return req, nil
}

// addMessage validates messages[i] and collects its content.
func (req *chatRequest) addMessage(i int, raw any) *apiError {
	at := fmt.Sprintf("messages[%d]", i)
	msg, ok := raw.(map[string]any)
	if !ok {
		return fail(sitWrongType, at, fmt.Sprintf("'%s' must be an object with a 'role' and 'content'.", at))
	}
	roleAt := at + ".role"
	mustBe := fmt.Sprintf("'%s' must be one of 'system', 'user', 'assistant', 'tool', 'developer' or 'function'.", roleAt)
	var role string
	switch r := msg["role"].(type) {
	case nil:
		return fail(sitMissingField, roleAt, fmt.Sprintf("Missing required parameter: '%s'. %s", roleAt, mustBe))
	case string:
		if !knownRole(r) {
			return fail(sitInvalidValue, roleAt, mustBe)
		}
		role = r
	default:
		return fail(sitWrongType, roleAt, mustBe)
	}
	contentAt := at + ".content"
	rawContent, present := msg["content"]
	switch content := rawContent.(type) {
	case nil:
		// An assistant message may carry only tool calls; a function
		// message's content may be null (but not absent).
		if role != "assistant" && (role != "function" || !present) {
			return fail(sitMissingField, contentAt, fmt.Sprintf("Missing required parameter: '%s'.", contentAt))
		}
	case string:
		req.texts = append(req.texts, content)
	case []any:
		if len(content) == 0 {
			return fail(sitInvalidValue, contentAt, fmt.Sprintf("'%s' must not be an empty array.", contentAt))
		}
		for j, rawPart := range content {
			if aerr := req.addPart(contentAt, j, rawPart); aerr != nil {
				return aerr
			}
		}
	default:
		return fail(sitWrongType, contentAt, fmt.Sprintf("'%s' must be a string or an array of content parts.", contentAt))
	}
	return nil
}

// addPart validates one content part and collects what it needs. Each
// error names the offending member of the part:
// "messages[0].content[1].type".
func (req *chatRequest) addPart(contentAt string, j int, raw any) *apiError {
	partAt := fmt.Sprintf("%s[%d]", contentAt, j)
	invalid := func(sit situation, param, why string) *apiError {
		return fail(sit, param, fmt.Sprintf("'%s' %s.", param, why))
	}
	part, ok := raw.(map[string]any)
	if !ok {
		return invalid(sitWrongType, partAt, "must be an object: a content part")
	}
	const types = "use one of 'text', 'image_url', 'input_audio', 'file', 'refusal', 'video_url' or 'input_file'"
	typeAt := partAt + ".type"
	var typ string
	switch t := part["type"].(type) {
	case nil:
		return invalid(sitMissingField, typeAt, "is missing: every content part has a type; "+types)
	case string:
		typ = t
	default:
		return invalid(sitWrongType, typeAt, "must be a string; "+types)
	}
	need, known := partInput(typ)
	if !known {
		return invalid(sitInvalidValue, typeAt, "is not a supported content part type; "+types)
	}
	var fileID any
	fileIDAt := partAt + ".file_id"
	switch typ {
	case "text", "refusal": // the text is in the member named by the type
		var text string
		switch t := part[typ].(type) {
		case nil:
			return invalid(sitMissingField, partAt+"."+typ, "is missing: the part carries its text there, as a string")
		case string:
			text = t
		default:
			return invalid(sitWrongType, partAt+"."+typ, "must be a string")
		}
		req.texts = append(req.texts, text)
		return nil
	case "file":
		if file, ok := part["file"].(map[string]any); ok {
			fileID, fileIDAt = file["file_id"], partAt+".file.file_id"
		}
	case "input_file":
		fileID = part["file_id"]
	}
	req.inputs = append(req.inputs, need)
	switch id := fileID.(type) {
	case nil:
	case string:
		req.fileIDs = append(req.fileIDs, id)
	default:
		return invalid(sitWrongType, fileIDAt, "must be a string")
	}
	return nil
}

// numberField validates an optional number in [lo, hi] (an integer if
// integer is set: a fractional number is then of the wrong type, as the
// request schema says); null counts as absent and yields 0.
func numberField(obj map[string]any, name string, lo, hi float64, integer bool) (float64, *apiError) {
	raw, present := obj[name]
	if !present || raw == nil {
		return 0, nil
	}
	kind := "a number"
	if integer {
		kind = "an integer"
	}
	mustBe := fmt.Sprintf("'%s' must be %s between %g and %g.", name, kind, lo, hi)
	num, ok := raw.(json.Number)
	if !ok {
		return 0, fail(sitWrongType, name, mustBe)
	}
	f, err := num.Float64()
	if err == nil && integer && f != math.Trunc(f) && !math.IsInf(f, 0) {
		return 0, fail(sitWrongType, name, mustBe)
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < lo || f > hi {
		return 0, fail(sitInvalidValue, name, mustBe)
	}
	return f, nil
}

// estimateTokens estimates prompt tokens: per piece of text, the larger of
// its word count and a quarter of its bytes.
func estimateTokens(texts []string) int {
	total := 0
	for _, t := range texts {
		total += max(len(strings.Fields(t)), len(t)/4)
	}
	return total
}

// callUpstream stands in for the inference layer behind the model.
func (s *Server) callUpstream(ctx context.Context, m model) *apiError {
	switch m.upstream {
	case upstreamUnreachable:
		return fail(sitUpstreamUnreachable, "", "The model inference layer could not be reached. Please retry your request later.")
	case upstreamRateLimited:
		return &apiError{situation: sitUpstreamRateLimited, retryAfter: 1,
			message: "The model's provider is rate limiting requests. Please retry after 1 second."}
	case upstreamFailing:
		return fail(sitUpstreamError, "", "The model's provider answered with a server error. Please retry your request later.")
	case upstreamSilent:
		answer := make(chan struct{}) // this upstream never answers
		timer := time.NewTimer(s.opts.GatewayTimeout)
		defer timer.Stop()
		select {
		case <-answer:
			return nil
		case <-timer.C:
		case <-ctx.Done():
		}
		return fail(sitUpstreamTimeout, "", fmt.Sprintf(
			"The model did not respond within the %s gateway timeout. Please retry your request later.", s.opts.GatewayTimeout))
	}
	return nil
}

type completionMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type completionChoice struct {
	Index        int                `json:"index"`
	Message      *completionMessage `json:"message,omitempty"`
	Delta        *completionMessage `json:"delta,omitempty"`
	FinishReason string             `json:"finish_reason"`
}

type completionUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type completion struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   *completionUsage   `json:"usage,omitempty"`
}

// writeCompletion answers "ok", as one JSON object or one stream event.
func (s *Server) writeCompletion(w http.ResponseWriter, m model, req chatRequest, prompt int) *apiError {
	reply := &completionMessage{Role: "assistant", Content: "ok"}
	c := completion{ID: "chatcmpl-" + randomHex(12), Created: s.opts.Now().Unix(), Model: m.id}
	if !req.stream {
		c.Object = "chat.completion"
		c.Choices = []completionChoice{{Message: reply, FinishReason: "stop"}}
		c.Usage = &completionUsage{PromptTokens: prompt, CompletionTokens: 1, TotalTokens: prompt + 1}
		return s.writeJSON(w, c)
	}
	c.Object = "chat.completion.chunk"
	c.Choices = []completionChoice{{Delta: reply, FinishReason: "stop"}}
	chunk, err := json.Marshal(c)
	if err != nil {
		return errInternal()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", chunk) // a failed write means the client left
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}
