package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A contract may name the request schema explore breaks; the config's
// explore.request_schema wins over it.
func TestContractNamesTheRequestSchema(t *testing.T) {
	dir := t.TempDir()
	schema := filepath.Join(dir, "requests.json")
	require.NoError(t, os.WriteFile(schema, []byte(`{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
	  "components": {"schemas": {"CreateChatCompletionRequest": {"type": "object", "required": ["model", "messages"], "properties": {
	    "model": {"type": "string"}, "messages": {"type": "array", "minItems": 1, "items": {"type": "object"}},
	    "errconform_knob": {"type": "integer", "minimum": 0, "maximum": 3}}}}}}`), 0o600))
	data, err := os.ReadFile(acmeContract)
	require.NoError(t, err)
	contract := filepath.Join(dir, "contract.yaml")
	require.NoError(t, os.WriteFile(contract, []byte(strings.Replace(string(data), "  name: acme\n", "  name: acme\n  request_schema: "+schema+"\n", 1)), 0o600))
	cfg := filepath.Join(dir, "errconform.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("target: {base_url: reference}\ncontract: "+contract+"\nexplore: {fields: {include: [errconform_knob]}}\n"), 0o600))
	out := errconform(t, nil, "explore", "--config", cfg, "--dry-run")
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout+out.stderr, "explore/chat/errconform_knob/above-maximum")

	withOwn := filepath.Join(dir, "own.yaml")
	require.NoError(t, os.WriteFile(withOwn, []byte("target: {base_url: reference}\ncontract: "+contract+"\nexplore: {request_schema: /no/such/file.json}\n"), 0o600))
	out = errconform(t, nil, "explore", "--config", withOwn, "--dry-run")
	assert.Equal(t, 2, out.code, "the config's own request schema wins: %s", out.stderr)
	assert.Contains(t, out.stderr, "explore.request_schema")
}
