package runner_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

// baselineRun runs errconform against cfgPath with the extra flags and
// returns its exit, its output and its JSON report.
func baselineRun(t *testing.T, cfgPath string, flags ...string) (outcome, reports.JSONReport) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.json")
	args := append([]string{"run", "--config", cfgPath, "--label-filter", "!group:ratelimit", "--json", path}, flags...)
	out := errconform(t, nil, args...)
	require.FileExists(t, path, out.stdout+out.stderr)
	return out, readFleetReport(t, path)
}

// classes counts a target's findings by class, and its judged cases
// without a classification.
func classes(t *testing.T, part reports.TargetReport) (map[check.Class]int, int) {
	t.Helper()
	n, unclassified := map[check.Class]int{}, 0
	for _, c := range part.Cases {
		if c.Baseline == nil {
			if check.BaselineOf(c.Verdict, nil).Judged {
				unclassified++
			}
			continue
		}
		require.Len(t, c.Baseline.Findings, len(c.Findings), c.ID)
		for _, class := range c.Baseline.Findings {
			n[class]++
		}
		n[check.Fixed] += len(c.Baseline.Fixed)
	}
	return n, unclassified
}

// asIs serves the reference unchanged.
func asIs(h http.Handler) http.Handler { return h }

// A reference and a mutant of it: with the reference as the mutant's
// baseline every finding is new; with the mutant as its own baseline every
// finding is inherited, and --fail-on new exits 0 where --fail-on any
// exits 1; the reference against the mutant has fixed every finding.
func TestBaselineClassifiesAMutantAgainstItsReference(t *testing.T) {
	m, ok := mutants.ByName("text-plain-errors")
	require.True(t, ok)
	refCfg, _ := serveReferenceWith(t, asIs, nil)
	mutCfg, _ := serveReferenceWith(t, m.Wrap, nil)
	dir := t.TempDir()
	refJSON, mutJSON := filepath.Join(dir, "ref.json"), filepath.Join(dir, "mut.json")
	require.Equal(t, 0, errconform(t, nil, "run", "--config", refCfg, "--quiet", "--label-filter", "!group:ratelimit", "--json", refJSON).code)
	out := errconform(t, nil, "run", "--config", mutCfg, "--quiet", "--label-filter", "!group:ratelimit", "--json", mutJSON)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)

	outs := t.TempDir()
	file := func(name string) string { return filepath.Join(outs, name) }
	out, rep := baselineRun(t, mutCfg, "--baseline", refJSON, "--fail-on", "new", "--junit", file("junit.xml"), "--ctrf", file("ctrf.json"),
		"--markdown", file("summary.md"), "--html", file("report.html"), "--metrics", file("run.prom"))
	assert.Equal(t, 1, out.code, "every finding is new: --fail-on new fails\n"+out.stdout+out.stderr)
	n, unclassified := classes(t, rep.Targets[0])
	assert.Positive(t, n[check.New])
	assert.Zero(t, n[check.Inherited])
	assert.Zero(t, n[check.Fixed])
	assert.Zero(t, unclassified, "every judged case is classified")
	b := rep.Targets[0].Baseline
	require.NotNil(t, b)
	assert.Equal(t, n[check.New], b.Summary.Findings.New)
	assert.Equal(t, check.FailOnNew, b.FailOn)
	assert.Equal(t, refJSON, b.Report)
	assert.Contains(t, out.stdout, "baseline: ")
	assert.Contains(t, out.stdout, " new, 0 inherited, 0 fixed")
	// Every format shows the classification.
	read := func(name string) string {
		data, err := os.ReadFile(file(name))
		require.NoError(t, err)
		return string(data)
	}
	junit := read("junit.xml")
	assert.Contains(t, junit, `name="errconform.baseline.new"`)
	assert.Contains(t, junit, `name="errconform.baseline.inherited" value="0"`)
	assert.Contains(t, junit, `message="new: `)
	assert.Contains(t, read("ctrf.json"), `"baseline_class": "new"`)
	assert.Contains(t, read("summary.md"), "Against the baseline: ")
	assert.Contains(t, read("summary.md"), "#### New: failing here, not in the baseline")
	assert.Contains(t, read("report.html"), `data-class="new"`)
	assert.Contains(t, read("report.html"), `data-baseline-class="new"`)
	assert.Contains(t, read("run.prom"), `errconform_baseline_findings{class="inherited"`)

	for _, tc := range []struct {
		failOn string
		code   int
	}{{"new", 0}, {"any", 1}, {"", 1}} {
		flags := []string{"--baseline", mutJSON}
		if tc.failOn != "" {
			flags = append(flags, "--fail-on", tc.failOn)
		}
		out, rep := baselineRun(t, mutCfg, flags...)
		assert.Equal(t, tc.code, out.code, "--fail-on %q\n%s%s", tc.failOn, out.stdout, out.stderr)
		n, _ := classes(t, rep.Targets[0])
		assert.Zero(t, n[check.New], "the mutant against itself: nothing new (--fail-on %q)", tc.failOn)
		assert.Positive(t, n[check.Inherited])
		assert.Positive(t, rep.Targets[0].Summary.Failed, "inherited failures are still reported as failed")
		if tc.failOn == "new" {
			// A baseline report may come from a pull request: the last
			// line says what the exit code let pass.
			lines := strings.Split(strings.TrimSpace(out.stdout), "\n")
			assert.Contains(t, lines[len(lines)-1], "--fail-on new: ", "the last line says inherited failures passed")
			assert.Contains(t, lines[len(lines)-1], "inherited from the baseline do not fail the gate")
		}
		for _, c := range rep.Targets[0].Cases {
			if c.Verdict == check.Failed {
				assert.Equal(t, check.Inherited, c.CaseClass(), c.ID)
			}
		}
	}

	out, rep = baselineRun(t, refCfg, "--baseline", mutJSON)
	assert.Equal(t, 0, out.code, out.stdout+out.stderr)
	n, _ = classes(t, rep.Targets[0])
	assert.Positive(t, n[check.Fixed], "the reference fixed the mutant's findings")
	assert.Equal(t, n[check.Fixed], rep.Targets[0].Baseline.Summary.Findings.Fixed)
}

