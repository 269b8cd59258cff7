package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reports"
)

// Fleet scale (README "Fleets and shards"; the target: a fleet of 20
// targets, each an `errconform serve` with 50 ms of latency, runs in at
// most 1.2× the time of the slowest single target alone, under 128 MiB),
// and shards: the same fleet run as four shards, one after another, and
// merged, must give exactly the verdicts of one unsharded run.

const (
	// fleetRatioTarget is the most a fleet run may take, as a multiple of
	// its slowest target's run alone.
	fleetRatioTarget = 1.2
	// fleetRSSLimit is a fleet run's peak resident memory limit, in KiB.
	fleetRSSLimit = 128 * 1024
	// fleetLatency is the latency each of the fleet's servers adds.
	fleetLatency = 50 * time.Millisecond
	// shardCount is how many shards the fleet is split into.
	shardCount = 4
)

// fleetResult is the fleet measurement.
type fleetResult struct {
	size, runs int
	// wall is the fleet run's median, rss its peak over the runs (KiB).
	wall time.Duration
	rss  int64
	// singles are the medians of the targets measured alone, by name;
	// slowest names the slowest of them.
	singles      map[string]time.Duration
	singleRSS    int64
	slowest      string
	slowestWall  time.Duration
	cases        int // cases per target
	shards       shardCheck
	shardsMerged time.Duration // the four shards, one after another, and the merge
}

// shardCheck is the comparison of the merged shards with the unsharded run.
type shardCheck struct {
	pairs int      // (target, case) pairs compared
	diffs []string // every difference, described
}

// measureFleet starts size `errconform serve` processes with 50 ms of
// latency, writes a fleet config naming them all, and measures a fleet
// run against the same config's targets run alone (singles of them,
// spread over the fleet), runs times each; then runs the fleet as four
// shards and merges them. Every server is stopped before it returns.
func measureFleet(bin, parent string, size, runs, singles int) (res fleetResult, err error) {
	dir := filepath.Join(parent, "fleet")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, err
	}
	var stops []func()
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	var entries []config.TargetConfig
	var alone []string // the servers' own configs: each target alone
	for i := 0; i < size; i++ {
		name := fmt.Sprintf("ref-%02d", i)
		cfgPath, stop, err := serve(bin, dir, name, fleetLatency)
		if err != nil {
			return res, fmt.Errorf("fleet target %s: %w", name, err)
		}
		stops = append(stops, stop)
		cfg, err := config.LoadFile(cfgPath, os.LookupEnv)
		if err != nil {
			return res, err
		}
		entries = append(entries, config.TargetConfig{Name: name, BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout,
			GatewayTimeout: cfg.Target.GatewayTimeout, Auth: cfg.Auth, Fixtures: cfg.Fixtures, Contract: cfg.Contract})
		alone = append(alone, cfgPath)
	}
	data, err := yaml.Marshal(struct {
		Targets []config.TargetConfig `yaml:"targets"`
	}{entries})
	if err != nil {
		return res, fmt.Errorf("encode the fleet config: %w", err)
	}
	fleet := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(fleet, data, 0o600); err != nil {
		return res, err
	}
	res = fleetResult{size: size, runs: runs, singles: map[string]time.Duration{}}

	// The targets alone: singles of them, evenly spread.
	singles = min(max(singles, 1), size)
	for k := 0; k < singles; k++ {
		i := k * size / singles
		wall, rss, err := measure(runs, bin, "run", "--config", alone[i], "--quiet")
		if err != nil {
			return res, err
		}
		res.singles[entries[i].Name] = wall
		res.singleRSS = max(res.singleRSS, rss)
		if wall > res.slowestWall {
			res.slowest, res.slowestWall = entries[i].Name, wall
		}
	}
	if res.wall, res.rss, err = measure(runs, bin, "run", "--config", fleet, "--quiet"); err != nil {
		return res, err
	}

	// Shards, one after another, merged; then one unsharded run.
	started := time.Now()
	var shardFiles []string
	for i := 0; i < shardCount; i++ {
		out := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		if _, err := runProcess(bin, "run", "--config", fleet, "--quiet", "--shard", fmt.Sprintf("%d/%d", i, shardCount), "--json", out); err != nil {
			return res, err
		}
		shardFiles = append(shardFiles, out)
	}
	merged := filepath.Join(dir, "merged.json")
	if _, err := runProcess(bin, append(append([]string{"merge"}, shardFiles...), "--json", merged)...); err != nil {
		return res, err
	}
	res.shardsMerged = time.Since(started)
	unsharded := filepath.Join(dir, "unsharded.json")
	if _, err := runProcess(bin, "run", "--config", fleet, "--quiet", "--json", unsharded); err != nil {
		return res, err
	}
	if res.shards, res.cases, err = compareVerdicts(merged, unsharded); err != nil {
		return res, err
	}
	return res, nil
}

