// Package reference owns errconform's conforming, in-process target: an
// OpenAI-compatible inference API (chat completions, models, files, and
// every other route of the OpenAI surface the contract lists: completions,
// embeddings, responses, moderations, image generations, speech,
// transcriptions, batches) whose every error follows the contract it is
// given. Each error names a situation
// of errconform's catalogue (malformed-body, unknown-key, upstream-timeout…);
// the contract decides its status and code, its status table the type, and
// its error_template the body. A situation the contract does not cover is
// answered as the default contract says. It authenticates API keys and
// HS256 JWTs, validates JSON and multipart requests (a chat request also
// against OpenAI's published chat request schema), looks models up with
// their capabilities and context windows, keeps uploaded files in memory with
// an expiry, enforces a per-key rate limit, and simulates dead and slow
// upstreams. It creates its own fixtures (keys, models, files, a fault
// header) and describes them as a config.Config. It is errconform's default
// target and the baseline that the mutants break.
package reference

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
)

// The models the reference serves.
const (
	// MainModel accepts text, image, video, file and audio input.
	MainModel = "openai/gpt-oss-120b"
	// TextOnlyModel accepts text only.
	TextOnlyModel = "ref/text-only"
	// RestrictedModel may not be used by the restricted key.
	RestrictedModel = "ref/private-model"
	// UnreachableModel is routed to an upstream that cannot be reached
	// (upstream-unreachable: 502 under the default contract).
	UnreachableModel = "test/unreachable"
	// SlowModel is routed to an upstream that never answers
	// (upstream-timeout: 504 under the default contract).
	SlowModel = "test/slow"
	// UpstreamRateLimitedModel is routed to an upstream that answers 429.
	UpstreamRateLimitedModel = "test/upstream-rate-limited"
	// UpstreamErrorModel is routed to an upstream that answers 500
	// (upstream-error: 502 under the default contract).
	UpstreamErrorModel = "test/upstream-error"
	// ContextWindow is every model's context window, in tokens.
	ContextWindow = 8192
)

// InternalErrorHeader is the request header that makes the reference fail
// (internal-error: a 500 under the default contract), written as config's internal_error_header fixture.
const InternalErrorHeader = "X-Fault: 500"

const (
	maxBodyBytes   = 8 << 20
	fileLifetime   = 24 * time.Hour
	defaultTimeout = 10 * time.Second
)

// Options tune the reference. The zero value is usable.
type Options struct {
	// GatewayTimeout is how long a request for the slow model waits for its
	// (never answering) upstream before the upstream-timeout error; default
	// 300ms.
	GatewayTimeout time.Duration
	// Latency is a fixed delay added before every response (0 = none).
	Latency time.Duration
	// RateLimit is the number of requests the rate-limited key may make per
	// RateWindow; default 5.
	RateLimit int
	// RateWindow is the rate-limit window; default 1 minute.
	RateWindow time.Duration
	// RateScope is which of the rate-limited key's requests share a
	// window: every route's (the default), each route's own, or chat
	// completions' alone, the others never limited. Which routes a
	// limiter covers is the target's choice; the catalogue holds under
	// each.
	RateScope RateScope
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Routes, when set, are the only POST routes with a body it serves
	// (of chat completions, files and the contract's other routes): any
	// other answers as an unknown route, as a target that does not serve
	// it. Nil serves every one.
	Routes []string
}

// RateScope is which requests of the rate-limited key a window counts.
type RateScope string

// Rate-limit scopes.
const (
	// RateShared is one window over every route.
	RateShared RateScope = ""
	// RatePerRoute is a window per route (method and path).
	RatePerRoute RateScope = "route"
	// RateChatOnly limits chat completions alone (a target whose
	// limiter covers inference on chat only; its config says
	// fixtures.rate_limit_endpoint: chat).
	RateChatOnly RateScope = "chat"
)

