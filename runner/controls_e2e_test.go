package runner_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// contractWithout writes testdata/contracts/acme.yaml with the given
// paths cut from its document, and returns the file.
func contractWithout(t *testing.T, cut ...string) string {
	t.Helper()
	data, err := os.ReadFile(acmeContract)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(data, &doc))
	paths, ok := doc["paths"].(map[string]any)
	require.True(t, ok, "acme.yaml has paths")
	for _, p := range cut {
		require.Contains(t, paths, p)
		delete(paths, p)
	}
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "cut.yaml")
	require.NoError(t, os.WriteFile(path, out, 0o600))
	return path
}

// A contract that covers none of the positive controls cannot prove that
// a run tests the intended target: it is refused before anything is sent,
// by every command that resolves a run.
func TestContractCoveringNoPositiveControlIsRefused(t *testing.T) {
	none := contractWithout(t, "/models", "/models/{model}", "/chat/completions")
	modelsOnly := contractWithout(t, "/chat/completions")
	fleet := writeFleet(t, nil, map[string]any{"name": "ok", "base_url": "reference"},
		map[string]any{"name": "blind", "base_url": "reference", "contract": none})
	cfgFile := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte("target:\n  base_url: reference\ncontract: "+none+"\n"), 0o600))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"run", []string{"run", "--target", "reference", "--contract", none}, 2, "the contract acme"},
		{"explore", []string{"explore", "--target", "reference", "--contract", none}, 2, "covers none of the positive controls"},
		{"monitor", []string{"monitor", "--target", "reference", "--contract", none, "--listen", "127.0.0.1:0"}, 2, "covers none of the positive controls"},
		{"config check", []string{"config", "check", cfgFile}, 2, "covers none of the positive controls"},
		{"a fleet member", []string{"run", "--config", fleet}, 2, "target blind: the contract acme"},
		{"a contract with one control's route runs", []string{"run", "--target", "reference", "--contract", modelsOnly, "--quiet"}, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, nil, tt.args...)
			if tt.code < 0 {
				assert.NotEqual(t, 2, out.code, out.stdout+out.stderr)
				assert.NotContains(t, out.stderr, "covers none of the positive controls")
				return
			}
			assert.Equal(t, tt.code, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stderr, tt.want)
			assert.Contains(t, out.stderr, none, "the message names the contract's file")
			assert.NotContains(t, out.stdout, "PASS", "nothing was sent")
		})
	}
}