// compareVerdicts compares the verdicts, per target and per case, of two
// fleet JSON reports: the merged shards' and the unsharded run's. It
// returns the differences and the number of cases of the first target.
func compareVerdicts(mergedPath, unshardedPath string) (shardCheck, int, error) {
	var c shardCheck
	merged, err := reports.ReadJSON(mergedPath)
	if err != nil {
		return c, 0, err
	}
	unsharded, err := reports.ReadJSON(unshardedPath)
	if err != nil {
		return c, 0, err
	}
	type verdict struct{ verdict, skip string }
	index := func(rep reports.JSONReport) (map[string]map[string]verdict, map[string][]string) {
		out, order := map[string]map[string]verdict{}, map[string][]string{}
		for _, t := range rep.Targets {
			out[t.Name] = map[string]verdict{}
			for _, cr := range t.Cases {
				out[t.Name][cr.ID] = verdict{string(cr.Verdict), string(cr.SkipReason)}
				order[t.Name] = append(order[t.Name], cr.ID)
			}
		}
		return out, order
	}
	m, mOrder := index(merged)
	u, uOrder := index(unsharded)
	var names []string
	for name := range u {
		names = append(names, name)
	}
	for name := range m {
		if _, ok := u[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	show := func(v verdict) string {
		if v.skip != "" {
			return v.verdict + " (" + v.skip + ")"
		}
		return v.verdict
	}
	for _, name := range names {
		mt, inM := m[name]
		ut, inU := u[name]
		switch {
		case !inM:
			c.diffs = append(c.diffs, fmt.Sprintf("target %s: in the unsharded run, not in the merged shards", name))
			continue
		case !inU:
			c.diffs = append(c.diffs, fmt.Sprintf("target %s: in the merged shards, not in the unsharded run", name))
			continue
		}
		before := len(c.diffs)
		for _, id := range uOrder[name] {
			c.pairs++
			mv, ok := mt[id]
			switch {
			case !ok:
				c.diffs = append(c.diffs, fmt.Sprintf("%s / %s: unsharded %s, missing from the merged shards", name, id, show(ut[id])))
			case mv != ut[id]:
				c.diffs = append(c.diffs, fmt.Sprintf("%s / %s: unsharded %s, merged %s", name, id, show(ut[id]), show(mv)))
			}
		}
		for _, id := range mOrder[name] {
			if _, ok := ut[id]; !ok {
				c.diffs = append(c.diffs, fmt.Sprintf("%s / %s: merged %s, not in the unsharded run", name, id, show(mt[id])))
			}
		}
		if len(c.diffs) == before && fmt.Sprint(mOrder[name]) != fmt.Sprint(uOrder[name]) {
			c.diffs = append(c.diffs, fmt.Sprintf("target %s: the same cases, in another order", name))
		}
	}
	cases := 0
	if len(unsharded.Targets) > 0 {
		cases = len(unsharded.Targets[0].Cases)
	}
	return c, cases, nil
}

// name names the measurement in the bench's output.
func (f fleetResult) name() string {
	return fmt.Sprintf("fleet of %d, %s latency", f.size, fleetLatency)
}

// singlesText lists the targets measured alone, with their medians.
func (f fleetResult) singlesText() string {
	var names []string
	for name := range f.singles {
		names = append(names, name)
	}
	sort.Strings(names)
	text := ""
	for i, name := range names {
		if i > 0 {
			text += ", "
		}
		text += name + " " + ms(f.singles[name])
	}
	return text
}
