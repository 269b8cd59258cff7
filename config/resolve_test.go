package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

func flag(name, value string) config.Setting {
	return config.Setting{Value: value, Source: config.Source{Kind: config.FromFlag, Name: name}}
}

func fromEnv(name, value string) config.Setting {
	return config.Setting{Value: value, Source: config.Source{Kind: config.FromEnv, Name: config.EnvName(name), Flag: name}}
}

func envOf(vars map[string]string) config.LookupEnv {
	return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
}

// Every layer against every other, for the fields each can set: the
// value that wins and the source Resolve records for it.
func TestResolvePrecedenceAndSources(t *testing.T) {
	const remote = "target:\n  base_url: https://staging.example.com/v1\nauth:\n  api_key: sk-file-000000000001\n"
	tests := []struct {
		name     string
		file     string // "" for no config file
		settings config.Settings
		env      map[string]string
		gateway  time.Duration // the contract's gateway timeout
		field    string
		want     string // the value, as config check --explain prints it
		source   string
	}{
		{name: "default concurrency", file: remote, field: "limits.concurrency", want: "8", source: "default"},
		{name: "default rate cap for a remote target", file: remote, field: "limits.max_rps", want: "10", source: "default"},
		{name: "no default rate cap on loopback", settings: config.Settings{"target": flag("target", "http://127.0.0.1:8080/v1")}, env: map[string]string{"ERRCONFORM_API_KEY": "sk-env-000000000001"}, field: "limits.max_rps", want: "", source: "default"},
		{name: "file over default", file: remote + "limits:\n  max_rps: 3\n", field: "limits.max_rps", want: "3", source: "errconform.yaml:limits.max_rps"},
		{name: "env over file", file: remote + "limits:\n  max_rps: 3\n", settings: config.Settings{"max-rps": fromEnv("max-rps", "5")}, field: "limits.max_rps", want: "5", source: "$ERRCONFORM_MAX_RPS (--max-rps)"},
		{name: "flag over file", file: remote + "limits:\n  max_rps: 3\n", settings: config.Settings{"max-rps": flag("max-rps", "7")}, field: "limits.max_rps", want: "7", source: "--max-rps"},
		{name: "explicit zero rate is no cap", file: remote, settings: config.Settings{"max-rps": flag("max-rps", "0")}, field: "limits.max_rps", want: "0", source: "--max-rps"},
		{name: "flag target over file", file: remote, settings: config.Settings{"target": flag("target", "https://other.example.com/v1")}, field: "target.base_url", want: "https://other.example.com/v1", source: "--target"},
		{name: "env key over file key", file: remote, env: map[string]string{"ERRCONFORM_API_KEY": "sk-env-000000000002"}, field: "auth.api_key", want: "set (from $ERRCONFORM_API_KEY)", source: "$ERRCONFORM_API_KEY"},
		{name: "file key never printed", file: remote, field: "auth.api_key", want: "[REDACTED]", source: "errconform.yaml:auth.api_key"},
		{name: "file key through ${VAR}", file: "target:\n  base_url: https://staging.example.com/v1\nauth:\n  api_key: ${MY_KEY}\n", env: map[string]string{"MY_KEY": "sk-var-000000000003"}, field: "auth.api_key", want: "set (from $MY_KEY)", source: "errconform.yaml:auth.api_key (${MY_KEY})"},
		{name: "contract's gateway timeout over default", file: remote, gateway: time.Minute, field: "target.gateway_timeout", want: "1m0s", source: "the default contract"},
		{name: "timeout grows for the contract's gateway timeout", file: remote, gateway: time.Minute, field: "target.timeout", want: "1m10s", source: "the default contract"},
		{name: "file's gateway timeout over the contract's", file: strings.Replace(remote, "/v1\n", "/v1\n  timeout: 90s\n  gateway_timeout: 20s\n", 1), gateway: time.Minute, field: "target.gateway_timeout", want: "20s", source: "errconform.yaml:target.gateway_timeout"},
		{name: "file's timeout not grown", file: strings.Replace(remote, "/v1\n", "/v1\n  timeout: 45s\n", 1) + "limits:\n  max_rps: 1\n", gateway: 20 * time.Second, field: "target.timeout", want: "45s", source: "errconform.yaml:target.timeout"},
		{name: "flag gateway timeout over the contract's", file: remote, settings: config.Settings{"gateway-timeout": flag("gateway-timeout", "10s")}, gateway: time.Minute, field: "target.gateway_timeout", want: "10s", source: "--gateway-timeout"},
		{name: "contract from the file", file: remote + "contract: openrouter\n", field: "contract", want: "openrouter", source: "errconform.yaml:contract"},
		{name: "contract flag over the file", file: remote + "contract: openrouter\n", settings: config.Settings{"contract": fromEnv("contract", "aiand")}, field: "contract", want: "aiand", source: "$ERRCONFORM_CONTRACT (--contract)"},
		{name: "require list from a flag", file: remote + "require: [model]\n", settings: config.Settings{"require": flag("require", "model,all")}, field: "require", want: "[model, all]", source: "--require"},
		{name: "strict false from a flag over the file", file: remote + "strict: true\n", settings: config.Settings{"strict": flag("strict", "false")}, field: "strict", want: "false", source: "--strict"},
		{name: "baseline from the file", file: remote + "baseline: prod.json\n", field: "baseline.report", want: "prod.json", source: "errconform.yaml:baseline.report"},
		{name: "baseline flag over the file", file: remote + "baseline: prod.json\n", settings: config.Settings{"baseline": flag("baseline", "upstream.json")}, field: "baseline.report", want: "upstream.json", source: "--baseline"},
		{name: "fail-on from a variable over the file", file: remote + "fail_on: any\n", settings: config.Settings{"fail-on": fromEnv("fail-on", "new")}, field: "fail_on", want: "new", source: "$ERRCONFORM_FAIL_ON (--fail-on)"},
		{name: "header from the file", file: strings.Replace(remote, "/v1\n", "/v1\n  headers:\n    X-Region: eu\n", 1), field: "target.headers.X-Region", want: "eu", source: "errconform.yaml:target.headers.X-Region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := config.Input{Settings: tt.settings, Lookup: envOf(tt.env),
				Contract: func(string) (time.Duration, error) { return tt.gateway, nil }}
			if tt.file != "" {
				cfg, err := config.Parse("errconform.yaml", []byte(tt.file), envOf(tt.env))
				require.NoError(t, err)
				in.File, in.Config = "errconform.yaml", cfg
			}
			r, err := config.Resolve(in)
			require.NoError(t, err)
			assert.Equal(t, tt.source, r.Source(tt.field).String())
			got := ""
			for _, l := range r.Explain() {
				if l.Field == tt.field {
					got = l.Value
				}
			}
			assert.Equal(t, tt.want, got)
			for _, secret := range r.Config.Secrets() {
				for _, l := range r.Explain() {
					assert.NotContains(t, l.Value, secret, "explain printed a secret")
				}
			}
		})
	}
}

