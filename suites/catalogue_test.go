package suites_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

var update = flag.Bool("update", false, "rewrite testdata/case-ids.golden with the current catalogue")

// Case IDs are stable: once released, an ID never changes or disappears.
func TestCaseIDsAreStable(t *testing.T) {
	var ids []string
	for _, c := range suites.Catalogue() {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	if *update {
		require.NoError(t, os.WriteFile("testdata/case-ids.golden", []byte(strings.Join(ids, "\n")+"\n"), 0o644))
	}
	golden, err := os.ReadFile("testdata/case-ids.golden")
	require.NoError(t, err)
	released := strings.Fields(string(golden))
	for _, id := range released {
		assert.Contains(t, ids, id, "released case ID %s disappeared", id)
	}
	assert.Equal(t, released, ids, "new case IDs go into testdata/case-ids.golden (go test ./suites -update)")
}

func TestCatalogueIsWellFormed(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	seen := map[string]bool{}
	statuses, codes := map[int]bool{}, map[string]bool{}
	sawAlone := false
	for _, c := range suites.Catalogue() {
		assert.False(t, seen[c.ID], "duplicate ID %s", c.ID)
		seen[c.ID] = true
		assert.NotEmpty(t, c.Title, c.ID)
		assert.NotEmpty(t, c.Sends, c.ID)
		assert.True(t, strings.HasPrefix(c.ID, c.Group+"/"), c.ID)
		_, known := contract.TypeFor(c.Expect.Status)
		assert.True(t, known || (c.Control && c.Expect.Status == 200), "%s expects status %d, which the contract lacks", c.ID, c.Expect.Status)
		if c.Expect.Code != "" {
			want, listed := contract.StatusForCode(c.Expect.Code)
			assert.True(t, listed, "%s expects code %q, which the contract lacks", c.ID, c.Expect.Code)
			assert.Equal(t, want, c.Expect.Status, "%s pairs code %s with the wrong status", c.ID, c.Expect.Code)
		}
		for _, l := range c.Labels {
			_, err := types.ValidateAndCleanupLabel(l, types.CodeLocation{})
			assert.NoError(t, err, "%s label %q", c.ID, l)
		}
		for _, f := range c.Fixtures {
			assert.Contains(t, config.FixtureKeys(), f, c.ID)
		}
		assert.False(t, sawAlone && !c.Alone, "%s follows a case that must run alone; alone cases go last", c.ID)
		sawAlone = sawAlone || c.Alone
		statuses[c.Expect.Status] = true
		if c.Expect.Code != "" {
			codes[c.Expect.Code] = true
		}
	}
	for _, s := range contract.Statuses {
		assert.True(t, statuses[s.Status], "no case covers status %d", s.Status)
	}
	for _, e := range contract.Codes {
		assert.True(t, codes[e.Code], "no case covers code %s", e.Code)
	}
}

// Every crafted request asks for at most one output token, in case a
// non-conforming target accepts it.
func TestRequestsAreCheap(t *testing.T) {
	ref := reference.New(mustContract(t), reference.Options{})
	cfg := ref.Config("http://127.0.0.1:1/v1")
	for _, c := range suites.Catalogue() {
		var body map[string]any
		if json.Unmarshal(c.Request(cfg).Body, &body) != nil || body["messages"] == nil || strings.HasPrefix(c.ID, "request/max-tokens-") {
			continue // not a chat request, or max_tokens is what the case breaks
		}
		assert.EqualValues(t, 1, body["max_tokens"], c.ID)
	}
}

func mustContract(t *testing.T) *spec.Contract {
	t.Helper()
	c, err := spec.Load()
	require.NoError(t, err)
	return c
}

func target(t *testing.T, h http.Handler, cfg func(base string) config.Config) suites.Target {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := cfg(srv.URL + "/v1")
	client, err := probe.New(probe.Options{BaseURL: c.Target.BaseURL, Timeout: c.Target.Timeout.Std()})
	require.NoError(t, err)
	return suites.Target{Config: c, Contract: mustContract(t), Client: client, Redactor: probe.NewRedactor(c.Secrets()...)}
}

func caseByID(t *testing.T, id string) suites.Case {
	for _, c := range suites.Catalogue() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no case %s", id)
	return suites.Case{}
}

func TestBurstStopsAtFirst429AndNeverExceedsTheBudget(t *testing.T) {
	tests := []struct {
		name      string
		rateLimit int
		burst     int
		wantSent  int64
		verdict   check.Verdict
	}{
		{"limit reached", 3, 10, 4, check.Passed},
		{"limit never reached", 1000, 7, 7, check.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := reference.New(mustContract(t), reference.Options{RateLimit: tt.rateLimit})
			var sent atomic.Int64
			counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent.Add(1); ref.ServeHTTP(w, r) })
			tgt := target(t, counting, func(base string) config.Config {
				c := ref.Config(base)
				c.Fixtures.RateLimitBurst = tt.burst
				return c
			})
			res := suites.Execute(context.Background(), caseByID(t, "ratelimit/burst"), tgt, false)
			assert.Equal(t, tt.verdict, res.Verdict, res.Summary())
			assert.Equal(t, tt.wantSent, sent.Load())
			assert.Len(t, res.Exchanges, int(tt.wantSent))
			if tt.verdict == check.Failed {
				assert.Contains(t, res.Summary(), "after 7 of at most 7 requests")
			}
		})
	}
}

func TestSkipsNameTheFixtureAndRequireFails(t *testing.T) {
	ref := reference.New(mustContract(t), reference.Options{})
	tests := []struct {
		name    string
		require []string
		verdict check.Verdict
	}{
		{"skipped", nil, check.Skipped},
		{"required by name", []string{"slow_model"}, check.Failed},
		{"required all", []string{"all"}, check.Failed},
		{"another fixture required", []string{"model"}, check.Skipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := target(t, ref, func(base string) config.Config {
				c := ref.Config(base)
				c.Fixtures.SlowModel = ""
				c.Require = tt.require
				return c
			})
			res := suites.Execute(context.Background(), caseByID(t, "upstream/slow-model"), tgt, false)
			assert.Equal(t, tt.verdict, res.Verdict)
			assert.Equal(t, []string{"slow_model"}, res.Missing)
			assert.Empty(t, res.Exchanges, "a skipped case sends nothing")
			assert.Contains(t, res.Summary(), "fixtures.slow_model")
		})
	}
}

func TestStrictTurnsWarningsIntoFailures(t *testing.T) {
	ref := reference.New(mustContract(t), reference.Options{RateLimit: 2})
	noRetryAfter := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref.ServeHTTP(headerDropper{w}, r)
	})
	for _, strict := range []bool{false, true} {
		tgt := target(t, noRetryAfter, ref.Config)
		res := suites.Execute(context.Background(), caseByID(t, "ratelimit/burst"), tgt, strict)
		want := check.Warned
		if strict {
			want = check.Failed
		}
		assert.Equal(t, want, res.Verdict, "strict=%t: %s", strict, res.Summary())
	}
}

// headerDropper removes Retry-After before the status is written.
type headerDropper struct{ http.ResponseWriter }

func (h headerDropper) WriteHeader(code int) {
	h.ResponseWriter.Header().Del("Retry-After")
	h.ResponseWriter.WriteHeader(code)
}
