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
	"time"

	"github.com/onsi/ginkgo/v2/types"
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

var update = flag.Bool("update", false, "append the catalogue's new case IDs to testdata/case-ids.golden")

// Case IDs are stable: once released, an ID never changes or disappears.
// The golden file is append-only: -update adds new IDs and never removes
// one, so a removed released ID fails even then.
func TestCaseIDsAreStable(t *testing.T) {
	current := map[string]bool{}
	for _, c := range suites.Catalogue() {
		current[c.ID] = true
	}
	// The generated cases of every route, under the test contract that
	// lists them all.
	all, err := spec.Open("../testdata/contracts/all-routes.yaml")
	require.NoError(t, err)
	generated, err := suites.For(all)
	require.NoError(t, err)
	for _, c := range generated {
		current[c.ID] = true
	}
	golden, err := os.ReadFile("testdata/case-ids.golden")
	require.NoError(t, err)
	released := strings.Fields(string(golden))
	known := map[string]bool{}
	for _, id := range released {
		known[id] = true
		assert.True(t, current[id], "released case ID %s disappeared: released IDs never change or go", id)
	}
	var added []string
	for id := range current {
		if !known[id] {
			added = append(added, id)
		}
	}
	sort.Strings(added)
	if *update && len(added) > 0 {
		all := append(append([]string(nil), released...), added...)
		sort.Strings(all)
		require.NoError(t, os.WriteFile("testdata/case-ids.golden", []byte(strings.Join(all, "\n")+"\n"), 0o644))
		return
	}
	assert.Empty(t, added, "new case IDs go into testdata/case-ids.golden (go test ./suites -run TestCaseIDsAreStable -update)")
}

// contracts are the built-in contracts and the third, fixture contract.
func contracts(t *testing.T) []*spec.Contract {
	t.Helper()
	var out []*spec.Contract
	for _, name := range append(spec.BuiltinNames(), "../testdata/contracts/acme.yaml") {
		c, err := spec.Open(name)
		require.NoError(t, err, name)
		out = append(out, c)
	}
	return out
}

func TestCatalogueIsWellFormedUnderEveryContract(t *testing.T) {
	for _, contract := range contracts(t) {
		t.Run(contract.Name, func(t *testing.T) {
			cases, err := suites.For(contract)
			require.NoError(t, err)
			seen := map[string]bool{}
			statuses, codes := map[int]bool{}, map[string]bool{}
			sawAlone := false
			for _, c := range cases {
				assert.False(t, seen[c.ID], "duplicate ID %s", c.ID)
				seen[c.ID] = true
				assert.NotEmpty(t, c.Title, c.ID)
				assert.NotEmpty(t, c.Sends, c.ID)
				assert.True(t, strings.HasPrefix(c.ID, c.Group+"/"), c.ID)
				assert.True(t, c.Control || c.ValidInput || c.Situation != "", "%s has a situation", c.ID)
				for _, l := range c.Labels {
					_, err := types.ValidateAndCleanupLabel(l, types.CodeLocation{})
					assert.NoError(t, err, "%s label %q", c.ID, l)
				}
				for _, f := range c.Fixtures {
					assert.Contains(t, config.FixtureKeys(), f, c.ID)
				}
				assert.False(t, sawAlone && !c.Alone, "%s follows a case that must run alone; alone cases go last", c.ID)
				sawAlone = sawAlone || c.Alone
				if c.NotInContract != "" {
					assert.Zero(t, c.Expect.Status, "%s is not in the contract and expects nothing", c.ID)
					assert.Contains(t, c.Labels, "not-in-contract", c.ID)
					continue
				}
				assert.True(t, contract.HasStatus(c.Expect.Status) || ((c.Control || c.ValidInput) && c.Expect.Status == 200), "%s expects status %d, which the contract lacks", c.ID, c.Expect.Status)
				if c.Expect.Code != "" {
					want, listed := contract.StatusForCode(c.Expect.Code)
					assert.True(t, listed, "%s expects code %q, which the contract lacks", c.ID, c.Expect.Code)
					assert.Equal(t, want, c.Expect.Status, "%s pairs code %s with the wrong status", c.ID, c.Expect.Code)
				}
				if !contract.HasField("param") {
					assert.Empty(t, c.Expect.Param, "%s: the contract's errors have no param", c.ID)
				}
				statuses[c.Expect.Status] = true
				if c.Expect.Code != "" {
					codes[c.Expect.Code] = true
				}
			}
			for _, s := range contract.Statuses {
				if !statuses[s.Status] {
					// The default contract is covered whole; another may have
					// statuses no situation of the catalogue provokes (OpenRouter's
					// 503 routing failure).
					assert.NotEqual(t, spec.DefaultContract, contract.Name, "no case covers status %d", s.Status)
					t.Logf("%s: no case covers status %d (%s)", contract.Name, s.Status, s.Description)
				}
			}
			for _, e := range contract.Codes {
				assert.True(t, codes[e.Code], "no case covers code %s", e.Code)
			}
		})
	}
}

