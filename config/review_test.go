package config_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

func lookupOf(env map[string]string) config.LookupEnv {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

const validHead = "target:\n  base_url: https://staging.example.com/v1\nauth:\n  api_key: sk-test-0000000001\n"

func TestBoundsAndURLShape(t *testing.T) {
	tests := []struct {
		name, text, field string
	}{
		{"huge context window", validHead + "fixtures:\n  context_window: 9223372036854775807\n", "fixtures.context_window"},
		{"huge body bound", validHead + "limits:\n  max_body_bytes: 9223372036854775807\n", "limits.max_body_bytes"},
		{"query in base url", "target:\n  base_url: https://h.example.com/v1?api_key=sk-live-SECRET0001\nauth:\n  api_key: k0000000001\n", "target.base_url"},
		{"fragment in base url", "target:\n  base_url: https://h.example.com/v1#x\nauth:\n  api_key: k0000000001\n", "target.base_url"},
		{"timeout within gateway slack", validHead + "  timeout: 31s\n", "target.gateway_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.text
			if tt.name == "timeout within gateway slack" {
				text = "target:\n  base_url: https://staging.example.com/v1\n  timeout: 31s\nauth:\n  api_key: sk-test-0000000001\n"
			}
			_, err := config.Parse("c.yaml", []byte(text), lookupOf(nil))
			var ce *config.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.NotContains(t, err.Error(), "SECRET0001", "the rejected URL's query is not echoed")
		})
	}
}

func TestDecodeErrorsDoNotQuoteExpandedSecrets(t *testing.T) {
	for _, key := range []string{"abc123XYZ", "sk-live-0123456789abcdef"} {
		_, err := config.Parse("c.yaml", []byte("auth: ${K}\n"), lookupOf(map[string]string{"K": key}))
		require.Error(t, err)
		assert.NotContains(t, err.Error(), key)
		assert.NotContains(t, err.Error(), key[:7]+"...")
	}
}

// The fault header's value is a configured secret whatever it looks like
// (a random token often holds a run of letters, or is all letters), from 8
// characters on; a shorter one is a switch, not a token.
func TestFaultHeaderValueIsASecretWhateverItLooksLike(t *testing.T) {
	tests := []struct {
		header string
		secret bool
	}{
		{"X-Fault: internal", true},
		{"X-Fault-Token: 7f3a9c2e1b4d8f60", true},
		{"X-Fault: please-fail-this-request-now", true},
		{"X-Fault: internal-500", true},
		{"X-Fault: f4k3t0k3n", true},
		{"X-Fault: Zq81mX0vPa77LkTTx9Ab", true},
		{"X-Fault: abcdefgH12345678", true},
		{"X-Fault: qwhdjkeuryqmzpla", true},
		{"X-Fault-Token: abcdwxyz", true},
		{"X-Simulate: upstream_error", true},
		{"X-Fault-Key: Zq8", false},
		{"X-Fault: 500", false},
		{"X-Fault: abcdefg", false},
	}
	for _, tt := range tests {
		cfg, err := config.Parse("c.yaml", []byte(validHead+"fixtures:\n  internal_error_header: \""+tt.header+"\"\n"), lookupOf(nil))
		require.NoError(t, err)
		_, value, _ := config.SplitHeader(tt.header)
		assert.Equal(t, tt.secret, contains(cfg.Secrets(), value), tt.header)
		_, inEnv := cfg.SecretEnv()[value]
		assert.Equal(t, tt.secret, inEnv, tt.header)
	}
}

func TestJWTSecretMayHoldInnerSpaces(t *testing.T) {
	_, err := config.Parse("c.yaml", []byte(validHead+"fixtures:\n  jwt_hs256_secret: my shared secret\n"), lookupOf(nil))
	assert.NoError(t, err)
}

func TestLoadDefersValidation(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/c.yaml"
	require.NoError(t, writeFile(path, "target:\n  base_url: https://staging.example.com/v1\n"))
	cfg, err := config.Load(path, lookupOf(nil))
	require.NoError(t, err, "Load leaves validation to the caller, who may add the key from the environment")
	cfg.Auth.APIKey = "sk-from-env-0000000001"
	assert.NoError(t, cfg.Validate())
	_, err = config.LoadFile(path, lookupOf(nil))
	assert.ErrorContains(t, err, "ERRCONFORM_API_KEY")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }
