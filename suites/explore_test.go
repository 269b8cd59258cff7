package suites_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

func requestSchemas(t *testing.T) *spec.RequestSchemas {
	t.Helper()
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	return rs
}

// Explore's variants are deterministic, and their IDs are recorded (chat
// completions', then every other route's under the all-routes contract):
// a change of the generator or the schema shows as a change of this file
// (go test ./suites -run TestExploreIDsAreStable -update rewrites it).
func TestExploreIDsAreStable(t *testing.T) {
	rs := requestSchemas(t)
	first, err := suites.Explore(rs, suites.ExploreSelection{})
	require.NoError(t, err)
	second, err := suites.Explore(rs, suites.ExploreSelection{})
	require.NoError(t, err)
	var ids []string
	for i := range first {
		require.Equal(t, first[i].ID, second[i].ID, "the same schema and selection give the same variants in the same order")
		ids = append(ids, first[i].ID)
	}
	// Then the variants of every other route, under the contract listing
	// all ten (appended: the chat variants' lines above never move).
	all, err := spec.Open("../testdata/contracts/all-routes.yaml")
	require.NoError(t, err)
	routed, err := suites.ExploreFor(all, rs, suites.ExploreSelection{})
	require.NoError(t, err)
	for _, c := range routed {
		if c.Route() != spec.PathChatCompletions {
			ids = append(ids, c.ID)
		}
	}
	text := strings.Join(ids, "\n") + "\n"
	if *update {
		require.NoError(t, os.WriteFile("testdata/explore-ids.golden", []byte(text), 0o644))
	}
	golden, err := os.ReadFile("testdata/explore-ids.golden")
	require.NoError(t, err)
	assert.Equal(t, string(golden), text, "explore's variants changed: rewrite testdata/explore-ids.golden with -update if that is intended")

	// Their bodies too, as one digest: every ID with the body it sends.
	cfg := config.Config{Auth: config.Auth{APIKey: "sk-test-0123456789"}, Fixtures: config.Fixtures{Model: suites.DefaultModel}}
	digest := sha256.New()
	for _, c := range first {
		fmt.Fprintf(digest, "%s\n%s\n", c.ID, c.Request(cfg).Body)
	}
	sum := hex.EncodeToString(digest.Sum(nil)) + "\n"
	if *update {
		require.NoError(t, os.WriteFile("testdata/explore-bodies.sha256", []byte(sum), 0o644))
	}
	golden, err = os.ReadFile("testdata/explore-bodies.sha256")
	require.NoError(t, err)
	assert.Equal(t, string(golden), sum, "explore's bodies changed: rewrite testdata/explore-bodies.sha256 with -update if that is intended")
}

// Every invalid variant breaks the schema, every positive control keeps
// it; every body is small and asks for at most one output token.
func TestExploreVariantsAreWhatTheySay(t *testing.T) {
	rs := requestSchemas(t)
	cases, err := suites.Explore(rs, suites.ExploreSelection{Deep: true})
	require.NoError(t, err)
	cfg := config.Config{Auth: config.Auth{APIKey: "sk-test-0123456789"}, Fixtures: config.Fixtures{Model: suites.DefaultModel}}
	constraints := map[string]bool{}
	for _, c := range cases {
		body := c.Request(cfg).Body
		assert.Less(t, len(body), 16<<10, "%s: bodies stay small", c.ID)
		var doc any
		require.NoError(t, json.Unmarshal(body, &doc), c.ID)
		err := rs.ValidateChat(doc)
		if c.ValidInput {
			assert.NoError(t, err, "%s is a positive control: the schema accepts it", c.ID)
			assert.Equal(t, 200, c.Expect.Status, c.ID)
		} else {
			assert.Error(t, err, "%s is invalid: the schema refuses it", c.ID)
			assert.NotEmpty(t, c.Situation, c.ID)
			assert.NotEmpty(t, c.Expect.Param, c.ID)
		}
		obj, _ := doc.(map[string]any)
		for _, field := range []string{"max_tokens", "max_completion_tokens", "n"} {
			if f, ok := obj[field].(float64); ok {
				assert.LessOrEqual(t, f, 1.0, "%s: %s asks for at most one output token", c.ID, field)
			}
		}
		assert.Contains(t, c.Labels, "explore", c.ID)
		for _, l := range c.Labels {
			if v, ok := strings.CutPrefix(l, "constraint:"); ok {
				constraints[v] = true
			}
		}
	}
	for _, want := range []string{suites.WrongType, suites.BelowMinimum, suites.AboveMaximum, suites.NotInEnum, suites.MissingRequired,
		suites.NullNotAllowed, suites.TooShort, suites.UnknownMember, suites.NotAnInteger, suites.Valid} {
		assert.True(t, constraints[want], "some variant breaks %s", want)
	}
	for c := range constraints {
		assert.Contains(t, suites.Constraints(), c, "every constraint label is one Constraints lists")
	}
}

