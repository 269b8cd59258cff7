package mutants_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// runExplore starts wrap(reference) on 127.0.0.1, the reference speaking
// the contract, and runs every explore variant of the core set through
// suites.ExecuteAll (the CLI runs them through ExecuteEach, which it
// collects into).
func runExplore(t *testing.T, contract *spec.Contract, wrap func(http.Handler) http.Handler) []suites.Result {
	t.Helper()
	ref := reference.New(contract, reference.Options{GatewayTimeout: 200 * time.Millisecond})
	srv := httptest.NewServer(wrap(ref))
	t.Cleanup(srv.Close)
	cfg := ref.Config(srv.URL + "/v1")
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std(), Concurrency: 8})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	cases, err := suites.ExploreFor(contract, rs, suites.ExploreSelection{})
	require.NoError(t, err)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: probe.NewRedactor(cfg.Secrets()...)}
	return suites.ExecuteAll(context.Background(), cases, target, false)
}

func TestReferencePassesExplore(t *testing.T) {
	for _, contract := range builtinContracts(t) {
		t.Run(contract.Name, func(t *testing.T) {
			ran := 0
			for _, r := range runExplore(t, contract, func(h http.Handler) http.Handler { return h }) {
				if r.Case.NotInContract != "" {
					continue
				}
				ran++
				assert.Equal(t, check.Passed, r.Verdict, "%s: %s", r.Case.ID, r.Summary())
			}
			assert.Positive(t, ran)
		})
	}
}

// Every explore mutant fails the variants it touches, each with the
// finding it names, and nothing else.
func TestEveryExploreMutantIsCaught(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	detected, falsePositives := 0, 0
	all := mutants.ExploreMutants()
	for _, m := range all {
		t.Run(m.Name, func(t *testing.T) {
			touched, caught, collateral := 0, 0, 0
			for _, r := range runExplore(t, contract, m.Wrap) {
				if m.Affects(r.Case) {
					touched++
					if r.Verdict == check.Failed && strings.Contains(r.Summary(), m.Finding) {
						caught++
					} else {
						t.Errorf("%s is touched by %s but %s: %s", r.Case.ID, m.Name, r.Verdict, r.Summary())
					}
					continue
				}
				if r.Verdict != check.Passed {
					collateral++
					t.Errorf("collateral verdict: %s is untouched by %s but %s: %s", r.Case.ID, m.Name, r.Verdict, r.Summary())
				}
			}
			require.Positive(t, touched, "%s touches no explore variant", m.Name)
			if caught == touched {
				detected++
			}
			if collateral > 0 {
				falsePositives++
			}
		})
	}
	writeScore(t, fmt.Sprintf("explore mutants: %d/%d detected, %d false positives", detected, len(all), falsePositives))
}
