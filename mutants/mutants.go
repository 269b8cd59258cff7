// Package mutants owns the deliberately broken targets: each wraps the
// reference so that it breaks the contract in exactly one way, the way a
// real gateway does (a proxy's HTML page, a framework's default error
// handler, a copy of OpenAI's own types, a hurried hand-written handler).
// Each names the rules that must catch it and the cases it touches; the
// self-tests prove every rule fails on its mutant and nothing else fails.
package mutants

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/suites"
)

// Mutant is one way of breaking the contract.
type Mutant struct {
	Name        string
	Description string
	// Breaks lists the rules that must report on the cases it touches.
	Breaks []string
	// Affects says which cases the mutation touches; every other case must
	// still pass against it.
	Affects func(c suites.Case) bool
	// Wrap builds the mutant around a conforming handler.
	Wrap func(reference http.Handler) http.Handler
}

// response is a recorded response a mutation may rewrite.
type response struct {
	status int
	header http.Header
	body   []byte
	// requestBody is the request's body, kept for mutations that depend on it.
	requestBody []byte
}

// rewrite records the reference's response and lets edit change it before
// it is sent.
func rewrite(edit func(r *http.Request, resp *response)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var requestBody []byte
			if r.Body != nil {
				requestBody, _ = io.ReadAll(io.LimitReader(r.Body, 16<<20))
				r.Body = io.NopCloser(bytes.NewReader(requestBody))
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			resp := &response{status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes(), requestBody: requestBody}
			edit(r, resp)
			for k, v := range resp.header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
			w.WriteHeader(resp.status)
			_, _ = w.Write(resp.body)
		})
	}
}

// copyRecorded sends a recorded response unchanged.
func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// onErrors applies edit only to error responses (status >= 400) whose
// status is in statuses (all error statuses when none is given).
func onErrors(edit func(r *http.Request, resp *response), statuses ...int) func(http.Handler) http.Handler {
	return rewrite(func(r *http.Request, resp *response) {
		if resp.status < 400 {
			return
		}
		if len(statuses) > 0 && !containsInt(statuses, resp.status) {
			return
		}
		edit(r, resp)
	})
}

// editError decodes the error object, lets edit change it, and re-encodes.
func editError(edit func(e map[string]any)) func(*http.Request, *response) {
	return func(_ *http.Request, resp *response) {
		var doc map[string]any
		if json.Unmarshal(resp.body, &doc) != nil {
			return
		}
		e, ok := doc["error"].(map[string]any)
		if !ok {
			return
		}
		edit(e)
		resp.body, _ = json.Marshal(doc)
	}
}

