// Command bench measures errconform against its floor: the time the target
// itself needs to answer the same requests. It prints ratios first, then
// the raw numbers. Run it with `make bench`; it talks only to servers it
// starts on 127.0.0.1.
//
// For each scenario (reference with no added latency, and with 50 ms) it
// measures, as medians of several whole-process runs (build excluded):
//   - errconform run against `errconform serve` (concurrent, default concurrency)
//   - the same with --concurrency 1 (serial)
//   - the floor: this program in -floor mode, a minimal net/http client that
//     replays the same requests (built from the same catalogue and config)
//     with the same concurrency, burst last (none: the configs bench writes
//     leave the rate-limited key out, see withoutBurstKey)
//   - peak resident memory of the errconform process
//
// plus errconform run against the embedded reference, and errconform list.
//
// Explore (against `errconform serve`, no added latency): the core-set
// exploration (errconform explore --quiet) against its floor, the same
// requests (the variants and the positive controls, generated from the
// same schema by the same generator) replayed by the same minimal client
// at the same concurrency, the two run in turn so that the machine's load
// weighs on both alike; its ratio must stay within 1.3. The same for
// explore.deep and for every field deep (the largest selection of the
// embedded schema), so that the peak resident memory of the three shows
// how it grows with the number of variants, beside the floor's, which
// holds the same requests (it must stay under 64 MiB). And explore over
// all ten routes' core sets (testdata/contracts/all-routes.yaml, served by
// `errconform serve --contract`: the transcriptions route's variants as
// multipart forms), against its floor the same way: within 1.3, under
// 64 MiB.
//
// Fleet (bench/fleet.go): 20 `errconform serve` processes with 50 ms of
// latency and a config whose targets: names them all. The fleet run
// (errconform run --config fleet.yaml --quiet) against the slowest of
// -fleet-singles of its targets run alone (each server's own config), as
// medians of -fleet-runs runs (5: fewer than the rest, the fleet is
// expensive); its ratio must stay within 1.2, the fleet's peak resident
// memory under 128 MiB. Then the same fleet as four shards, run one after
// another (--shard i/4 --json), merged with errconform merge, against one
// unsharded run: their JSON verdicts, per target and case, must be
// identical, or the bench prints the differences and exits 1. Every
// server is stopped at the end, also on an error.
package main

import (
	"bufio"
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/suites"
)