// A bad --fail-on (or fail_on:) is a usage error naming it, before
// anything is sent; a baseline judged by another contract is compared with
// a warning; a missing baseline report is a usage error.
func TestBaselineRefusalsAndWarnings(t *testing.T) {
	refCfg, _ := serveReferenceWith(t, asIs, nil)
	out := errconform(t, nil, "run", "--config", refCfg, "--fail-on", "regressions")
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "--fail-on")
	assert.Contains(t, out.stderr, "regressions")

	out = errconform(t, []string{"ERRCONFORM_FAIL_ON=sometimes"}, "run", "--config", refCfg)
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "ERRCONFORM_FAIL_ON")

	out = errconform(t, nil, "run", "--config", refCfg, "--baseline", filepath.Join(t.TempDir(), "none.json"))
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "--baseline")

	refJSON := filepath.Join(t.TempDir(), "ref.json")
	require.Equal(t, 0, errconform(t, nil, "run", "--config", refCfg, "--quiet", "--label-filter", "!group:ratelimit", "--json", refJSON).code)
	var doc map[string]any
	data, err := os.ReadFile(refJSON)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &doc))
	firstTarget(t, doc)["contract"].(map[string]any)["digest"] = "sha256:" + strings.Repeat("0", 64)
	data, err = json.Marshal(doc)
	require.NoError(t, err)
	other := filepath.Join(t.TempDir(), "other-contract.json")
	require.NoError(t, os.WriteFile(other, data, 0o600))
	out, _ = baselineRun(t, refCfg, "--baseline", other)
	assert.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "WARNING")
	assert.Contains(t, out.stderr, "sha256:"+strings.Repeat("0", 64))

	out, _ = baselineRun(t, refCfg, "--baseline", refJSON)
	assert.NotContains(t, out.stderr, "WARNING", "the same contract: no warning")

	out, _ = baselineRun(t, refCfg, "--fail-on", "new")
	assert.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "--fail-on new without a baseline")
}

