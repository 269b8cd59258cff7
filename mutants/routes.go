// The mutants of the routes beyond chat completions, models and files:
// each breaks one route-specific behaviour of a route a contract may list
// (and applies only under a contract that lists it).

package mutants

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// routeMutants are the mutants of the generated routes' cases.
//
// Its cyclomatic complexity (well over 25) is the table's: each mutant's small
// handler closure counts toward the one function, and a table read top to
// bottom is clearer than one function per mutant.
func routeMutants() []Mutant {
	return []Mutant{
		{Name: "embeddings-missing-input-500", Description: "an embeddings request without input (or with input null) crashes the handler: 500 {\"status\":\"failure\"}",
			Breaks: []string{"status"}, NotFor: unlisted(spec.PathEmbeddings),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathEmbeddings && c.Situation == "missing-field" && c.Expect.Param == "input"
			},
			Wrap: rewrite(func(r *http.Request, resp *response) {
				var body map[string]json.RawMessage
				if !onRoute(r, spec.PathEmbeddings) || json.Unmarshal(resp.requestBody, &body) != nil {
					return
				}
				if v, ok := body["input"]; !ok || string(v) == "null" {
					failure(resp)
				}
			})},
		{Name: "responses-stream-error-own-event", Description: "a /responses stream whose upstream fails reports it in a 200 stream as OpenAI's own error event and response.failed, without the contract's error body",
			Breaks: []string{"status"}, NotFor: unlisted(spec.PathResponses),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathResponses && c.Expect.Stream && c.Situation == "upstream-error"
			},
			Wrap: func(next http.Handler) http.Handler {
				failing := upstreamErrorModel(referenceConfig(next, "responses-stream-error-own-event"))
				return rewrite(func(r *http.Request, resp *response) {
					if !onRoute(r, spec.PathResponses) || !requestsStream(resp) || requestedModel(resp) != failing {
						return
					}
					resp.status = http.StatusOK
					resp.header = http.Header{"Content-Type": {"text/event-stream"}}
					resp.body = []byte("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_m\",\"object\":\"response\",\"status\":\"in_progress\",\"error\":null}}\n\n" +
						"event: error\ndata: {\"type\":\"error\",\"sequence_number\":1,\"code\":\"server_error\",\"message\":\"The model's upstream failed.\",\"param\":null}\n\n" +
						"event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_m\",\"object\":\"response\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"The model's upstream failed.\"}}}\n\n")
				})(next)
			}},
		{Name: "completions-max-tokens-unchecked", Description: "a completion with an out-of-range max_tokens is served: the gateway drops the value instead of refusing it",
			Breaks: []string{"status"}, NotFor: unlisted(spec.PathCompletions),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathCompletions && c.Situation == "invalid-value" && c.Expect.Param == "max_tokens"
			},
			Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if onRoute(r, spec.PathCompletions) {
						body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
						var doc map[string]any
						if json.Unmarshal(body, &doc) == nil {
							if n, ok := doc["max_tokens"].(float64); ok && n < 0 {
								delete(doc, "max_tokens")
								body, _ = json.Marshal(doc)
							}
						}
						r = withBody(r, body)
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "transcriptions-json-415", Description: "a JSON body sent to the multipart transcriptions route is answered 415 Unsupported Media Type, not the contract's malformed-body status",
			Breaks: []string{"status"}, NotFor: unlisted(spec.PathAudioTranscriptions),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathAudioTranscriptions && c.Situation == "malformed-body"
			},
			Wrap: onErrors(func(r *http.Request, resp *response) {
				if onRoute(r, spec.PathAudioTranscriptions) && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
					resp.status = http.StatusUnsupportedMediaType
				}
			})},
		{Name: "transcriptions-form-fields-dropped", Description: "the transcriptions route drops the form fields it cannot read (a response_format outside its values, a temperature or stream that does not parse) and serves the request with their defaults",
			Breaks: []string{"status"}, NotFor: unlisted(spec.PathAudioTranscriptions),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathAudioTranscriptions && (c.Situation == "invalid-value" || c.Situation == "wrong-type") &&
					slices.Contains([]string{"response_format", "temperature", "stream"}, fieldOf(c))
			},
			Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if onRoute(r, spec.PathAudioTranscriptions) {
						r = withoutFormFields(r, unreadableTranscriptionField)
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "moderations-without-auth", Description: "the moderations route is served whatever credential comes with it (a route the gateway forgot to put behind its authentication; its limiter still counts the rate-limited key)",
			Breaks: []string{"status"}, NotFor: unlisted(spec.PathModerations),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathModerations && slices.Contains(credentialSituations, c.Situation)
			},
			Wrap: func(next http.Handler) http.Handler {
				cfg := referenceConfig(next, "moderations-without-auth")
				key := cfg.Auth.APIKey
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if onRoute(r, spec.PathModerations) && presentedCredential(r) != cfg.Fixtures.RateLimitedAPIKey {
						r = r.Clone(r.Context())
						r.Header.Set("Authorization", "Bearer "+key)
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "embeddings-context-413", Description: "an embeddings input over the model's context window meets a body-size limit in front of the route (32 KiB): 413 with the proxy's HTML page",
			Breaks: []string{"status", "content-type", "json"}, NotFor: unlisted(spec.PathEmbeddings),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathEmbeddings && c.Situation == "context-length-exceeded"
			},
			Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !onRoute(r, spec.PathEmbeddings) {
						next.ServeHTTP(w, r)
						return
					}
					body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
					if len(body) > 32<<10 {
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(http.StatusRequestEntityTooLarge)
						_, _ = w.Write([]byte("<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center></body></html>\n"))
						return
					}
					next.ServeHTTP(w, withBody(r, body))
				})
			}},
		{Name: "responses-parts-dropped", Description: "a response's input parts other than text are dropped before the model sees them: an image for a text-only model is served, not refused",
			Breaks: []string{"status"}, NotFor: unlisted(spec.PathResponses),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathResponses && c.Situation == "capability-mismatch"
			},
			Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if onRoute(r, spec.PathResponses) {
						body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
						var doc map[string]any
						if json.Unmarshal(body, &doc) == nil {
							items, _ := doc["input"].([]any)
							for _, raw := range items {
								if item, ok := raw.(map[string]any); ok {
									item["content"] = textParts(item["content"])
								}
							}
							body, _ = json.Marshal(doc)
						}
						r = withBody(r, body)
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "images-rate-limit-plain", Description: "the image generations route's 429 comes from a limiter in front of it: text/plain \"Too Many Requests\" (its Retry-After kept)",
			Breaks: []string{"content-type", "json"}, NotFor: unlisted(spec.PathImagesGenerations),
			Affects: func(c suites.Case) bool {
				return c.Route() == spec.PathImagesGenerations && c.Situation == "rate-limited"
			},
			Wrap: rewrite(func(r *http.Request, resp *response) {
				if onRoute(r, spec.PathImagesGenerations) && resp.status == http.StatusTooManyRequests {
					replaceBody("text/plain; charset=utf-8", "Too Many Requests\n")(r, resp)
				}
			})},
	}
}

// textParts keeps a message content's input_text parts (a content that
// is not a list stays as it is).
func textParts(content any) any {
	parts, ok := content.([]any)
	if !ok {
		return content
	}
	var kept []any
	for _, p := range parts {
		if part, ok := p.(map[string]any); ok && part["type"] == "input_text" {
			kept = append(kept, part)
		}
	}
	return kept
}

// credentialSituations are the situations of a bad credential (with a
// valid body, or with an invalid one: authentication before validation).
var credentialSituations = []string{"missing-credential", "malformed-credential", "unknown-key", "invalid-jwt", "disabled-key", "expired-key", "unauthenticated-invalid-body"}

// onRoute reports whether a request is a POST to that route under the
// reference's /v1 (not to a route ending like it: /chat/completions is
// not /completions).
func onRoute(r *http.Request, path string) bool {
	return r.Method == http.MethodPost && (r.URL.Path == path || r.URL.Path == "/v1"+path)
}

// unlisted says a route mutant does not apply under a contract that does
// not list its route.
func unlisted(path string) func(c *spec.Contract) string {
	return func(c *spec.Contract) string {
		if c.Lists(path) {
			return ""
		}
		return "the contract " + c.Name + " lists no POST " + path
	}
}

// unreadableTranscriptionField reports whether a transcription's form
// field is one the transcriptions-form-fields-dropped mutant cannot read.
func unreadableTranscriptionField(name, value string) bool {
	switch name {
	case "response_format":
		return !slices.Contains([]string{"json", "text", "srt", "verbose_json", "vtt", "diarized_json"}, value)
	case "temperature":
		_, err := strconv.ParseFloat(value, 64)
		return err != nil
	case "stream":
		_, err := strconv.ParseBool(value)
		return err != nil
	}
	return false
}

// withoutFormFields is a copy of a multipart request without the text
// fields drop names (its file parts kept); a body that is not a form
// goes on as it is.
func withoutFormFields(r *http.Request, drop func(name, value string) bool) *http.Request {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		return withBody(r, body)
	}
	var out bytes.Buffer
	mw := multipart.NewWriter(&out)
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			break // the end, or a form the reference will refuse as it is
		}
		value, _ := io.ReadAll(part)
		if part.FileName() == "" && drop(part.FormName(), string(value)) {
			continue
		}
		w, _ := mw.CreatePart(part.Header) // writes to a bytes.Buffer do not fail
		_, _ = w.Write(value)
	}
	_ = mw.Close()
	c := withBody(r, out.Bytes())
	c.Header.Set("Content-Type", mw.FormDataContentType())
	return c
}

// fieldOf is the top-level field a case is about: its explore variant's
// field (its field: label names it after the route), else the
// parameter its error names.
func fieldOf(c suites.Case) string {
	for _, l := range c.Labels {
		if field, ok := strings.CutPrefix(l, "field:"); ok {
			_, name, routed := strings.Cut(field, ".")
			if !routed {
				return field
			}
			return name
		}
	}
	return c.Expect.Param
}