func main() {
	bin := flag.String("bin", "bin/errconform", "the errconform binary to measure")
	runs := flag.Int("runs", 7, "runs per measurement (the median is reported)")
	fleetSize := flag.Int("fleet", 20, "targets in the fleet measurement (each an errconform serve with 50 ms latency); 0 skips it")
	fleetRuns := flag.Int("fleet-runs", 5, "runs per fleet measurement (the fleet, and each target alone)")
	fleetSingles := flag.Int("fleet-singles", 5, "how many of the fleet's targets are measured alone (the slowest median is the reference)")
	floor := flag.Bool("floor", false, "internal: replay the catalogue's requests and exit")
	cfgPath := flag.String("config", "", "internal: config for -floor")
	concurrency := flag.Int("concurrency", 8, "internal: concurrency for -floor")
	explore := flag.Bool("explore", false, "internal: -floor replays explore's requests (the config's explore section) instead")
	flag.Parse()
	if *floor {
		if err := replay(*cfgPath, *concurrency, *explore); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		return
	}
	if err := measureAll(*bin, *runs, *fleetSize, *fleetRuns, *fleetSingles); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sample is one whole-process run.
type sample struct {
	wall   time.Duration
	maxRSS int64 // KiB
}

func runProcess(name string, args ...string) (sample, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	rss := int64(0)
	if ru != nil {
		rss = ru.Maxrss
	}
	return sample{wall: wall, maxRSS: rss}, nil
}

// interleaved runs two commands n times each, one after the other in
// turn, so that a change in the machine's load weighs on both alike: each
// one's median wall time, and its peak RSS over the runs and the median of
// its peak RSSes.
func interleaved(n int, a, b []string) (wallA, wallB time.Duration, rssA, rssB rssStats, err error) {
	var wallsA, wallsB []time.Duration
	var rssesA, rssesB []int64
	for i := 0; i < n; i++ {
		sa, err := runProcess(a[0], a[1:]...)
		if err != nil {
			return 0, 0, rssStats{}, rssStats{}, err
		}
		sb, err := runProcess(b[0], b[1:]...)
		if err != nil {
			return 0, 0, rssStats{}, rssStats{}, err
		}
		wallsA, wallsB = append(wallsA, sa.wall), append(wallsB, sb.wall)
		rssesA, rssesB = append(rssesA, sa.maxRSS), append(rssesB, sb.maxRSS)
	}
	return median(wallsA), median(wallsB), statsOf(rssesA), statsOf(rssesB), nil
}

// rssStats are the peak resident set sizes of repeated runs, in KiB.
type rssStats struct{ peak, median int64 }

func statsOf(rsses []int64) rssStats { return rssStats{peak: slices.Max(rsses), median: median(rsses)} }

// median is the middle of the values (the upper one of an even count).
func median[T cmp.Ordered](values []T) T {
	sorted := slices.Sorted(slices.Values(values))
	return sorted[len(sorted)/2]
}

// measure runs a command n times: the median wall time and the peak RSS.
func measure(n int, name string, args ...string) (time.Duration, int64, error) {
	var walls []time.Duration
	var peak int64
	for i := 0; i < n; i++ {
		s, err := runProcess(name, args...)
		if err != nil {
			return 0, 0, err
		}
		walls = append(walls, s.wall)
		peak = max(peak, s.maxRSS)
	}
	return median(walls), peak, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// serve starts `errconform serve` with the given added latency (and any
// extra arguments, such as --contract FILE), writing its config to
// dir/name.yaml without the rate-limited key (withoutBurstKey), and
// returns the config's path and a stop (which kills the server and waits
// for it).
func serve(bin, dir, name string, latency time.Duration, extra ...string) (string, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	cfg := filepath.Join(dir, name+".yaml")
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--config-out", cfg, "--latency", latency.String()}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if strings.Contains(scanner.Text(), "serving at") {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			if err := withoutBurstKey(cfg); err != nil {
				stop()
				return "", nil, err
			}
			return cfg, stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("errconform serve did not start")
}

type scenario struct {
	name                          string
	latency                       time.Duration
	concurrent, serial, floorTime time.Duration
	rss                           int64
}

// measureAll runs every benchmark scenario and prints their ratios.
func measureAll(bin string, runs, fleetSize, fleetRuns, fleetSingles int) error {
	dir, err := os.MkdirTemp("", "errconform-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// Both binaries are measured from copies in the same directory: the
	// resident memory of a binary's mapped pages depends on how its file
	// was written (the same errconform measured 5 MiB more as the file
	// the linker wrote in bin/ than as a copy of it).
	if bin, err = copyExecutable(bin, filepath.Join(dir, "errconform")); err != nil {
		return err
	}
	if self, err = copyExecutable(self, filepath.Join(dir, "bench")); err != nil {
		return err
	}
	embedded, embeddedRSS, err := measure(runs, bin, "run", "--target", "reference", "--quiet")
	if err != nil {
		return err
	}
	list, _, err := measure(runs*3, bin, "list")
	if err != nil {
		return err
	}
	var results []scenario
	var explored []exploration
	var routes *exploration
	for _, latency := range []time.Duration{0, 50 * time.Millisecond} {
		cfg, stop, err := serve(bin, dir, fmt.Sprintf("serve-%s", latency), latency)
		if err != nil {
			return err
		}
		s := scenario{name: fmt.Sprintf("reference, %s added latency", latency), latency: latency}
		if s.concurrent, s.rss, err = measure(runs, bin, "run", "--quiet", "--config", cfg); err != nil {
			stop()
			return err
		}
		if s.serial, _, err = measure(runs, bin, "run", "--quiet", "--config", cfg, "--concurrency", "1"); err != nil {
			stop()
			return err
		}
		if s.floorTime, _, err = measure(runs, self, "-floor", "-config", cfg, "-concurrency", "8"); err != nil {
			stop()
			return err
		}
		if latency == 0 {
			if explored, err = measureExplore(bin, self, cfg, runs); err != nil {
				stop()
				return err
			}
			if routes, err = measureExploreRoutes(bin, self, dir, runs); err != nil {
				stop()
				return err
			}
		}
		stop()
		results = append(results, s)
	}
	var fleet *fleetResult
	if fleetSize > 0 {
		f, err := measureFleet(bin, dir, fleetSize, fleetRuns, fleetSingles)
		if err != nil {
			return err
		}
		fleet = &f
	}
	return benchReport{runs: runs, embedded: embedded, embeddedRSS: embeddedRSS, list: list,
		results: results, explored: explored, routes: routes, fleet: fleet}.print()
}

// benchReport is what measureAll measured, to print.
type benchReport struct {
	runs           int
	embedded, list time.Duration
	embeddedRSS    int64
	results        []scenario
	explored       []exploration
	// routes is explore over every route of the all-routes contract.
	routes *exploration
	fleet  *fleetResult
}

// print prints the ratios, the times, explore's memory and the fleet's;
// it fails when the merged shards' verdicts differ from the unsharded
// run's.
func (b benchReport) print() error {
	runs, embedded, embeddedRSS, list := b.runs, b.embedded, b.embeddedRSS, b.list
	results, explored, fleet := b.results, b.explored, b.fleet
	host, _ := os.Hostname()
	fmt.Printf("errconform bench (%d runs each, medians; whole processes, build excluded; %s, %d cores)\n\n", runs, host, numCPU())
	fmt.Println("ratios:")
	for _, s := range results {
		fmt.Printf("  %-34s errconform/floor %.2f   serial/concurrent %.2f\n", s.name+":", ratio(s.concurrent, s.floorTime), ratio(s.serial, s.concurrent))
	}
	for _, e := range b.withRoutes() {
		miss := ""
		if ratio(e.wall, e.floorTime) > exploreRatioTarget {
			miss = "  MISSES THE TARGET"
		}
		fmt.Printf("  %-34s errconform/floor %.2f   (%d variants + %d controls; target <= %.1f)%s\n", e.name+":", ratio(e.wall, e.floorTime), e.variants, e.controls, exploreRatioTarget, miss)
	}
	if fleet != nil {
		r, miss := ratio(fleet.wall, fleet.slowestWall), ""
		if r > fleetRatioTarget {
			miss = "  MISSES THE TARGET"
		}
		fmt.Printf("  %-34s fleet/slowest target alone %.2f (target <= %.1f)%s\n", fleet.name()+":", r, fleetRatioTarget, miss)
	}
	fmt.Println("\ntimes:")
	fmt.Printf("  %-34s %s (peak RSS %.1f MiB)\n", "run, embedded reference:", ms(embedded), float64(embeddedRSS)/1024)
	fmt.Printf("  %-34s %s\n", "list (start-up cost):", ms(list))
	for _, s := range results {
		fmt.Printf("  %-34s concurrent %s, serial %s, floor %s (peak RSS %.1f MiB)\n", s.name+":", ms(s.concurrent), ms(s.serial), ms(s.floorTime), float64(s.rss)/1024)
	}
	for _, e := range b.withRoutes() {
		fmt.Printf("  %-34s %s, floor %s\n", e.name+":", ms(e.wall), ms(e.floorTime))
	}
	if fleet != nil {
		fmt.Printf("  %-34s %s (%d runs, median; peak RSS %.1f MiB)\n", fleet.name()+":", ms(fleet.wall), fleet.runs, float64(fleet.rss)/1024)
		fmt.Printf("  %-34s slowest %s (%s); %s (%d runs each, medians; peak RSS %.1f MiB)\n", "its targets alone:", ms(fleet.slowestWall), fleet.slowest, fleet.singlesText(), fleet.runs, float64(fleet.singleRSS)/1024)
		fmt.Printf("  %-34s %s (%d shards one after another, and the merge; once)\n", "fleet in 4 shards, merged:", ms(fleet.shardsMerged), shardCount)
	}
	if len(explored) > 0 {
		printExploreMemory(explored, b.routes)
	}
	if fleet != nil {
		over := ""
		if fleet.rss > fleetRSSLimit {
			over = "  OVER THE LIMIT"
		}
		fmt.Println("\nfleet peak RSS (limit 128 MiB):")
		fmt.Printf("  %-34s %.1f MiB for %d targets x %d cases%s\n", fleet.name()+":", float64(fleet.rss)/1024, fleet.size, fleet.cases, over)
		fmt.Printf("\nshards (%d, run one after another, merged with errconform merge; verdicts compared per target and case, %d pairs):\n", shardCount, fleet.shards.pairs)
		if len(fleet.shards.diffs) == 0 {
			fmt.Printf("  four shards merged give exactly the verdicts of one unsharded run: yes\n")
		} else {
			fmt.Printf("  four shards merged give exactly the verdicts of one unsharded run: NO, %d differences:\n", len(fleet.shards.diffs))
			for _, d := range fleet.shards.diffs {
				fmt.Printf("    %s\n", d)
			}
			return fmt.Errorf("the merged shards' verdicts differ from the unsharded run's (%d differences)", len(fleet.shards.diffs))
		}
	}
	return nil
}

// exploreRSSLimit is explore's peak resident memory limit, in KiB.
const exploreRSSLimit = 64 * 1024

// exploreRatioTarget is the most explore may take over its floor.
const exploreRatioTarget = 1.3

// copyExecutable copies the executable at from to to and returns to.
func copyExecutable(from, to string) (string, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", fmt.Errorf("copy %s: %w", from, err)
	}
	return to, out.Close()
}

func numCPU() int {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(data), "processor\t:")
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

// replay is the floor: the requests errconform sends for this config (the
// catalogue's, or with explore the positive controls and the explore
// variants), sent by a plain net/http client with the given concurrency,
// the burst last; each response body read and discarded. No checks, no
// reports.
func replay(cfgPath string, concurrency int, explore bool) error {
	cfg, err := config.LoadFile(cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	cases := suites.Catalogue()
	if explore {
		if cases, err = exploreCasesOf(cfg); err != nil {
			return err
		}
	}
	client := &http.Client{Timeout: cfg.Target.Timeout.Std(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(c suites.Case) (int, error) {
		r := c.Request(cfg)
		req, err := http.NewRequestWithContext(context.Background(), r.Method, config.JoinURL(cfg.Target.BaseURL, r.Path), strings.NewReader(string(r.Body)))
		if err != nil {
			return 0, err
		}
		req.Header = r.Header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var parallel, alone []suites.Case
	for _, c := range cases {
		if len(c.MissingFixtures(cfg)) > 0 {
			continue
		}
		if c.Alone {
			alone = append(alone, c)
		} else {
			parallel = append(parallel, c)
		}
	}
	work := make(chan suites.Case)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				if _, err := send(c); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for _, c := range parallel {
		work <- c
	}
	close(work)
	wg.Wait()
	for _, c := range alone {
		for i := 0; i < max(cfg.Fixtures.RateLimitBurst, 1); i++ {
			status, err := send(c)
			if err != nil || status == c.Expect.Status || !c.Burst {
				break
			}
		}
	}
	return firstErr
}

// withoutBurstKey rewrites the config at path without
// fixtures.rate_limited_api_key, so that errconform and the floor both
// leave the rate-limit bursts out: the reference's window is a minute, and
// every run after the first within it would find the key already limited,
// which errconform reports as an errored precondition (exit 1), not a
// measurement.
func withoutBurstKey(path string) error {
	cfg, err := config.LoadFile(path, os.LookupEnv)
	if err != nil {
		return err
	}
	cfg.Fixtures.RateLimitedAPIKey = ""
	data, err := cfg.Marshal()
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return os.WriteFile(path, data, 0o600)
}
