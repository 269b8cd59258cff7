package runner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// config check --explain prints every value with where it came from, and
// never a secret's value.
func TestConfigCheckExplain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "errconform.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`target:
  base_url: https://staging.example.com/v1
  headers:
    X-Region: eu
auth:
  api_key: ${MY_KEY}
fixtures:
  model: gpt-x
  no_credits_api_key: sk-nocredits-0000000001
limits:
  concurrency: 3
  max_rps: 4
`), 0o600))
	const fileKey, envKey = "sk-file-secret-000000001", "sk-env-secret-000000002"
	env := map[string]string{"MY_KEY": fileKey, "ERRCONFORM_MAX_RPS": "2", "ERRCONFORM_JUNIT": "out.xml", "ERRCONFORM_TIMEOUT": "50s"}
	code, stdout, stderr := invoke(env, "config", "check", "--explain", path)
	require.Equal(t, ExitOK, code, stderr)
	lines := map[string]string{}
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); len(f) >= 3 {
			lines[f[0]] = strings.Join(f[1:], " ")
		}
	}
	tests := []struct{ field, want string }{
		{"target.base_url", "https://staging.example.com/v1 " + path + ":target.base_url"},
		{"target.headers.X-Region", "eu " + path + ":target.headers.X-Region"},
		{"target.timeout", "50s $ERRCONFORM_TIMEOUT (--timeout)"},
		{"auth.api_key", "set (from $MY_KEY) " + path + ":auth.api_key (${MY_KEY})"},
		{"fixtures.model", "gpt-x " + path + ":fixtures.model"},
		{"fixtures.no_credits_api_key", "[REDACTED] " + path + ":fixtures.no_credits_api_key"},
		{"limits.max_rps", "2 $ERRCONFORM_MAX_RPS (--max-rps)"},
		{"limits.concurrency", "3 " + path + ":limits.concurrency"},
		{"--deadline", "30m0s default"},
		{"--junit", "out.xml $ERRCONFORM_JUNIT (--junit)"},
		{"contract", "aiand default"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, lines[tt.field], "%s in:\n%s", tt.field, stdout)
	}
	assert.NotContains(t, stdout, fileKey)
	assert.NotContains(t, stdout, "sk-nocredits-0000000001")
	assert.Contains(t, stdout, "What the target is:")
	assert.Contains(t, stdout, "How to run:")

	// The key from ERRCONFORM_API_KEY wins over the file's, and is named
	// by its variable, never shown.
	env["ERRCONFORM_API_KEY"] = envKey
	code, stdout, stderr = invoke(env, "config", "check", "--explain", path)
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stdout, "set (from $ERRCONFORM_API_KEY)")
	assert.NotContains(t, stdout, envKey)

	// Without --explain, no sources.
	code, stdout, _ = invoke(env, "config", "check", path)
	require.Equal(t, ExitOK, code)
	assert.NotContains(t, stdout, "How to run:")
}

// An unknown key exits 2 naming the file and the field, with the key it
// most likely meant.
func TestConfigUnknownKeySuggestion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(path, []byte("target:\n  base_url: https://staging.example.com/v1\nauth:\n  api_key: sk-test-0000000000000001\nfixture:\n  model: gpt-x\n"), 0o600))
	for _, args := range [][]string{{"config", "check", path}, {"run", "--dry-run", "--config", path}} {
		code, _, stderr := invoke(nil, args...)
		assert.Equal(t, ExitUsage, code, args)
		assert.Contains(t, stderr, path+": fixture: line 5: unknown key fixture (did you mean fixtures?)", args)
	}
}

// Config discovery: the working directory first, then each parent up to
// the repository's root (the directory holding .git), never above it.
func TestDiscoverConfig(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	deep := filepath.Join(repo, "a", "b")
	require.NoError(t, os.MkdirAll(deep, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(repo, ".git"), 0o755))
	sep := string(filepath.Separator)
	tests := []struct {
		name  string
		files []string // created, relative to root
		dir   string
		want  string
	}{
		{name: "none", dir: deep, want: ""},
		{name: "in the working directory", files: []string{"repo/a/b/errconform.yaml"}, dir: deep, want: "errconform.yaml"},
		{name: "dot file", files: []string{"repo/a/b/.errconform.yaml"}, dir: deep, want: ".errconform.yaml"},
		{name: "in the parent", files: []string{"repo/a/errconform.yaml"}, dir: deep, want: ".." + sep + "errconform.yaml"},
		{name: "at the repository root", files: []string{"repo/.errconform.yaml"}, dir: deep, want: ".." + sep + ".." + sep + ".errconform.yaml"},
		{name: "nearest wins", files: []string{"repo/errconform.yaml", "repo/a/errconform.yaml"}, dir: deep, want: ".." + sep + "errconform.yaml"},
		{name: "never above the repository root", files: []string{"errconform.yaml"}, dir: deep, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range tt.files {
				p := filepath.Join(root, filepath.FromSlash(f))
				require.NoError(t, os.WriteFile(p, []byte("{}\n"), 0o600))
				t.Cleanup(func() { _ = os.Remove(p) })
			}
			assert.Equal(t, tt.want, discoverConfig(tt.dir))
		})
	}
}

// A run in a subdirectory of the repository finds the config in a parent
// directory and says which file it used on standard error, --quiet too.
func TestConfigFoundInParentDirectory(t *testing.T) {
	repo := t.TempDir()
	sub := filepath.Join(repo, "services", "gateway")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(repo, ".git"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "errconform.yaml"),
		[]byte("target:\n  base_url: https://parent.example.com/v1\nauth:\n  api_key: sk-test-0000000000000001\n"), 0o600))
	t.Chdir(sub)
	for _, quiet := range []bool{false, true} {
		args := []string{"run", "--dry-run", "--case", "control/models-list"}
		if quiet {
			args = append(args, "--quiet")
		}
		code, stdout, stderr := invoke(nil, args...)
		require.Equal(t, ExitOK, code, stderr)
		want := filepath.Join("..", "..", "errconform.yaml")
		assert.Contains(t, stderr, "using config "+want, "quiet %v", quiet)
		assert.Contains(t, stdout, "parent.example.com", "the parent's config was not used")
	}
	// --config names another file: nothing is looked for, nothing said.
	other := filepath.Join(t.TempDir(), "other.yaml")
	require.NoError(t, os.WriteFile(other, []byte("target:\n  base_url: https://other.example.com/v1\nauth:\n  api_key: sk-test-0000000000000001\n"), 0o600))
	code, stdout, stderr := invoke(nil, "run", "--dry-run", "--case", "control/models-list", "--config", other)
	require.Equal(t, ExitOK, code, stderr)
	assert.NotContains(t, stderr, "using config")
	assert.Contains(t, stdout, "other.example.com")
}

// errconform schema --config prints a JSON Schema of the config file.
func TestSchemaConfigCommand(t *testing.T) {
	code, stdout, stderr := invoke(nil, "schema", "--config")
	require.Equal(t, ExitOK, code, stderr)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", doc["$schema"])
	assert.Contains(t, doc["properties"], "fixtures")
	assert.Equal(t, false, doc["additionalProperties"])
	// Without --config: the report's schema, as before.
	code, stdout, _ = invoke(nil, "schema")
	require.Equal(t, ExitOK, code)
	assert.NotContains(t, stdout, `"fixtures"`)
}
