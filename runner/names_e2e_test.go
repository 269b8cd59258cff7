package runner_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/metrics/metricstest"
)

// gatewayFamilies reads what a Pushgateway exposes.
func gatewayFamilies(t *testing.T, gateway string) families {
	t.Helper()
	resp, err := http.Get(gateway + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families(fams)
}

// Runs of single targets pushed to one Pushgateway keep a group each: by
// --name, else by the target's host[:port] ("reference" for the embedded
// reference), never "default", and each run's tags are labels of its
// series and of its grouping key. The name and tags are in every report.
func TestSingleTargetsKeepTheirOwnSeriesOnOnePushgateway(t *testing.T) {
	gateway := metricstest.StartPushgateway(t)
	served, cfg := serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, func(c *config.Config) {
		c.Tags = map[string]string{"team": "gateway", "build": "${ERRCONFORM_TEST_BUILD}"}
	})
	// The file's ${VAR} is not in public_env: the tag's value is a secret.
	data, err := os.ReadFile(served)
	require.NoError(t, err)
	require.Contains(t, string(data), "${ERRCONFORM_TEST_BUILD}")
	const buildSecret = "build-7f3a9c2e41d8"
	host := strings.TrimPrefix(strings.TrimSuffix(cfg.Target.BaseURL, "/v1"), "http://")

	dir := t.TempDir()
	passed := map[string]float64{} // per target: what its own run's report says
	runs := []struct {
		name, label string
		env, args   []string
	}{
		{"--name alpha", "alpha", nil, []string{"--target", "reference", "--name", "alpha", "--tag", "env=staging", "--case", "auth/missing-header/models-list"}},
		{"--name beta", "beta", nil, []string{"--target", "reference", "--name", "beta", "--tag", "env=staging", "--case", "auth/missing-header/*"}},
		{"no --name: the host", host, []string{"ERRCONFORM_TEST_BUILD=" + buildSecret}, []string{"--config", served, "--tag", "env=staging", "--case", "auth/missing-header/models-list"}},
	}
	for i, r := range runs {
		prefix := filepath.Join(dir, r.label)
		if i == 2 {
			prefix = filepath.Join(dir, "host")
		}
		args := append([]string{"run", "--quiet", "--pushgateway", gateway, "--json", prefix + ".json", "--junit", prefix + ".xml",
			"--markdown", prefix + ".md", "--html", prefix + ".html", "--ctrf", prefix + ".ctrf.json"}, r.args...)
		out := errconform(t, r.env, args...)
		require.Equal(t, 0, out.code, "%s: %s", r.name, out.stdout+out.stderr)
		assert.NotContains(t, out.stdout+out.stderr, buildSecret)

		rep := readJSONReport(t, prefix+".json")
		require.NotNil(t, rep.Settings)
		assert.Equal(t, r.label, rep.Settings.Name, r.name)
		assert.Equal(t, "staging", rep.Settings.Tags["env"], r.name)
		passed[r.label] = float64(rep.Summary.Passed)
		var junit struct {
			Suites []struct {
				Name       string `xml:"name,attr"`
				Properties []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"properties>property"`
			} `xml:"testsuite"`
		}
		data, err := os.ReadFile(prefix + ".xml")
		require.NoError(t, err)
		require.NoError(t, xml.Unmarshal(data, &junit))
		require.Len(t, junit.Suites, 1)
		assert.Equal(t, "errconform: "+r.label, junit.Suites[0].Name)
		props := map[string]string{}
		for _, p := range junit.Suites[0].Properties {
			props[p.Name] = p.Value
		}
		assert.Equal(t, "staging", props["errconform.tag.env"], r.name)
		md, err := os.ReadFile(prefix + ".md")
		require.NoError(t, err)
		assert.Contains(t, string(md), "`"+r.label+"` · tag `", r.name)
		assert.Contains(t, string(md), " · tag `env=staging` · ", r.name)
		html, err := os.ReadFile(prefix + ".html")
		require.NoError(t, err)
		assert.Contains(t, string(html), `<dd class="mono" id="target-name">`+r.label+`</dd>`, r.name)
		assert.Contains(t, string(html), "env=staging", r.name)
		var ctrf struct {
			Results struct {
				Summary struct {
					Extra map[string]any `json:"extra"`
				} `json:"summary"`
			} `json:"results"`
		}
		data, err = os.ReadFile(prefix + ".ctrf.json")
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &ctrf))
		assert.Equal(t, r.label, ctrf.Results.Summary.Extra["target"], r.name)
		assert.Equal(t, map[string]any{"env": "staging"}, onlyKey(ctrf.Results.Summary.Extra["tags"], "env"), r.name)
		for _, ext := range []string{".json", ".xml", ".md", ".html", ".ctrf.json"} {
			data, err := os.ReadFile(prefix + ext)
			require.NoError(t, err)
			assert.NotContains(t, string(data), buildSecret, "%s%s: a tag from a secret ${VAR} is redacted", r.name, ext)
		}
	}

	require.NotEqual(t, passed["alpha"], passed["beta"], "the runs' counts differ: one overwriting the other would show")
	got := gatewayFamilies(t, gateway)
	for _, r := range runs {
		key := map[string]string{"job": "errconform", "target": r.label, "contract": "aiand", "env": "staging", "verdict": "passed"}
		assert.Equal(t, passed[r.label], got.value("errconform_cases", key), "%s: its own series remain", r.name)
	}
	assert.Len(t, got["push_time_seconds"].GetMetric(), len(runs), "one group per run")
	for _, m := range got["errconform_cases"].GetMetric() {
		l := labelsOf(m)
		assert.NotEqual(t, "default", l["target"])
		assert.NotContains(t, l["build"], buildSecret)
	}
	assert.Equal(t, "gateway", labelOfTarget(got, host, "team"), "the config's tags are labels too")
	assert.Equal(t, "[REDACTED]", labelOfTarget(got, host, "build"), "a tag from a secret ${VAR} is redacted")
}

