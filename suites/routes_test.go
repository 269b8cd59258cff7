package suites_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// allRoutesFile is the test contract listing every route of the OpenAI
// surface (the default contract's tables).
const allRoutesFile = "../testdata/contracts/all-routes.yaml"

// allRoutesContracts are the test contract and each built-in contract
// grown to list every route.
func allRoutesContracts(t *testing.T) []*spec.Contract {
	t.Helper()
	file, err := spec.Open(allRoutesFile)
	require.NoError(t, err)
	out := []*spec.Contract{file}
	for _, name := range spec.BuiltinNames() {
		base, err := spec.Builtin(name)
		require.NoError(t, err)
		grown, err := base.WithRoutes(spec.SurfacePaths()...)
		require.NoError(t, err)
		out = append(out, grown)
	}
	return out
}

func TestTheTestContractListsEveryRoute(t *testing.T) {
	c, err := spec.Open(allRoutesFile)
	require.NoError(t, err)
	assert.Equal(t, spec.SurfacePaths(), c.RoutePaths())
	def, err := spec.Load()
	require.NoError(t, err)
	assert.Equal(t, def.SituationNames(), c.SituationNames(), "the default contract's tables")
}

// The default contracts keep their routes, so their catalogue gets no
// generated case.
func TestBuiltinContractsGenerateNoRouteCase(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		c, err := spec.Builtin(name)
		require.NoError(t, err)
		assert.Empty(t, suites.GeneratedRoutes(c), name)
		cases, err := suites.For(c)
		require.NoError(t, err)
		for _, cs := range cases {
			assert.Contains(t, []string{"", spec.PathChatCompletions, spec.PathFiles, "/models", "/models/{model}", "/files/{file_id}", "/files/{file_id}/content"},
				cs.Route(), cs.ID)
		}
	}
}

// Every route a contract lists gets its cases: the body cases its schema
// gives, an unknown model where it names one, every credential case,
// stream twins where it streams and multipart cases where its body is a
// form; and every case sends what the route's schema refuses or a valid
// body with a bad credential.
func TestEveryListedRouteGetsItsCases(t *testing.T) {
	for _, contract := range allRoutesContracts(t) {
		t.Run(contract.Name, func(t *testing.T) {
			cases, err := suites.For(contract)
			require.NoError(t, err)
			perRoute := map[string]map[string]int{}
			for _, c := range cases {
				route := c.Route()
				if perRoute[route] == nil {
					perRoute[route] = map[string]int{}
				}
				perRoute[route][c.Situation]++
				if c.Expect.Stream {
					perRoute[route]["stream"]++
				}
			}
			for _, path := range suites.GeneratedRoutes(contract) {
				got := perRoute[path]
				require.NotNil(t, got, "%s has cases", path)
				if path != spec.PathResponses { // its schema requires no member
					assert.Positive(t, got["missing-field"], "%s has missing-field cases", path)
				}
				assert.Positive(t, got["wrong-type"], "%s has wrong-type cases", path)
				if path != spec.PathAudioTranscriptions {
					assert.Positive(t, got["unauthenticated-invalid-body"], "%s has authentication-before-validation cases", path)
				}
				for _, sit := range []string{"malformed-body", "unknown-key", "missing-credential", "malformed-credential", "invalid-jwt", "disabled-key", "expired-key"} {
					assert.Positive(t, got[sit], "%s has %s cases", path, sit)
				}
				if path != spec.PathBatches {
					assert.Positive(t, got["unknown-model"], "%s has an unknown-model case", path)
				}
				if path != spec.PathResponses && path != spec.PathModerations {
					assert.Positive(t, got["invalid-value"], "%s has invalid-value cases", path)
				}
			}
			for _, path := range []string{spec.PathCompletions, spec.PathResponses} {
				assert.Positive(t, perRoute[path]["stream"], "%s has stream twins", path)
			}
			for _, path := range suites.GeneratedRoutes(contract) {
				prompt := path == spec.PathCompletions || path == spec.PathEmbeddings || path == spec.PathResponses
				assert.Equal(t, prompt, perRoute[path]["context-length-exceeded"] > 0, "%s has a context case where a model reads its prompt", path)
				assert.Equal(t, path != spec.PathBatches, perRoute[path]["rate-limited"] == 1, "%s has one burst, unless its body names a file", path)
				assert.Equal(t, path == spec.PathResponses, perRoute[path]["capability-mismatch"] > 0, "%s has capability cases where it takes an image or a file", path)
			}
			assert.Zero(t, perRoute[spec.PathEmbeddings]["stream"], "embeddings do not stream")
			multipart := 0
			for _, c := range cases {
				if c.Route() == spec.PathAudioTranscriptions && c.Situation != "" {
					r := c.Request(twinConfig(t))
					if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
						multipart++
					}
				}
			}
			assert.Greater(t, multipart, 20, "the transcription cases are multipart")
		})
	}
}

