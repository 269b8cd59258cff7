package runner_test

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
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
