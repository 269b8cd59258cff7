package runner_test

import (
	"encoding/xml"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reports"
)

// fleetEntry serves a reference (wrapped: a mutant) on 127.0.0.1 and
// returns its entry of a targets: list.
func fleetEntry(t *testing.T, name string, wrap func(http.Handler) http.Handler, edit func(*config.Config)) map[string]any {
	t.Helper()
	_, cfg := serveReferenceWith(t, wrap, edit)
	data, err := cfg.Marshal()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(data, &doc))
	entry := map[string]any{"name": name}
	for k, v := range doc["target"].(map[string]any) {
		entry[k] = v
	}
	for _, k := range []string{"auth", "fixtures", "contract"} {
		if v, ok := doc[k]; ok {
			entry[k] = v
		}
	}
	return entry
}

// writeFleet writes a config whose targets: list holds entries, with top
// as its other keys.
func writeFleet(t *testing.T, top map[string]any, entries ...map[string]any) string {
	t.Helper()
	doc := map[string]any{"targets": entries}
	for k, v := range top {
		doc[k] = v
	}
	data, err := yaml.Marshal(doc)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestFleetRunWritesOneReportOfEveryTarget(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFleet(t, map[string]any{"limits": map[string]any{"concurrency": 4}},
		map[string]any{"name": "alpha", "base_url": "reference"},
		map[string]any{"name": "beta", "base_url": "reference", "contract": "openrouter"},
		fleetEntry(t, "gamma", mutantByName(t, "openai-401-type").Wrap, nil))
	p := func(name string) string { return filepath.Join(dir, name) }
	out := errconform(t, nil, "run", "--config", cfg, "--json", p("r.json"), "--junit", p("r.xml"), "--html", p("r.html"), "--markdown", p("r.md"), "--ctrf", p("r.ctrf"))
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, "checking 3 targets concurrently")
	assert.Regexp(t, `\[gamma\] \[ *\d+/\d+\] FAIL`, out.stdout, "a fleet line names its target and is numbered")

	rep := readJSONReport(t, p("r.json")) // validated against the schema
	require.Equal(t, reports.FleetSchemaVersion, rep.SchemaVersion)
	require.Len(t, rep.Targets, 3)
	byName := map[string]reports.TargetReport{}
	total := 0
	for _, tr := range rep.Targets {
		byName[tr.Name] = tr
		total += tr.Summary.Total
		assert.Equal(t, reports.OutcomeCompleted, tr.Outcome)
	}
	assert.Equal(t, total, rep.Summary.Total)
	assert.Equal(t, "aiand", byName["alpha"].Contract.Name)
	assert.Equal(t, "openrouter", byName["beta"].Contract.Name)
	assert.Zero(t, byName["alpha"].Summary.Failed)
	assert.Positive(t, byName["gamma"].Summary.Failed)
	assert.NotEmpty(t, byName["gamma"].Groups)
	assert.Empty(t, rep.Cases, "a fleet's cases are in its targets")

	var junit reporters.JUnitTestSuites
	data, err := os.ReadFile(p("r.xml"))
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(data, &junit))
	require.Len(t, junit.TestSuites, 3, "one testsuite per target")
	for i, name := range []string{"alpha", "beta", "gamma"} {
		assert.Equal(t, "errconform: "+name, junit.TestSuites[i].Name)
		assert.Len(t, junit.TestSuites[i].TestCases, byName[name].Summary.Total)
	}
	assert.Equal(t, byName["gamma"].Summary.Failed, junit.TestSuites[2].Failures)

	html, err := os.ReadFile(p("r.html"))
	require.NoError(t, err)
	md, err := os.ReadFile(p("r.md"))
	require.NoError(t, err)
	anchor := `href="#failures-gamma-401-`
	assert.Contains(t, string(html), anchor, "a failing cell links to its failures")
	assert.Contains(t, string(html), `id="failures-gamma-401-`)
	assert.Contains(t, string(md), "](#failures-gamma-401-")
	assert.Contains(t, string(md), "#### failures gamma 401")
}

