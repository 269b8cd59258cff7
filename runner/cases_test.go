package runner

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// selectCases over the catalogue's cases and a plan's variants: the
// selectors reach the variants as they reach the catalogue's cases, the
// controls are always in, and the list walks the variants in the plan's
// order between head and tail.
func TestSelectCasesWithAPlan(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	sel := suites.ExploreSelection{Include: []string{"temperature", "top_p"}}
	plan, err := suites.NewExplorePlan(contract, rs, sel)
	require.NoError(t, err)
	variants, err := suites.ExploreFor(contract, rs, sel)
	require.NoError(t, err)
	catalogue, err := suites.For(contract)
	require.NoError(t, err)
	head := controlCases(catalogue)
	tail := []suites.Case{{ID: "burst/last", Alone: true, Labels: []string{"burst"}}}
	ids := func(cases []suites.Case, keep func(suites.Case) bool) []string {
		var out []string
		for _, c := range cases {
			if keep(c) {
				out = append(out, c.ID)
			}
		}
		return out
	}
	all := func(suites.Case) bool { return true }
	controls := ids(head, all)
	tests := []struct {
		name string
		opts runOptions
		want []string // IDs in order; nil with err
		err  string
	}{
		{"no selector", runOptions{}, slices.Concat(controls, ids(variants, all), []string{"burst/last"}), ""},
		{"--case on variants only", runOptions{cases: []string{"explore/chat/top_p/*"}},
			slices.Concat(controls, ids(variants, func(c suites.Case) bool {
				return strings.HasPrefix(c.ID, "explore/chat/top_p/") && strings.Count(c.ID, "/") == 3
			})), ""},
		{"a label filter", runOptions{labelFilter: "field:temperature && constraint:valid"},
			slices.Concat(controls, ids(variants, func(c suites.Case) bool {
				return strings.HasPrefix(c.ID, "explore/chat/temperature/valid-")
			})), ""},
		{"a label filter selecting nothing", runOptions{labelFilter: "field:seed"}, nil, `--label-filter "field:seed" selects no case`},
		{"a pattern matching no ID", runOptions{cases: []string{"explore/chat/seed/*"}}, nil, `--case "explore/chat/seed/*" matches no case ID`},
		{"a pattern that is not a glob", runOptions{cases: []string{"explore/chat/[top_p"}}, nil, "not a valid glob"},
		{"a label filter that does not parse", runOptions{labelFilter: "((("}, nil, "--label-filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := selectCases(tt.opts, head, tail, plan, reportTarget{})
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			var got []string
			for i, c := range list.All() {
				assert.Equal(t, len(got), i, "positions count up")
				assert.Equal(t, i >= len(list.head) && i < len(list.head)+list.variants.total, list.isVariant(i), c.ID)
				got = append(got, c.ID)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, len(tt.want), list.Len())
			assert.Equal(t, got, ids(list.cases(), all))
			n := 0
			for range list.All() {
				if n++; n == 3 {
					break
				}
			}
			assert.Equal(t, 3, n, "a walk stops when its caller does")
		})
	}
}
