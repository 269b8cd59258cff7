package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

func TestTargetHeadersAndAuthHeader(t *testing.T) {
	const base = "target:\n  base_url: https://staging.example.com/v1\n"
	env := fakeEnv(map[string]string{"KEY": "sk-live-0000000000", "PORTKEY_API_KEY": "pk-abcdef123456", "HOST": "http://127.0.0.1:9/v1"})
	tests := []struct {
		name, yaml, field string
	}{
		{"valid", base + "  headers:\n    x-portkey-provider: openai\n    x-portkey-custom-host: ${HOST}\nauth:\n  api_key: ${KEY}\n  header: api-key\n", ""},
		{"bad name", base + "  headers:\n    \"bad name\": x\nauth:\n  api_key: ${KEY}\n", "target.headers.bad name"},
		{"trailing newline", base + "  headers:\n    X-Route: \"eu\\n\"\nauth:\n  api_key: ${KEY}\n", "target.headers.X-Route"},
		{"sets Authorization", base + "  headers:\n    Authorization: Bearer x\nauth:\n  api_key: ${KEY}\n", "target.headers.Authorization"},
		{"sets the key's own header", base + "  headers:\n    Api-Key: x\nauth:\n  api_key: ${KEY}\n  header: api-key\n", "target.headers.Api-Key"},
		{"bad auth header", base + "auth:\n  api_key: ${KEY}\n  header: \"api key\"\n", "auth.header"},
		{"bad burst endpoint", base + "auth:\n  api_key: ${KEY}\nfixtures:\n  rate_limit_endpoint: files\n", "fixtures.rate_limit_endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("c.yaml", []byte(tt.yaml), env)
			if tt.field == "" {
				require.NoError(t, err)
				assert.Equal(t, "openai", cfg.Target.Headers["x-portkey-provider"])
				assert.Equal(t, "http://127.0.0.1:9/v1", cfg.Target.Headers["x-portkey-custom-host"])
				assert.False(t, cfg.Auth.BearerAuth())
				return
			}
			assert.Equal(t, tt.field, configError(t, err).Field)
		})
	}
}

// A header value is a secret when its header's name says so, or the
// variable it came from does; it is then named by that variable.
func TestSecretHeaders(t *testing.T) {
	env := fakeEnv(map[string]string{"KEY": "sk-live-0000000000", "PORTKEY_API_KEY": "pk-abcdef123456", "ROUTE": "eu-west"})
	yaml := "target:\n  base_url: https://staging.example.com/v1\n  headers:\n    x-portkey-api-key: ${PORTKEY_API_KEY}\n" +
		"    X-Session-Token: literal-token-123\n    X-Route: ${ROUTE}\n    X-Deployment: ${KEY}\n    x-portkey-provider: openai\n" +
		"    x-portkey-custom-host: http://127.0.0.1:8080/v1\nauth:\n  api_key: ${KEY}\n"
	cfg, err := config.Parse("c.yaml", []byte(yaml), env)
	require.NoError(t, err)
	assert.Contains(t, cfg.Secrets(), "eu-west", "a value from the environment is a secret unless public_env lists its variable")
	cfg, err = config.Parse("c.yaml", []byte("public_env: [ROUTE]\n"+yaml), env)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"pk-abcdef123456":    "PORTKEY_API_KEY",
		"literal-token-123":  "ERRCONFORM_HEADER_X_SESSION_TOKEN",
		"sk-live-0000000000": "KEY",
	}, cfg.SecretHeaders())
	assert.Contains(t, cfg.Secrets(), "pk-abcdef123456")
	assert.NotContains(t, cfg.Secrets(), "eu-west", "a route public_env lists is not a secret")
	assert.NotContains(t, cfg.Secrets(), "openai", "x-portkey-provider: port-key is no key")
	assert.Equal(t, "PORTKEY_API_KEY", cfg.SecretEnv()["pk-abcdef123456"])
}

func TestWithoutUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"https://ci:sk-abc@host:443 /v1": "https://[REDACTED]@host:443 /v1",
		"https://sk-abc@host/v1":         "https://[REDACTED]@host/v1",
		"https://host/v1?a=b@c":          "https://host/v1?a=b@c",
	} {
		assert.Equal(t, want, config.WithoutUserinfo(in))
	}
	_, err := config.Parse("c.yaml", []byte("target:\n  base_url: \"https://ci:sk-secret-0000@host:443 /v1\"\nauth:\n  api_key: k0000000\n"), noEnv)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "sk-secret-0000")
}

func TestHeaderNamesDifferingOnlyInCaseAreRefused(t *testing.T) {
	yaml := "target:\n  base_url: https://staging.example.com/v1\n  headers:\n    X-Api-Route: a\n    x-api-route: b\nauth:\n  api_key: k0000000\n"
	_, err := config.Parse("c.yaml", []byte(yaml), noEnv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the same header as")
}