func TestFleetTargetThatFailsItsPreflightDoesNotStopTheOthers(t *testing.T) {
	down := closedPort(t)
	tests := []struct {
		name     string
		entries  []map[string]any
		code     int
		outcomes map[string]string
	}{
		{"one target down", []map[string]any{
			{"name": "up", "base_url": "reference"},
			{"name": "down", "base_url": "http://" + down + "/v1", "auth": map[string]any{"api_key": "sk-zz-Q7wP2mN8xL4kV9tR"}},
		}, 3, map[string]string{"up": reports.OutcomeCompleted, "down": reports.OutcomeUnreachable}},
		{"one target rejects its key", []map[string]any{
			{"name": "up", "base_url": "reference"},
			fleetEntry(t, "rejects", func(h http.Handler) http.Handler { return h }, func(c *config.Config) { c.Auth.APIKey = "sk-qq-H3jK8sD2fG6hJ1zX" }),
		}, 3, map[string]string{"up": reports.OutcomeCompleted, "rejects": reports.OutcomeRejected}},
		{"every target rejects its key", []map[string]any{
			fleetEntry(t, "rejects", func(h http.Handler) http.Handler { return h }, func(c *config.Config) { c.Auth.APIKey = "sk-qq-H3jK8sD2fG6hJ1zX" }),
		}, 3, map[string]string{"rejects": reports.OutcomeRejected}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.json")
			out := errconform(t, nil, "run", "--config", writeFleet(t, nil, tt.entries...), "--quiet", "--json", path)
			require.Equal(t, tt.code, out.code, out.stdout+out.stderr)
			rep := readJSONReport(t, path)
			for _, tr := range rep.Targets {
				assert.Equal(t, tt.outcomes[tr.Name], tr.Outcome, tr.Name)
				if tr.Outcome == reports.OutcomeCompleted {
					assert.Zero(t, tr.Summary.Failed+tr.Summary.Errored, tr.Name)
					continue
				}
				assert.NotEmpty(t, tr.Reason)
				require.NotNil(t, tr.NotTestable, tr.Name)
				for _, c := range tr.Cases {
					// the controls too: not testable, nothing passed or failed
					assert.Equal(t, check.Errored, c.Verdict, c.ID)
					assert.Equal(t, tr.Reason, c.Reason, c.ID)
				}
			}
		})
	}
}

func TestFleetSelectionAndConfigErrorsExit2(t *testing.T) {
	fleet := writeFleet(t, nil, map[string]any{"name": "eu-west", "base_url": "reference"}, map[string]any{"name": "us-east", "base_url": "reference"})
	bad := writeFleet(t, nil, map[string]any{"name": "a", "base_url": "reference"}, map[string]any{"name": "b", "base_url": "ftp://x/v1", "auth": map[string]any{"api_key": "k"}})
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"a filter matching one target", nil, []string{"run", "--config", fleet, "--target-filter", "eu-*", "--quiet"}, 0, "1 targets, "},
		{"a filter from the environment", []string{"ERRCONFORM_TARGET_FILTER=us-*"}, []string{"run", "--config", fleet, "--quiet"}, 0, "us-east"},
		{"a filter matching none", nil, []string{"run", "--config", fleet, "--target-filter", "ap-*"}, 2, `--target-filter "ap-*" matches no target (the targets are eu-west, us-east)`},
		{"a filter without targets", nil, []string{"run", "--target", "reference", "--target-filter", "x"}, 2, "no targets: list"},
		{"--target beside targets", nil, []string{"run", "--config", fleet, "--target", "reference"}, 2, "cannot be combined with the targets: list"},
		{"a bad URL in a target", nil, []string{"run", "--config", bad}, 2, "targets[1].base_url"},
		{"config check names it too", nil, []string{"config", "check", bad}, 2, "targets[1].base_url"},
		{"config check of a fleet", nil, []string{"config", "check", fleet}, 0, "valid: 2 targets (eu-west, us-east)"},
		{"a bad shard", nil, []string{"run", "--config", fleet, "--shard", "4/4"}, 2, "I must be at least 0 and less than N"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, tt.env, tt.args...)
			require.Equal(t, tt.code, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stdout+out.stderr, tt.want)
		})
	}
}

// verdicts are a fleet report's verdicts, findings and groups per target:
// what merged shards must reproduce exactly.
type fleetVerdicts struct {
	Name     string
	Outcome  string
	Cases    [][3]string
	Groups   []reports.Group
	Summary  reports.Summary
	Selected []string
}

