package mutants

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// ExploreMutant is a gateway that gets request validation wrong in one
// way: explore must fail the variants it touches with the finding it
// names, and nothing else.
type ExploreMutant struct {
	Name, Description string
	// Finding is what the headline of every case it touches says.
	Finding string
	// Affects says which explore variants it touches.
	Affects func(c suites.Case) bool
	// Wrap builds it around the reference.
	Wrap func(reference http.Handler) http.Handler
}

// bodyEdit is a gateway's own handling of a chat request body: it returns
// the body it forwards, or refuse (a status other than 0) to answer itself.
type bodyEdit func(body map[string]any, violations []*openapi3.SchemaError) (forward map[string]any, refuse int)

// ExploreMutants returns the gateways explore must catch.
func ExploreMutants() []ExploreMutant {
	rs, err := spec.DefaultRequestSchemas()
	if err != nil {
		panic("mutants: the embedded request schemas: " + err.Error()) // tested in spec
	}
	mutant := func(name, description, finding string, edit bodyEdit) ExploreMutant {
		return ExploreMutant{Name: name, Description: description, Finding: finding,
			Affects: func(c suites.Case) bool { return touches(rs, edit, c) },
			Wrap:    func(next http.Handler) http.Handler { return editingGateway(rs, edit, next) }}
	}
	ranges := map[string][2]float64{"temperature": {0, 2}, "top_p": {0, 1}, "presence_penalty": {-2, 2}, "frequency_penalty": {-2, 2}, "n": {1, 128}}
	return []ExploreMutant{
		mutant("clamp-out-of-range", "numbers outside their range are clamped into it and the request served (a gateway that 'fixes' input)",
			"accepted invalid input", func(body map[string]any, _ []*openapi3.SchemaError) (map[string]any, int) {
				for field, r := range ranges {
					if f, ok := body[field].(float64); ok {
						body[field] = min(max(f, r[0]), r[1])
					}
				}
				return body, 0
			}),
		mutant("ignore-unknown-enum", "a setting outside its enum (tool_choice, response_format.type, an image's detail) is replaced by its default and the request served",
			"accepted invalid input", func(body map[string]any, _ []*openapi3.SchemaError) (map[string]any, int) {
				defaultUnknown(body, "tool_choice", "auto", "none", "auto", "required")
				if rf, ok := body["response_format"].(map[string]any); ok {
					defaultUnknown(rf, "type", "text", "text", "json_object", "json_schema")
				}
				messages, _ := body["messages"].([]any)
				for _, m := range messages {
					msg, _ := m.(map[string]any)
					parts, _ := msg["content"].([]any)
					for _, p := range parts {
						part, _ := p.(map[string]any)
						if img, ok := part["image_url"].(map[string]any); ok {
							defaultUnknown(img, "detail", "auto", "auto", "low", "high")
						}
					}
				}
				return body, 0
			}),
		mutant("string-for-boolean", "a string where a boolean is required is read as true (\"stream\": \"yes\" streams)",
			"accepted invalid input", func(body map[string]any, _ []*openapi3.SchemaError) (map[string]any, int) {
				for _, field := range []string{"stream", "logprobs", "parallel_tool_calls", "store"} {
					if _, isString := body[field].(string); isString {
						body[field] = true
					}
				}
				return body, 0
			}),
		mutant("nested-type-500", "a type error inside a nested member crashes the gateway: 500",
			"crash on bad input", func(body map[string]any, violations []*openapi3.SchemaError) (map[string]any, int) {
				for _, v := range violations {
					if v.SchemaField == "type" && len(v.JSONPointer()) >= 2 {
						return nil, http.StatusInternalServerError
					}
				}
				return body, 0
			}),
		mutant("first-item-only", "a list is checked by its first item only (messages[0], tools[0]); the items after it go on unchecked (here: dropped)",
			"accepted invalid input", func(body map[string]any, _ []*openapi3.SchemaError) (map[string]any, int) {
				for _, field := range []string{"messages", "tools", "stop"} {
					if items, ok := body[field].([]any); ok && len(items) > 1 {
						body[field] = items[:1]
					}
				}
				return body, 0
			}),
		mutant("refuse-valid-boundary", "a number at its valid bound (temperature 2, top_p 1, a penalty of -2) is refused with 400",
			"refused valid input", func(body map[string]any, violations []*openapi3.SchemaError) (map[string]any, int) {
				if len(violations) > 0 {
					return body, 0
				}
				for field, r := range ranges {
					if f, ok := body[field].(float64); ok && field != "n" && (f == r[0] || f == r[1]) {
						return nil, http.StatusBadRequest
					}
				}
				return body, 0
			}),
	}
}

// defaultUnknown replaces obj[member], a string outside known, by def.
func defaultUnknown(obj map[string]any, member, def string, known ...string) {
	v, ok := obj[member].(string)
	if !ok {
		return
	}
	for _, k := range known {
		if v == k {
			return
		}
	}
	obj[member] = def
}

// violationsOf lists a body's schema violations, innermost first.
func violationsOf(rs *spec.RequestSchemas, body map[string]any) []*openapi3.SchemaError {
	return spec.SchemaLeaves(rs.ValidateChat(body))
}

// touches reports whether the edit changes what the reference would
// answer to the case's request: it refuses it, or forwards a body the
// schema accepts where the case's body is invalid.
func touches(rs *spec.RequestSchemas, edit bodyEdit, c suites.Case) bool {
	if !strings.HasPrefix(c.ID, suites.ExploreGroup+"/") {
		return false
	}
	var body map[string]any
	if json.Unmarshal(c.Request(credentialProbe).Body, &body) != nil {
		return false
	}
	violations := violationsOf(rs, body)
	forward, refuse := edit(deepCopyJSON(body).(map[string]any), violations)
	if refuse != 0 {
		return true
	}
	return len(violations) > 0 && rs.ValidateChat(deepCopyJSON(forward)) == nil
}

// editingGateway applies the edit to chat request bodies before the
// reference sees them; a refusal is the reference's own error for that
// status (its fault header for a 500), so only the status is wrong.
func editingGateway(rs *spec.RequestSchemas, edit bodyEdit, next http.Handler) http.Handler {
	cfg := referenceConfig(next, "an explore mutant")
	faultName, faultValue, err := config.SplitHeader(cfg.Fixtures.InternalErrorHeader)
	if err != nil {
		panic("mutants: the reference's fault header: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		var body map[string]any
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") || json.Unmarshal(raw, &body) != nil {
			next.ServeHTTP(w, withBody(r, raw))
			return
		}
		forward, refuse := edit(body, violationsOf(rs, deepCopyJSON(body).(map[string]any)))
		switch refuse {
		case 0:
			data, _ := json.Marshal(forward)
			next.ServeHTTP(w, withBody(r, data))
		case http.StatusInternalServerError:
			faulted := withBody(r, raw)
			faulted.Header.Set(faultName, faultValue)
			next.ServeHTTP(w, faulted)
		default:
			// The reference's own answer to an invalid value of this field.
			bad := deepCopyJSON(body).(map[string]any)
			bad["temperature"] = 99.0
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, withBody(r, mustJSON(bad)))
			copyRecorded(w, rec)
		}
	})
}

func deepCopyJSON(v any) any {
	var out any
	_ = json.Unmarshal(mustJSON(v), &out)
	return out
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return bytes.TrimSpace(data)
}
