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
// and a report per spec); every catalogue case keeps its own, in order.
func TestSpecsOfGroupsVariantsByField(t *testing.T) {
	variant := func(id, field string) suites.Case {
		return suites.Case{ID: id, Group: suites.ExploreGroup, Labels: []string{"explore", "field:" + field}}
	}
	cases := []suites.Case{
		{ID: "control/chat", Group: "control"},
		variant("explore/chat/temperature/wrong-type", "temperature"),
		variant("explore/chat/top_p/wrong-type", "top_p"),
		variant("explore/chat/temperature/above-maximum", "temperature"),
		{ID: "auth/missing-key", Group: "auth", Labels: []string{"status:401"}},
	}
	var got []string
	for _, s := range specsOf(cases) {
		var ids []string
		for _, i := range s.cases {
			ids = append(ids, cases[i].ID)
		}
		got = append(got, s.name+": "+strings.Join(ids, ", "))
	}
	assert.Equal(t, []string{
		"control/chat: control/chat",
		"explore/chat/temperature (every selected variant of the field): explore/chat/temperature/wrong-type, explore/chat/temperature/above-maximum",
		"explore/chat/top_p (every selected variant of the field): explore/chat/top_p/wrong-type",
		"auth/missing-key: auth/missing-key",
	}, got)
}

// A spec's verdict: one case's own; a field's spec fails when any variant
// failed or errored, naming the first few, and is skipped only when every
// variant was.
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
		verdict check.Verdict
		says    []string
	}{
		{"one passed case", []suites.Result{result("a/b", check.Passed, "")}, check.Passed, nil},
		{"one skipped case", []suites.Result{result("a/b", check.Skipped, "fixture missing")}, check.Skipped, []string{"fixture missing"}},
		{"one errored case", []suites.Result{result("a/b", check.Errored, "unreachable")}, check.Errored, []string{"errored: unreachable"}},
		{"variants passed and skipped", []suites.Result{result("x/1", check.Passed, ""), result("x/2", check.Skipped, "not run")}, check.Passed, nil},
		{"every variant skipped", []suites.Result{result("x/1", check.Skipped, ""), result("x/2", check.Waived, "")}, check.Skipped, []string{"every one of its 2 variants"}},
		{"a variant failed", []suites.Result{result("x/1", check.Passed, ""), result("x/2", check.Failed, "accepted invalid input")}, check.Failed,
			[]string{"1 of 2 variants failed or errored", "x/2 (failed): accepted invalid input"}},
		{"many variants failed", many, check.Failed, []string{"8 of 8 variants", "explore/chat/n/v4", "and 3 more (the reports list them all)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verdict, why := specVerdict(tt.results)
			assert.Equal(t, tt.verdict, verdict)
			for _, s := range tt.says {
				assert.Contains(t, why, s)
			}
			assert.NotContains(t, why, "explore/chat/n/v5", "at most five variants are named")
		})
	}
}