func TestExploreSelection(t *testing.T) {
	rs := requestSchemas(t)
	fields := func(sel suites.ExploreSelection) map[string]bool {
		cases, err := suites.Explore(rs, sel)
		require.NoError(t, err)
		out := map[string]bool{}
		for _, c := range cases {
			for _, l := range c.Labels {
				if f, ok := strings.CutPrefix(l, "field:"); ok {
					out[f] = true
				}
			}
		}
		return out
	}
	core := fields(suites.ExploreSelection{})
	for _, f := range suites.CoreFields() {
		assert.True(t, core[f], "the core set probes %s", f)
	}
	assert.False(t, core["logit_bias"], "fields outside the core set are left alone by default")
	penalties := fields(suites.ExploreSelection{Include: []string{"*_penalty"}})
	assert.Equal(t, map[string]bool{"presence_penalty": true, "frequency_penalty": true}, penalties)
	assert.False(t, fields(suites.ExploreSelection{Exclude: []string{"tools", "tool_choice"}})["tools"])
	_, err := suites.Explore(rs, suites.ExploreSelection{Include: []string{"no_such_field"}})
	assert.ErrorContains(t, err, "matches no field")

	cases, err := suites.Explore(rs, suites.ExploreSelection{Include: []string{"temperature"}, Unsupported: []string{"temperature"}})
	require.NoError(t, err)
	for _, c := range cases {
		assert.False(t, c.ValidInput, "%s: an unsupported field has no positive controls", c.ID)
	}
}

// Under a contract, a variant expects its situation's outcome, and a
// field marked unsupported need not carry the situation's code.
func TestExploreForResolvesOutcomes(t *testing.T) {
	rs := requestSchemas(t)
	contract, err := spec.Load()
	require.NoError(t, err)
	byID := func(sel suites.ExploreSelection) map[string]suites.Case {
		cases, err := suites.ExploreFor(contract, rs, sel)
		require.NoError(t, err)
		out := map[string]suites.Case{}
		for _, c := range cases {
			out[c.ID] = c
		}
		return out
	}
	cases := byID(suites.ExploreSelection{})
	above := cases["explore/chat/temperature/above-maximum"]
	assert.Equal(t, 400, above.Expect.Status)
	assert.Equal(t, "invalid_value", above.Expect.Code)
	assert.Equal(t, "temperature", above.Expect.Param)
	assert.Contains(t, above.Expect.IfAccepted, "accepted invalid input (above-maximum)")
	assert.True(t, cases["explore/chat/temperature/above-maximum/stream"].Expect.Stream)
	assert.Empty(t, cases["explore/chat/stream/wrong-type"].Expect.Code, "a wrong type has no code under the default contract")
	assert.Equal(t, 200, cases["explore/chat/temperature/valid-maximum"].Expect.Status)
	unsupported := byID(suites.ExploreSelection{Unsupported: []string{"temperature"}})
	assert.Empty(t, unsupported["explore/chat/temperature/above-maximum"].Expect.Code)
	// A union's empty object may be refused as its object form lacking a
	// member (missing-field) or as no form (invalid-value): no code asked.
	noForm := 0
	for id, c := range byID(suites.ExploreSelection{Deep: true, Include: []string{"*"}}) {
		if strings.Contains(id, "/no-branch-matched") {
			noForm++
			assert.Equal(t, 400, c.Expect.Status, id)
			assert.Empty(t, c.Expect.Code, id)
		}
	}
	assert.Positive(t, noForm)
}

