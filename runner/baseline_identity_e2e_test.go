package runner_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
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
