package mutants_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

// selfTestGatewayTimeout is the gateway timeout the self-test's config
// declares, while the reference's own is refTimeout: the timeout rule's
// bound (this plus its slack, 1.5 s) leaves the reference's timeout answer
// (after 200 ms) 1.3 s of a busy machine's delay, and a mutant answering
// it two seconds late (slow-504) is past the bound by construction.
const (
	selfTestGatewayTimeout = time.Second
	refTimeout             = 200 * time.Millisecond
)

// runCatalogue starts wrap(reference) on 127.0.0.1, the reference
// speaking the contract, and runs every case of the catalogue under that
// contract through suites.Execute, the same path the CLI takes.
func runCatalogue(t *testing.T, contract *spec.Contract, wrap func(http.Handler) http.Handler) []suites.Result {
	t.Helper()
	ref := reference.New(contract, reference.Options{GatewayTimeout: refTimeout})
	srv := httptest.NewServer(wrap(ref))
	t.Cleanup(srv.Close)
	cfg := ref.Config(srv.URL + "/v1")
	cfg.Target.GatewayTimeout = config.Duration(selfTestGatewayTimeout)
	require.NoError(t, cfg.Validate())
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
	cases, err := suites.For(contract)
	require.NoError(t, err)
	var results []suites.Result
	for _, c := range cases {
		results = append(results, suites.Execute(context.Background(), c, target, false))
	}
	return results
}

