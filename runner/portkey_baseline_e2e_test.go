package runner_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/reports"
)

// Through Portkey with its upstream (the reference) as a live baseline:
// the upstream fails none of explore's variants, so every failure explore
// finds through Portkey (its clamped ranges, its failed success streams)
// is Portkey's own, new, and --fail-on new fails on them; with that run's
// report as the baseline, every failure is inherited and --fail-on new
// exits 0.
func TestThroughPortkeyWithItsUpstreamAsBaseline(t *testing.T) {
	node, entry := portkeyInstall(t)
	dir := t.TempDir()
	refCfgPath, refPort, pkURL := startReferenceAndPortkey(t, dir, node, entry)
	refV1 := "http://127.0.0.1:" + strconv.Itoa(refPort) + "/v1"
	cfg := writeGatewayConfig(t, readYAMLMap(t, refCfgPath), filepath.Join(dir, "portkey.yaml"), pkURL+"/v1", map[string]string{
		"x-portkey-provider":    "openai",
		"x-portkey-custom-host": refV1,
	})

	first := filepath.Join(dir, "first.json")
	out := errconform(t, nil, "explore", "--config", cfg, "--quiet", "--json", first, "--deadline", "90s", "--baseline", refV1, "--fail-on", "new")
	require.Equal(t, 1, out.code, "Portkey's own failures are new:\n%s%s", out.stdout, out.stderr)
	rep := readFleetReport(t, first)
	require.Len(t, rep.Targets, 1)
	part := rep.Targets[0]
	require.NotNil(t, part.Baseline)
	failed := 0
	for _, c := range part.Cases {
		if c.Verdict != check.Failed {
			continue
		}
		failed++
		require.NotNil(t, c.Baseline, c.ID)
		assert.True(t, c.Baseline.Compared, "%s: the upstream judged it", c.ID)
		assert.Equal(t, check.New, c.CaseClass(), "%s: the upstream does not fail so: Portkey's own", c.ID)
	}
	assert.Positive(t, failed)
	assert.Zero(t, part.Baseline.Summary.Findings.Inherited, "the upstream fails none of them")

	second := filepath.Join(dir, "second.json")
	out = errconform(t, nil, "explore", "--config", cfg, "--quiet", "--json", second, "--deadline", "90s", "--baseline", first, "--fail-on", "new")
	assert.Equal(t, 0, out.code, "against its own earlier run every failure is inherited:\n%s%s", out.stdout, out.stderr)
	again := readFleetReport(t, second).Targets[0]
	require.NotNil(t, again.Baseline)
	assert.Zero(t, again.Baseline.Summary.Findings.New)
	assert.Positive(t, again.Baseline.Summary.Findings.Inherited)
}

// The gateway case: Portkey in front of an upstream that fails
// explore's variants of its own (a mutant serving settings outside their
// enum), with that upstream as the live baseline. The upstream's failures,
// which pass through Portkey unchanged, are inherited; what is left new is
// Portkey's own (a failure it has in front of the conforming reference
// too, or a stream the upstream serves that Portkey then fails, as it
// fails every successful stream), and --fail-on new fails on those alone.
func TestThroughPortkeyTheUpstreamsFailuresAreInherited(t *testing.T) {
	node, entry := portkeyInstall(t)
	dir := t.TempDir()
	refCfgPath, refPort, pkURL := startReferenceAndPortkey(t, dir, node, entry)
	upstream := exploreMutantByName(t, "ignore-unknown-enum")
	mutantCfgPath, mutantCfg := serveReferenceWith(t, upstream.Wrap, nil)
	mutantV1 := mutantCfg.Target.BaseURL

	explore := func(name, cfg string, args ...string) (int, reports.TargetReport, string) {
		path := filepath.Join(dir, name+".json")
		out := errconform(t, nil, append([]string{"explore", "--config", cfg, "--quiet", "--json", path, "--deadline", "90s"}, args...)...)
		rep := readFleetReport(t, path)
		require.Len(t, rep.Targets, 1, out.stdout+out.stderr)
		return out.code, rep.Targets[0], out.stdout + out.stderr
	}
	// Portkey's own failures: in front of the conforming reference.
	refV1 := "http://127.0.0.1:" + strconv.Itoa(refPort) + "/v1"
	_, own, _ := explore("own", writeGatewayConfig(t, readYAMLMap(t, refCfgPath), filepath.Join(dir, "portkey-ref.yaml"), pkURL+"/v1", map[string]string{
		"x-portkey-provider": "openai", "x-portkey-custom-host": refV1,
	}))
	portkeyFails := map[string]bool{}
	for _, c := range own.Cases {
		portkeyFails[c.ID] = c.Verdict == check.Failed
	}

	cfg := writeGatewayConfig(t, readYAMLMap(t, mutantCfgPath), filepath.Join(dir, "portkey-mutant.yaml"), pkURL+"/v1", map[string]string{
		"x-portkey-provider": "openai", "x-portkey-custom-host": mutantV1,
	})
	code, part, output := explore("through", cfg, "--baseline", mutantV1, "--fail-on", "new")
	require.NotNil(t, part.Baseline, output)
	var inherited, fresh []string
	upstreamOnly := 0 // inherited failures Portkey does not have in front of the reference
	for _, c := range part.Cases {
		if c.Verdict != check.Failed {
			continue
		}
		require.NotNil(t, c.Baseline, c.ID)
		switch c.CaseClass() {
		case check.Inherited:
			inherited = append(inherited, c.ID)
			assert.True(t, c.Baseline.Compared, "%s: the upstream judged it", c.ID)
			if !portkeyFails[c.ID] {
				upstreamOnly++
			}
		case check.New:
			fresh = append(fresh, c.ID)
			// Portkey's own: a failure it has in front of the conforming
			// reference too, or a stream the upstream serves (it accepts
			// the invalid setting) that Portkey then fails, as it fails
			// every successful stream (testdata/portkey/expected-deviations.txt):
			// not the upstream's observation, so not inherited.
			assert.True(t, portkeyFails[c.ID] || strings.HasSuffix(c.ID, "/stream"),
				"%s is new: Portkey fails it in front of the conforming reference too, or fails the stream the upstream served", c.ID)
		}
	}
	assert.NotEmpty(t, inherited, "the upstream's failures pass through Portkey and are inherited")
	assert.Positive(t, upstreamOnly, "some inherited failures are the upstream's alone (settings outside their enum)")
	assert.NotEmpty(t, fresh, "Portkey's own failures are new")
	assert.Equal(t, 1, code, "--fail-on new fails on Portkey's own failures:\n%s", output)
	t.Logf("through Portkey in front of %s: %d inherited, %d new", upstream.Name, len(inherited), len(fresh))
}
