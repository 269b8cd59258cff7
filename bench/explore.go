// Explore's benchmark: its variants against the reference and the floor,
// and its memory per selection.

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// exploration is one explore measurement against `errconform serve`.
type exploration struct {
	name               string
	variants, controls int
	wall, floorTime    time.Duration
	rss, floorRSS      rssStats
	// withReports is the peak RSS of the same run writing all five
	// reports (which hold every case's evidence), measured for the
	// largest selection only (zero otherwise).
	withReports rssStats
}

// measureExplore measures errconform explore against the server whose
// config is cfg, and its floor, interleaved: for the core set, for
// explore.deep, and for every field deep (the largest selection of the
// embedded request schema), so that their peak resident memory shows how
// it grows with the number of variants.
func measureExplore(bin, self, cfg string, runs int) ([]exploration, error) {
	selections := []struct {
		name    string
		explore config.Explore
	}{
		{"explore, core set", config.Explore{}},
		{"explore, deep", config.Explore{Deep: true}},
		{"explore, every field deep", config.Explore{Deep: true, Fields: config.ExploreFields{Include: []string{"*"}}}},
	}
	var out []exploration
	for i, sel := range selections {
		path, err := withExplore(cfg, fmt.Sprintf("explore-%d", i), sel.explore)
		if err != nil {
			return nil, err
		}
		e, err := exploreAgainstFloor(sel.name, bin, self, path, runs)
		if err != nil {
			return nil, err
		}
		if i == len(selections)-1 {
			dir := filepath.Dir(path)
			var rsses []int64
			for r := 0; r < runs; r++ {
				sample, err := runProcess(bin, "explore", "--quiet", "--config", path, "--junit", filepath.Join(dir, "explore.xml"),
					"--json", filepath.Join(dir, "explore.json"), "--ctrf", filepath.Join(dir, "explore.ctrf.json"),
					"--html", filepath.Join(dir, "explore.html"), "--markdown", filepath.Join(dir, "explore.md"))
				if err != nil {
					return nil, err
				}
				rsses = append(rsses, sample.maxRSS)
			}
			e.withReports = statsOf(rsses)
		}
		out = append(out, e)
	}
	return out, nil
}

// allRoutesContract is the contract listing all ten routes of OpenAI's
// surface (bench runs from the module's root, as make bench does).
const allRoutesContract = "testdata/contracts/all-routes.yaml"

