package runner

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/suites"
)

// maxShards bounds --shard's N: more shards than that would only add
// preflights.
const maxShards = 1000

// shardSpec is --shard i/n; count 0 means the run is not sharded.
type shardSpec struct{ index, count int }

func (s shardSpec) String() string { return fmt.Sprintf("%d/%d", s.index, s.count) }

// parseShard parses --shard (or ERRCONFORM_SHARD): "i/n" with 0 <= i < n.
// CI_NODE_INDEX is 1-based on GitLab: write --shard $((CI_NODE_INDEX-1))/$CI_NODE_TOTAL.
func parseShard(value string, settings config.Settings) (shardSpec, error) {
	if !settings.Has("shard") {
		return shardSpec{}, nil
	}
	bad := func(why string) error {
		return usagef("%s %q: %s (--shard I/N, 0 <= I < N <= %d: I is 0-based; GitLab's CI_NODE_INDEX is 1-based)", settings.Named("shard"), value, why, maxShards)
	}
	i, n, ok := strings.Cut(strings.TrimSpace(value), "/")
	if !ok {
		return shardSpec{}, bad("not of the form I/N")
	}
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	switch {
	case err1 != nil || err2 != nil:
		return shardSpec{}, bad("I and N must be whole numbers")
	case count < 1 || count > maxShards:
		return shardSpec{}, bad("N must be between 1 and " + strconv.Itoa(maxShards))
	case index < 0 || index >= count:
		return shardSpec{}, bad("I must be at least 0 and less than N")
	}
	return shardSpec{index: index, count: count}, nil
}

// shardUnit is what one shard takes whole: one case of one target, or all
// the cases of a target that run alone (the rate-limit burst: two of them
// in two shards would burst a shared limiter at once).
type shardUnit struct {
	target, key string
	cases       []string
}

// shardSelect returns, per target (by its index in names), the IDs of the
// cases shard s runs. Units (one per case; one for all the cases of a
// target that run alone) are sorted by (target, first case ID) and dealt
// round-robin, so every shard computes the same split from the same
// selection. The positive controls are not dealt: they run in every shard
// that has any case of their target (and, for a target with nothing but
// controls, in the shard its controls are dealt to as one unit).
func shardSelect(s shardSpec, names []string, selected [][]suites.Case) []map[string]bool {
	var units []shardUnit
	for t, cases := range selected {
		var alone, controls []string
		own := 0
		for _, c := range cases {
			switch {
			case c.Control:
				controls = append(controls, c.ID)
			case c.Alone:
				alone = append(alone, c.ID)
			default:
				units = append(units, shardUnit{target: names[t], key: c.ID, cases: []string{c.ID}})
				own++
			}
		}
		if len(alone) > 0 {
			units = append(units, shardUnit{target: names[t], key: alone[0], cases: alone})
			own++
		}
		if own == 0 && len(controls) > 0 {
			units = append(units, shardUnit{target: names[t], key: controls[0], cases: controls})
		}
	}
	sort.Slice(units, func(i, j int) bool {
		if units[i].target != units[j].target {
			return units[i].target < units[j].target
		}
		return units[i].key < units[j].key
	})
	index := map[string]int{}
	out := make([]map[string]bool, len(names))
	for t, name := range names {
		index[name] = t
		out[t] = map[string]bool{}
	}
	for k, u := range units {
		if k%s.count != s.index {
			continue
		}
		for _, id := range u.cases {
			out[index[u.target]][id] = true
		}
	}
	for t, cases := range selected {
		if len(out[t]) == 0 {
			continue
		}
		for _, c := range cases {
			if c.Control {
				out[t][c.ID] = true
			}
		}
	}
	return out
}