// A hostile request schema (explore.request_schema names any file) costs
// bounded work: huge lengths and counts are not probed, enums and forms are
// capped, and every body stays small.
func TestExploreBoundsAHostileSchema(t *testing.T) {
	values := make([]string, 30000)
	for i := range values {
		values[i] = fmt.Sprintf("v%d", i)
	}
	enum, err := json.Marshal(values)
	require.NoError(t, err)
	doc := `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
	  "components": {"schemas": {"CreateChatCompletionRequest": {"type": "object", "required": ["model", "messages"], "properties": {
	    "model": {"type": "string"},
	    "messages": {"type": "array", "minItems": 1, "items": {"type": "object"}},
	    "short": {"type": "string", "maxLength": 3},
	    "huge_list": {"type": "array", "minItems": 100000000, "items": {"type": "string"}},
	    "huge_string": {"type": "string", "minLength": 100000000, "maxLength": 300000000},
	    "many": {"type": "string", "enum": ` + string(enum) + `},
	    "count": {"type": "integer", "minimum": 0}}}}}}`
	rs, err := spec.ParseRequestSchemas([]byte(doc))
	require.NoError(t, err)
	cases, err := suites.Explore(rs, suites.ExploreSelection{Include: []string{"*"}})
	require.NoError(t, err)
	cfg := config.Config{Auth: config.Auth{APIKey: "sk-test-0123456789"}, Fixtures: config.Fixtures{Model: suites.DefaultModel}}
	ids := map[string]bool{}
	for _, c := range cases {
		ids[c.ID] = true
		assert.Less(t, len(c.Request(cfg).Body), 16<<10, c.ID)
	}
	assert.Less(t, len(cases), 200, "an enum of 30,000 values gives a bounded number of controls")
	assert.True(t, ids["explore/chat/short/too-long"])
	assert.True(t, ids["explore/chat/count/not-an-integer"])
	assert.True(t, ids["explore/chat/count/below-minimum"])
}

// A variant sends the run's model: its body is the one checked against the
// schema with that model put in, except where the variant edits the model
// itself; a stream twin sends its variant's body with "stream": true.
func TestExploreBodiesCarryTheRunsModel(t *testing.T) {
	rs := requestSchemas(t)
	cases, err := suites.Explore(rs, suites.ExploreSelection{})
	require.NoError(t, err)
	base := config.Config{Auth: config.Auth{APIKey: "sk-test-0123456789"}, Fixtures: config.Fixtures{Model: suites.DefaultModel}}
	other := base
	other.Fixtures.Model = "acme/m-1 <&>"
	decode := func(body []byte) map[string]any {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(body, &doc))
		return doc
	}
	byID := map[string]map[string]any{}
	for _, c := range cases {
		want := decode(c.Request(base).Body)
		if !strings.HasPrefix(c.ID, "explore/chat/model/") {
			require.Equal(t, suites.DefaultModel, want["model"], c.ID)
			want["model"] = other.Fixtures.Model
		}
		got := decode(c.Request(other).Body)
		assert.Equal(t, want, got, c.ID)
		byID[c.ID] = got
	}
	twins := 0
	for _, c := range cases {
		variant, isTwin := strings.CutSuffix(c.ID, "/stream")
		if !isTwin || byID[variant] == nil {
			continue
		}
		twins++
		want := maps.Clone(byID[variant])
		want["stream"] = true
		assert.Equal(t, want, byID[c.ID], c.ID)
	}
	assert.Greater(t, twins, 100)
}

// A plan makes the same cases on every walk, in ExploreFor's order and
// with its outcomes, holding none between walks; a walk stops when its
// caller has had enough; too many variants is an error of every walk.
func TestExplorePlanWalksAlike(t *testing.T) {
	rs := requestSchemas(t)
	contract := mustContract(t)
	tests := []struct {
		name string
		sel  suites.ExploreSelection
	}{
		{"core set", suites.ExploreSelection{}},
		{"every field, deep", suites.ExploreSelection{Include: []string{"*"}, Deep: true}},
		{"some fields unsupported", suites.ExploreSelection{Include: []string{"temperature", "tools"}, Unsupported: []string{"tools"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listed, err := suites.ExploreFor(contract, rs, tt.sel)
			require.NoError(t, err)
			plan, err := suites.NewExplorePlan(contract, rs, tt.sel)
			require.NoError(t, err)
			assert.Equal(t, rs.Origin, plan.Origin())
			for walk := 1; walk <= 2; walk++ {
				n := 0
				require.NoError(t, plan.Walk(func(c suites.Case) bool {
					require.Less(t, n, len(listed))
					assert.Equal(t, listed[n].ID, c.ID, "walk %d, case %d", walk, n)
					assert.Equal(t, listed[n].Expect, c.Expect, "walk %d: %s", walk, c.ID)
					assert.Equal(t, listed[n].Labels, c.Labels, "walk %d: %s", walk, c.ID)
					n++
					return true
				}))
				assert.Equal(t, len(listed), n, "walk %d makes every case", walk)
			}
			n := 0
			require.NoError(t, plan.Walk(func(suites.Case) bool { n++; return n < 5 }))
			assert.Equal(t, 5, n, "the walk stops when yield returns false")
		})
	}
	_, err := suites.NewExplorePlan(contract, rs, suites.ExploreSelection{Include: []string{"no_such_field"}})
	assert.ErrorContains(t, err, "matches no field")
}
