package reference

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
)

// decodeBody decodes a request body as the reference does.
func decodeBody(t *testing.T, body string) map[string]any {
	t.Helper()
	v, err := decodeJSON([]byte(body))
	require.NoError(t, err)
	obj, ok := v.(map[string]any)
	require.True(t, ok, "the body is a JSON object")
	return obj
}

// withStreamTrue returns the body with "stream": true.
func withStreamTrue(t *testing.T, body string) string {
	t.Helper()
	obj := decodeBody(t, body)
	obj["stream"] = true
	return mustJSON(t, obj)
}

// The situations below map to the default contract (aiand): wrong-type and
// missing-field are a 400 without code, invalid-value a 400 with
// invalid_value.
func TestChatSchemaViolations(t *testing.T) {
	h := newHarness(t, Options{})
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	with := func(extra map[string]any) string { return chat(t, MainModel, "Say ok.", extra) }
	messages := func(msgs ...any) string {
		return mustJSON(t, map[string]any{"model": MainModel, "messages": msgs})
	}
	user := func(content any) map[string]any { return map[string]any{"role": "user", "content": content} }
	tool := []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_time"}}}
	withTool := func(extra map[string]any) string {
		extra["tools"] = tool
		return with(extra)
	}
	custom := func(format any) []any {
		return []any{map[string]any{"type": "custom", "custom": map[string]any{"name": "grammar_tool", "format": format}}}
	}

	for _, tc := range []struct {
		name      string
		body      string
		situation situation
		param     string
	}{
		// wrong JSON type, at the top level and nested
		{"seed a string", with(map[string]any{"seed": "42"}), sitWrongType, "seed"},
		{"seed fractional", with(map[string]any{"seed": 1.5}), sitWrongType, "seed"},
		{"n fractional", with(map[string]any{"n": 1.5}), sitWrongType, "n"},
		{"max_completion_tokens a boolean", with(map[string]any{"max_completion_tokens": true}), sitWrongType, "max_completion_tokens"},
		{"presence_penalty a string", with(map[string]any{"presence_penalty": "high"}), sitWrongType, "presence_penalty"},
		{"stop a number", with(map[string]any{"stop": 7}), sitWrongType, "stop"},
		{"stop item a number", with(map[string]any{"stop": []any{"a", 1}}), sitWrongType, "stop[1]"},
		{"tools an object", with(map[string]any{"tools": map[string]any{}}), sitWrongType, "tools"},
		{"tool function name a number", with(map[string]any{"tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": 1}}}}), sitWrongType, "tools[0].function.name"},
		{"tool strict a string", with(map[string]any{"tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": "f", "strict": "yes"}}}}), sitWrongType, "tools[0].function.strict"},
		{"tool type a number", with(map[string]any{"tools": []any{map[string]any{"type": 1, "function": map[string]any{"name": "f"}}}}), sitWrongType, "tools[0].type"},
		{"response_format a string", with(map[string]any{"response_format": "json_object"}), sitWrongType, "response_format"},
		{"response_format null", with(map[string]any{"response_format": nil}), sitWrongType, "response_format"},
		{"tool_choice a number", withTool(map[string]any{"tool_choice": 1}), sitWrongType, "tool_choice"},
		{"message null", messages(nil), sitWrongType, "messages[0]"},
		{"stream_options member a string", with(map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": "yes"}}), sitWrongType, "stream_options.include_usage"},
		{"top_logprobs null (not nullable)", with(map[string]any{"top_logprobs": nil}), sitWrongType, "top_logprobs"},
		{"metadata value a number", with(map[string]any{"metadata": map[string]any{"team": 1}}), sitWrongType, "metadata.team"},
		{"logit_bias value a string (a numeric member name)", with(map[string]any{"logit_bias": map[string]any{"50256": "ban"}}), sitWrongType, "logit_bias.50256"},
		{"image_url a string", messages(user([]any{map[string]any{"type": "image_url", "image_url": "https://example.com/a.png"}})), sitWrongType, "messages[0].content[0].image_url"},

		// a required member missing, or null
		{"tool_choice function without function", withTool(map[string]any{"tool_choice": map[string]any{"type": "function"}}), sitMissingField, "tool_choice.function"},
		{"tool_choice function name null", withTool(map[string]any{"tool_choice": map[string]any{"type": "function", "function": map[string]any{"name": nil}}}), sitMissingField, "tool_choice.function.name"},
		{"tool without function", with(map[string]any{"tools": []any{map[string]any{"type": "function"}}}), sitMissingField, "tools[0].function"},
		{"tool without name", with(map[string]any{"tools": []any{map[string]any{"type": "function", "function": map[string]any{}}}}), sitMissingField, "tools[0].function.name"},
		{"tool without a type", with(map[string]any{"tools": []any{map[string]any{}}}), sitMissingField, "tools[0].type"},
		{"response_format without a type", with(map[string]any{"response_format": map[string]any{}}), sitMissingField, "response_format.type"},
		{"json_schema format without json_schema", with(map[string]any{"response_format": map[string]any{"type": "json_schema"}}), sitMissingField, "response_format.json_schema"},
		{"json_schema without a name", with(map[string]any{"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{}}}), sitMissingField, "response_format.json_schema.name"},
		{"tool message without tool_call_id", messages(map[string]any{"role": "tool", "content": "42"}), sitMissingField, "messages[0].tool_call_id"},
		{"function message without name", messages(map[string]any{"role": "function", "content": "42"}), sitMissingField, "messages[0].name"},
		{"assistant tool call without arguments", messages(map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "f"}}}}), sitMissingField, "messages[0].tool_calls[0].function.arguments"},
		{"input_audio part without input_audio", messages(user([]any{map[string]any{"type": "input_audio"}})), sitMissingField, "messages[0].content[0].input_audio"},
		{"file part without file", messages(user([]any{map[string]any{"type": "file"}})), sitMissingField, "messages[0].content[0].file"},
		{"image_url part without url", messages(user([]any{map[string]any{"type": "image_url", "image_url": map[string]any{}}})), sitMissingField, "messages[0].content[0].image_url.url"},
		{"prediction without content", with(map[string]any{"prediction": map[string]any{"type": "content"}}), sitMissingField, "prediction.content"},
		{"function_call without a name", with(map[string]any{"function_call": map[string]any{}}), sitMissingField, "function_call.name"},
		{"model null", `{"model":null,"messages":[{"role":"user","content":"hi"}]}`, sitMissingField, "model"},
		{"text part text null", messages(user([]any{map[string]any{"type": "text", "text": nil}})), sitMissingField, "messages[0].content[0].text"},

		// below the minimum, above the maximum
		{"n 129", with(map[string]any{"n": 129}), sitInvalidValue, "n"},
		{"top_p 1.5", with(map[string]any{"top_p": 1.5}), sitInvalidValue, "top_p"},
		{"temperature 2.5", with(map[string]any{"temperature": 2.5}), sitInvalidValue, "temperature"},
		{"presence_penalty above 2", with(map[string]any{"presence_penalty": 2.5}), sitInvalidValue, "presence_penalty"},
		{"frequency_penalty below -2", with(map[string]any{"frequency_penalty": -3}), sitInvalidValue, "frequency_penalty"},
		{"top_logprobs 21", with(map[string]any{"logprobs": true, "top_logprobs": 21}), sitInvalidValue, "top_logprobs"},

		// not in the enum
		{"content part type unknown", messages(user([]any{map[string]any{"type": "bogus"}})), sitInvalidValue, "messages[0].content[0].type"},
		{"image part in a system message", messages(map[string]any{"role": "system", "content": []any{
			map[string]any{"type": "text", "text": "Be brief."},
			map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/a.png"}}}}), sitInvalidValue, "messages[0].content[1].type"},
		{"refusal part in a user message", messages(user([]any{map[string]any{"type": "refusal", "refusal": "no"}})), sitInvalidValue, "messages[0].content[0].type"},
		{"response_format type unknown", with(map[string]any{"response_format": map[string]any{"type": "bogus"}}), sitInvalidValue, "response_format.type"},
		{"tool type unknown", with(map[string]any{"tools": []any{map[string]any{"type": "bogus"}}}), sitInvalidValue, "tools[0].type"},
		{"tool_choice mode unknown", withTool(map[string]any{"tool_choice": "sometimes"}), sitInvalidValue, "tool_choice"},
		{"tool_choice type unknown", withTool(map[string]any{"tool_choice": map[string]any{"type": "bogus"}}), sitInvalidValue, "tool_choice.type"},
		{"input_audio format unknown", messages(user([]any{map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": "AAAA", "format": "ogg"}}})), sitInvalidValue, "messages[0].content[0].input_audio.format"},
		{"image detail unknown", messages(user([]any{map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/a.png", "detail": "max"}}})), sitInvalidValue, "messages[0].content[0].image_url.detail"},
		{"reasoning_effort unknown", with(map[string]any{"reasoning_effort": "extreme"}), sitInvalidValue, "reasoning_effort"},
		{"modalities item unknown", with(map[string]any{"modalities": []any{"video"}}), sitInvalidValue, "modalities[0]"},
		{"role unknown", messages(map[string]any{"role": "wizard", "content": "hi"}), sitInvalidValue, "messages[0].role"},

		// too long or too short: strings and arrays
		{"stop with 5 strings", with(map[string]any{"stop": []any{"a", "b", "c", "d", "e"}}), sitInvalidValue, "stop"},
		{"stop empty", with(map[string]any{"stop": []any{}}), sitInvalidValue, "stop"},
		{"functions empty", with(map[string]any{"functions": []any{}}), sitInvalidValue, "functions"},
		{"safety_identifier too long", with(map[string]any{"safety_identifier": strings.Repeat("x", 65)}), sitInvalidValue, "safety_identifier"},
		{"assistant content parts empty", messages(map[string]any{"role": "assistant", "content": []any{}}), sitInvalidValue, "messages[0].content"},

		// an unknown member of a closed object
		{"custom tool text format with an unknown member", with(map[string]any{"tools": custom(map[string]any{"type": "text", "extra": true})}), sitInvalidValue, "tools[0].custom.format.extra"},
		{"custom voice with an unknown member", with(map[string]any{"audio": map[string]any{"format": "wav", "voice": map[string]any{"id": "v", "extra": 1}}}), sitInvalidValue, "audio.voice.extra"},

		// no branch of a union matched
		{"custom tool format unknown", with(map[string]any{"tools": custom(map[string]any{"type": "bogus"})}), sitInvalidValue, "tools[0].custom.format.type"},
		{"grammar syntax unknown", with(map[string]any{"tools": custom(map[string]any{"type": "grammar", "grammar": map[string]any{"definition": "x", "syntax": "peg"}})}), sitInvalidValue, "tools[0].custom.format.grammar.syntax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // the reference is safe for concurrent use
			require.Error(t, rs.ValidateChat(schemaView(decodeBody(t, tc.body))), "the request schema refuses the body")
			code := ""
			if tc.situation == sitInvalidValue {
				code = codeInvalidValue
			}
			bodies := []string{tc.body}
			if _, streams := decodeBody(t, tc.body)["stream"]; !streams {
				bodies = append(bodies, withStreamTrue(t, tc.body))
			}
			for _, body := range bodies {
				res := h.do(t, request{path: "/v1/chat/completions", body: body})
				e := h.expectError(t, res, http.StatusBadRequest, code, tc.param)
				assert.Contains(t, e["message"], tc.param, "the message names the member")
			}
		})
	}
}

func TestChatSchemaAcceptsValidBoundaries(t *testing.T) {
	h := newHarness(t, Options{})
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	with := func(extra map[string]any) string { return chat(t, MainModel, "Say ok.", extra) }
	parts := func(p ...any) string { return chat(t, MainModel, p, nil) }
	messages := func(msgs ...any) string {
		return mustJSON(t, map[string]any{"model": MainModel, "messages": msgs})
	}
	tool := []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_time", "parameters": map[string]any{"type": "object"}}}}
	withTool := func(choice any) string { return with(map[string]any{"tools": tool, "tool_choice": choice}) }
	text := map[string]any{"type": "text", "text": "What is this?"}

	for _, tc := range []struct {
		name string
		body string
	}{
		{"temperature 0", with(map[string]any{"temperature": 0})},
		{"temperature 2", with(map[string]any{"temperature": 2})},
		{"temperature null", with(map[string]any{"temperature": nil})},
		{"top_p 0", with(map[string]any{"top_p": 0})},
		{"top_p 1", with(map[string]any{"top_p": 1})},
		{"presence_penalty -2", with(map[string]any{"presence_penalty": -2})},
		{"presence_penalty 2", with(map[string]any{"presence_penalty": 2})},
		{"frequency_penalty -2", with(map[string]any{"frequency_penalty": -2})},
		{"frequency_penalty 2", with(map[string]any{"frequency_penalty": 2})},
		{"max_tokens 1", with(map[string]any{"max_tokens": 1})},
		{"max_completion_tokens 1", with(map[string]any{"max_completion_tokens": 1})},
		{"n 1", with(map[string]any{"n": 1, "max_tokens": 1})},
		{"seed 0", with(map[string]any{"seed": 0})},
		{"seed negative", with(map[string]any{"seed": -42})},
		{"stream false", with(map[string]any{"stream": false})},
		{"stop a string", with(map[string]any{"stop": "\n"})},
		{"stop 1 string", with(map[string]any{"stop": []any{"a"}})},
		{"stop 4 strings", with(map[string]any{"stop": []any{"a", "b", "c", "d"}})},
		{"stop null", with(map[string]any{"stop": nil})},
		{"response_format text", with(map[string]any{"response_format": map[string]any{"type": "text"}})},
		{"response_format json_object", with(map[string]any{"response_format": map[string]any{"type": "json_object"}})},
		{"response_format json_schema", with(map[string]any{"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "answer"}}})},
		{"response_format json_schema with schema", with(map[string]any{"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{
			"name": "answer", "strict": true, "schema": map[string]any{"type": "object", "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}}}}})},
		{"tool_choice none", withTool("none")},
		{"tool_choice auto", withTool("auto")},
		{"tool_choice required", withTool("required")},
		{"tool_choice a named function", withTool(map[string]any{"type": "function", "function": map[string]any{"name": "get_time"}})},
		{"tool_choice allowed_tools", withTool(map[string]any{"type": "allowed_tools", "allowed_tools": map[string]any{"mode": "auto", "tools": tool}})},
		{"custom tool with a grammar", with(map[string]any{"tools": []any{map[string]any{"type": "custom", "custom": map[string]any{"name": "g",
			"format": map[string]any{"type": "grammar", "grammar": map[string]any{"definition": "start: \"ok\"", "syntax": "lark"}}}}}})},
		{"parallel_tool_calls false", with(map[string]any{"tools": tool, "parallel_tool_calls": false})},
		{"text part", parts(text)},
		{"image_url part", parts(text, map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/a.png", "detail": "low"}})},
		{"input_audio part wav", parts(map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": "UklGRg==", "format": "wav"}})},
		{"input_audio part mp3", parts(map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": "SUQz", "format": "mp3"}})},
		{"file part with data", parts(map[string]any{"type": "file", "file": map[string]any{"filename": "a.txt", "file_data": "data:text/plain;base64,b2s="}})},
		{"video_url part (the provider's own)", parts(map[string]any{"type": "video_url", "video_url": map[string]any{"url": "https://example.com/a.mp4"}})},
		{"input_file part (the provider's own)", parts(map[string]any{"type": "input_file"})},
		{"every role", messages(
			map[string]any{"role": "developer", "content": []any{text}},
			map[string]any{"role": "system", "content": "Be brief."},
			map[string]any{"role": "user", "content": "What time is it?", "name": "ann"},
			map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "get_time", "arguments": "{}"}}}},
			map[string]any{"role": "tool", "tool_call_id": "call_1", "content": []any{map[string]any{"type": "text", "text": "09:00"}}},
			map[string]any{"role": "function", "name": "get_time", "content": nil},
			map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "refusal", "refusal": "I can't."}}},
			map[string]any{"role": "user", "content": "Say ok."},
		)},
		{"other fields", with(map[string]any{"reasoning_effort": "low", "service_tier": "auto", "verbosity": "low", "logprobs": true, "top_logprobs": 0,
			"metadata": map[string]any{"team": "ci"}, "user": "u-1", "modalities": []any{"text"}, "store": false, "logit_bias": map[string]any{"50256": -100},
			"prediction": map[string]any{"type": "content", "content": "ok"}, "audio": map[string]any{"voice": "alloy", "format": "wav"},
			"web_search_options": map[string]any{}, "safety_identifier": strings.Repeat("x", 64), "stream_options": nil})},
		{"stream_options", with(map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": true}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.NoError(t, rs.ValidateChat(schemaView(decodeBody(t, tc.body))), "the request schema accepts the body")
			res := h.do(t, request{path: "/v1/chat/completions", body: tc.body})
			require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
			res = h.do(t, request{path: "/v1/chat/completions", body: withStreamTrue(t, tc.body)})
			require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
			assert.Equal(t, "text/event-stream", res.header.Get("Content-Type"))
		})
	}
}

func TestAudioToATextOnlyModel(t *testing.T) {
	h := newHarness(t, Options{})
	audio := []any{map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": "UklGRg==", "format": "wav"}}}
	res := h.do(t, request{path: "/v1/chat/completions", body: chat(t, TextOnlyModel, audio, nil)})
	h.expectError(t, res, http.StatusBadRequest, codeCapability, "messages")
}

func TestSchemaView(t *testing.T) {
	body := decodeBody(t, `{"model":"m","messages":[
		{"role":"user","content":[{"type":"video_url","video_url":{"url":"u"}},{"type":"text","text":"hi"},{"type":"input_file","file_id":"f"}]},
		{"role":"user","content":"plain"}]}`)
	original := mustJSON(t, body)
	view := schemaView(body)
	assert.Equal(t, original, mustJSON(t, body), "the body is not modified")
	parts := view["messages"].([]any)[0].(map[string]any)["content"].([]any)
	assert.Equal(t, []any{
		map[string]any{"type": "text", "text": ""},
		map[string]any{"type": "text", "text": "hi"},
		map[string]any{"type": "text", "text": ""},
	}, parts)

	plain := decodeBody(t, `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`)
	assert.Equal(t, mustJSON(t, plain), mustJSON(t, schemaView(plain)))
}

func TestBodyPath(t *testing.T) {
	p := bodyPath(nil).member("tools").item(0).member("function").member("name")
	assert.Equal(t, "tools[0].function.name", p.String())
	assert.Equal(t, "logit_bias.50256", bodyPath(nil).member("logit_bias").member("50256").String())

	sorted := []bodyPath{
		bodyPath(nil).member("messages"),
		bodyPath(nil).member("messages").item(2),
		bodyPath(nil).member("messages").item(10),
		bodyPath(nil).member("stop"),
	}
	for i := range sorted {
		for j := range sorted {
			got := comparePaths(sorted[i], sorted[j])
			switch {
			case i < j:
				assert.Negative(t, got, "%s before %s", sorted[i], sorted[j])
			case i > j:
				assert.Positive(t, got, "%s after %s", sorted[i], sorted[j])
			default:
				assert.Zero(t, got)
			}
		}
	}
}

// TestClassifyIsDeterministic: with several violations, the first by path
// is reported, every time.
func TestClassifyIsDeterministic(t *testing.T) {
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	body := decodeBody(t, `{"model":"m","messages":[{"role":"user","content":"hi"}],
		"top_p":5,"seed":"x","stop":[1,2,3,4,5],"tools":[{"type":"function","function":{"name":1}}],"n":0}`)
	for range 20 {
		v, ok := classify(rs.Chat, body)
		require.True(t, ok)
		assert.Equal(t, sitInvalidValue, v.situation)
		assert.Equal(t, "n", v.at.String())
	}
	_, ok := classify(rs.Chat, decodeBody(t, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	assert.False(t, ok, "a valid body has no violation")
}

// TestFromSchemaErrors covers the fallback for a body kin-openapi refuses
// and the walk does not: the first leaf error by path.
func TestFromSchemaErrors(t *testing.T) {
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	for _, tc := range []struct {
		body      string
		situation situation
		param     string
	}{
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}`, sitInvalidValue, "temperature"},
		{`{"model":"m","messages":[{"role":"tool","content":"hi"}]}`, sitMissingField, "messages[0].name"},
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"n":1.5}`, sitWrongType, "n"},
	} {
		body := decodeBody(t, tc.body)
		err := rs.ValidateChat(body)
		require.Error(t, err)
		v := fromSchemaErrors(err, body)
		assert.Equal(t, tc.situation, v.situation, tc.body)
		assert.Equal(t, tc.param, v.at.String(), tc.body)
	}
	assert.Equal(t, sitInvalidValue, fromSchemaErrors(json.Unmarshal([]byte("x"), new(any)), nil).situation)
}
