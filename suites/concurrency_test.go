package suites_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reference"
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

// runWith runs the catalogue the way the CLI does: the cases that need not
// run alone through ExecuteAll with the given concurrency, then the rest.
func runWith(t *testing.T, wrap func(http.Handler) http.Handler, concurrency int) map[string]outcome {
	t.Helper()
	ref := reference.New(mustContract(t), reference.Options{GatewayTimeout: 50 * time.Millisecond})
	srv := httptest.NewServer(wrap(ref))
	defer srv.Close()
	cfg := ref.Config(srv.URL + "/v1")
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std(), Concurrency: concurrency})
	require.NoError(t, err)
	defer client.Close()
	target := suites.Target{Config: cfg, Contract: mustContract(t), Client: client, Redactor: probe.NewRedactor(cfg.Secrets()...)}
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
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu <- struct{}{}
		inFlight++
		peak = max(peak, inFlight)
		<-mu
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
	target := suites.Target{Config: cfg, Contract: mustContract(t), Client: client, Redactor: probe.NewRedactor()}
	var cases []suites.Case
	for _, c := range suites.Catalogue() {
		if !c.Alone && len(cases) < 24 {
			cases = append(cases, c)
		}
	}
	suites.ExecuteAll(context.Background(), cases, target, false)
	assert.Equal(t, int64(3), peak, "never more than --concurrency requests in flight, and the bound is used")
}