func (o Options) withDefaults() Options {
	if o.GatewayTimeout <= 0 {
		o.GatewayTimeout = 300 * time.Millisecond
	}
	if o.Latency < 0 {
		o.Latency = 0
	}
	if o.RateLimit <= 0 {
		o.RateLimit = 5
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server is the reference API. It implements http.Handler; every API route
// lives under /v1. All its methods are safe for concurrent use.
type Server struct {
	contract *spec.Contract
	// fallback is the default contract: it answers the situations contract
	// does not cover.
	fallback *spec.Contract
	opts     Options
	created  time.Time
	// requests holds the chat request schema every chat request must
	// also satisfy.
	requests *spec.RequestSchemas
	// surface holds the contract's routes beyond chat completions and
	// files, by path ("/embeddings"): the generic handler serves them.
	surface map[string]spec.Route

	// Immutable after New.
	models     []model
	balances   map[string]int // credits per organization
	keys       []apiKey
	validKey   string
	brokeKey   string
	restricted string
	limitedKey string
	// disabledKey and expiredKey are known but refused, each with its reason.
	disabledKey string
	expiredKey  string
	jwtSecret   string
	faultName   string
	faultValue  string
	foreignID   string
	expiredID   string

	mu      sync.Mutex
	files   map[string]*storedFile
	windows map[string]*rateWindow
}

// New returns a reference server with fresh random credentials and its
// built-in fixture files, answering every error as contract c says (or, for
// a situation c does not cover, as the default contract says). It panics if
// c is nil, its error_template does not render to JSON, a situation the
// reference answers with has no outcome, or the embedded request schemas
// do not load; Start reports that as an error instead. Chat requests are
// validated by hand, then against OpenAI's published chat request schema
// (the provider's own video_url and input_file content parts aside).
func New(c *spec.Contract, opts Options) *Server {
	fallback, err := checkContract(c)
	if err != nil {
		panic(err.Error())
	}
	requests, err := loadRequestSchemas()
	if err != nil {
		panic(err.Error())
	}
	return newServer(c, fallback, requests, opts)
}

// newServer is New for a contract checkContract accepted, with the default
// contract it returned and the request schemas chat requests must satisfy.
func newServer(c, fallback *spec.Contract, requests *spec.RequestSchemas, opts Options) *Server {
	opts = opts.withDefaults()
	faultName, faultValue, err := config.SplitHeader(InternalErrorHeader)
	if err != nil {
		panic(fmt.Sprintf("reference: fault header: %v", err))
	}
	s := &Server{
		contract:    c,
		fallback:    fallback,
		requests:    requests,
		opts:        opts,
		created:     opts.Now(),
		validKey:    newKey(),
		brokeKey:    newKey(),
		restricted:  newKey(),
		limitedKey:  newKey(),
		disabledKey: newKey(),
		expiredKey:  newKey(),
		jwtSecret:   randomHex(32),
		faultName:   faultName,
		faultValue:  faultValue,
		models:      newCatalogue(),
		balances:    map[string]int{orgMain: 1_000_000, orgBroke: 0, orgOther: 1_000_000},
		files:       map[string]*storedFile{},
		windows:     map[string]*rateWindow{},
	}
	s.surface, _ = surfaceRoutes(c) // checkContract loaded them
	s.models = append(s.models, routeModels(s.surface)...)
	s.keys = []apiKey{
		{key: s.validKey, principal: principal{id: "key:valid", org: orgMain}},
		{key: s.brokeKey, principal: principal{id: "key:no-credits", org: orgBroke}},
		{key: s.restricted, principal: principal{id: "key:restricted", org: orgMain, restricted: true}},
		{key: s.limitedKey, principal: principal{id: "key:rate-limited", org: orgMain, rateLimited: true}},
	}
	now := s.created
	foreign := s.store(orgOther, "other-org.jsonl", "batch", "application/jsonl",
		[]byte(`{"owner":"another organization"}`+"\n"), now, now.Add(10*365*24*time.Hour))
	expired := s.store(orgMain, "expired.txt", "assistants", "text/plain",
		[]byte("This file has expired.\n"), now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	s.foreignID, s.expiredID = foreign.id, expired.id
	return s
}

// checkContract checks that the reference can answer every error under c
// and returns the default contract, which answers the situations c does not
// cover. That a covered situation's status is in c's status table is
// spec's check, made when c was loaded.
func checkContract(c *spec.Contract) (*spec.Contract, error) {
	if c == nil {
		return nil, errors.New("reference: the contract is nil")
	}
	fallback, err := spec.Load()
	if err != nil {
		return nil, fmt.Errorf("reference: load the default contract: %w", err)
	}
	for _, sit := range allSituations() {
		if o := outcomeOf(c, fallback, sit); !o.Covered() || o.Status == 0 {
			return nil, fmt.Errorf("reference: neither the contract %s nor the default contract %s gives an outcome for the situation %s",
				c.Name, fallback.Name, sit)
		}
	}
	if _, err := surfaceRoutes(c); err != nil {
		return nil, err
	}
	sample := spec.ErrorValues{Status: http.StatusBadRequest, Message: "A sample message.", Type: "sample_type", Param: "sample", Code: "sample_code"}
	if _, err := c.RenderError(sample); err != nil {
		return nil, fmt.Errorf("reference: contract %s: %w", c.Name, err)
	}
	return fallback, nil
}

// Config returns a complete configuration pointing at baseURL (which already
// ends in /v1), with the valid key and every fixture filled in.
func (s *Server) Config(baseURL string) config.Config {
	timeout := defaultTimeout
	if floor := s.opts.GatewayTimeout + s.opts.Latency; floor >= timeout {
		timeout = floor + defaultTimeout
	}
	return config.Config{
		Target: config.Target{
			BaseURL:        baseURL,
			Timeout:        config.Duration(timeout),
			GatewayTimeout: config.Duration(s.opts.GatewayTimeout),
		},
		Auth: config.Auth{APIKey: s.validKey},
		Fixtures: config.Fixtures{
			Model:                    MainModel,
			ContextWindow:            ContextWindow,
			TextOnlyModel:            TextOnlyModel,
			NoCreditsAPIKey:          s.brokeKey,
			RestrictedAPIKey:         s.restricted,
			RestrictedModel:          RestrictedModel,
			ForeignFileID:            s.foreignID,
			ExpiredFileID:            s.expiredID,
			RateLimitedAPIKey:        s.limitedKey,
			RateLimitBurst:           s.opts.RateLimit + 5,
			UnreachableModel:         UnreachableModel,
			SlowModel:                SlowModel,
			InternalErrorHeader:      InternalErrorHeader,
			JWTHS256Secret:           s.jwtSecret,
			DisabledAPIKey:           s.disabledKey,
			ExpiredAPIKey:            s.expiredKey,
			UpstreamRateLimitedModel: UpstreamRateLimitedModel,
			UpstreamErrorModel:       UpstreamErrorModel,
			RouteModels:              routeModelFixtures(s.surface),
		},
	}
}

// handler serves one known route for an authenticated principal. It writes
// the success response itself, or returns the error for ServeHTTP to write.
type handler func(w http.ResponseWriter, r *http.Request, p principal) *apiError

// ServeHTTP serves the API: latency, authentication, routing, rate limit,
// fault injection, then the route's own handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var secret string // the credential presented, redacted from any message
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.writeError(w, errInternal(), secret)
		}
	}()
	if !sleep(r.Context(), s.opts.Latency) {
		return // the client is gone
	}
	p, secret, aerr := s.authenticate(r)
	if aerr != nil {
		s.writeError(w, s.unauthenticated(r, aerr), secret)
		return
	}
	h := s.route(r.Method, r.URL.Path)
	if h == nil {
		s.writeError(w, fail(sitUnknownRoute, "",
			fmt.Sprintf("Unknown request URL: %s %s. Please check the URL and the method.", r.Method, excerpt(r.URL.Path))), secret)
		return
	}
	if aerr := s.admit(p, r); aerr != nil {
		s.writeError(w, aerr, secret)
		return
	}
	for _, v := range r.Header.Values(s.faultName) {
		if strings.EqualFold(strings.TrimSpace(v), s.faultValue) {
			s.writeError(w, errInternal(), secret)
			return
		}
	}
	if aerr := h(w, r, p); aerr != nil {
		s.writeError(w, aerr, secret)
	}
}

