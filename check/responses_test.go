package check

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/wire"
)

func TestResponsesStreamFailuresAreNamed(t *testing.T) {
	created := "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"error\":null}}\n\n"
	tests := []struct {
		name, body, want string
	}{
		{"own error event", created + "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"upstream failed\",\"param\":null}\n\n",
			`an "error" event in the Responses API's own shape (code "server_error", message "upstream failed")`},
		{"response.failed alone", created + "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"502\",\"message\":\"m\"}}}\n\n",
			`a "response.failed" event alone`},
		{"no failure", created + "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{}}\n\n", ""},
		{"chat stream", "data: {\"choices\":[]}\n\ndata: [DONE]\n\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := responsesFailure([]byte(tc.body))
			if tc.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tc.want)
		})
	}
}

// A /responses stream that reports an upstream failure only in its own
// events fails the status rule under a contract that lets the error
// arrive mid-stream, and the finding names the event; the contract's
// error body in the error event passes.
func TestResponsesStreamErrorsAreJudgedUnderTheContract(t *testing.T) {
	c, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	expect := Expectation{Status: 502, Stream: true, MidStream: true}
	stream := func(events string) wire.Exchange {
		return wire.Exchange{Response: &wire.Response{Status: http.StatusOK,
			Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: []byte(events)}}
	}
	own := stream("event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"upstream failed\"}\n\n" +
		"event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"502\",\"message\":\"upstream failed\"}}}\n\n")
	findings := Evaluate(own, expect, c)
	require.NotEmpty(t, findings)
	assert.Equal(t, "status", findings[0].Rule)
	assert.Contains(t, findings[0].Message, `the stream reported the failure in an "error" event in the Responses API's own shape`)

	contract := stream("event: error\ndata: {\"type\":\"error\",\"error\":{\"code\":502,\"message\":\"The upstream failed.\"}}\n\n" +
		"event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"502\",\"message\":\"The upstream failed.\"}}}\n\n")
	assert.Empty(t, Evaluate(contract, expect, c))
}
