package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

func TestTargetsInheritTheTopLevelAndOverrideIt(t *testing.T) {
	env := map[string]string{"EU_KEY": "sk-eu-0123456789abcdef", "US_KEY": "sk-us-0123456789abcdef", "ROUTE": "eu-route-secret-123"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.Parse("fleet.yaml", []byte(`
target:
  timeout: 20s
  gateway_timeout: 5s
  headers: {x-tenant: acme}
auth: {api_key: "${EU_KEY}"}
fixtures: {model: m-common, slow_model: test/slow}
limits: {max_rps: 3, concurrency: 2}
targets:
  - name: eu-west
    base_url: https://eu.example.com/v1
    headers: {x-route-token: "${ROUTE}"}
  - name: us.east_1
    base_url: https://us.example.com/v1
    timeout: 50s
    auth: {api_key: "${US_KEY}"}
    fixtures: {model: m-us}
    limits: {max_rps: 7}
    contract: openrouter
`), lookup)
	require.NoError(t, err)
	require.Len(t, cfg.Fleet, 2)
	eu, us := cfg.Fleet[0], cfg.Fleet[1]
	tests := []struct {
		name      string
		got, want any
	}{
		{"eu name", eu.Name, "eu-west"},
		{"eu base URL", eu.Config.Target.BaseURL, "https://eu.example.com/v1"},
		{"eu inherits the timeout", eu.Config.Target.Timeout.Std().String(), "20s"},
		{"eu inherits headers, merged with its own", eu.Config.Target.Headers, map[string]string{"x-tenant": "acme", "x-route-token": "eu-route-secret-123"}},
		{"eu's header variable is known (redacted by name)", eu.Config.Target.HeaderEnv["x-route-token"], "ROUTE"},
		{"eu inherits the key", eu.Config.Auth.APIKey, "sk-eu-0123456789abcdef"},
		{"eu inherits the limits", eu.Config.Limits, config.Limits{MaxRPS: 3, Concurrency: 2}},
		{"eu inherits fixtures", eu.Config.Fixtures.Model, "m-common"},
		{"us overrides the timeout", us.Config.Target.Timeout.Std().String(), "50s"},
		{"us overrides the key", us.Config.Auth.APIKey, "sk-us-0123456789abcdef"},
		{"us overrides one fixture", us.Config.Fixtures.Model, "m-us"},
		{"us keeps the other fixtures", us.Config.Fixtures.SlowModel, "test/slow"},
		{"us overrides one limit, keeps the other", us.Config.Limits, config.Limits{MaxRPS: 7, Concurrency: 2}},
		{"us's contract", us.Config.Contract, "openrouter"},
		{"us sets target.timeout", us.Sets("target.timeout"), true},
		{"eu sets target.timeout (inherited)", eu.Sets("target.timeout"), true},
		{"eu does not set a fixture no one sets", eu.Sets("fixtures.context_window"), false},
		{"a field the entry sets is named in it", us.Field("target.base_url"), "targets[1].base_url"},
		{"an inherited field is named at the top", eu.Field("auth.api_key"), "auth.api_key (inherited by targets[0], eu-west)"},
		{"a field the entry sets in a section", us.Field("limits.max_rps"), "targets[1].limits.max_rps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.got) })
	}
}

func TestTargetsAreRefusedNamingTheField(t *testing.T) {
	lookup := func(k string) (string, bool) { return "", false }
	tests := []struct {
		name, yaml, field, msg string
	}{
		{"no name", "targets:\n  - base_url: reference\n", "targets[0].name", "is required"},
		{"a name that is not label-safe", "targets:\n  - {name: \"eu west\", base_url: reference}\n", "targets[0].name", "not label-safe"},
		{"a name too long", "targets:\n  - {name: " + string(make([]byte, 0)) + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, base_url: reference}\n", "targets[0].name", "not label-safe"},
		{"two targets, one name", "targets:\n  - {name: a, base_url: reference}\n  - {name: b, base_url: reference}\n  - {name: a, base_url: reference}\n", "targets[2].name", "also the name of targets[0]"},
		{"no base_url", "targets:\n  - {name: a, base_url: reference}\n  - {name: b}\n", "targets[1].base_url", "is required"},
		{"an unknown key in a target", "targets:\n  - name: a\n    base_url: reference\n    bogus: 1\n", "targets[0].bogus", "unknown key bogus"},
		{"an unset variable in a target", "targets:\n  - name: a\n    base_url: reference\n    auth: {api_key: \"${NOPE}\"}\n", "targets[0].auth.api_key", "NOPE is not set"},
		{"a fraction in a target's integer", "targets:\n  - name: a\n    base_url: reference\n    limits: {concurrency: 1.5}\n", "targets[0].limits.concurrency", "whole number"},
		{"a top-level base_url beside targets", "target: {base_url: reference}\ntargets:\n  - {name: a, base_url: reference}\n", "target.base_url", "cannot be set beside targets"},
		{"an empty list", "targets: []\n", "targets", "non-empty list"},
		{"a target that is not a mapping", "targets:\n  - reference\n", "targets[0]", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("fleet.yaml", []byte(tt.yaml), lookup)
			require.Error(t, err)
			var ce *config.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field, err.Error())
			assert.Contains(t, ce.Msg, tt.msg)
		})
	}
}

func TestMemberRenameNamesTheEntrysField(t *testing.T) {
	cfg, err := config.Parse("f.yaml", []byte("limits: {max_rps: 2}\ntargets:\n  - {name: a, base_url: reference}\n  - {name: b, base_url: \"ftp://x\"}\n"), func(string) (string, bool) { return "", false })
	require.NoError(t, err) // Parse validates the top level; each member is validated by the runner, flags merged in
	b := cfg.Fleet[1]
	err = b.Rename(b.Config.Validate())
	var ce *config.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "targets[1].base_url", ce.Field)
}

func TestValidTargetName(t *testing.T) {
	for name, ok := range map[string]bool{"eu-west": true, "a": true, "us.east_1": true, "": false, "-a": false, "a-": false, "a/b": false, "ä": false} {
		assert.Equal(t, ok, config.ValidTargetName(name) == "", name)
	}
}

func TestFleetIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := 0; i <= config.MaxTargets; i++ {
		fmt.Fprintf(&b, "  - {name: t%d, base_url: reference}\n", i)
	}
	_, err := config.Parse("f.yaml", []byte(b.String()), func(string) (string, bool) { return "", false })
	assert.ErrorContains(t, err, fmt.Sprintf("at most %d", config.MaxTargets))
}
