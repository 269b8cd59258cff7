package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

const baselineHead = "target: {base_url: \"http://127.0.0.1:9/v1\", headers: {X-Region: eu, X-Gateway-Token: gwtoken-000000000001}}\n" +
	"auth: {api_key: sk-target-0000000000001}\n" +
	"fixtures: {model: m-target, no_credits_api_key: sk-nocredit-00000000001}\n"

// baseline: is a string (a report, a URL, "reference") or a mapping
// giving a live baseline its own identity; either way it decodes to the
// same Baseline, per fleet member too.
func TestBaselineForms(t *testing.T) {
	env := fakeEnv(map[string]string{"UP_KEY": "sk-upstream-00000000001", "UP_URL": "http://127.0.0.1:10/v1"})
	tests := []struct {
		name, yaml string
		want       config.Baseline
	}{
		{"a report", "baseline: upstream.json\n", config.Baseline{Report: "upstream.json"}},
		{"a URL", "baseline: https://up.example.com/v1\n", config.Baseline{BaseURL: "https://up.example.com/v1"}},
		{"the reference", "baseline: reference\n", config.Baseline{BaseURL: "reference"}},
		{"the object form", "baseline:\n  base_url: ${UP_URL}\n  auth: {api_key: \"${UP_KEY}\"}\n  limits: {max_rps: 3}\n",
			config.Baseline{BaseURL: "http://127.0.0.1:10/v1", Auth: config.Auth{APIKey: "sk-upstream-00000000001"}, Limits: config.Limits{MaxRPS: 3}}},
		{"a report as an object", "baseline: {report: up.json}\n", config.Baseline{Report: "up.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("c.yaml", []byte(baselineHead+tt.yaml), env)
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.Baseline)
		})
	}
	t.Run("a fleet entry's baseline replaces the top level's whole", func(t *testing.T) {
		text := "auth: {api_key: sk-target-0000000000001}\nbaseline: {base_url: \"http://127.0.0.1:11/v1\", auth: {api_key: \"${UP_KEY}\"}}\n" +
			"targets:\n- {name: a, base_url: \"http://127.0.0.1:9/v1\"}\n- {name: b, base_url: \"http://127.0.0.1:9/v1\", baseline: b.json}\n" +
			"- {name: c, base_url: \"http://127.0.0.1:9/v1\", baseline: {base_url: \"http://127.0.0.1:12/v1\"}}\n"
		cfg, err := config.Parse("c.yaml", []byte(text), env)
		require.NoError(t, err)
		require.Len(t, cfg.Fleet, 3)
		assert.Equal(t, "sk-upstream-00000000001", cfg.Fleet[0].Config.Baseline.Auth.APIKey, "inherited")
		assert.Equal(t, config.Baseline{Report: "b.json"}, cfg.Fleet[1].Config.Baseline)
		assert.Equal(t, config.Baseline{BaseURL: "http://127.0.0.1:12/v1"}, cfg.Fleet[2].Config.Baseline, "no key of the top level's baseline")
	})
}

// A baseline with a key of its own gets the target's settings but never
// the target's credentials; its own headers, fixtures and limits win.
func TestBaselineConfig(t *testing.T) {
	parse := func(t *testing.T, baseline string) config.Config {
		t.Helper()
		cfg, err := config.Parse("c.yaml", []byte(baselineHead+baseline), noEnv)
		require.NoError(t, err)
		return cfg.BaselineConfig()
	}
	t.Run("the string form: the target's identity", func(t *testing.T) {
		b := parse(t, "baseline: \"http://127.0.0.1:10/v1\"\nlimits: {max_rps: 4}\n")
		assert.Equal(t, "http://127.0.0.1:10/v1", b.Target.BaseURL)
		assert.Equal(t, "sk-target-0000000000001", b.Auth.APIKey)
		assert.Equal(t, "sk-nocredit-00000000001", b.Fixtures.NoCreditsAPIKey)
		assert.Len(t, b.Target.Headers, 2)
		assert.Equal(t, 4.0, b.Limits.MaxRPS)
		assert.False(t, b.Baseline.IsSet())
	})
	t.Run("its own key: none of the target's credentials", func(t *testing.T) {
		b := parse(t, "baseline: {base_url: \"http://127.0.0.1:10/v1\", auth: {api_key: sk-upstream-00000000001}, limits: {max_rps: 2}}\n")
		assert.Equal(t, "sk-upstream-00000000001", b.Auth.APIKey)
		assert.Equal(t, "m-target", b.Fixtures.Model, "the target's model")
		assert.Empty(t, b.Fixtures.NoCreditsAPIKey, "never the target's key")
		assert.Equal(t, map[string]string{"X-Region": "eu"}, b.Target.Headers, "never the target's secret header")
		assert.Equal(t, 2.0, b.Limits.MaxRPS)
	})
	t.Run("its own headers and fixtures", func(t *testing.T) {
		b := parse(t, "baseline: {base_url: \"http://127.0.0.1:10/v1\", headers: {X-Up: \"1\"}, fixtures: {model: m-up}}\n")
		assert.Equal(t, map[string]string{"X-Up": "1"}, b.Target.Headers)
		assert.Equal(t, config.Fixtures{Model: "m-up"}, b.Fixtures)
		assert.Equal(t, "sk-target-0000000000001", b.Auth.APIKey, "no key of its own: the target's")
	})
}

