package runner

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// runOptions are the run command's flags.
type runOptions struct {
	configFile  string
	target      string
	junit       string
	json        string
	labelFilter string
	require     string
	strict      bool
	deadline    time.Duration
}

// failRecorder is the GinkgoTestingT RunSpecs reports to.
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// collector keeps results in catalogue order as specs finish.
type collector struct {
	mu      sync.Mutex
	results []suites.Result
}

func (c *collector) add(r suites.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.results = append(c.results, r)
}

func (a App) run(args []string) (int, error) {
	fs := a.newFlagSet("run")
	var o runOptions
	fs.StringVar(&o.configFile, "config", "", "config file (YAML); without it and --target, the embedded reference is the target")
	fs.StringVar(&o.target, "target", "", "base URL of the API under test, e.g. https://staging.example.com/v1 (overrides target.base_url; the key comes from ERRCONFORM_API_KEY)")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this path")
	fs.StringVar(&o.json, "json", "", "write the JSON report to this path")
	fs.StringVar(&o.labelFilter, "label-filter", "", "run only cases whose labels match this Ginkgo label expression, e.g. 'status:401 && !slow'")
	fs.StringVar(&o.require, "require", "", "fixture keys (comma-separated, or all) whose absence fails the run instead of skipping")
	fs.BoolVar(&o.strict, "strict", false, "fail on SHOULD findings (warnings) too")
	fs.DurationVar(&o.deadline, "deadline", 30*time.Minute, "overall deadline for the whole run")
	if err := parseFlags(fs, args); err != nil {
		return ExitUsage, err
	}
	contract, err := spec.Load()
	if err != nil {
		return ExitFailed, err
	}
	cfg, embedded, stop, err := a.resolveTarget(o, contract)
	if err != nil {
		return ExitUsage, err
	}
	defer stop()
	if _, err := types.ParseLabelFilter(o.labelFilter); err != nil {
		return ExitUsage, usagef("--label-filter %q: %v", o.labelFilter, err)
	}
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
	if err != nil {
		return ExitUsage, usageError{err}
	}
	defer client.Close()
	redactor := probe.NewRedactor(cfg.Secrets()...)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redactor}

	results := &collector{}
	var ginkgoReport types.Report
	suites.Register(suites.Catalogue(),
		func(ctx context.Context, c suites.Case) suites.Result {
			return suites.Execute(ctx, c, target, cfg.Strict)
		},
		func(r suites.Result) { results.add(r); printCaseLine(a.Stdout, r) })
	ginkgo.ReportAfterSuite("errconform reports", func(r types.Report) { ginkgoReport = r })

	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	suiteConfig.LabelFilter = o.labelFilter
	suiteConfig.Timeout = o.deadline
	suiteConfig.RandomizeAllSpecs = false
	reporterConfig.NoColor = true
	// errconform prints its own line per case; Ginkgo's console reporter
	// would repeat them in Ginkgo's words.
	formatter.ColorableStdOut = io.Discard

	fmt.Fprintf(a.Stdout, "errconform %s: checking %s against contract %s\n", Version, redactor.String(cfg.Target.BaseURL), contract.Version)
	started := time.Now()
	ginkgo.RunSpecs(&failRecorder{}, "errconform", suiteConfig, reporterConfig)
	elapsed := time.Since(started)

	run := reports.Run{ToolVersion: Version, ContractVersion: contract.Version, BaseURL: cfg.Target.BaseURL, Embedded: embedded,
		Started: started, Duration: elapsed, Results: results.results, Redactor: redactor, SecretEnv: cfg.SecretEnv()}
	if o.junit != "" {
		if err := reports.WriteJUnit(o.junit, ginkgoReport, run); err != nil {
			return ExitFailed, err
		}
	}
	if o.json != "" {
		if err := reports.WriteJSON(o.json, run); err != nil {
			return ExitFailed, err
		}
	}
	summary := reports.Summarize(run.Results)
	printSummary(a.Stdout, summary, elapsed)
	return exitCode(summary), nil
}

// resolveTarget picks the configured target or starts the embedded
// reference; stop releases whatever it started.
func (a App) resolveTarget(o runOptions, contract *spec.Contract) (cfg config.Config, embedded bool, stop func(), err error) {
	stop = func() {}
	if o.configFile != "" {
		if cfg, err = config.LoadFile(o.configFile, a.LookupEnv); err != nil {
			return cfg, false, stop, err
		}
	} else {
		cfg.ApplyDefaults()
	}
	if o.target != "" {
		cfg.Target.BaseURL = o.target
		if key, ok := a.LookupEnv("ERRCONFORM_API_KEY"); ok && cfg.Auth.APIKey == "" {
			cfg.Auth.APIKey = key
		}
	}
	if cfg.Target.BaseURL == "" {
		running, err := reference.Start(contract, reference.Options{GatewayTimeout: EmbeddedGatewayTimeout}, "")
		if err != nil {
			return cfg, false, stop, fmt.Errorf("start the embedded reference: %w", err)
		}
		stop = func() { _ = running.Close() }
		ref := running.Server.Config(running.BaseURL)
		ref.Require, ref.Strict = cfg.Require, cfg.Strict
		cfg, embedded = ref, true
	}
	if o.require != "" {
		cfg.Require = splitList(o.require)
	}
	cfg.Strict = cfg.Strict || o.strict
	if err := cfg.Validate(); err != nil {
		stop()
		if ce, ok := err.(*config.Error); ok && o.configFile != "" {
			ce.File = o.configFile
		}
		return cfg, false, func() {}, err
	}
	return cfg, embedded, stop, nil
}

var verdictWords = map[check.Verdict]string{
	check.Passed: "PASS", check.Failed: "FAIL", check.Warned: "WARN", check.Skipped: "SKIP", check.Errored: "ERR ",
}

func printCaseLine(w io.Writer, r suites.Result) {
	line := fmt.Sprintf("  %s  %-44s %8.1fms", verdictWords[r.Verdict], r.Case.ID, float64(r.Duration.Microseconds())/1000)
	if r.Verdict != check.Passed {
		line += "  " + r.Summary()
	}
	fmt.Fprintln(w, line)
}

func printSummary(w io.Writer, s reports.Summary, elapsed time.Duration) {
	fmt.Fprintf(w, "\n%d cases in %s: %d passed, %d failed, %d warned, %d skipped, %d errored\n",
		s.Total, elapsed.Round(time.Millisecond), s.Passed, s.Failed, s.Warned, s.Skipped, s.Errored)
	keys := make([]string, 0, len(s.SkippedByFixture))
	for key := range s.SkippedByFixture {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		fmt.Fprintf(w, "  %3d skipped for want of fixtures.%s\n", s.SkippedByFixture[key], key)
	}
	if len(keys) > 0 {
		fmt.Fprintln(w, "  (configure those fixtures to check the whole contract; --require all turns these skips into failures)")
	}
}

func exitCode(s reports.Summary) int {
	switch {
	case s.Errored > 0 && s.Errored == s.Total-s.Skipped:
		return ExitUnreachable
	case s.Failed > 0 || s.Errored > 0:
		return ExitFailed
	}
	return ExitOK
}