// replaceBody swaps the body and content type.
func replaceBody(contentType, body string) func(*http.Request, *response) {
	return func(_ *http.Request, resp *response) {
		resp.header.Set("Content-Type", contentType)
		resp.body = []byte(body)
	}
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// credentialProbe fills every credential, so that a case's request shows
// whether it carries one.
var credentialProbe = config.Config{
	Auth: config.Auth{APIKey: "sk-mutants-credential-probe-0000"},
	Fixtures: config.Fixtures{NoCreditsAPIKey: "sk-mutants-probe-1", RestrictedAPIKey: "sk-mutants-probe-2",
		RateLimitedAPIKey: "sk-mutants-probe-3", ForeignFileID: "file-x", ExpiredFileID: "file-y", InternalErrorHeader: "X-Fault: internal"},
}

// sendsCredential reports whether the case's request carries a credential
// long enough for the no-secret-echo rule to look for.
func sendsCredential(c suites.Case) bool { return len(c.Request(credentialProbe).Credential) >= 8 }

// presentedCredential is the Authorization value without its scheme.
func presentedCredential(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(v, " "); ok && len(scheme) <= 8 {
		return rest
	}
	return v
}

// requestsStream reports whether a JSON request body asked for stream: true.
func requestsStream(resp *response) bool {
	var body struct {
		Stream bool `json:"stream"`
	}
	return json.Unmarshal(resp.requestBody, &body) == nil && body.Stream
}

// Predicates over cases.
func all(suites.Case) bool { return true }

func status(codes ...int) func(suites.Case) bool {
	return func(c suites.Case) bool { return containsInt(codes, c.Expect.Status) }
}

func withCode(c suites.Case) bool  { return c.Expect.Code != "" }
func withParam(c suites.Case) bool { return c.Expect.Param != "" }

func idPrefix(prefix string) func(suites.Case) bool {
	return func(c suites.Case) bool { return strings.HasPrefix(c.ID, prefix) }
}

func expectsCode(code string) func(suites.Case) bool {
	return func(c suites.Case) bool { return c.Expect.Code == code }
}

func expectsParam(params ...string) func(suites.Case) bool {
	return func(c suites.Case) bool {
		for _, p := range params {
			if c.Expect.Param == p {
				return true
			}
		}
		return false
	}
}

// All returns every mutant.
func All() []Mutant {
	return []Mutant{
		{Name: "go-default-404", Description: "every request answered by Go's http.NotFound: 404 text/plain \"404 page not found\"",
			Breaks: []string{"status", "content-type", "json"}, Affects: all,
			Wrap: func(http.Handler) http.Handler { return http.NotFoundHandler() }},
		{Name: "text-plain-errors", Description: "error bodies unchanged but sent as text/plain (a handler that forgot the header)",
			Breaks: []string{"content-type"}, Affects: all,
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.header.Set("Content-Type", "text/plain; charset=utf-8") })},
		{Name: "no-content-type", Description: "error bodies sent with no Content-Type header at all",
			Breaks: []string{"content-type"}, Affects: all,
			Wrap: onErrors(func(_ *http.Request, resp *response) { resp.header["Content-Type"] = nil })},
		{Name: "nginx-html-401", Description: "an nginx in front answers 401 with its HTML page",
			Breaks: []string{"content-type", "json"}, Affects: status(401),
			Wrap: onErrors(replaceBody("text/html", "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"), 401)},
		{Name: "nginx-html-502", Description: "an nginx in front answers 502 with its HTML Bad Gateway page",
			Breaks: []string{"content-type", "json"}, Affects: status(502),
			Wrap: onErrors(replaceBody("text/html", "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"), 502)},
		{Name: "no-envelope", Description: "the error object sent bare, without the {\"error\": …} envelope",
			Breaks: []string{"shape", "sdk"}, Affects: all,
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
			Breaks: []string{"shape", "sdk"}, Affects: all,
			Wrap: func(h http.Handler) http.Handler {
				return rewrite(func(r *http.Request, resp *response) {
					if resp.status >= 400 {
						code := resp.status
						editError(func(e map[string]any) { e["code"] = code })(r, resp)
					}
				})(h)
			}},
		{Name: "empty-message", Description: "error.message is an empty string",
			Breaks: []string{"message"}, Affects: all,
			Wrap: onErrors(editError(func(e map[string]any) { e["message"] = "" }))},
		{Name: "message-is-code", Description: "error.message repeats the machine code instead of a sentence",
			Breaks: []string{"message"}, Affects: all,
			Wrap: onErrors(editError(func(e map[string]any) { e["message"] = e["type"] }))},
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
			Breaks: []string{"status"}, Affects: idPrefix("auth/missing-header/"),
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
			Breaks: []string{"json"}, Affects: all,
			Wrap: onErrors(func(_ *http.Request, resp *response) {
				resp.body = append(bytes.TrimRight(resp.body, "\n"), []byte("\n{\"logged\":true}\n")...)
			})},
		{Name: "utf8-bom", Description: "error bodies start with a UTF-8 byte order mark (a .NET serializer's habit)",
			Breaks: []string{"json"}, Affects: all,
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
			Breaks: []string{"status", "sdk"}, Affects: all,
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
			Breaks: []string{"no-secret-echo"}, Affects: sendsCredential,
			Wrap: onErrors(func(r *http.Request, resp *response) {
				resp.header.Set("X-Debug-Authorization", r.Header.Get("Authorization"))
			})},
		{Name: "sse-errors", Description: "errors to stream: true requests sent as a server-sent event",
			Breaks: []string{"no-stream", "content-type", "json"}, Affects: func(c suites.Case) bool { return c.Expect.Stream },
			Wrap: func(next http.Handler) http.Handler {
				return rewrite(func(r *http.Request, resp *response) {
					if resp.status < 400 || !requestsStream(resp) {
						return
					}
					resp.header.Set("Content-Type", "text/event-stream")
					resp.body = append(append([]byte("data: "), bytes.TrimSpace(resp.body)...), []byte("\n\ndata: [DONE]\n\n")...)
				})(next)
			}},
		{Name: "slow-504", Description: "504 arrives a second late: the gateway's upstream timeout is longer than the contract's",
			Breaks: []string{"timeout"}, Affects: status(504),
			Wrap: onErrors(func(*http.Request, *response) { time.Sleep(time.Second) }, 504)},
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
	}
}