// The embedded reference replaces what the target is and nothing else:
// how to run (limits, strict, the waivers' bound, the contract) stays the
// file's, and a flag still wins over the reference's timeouts.
func TestResolveReferenceKeepsHowToRun(t *testing.T) {
	file := "target:\n  base_url: reference\nlimits:\n  max_rps: 3\nstrict: true\nwaivers_max_days: 30\ncontract: openrouter\nfixtures:\n  model: mine\n"
	cfg, err := config.Load(writeTemp(t, file), noEnv) // validated by Resolve, once the reference gives the key
	require.NoError(t, err)
	ref := config.Config{
		Target:   config.Target{BaseURL: "http://127.0.0.1:1234/v1", Timeout: config.Duration(10 * time.Second), GatewayTimeout: config.Duration(time.Second)},
		Auth:     config.Auth{APIKey: "sk-reference-0001"},
		Fixtures: config.Fixtures{Model: "ref-model"},
		Limits:   config.Limits{MaxRPS: 99},
	}
	r, err := config.Resolve(config.Input{File: "errconform.yaml", Config: cfg, Lookup: noEnv,
		Settings:  config.Settings{"timeout": flag("timeout", "12s")},
		Reference: func() (config.Config, error) { return ref, nil }})
	require.NoError(t, err)
	assert.True(t, r.Embedded)
	assert.Equal(t, ref.Identity().Auth, r.Config.Auth)
	assert.Equal(t, "ref-model", r.Config.Fixtures.Model)
	assert.Equal(t, 3.0, r.Config.Limits.MaxRPS)
	assert.True(t, r.Config.Strict)
	assert.Equal(t, 30, r.Config.WaiversMaxDays)
	assert.Equal(t, "openrouter", r.Config.Contract)
	assert.Equal(t, 12*time.Second, r.Config.Target.Timeout.Std())
	assert.Equal(t, "--timeout", r.Source("target.timeout").String())
	assert.Equal(t, "the embedded reference", r.Source("fixtures.model").String())
	assert.Equal(t, "the embedded reference", r.Source("target.gateway_timeout").String())
	assert.Equal(t, "errconform.yaml:limits.max_rps", r.Source("limits.max_rps").String())
}

