package suites_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
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

// outcome is what must not depend on concurrency: verdict and rules.
type outcome struct {
	verdict string
	rules   string
}

func outcomes(results []suites.Result) map[string]outcome {
	out := map[string]outcome{}
	for _, r := range results {
		var rules []string
		for _, f := range r.Findings {
			rules = append(rules, f.Rule)
		}
		sort.Strings(rules)
		out[r.Case.ID] = outcome{string(r.Verdict), fmtRules(rules)}
	}
	return out
}

func fmtRules(rules []string) string {
	s := ""
	for _, r := range rules {
		s += r + ","
	}
	return s
}

// referenceTarget is the reference (wrapped) on 127.0.0.1 for the test's
// length, behind a client with the given concurrency.
func referenceTarget(t *testing.T, wrap func(http.Handler) http.Handler, concurrency int) suites.Target {
	t.Helper()
	ref := reference.New(mustContract(t), reference.Options{GatewayTimeout: 50 * time.Millisecond})
	srv := httptest.NewServer(wrap(ref))
	t.Cleanup(srv.Close)
	cfg := ref.Config(srv.URL + "/v1")
	// The slow model's 504 comes after the reference's 50 ms; the contract's
	// bound on it (gateway timeout + slack) is what the check compares with
	// the exchange's wall time. At 16 requests in flight under -race on a
	// busy machine that 50 ms + 250 ms slack was overrun (the verdict then
	// differed from the serial run's), so the bound is set far above it:
	// 5 s + 2.5 s slack, 150 times the reference's delay.
	cfg.Target.GatewayTimeout = config.Duration(5 * time.Second)
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std(), Concurrency: concurrency})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return suites.Target{Config: cfg, Contract: mustContract(t), Client: client, Redactor: redact.New(cfg.Secrets()...)}
}

// runWith runs the catalogue the way the CLI does: the cases that need not
// run alone through ExecuteAll with the given concurrency, then the rest.
func runWith(t *testing.T, wrap func(http.Handler) http.Handler, concurrency int) map[string]outcome {
	t.Helper()
	target := referenceTarget(t, wrap, concurrency)
	var parallel, alone []suites.Case
	for _, c := range suites.Catalogue() {
		if c.Alone {
			alone = append(alone, c)
		} else {
			parallel = append(parallel, c)
		}
	}
	results := suites.ExecuteAll(context.Background(), parallel, target, false)
	for _, c := range alone {
		results = append(results, suites.Execute(context.Background(), c, target, false))
	}
	require.Len(t, results, len(suites.Catalogue()))
	return outcomes(results)
}

// Verdicts and findings are identical at any concurrency, repeatedly (run
// under -race by make test).
func TestConcurrentVerdictsEqualSerial(t *testing.T) {
	targets := map[string]func(http.Handler) http.Handler{"reference": func(h http.Handler) http.Handler { return h }}
	for _, m := range mutants.All() {
		switch m.Name {
		case "openai-401-type", "echo-key-in-header", "validation-422", "no-retry-after":
			targets[m.Name] = m.Wrap
		}
	}
	for name, wrap := range targets {
		t.Run(name, func(t *testing.T) {
			serial := runWith(t, wrap, 1)
			for i := 0; i < 5; i++ {
				assert.Equal(t, serial, runWith(t, wrap, 16), "run %d at concurrency 16 differs from the serial run", i)
			}
		})
	}
}

func TestExecuteAllBoundsRequestsInFlight(t *testing.T) {
	var inFlight, peak int64
	var mu = make(chan struct{}, 1)
	// The first requests wait until three are in flight at once (or 30 s
	// pass, then peak falls short and the test fails): a busy machine
	// cannot keep the bound from being reached, and a fourth in flight
	// would still show in peak.
	full, fullOnce := make(chan struct{}), sync.Once{}
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu <- struct{}{}
		inFlight++
		peak = max(peak, inFlight)
		if inFlight >= 3 {
			fullOnce.Do(func() { close(full) })
		}
		<-mu
		select {
		case <-full:
		case <-time.After(30 * time.Second):
		}
		time.Sleep(20 * time.Millisecond)
		mu <- struct{}{}
		inFlight--
		<-mu
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(slow)
	defer srv.Close()
	client, err := probe.New(probe.Options{BaseURL: srv.URL + "/v1", Timeout: 5 * time.Second, Concurrency: 3})
	require.NoError(t, err)
	defer client.Close()
	ref := reference.New(mustContract(t), reference.Options{})
	cfg := ref.Config(srv.URL + "/v1")
	target := suites.Target{Config: cfg, Contract: mustContract(t), Client: client, Redactor: redact.New()}
	var cases []suites.Case
	for _, c := range suites.Catalogue() {
		if !c.Alone && len(cases) < 24 {
			cases = append(cases, c)
		}
	}
	suites.ExecuteAll(context.Background(), cases, target, false)
	assert.Equal(t, int64(3), peak, "never more than --concurrency requests in flight, and the bound is used")
}

// ExecuteSeq takes the next case only when a worker is free: a sequence
// that makes its cases as it goes (explore's plan) has no more of them
// made than requests in flight, plus the one waiting for a worker, and
// every case gets its result, at its position.
func TestExecuteSeqTakesCasesAsWorkersFree(t *testing.T) {
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	variants, err := suites.ExploreFor(mustContract(t), rs, suites.ExploreSelection{Include: []string{"temperature", "top_p", "n"}})
	require.NoError(t, err)
	for _, concurrency := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(concurrency), func(t *testing.T) {
			target := referenceTarget(t, func(h http.Handler) http.Handler { return h }, concurrency)
			var taken, finished, ahead atomic.Int64
			seq := func(yield func(int, suites.Case) bool) {
				for i, c := range variants {
					ahead.Store(max(ahead.Load(), taken.Add(1)-finished.Load()))
					if !yield(i, c) {
						return
					}
				}
			}
			at := make([]string, len(variants))
			suites.ExecuteSeq(context.Background(), seq, target, false, func(i int, r suites.Result) {
				at[i] = r.Case.ID
				finished.Add(1)
				assert.Equal(t, check.Passed, r.Verdict, "%s: %s", r.Case.ID, r.Summary())
			})
			for i, c := range variants {
				assert.Equal(t, c.ID, at[i], "the result at position %d", i)
			}
			assert.LessOrEqual(t, ahead.Load(), int64(concurrency+1), "cases made but not finished")
		})
	}
}
