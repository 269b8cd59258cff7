package mutants_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

// runCatalogue starts wrap(reference) on 127.0.0.1 and runs every case
// through suites.Execute, the same path the CLI's specs take.
func runCatalogue(t *testing.T, contract *spec.Contract, wrap func(http.Handler) http.Handler) []suites.Result {
	t.Helper()
	ref := reference.New(contract, reference.Options{GatewayTimeout: 200 * time.Millisecond})
	srv := httptest.NewServer(wrap(ref))
	t.Cleanup(srv.Close)
	cfg := ref.Config(srv.URL + "/v1")
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: probe.NewRedactor(cfg.Secrets()...)}
	var results []suites.Result
	for _, c := range suites.Catalogue() {
		results = append(results, suites.Execute(context.Background(), c, target, false))
	}
	return results
}

// wantVerdict is what a case touched by the mutant must come to: failed,
// or warned when every rule the mutant breaks is a SHOULD.
func wantVerdict(m mutants.Mutant) check.Verdict {
	for _, id := range m.Breaks {
		if r, _ := check.RuleByID(id); r.Severity == check.Must {
			return check.Failed
		}
	}
	return check.Warned
}

func rulesIn(r suites.Result) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.Rule)
	}
	return ids
}

func TestReferenceConformsWithoutFindings(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	for _, r := range runCatalogue(t, contract, func(h http.Handler) http.Handler { return h }) {
		assert.Equal(t, check.Passed, r.Verdict, "%s: %s", r.Case.ID, r.Summary())
		assert.Empty(t, r.Findings, "%s: the reference draws no finding, warnings included", r.Case.ID)
	}
}

func TestEveryMutantIsDetectedWithoutCollateral(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	all := mutants.All()
	detected, falsePositives := 0, 0
	names := map[string]bool{}
	for _, m := range all {
		require.False(t, names[m.Name], "mutant names are unique: %s", m.Name)
		names[m.Name] = true
		for _, rule := range m.Breaks {
			_, ok := check.RuleByID(rule)
			require.True(t, ok, "%s names unknown rule %s", m.Name, rule)
		}
		t.Run(m.Name, func(t *testing.T) {
			results := runCatalogue(t, contract, m.Wrap)
			affected, failedAffected := 0, 0
			seen := map[string]bool{}
			collateral := 0
			for _, r := range results {
				if m.Affects(r.Case) {
					affected++
					if r.Verdict == wantVerdict(m) {
						failedAffected++
					}
					for _, rule := range rulesIn(r) {
						seen[rule] = true
					}
					continue
				}
				if r.Verdict != check.Passed {
					collateral++
					t.Errorf("collateral verdict: %s is untouched by %s but %s: %s", r.Case.ID, m.Name, r.Verdict, r.Summary())
				}
			}
			require.Positive(t, affected, "%s affects no case of the catalogue", m.Name)
			var missing []string
			for _, rule := range m.Breaks {
				if !seen[rule] {
					missing = append(missing, rule)
				}
			}
			caught := failedAffected == affected && len(missing) == 0
			assert.Equal(t, affected, failedAffected, "every case %s touches is %s", m.Name, wantVerdict(m))
			assert.Empty(t, missing, "rules that never reported on %s", m.Name)
			if caught {
				detected++
			}
			if collateral > 0 {
				falsePositives++
			}
		})
	}
	assert.GreaterOrEqual(t, len(all), 20, "at least 20 mutants")
	line := fmt.Sprintf("mutants: %d/%d detected, %d false positives", detected, len(all), falsePositives)
	t.Log(line)
	if path := os.Getenv("ERRCONFORM_SCORE_FILE"); path != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(line+"\n"), 0o644))
	}
}

func TestEveryRuleHasAMutant(t *testing.T) {
	covered := map[string]bool{}
	for _, m := range mutants.All() {
		for _, r := range m.Breaks {
			covered[r] = true
		}
	}
	for _, r := range check.Rules() {
		assert.True(t, covered[r.ID], "rule %s is named by no mutant", r.ID)
	}
}
