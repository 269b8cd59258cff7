package runner_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/mutants"
)

// A baseline with its own identity (baseline: {base_url, auth, fixtures}):
// the target is a mutant of a reference with key A, the baseline another
// reference with key B, given in the baseline object (the key by ${VAR},
// the fixtures' keys as they are). The baseline is measured with B (were
// A sent, it would not be testable and every finding new): against the
// reference every finding is new, against the same mutant under B every
// finding inherited and --fail-on new exits 0. Neither reference's key,
// nor any fixture secret, appears in stdout, stderr or any report.
func TestBaselineWithItsOwnIdentity(t *testing.T) {
	mut := mutantByName(t, "text-plain-errors")
	for _, tc := range []struct {
		name  string
		wrap  func(h http.Handler) http.Handler
		code  int
		class check.Class
	}{
		{"the reference as baseline: every finding new", asIs, 1, check.New},
		{"the mutant under other keys as baseline: every finding inherited", mut.Wrap, 0, check.Inherited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, base := serveReferenceWith(t, tc.wrap, nil)
			cfgPath, target := serveReferenceWith(t, mut.Wrap, func(c *config.Config) {
				c.Baseline = config.Baseline{BaseURL: base.Target.BaseURL, Auth: config.Auth{APIKey: "${UP_KEY}"}, Fixtures: base.Fixtures,
					Limits: config.Limits{MaxRPS: 500}}
			})
			require.NotEqual(t, base.Auth.APIKey, target.Auth.APIKey)
			env := []string{"UP_KEY=" + base.Auth.APIKey}
			dir := t.TempDir()
			args := []string{"run", "--config", cfgPath, "--label-filter", "!group:ratelimit", "--fail-on", "new", "--verbose"}
			var files []string
			for _, f := range []string{"junit", "json", "html", "markdown", "ctrf"} {
				p := filepath.Join(dir, "out."+f)
				files = append(files, p)
				args = append(args, "--"+f, p)
			}
			files = append(files, filepath.Join(dir, "m.prom"))
			args = append(args, "--metrics", files[len(files)-1])
			out := errconform(t, env, args...)
			assert.Equal(t, tc.code, out.code, out.stdout+out.stderr)
			assert.NotContains(t, out.stderr, "not testable", "the baseline was sent its own key")

			rep := readFleetReport(t, filepath.Join(dir, "out.json"))
			require.Len(t, rep.Targets, 1)
			n, unclassified := classes(t, rep.Targets[0])
			assert.Zero(t, unclassified)
			assert.Positive(t, n[tc.class], "%v", n)
			other := map[check.Class]check.Class{check.New: check.Inherited, check.Inherited: check.New}[tc.class]
			assert.Zero(t, n[other], "%v", n)

			outputs := map[string]string{"stdout": out.stdout, "stderr": out.stderr}
			for _, f := range files {
				data, err := os.ReadFile(f)
				require.NoError(t, err)
				outputs[filepath.Base(f)] = string(data)
			}
			secrets := map[string]string{}
			for i, s := range target.Secrets() {
				secrets["the target's secret "+string(rune('a'+i))] = s
			}
			for i, s := range base.Secrets() {
				secrets["the baseline's secret "+string(rune('a'+i))] = s
			}
			searchOutputs(t, outputs, secrets)
		})
	}
}

// A baseline object that is wrong names its field and exits 2, before
// anything is sent.
func TestBaselineObjectRefused(t *testing.T) {
	cfgPath, _ := serveReferenceWith(t, asIs, func(c *config.Config) {
		c.Baseline = config.Baseline{BaseURL: "reference", Auth: config.Auth{APIKey: "sk-other-000000001"}}
	})
	out := errconform(t, nil, "run", "--config", cfgPath)
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "baseline.base_url")
	assert.NotContains(t, out.stdout+out.stderr, "sk-other-000000001")
}

