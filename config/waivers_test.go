package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

// A waiver expires within maxDays of the run's date; one beyond is an
// error naming the entry's expires field.
func TestWaiverLifetimeIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name    string
		expires string
		maxDays int
		want    string
	}{
		{"tomorrow", "2026-12-08", config.DefaultWaiversMaxDays, ""},
		{"90 days", "2027-03-07", config.DefaultWaiversMaxDays, ""},
		{"91 days", "2027-03-08", config.DefaultWaiversMaxDays, "waivers[0].expires"},
		{"never", "9999-12-31", config.DefaultWaiversMaxDays, "a waiver may run at most 90 days"},
		{"150 days allowed by the config", "2027-05-06", 200, ""},
		{"beyond the config's days", "2027-07-01", 200, "at most 200 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "w.yaml")
			require.NoError(t, os.WriteFile(path, []byte("waivers:\n  - case: a/b\n    reason: ticket\n    expires: "+tt.expires+"\n"), 0o600))
			got, err := config.LoadWaivers(path, func(string) bool { return true }, now, tt.maxDays)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.expires, got["a/b"].Expires)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestWaiversMaxDaysIsValidated(t *testing.T) {
	tests := []struct {
		days int
		ok   bool
	}{{0, true}, {1, true}, {config.MaxWaiversMaxDays, true}, {-1, false}, {config.MaxWaiversMaxDays + 1, false}}
	for _, tt := range tests {
		yml := fmt.Sprintf("target:\n  base_url: https://example.com/v1\nauth:\n  api_key: sk-test-0000000000000001\nwaivers_max_days: %d\n", tt.days)
		cfg, err := config.Parse("errconform.yaml", []byte(yml), noEnv)
		if err == nil {
			err = cfg.Validate()
		}
		if tt.ok {
			assert.NoError(t, err, "%d", tt.days)
			continue
		}
		require.Error(t, err, "%d", tt.days)
		assert.Contains(t, err.Error(), "waivers_max_days")
	}
}