// builtinContracts loads every built-in contract.
func builtinContracts(t *testing.T) []*spec.Contract {
	t.Helper()
	var out []*spec.Contract
	for _, name := range spec.BuiltinNames() {
		c, err := spec.Builtin(name)
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

// wantVerdict is what a case touched by the mutant must come to under a
// contract: failed, or warned when every rule it breaks there is a SHOULD.
func wantVerdict(m mutants.Mutant, c *spec.Contract) check.Verdict {
	for _, id := range m.BreaksUnder(c) {
		if r, _ := check.RuleByID(id); r.SeverityUnder(c) == check.Must {
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

// untouched is what a case the mutant does not touch must come to: passed,
// or skipped as not in the contract.
func untouched(r suites.Result) bool {
	return r.Verdict == check.Passed || r.Verdict == check.Skipped && r.Skip == check.NotInContract
}

// routedContracts are the built-in contracts grown to list every route
// of the OpenAI surface: the route mutants apply under them.
func routedContracts(t *testing.T) []*spec.Contract {
	t.Helper()
	var out []*spec.Contract
	for _, base := range builtinContracts(t) {
		c, err := base.WithRoutes(spec.SurfacePaths()...)
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

func TestReferenceConformsWithoutFindings(t *testing.T) {
	for _, contract := range append(builtinContracts(t), routedContracts(t)...) {
		t.Run(contract.Origin(), func(t *testing.T) {
			passed := 0
			for _, r := range runCatalogue(t, contract, func(h http.Handler) http.Handler { return h }) {
				if r.Case.NotInContract != "" {
					assert.Equal(t, check.NotInContract, r.Skip, "%s is not in the contract: listed, never run", r.Case.ID)
					assert.Empty(t, r.Exchanges, "%s is not in the contract: nothing is sent", r.Case.ID)
					continue
				}
				assert.Equal(t, check.Passed, r.Verdict, "%s: %s", r.Case.ID, r.Summary())
				assert.Empty(t, r.Findings, "%s: the reference draws no finding, warnings included", r.Case.ID)
				passed++
			}
			assert.Positive(t, passed)
		})
	}
}

// score is one contract's line of the mutant score.
type score struct {
	contract                      string
	detected, applied, notApplied int
	falsePositives                int
}

func (s score) String() string {
	return fmt.Sprintf("%s %d/%d detected (%d not applicable), %d false positives", s.contract, s.detected, s.applied, s.notApplied, s.falsePositives)
}

func TestEveryMutantIsDetectedWithoutCollateral(t *testing.T) {
	all := mutants.All()
	names := map[string]bool{}
	for _, m := range all {
		require.False(t, names[m.Name], "mutant names are unique: %s", m.Name)
		names[m.Name] = true
		for _, rule := range m.Breaks {
			_, ok := check.RuleByID(rule)
			require.True(t, ok, "%s names unknown rule %s", m.Name, rule)
		}
	}
	var scores []score
	for _, contract := range builtinContracts(t) {
		scores = append(scores, scoreUnder(t, contract, contract.Name, all))
	}
	// The route mutants, under each built-in contract grown to list every
	// route: the mutants that apply there and not under the contract itself.
	var routeScores []score
	for i, contract := range routedContracts(t) {
		base := builtinContracts(t)[i]
		var routeOnly []mutants.Mutant
		for _, m := range all {
			if m.NotApplicableUnder(base) != "" && m.NotApplicableUnder(contract) == "" {
				routeOnly = append(routeOnly, m)
			}
		}
		require.NotEmpty(t, routeOnly, "route mutants apply under %s", contract.Origin())
		routeScores = append(routeScores, scoreUnder(t, contract, base.Name+"+routes", routeOnly))
	}
	assert.GreaterOrEqual(t, len(all), 20, "at least 20 mutants")
	var parts, routeParts []string
	for _, sc := range scores {
		parts = append(parts, sc.String())
	}
	for _, sc := range routeScores {
		routeParts = append(routeParts, sc.String())
		assert.Equal(t, sc.applied, sc.detected, "every route mutant is detected under %s", sc.contract)
		assert.Zero(t, sc.falsePositives, sc.contract)
	}
	writeScore(t, "mutants: "+strings.Join(parts, "; "))
	writeScore(t, "route mutants: "+strings.Join(routeParts, "; "))
}

// scoreUnder judges each of the mutants that applies under the contract
// (named name in the score) and scores them.
func scoreUnder(t *testing.T, contract *spec.Contract, name string, all []mutants.Mutant) score {
	t.Helper()
	sc := score{contract: name}
	cases, err := suites.For(contract)
	require.NoError(t, err)
	for _, m := range all {
		if why := m.NotApplicableUnder(contract); why != "" {
			t.Logf("%s under %s: not applicable: %s", m.Name, name, why)
			sc.notApplied++
			continue
		}
		touches := 0
		for _, c := range cases {
			if c.NotInContract == "" && m.Affects(c) {
				touches++
			}
		}
		if touches == 0 {
			// The default contract covers every situation: each mutant
			// must touch one of its cases.
			assert.NotEqual(t, spec.DefaultContract, name, "%s touches no case of the default contract", m.Name)
			t.Logf("%s under %s: not applicable: it touches no case the contract covers", m.Name, name)
			sc.notApplied++
			continue
		}
		sc.applied++
		t.Run(name+"/"+m.Name, func(t *testing.T) {
			caught, collateral := judgeMutant(t, m, contract)
			if caught {
				sc.detected++
			}
			if collateral {
				sc.falsePositives++
			}
		})
	}
	return sc
}

// writeScore logs a score line and appends it to $ERRCONFORM_SCORE_FILE,
// which make test prints at the end.
func writeScore(t *testing.T, line string) {
	t.Helper()
	t.Log(line)
	path := os.Getenv("ERRCONFORM_SCORE_FILE")
	if path == "" {
		return
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = fmt.Fprintln(f, line)
	require.NoError(t, errors.Join(err, f.Close()))
}

// judgeMutant runs the catalogue against the mutant under a contract:
// caught when every case it touches comes to its verdict with every rule
// it breaks reported; collateral when a case it does not touch did not
// pass.
func judgeMutant(t *testing.T, m mutants.Mutant, contract *spec.Contract) (caught, collateral bool) {
	results := runCatalogue(t, contract, m.Wrap)
	want := wantVerdict(m, contract)
	affected, failedAffected := 0, 0
	seen := map[string]bool{}
	for _, r := range results {
		if r.Case.NotInContract == "" && m.Affects(r.Case) {
			affected++
			if r.Verdict == want {
				failedAffected++
			} else {
				t.Errorf("%s is touched by %s but %s, not %s: %s", r.Case.ID, m.Name, r.Verdict, want, r.Summary())
			}
			for _, rule := range rulesIn(r) {
				seen[rule] = true
			}
			continue
		}
		if !untouched(r) {
			collateral = true
			t.Errorf("collateral verdict: %s is untouched by %s but %s: %s", r.Case.ID, m.Name, r.Verdict, r.Summary())
		}
	}
	var missing []string
	for _, rule := range m.BreaksUnder(contract) {
		if !seen[rule] {
			missing = append(missing, rule)
		}
	}
	assert.Empty(t, missing, "rules that never reported on %s", m.Name)
	return affected > 0 && failedAffected == affected && len(missing) == 0, collateral
}

func TestEveryRuleHasAMutant(t *testing.T) {
	for _, contract := range builtinContracts(t) {
		covered := map[string]bool{}
		for _, m := range mutants.All() {
			if m.NotApplicableUnder(contract) != "" {
				continue
			}
			for _, r := range m.BreaksUnder(contract) {
				covered[r] = true
			}
		}
		for _, r := range check.RulesUnder(contract) {
			assert.True(t, covered[r.ID], "rule %s applies under %s but no mutant there breaks it", r.ID, contract.Name)
		}
	}
}

// TestMidStreamErrorsAcceptedWhereTheContractSaysSo: an upstream failure
// carried in a 200 event stream fails under the default contract (the
// mutant's own test) and passes, finding-free, under OpenRouter's, which
// lets errors arrive after the model started that way.
func TestMidStreamErrorsAcceptedWhereTheContractSaysSo(t *testing.T) {
	m, ok := mutants.ByName("mid-stream-errors")
	require.True(t, ok)
	contract, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	carried := 0
	for _, r := range runCatalogue(t, contract, m.Wrap) {
		if !strings.HasPrefix(r.Case.Situation, "upstream-") || !r.Case.Expect.Stream {
			continue
		}
		require.True(t, r.Case.Expect.MidStream, r.Case.ID)
		judged, ok := r.Judged()
		require.True(t, ok, r.Case.ID)
		if judged.Response.Status == http.StatusOK {
			carried++
		}
		assert.Equal(t, check.Passed, r.Verdict, "%s: %s", r.Case.ID, r.Summary())
		assert.Empty(t, r.Findings, r.Case.ID)
	}
	assert.Positive(t, carried, "the mutant carried upstream errors in a 200")
}