// twinConfig is a config with every fixture a route case names.
func twinConfig(t *testing.T) config.Config {
	ref := reference.New(mustContract(t), reference.Options{})
	return ref.Config("http://127.0.0.1:1/v1")
}

// The body cases of a JSON route send what the route's schema refuses,
// each one thing.
func TestRouteBodyCasesBreakTheirSchema(t *testing.T) {
	contract := allRoutesContracts(t)[0]
	cases, err := suites.For(contract)
	require.NoError(t, err)
	cfg := twinConfig(t)
	checked := 0
	for _, c := range cases {
		route, listed, err := contract.Route(c.Route())
		require.NoError(t, err)
		if !listed || route.Multipart || c.Route() == spec.PathChatCompletions || c.Route() == spec.PathFiles {
			continue
		}
		var body any
		if json.Unmarshal(c.Request(cfg).Body, &body) != nil {
			continue
		}
		switch c.Situation {
		case "invalid-value", "wrong-type":
			assert.False(t, route.Valid(body), "%s sends a body its schema refuses", c.ID)
			checked++
		case "unknown-key", "missing-credential", "malformed-credential", "invalid-jwt", "disabled-key", "expired-key", "unknown-model", "upstream-error":
			assert.True(t, route.Valid(body), "%s sends a valid body", c.ID)
			checked++
		}
	}
	assert.Greater(t, checked, 100)
}

// Run against the reference speaking it, every case of a contract
// listing every route passes, finding-free.
func TestEveryRouteCasePassesAgainstTheReference(t *testing.T) {
	for _, contract := range allRoutesContracts(t) {
		t.Run(contract.Name, func(t *testing.T) {
			ref := reference.New(contract, reference.Options{GatewayTimeout: 50 * time.Millisecond})
			srv := httptest.NewServer(ref)
			t.Cleanup(srv.Close)
			cfg := ref.Config(srv.URL + "/v1")
			client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std(), Concurrency: 4})
			require.NoError(t, err)
			t.Cleanup(client.Close)
			target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
			cases, err := suites.For(contract)
			require.NoError(t, err)
			var routeCases []suites.Case
			for _, c := range cases {
				if c.Endpoint == suites.RouteSlug(c.Route()) && !c.Alone {
					routeCases = append(routeCases, c)
				}
			}
			require.Greater(t, len(routeCases), 200)
			midStream := 0
			for _, r := range suites.ExecuteAll(context.Background(), routeCases, target, false) {
				if r.Case.NotInContract != "" {
					assert.Equal(t, check.NotInContract, r.Skip, r.Case.ID)
					continue
				}
				assert.Equal(t, check.Passed, r.Verdict, "%s: %s", r.Case.ID, r.Summary())
				assert.Empty(t, r.Findings, r.Case.ID)
				if ex, ok := r.Judged(); ok && r.Case.Route() == spec.PathResponses && r.Case.Expect.MidStream && ex.Response != nil && ex.Response.Status == 200 {
					midStream++
					assert.Contains(t, string(ex.Response.Body), "event: response.failed", r.Case.ID)
				}
			}
			if contract.Outcome("upstream-error").MidStream {
				assert.Positive(t, midStream, "the responses stream's upstream failure came as events")
			}
		})
	}
}