// Every built-in contract says of every situation what it must return or
// why it is not in the contract: a built-in is explicit.
func TestBuiltinContractsNameEverySituation(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		contract, err := spec.Builtin(name)
		require.NoError(t, err)
		for _, s := range suites.Situations() {
			_, named := contract.Situations[s.Name]
			assert.True(t, named, "the built-in contract %s does not name the situation %s (cases: %s)", name, s.Name, strings.Join(s.Cases, ", "))
		}
	}
}

func TestContractNamingAnUnknownSituationIsRefused(t *testing.T) {
	data, err := os.ReadFile("../testdata/contracts/acme.yaml")
	require.NoError(t, err)
	doc := strings.Replace(string(data), "    unknown-route:", "    no-such-situation: {status: 400}\n    unknown-route:", 1)
	contract, err := spec.Parse([]byte(doc))
	require.NoError(t, err, "spec alone does not know the catalogue's vocabulary")
	_, err = suites.For(contract)
	assert.ErrorContains(t, err, "situations.no-such-situation: not a situation of errconform's catalogue")
}

func TestForResolvesOutcomesFromTheContract(t *testing.T) {
	tests := []struct {
		contract, id string
		status       int
		code         string
		param        string
		notIn        string
	}{
		{"aiand", "route/unknown-route", 404, "", "", ""},
		{"aiand", "request/temperature-too-high", 400, "invalid_value", "temperature", ""},
		{"aiand", "upstream/slow-model", 504, "", "", ""},
		{"openrouter", "request/temperature-too-high", 400, "", "", ""},
		{"openrouter", "upstream/slow-model", 408, "", "", ""},
		{"openrouter", "route/unknown-route", 0, "", "", "the contract has no 404"},
		{"openrouter", "files/unknown-id/files-get", 0, "", "", "has no GET /files/{file_id}"},
		{"openrouter", "auth/missing-header/files-upload", 0, "", "", "has no POST /files"},
		{"openrouter", "permission/restricted-model", 0, "", "", "403 means flagged input"},
		{"../testdata/contracts/acme.yaml", "route/unknown-route", 400, "unknown_route", "", ""},
		{"../testdata/contracts/acme.yaml", "route/unknown-model/models-get", 404, "model_not_found", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.contract+"/"+tt.id, func(t *testing.T) {
			contract, err := spec.Open(tt.contract)
			require.NoError(t, err)
			cases, err := suites.For(contract)
			require.NoError(t, err)
			for _, c := range cases {
				if c.ID != tt.id {
					continue
				}
				assert.Equal(t, tt.status, c.Expect.Status)
				assert.Equal(t, tt.code, c.Expect.Code)
				assert.Equal(t, tt.param, c.Expect.Param)
				if tt.notIn == "" {
					assert.Empty(t, c.NotInContract)
				} else {
					assert.Contains(t, c.NotInContract, tt.notIn)
				}
				return
			}
			t.Fatalf("no case %s", tt.id)
		})
	}
}

func TestNotInContractCasesSendNothing(t *testing.T) {
	contract, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	cases, err := suites.For(contract)
	require.NoError(t, err)
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { sent.Add(1); w.WriteHeader(http.StatusTeapot) }))
	t.Cleanup(srv.Close)
	client, err := probe.New(probe.Options{BaseURL: srv.URL + "/v1", Timeout: time.Second})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	tgt := suites.Target{Config: config.Config{Auth: config.Auth{APIKey: "sk-test-0123456789"}}, Contract: contract, Client: client, Redactor: redact.New()}
	n := 0
	for _, c := range cases {
		if c.NotInContract == "" {
			continue
		}
		n++
		res := suites.Execute(context.Background(), c, tgt, false)
		assert.Equal(t, check.Skipped, res.Verdict, c.ID)
		assert.Equal(t, check.NotInContract, res.Skip, c.ID)
		assert.True(t, strings.HasPrefix(res.Reason, "not in this contract: "), res.Reason)
	}
	assert.Positive(t, n)
	assert.Zero(t, sent.Load(), "a case not in the contract sends nothing")
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
	return suites.Target{Config: c, Contract: mustContract(t), Client: client, Redactor: redact.New(c.Secrets()...)}
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
	for _, strict := range []bool{false, true} {
		// A reference each: the first burst leaves the key limited, and a
		// burst on a limited key is errored (its precondition failed).
		ref := reference.New(mustContract(t), reference.Options{RateLimit: 2})
		noRetryAfter := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ref.ServeHTTP(headerDropper{w}, r)
		})
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

// A positive control on a route the contract lacks is not in it either:
// a contract without GET /models runs only the chat controls.
func TestControlsFollowTheContractsRoutes(t *testing.T) {
	data, err := os.ReadFile("../testdata/contracts/acme.yaml")
	require.NoError(t, err)
	doc := string(data)
	start := strings.Index(doc, "  /models:\n")
	end := strings.Index(doc, "  /models/{model}:\n")
	require.True(t, start > 0 && end > start)
	contract, err := spec.Parse([]byte(doc[:start] + doc[end:]))
	require.NoError(t, err)
	cases, err := suites.For(contract)
	require.NoError(t, err)
	for _, c := range cases {
		switch c.ID {
		case "control/models-list":
			assert.Contains(t, c.NotInContract, "has no GET /models", c.ID)
		case "control/chat", "control/chat-stream":
			assert.Empty(t, c.NotInContract, c.ID)
		}
	}
}