func verdictsOf(rep reports.JSONReport) []fleetVerdicts {
	var out []fleetVerdicts
	for _, t := range rep.Targets {
		v := fleetVerdicts{Name: t.Name, Outcome: t.Outcome, Groups: t.Groups, Summary: t.Summary, Selected: t.Settings.Selected}
		for _, c := range t.Cases {
			v.Cases = append(v.Cases, [3]string{c.ID, string(c.Verdict), check.Headline(c.Findings, c.Reason)})
		}
		out = append(out, v)
	}
	return out
}

func TestFourShardsMergedEqualTheUnshardedRun(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFleet(t, nil,
		map[string]any{"name": "ref", "base_url": "reference"},
		fleetEntry(t, "broken", mutantByName(t, "openai-401-type").Wrap, nil))
	whole := filepath.Join(dir, "whole.json")
	out := errconform(t, nil, "run", "--config", cfg, "--quiet", "--json", whole)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	var shards []string
	for i := 0; i < 4; i++ {
		path := filepath.Join(dir, "shard-"+string(rune('0'+i))+".json")
		env := []string{"ERRCONFORM_SHARD=" + string(rune('0'+i)) + "/4"}
		out := errconform(t, env, "run", "--config", cfg, "--quiet", "--json", path)
		require.Contains(t, []int{0, 1}, out.code, out.stdout+out.stderr)
		shards = append(shards, path)
		rep := readJSONReport(t, path)
		require.NotNil(t, rep.Shard)
		assert.Equal(t, reports.ShardInfo{Index: i, Count: 4}, *rep.Shard)
	}
	merged := filepath.Join(dir, "merged.json")
	args := append([]string{"merge"}, shards...)
	out = errconform(t, nil, append(args, "--json", merged, "--junit", filepath.Join(dir, "m.xml"), "--html", filepath.Join(dir, "m.html"),
		"--markdown", filepath.Join(dir, "m.md"), "--ctrf", filepath.Join(dir, "m.ctrf"))...)
	require.Equal(t, 1, out.code, "merge exits as the unsharded run: "+out.stdout+out.stderr)
	want, got := readJSONReport(t, whole), readJSONReport(t, merged)
	assert.Equal(t, verdictsOf(want), verdictsOf(got))
	assert.Equal(t, want.Summary, got.Summary)
	assert.Nil(t, got.Shard)
	diff := errconform(t, nil, "diff", whole, merged)
	assert.Equal(t, 0, diff.code, diff.stdout+diff.stderr)
	assert.Contains(t, diff.stdout, "0 regressions")

	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"a shard missing", shards[:3], "shard(s) 3/4 missing"},
		{"a shard twice", append([]string{shards[0]}, shards...), "are both shard 0/4"},
		{"not a shard", append([]string{whole}, shards[1:]...), "is not a shard's report"},
		{"nothing", nil, "takes the shards' JSON reports"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, nil, append([]string{"merge"}, tt.args...)...)
			assert.Equal(t, 2, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stderr, tt.want)
		})
	}
}

func TestMetricsFileOfAFleetAndOfItsMerge(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFleet(t, nil, map[string]any{"name": "alpha", "base_url": "reference"},
		map[string]any{"name": "beta", "base_url": "reference", "contract": "openrouter"})
	prom := filepath.Join(dir, "run.prom")
	out := errconform(t, nil, "run", "--config", cfg, "--quiet", "--metrics", prom, "--shard", "0/2", "--json", filepath.Join(dir, "s0.json"))
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	out = errconform(t, nil, "run", "--config", cfg, "--quiet", "--shard", "1/2", "--json", filepath.Join(dir, "s1.json"))
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	merged := filepath.Join(dir, "merged.prom")
	out = errconform(t, nil, "merge", filepath.Join(dir, "s0.json"), filepath.Join(dir, "s1.json"), "--metrics", merged)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	for _, path := range []string{prom, merged} {
		f, err := os.Open(path)
		require.NoError(t, err)
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(f)
		f.Close()
		require.NoError(t, err, path)
		cases := families["errconform_cases"]
		require.NotNil(t, cases, path)
		perTarget := map[string]float64{}
		for _, m := range cases.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			perTarget[labels["target"]+"/"+labels["contract"]] += m.GetGauge().GetValue()
		}
		assert.Contains(t, perTarget, "alpha/aiand", path)
		assert.Contains(t, perTarget, "beta/openrouter", path)
		if path == merged {
			assert.Equal(t, float64(len(catalogueIDs())), perTarget["alpha/aiand"], "the merge's metrics count every case")
		}
	}
}