// Explore walks every route a contract lists, from its schema, with the
// route's core set (a multipart route's variants sent as forms); against the reference speaking the contract every
// variant passes (each invalid body refused as its situation says, each
// valid boundary value served).
func TestExploreCoversEveryListedRoute(t *testing.T) {
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	for _, contract := range allRoutesContracts(t) {
		t.Run(contract.Name, func(t *testing.T) {
			variants, err := suites.ExploreFor(contract, rs, suites.ExploreSelection{})
			require.NoError(t, err)
			perRoute := map[string]int{}
			for _, c := range variants {
				perRoute[c.Route()]++
				if c.Route() != spec.PathChatCompletions {
					assert.True(t, strings.HasPrefix(c.ID, "explore/"+suites.RouteSlug(c.Route())+"/"), c.ID)
				}
			}
			for _, path := range suites.GeneratedRoutes(contract) {
				assert.Positive(t, perRoute[path], "%s is explored", path)
			}
			probeCfg := config.Config{Auth: config.Auth{APIKey: "sk-test-0123456789"}, Fixtures: config.Fixtures{Model: suites.DefaultModel}}
			for _, c := range variants {
				if c.Route() == spec.PathAudioTranscriptions {
					req := c.Request(probeCfg)
					assert.True(t, strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/form-data; boundary="), "%s is sent as a form", c.ID)
					assert.Contains(t, string(req.Body), `name="file"; filename="errconform-probe.wav"`, "%s carries its audio file", c.ID)
					assert.False(t, c.Expect.Stream, "%s: a form has no stream twin", c.ID)
				}
			}
			t.Logf("variants per route: %v", perRoute)
			ref := reference.New(contract, reference.Options{GatewayTimeout: 50 * time.Millisecond})
			srv := httptest.NewServer(ref)
			t.Cleanup(srv.Close)
			cfg := ref.Config(srv.URL + "/v1")
			client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std(), Concurrency: 4})
			require.NoError(t, err)
			t.Cleanup(client.Close)
			target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
			var routeVariants []suites.Case
			for _, c := range variants {
				if c.Route() != spec.PathChatCompletions {
					routeVariants = append(routeVariants, c)
				}
			}
			passed, controls := 0, 0
			for _, r := range suites.ExecuteAll(context.Background(), routeVariants, target, false) {
				if r.Case.NotInContract != "" {
					continue
				}
				assert.Equal(t, check.Passed, r.Verdict, "%s: %s", r.Case.ID, r.Summary())
				if r.Verdict == check.Passed {
					passed++
					if r.Case.ValidInput {
						controls++
					}
				}
			}
			assert.Greater(t, passed, 150)
			assert.Positive(t, controls, "valid boundary values of the routes were served")
		})
	}
}

// The built-in contracts' explore is chat completions' alone.
func TestBuiltinContractsExploreChatAlone(t *testing.T) {
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	for _, name := range spec.BuiltinNames() {
		c, err := spec.Builtin(name)
		require.NoError(t, err)
		variants, err := suites.ExploreFor(c, rs, suites.ExploreSelection{})
		require.NoError(t, err)
		for _, v := range variants {
			require.True(t, strings.HasPrefix(v.ID, "explore/chat/"), v.ID)
		}
	}
}

func TestRoutesJudgedNamesEveryRouteWithACase(t *testing.T) {
	def := suites.Catalogue()
	assert.Equal(t, "routes judged: /chat/completions 113, /files 17, /models 16, /models/{model} 15, /files/{file_id} 32, /files/{file_id}/content 17",
		suites.RoutesJudged(def))
	all, err := suites.For(allRoutesContracts(t)[0])
	require.NoError(t, err)
	line := suites.RoutesJudged(all)
	for _, path := range spec.SurfacePaths() {
		assert.Contains(t, line, " "+path+" ", path)
	}
	var embeddings []suites.Case
	for _, c := range all {
		if c.Route() == spec.PathEmbeddings {
			embeddings = append(embeddings, c)
		}
	}
	assert.Equal(t, "routes judged: /embeddings 32", suites.RoutesJudged(embeddings))
	assert.Equal(t, "routes judged: none", suites.RoutesJudged(nil))
	groups := suites.ByRoute(all)
	total := 0
	for _, g := range groups {
		total += len(g.Cases)
	}
	assert.Equal(t, len(all), total, "every case is under one route")
}

