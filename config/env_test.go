package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

// Every value a ${VAR} brings in is a secret, whatever field it went into
// (a routing header, a model name), unless public_env lists its variable;
// config check lists the variables by name.
func TestEnvironmentValuesAreSecretsUnlessPublic(t *testing.T) {
	env := fakeEnv(map[string]string{
		"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"DB_PASSWORD":           "hunter2-correct-horse",
		"BUILD_ID":              "build-20261207-42",
		"STAGING_HOST":          "staging.example.com",
		"FAULT":                 "abcdefgH12345678",
		"KEY":                   "sk-test-0000000001",
	})
	yml := `public_env: [BUILD_ID]
target:
  base_url: https://${STAGING_HOST}/v1
  headers:
    X-Info: "build ${AWS_SECRET_ACCESS_KEY}"
    X-Build: ${BUILD_ID}
auth:
  api_key: ${KEY}
fixtures:
  model: m-${DB_PASSWORD}
  internal_error_header: "X-Fault: ${FAULT}"
`
	cfg, err := config.Parse("c.yaml", []byte(yml), env)
	require.NoError(t, err)
	secrets := cfg.Secrets()
	for _, v := range []string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "hunter2-correct-horse", "staging.example.com", "abcdefgH12345678", "sk-test-0000000001"} {
		assert.Contains(t, secrets, v)
	}
	assert.NotContains(t, secrets, "build-20261207-42", "public_env lists BUILD_ID")
	assert.Equal(t, "DB_PASSWORD", cfg.SecretEnv()["hunter2-correct-horse"], "reproduction commands name the variable")
	assert.Equal(t, "ERRCONFORM_API_KEY", cfg.SecretEnv()["sk-test-0000000001"], "the key keeps errconform's own variable")
	assert.Equal(t, []config.EnvVar{
		{Name: "STAGING_HOST", Fields: []string{"target.base_url"}},
		{Name: "AWS_SECRET_ACCESS_KEY", Fields: []string{"target.headers.X-Info"}},
		{Name: "BUILD_ID", Fields: []string{"target.headers.X-Build"}, Public: true},
		{Name: "KEY", Fields: []string{"auth.api_key"}},
		{Name: "DB_PASSWORD", Fields: []string{"fixtures.model"}},
		{Name: "FAULT", Fields: []string{"fixtures.internal_error_header"}},
	}, cfg.EnvVars())
}

// public_env cannot make a credential public: not a variable named like
// one, not one read into a field that holds one.
func TestPublicEnvCannotListACredential(t *testing.T) {
	env := fakeEnv(map[string]string{"ID": "abcdefgh1234", "SHA": "0123456789abcdef"})
	tests := []struct {
		name, yaml, field, want string
	}{
		{"named like a key", "public_env: [AWS_SECRET_ACCESS_KEY]\n", "public_env[0]", "named like a credential"},
		{"named like a token", "public_env: [BUILD_ID, GITHUB_TOKEN]\n", "public_env[1]", "named like a credential"},
		{"named like a password", "public_env: [db_password]\n", "public_env[0]", "named like a credential"},
		{"not a name", "public_env: [\"A B\"]\n", "public_env[0]", "not an environment variable name"},
		{"not a list", "public_env: BUILD_ID\n", "public_env", "must be a list"},
		{"into the key", "public_env: [ID]\nauth:\n  api_key: ${ID}\n", "auth.api_key", "cannot be public"},
		{"into a fixture key", "public_env: [ID]\nfixtures:\n  expired_api_key: ${ID}\n", "fixtures.expired_api_key", "cannot be public"},
		{"into the fault header", "public_env: [ID]\nfixtures:\n  internal_error_header: \"X-Fault: ${ID}\"\n", "fixtures.internal_error_header", "cannot be public"},
		{"into a secret header", "public_env: [SHA]\ntarget:\n  headers:\n    X-Session-Token: ${SHA}\n", "target.headers.X-Session-Token", "cannot be public"},
		{"into a fleet target's key", "public_env: [ID]\ntargets:\n  - name: a\n    base_url: reference\n    auth: {api_key: \"${ID}\"}\n", "targets[0].auth.api_key", "cannot be public"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("c.yaml", []byte(tt.yaml), env)
			ce := configError(t, err)
			assert.Equal(t, tt.field, ce.Field, err.Error())
			assert.Contains(t, ce.Msg, tt.want)
			assert.NotContains(t, err.Error(), "abcdefgh1234")
		})
	}
}

// A validation error that quotes a value (a base URL that is no URL) does
// not print what came from the environment.
func TestValidationErrorsHideEnvironmentValues(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	_, err := config.Parse("c.yaml", []byte("target:\n  base_url: \"${AWS_SECRET_ACCESS_KEY}\"\nauth:\n  api_key: sk-test-0000000001\n"),
		fakeEnv(map[string]string{"AWS_SECRET_ACCESS_KEY": secret}))
	ce := configError(t, err)
	assert.Equal(t, "target.base_url", ce.Field)
	assert.NotContains(t, err.Error(), secret)
	assert.Contains(t, ce.Hide, secret, "the runner redacts its fragments too")
}

// Every target of a fleet redacts every value the file read, its own and
// the other targets'.
func TestFleetMembersRedactEveryEnvironmentValue(t *testing.T) {
	env := fakeEnv(map[string]string{"EU_KEY": "sk-eu-0000000001", "US_MODEL": "us-model-secret-name"})
	yml := `targets:
  - name: eu
    base_url: reference
    auth: {api_key: "${EU_KEY}"}
  - name: us
    base_url: reference
    fixtures: {model: "${US_MODEL}"}
`
	cfg, err := config.Parse("c.yaml", []byte(yml), env)
	require.NoError(t, err)
	require.Len(t, cfg.Fleet, 2)
	for _, m := range cfg.Fleet {
		assert.Contains(t, m.Config.Secrets(), "sk-eu-0000000001", m.Name)
		assert.Contains(t, m.Config.Secrets(), "us-model-secret-name", m.Name)
	}
	assert.Equal(t, []string{"targets[0].auth.api_key"}, cfg.EnvVars()[0].Fields)
}

// A value from the environment stays a string whatever it looks like.
func TestExpandedValuesStayStrings(t *testing.T) {
	for _, v := range []string{"123", "true", "null", "1.5", "~", "[a]"} {
		cfg, err := config.Parse("c.yaml", []byte("public_env: [M]\nfixtures:\n  model: ${M}\n"), fakeEnv(map[string]string{"M": v}))
		require.NoError(t, err, v)
		assert.Equal(t, v, cfg.Fixtures.Model)
	}
}
