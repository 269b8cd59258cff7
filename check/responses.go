// The Responses API's stream events: a /responses stream reports a
// failure after it started as an "error" event and a "response.failed"
// event. The error the contract describes must ride in one of them (the
// error event carrying the contract's error body, as a chat stream's
// event does); a stream that reports the failure only in the API's own
// shapes is judged as carrying no contract error, and says which event
// held the failure.

package check

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Names of the Responses API's failure events.
const (
	EventError          = "error"
	EventResponseFailed = "response.failed"
)

// responsesFailure names the first event of a Responses API stream that
// reports a failure without the contract's error body (an "error" event
// in OpenAI's own shape, or "response.failed"), with what it carried: ""
// when the body holds no such event.
func responsesFailure(body []byte) string {
	for _, line := range bytes.Split(body, []byte("\n")) {
		data, found := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("data:"))
		if !found {
			continue
		}
		var ev struct {
			Type     string          `json:"type"`
			Code     any             `json:"code"`
			Message  any             `json:"message"`
			Response json.RawMessage `json:"response"`
		}
		if json.Unmarshal(bytes.TrimSpace(data), &ev) != nil {
			continue
		}
		switch ev.Type {
		case EventError:
			return fmt.Sprintf("an %q event in the Responses API's own shape (code %s, message %s), not the contract's error body",
				EventError, quoteBounded(fmt.Sprint(ev.Code)), quoteBounded(fmt.Sprint(ev.Message)))
		case EventResponseFailed:
			var resp struct {
				Error any `json:"error"`
			}
			_ = json.Unmarshal(ev.Response, &resp) // a response that is not an object carries no error
			what, _ := json.Marshal(resp.Error)
			return fmt.Sprintf("a %q event alone (its response.error %s), with no event carrying the contract's error body",
				EventResponseFailed, quoteBounded(string(what)))
		}
	}
	return ""
}