// A route whose request schema is the contract's own gets its cases from
// that schema, and the reference validates with it: every case passes.
func TestARouteTakesItsCasesFromTheContractsOwnSchema(t *testing.T) {
	raw, err := os.ReadFile(allRoutesFile)
	require.NoError(t, err)
	doc := string(raw)
	at := strings.Index(doc, "  /embeddings:\n")
	require.Positive(t, at)
	own := `schema: {type: object, required: [model, input, user], properties: {model: {type: string}, input: {type: string}, user: {type: string}, ` +
		`dimensions: {type: integer, minimum: 1, maximum: 64}, encoding_format: {type: string, enum: [float, base64]}}}`
	doc = doc[:at] + strings.Replace(doc[at:], "schema: {type: object}", own, 1)
	contract, err := spec.Parse([]byte(doc))
	require.NoError(t, err)
	route, ok, err := contract.Route(spec.PathEmbeddings)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, spec.SchemaFromContract, route.SchemaOrigin)
	cases, err := suites.For(contract)
	require.NoError(t, err)
	ids := map[string]bool{}
	var embeddings []suites.Case
	for _, c := range cases {
		if c.Route() == spec.PathEmbeddings {
			ids[c.ID] = true
			embeddings = append(embeddings, c)
		}
	}
	for _, id := range []string{"embeddings/missing/user", "embeddings/null/user", "embeddings/wrong-type/user", "embeddings/invalid-value/dimensions", "embeddings/invalid-value/encoding_format"} {
		assert.True(t, ids[id], "%s is generated from the contract's schema", id)
	}
	ref := reference.New(contract, reference.Options{GatewayTimeout: 50 * time.Millisecond})
	srv := httptest.NewServer(ref)
	t.Cleanup(srv.Close)
	cfg := ref.Config(srv.URL + "/v1")
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
	for _, r := range suites.ExecuteAll(context.Background(), embeddings, target, false) {
		assert.Equal(t, check.Passed, r.Verdict, "%s: %s", r.Case.ID, r.Summary())
	}
}

// Which routes a limiter covers is the target's choice: the bursts of
// every route hold whether the reference's one window covers every
// route, each route has its own, or chat completions alone are limited
// (where a route's burst saw only successes: not applicable, with the
// reason). Run alone and in catalogue order, as a run runs them.
func TestRouteBurstsHoldUnderEveryLimiterScope(t *testing.T) {
	contract := allRoutesContracts(t)[0]
	cases, err := suites.For(contract)
	require.NoError(t, err)
	var bursts []suites.Case
	for _, c := range cases {
		if c.Burst {
			bursts = append(bursts, c)
		}
	}
	require.Len(t, bursts, len(suites.GeneratedRoutes(contract)), "chat's burst, and one per generated route but batches")
	for _, tt := range []struct {
		scope    reference.RateScope
		endpoint string
		// fresh: each route's burst starts in a window of its own, so
		// answers before the 429 succeed; limited: a route's burst sees
		// the 429 (else it saw only successes).
		fresh, limited bool
	}{
		{reference.RateShared, "", false, true},
		{reference.RatePerRoute, "", true, true},
		{reference.RateChatOnly, config.RateLimitOnChat, false, false},
	} {
		t.Run(string(tt.scope)+"-scope", func(t *testing.T) {
			ref := reference.New(contract, reference.Options{RateScope: tt.scope})
			srv := httptest.NewServer(ref)
			t.Cleanup(srv.Close)
			cfg := ref.Config(srv.URL + "/v1")
			cfg.Fixtures.RateLimitEndpoint = tt.endpoint
			require.NoError(t, cfg.Validate())
			client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
			require.NoError(t, err)
			t.Cleanup(client.Close)
			target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
			for i, c := range bursts {
				r := suites.Execute(context.Background(), c, target, false)
				judged, ok := r.Judged()
				require.True(t, ok, c.ID)
				if i == 0 || tt.limited {
					assert.Equal(t, check.Passed, r.Verdict, "%s: %s", c.ID, r.Summary())
					assert.Empty(t, r.Findings, c.ID)
					assert.Equal(t, 429, judged.Response.Status, c.ID)
					if i == 0 || tt.fresh {
						assert.Greater(t, len(r.Exchanges), 1, "%s: successes before the limit", c.ID)
					}
					continue
				}
				assert.Equal(t, check.Skipped, r.Verdict, "%s: %s", c.ID, r.Summary())
				assert.Equal(t, check.NotApplicable, r.Skip, c.ID)
				assert.Contains(t, r.Reason, "does not cover this route", c.ID)
				assert.Len(t, r.Exchanges, cfg.Fixtures.RateLimitBurst, "%s: the whole burst was sent", c.ID)
			}
		})
	}
}