// fail_on: new in the config file is refused (exit 2, naming fail_on and
// the remedy, before anything is sent) where a pull request could make
// it green: beside a baseline report, or beside the target itself as
// baseline. The CI job's --fail-on new or ERRCONFORM_FAIL_ON=new is taken
// with a report; fail_on: new from the file with a live baseline at
// another URL is taken too.
func TestFailOnNewFromTheConfigNeedsAMeasuredBaseline(t *testing.T) {
	m := mutantByName(t, "text-plain-errors")
	refURL, mutURL, mutCfg := serveTwins(t, m.Wrap)
	// The forged report: the mutant's own results, claimed as the baseline's.
	forged := filepath.Join(t.TempDir(), "forged.json")
	out := errconform(t, nil, "run", "--config", mutCfg, "--quiet", "--label-filter", "!group:ratelimit", "--json", forged)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	withConfig := func(t *testing.T, extra string) string {
		t.Helper()
		data, err := os.ReadFile(mutCfg)
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "errconform.yaml")
		require.NoError(t, os.WriteFile(path, append(data, []byte(extra)...), 0o600))
		return path
	}
	for _, tc := range []struct {
		name, extra string
		env, flags  []string
		code        int
		want        string
	}{
		{"fail_on: new beside a report: refused", "baseline: " + forged + "\nfail_on: new\n", nil, nil, 2, "fail_on: new"},
		{"fail_on: new beside the target itself: refused", "baseline: " + mutURL + "\nfail_on: new\n", nil, nil, 2, "the target itself"},
		{"--fail-on new beside a report in the file: the CI job's choice", "baseline: " + forged + "\n", nil, []string{"--fail-on", "new"}, 0, ""},
		{"ERRCONFORM_FAIL_ON=new over the file's: the CI job's choice", "baseline: " + forged + "\nfail_on: new\n", []string{"ERRCONFORM_FAIL_ON=new"}, nil, 0, ""},
		{"fail_on: new beside a live baseline: measured", "baseline: " + refURL + "\nfail_on: new\n", nil, nil, 1, ""},
		{"fail_on: any beside a report: nothing to trust", "baseline: " + forged + "\nfail_on: any\n", nil, nil, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := withConfig(t, tc.extra)
			args := append([]string{"run", "--config", cfg, "--label-filter", "!group:ratelimit"}, tc.flags...)
			out := errconform(t, tc.env, args...)
			assert.Equal(t, tc.code, out.code, out.stdout+out.stderr)
			if tc.code == 2 {
				assert.Contains(t, out.stderr, tc.want)
				assert.Contains(t, out.stderr, "errconform.yaml:fail_on", "names the field")
				assert.Contains(t, out.stderr, "--fail-on new (or ERRCONFORM_FAIL_ON=new) in the CI job", "says the remedy")
				assert.Empty(t, out.stdout, "refused before anything was sent")
			}
		})
	}
}

// A target that fixes its baseline's explore failures: the fixed count is
// the same whether or not the run writes a report (a run without one
// keeps its failed variants only), against a live baseline and against
// its report.
func TestExploreFixedCountWithoutAReport(t *testing.T) {
	upstream := exploreMutantByName(t, "ignore-unknown-enum")
	_, base := serveReferenceWith(t, upstream.Wrap, nil)
	cfgPath, _ := serveReferenceWith(t, asIs, func(c *config.Config) {
		c.Baseline = config.Baseline{BaseURL: base.Target.BaseURL, Auth: base.Auth, Fixtures: base.Fixtures}
	})
	dir := t.TempDir()
	baseReport := filepath.Join(dir, "upstream.json")
	baseCfg, _ := serveReferenceWith(t, upstream.Wrap, nil)
	out := errconform(t, nil, "explore", "--config", baseCfg, "--quiet", "--json", baseReport)
	require.Equal(t, 1, out.code, "the upstream fails explore's enum variants\n"+out.stdout+out.stderr)

	line := regexp.MustCompile(`baseline: (\d+) new, (\d+) inherited, (\d+) fixed`)
	for _, tc := range []struct{ name, baseline string }{{"a live baseline", ""}, {"a baseline report", baseReport}} {
		t.Run(tc.name, func(t *testing.T) {
			var flags []string
			if tc.baseline != "" {
				flags = []string{"--baseline", tc.baseline}
			}
			report := filepath.Join(t.TempDir(), "r.json")
			withReport := errconform(t, nil, append([]string{"explore", "--config", cfgPath, "--quiet", "--json", report}, flags...)...)
			bare := errconform(t, nil, append([]string{"explore", "--config", cfgPath, "--quiet"}, flags...)...)
			require.Equal(t, 0, withReport.code, withReport.stdout+withReport.stderr)
			require.Equal(t, 0, bare.code, bare.stdout+bare.stderr)
			want := line.FindStringSubmatch(withReport.stdout)
			require.NotNil(t, want, withReport.stdout)
			assert.NotEqual(t, "0", want[3], "the target fixed the baseline's failures: %s", want[0])
			assert.Equal(t, "0", want[1], want[0])
			got := line.FindStringSubmatch(bare.stdout)
			require.NotNil(t, got, bare.stdout)
			assert.Equal(t, want[0], got[0], "the same counts without a report")
			rep := readFleetReport(t, report)
			assert.Equal(t, want[3], strconv.Itoa(rep.Targets[0].Baseline.Summary.Findings.Fixed))
			assert.NotContains(t, bare.stdout, "did not judge", "the baseline judged every variant")
		})
	}
}

// exploreMutantByName is the explore mutant of that name.
func exploreMutantByName(t *testing.T, name string) mutants.ExploreMutant {
	t.Helper()
	for _, m := range mutants.ExploreMutants() {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no explore mutant %s", name)
	return mutants.ExploreMutant{}
}