// A fleet member's sources and errors name its fields as the file wrote
// them: its own entry's, or the top level's it inherits.
func TestResolveFleetMemberSources(t *testing.T) {
	file := "target:\n  timeout: 45s\nlimits:\n  max_rps: 2\ntargets:\n  - name: a\n    base_url: https://a.example.com/v1\n    auth:\n      api_key: sk-a-0000000000001\n  - name: b\n    base_url: https://b.example.com/v1\n"
	cfg, err := config.Load(writeTemp(t, file), noEnv)
	require.NoError(t, err)
	require.Len(t, cfg.Fleet, 2)
	m := cfg.Fleet[0]
	r, err := config.Resolve(config.Input{File: "fleet.yaml", Config: m.Config, Member: &m, Lookup: noEnv})
	require.NoError(t, err)
	assert.Equal(t, "fleet.yaml:targets[0].base_url", r.Source("target.base_url").String())
	assert.Equal(t, "fleet.yaml:limits.max_rps", r.Source("limits.max_rps").String())
	assert.Equal(t, "fleet.yaml:target.timeout", r.Source("target.timeout").String(), "inherited from the top level")

	b := cfg.Fleet[1]
	_, err = config.Resolve(config.Input{File: "fleet.yaml", Config: b.Config, Member: &b, Lookup: noEnv})
	var ce *config.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "targets[1].auth.api_key", ce.Field)
}

// Refusals name the flag or variable, or the file's field.
func TestResolveRefusals(t *testing.T) {
	const remote = "target:\n  base_url: https://staging.example.com/v1\nauth:\n  api_key: sk-file-000000000001\n"
	tests := []struct {
		name     string
		file     string
		settings config.Settings
		contract error
		setting  bool   // a *SettingError (else a *config.Error)
		want     string // in the message
	}{
		{name: "no target anywhere", setting: true, want: "no target to check"},
		{name: "no target in the file", file: "auth:\n  api_key: sk-1234567890\n", want: "target.base_url"},
		{name: "empty target variable", file: remote, settings: config.Settings{"target": fromEnv("target", " ")}, setting: true, want: "ERRCONFORM_TARGET"},
		{name: "empty contract", file: remote, settings: config.Settings{"contract": flag("contract", "")}, setting: true, want: "--contract is empty"},
		{name: "unknown contract from a flag", file: remote, settings: config.Settings{"contract": flag("contract", "nope")}, contract: errors.New("no such contract"), setting: true, want: "--contract nope: no such contract"},
		{name: "unknown contract in the file", file: remote + "contract: nope\n", contract: errors.New("no such contract"), want: "contract: no such contract"},
		{name: "not a number from a variable", file: remote, settings: config.Settings{"concurrency": fromEnv("concurrency", "many")}, setting: true, want: "ERRCONFORM_CONCURRENCY (--concurrency)"},
		{name: "merged value invalid", file: remote, settings: config.Settings{"concurrency": flag("concurrency", "1000")}, want: "limits.concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := config.Input{Settings: tt.settings, Lookup: noEnv,
				Contract: func(string) (time.Duration, error) { return 0, tt.contract }}
			if tt.file != "" {
				cfg, err := config.Parse("errconform.yaml", []byte(tt.file), noEnv)
				require.NoError(t, err)
				in.File, in.Config = "errconform.yaml", cfg
			}
			_, err := config.Resolve(in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			var se *config.SettingError
			assert.Equal(t, tt.setting, errors.As(err, &se), "%v", err)
		})
	}
}

