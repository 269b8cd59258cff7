package config_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

// No config value may switch a safety off: a float truncated into an
// integer field, NaN or Inf as the rate cap, a zero timeout.
func TestParseRefusesValuesThatSwitchSafetyOff(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		env       map[string]string
		wantField string
		wantMsg   string
	}{
		{"float concurrency", "limits:\n  concurrency: 1.5\n", nil, "limits.concurrency", "whole number"},
		{"float with zero fraction", "limits:\n  concurrency: 2.0\n", nil, "limits.concurrency", "whole number"},
		{"exponent", "limits:\n  max_requests: 1e3\n", nil, "limits.max_requests", "whole number"},
		{"float max_body_bytes", "limits:\n  max_body_bytes: 1048576.5\n", nil, "limits.max_body_bytes", "whole number"},
		{"float context_window", "fixtures:\n  context_window: 131072.7\n", nil, "fixtures.context_window", "whole number"},
		{"float rate_limit_burst", "fixtures:\n  rate_limit_burst: 2.5\n", nil, "fixtures.rate_limit_burst", "whole number"},
		{"float from the environment", "limits:\n  concurrency: ${C}\n", map[string]string{"C": "0.5"}, "limits.concurrency", "takes no ${VAR}"},
		{"infinite concurrency", "limits:\n  concurrency: .inf\n", nil, "limits.concurrency", "whole number"},
		{"NaN rate", "limits:\n  max_rps: .nan\n", nil, "limits.max_rps", "finite"},
		{"infinite rate", "limits:\n  max_rps: .inf\n", nil, "limits.max_rps", "finite"},
		{"infinite rate, other spelling", "limits:\n  max_rps: .Inf\n", nil, "limits.max_rps", "finite"},
		{"negative infinite rate", "limits:\n  max_rps: -.inf\n", nil, "limits.max_rps", "finite"},
		{"NaN rate from the environment", "limits:\n  max_rps: ${R}\n", map[string]string{"R": ".nan"}, "limits.max_rps", "takes no ${VAR}"},
		{"negative rate", "limits:\n  max_rps: -1\n", nil, "limits.max_rps", "0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == nil {
				env = map[string]string{}
			}
			_, err := config.Parse("errconform.yaml", []byte(tt.yaml), fakeEnv(env))
			ce := configError(t, err)
			assert.Equal(t, "errconform.yaml", ce.File)
			assert.Equal(t, tt.wantField, ce.Field, err.Error())
			assert.Contains(t, ce.Msg, tt.wantMsg)
		})
	}
}

// A duration is not an integer field: 1.5 is refused as no duration.
func TestParseFloatDurationIsNoDuration(t *testing.T) {
	_, err := config.Parse("errconform.yaml", []byte("target:\n  timeout: 1.5\n"), noEnv)
	ce := configError(t, err)
	assert.Equal(t, "target.timeout", ce.Field)
	assert.Contains(t, ce.Msg, "not a positive duration")
}

func TestParseKeepsWholeNumbersAndAZeroRate(t *testing.T) {
	cfg, err := config.Parse("errconform.yaml", []byte("limits:\n  concurrency: 4\n  max_requests: 0x20\n  max_rps: 0\n  max_body_bytes: 1_048_576\nfixtures:\n  context_window: 131072\n"), noEnv)
	require.NoError(t, err)
	assert.Equal(t, 4, cfg.Limits.Concurrency)
	assert.EqualValues(t, 32, cfg.Limits.MaxRequests)
	assert.Zero(t, cfg.Limits.MaxRPS, "an explicit 0 means no cap, as documented")
	assert.EqualValues(t, 1<<20, cfg.Limits.MaxBodyBytes)
	assert.Equal(t, 131072, cfg.Fixtures.ContextWindow)
	cfg, err = config.Parse("errconform.yaml", []byte("limits:\n  max_rps: 2.5\n"), noEnv)
	require.NoError(t, err)
	assert.InDelta(t, 2.5, cfg.Limits.MaxRPS, 0, "the rate is a float")
}