// fixtures.route_models may name exactly the routes beyond chat
// completions whose body names a model.
func TestRouteModelPathsAreTheRoutesWithAModel(t *testing.T) {
	routes, err := spec.SurfaceRoutes()
	require.NoError(t, err)
	var want []string
	for _, r := range routes {
		if r.HasModel && r.Path != spec.PathChatCompletions {
			want = append(want, r.Path)
		}
	}
	assert.Equal(t, want, config.RouteModelPaths)
}

// A generated route's cases and explore variants send the route's model
// where fixtures.route_models names one, fixtures.model where it does not;
// chat completions always fixtures.model, and the cases that name a model
// of their own keep it.
func TestRouteCasesSendTheRouteModel(t *testing.T) {
	contract := allRoutesContracts(t)[0]
	cases, err := suites.For(contract)
	require.NoError(t, err)
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	variants, err := suites.ExploreFor(contract, rs, suites.ExploreSelection{})
	require.NoError(t, err)
	cfg := config.Config{Auth: config.Auth{APIKey: "sk-test-0123456789"}, Fixtures: config.Fixtures{Model: "chat-model",
		TextOnlyModel: "text-only", UpstreamErrorModel: "failing",
		RouteModels: map[string]string{spec.PathEmbeddings: "embed-model", spec.PathAudioTranscriptions: "stt-model"}}}
	sent := map[string]map[string]int{} // route → model → requests
	for _, c := range append(cases, variants...) {
		route := c.Route()
		if route == "" || c.Endpoint == "" {
			continue
		}
		req := c.Request(cfg)
		var model string
		if strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/form-data") {
			_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
			require.NoError(t, err)
			form, err := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"]).ReadForm(1 << 20)
			require.NoError(t, err, c.ID)
			if v := form.Value["model"]; len(v) > 0 {
				model = v[0]
			}
		} else {
			var body struct {
				Model any `json:"model"`
			}
			if json.Unmarshal(req.Body, &body) != nil {
				continue
			}
			model, _ = body.Model.(string)
		}
		if sent[route] == nil {
			sent[route] = map[string]int{}
		}
		sent[route][model]++
	}
	assert.Positive(t, sent[spec.PathEmbeddings]["embed-model"])
	assert.Zero(t, sent[spec.PathEmbeddings]["chat-model"], "no embeddings request sends the chat model")
	assert.Positive(t, sent[spec.PathAudioTranscriptions]["stt-model"])
	assert.Zero(t, sent[spec.PathAudioTranscriptions]["chat-model"])
	assert.Positive(t, sent[spec.PathCompletions]["chat-model"], "a route route_models does not name is sent fixtures.model")
	assert.Zero(t, sent[spec.PathChatCompletions]["embed-model"])
	assert.Positive(t, sent[spec.PathEmbeddings]["failing"], "the upstream-error case keeps its fixture's model")
}