// The command line wins over the environment, which fills in only the
// flags the command line left unset; a flag no variable sets is left
// alone.
func TestFlagSettings(t *testing.T) {
	var rps float64
	var target, dry string
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.Float64Var(&rps, "max-rps", 0, "")
	fs.StringVar(&target, "target", "", "")
	fs.StringVar(&dry, "dry-run", "", "")
	require.NoError(t, fs.Parse([]string{"--max-rps", "4"}))
	env := envOf(map[string]string{"ERRCONFORM_MAX_RPS": "9", "ERRCONFORM_TARGET": "https://x.example.com/v1", "ERRCONFORM_DRY_RUN": "yes"})
	only := func(f *pflag.Flag) string {
		if f.Name == "dry-run" {
			return ""
		}
		return config.EnvName(f.Name)
	}
	s, err := config.FlagSettings(fs, env, only)
	require.NoError(t, err)
	assert.Equal(t, "--max-rps", s["max-rps"].Source.String())
	assert.Equal(t, 4.0, rps)
	assert.Equal(t, "$ERRCONFORM_TARGET (--target)", s["target"].Source.String())
	assert.Equal(t, "https://x.example.com/v1", target)
	assert.False(t, s.Has("dry-run"))
	assert.Equal(t, "ERRCONFORM_TARGET (--target)", s.Named("target"))

	fs = pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.Float64Var(&rps, "max-rps", 0, "")
	_, err = config.FlagSettings(fs, envOf(map[string]string{"ERRCONFORM_MAX_RPS": "fast"}), func(f *pflag.Flag) string { return config.EnvName(f.Name) })
	var se *config.SettingError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "ERRCONFORM_MAX_RPS")
}

func TestBaseURLParsedAndJoinedInOnePlace(t *testing.T) {
	tests := []struct {
		raw      string
		err      error
		joined   string
		loopback bool
	}{
		{raw: "https://api.example.com/v1", joined: "https://api.example.com/v1/models"},
		{raw: "https://api.example.com/v1/", joined: "https://api.example.com/v1/models"},
		{raw: "http://127.0.0.1:8080/v1", joined: "http://127.0.0.1:8080/v1/models", loopback: true},
		{raw: "http://localhost/v1", joined: "http://localhost/v1/models", loopback: true},
		{raw: "ftp://api.example.com/v1", err: config.ErrBaseURLNotHTTP},
		{raw: "api.example.com/v1", err: config.ErrBaseURLNotHTTP},
		{raw: "https://user:pw@api.example.com/v1", err: config.ErrBaseURLExtras},
		{raw: "https://api.example.com/v1?x=1", err: config.ErrBaseURLExtras},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := config.ParseBaseURL(tt.raw)
			assert.Equal(t, tt.loopback, config.IsLoopback(tt.raw))
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.joined, config.JoinURL(u.String(), "/models"))
			assert.Equal(t, tt.joined, config.JoinURL(tt.raw, "/models"))
			assert.True(t, config.SameBaseURL(tt.raw, u.String()+"/"))
			assert.False(t, config.SameBaseURL(tt.raw, u.String()+"/x"))
		})
	}
}

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	require.NoError(t, writeFile(path, text))
	return path
}

// Each target of a fleet has its own baseline and fail_on, or inherits
// the top level's.
func TestResolveFleetMemberBaseline(t *testing.T) {
	file := "baseline: prod.json\nfail_on: new\nauth:\n  api_key: sk-a-0000000000001\ntargets:\n  - name: a\n    base_url: https://a.example.com/v1\n    baseline: upstream-a.json\n  - name: b\n    base_url: https://b.example.com/v1\n    fail_on: any\n"
	cfg, err := config.Load(writeTemp(t, file), noEnv)
	require.NoError(t, err)
	require.Len(t, cfg.Fleet, 2)
	tests := []struct {
		member               int
		baseline, failOn     string
		baselineSrc, failSrc string
	}{
		{0, "upstream-a.json", "new", "fleet.yaml:targets[0].baseline", "fleet.yaml:fail_on"},
		{1, "prod.json", "any", "fleet.yaml:baseline", "fleet.yaml:targets[1].fail_on"},
	}
	for _, tt := range tests {
		m := cfg.Fleet[tt.member]
		r, err := config.Resolve(config.Input{File: "fleet.yaml", Config: m.Config, Member: &m, Lookup: noEnv})
		require.NoError(t, err)
		assert.Equal(t, tt.baseline, r.Config.Baseline.Report, m.Name)
		assert.Equal(t, tt.failOn, r.Config.FailOn, m.Name)
		assert.Equal(t, tt.baselineSrc, r.Source("baseline").String(), m.Name)
		assert.Equal(t, tt.failSrc, r.Source("fail_on").String(), m.Name)
	}
	_, err = config.Parse("errconform.yaml", []byte("target:\n  base_url: https://a.example.com/v1\nfail_on: sometimes\n"), noEnv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fail_on")
	assert.Contains(t, err.Error(), "sometimes")
}