// labelOfTarget is a label of the target's errconform_contract_info series
// ("" when it has none).
func labelOfTarget(f families, target, label string) string {
	for _, m := range f["errconform_contract_info"].GetMetric() {
		if l := labelsOf(m); l["target"] == target {
			return l[label]
		}
	}
	return ""
}

// onlyKey keeps one key of a JSON object.
func onlyKey(v any, key string) map[string]any {
	m, _ := v.(map[string]any)
	return map[string]any{key: m[key]}
}

// A --name or --tag that could not be a label, and --name with a
// targets: list, exit 2 naming the flag before anything is sent.
func TestNameAndTagsAreCheckedBeforeAnythingIsSent(t *testing.T) {
	fleet := writeFleet(t, nil, map[string]any{"name": "up", "base_url": "reference"})
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"a name with a space", nil, []string{"--name", "staging eu"}, `--name: "staging eu" is not label-safe`},
		{"a name from the environment", []string{"ERRCONFORM_NAME=a/b"}, nil, `ERRCONFORM_NAME (--name): "a/b" is not label-safe`},
		{"a tag key that is no label", nil, []string{"--tag", "build-id=7"}, `--tag build-id=7: key "build-id" is not a label name`},
		{"a tag key errconform sets", nil, []string{"--tag", "target=x"}, `key "target" is a label errconform sets itself`},
		{"a tag with a control character", nil, []string{"--tag", "env=a\x1b[2Jb"}, "a control or non-printable character"},
		{"--name with a targets: list", nil, []string{"--config", fleet, "--name", "x"}, "--name names a single target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run"}, tt.args...)
			if !strings.Contains(strings.Join(tt.args, " "), "--config") {
				args = append(args, "--target", "reference")
			}
			out := errconform(t, tt.env, args...)
			assert.Equal(t, 2, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stderr, tt.want)
			assert.NotContains(t, out.stderr, "\x1b", "the value is printable-escaped")
		})
	}
	bad := filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("target: {base_url: reference, name: \"no good\"}\ntags: {Team-X: a}\n"), 0o600))
	out := errconform(t, nil, "run", "--config", bad)
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "target.name")
}
