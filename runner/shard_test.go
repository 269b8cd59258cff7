package runner

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/suites"
)

func TestParseShard(t *testing.T) {
	set := config.Settings{"shard": {Value: "given", Source: config.Source{Kind: config.FromFlag, Name: "shard"}}}
	tests := []struct {
		value   string
		want    shardSpec
		wantErr string
	}{
		{"0/4", shardSpec{0, 4}, ""},
		{"3/4", shardSpec{3, 4}, ""},
		{" 0 / 1 ", shardSpec{0, 1}, ""},
		{"4/4", shardSpec{}, "I must be at least 0 and less than N"},
		{"-1/4", shardSpec{}, "I must be at least 0"},
		{"1/0", shardSpec{}, "N must be between 1"},
		{"1", shardSpec{}, "not of the form I/N"},
		{"a/b", shardSpec{}, "whole numbers"},
		{"0/1001", shardSpec{}, "N must be between 1"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := parseShard(tt.value, set)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	got, err := parseShard("garbage", config.Settings{})
	require.NoError(t, err)
	assert.Equal(t, shardSpec{}, got, "not given: not sharded")
}

func TestShardSelectDealsEveryPairOnce(t *testing.T) {
	catalogue := suites.Catalogue()
	names := []string{"beta", "alpha", "gamma"}
	selected := [][]suites.Case{catalogue, catalogue, catalogue[:5]}
	for _, n := range []int{1, 2, 4, 7, 500} {
		t.Run(fmt.Sprintf("%d shards", n), func(t *testing.T) {
			seen := map[string]int{}
			for i := 0; i < n; i++ {
				got := shardSelect(shardSpec{i, n}, names, selected)
				again := shardSelect(shardSpec{i, n}, names, selected)
				assert.Equal(t, got, again, "deterministic")
				for ti, ids := range got {
					hasCase, hasControls, alone := false, 0, 0
					for _, c := range selected[ti] {
						if !ids[c.ID] {
							continue
						}
						switch {
						case c.Control:
							hasControls++
						case c.Alone:
							alone++
							seen[names[ti]+" "+c.ID]++
							hasCase = true
						default:
							seen[names[ti]+" "+c.ID]++
							hasCase = true
						}
					}
					if hasCase {
						assert.Equal(t, len(controlCases(selected[ti])), hasControls, "the controls run in every shard with a case of their target")
					}
					if alone > 0 {
						want := 0
						for _, c := range selected[ti] {
							if c.Alone {
								want++
							}
						}
						assert.Equal(t, want, alone, "the cases that run alone stay in one shard")
					}
				}
			}
			for ti, cases := range selected {
				for _, c := range cases {
					if !c.Control {
						assert.Equal(t, 1, seen[names[ti]+" "+c.ID], "%s %s in exactly one shard", names[ti], c.ID)
					}
				}
			}
		})
	}
}

// A fleet keeps a tenth of its --deadline for its reports, more for many
// cases, never more than a third.
func TestFleetReportReserve(t *testing.T) {
	tests := []struct {
		name     string
		deadline time.Duration
		cases    int
		want     time.Duration
	}{
		{"a small fleet: a tenth", 30 * time.Second, 150, 3 * time.Second},
		{"many cases: 190 µs each", 30 * time.Second, 30000, 5700 * time.Millisecond},
		{"256 targets of the full catalogue: a third", 30 * time.Second, 54016, 10 * time.Second},
		{"at most a third", 30 * time.Second, 1_000_000, 10 * time.Second},
		{"a tenth, at most 10 s", time.Hour, 150, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, reportReserve(tt.deadline, tt.cases))
		})
	}
}