// measureExploreRoutes measures explore over all ten routes' core sets:
// errconform explore against `errconform serve --contract` the all-routes
// contract, and its floor, interleaved, as measureExplore does.
func measureExploreRoutes(bin, self, dir string, runs int) (*exploration, error) {
	contract, err := filepath.Abs(allRoutesContract)
	if err != nil {
		return nil, err
	}
	cfg, stop, err := serve(bin, dir, "serve-all-routes", 0, "--contract", contract)
	if err != nil {
		return nil, err
	}
	defer stop()
	e, err := exploreAgainstFloor("explore, all ten routes' core sets", bin, self, cfg, runs)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// exploreAgainstFloor measures errconform explore with the config at path
// and its floor, interleaved, runs times each, and counts the variants and
// positive controls they send.
func exploreAgainstFloor(name, bin, self, path string, runs int) (exploration, error) {
	cases, err := exploreCases(path)
	if err != nil {
		return exploration{}, err
	}
	e := exploration{name: name}
	for _, c := range cases {
		if c.Control {
			e.controls++
		} else {
			e.variants++
		}
	}
	e.wall, e.floorTime, e.rss, e.floorRSS, err = interleaved(runs,
		[]string{bin, "explore", "--quiet", "--config", path},
		[]string{self, "-floor", "-explore", "-config", path, "-concurrency", "8"})
	return e, err
}

// withRoutes are the explore measurements, the all-routes one last.
func (b benchReport) withRoutes() []exploration {
	if b.routes == nil {
		return b.explored
	}
	return append(slices.Clone(b.explored), *b.routes)
}

// printExploreMemory prints each selection's peak RSS beside its floor's,
// and how much each grows per variant from the smallest selection to the
// largest of the chat request schema's; then explore over all ten routes'.
func printExploreMemory(explored []exploration, routes *exploration) {
	fmt.Printf("\nexplore peak RSS (limit %d MiB; medians of the runs' peaks, the highest in brackets; floor: the plain client holding the same requests):\n", exploreRSSLimit/1024)
	for _, e := range explored {
		over := ""
		if e.rss.peak > exploreRSSLimit {
			over = "  OVER THE LIMIT"
		}
		fmt.Printf("  %-34s %.1f MiB (%.1f) for %d variants; floor %.1f MiB; above the floor %.1f MiB%s\n", e.name+":", mib(e.rss.median), mib(e.rss.peak),
			e.variants, mib(e.floorRSS.median), mib(e.rss.median-e.floorRSS.median), over)
	}
	first, last := explored[0], explored[len(explored)-1]
	if last.withReports.peak > 0 {
		over := ""
		if last.withReports.peak > exploreRSSLimit {
			over = "  OVER THE LIMIT"
		}
		fmt.Printf("  %-34s %.1f MiB (%.1f) for %d variants, all five reports written (they hold every case's evidence)%s\n", last.name+", reports:",
			mib(last.withReports.median), mib(last.withReports.peak), last.variants, over)
	}
	if routes != nil {
		over := ""
		if routes.rss.peak > exploreRSSLimit {
			over = "  OVER THE LIMIT"
		}
		fmt.Printf("  %-34s %.1f MiB (%.1f) for %d variants; floor %.1f MiB; above the floor %.1f MiB%s\n", routes.name+":", mib(routes.rss.median), mib(routes.rss.peak),
			routes.variants, mib(routes.floorRSS.median), mib(routes.rss.median-routes.floorRSS.median), over)
	}
	if n := last.variants - first.variants; n > 0 {
		perVariant := func(a, b int64) float64 { return float64(b-a) / float64(n) }
		fmt.Printf("  %-34s errconform %+.1f MiB (%.1f KiB per variant), floor %+.1f MiB (%.1f KiB per variant), over %d more variants\n", "growth, first to last:",
			mib(last.rss.median-first.rss.median), perVariant(first.rss.median, last.rss.median),
			mib(last.floorRSS.median-first.floorRSS.median), perVariant(first.floorRSS.median, last.floorRSS.median), n)
	}
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// withExplore writes a copy of the config at path with another explore
// section, beside it, and returns its path.
func withExplore(path, name string, e config.Explore) (string, error) {
	cfg, err := config.LoadFile(path, os.LookupEnv)
	if err != nil {
		return "", err
	}
	cfg.Explore = e
	data, err := cfg.Marshal()
	if err != nil {
		return "", fmt.Errorf("encode config: %w", err)
	}
	out := filepath.Join(filepath.Dir(path), name+".yaml")
	if err := os.WriteFile(out, data, 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", out, err)
	}
	return out, nil
}

// exploreCases are the cases errconform explore runs with the config at
// path: the positive controls and the explore variants its explore
// section selects, under its contract.
func exploreCases(path string) ([]suites.Case, error) {
	cfg, err := config.LoadFile(path, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	return exploreCasesOf(cfg)
}

func exploreCasesOf(cfg config.Config) ([]suites.Case, error) {
	contract, err := spec.Open(cfg.Contract)
	if err != nil {
		return nil, err
	}
	rs, err := spec.OpenRequestSchemas(cfg.Explore.RequestSchema)
	if err != nil {
		return nil, err
	}
	variants, err := suites.ExploreFor(contract, rs, suites.SelectionOf(cfg.Explore))
	if err != nil {
		return nil, err
	}
	var cases []suites.Case
	for _, c := range suites.Catalogue() {
		if c.Control {
			cases = append(cases, c)
		}
	}
	return append(cases, variants...), nil
}
