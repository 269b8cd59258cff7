package suites

import (
	"net/http"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
)

// alteredKey is key altered by one character (alter): a key nobody holds
// that a gateway comparing only a prefix of the token, or trimming it,
// serves. A key too short to alter (a target without authentication)
// gives the unknown key.
func alteredKey(key string, alter func(string) string) string {
	if len(key) < 2 {
		return unknownKey
	}
	return alter(key)
}

// The alterations of the credential-variant cases. keyCharChanged replaces
// the last character by another of its class (a digit by a digit, a letter
// by a letter), so that a format check still passes it.
func keyAppended(key string) string  { return key + "x" }
func keyTruncated(key string) string { return key[:len(key)-1] }
func keyCharChanged(key string) string {
	c := key[len(key)-1]
	switch {
	case c >= '0' && c <= '8', c >= 'a' && c <= 'y', c >= 'A' && c <= 'Y':
		c++
	case c == '9':
		c = '0'
	case c == 'z':
		c = 'a'
	case c == 'Z':
		c = 'A'
	default:
		c = 'x'
	}
	return key[:len(key)-1] + string(c)
}

// gateCases are the case classes real gateways get wrong that the first
// catalogue did not send: an unknown model on a route that takes one,
// the scheme's case, media-type variants of a JSON body, bad later items
// of a list, null required fields, and a streamed malformed body.
func gateCases() []Case {
	unknownModel := Case{ID: "route/unknown-model/chat", Endpoint: "chat", Title: "a chat completion for a model that does not exist",
		Sends: "a one-token chat request for the model " + probeModel, Situation: "unknown-model",
		build: func(cfg config.Config) probe.Request { return rawChat(cfg, cfg.Auth.APIKey, chatBody(probeModel, nil)) }}
	lowercaseScheme := Case{ID: "auth/lowercase-scheme/chat", Endpoint: "chat", ValidInput: true,
		Title:  `the valid key under the scheme written "bearer": HTTP's schemes are case-insensitive`,
		Sends:  "Authorization: bearer <valid key> (lower-case scheme) on a one-token chat request",
		Expect: check.Expectation{Status: http.StatusOK, ValidInput: `the scheme "bearer" is "Bearer": HTTP compares schemes without case (RFC 9110 §11.1)`},
		build: func(cfg config.Config) probe.Request {
			r := rawChat(cfg, "", chatBody(modelOf(cfg), nil))
			r.Header.Set("Authorization", "bearer "+cfg.Auth.APIKey)
			r.Credential, r.CredentialIsSecret = cfg.Auth.APIKey, true
			return r
		},
		inapplicable: bearerOnly}
	cases := []Case{unknownModel, streamTwin(unknownModel), lowercaseScheme}
	cases = append(cases, mediaTypeCases()...)
	cases = append(cases, laterItemAndNullCases()...)
	return cases
}

// malformedJSON is a chat body cut off inside messages.
var malformedJSON = []byte(`{"model": "` + DefaultModel + `", "messages": [`)

// mediaTypeCases send a JSON body under the media types a client may
// write for it: a target must read them as JSON (a malformed body is still
// a 400, a valid one still served), not fail on a header that is not
// exactly application/json.
func mediaTypeCases() []Case {
	typed := func(id, title, contentType, sends string, body func(cfg config.Config) []byte) Case {
		return Case{ID: id, Title: title, Endpoint: "chat", Sends: sends, Situation: malformedBody,
			build: func(cfg config.Config) probe.Request {
				r := rawChat(cfg, cfg.Auth.APIKey, body(cfg))
				if contentType == "" {
					r.Header.Del("Content-Type")
				} else {
					r.Header.Set("Content-Type", contentType)
				}
				return r
			}}
	}
	malformed := func(config.Config) []byte { return malformedJSON }
	valid := typed("request/valid-json-charset", "a valid body sent as application/json; charset=utf-8 is served",
		"application/json; charset=utf-8", "a one-token chat request with Content-Type: application/json; charset=utf-8",
		func(cfg config.Config) []byte { return chatBody(modelOf(cfg), nil) })
	valid.Situation, valid.ValidInput = "", true
	valid.Expect = check.Expectation{Status: http.StatusOK, ValidInput: "a charset parameter on application/json is still JSON"}
	streamed := typed("request/malformed-json-stream", `a streamed request whose body is not valid JSON`, "application/json",
		`{"model": "…", "stream": true, "messages": [ (truncated JSON)`,
		func(config.Config) []byte {
			return []byte(`{"model": "` + DefaultModel + `", "stream": true, "messages": [`)
		})
	streamed.Expect.Stream = true
	return []Case{
		typed("request/malformed-json-charset", "a body that is not valid JSON, sent as application/json; charset=utf-8",
			"application/json; charset=utf-8", "truncated JSON with Content-Type: application/json; charset=utf-8", malformed),
		typed("request/malformed-json-mixed-case-type", "a body that is not valid JSON, sent as Application/JSON",
			"Application/JSON", "truncated JSON with Content-Type: Application/JSON (media types are case-insensitive)", malformed),
		typed("request/malformed-json-no-content-type", "a body that is not valid JSON, sent without a Content-Type",
			"", "truncated JSON with no Content-Type header", malformed),
		valid,
		streamed,
	}
}

// laterItemAndNullCases put the bad value in a later item of a list (a
// gateway that checks the first item only passes them on) and send null
// for each required field (a crash on null is common).
func laterItemAndNullCases() []Case {
	ok := map[string]any{"role": "user", "content": "Say ok."}
	tool := map[string]any{"type": "function", "function": map[string]any{"name": "errconform_probe", "parameters": map[string]any{"type": "object"}}}
	return []Case{
		chatCase("request/invalid-role-second-message", "a valid first message, then one with an unknown role",
			`"messages": [{"role": "user", …}, {"role": "wizard", …}]`, invalidValue, "messages",
			fixed(map[string]any{"messages": []any{ok, map[string]any{"role": "wizard", "content": "Say ok."}}})),
		chatCase("request/content-part-second-invalid", "a valid first content part, then one of a type no API knows",
			`"content": [{"type": "text", …}, {"type": "errconform-no-such-part"}]`, invalidValue, "messages",
			fixed(map[string]any{"messages": []any{map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "text", "text": "Say ok."}, map[string]any{"type": "errconform-no-such-part"}}}}})),
		chatCase("request/tools-second-wrong-type", "a valid first tool, then a tool that is a string",
			`"tools": [{"type": "function", …}, "not a tool"]`, wrongType, "tools",
			fixed(map[string]any{"tools": []any{tool, "not a tool"}})),
		chatCase("request/model-null", "model is null", `"model": null`, missingField, "model",
			fixed(map[string]any{"model": jsonNull{}})),
		chatCase("request/messages-null", "messages is null", `"messages": null`, missingField, "messages",
			fixed(map[string]any{"messages": jsonNull{}})),
	}
}

// jsonNull encodes as null; chatBody deletes members set to Go's nil.
type jsonNull struct{}

// MarshalJSON writes null.
func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }
