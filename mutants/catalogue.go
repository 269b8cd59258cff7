// The catalogue of mutants: every way of breaking the contract that the
// self-tests prove errconform catches, each a wrapper built from the
// rewriting helpers in mutants.go.

package mutants

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/suites"
)

// ByName returns the mutant with that name.
func ByName(name string) (Mutant, bool) {
	for _, m := range All() {
		if m.Name == name {
			return m, true
		}
	}
	return Mutant{}, false
}

// All returns every mutant.
//
// Complexity: a table, one entry per mutant; gocyclo counts the small
// closures in the entries (each a few lines of one rewrite), not branching
// in All itself.
func All() []Mutant {
	return append(builtinRouteMutants(), routeMutants()...)
}

// builtinRouteMutants are the mutants of the built-in routes' cases (chat
// completions, models, files).
//
// Complexity: as All's.
func builtinRouteMutants() []Mutant {
	return []Mutant{
		{Name: "go-default-404", Description: "every request answered by Go's http.NotFound: 404 text/plain \"404 page not found\"",
			Breaks: []string{"status", "content-type", "json"}, Affects: all,
			Wrap: func(http.Handler) http.Handler { return http.NotFoundHandler() }},
		{Name: "text-plain-errors", Description: "error bodies unchanged but sent as text/plain (a handler that forgot the header)",
			Breaks: []string{"content-type"}, Affects: answersError,
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.header.Set("Content-Type", "text/plain; charset=utf-8") })},
		{Name: "no-content-type", Description: "error bodies sent with no Content-Type header at all",
			Breaks: []string{"content-type"}, Affects: answersError,
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.header["Content-Type"] = nil })},
		{Name: "nginx-html-401", Description: "an nginx in front answers 401 with its HTML page",
			Breaks: []string{"content-type", "json"}, Affects: status(401),
			Wrap: onErrors(replaceBody("text/html", "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"), 401)},
		{Name: "nginx-html-502", Description: "an nginx in front answers 502 with its HTML Bad Gateway page",
			Breaks: []string{"content-type", "json"}, Affects: status(502),
			Wrap: onErrors(replaceBody("text/html", "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"), 502)},
		{Name: "no-envelope", Description: "the error object sent bare, without the {\"error\": …} envelope",
			Breaks: []string{"shape", "sdk"}, Affects: answersError,
			Wrap: onErrors(func(_ *http.Request, resp *response) {
				var doc map[string]any
				if json.Unmarshal(resp.body, &doc) == nil && doc["error"] != nil {
					resp.body, _ = json.Marshal(doc["error"])
				}
			})},
		{Name: "error-string", Description: "Express-style {\"error\": \"<message>\"} on 401",
			Breaks: []string{"shape", "sdk"}, Affects: status(401),
			Wrap: onErrors(func(_ *http.Request, resp *response) {
				resp.body = []byte(`{"error":"Invalid authentication credentials"}`)
			}, 401)},
		{Name: "fastapi-detail-404", Description: "FastAPI's default {\"detail\": \"Not Found\"} on 404",
			Breaks: []string{"shape"}, Affects: status(404),
			Wrap: onErrors(replaceBody("application/json", `{"detail":"Not Found"}`), 404)},
		{Name: "numeric-code", Description: "error.code carries the HTTP status as a number",
			Breaks: []string{"shape", "sdk"}, Affects: answersError, NotFor: codeIsStatus,
			Wrap: func(h http.Handler) http.Handler {
				return rewrite(func(r *http.Request, resp *response) {
					if resp.status >= 400 {
						code := resp.status
						editError(func(e map[string]any) { e["code"] = code })(r, resp)
					}
				})(h)
			}},
		{Name: "empty-message", Description: "error.message is an empty string",
			Breaks: []string{"message"}, Affects: answersError,
			Wrap: onErrors(editError(func(e map[string]any) { e["message"] = "" }))},
		{Name: "message-is-code", Description: "error.message repeats the machine code instead of a sentence",
			Breaks: []string{"message"}, Affects: answersError,
			Wrap: onErrors(editError(func(e map[string]any) {
				if t, ok := e["type"].(string); ok {
					e["message"] = t
					return
				}
				e["message"] = fmt.Sprint(e["code"]) // a contract without types: its code
			}))},
		{Name: "openai-401-type", Description: "401 with type invalid_request_error, as OpenAI's own API sends it",
			Breaks: []string{"type"}, Affects: status(401),
			Wrap: onErrors(editError(func(e map[string]any) { e["type"] = "invalid_request_error" }), 401)},
		{Name: "openai-429-type", Description: "429 with type \"requests\", as OpenAI's own API sends it",
			Breaks: []string{"type"}, Affects: status(429),
			Wrap: onErrors(editError(func(e map[string]any) { e["type"] = "requests" }), 429)},
		{Name: "forbidden-as-401", Description: "permission failures answered as 401 authentication_error",
			Breaks: []string{"status"}, Affects: status(403),
			Wrap: onErrors(func(r *http.Request, resp *response) {
				resp.status = 401
				editError(func(e map[string]any) { e["type"] = "authentication_error" })(r, resp)
			}, 403)},
		{Name: "missing-key-403", Description: "a request without credentials answered 403 (Django REST framework's default)",
			Breaks: []string{"status"}, Affects: sendsNoAuthorization,
			Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("Authorization") != "" {
						next.ServeHTTP(w, r)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"error":{"message":"Authentication credentials were not provided.","type":"permission_error","param":null,"code":null}}`))
				})
			}},
		{Name: "validation-422", Description: "validation failures answered 422 Unprocessable Entity (FastAPI's habit)",
			Breaks: []string{"status"}, Affects: status(400),
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.status = 422 }, 400)},
		{Name: "code-null", Description: "error.code always null",
			Breaks: []string{"code"}, Affects: withCode,
			Wrap: onErrors(editError(func(e map[string]any) { e["code"] = nil }))},
		{Name: "invalid-request-code", Description: "invalid values coded \"invalid_request\" instead of invalid_value",
			Breaks: []string{"code"}, Affects: expectsCode("invalid_value"),
			Wrap: onErrors(editError(func(e map[string]any) {
				if e["code"] == "invalid_value" {
					e["code"] = "invalid_request"
				}
			}), 400)},
		{Name: "expired-as-404", Description: "expired files answered 404 while keeping code file_expired",
			Breaks: []string{"status", "code-status"}, Affects: expectsCode("file_expired"),
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.status = 404 }, 410)},
		{Name: "rate-limit-400", Description: "the rate_limit_exceeded code sent with status 400",
			Breaks: []string{"status", "code-status"}, Affects: status(429),
			Wrap: onErrors(func(r *http.Request, resp *response) {
				resp.status = 400
				editError(func(e map[string]any) { e["type"] = "invalid_request_error" })(r, resp)
			}, 429)},
		{Name: "param-null", Description: "error.param always null",
			Breaks: []string{"param"}, Affects: withParam,
			Wrap: onErrors(editError(func(e map[string]any) { e["param"] = nil }))},
		{Name: "param-camel-case", Description: "error.param in camelCase (maxTokens, topP), as a JavaScript gateway writes it",
			Breaks: []string{"param"}, Affects: expectsParam("max_tokens", "top_p"),
			Wrap: onErrors(editError(func(e map[string]any) {
				switch e["param"] {
				case "max_tokens":
					e["param"] = "maxTokens"
				case "top_p":
					e["param"] = "topP"
				}
			}), 400)},
		{Name: "trailing-document", Description: "a logging middleware appends a second JSON document to error bodies",
			Breaks: []string{"json"}, Affects: answersError,
			Wrap: onErrors(func(_ *http.Request, resp *response) {
				resp.body = append(bytes.TrimRight(resp.body, "\n"), []byte("\n{\"logged\":true}\n")...)
			})},
		{Name: "utf8-bom", Description: "error bodies start with a UTF-8 byte order mark (a .NET serializer's habit)",
			Breaks: []string{"json"}, Affects: answersError,
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.body = append([]byte("\xef\xbb\xbf"), resp.body...) })},
		{Name: "cut-off-500", Description: "a proxy cuts the connection mid-body: 500 declares more bytes than it sends",
			Breaks: []string{"response"}, Affects: status(500),
			Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r)
					if rec.Code != http.StatusInternalServerError {
						copyRecorded(w, rec)
						return
					}
					body := rec.Body.Bytes()
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("Content-Length", strconv.Itoa(len(body)+512))
					w.WriteHeader(rec.Code)
					_, _ = w.Write(body[:len(body)/2])
				})
			}},
		{Name: "errors-as-200", Description: "every error sent with status 200 and the error body (an RPC-style gateway)",
			Breaks: []string{"status", "sdk"}, Affects: both(answersError, func(c suites.Case) bool { return !c.Expect.MidStream }),
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.status = http.StatusOK })},
		{Name: "no-retry-after", Description: "429 without a Retry-After header",
			Breaks: []string{"retry-after"}, Affects: status(429),
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.header.Del("Retry-After") }, 429)},
		{Name: "retry-after-words", Description: "429 with Retry-After: \"1 minute\" (neither seconds nor an HTTP date)",
			Breaks: []string{"retry-after"}, Affects: status(429),
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.header.Set("Retry-After", "1 minute") }, 429)},
		{Name: "echo-key-in-message", Description: "401 messages quote the credential back (\"Incorrect API key provided: sk-…\")",
			Breaks: []string{"no-secret-echo"}, Affects: func(c suites.Case) bool { return c.Expect.Status == 401 && sendsCredential(c) },
			Wrap: onErrors(func(r *http.Request, resp *response) {
				editError(func(e map[string]any) {
					e["message"] = "Incorrect API key provided: " + presentedCredential(r) + "."
				})(r, resp)
			}, 401)},
		{Name: "echo-key-in-header", Description: "a debug header repeats the Authorization value on every error",
			Breaks: []string{"no-secret-echo"}, Affects: both(answersError, sendsCredential),
			Wrap: onErrors(func(r *http.Request, resp *response) {
				resp.header.Set("X-Debug-Authorization", r.Header.Get("Authorization"))
			})},
		{Name: "sse-errors", Description: "errors to stream: true requests sent as a server-sent event",
			Breaks: []string{"no-stream", "content-type", "json"}, Affects: func(c suites.Case) bool {
				return c.Expect.Stream && answersError(c) && json.Valid(c.Request(credentialProbe).Body)
			},
			Wrap: func(next http.Handler) http.Handler {
				return rewrite(func(r *http.Request, resp *response) {
					if resp.status < 400 || !requestsStream(resp) {
						return
					}
					resp.header.Set("Content-Type", "text/event-stream")
					resp.body = append(append([]byte("data: "), bytes.TrimSpace(resp.body)...), []byte("\n\ndata: [DONE]\n\n")...)
				})(next)
			}},
		{Name: "slow-504", Description: "the gateway timeout's answer (504) arrives two seconds late: the gateway's upstream timeout is longer than the contract's",
			Breaks: []string{"timeout"}, Affects: requestsModel(func(cfg config.Config) string { return cfg.Fixtures.SlowModel }),
			Wrap: func(next http.Handler) http.Handler {
				slow := referenceConfig(next, "slow-504").Fixtures.SlowModel
				return onErrors(func(r *http.Request, resp *response) {
					if requestedModel(resp) == slow {
						time.Sleep(2 * time.Second)
					}
				})(next)
			}},
		{Name: "stack-trace-500", Description: "500 messages carry the Go panic and stack trace",
			Breaks: []string{"no-internal-leak"}, Affects: status(500),
			Wrap: onErrors(editError(func(e map[string]any) {
				e["message"] = "panic: runtime error: invalid memory address or nil pointer dereference\n\ngoroutine 41 [running]:\nmain.(*gateway).chat(...)\n\t/app/internal/gateway/chat.go:212 +0x1d"
			}), 500)},
		{Name: "upstream-address-502", Description: "502 messages name the upstream's address (a reverse proxy's error text)",
			Breaks: []string{"no-internal-leak"}, Affects: status(502),
			Wrap: onErrors(editError(func(e map[string]any) {
				e["message"] = "upstream connect error: dial tcp 10.12.3.4:8000: connect: connection refused"
			}), 502)},
		{Name: "decoder-text-400", Description: "400 messages are the server's JSON decoder error",
			Breaks: []string{"no-internal-leak"}, Affects: status(400),
			Wrap: onErrors(editError(func(e map[string]any) {
				e["message"] = "json: cannot unmarshal string into Go struct field ChatRequest.max_tokens of type int"
			}), 400)},
		{Name: "empty-500", Description: "500 with an empty body and no Content-Type",
			Breaks: []string{"content-type", "json"}, Affects: status(500),
			Wrap: onErrors(func(_ *http.Request, resp *response) {
				resp.header["Content-Type"] = nil
				resp.body = nil
			}, 500)},
		{Name: "echo-shaped-unknown-key", Description: "the unknown-key answer quotes the key back, but only for a key shaped like a real one (the reference's prefix and length), so sk-errconform-… and JWTs pass",
			Breaks: []string{"no-secret-echo"}, Affects: presentsShapedUnknownKey,
			Wrap: func(next http.Handler) http.Handler {
				cfg := referenceConfig(next, "echo-shaped-unknown-key")
				return onErrors(func(r *http.Request, resp *response) {
					token, ok := bearerToken(r.Header.Get("Authorization"))
					if !ok || !shapedLike(cfg.Auth.APIKey, token) || knownKey(cfg, token) {
						return
					}
					editError(func(e map[string]any) {
						e["message"] = "Incorrect API key provided: " + token + ". You can find your API keys in your account settings."
					})(r, resp)
				}, 401)(next)
			}},
		{Name: "validation-before-auth", Description: "chat bodies are validated before the key is: an invalid body is answered 400 even without a valid key",
			Breaks: []string{"status"}, Affects: both(status(401), idPrefix("auth/before-validation/")),
			Wrap: func(next http.Handler) http.Handler {
				key := referenceConfig(next, "validation-before-auth").Auth.APIKey
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, withBody(r, body))
					if rec.Code == http.StatusUnauthorized && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions") {
						// The validator runs first: what would it say to this body?
						validated := withBody(r, body)
						validated.Header.Set("Authorization", "Bearer "+key)
						vrec := httptest.NewRecorder()
						next.ServeHTTP(vrec, validated)
						if vrec.Code == http.StatusBadRequest {
							rec = vrec
						}
					}
					copyRecorded(w, rec)
				})
			}},
		{Name: "burst-500", Description: "every second request of the rate-limited key fails with 500 {\"status\":\"failure\"} before the limit is reached; the 429 still comes",
			Breaks: []string{"status", "shape"}, Affects: sendsKey(func(cfg config.Config) string { return cfg.Fixtures.RateLimitedAPIKey }),
			Wrap: func(next http.Handler) http.Handler {
				key := referenceConfig(next, "burst-500").Fixtures.RateLimitedAPIKey
				var n atomic.Int64
				return rewrite(func(r *http.Request, resp *response) {
					if token, _ := bearerToken(r.Header.Get("Authorization")); token != key {
						return
					}
					if n.Add(1)%2 == 0 && resp.status >= 200 && resp.status < 300 {
						failure(resp)
					}
				})(next)
			}},
		{Name: "models-get-200", Description: "GET /models/{unknown} answers 200 with the 404 error body",
			Breaks: []string{"status"}, Affects: func(c suites.Case) bool {
				r := c.Request(credentialProbe)
				return c.Expect.Status == http.StatusNotFound && r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/models/")
			},
			Wrap: onErrors(func(r *http.Request, resp *response) {
				if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/models/") {
					resp.status = http.StatusOK
				}
			}, 404)},
		{Name: "upstream-address-field", Description: "500 and 502 errors carry the proxy's own page in error.html-message, naming the upstream's address",
			Breaks: []string{"no-internal-leak"}, Affects: status(500, 502),
			Wrap: onErrors(editError(func(e map[string]any) {
				e["html-message"] = "<html><body><h1>Bad Gateway</h1><p>The upstream http://10.0.0.7:8080/v1/chat/completions did not answer.</p></body></html>"
			}), 500, 502)},
		{Name: "provider-member", Description: "every error body carries a top-level \"provider\": \"openai\" beside \"error\" (a router naming the upstream)",
			Breaks: []string{"single-member"}, Affects: answersError,
			Wrap: onErrors(func(_ *http.Request, resp *response) {
				var doc map[string]any
				if json.Unmarshal(resp.body, &doc) == nil && doc["error"] != nil {
					doc["provider"] = "openai"
					resp.body, _ = json.Marshal(doc)
				}
			})},
		{Name: "stream-500", Description: "a stream: true chat that would succeed fails with 500 {\"status\":\"failure\"} (a gateway without streaming)",
			Breaks: []string{"status", "content-type"}, Affects: func(c suites.Case) bool { return c.Expect.Stream && !answersError(c) },
			Wrap: rewrite(func(_ *http.Request, resp *response) {
				if resp.status == http.StatusOK && requestsStream(resp) {
					failure(resp)
				}
			})},
		{Name: "upstream-429-as-500", Description: "the upstream's 429 is passed on as the gateway's own 500",
			Breaks: []string{"status"}, Affects: requestsModel(upstreamRateLimitedModel),
			Wrap: asOwn500("upstream-429-as-500", upstreamRateLimitedModel)},
		{Name: "upstream-500-as-500", Description: "the upstream's 500 is passed on as the gateway's own 500, not as its bad gateway",
			Breaks: []string{"status"}, Affects: requestsModel(upstreamErrorModel),
			Wrap: asOwn500("upstream-500-as-500", upstreamErrorModel)},
		{Name: "code-as-string", Description: "error.code is the status as a string (\"401\"), not the number the contract asks for",
			Breaks: []string{"equals-status", "shape"}, Affects: answersError, NotFor: codeIsNotStatus,
			Wrap: onErrors(editError(func(e map[string]any) { e["code"] = fmt.Sprint(e["code"]) }))},
		{Name: "openai-shape", Description: "errors copied from OpenAI's own shape: a type and a param beside a named string code",
			Breaks: []string{"equals-status", "shape"}, Affects: answersError, NotFor: hasTypes,
			Wrap: onErrors(editError(func(e map[string]any) {
				e["type"], e["param"], e["code"] = "invalid_request_error", nil, "invalid_request_error"
			}))},
		{Name: "mid-stream-errors", Description: "an upstream failure on a stream: true request answered as a 200 event stream whose event carries the error",
			Breaks: []string{"status"}, Affects: func(c suites.Case) bool {
				return c.Expect.Stream && !c.Expect.MidStream && strings.HasPrefix(c.Situation, "upstream-")
			},
			NotFor: acceptsMidStream,
			Wrap: func(next http.Handler) http.Handler {
				cfg := referenceConfig(next, "mid-stream-errors")
				upstream := upstreamModels(cfg)
				return onErrors(func(_ *http.Request, resp *response) {
					if requestsStream(resp) && upstream[requestedModel(resp)] {
						resp.status = http.StatusOK
						resp.header.Set("Content-Type", "text/event-stream")
						resp.body = append(append([]byte("data: "), bytes.TrimSpace(resp.body)...), []byte("\n\ndata: [DONE]\n\n")...)
					}
				})(next)
			}},
		{Name: "mid-stream-no-error", Description: "an upstream failure on a stream: true request answered as a 200 event stream that carries no error at all",
			Breaks: []string{"status"}, Affects: midStreamCase, NotFor: noMidStream,
			Wrap: midStreamAnswer(func([]byte) []byte {
				return []byte(`data: {"id":"chatcmpl-x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"}}]}` + "\n\ndata: [DONE]\n\n")
			})},
		{Name: "mid-stream-string-code", Description: "an upstream failure on a stream: true request carried mid-stream in a 200 event whose error.code is a string",
			Breaks: []string{"equals-status", "shape"}, Affects: midStreamCase, NotFor: noMidStream,
			Wrap: midStreamAnswer(func(body []byte) []byte {
				var doc map[string]any
				if json.Unmarshal(body, &doc) == nil {
					if e, ok := doc["error"].(map[string]any); ok {
						e["code"] = fmt.Sprint(e["code"])
						body, _ = json.Marshal(doc)
					}
				}
				return append(append([]byte("data: "), bytes.TrimSpace(body)...), []byte("\n\ndata: [DONE]\n\n")...)
			})},
		{Name: "unknown-model-400", Description: "a chat request for a model the gateway does not know is refused as a validation error: 400 invalid_value on model",
			Breaks: []string{"status"}, Affects: func(c suites.Case) bool { return c.Situation == "unknown-model" && c.Endpoint == "chat" },
			Wrap: onErrors(func(r *http.Request, resp *response) {
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") || !bytes.Contains(resp.body, []byte("does not exist")) {
					return // not the unknown model's answer (a file's 404, say)
				}
				resp.status = http.StatusBadRequest
				editError(func(e map[string]any) {
					e["type"], e["code"], e["param"] = "invalid_request_error", "invalid_value", "model"
				})(r, resp)
			}, 404)},
		{Name: "lax-key-compare", Description: "the key is compared by its first 16 characters, after taking the first word of the token: the valid key altered at its end, or sent twice, is served",
			Breaks: []string{"status"}, Affects: func(c suites.Case) bool {
				return slices.ContainsFunc([]string{"key-appended", "key-truncated", "key-char-changed", "key-twice"},
					func(slug string) bool { return strings.HasPrefix(c.ID, "auth/"+slug+"/") })
			},
			Wrap: func(next http.Handler) http.Handler {
				key := referenceConfig(next, "lax-key-compare").Auth.APIKey
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
					if fields := strings.Fields(rest); strings.EqualFold(scheme, "Bearer") && len(fields) > 0 && len(fields[0]) >= 16 && fields[0][:16] == key[:16] {
						r = r.Clone(r.Context())
						r.Header.Set("Authorization", "Bearer "+key)
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "case-sensitive-scheme", Description: "the scheme is compared as written: \"bearer <key>\" is refused with 401",
			Breaks: []string{"status"}, Affects: idPrefix("auth/lowercase-scheme/"),
			Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if auth := r.Header.Get("Authorization"); auth != "" && !strings.HasPrefix(auth, "Bearer ") {
						r = r.Clone(r.Context())
						r.Header.Set("Authorization", "Basic "+auth) // refused as the reference refuses any other scheme
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "strict-media-type-500", Description: "a JSON route answers 500 {\"status\":\"failure\"} when Content-Type is not exactly application/json",
			Breaks: []string{"status"}, Affects: func(c suites.Case) bool {
				r := c.Request(credentialProbe)
				return r.Method == http.MethodPost && r.Path == "/chat/completions" && r.Header.Get("Content-Type") != "application/json"
			},
			Wrap: rewrite(func(r *http.Request, resp *response) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions") && r.Header.Get("Content-Type") != "application/json" {
					failure(resp)
				}
			})},
		{Name: "first-item-checked-only", Description: "a list is checked by its first item only (messages[0], content[0], tools[0]); the items after it go on unchecked (here: dropped)",
			Breaks: []string{"status"}, Affects: laterItemCase,
			Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
					next.ServeHTTP(w, withBody(r, firstItemsOnly(body)))
				})
			}},
		{Name: "null-crash-500", Description: "a required field sent as null crashes the handler: 500 {\"status\":\"failure\"}",
			Breaks: []string{"status"}, Affects: func(c suites.Case) bool { return strings.HasSuffix(strings.TrimSuffix(c.ID, "/stream"), "-null") },
			Wrap: rewrite(func(_ *http.Request, resp *response) {
				var body map[string]json.RawMessage
				if json.Unmarshal(resp.requestBody, &body) != nil {
					return
				}
				for _, field := range []string{"model", "messages"} {
					if v, ok := body[field]; ok && string(v) == "null" {
						failure(resp)
					}
				}
			})},
		{Name: "sniffed-stream-sse", Description: "a body that says \"stream\": true is answered as an event stream even when it is not valid JSON, its error an event",
			Breaks: []string{"no-stream", "content-type", "json"}, Affects: idPrefix("request/malformed-json-stream"),
			Wrap: onErrors(func(_ *http.Request, resp *response) {
				if json.Valid(resp.requestBody) || !bytes.Contains(resp.requestBody, []byte(`"stream": true`)) {
					return
				}
				resp.header.Set("Content-Type", "text/event-stream")
				resp.body = append(append([]byte("data: "), bytes.TrimSpace(resp.body)...), []byte("\n\ndata: [DONE]\n\n")...)
			})},
	}
}