// unauthenticated is the answer to a request without a valid credential:
// the authentication error, or, for a chat request (or a JSON request of
// another surface route the contract lists) whose body is invalid too, the
// unauthenticated-invalid-body situation. Its outcome says which
// check comes first: where its status is the authentication error's, the
// answer keeps that error's words; otherwise it is the validation error.
func (s *Server) unauthenticated(r *http.Request, authErr *apiError) *apiError {
	if r.Method != http.MethodPost {
		return authErr
	}
	parse := func(body []byte) *apiError { _, aerr := s.parseChatRequest(body); return aerr }
	if route, ok := s.surface[strings.TrimPrefix(r.URL.Path, "/v1")]; ok && !route.Multipart {
		parse = func(body []byte) *apiError { _, aerr := parseRouteJSON(route, body); return aerr }
	} else if r.URL.Path != "/v1/chat/completions" {
		return authErr
	}
	body, bodyErr := readBody(r.Body)
	if bodyErr == nil {
		bodyErr = parse(body)
	}
	if bodyErr == nil {
		return authErr
	}
	e := &apiError{situation: sitUnauthenticatedInvalidBody, param: authErr.param, message: authErr.message}
	if outcomeOf(s.contract, s.fallback, sitUnauthenticatedInvalidBody).Status != outcomeOf(s.contract, s.fallback, authErr.situation).Status {
		e.param, e.message = bodyErr.param, bodyErr.message
	}
	return e
}

