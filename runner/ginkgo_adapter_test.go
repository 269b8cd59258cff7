package runner

import (
	"fmt"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/suites"
)

// All Ginkgo wiring lives in one adapter file: outside tests, no other
// file of runner/ or suites/ imports Ginkgo.
func TestGinkgoWiringLivesInOneFile(t *testing.T) {
	for _, dir := range []string{".", "../suites"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") || filepath.Clean(file) == "ginkgo.go" {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			require.NoError(t, err)
			for _, imp := range f.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				require.NoError(t, err)
				assert.False(t, strings.HasPrefix(path, "github.com/onsi/ginkgo"),
					"%s imports %s: Ginkgo is wired in runner/ginkgo.go only", file, path)
			}
		}
	}
}

// Explore's variants share a Ginkgo spec per field (Ginkgo keeps a node
// and a report per spec), in the order the plan made them; every
// catalogue case keeps its own, in order, those that run alone last.
func TestSpecsOfGroupsVariantsByField(t *testing.T) {
	variant := func(id, field string) suites.Case {
		return suites.Case{ID: id, Group: suites.ExploreGroup, Labels: []string{"explore", "field:" + field}}
	}
	counts := newExploreCounts()
	for _, c := range []suites.Case{
		variant("explore/chat/top_p/wrong-type", "top_p"),
		variant("explore/chat/temperature/wrong-type", "temperature"),
		variant("explore/chat/temperature/above-maximum", "temperature"),
	} {
		counts.add(c)
	}
	counts.finish()
	list := caseList{head: []suites.Case{{ID: "control/chat", Group: "control"}}, variants: counts,
		tail: []suites.Case{{ID: "auth/missing-key", Group: "auth", Labels: []string{"status:401"}, Alone: true}}}
	var got []string
	for _, s := range specsOf(list) {
		got = append(got, fmt.Sprintf("%s: %s%s (%d)", s.name, s.c.ID, s.field, s.variants))
	}
	assert.Equal(t, []string{
		"control/chat: control/chat (0)",
		"explore/chat/top_p (every selected variant of the field): top_p (1)",
		"explore/chat/temperature (every selected variant of the field): temperature (2)",
		"auth/missing-key: auth/missing-key (0)",
	}, got)
}

// A spec's verdict: a catalogue case's own; a field's spec fails when any
// variant failed or errored (naming the first few) or some have no
// result, and is skipped only when every variant was.
func TestSpecVerdict(t *testing.T) {
	result := func(id string, v check.Verdict, reason string) suites.Result {
		return suites.Result{Case: suites.Case{ID: id}, Verdict: v, Reason: reason}
	}
	many := make([]suites.Result, 8)
	for i := range many {
		many[i] = result(fmt.Sprintf("explore/chat/n/v%d", i), check.Failed, "status: expected 400, got 200")
	}
	tests := []struct {
		name    string
		results []suites.Result
		want    int // the field's variants; 0: a catalogue case
		verdict check.Verdict
		says    []string
	}{
		{"one passed case", []suites.Result{result("a/b", check.Passed, "")}, 0, check.Passed, nil},
		{"one skipped case", []suites.Result{result("a/b", check.Skipped, "fixture missing")}, 0, check.Skipped, []string{"fixture missing"}},
		{"one errored case", []suites.Result{result("a/b", check.Errored, "unreachable")}, 0, check.Errored, []string{"errored: unreachable"}},
		{"variants passed and skipped", []suites.Result{result("x/1", check.Passed, ""), result("x/2", check.Skipped, "not run")}, 2, check.Passed, nil},
		{"every variant skipped", []suites.Result{result("x/1", check.Skipped, ""), result("x/2", check.Waived, "")}, 2, check.Skipped, []string{"every one of its 2 variants"}},
		{"a variant failed", []suites.Result{result("x/1", check.Passed, ""), result("x/2", check.Failed, "accepted invalid input")}, 2, check.Failed,
			[]string{"1 of 2 variants failed or errored", "x/2 (failed): accepted invalid input"}},
		{"many variants failed", many, 8, check.Failed, []string{"8 of 8 variants", "explore/chat/n/v4", "and 3 more (the reports list them all)"}},
		{"a variant has no result", []suites.Result{result("x/1", check.Passed, "")}, 3, check.Failed, []string{"2 of 3 variants have no result: not completed"}},
		{"no variant has a result", nil, 2, check.Failed, []string{"2 of 2 variants have no result"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var verdict check.Verdict
			var why string
			if tt.want == 0 {
				verdict, why = specVerdict(tt.results[0])
			} else {
				var tally fieldTally
				for _, r := range tt.results {
					tally.add(r)
				}
				verdict, why = tally.verdict(tt.want)
			}
			assert.Equal(t, tt.verdict, verdict)
			for _, s := range tt.says {
				assert.Contains(t, why, s)
			}
			assert.NotContains(t, why, "explore/chat/n/v5", "at most five variants are named")
		})
	}
}
