package mutants_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
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
	return runExploreOf(t, contract, suites.ExploreSelection{}, wrap)
}

// runExploreOf is runExplore over a selection.
func runExploreOf(t *testing.T, contract *spec.Contract, sel suites.ExploreSelection, wrap func(http.Handler) http.Handler) []suites.Result {
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
	cases, err := suites.ExploreFor(contract, rs, sel)
	require.NoError(t, err)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
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

// coreOnly is a conforming server that implements the core set only: it
// ignores every other top-level field, as a server implementing a subset
// of OpenAI's request schema does.
func coreOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		var doc map[string]json.RawMessage
		if r.Method == http.MethodPost && json.Unmarshal(body, &doc) == nil {
			for field := range doc {
				if !slices.Contains(suites.CoreFields(), field) {
					delete(doc, field)
				}
			}
			body, _ = json.Marshal(doc)
		}
		r = r.Clone(r.Context())
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// A target that ignores the fields it does not implement serves their
// invalid values: explore over every field deep warns there and fails
// nowhere, unless the target declares the field implemented; the core set
// is judged as before.
func TestExploreWarnsWhereATargetMayNotImplementAField(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	core := func(c suites.Case) bool { return !slices.Contains(c.Labels, "outside-core") }
	every := suites.ExploreSelection{Include: []string{"*"}, Deep: true}
	warned := 0
	for _, r := range runExploreOf(t, contract, every, coreOnly) {
		switch {
		case core(r.Case):
			assert.Equal(t, check.Passed, r.Verdict, "%s (core set): %s", r.Case.ID, r.Summary())
		case r.Verdict == check.Warned:
			warned++
			assert.Contains(t, r.Summary(), "accepted invalid input", r.Case.ID)
			assert.Contains(t, r.Summary(), "explore.implements", r.Case.ID)
		default:
			assert.Equal(t, check.Passed, r.Verdict, "%s (outside the core set): %s", r.Case.ID, r.Summary())
		}
	}
	t.Logf("every field deep through a core-only target: %d variants warned", warned)
	assert.Greater(t, warned, 50, "the fields the target ignores warn")

	// Declared implemented, the same answers fail.
	declared := every
	declared.Implements = []string{"logprobs", "top_logprobs"}
	failed := 0
	for _, r := range runExploreOf(t, contract, declared, coreOnly) {
		field := strings.SplitN(strings.TrimPrefix(r.Case.ID, suites.ExploreGroup+"/chat/"), ".", 2)[0]
		field = strings.SplitN(field, "/", 2)[0]
		if r.Verdict == check.Failed {
			failed++
			assert.Contains(t, []string{"logprobs", "top_logprobs"}, field, "%s fails: %s", r.Case.ID, r.Summary())
		}
	}
	assert.Positive(t, failed, "an invalid value of a declared field that is served fails")
}