// route returns the handler for a method and path, or nil if there is none.
func (s *Server) route(method, path string) handler {
	rest, ok := strings.CutPrefix(path, "/v1/")
	if !ok {
		return nil
	}
	on := func(want string, h handler) handler {
		if method == want {
			return h
		}
		return nil
	}
	if method == http.MethodPost && s.opts.Routes != nil && slices.Contains(spec.SurfacePaths(), "/"+rest) && !slices.Contains(s.opts.Routes, "/"+rest) {
		return nil // a route it does not serve (Options.Routes)
	}
	if route, ok := s.surface["/"+rest]; ok {
		return on(http.MethodPost, s.serveRoute(route))
	}
	switch {
	case rest == "chat/completions":
		return on(http.MethodPost, s.chatCompletions)
	case rest == "models":
		return on(http.MethodGet, s.listModels)
	case strings.HasPrefix(rest, "models/") && len(rest) > len("models/"):
		id := strings.TrimPrefix(rest, "models/")
		return on(http.MethodGet, func(w http.ResponseWriter, _ *http.Request, p principal) *apiError {
			return s.retrieveModel(w, p, id)
		})
	case rest == "files":
		return on(http.MethodPost, s.uploadFile)
	case strings.HasPrefix(rest, "files/"):
		id := strings.TrimPrefix(rest, "files/")
		if inner, ok := strings.CutSuffix(id, "/content"); ok && validID(inner) {
			return on(http.MethodGet, func(w http.ResponseWriter, _ *http.Request, p principal) *apiError {
				return s.fileContent(w, p, inner)
			})
		}
		if !validID(id) {
			return nil
		}
		switch method {
		case http.MethodGet:
			return func(w http.ResponseWriter, _ *http.Request, p principal) *apiError { return s.retrieveFile(w, p, id) }
		case http.MethodDelete:
			return func(w http.ResponseWriter, _ *http.Request, p principal) *apiError { return s.deleteFile(w, p, id) }
		}
	}
	return nil
}

// hasCredits reports whether the principal's organization may spend.
func (s *Server) hasCredits(p principal) bool { return s.balances[p.org] > 0 }

func validID(id string) bool { return id != "" && !strings.Contains(id, "/") }

// sleep waits d, reporting false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func newKey() string { return "sk-ref-" + randomHex(16) }

// Running is a reference server listening on a TCP address.
type Running struct {
	// BaseURL is "http://HOST:PORT/v1".
	BaseURL string
	// Server is the handler being served.
	Server *Server

	http      *http.Server
	done      chan error
	closeOnce sync.Once
	closeErr  error
}

// Start listens on addr ("" means "127.0.0.1:0") and serves a new reference
// server in the background until Close.
func Start(c *spec.Contract, opts Options, addr string) (*Running, error) {
	fallback, err := checkContract(c)
	if err != nil {
		return nil, err
	}
	requests, err := loadRequestSchemas()
	if err != nil {
		return nil, err
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("reference: listen on %s: %w", addr, err)
	}
	s := newServer(c, fallback, requests, opts)
	hs := &http.Server{Handler: s, ReadHeaderTimeout: defaultTimeout}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	return &Running{BaseURL: "http://" + dialAddr(ln.Addr()) + "/v1", Server: s, http: hs, done: done}, nil
}

// Config returns the server's configuration pointing at BaseURL.
func (r *Running) Config() config.Config { return r.Server.Config(r.BaseURL) }

// Close stops the server and closes its connections. It is safe to call
// more than once.
func (r *Running) Close() error {
	r.closeOnce.Do(func() {
		err := r.http.Close()
		serveErr := <-r.done
		switch {
		case err != nil:
			r.closeErr = fmt.Errorf("reference: close server: %w", err)
		case serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed):
			r.closeErr = fmt.Errorf("reference: serve: %w", serveErr)
		}
	})
	return r.closeErr
}

// dialAddr turns a listening address into one a client can dial: an
// unspecified host (":8080", "[::]:8080") becomes the loopback address.
func dialAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
