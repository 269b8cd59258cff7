package spec_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
)

// A transcription form's fields read as their schema types them, through
// anyOf too; what does not read as its type stays text for the schema to
// refuse.
func TestAddFormFieldTypesAsTheSchemaSays(t *testing.T) {
	tr := surfaceRoute(t, spec.PathAudioTranscriptions)
	require.True(t, tr.Multipart)
	tests := []struct {
		name   string
		fields [][2]string
		want   map[string]any
		valid  bool
	}{
		{"a number", [][2]string{{"temperature", "0.5"}}, map[string]any{"temperature": json.Number("0.5")}, true},
		{"not a number", [][2]string{{"temperature", "hot"}}, map[string]any{"temperature": "hot"}, false},
		{"a boolean through anyOf", [][2]string{{"stream", "true"}}, map[string]any{"stream": true}, true},
		{"not a boolean", [][2]string{{"stream", "yes"}}, map[string]any{"stream": "yes"}, false},
		{"repeated fields are a list", [][2]string{{"include[]", "logprobs"}, {"include[]", "logprobs"}}, map[string]any{"include": []any{"logprobs", "logprobs"}}, true},
		{"the first value wins", [][2]string{{"prompt", "a"}, {"prompt", "b"}}, map[string]any{"prompt": "a"}, true},
		{"an object's JSON text", [][2]string{{"chunking_strategy", `{"type": "server_vad"}`}}, map[string]any{"chunking_strategy": map[string]any{"type": "server_vad"}}, true},
		{"an enum's unknown value", [][2]string{{"response_format", "mp3"}}, map[string]any{"response_format": "mp3"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{}
			for _, f := range tt.fields {
				tr.AddFormField(body, f[0], f[1])
			}
			assert.Equal(t, tt.want, body)
			body["file"], body["model"] = "a.wav", "whisper-1"
			assert.Equal(t, tt.valid, tr.Valid(body), "%v", tr.Validate(body))
		})
	}
}