// Values set after decoding (flags, environment) are validated the same way.
func TestValidateRefusesUnsafeValues(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(*config.Config)
		wantField string
	}{
		{"NaN rate", func(c *config.Config) { c.Limits.MaxRPS = math.NaN() }, "limits.max_rps"},
		{"+Inf rate", func(c *config.Config) { c.Limits.MaxRPS = math.Inf(1) }, "limits.max_rps"},
		{"-Inf rate", func(c *config.Config) { c.Limits.MaxRPS = math.Inf(-1) }, "limits.max_rps"},
		{"negative rate", func(c *config.Config) { c.Limits.MaxRPS = -0.5 }, "limits.max_rps"},
		{"zero gateway timeout", func(c *config.Config) { c.Target.GatewayTimeout = 0 }, "target.gateway_timeout"},
		{"negative gateway timeout", func(c *config.Config) { c.Target.GatewayTimeout = config.Duration(-time.Second) }, "target.gateway_timeout"},
		{"zero timeout", func(c *config.Config) { c.Target.Timeout = 0 }, "target.timeout"},
		{"negative timeout", func(c *config.Config) { c.Target.Timeout = config.Duration(-time.Second) }, "target.timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Config{}
			cfg.ApplyDefaults()
			require.NoError(t, cfg.Validate())
			tt.mutate(&cfg)
			ce := configError(t, cfg.Validate())
			assert.Equal(t, tt.wantField, ce.Field, ce.Error())
		})
	}
}

// Config and waiver files are read up to config.MaxFileBytes: a huge file,
// or a device that never ends, is refused quickly instead of exhausting
// memory.
func TestFilesAreReadWithASizeCap(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	var b bytes.Buffer
	b.WriteString("require:\n")
	for b.Len() <= config.MaxFileBytes {
		b.WriteString("  - all\n")
	}
	require.NoError(t, os.WriteFile(huge, b.Bytes(), 0o600))
	known := func(string) bool { return true }
	loaders := map[string]func(path string) error{
		"config": func(p string) error { _, err := config.Load(p, noEnv); return err },
		"waivers": func(p string) error {
			_, err := config.LoadWaivers(p, known, time.Now(), config.DefaultWaiversMaxDays)
			return err
		},
	}
	paths := map[string]string{"huge file": huge, "directory": dir}
	if runtime.GOOS != "windows" {
		paths["/dev/zero"] = "/dev/zero"
	}
	for loader, load := range loaders {
		for name, path := range paths {
			t.Run(loader+"/"+name, func(t *testing.T) {
				start := time.Now()
				ce := configError(t, load(path))
				// Refused after a bounded read (milliseconds): 30 s is a busy
				// machine's headroom, /dev/zero read to its end never ends.
				assert.Less(t, time.Since(start), 30*time.Second)
				assert.Equal(t, path, ce.File)
				if name == "directory" {
					assert.Contains(t, ce.Msg, "directory")
				} else {
					assert.Contains(t, ce.Msg, "256 KiB")
				}
			})
		}
	}
	fits := filepath.Join(dir, "fits.yaml")
	require.NoError(t, os.WriteFile(fits, []byte("strict: true\n"+strings.Repeat("# padding\n", 1000)), 0o600))
	cfg, err := config.Load(fits, noEnv)
	require.NoError(t, err)
	assert.True(t, cfg.Strict)
}

func TestReadFileLimited(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(p, []byte("12345"), 0o600))
	data, err := config.ReadFileLimited(p, 5)
	require.NoError(t, err)
	assert.Equal(t, "12345", string(data))
	_, err = config.ReadFileLimited(p, 4)
	assert.ErrorContains(t, err, "4 bytes")
	_, err = config.ReadFileLimited(filepath.Join(dir, "missing"), 4)
	assert.ErrorContains(t, err, "cannot read the file")
	assert.NotContains(t, err.Error(), dir, "callers name the file")
}