// The baseline's credentials are the config's secrets (redacted from
// every output), whether literal or from ${VAR}.
func TestBaselineSecrets(t *testing.T) {
	env := fakeEnv(map[string]string{"UP_TOKEN": "uptoken-0000000000001"})
	cfg, err := config.Parse("c.yaml", []byte(baselineHead+"baseline:\n  base_url: \"http://127.0.0.1:10/v1\"\n  auth: {api_key: sk-upstream-00000000001}\n"+
		"  headers: {X-Up-Auth: \"${UP_TOKEN}\"}\n  fixtures: {restricted_api_key: sk-uprestricted-0000001}\n"), env)
	require.NoError(t, err)
	secrets := cfg.Secrets()
	for _, s := range []string{"sk-target-0000000000001", "sk-upstream-00000000001", "uptoken-0000000000001", "sk-uprestricted-0000001"} {
		assert.Contains(t, secrets, s)
	}
}

// A bad baseline names its field; ${VAR} goes only where the target's
// own fields take it.
func TestBaselineValidation(t *testing.T) {
	env := fakeEnv(map[string]string{"UP_KEY": "sk-upstream-00000000001"})
	tests := []struct{ name, yaml, field, msg string }{
		{"both", "baseline: {report: a.json, base_url: \"http://127.0.0.1:10/v1\"}\n", "baseline", "one or the other"},
		{"a report with a key", "baseline: {report: a.json, auth: {api_key: k-000000001}}\n", "baseline.report", "live baseline"},
		{"no base_url", "baseline: {auth: {api_key: k-000000001}}\n", "baseline.base_url", "is required"},
		{"the reference with a key", "baseline: {base_url: reference, auth: {api_key: k-000000001}}\n", "baseline.base_url", "its own key"},
		{"a bad URL", "baseline: {base_url: \"ftp://x\"}\n", "baseline.base_url", "not an http(s) URL"},
		{"a key with a newline", "baseline: {base_url: \"http://127.0.0.1:10/v1\", auth: {api_key: \"k 1\"}}\n", "baseline.auth.api_key", "whitespace"},
		{"a bad rate", "baseline: {base_url: \"http://127.0.0.1:10/v1\", limits: {max_rps: -1}}\n", "baseline.limits.max_rps", "finite"},
		{"a bad header", "baseline: {base_url: \"http://127.0.0.1:10/v1\", headers: {Authorization: x}}\n", "baseline.headers.Authorization", "set by errconform"},
		{"an unknown key", "baseline: {base_url: \"http://127.0.0.1:10/v1\", api_key: x}\n", "", "unknown key api_key"},
		{"${VAR} in limits", "baseline: {base_url: \"http://127.0.0.1:10/v1\", limits: {max_rps: \"${UP_KEY}\"}}\n", "baseline.limits.max_rps", "takes no ${VAR}"},
		{"${VAR} in report", "baseline: {report: \"${UP_KEY}\"}\n", "baseline.report", "takes no ${VAR}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("c.yaml", []byte(baselineHead+tt.yaml), env)
			ce := configError(t, err)
			if tt.field != "" {
				assert.Equal(t, tt.field, ce.Field, "%v", err)
			}
			assert.Contains(t, err.Error(), tt.msg)
			assert.NotContains(t, err.Error(), "sk-upstream-00000000001")
		})
	}
	t.Run("${VAR} in the baseline's key", func(t *testing.T) {
		_, err := config.Parse("c.yaml", []byte(baselineHead+"baseline: {base_url: \"http://127.0.0.1:10/v1\", auth: {api_key: \"${UP_KEY}\"}}\n"), env)
		require.NoError(t, err)
	})
}

// The config's JSON Schema takes both forms of baseline: and flags an
// unknown key in the object form, at the top level and per target.
func TestBaselineSchema(t *testing.T) {
	s := compileConfigSchema(t)
	good := []string{
		"baseline: upstream.json\n",
		"baseline: {base_url: https://up.example.com/v1, auth: {api_key: k}, headers: {X-A: b}, fixtures: {model: m}, limits: {max_rps: 2}}\n",
		"baseline: {report: up.json}\n",
		"targets:\n- {name: a, base_url: https://a.example.com/v1, baseline: {base_url: reference}}\n",
	}
	for _, text := range good {
		assert.NoError(t, validateYAML(t, s, []byte(text)), text)
	}
	bad := []string{
		"baseline: {base_url: https://up.example.com/v1, api_key: k}\n",
		"baseline: [a, b]\n",
		"targets:\n- {name: a, base_url: https://a.example.com/v1, baseline: {url: x}}\n",
	}
	for _, text := range bad {
		assert.Error(t, validateYAML(t, s, []byte(text)), text)
	}
}

// A --baseline URL that cannot be one is refused naming the flag, never
// the config's field, and without its credentials.
func TestBaselineFlagRefusedNamingIt(t *testing.T) {
	_, err := config.Resolve(config.Input{Settings: config.Settings{"target": flag("target", "http://127.0.0.1:9/v1"),
		"baseline": flag("baseline", "https://u:secretpass@up.example.com/v1")}, Lookup: envOf(map[string]string{"ERRCONFORM_API_KEY": "sk-000000001"})})
	require.Error(t, err)
	var se *config.SettingError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "--baseline: must not carry credentials")
	assert.NotContains(t, err.Error(), "secretpass")
}
