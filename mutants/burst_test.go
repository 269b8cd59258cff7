package mutants_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

func mutantNamed(t *testing.T, name string) mutants.Mutant {
	t.Helper()
	m, ok := mutants.ByName(name)
	require.True(t, ok, "no mutant %s", name)
	return m
}

func caseNamed(t *testing.T, id string) suites.Case {
	t.Helper()
	for _, c := range suites.Catalogue() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no case %s", id)
	return suites.Case{}
}

// runBurst runs ratelimit/burst alone against wrap(reference) on 127.0.0.1,
// with fixtures.rate_limit_endpoint set to endpoint.
func runBurst(t *testing.T, wrap func(http.Handler) http.Handler, endpoint string) (suites.Result, config.Config) {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond})
	srv := httptest.NewServer(wrap(ref))
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	cfg := ref.Config(srv.URL + "/v1")
	cfg.Fixtures.RateLimitEndpoint = endpoint
	require.NoError(t, cfg.Validate())
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
	return suites.Execute(context.Background(), caseNamed(t, "ratelimit/burst"), target, false), cfg
}

// The burst judges every answer: on either route it passes against the
// reference and fails against burst-500, whose second and fourth answers are
// bare 500s although the last answer is still the conforming 429.
func TestBurstJudgesEveryAnswer(t *testing.T) {
	for _, route := range []struct{ name, endpoint, method, path string }{
		{"default", "", http.MethodGet, "/models"},
		{"models", config.RateLimitOnModels, http.MethodGet, "/models"},
		{"chat", config.RateLimitOnChat, http.MethodPost, "/chat/completions"},
	} {
		endpoint := route.endpoint
		t.Run(route.name, func(t *testing.T) {
			res, cfg := runBurst(t, func(h http.Handler) http.Handler { return h }, endpoint)
			assert.Equal(t, check.Passed, res.Verdict, res.Summary())
			assert.Empty(t, res.Findings)
			for _, ex := range res.Exchanges {
				assert.Equal(t, route.method, ex.Request.Method)
				assert.Equal(t, route.path, ex.Request.Path)
				assert.Equal(t, cfg.Fixtures.RateLimitedAPIKey, ex.Request.Credential)
			}
			judged, ok := res.Judged()
			require.True(t, ok)
			require.NotNil(t, judged.Response)
			assert.Equal(t, http.StatusTooManyRequests, judged.Response.Status)
			limit := len(res.Exchanges) - 1 // the reference's limit: every answer before the 429 is a 200
			require.Positive(t, limit)
			for i, ex := range res.Exchanges[:limit] {
				require.NotNil(t, ex.Response)
				assert.Equal(t, http.StatusOK, ex.Response.Status, "answer %d", i+1)
			}

			m := mutantNamed(t, "burst-500")
			res, _ = runBurst(t, m.Wrap, endpoint)
			assert.Equal(t, check.Failed, res.Verdict, res.Summary())
			judged, ok = res.Judged()
			require.True(t, ok)
			require.NotNil(t, judged.Response)
			assert.Equal(t, http.StatusTooManyRequests, judged.Response.Status, "the last answer is still the 429")
			require.Len(t, res.Exchanges, limit+1, "the 500s are counted by the reference's window")
			for i, ex := range res.Exchanges {
				assert.Equal(t, route.path, ex.Request.Path)
				if i%2 == 1 && i < limit {
					assert.Equal(t, http.StatusInternalServerError, ex.Response.Status, "answer %d", i+1)
				}
			}
			var status []string
			for _, f := range res.Findings {
				if f.Rule == "status" {
					status = append(status, f.Message)
				}
			}
			require.NotEmpty(t, status, "the status rule reports the 500s")
			for _, msg := range status {
				assert.Regexp(t, `^answer [0-9]+ of [0-9]+: expected 429, got 500`, msg)
			}
			for _, rule := range m.Breaks {
				assert.Contains(t, rulesIn(res), rule)
			}
		})
	}
}

// A route's burst is skipped only when every answer succeeded: through
// burst-500, whose every second answer to the rate-limited key is a bare
// 500, each route's burst fails on the status rule whether the limiter
// covers the route (a window per route: the 429 comes after the 500s) or
// not (chat alone: no 429 at all).
func TestRouteBurstJudgesEveryAnswerItSees(t *testing.T) {
	contract, err := spec.Open("../testdata/contracts/all-routes.yaml")
	require.NoError(t, err)
	cases, err := suites.For(contract)
	require.NoError(t, err)
	m := mutantNamed(t, "burst-500")
	for _, tt := range []struct {
		scope   reference.RateScope
		limited bool
	}{{reference.RatePerRoute, true}, {reference.RateChatOnly, false}} {
		t.Run(string(tt.scope), func(t *testing.T) {
			ref := reference.New(contract, reference.Options{RateScope: tt.scope})
			srv := httptest.NewServer(m.Wrap(ref))
			t.Cleanup(srv.Close)
			cfg := ref.Config(srv.URL + "/v1")
			client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
			require.NoError(t, err)
			t.Cleanup(client.Close)
			target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
			routes := 0
			for _, c := range cases {
				if !c.Burst || c.Route() == "/models" {
					continue
				}
				routes++
				res := suites.Execute(context.Background(), c, target, false)
				assert.Equal(t, check.Failed, res.Verdict, "%s: %s", c.ID, res.Summary())
				assert.Contains(t, rulesIn(res), "status", c.ID)
				judged, ok := res.Judged()
				require.True(t, ok, c.ID)
				assert.Equal(t, tt.limited, judged.Response.Status == http.StatusTooManyRequests, "%s: the last answer", c.ID)
			}
			assert.Equal(t, 7, routes, "a burst on every generated route but batches")
		})
	}
}