// serveTwins serves one reference twice, as it is and wrapped, on
// 127.0.0.1 (one set of keys: the baseline is sent the target's), and
// writes the wrapped one's config: a gateway and its upstream.
func serveTwins(t *testing.T, wrap func(http.Handler) http.Handler) (plainURL, wrappedURL, cfgPath string) {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond, RateWindow: 300 * time.Millisecond})
	plain, wrapped := httptest.NewServer(ref), httptest.NewServer(wrap(ref))
	t.Cleanup(plain.Close)
	t.Cleanup(wrapped.Close)
	cfg := ref.Config(wrapped.URL + "/v1")
	cfg.Target.GatewayTimeout = config.Duration(5 * time.Second)
	data, err := cfg.Marshal()
	require.NoError(t, err)
	cfgPath = filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(cfgPath, data, 0o600))
	return plain.URL + "/v1", wrapped.URL + "/v1", cfgPath
}

// A live baseline: the run sends every selected case to the baseline's
// URL too (or to an embedded reference) and classifies against what came
// back; the baseline is no target of the reports.
func TestLiveBaselineClassifiesAMutantAgainstItsReference(t *testing.T) {
	m, ok := mutants.ByName("text-plain-errors")
	require.True(t, ok)
	refURL, mutURL, mutCfg := serveTwins(t, m.Wrap)
	for _, tc := range []struct {
		name, baseline string
		code           int
		newFindings    bool
	}{
		{"the reference as baseline: every finding new", refURL, 1, true},
		{"the embedded reference as baseline: every finding new", "reference", 1, true},
		{"the mutant as its own baseline: every finding inherited", mutURL, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, rep := baselineRun(t, mutCfg, "--baseline", tc.baseline, "--fail-on", "new")
			assert.Equal(t, tc.code, out.code, out.stdout+out.stderr)
			require.Len(t, rep.Targets, 1, "the baseline is no target of the report")
			n, unclassified := classes(t, rep.Targets[0])
			assert.Zero(t, unclassified)
			if tc.newFindings {
				assert.Positive(t, n[check.New])
				assert.Zero(t, n[check.Inherited])
			} else {
				assert.Zero(t, n[check.New])
				assert.Positive(t, n[check.Inherited])
				assert.Positive(t, rep.Targets[0].Summary.Failed, "inherited failures are still reported")
			}
			assert.Equal(t, tc.baseline, rep.Targets[0].Baseline.Report)
			assert.NotContains(t, out.stderr, "not testable")
		})
	}
}

// In a fleet each target has its own baseline (baseline: per entry), and
// a sharded run's classification travels in its shards: merged, the
// counts and the exit are the unsharded run's.
func TestFleetBaselinesPerTargetAndAcrossShards(t *testing.T) {
	gw := fleetEntry(t, "gw", mutantByName(t, "text-plain-errors").Wrap, nil)
	gw["baseline"] = "reference"
	cfg := writeFleet(t, map[string]any{"fail_on": "new"}, gw, map[string]any{"name": "ref", "base_url": "reference"})
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.json")
	out := errconform(t, nil, "run", "--config", cfg, "--quiet", "--label-filter", "!group:ratelimit", "--json", whole)
	require.Equal(t, 1, out.code, "gw's findings are new\n"+out.stdout+out.stderr)
	assert.Contains(t, out.stdout, "gw: baseline: ")
	rep := readFleetReport(t, whole)
	require.Len(t, rep.Targets, 2, "the baseline is no target of the report")
	require.NotNil(t, rep.Targets[0].Baseline, rep.Targets[0].Name)
	assert.Positive(t, rep.Targets[0].Baseline.Summary.Findings.New)
	assert.Nil(t, rep.Targets[1].Baseline, "ref has no baseline")

	var shards []string
	for i := 0; i < 2; i++ {
		path := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		out := errconform(t, []string{fmt.Sprintf("ERRCONFORM_SHARD=%d/2", i)}, "run", "--config", cfg, "--quiet", "--label-filter", "!group:ratelimit", "--json", path)
		require.Contains(t, []int{0, 1}, out.code, out.stdout+out.stderr)
		shards = append(shards, path)
	}
	merged := filepath.Join(dir, "merged.json")
	out = errconform(t, nil, append(append([]string{"merge"}, shards...), "--json", merged)...)
	assert.Equal(t, 1, out.code, out.stdout+out.stderr)
	got := readFleetReport(t, merged)
	require.NotNil(t, got.Targets[0].Baseline)
	assert.Equal(t, rep.Targets[0].Baseline.Summary, got.Targets[0].Baseline.Summary)
}
