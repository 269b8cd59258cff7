package config_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/errconform/errconform/config"
)

// compileConfigSchema compiles config.Schema with a JSON Schema validator
// of its own (draft 2020-12).
func compileConfigSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	text, err := config.Schema()
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(text))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource(config.SchemaID, doc))
	s, err := c.Compile(config.SchemaID)
	require.NoError(t, err)
	return s
}

// validateYAML validates YAML text against the schema, as an editor's
// YAML language server does: the YAML as its JSON data model.
func validateYAML(t *testing.T, s *jsonschema.Schema, text []byte) error {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(text, &v))
	data, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	return s.Validate(inst)
}

// repoConfigs are every errconform config in the repository: the
// examples, testdata's configs and the one the Kubernetes ConfigMap
// holds.
func repoConfigs(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var paths []string
	for _, glob := range []string{"../examples/*.yaml", "../testdata/*.yaml", "../testdata/configs/*.yaml"} {
		matches, err := filepath.Glob(glob)
		require.NoError(t, err)
		paths = append(paths, matches...)
	}
	for _, p := range paths {
		text, err := os.ReadFile(p)
		require.NoError(t, err)
		out[p] = text
	}
	cm, err := os.ReadFile("../deploy/kubernetes/configmap.yaml")
	require.NoError(t, err)
	var m struct {
		Data map[string]string `yaml:"data"`
	}
	require.NoError(t, yaml.Unmarshal(cm, &m))
	require.Contains(t, m.Data, "errconform.yaml")
	out["deploy/kubernetes/configmap.yaml data.errconform.yaml"] = []byte(m.Data["errconform.yaml"])
	require.GreaterOrEqual(t, len(out), 3, "the examples were not found")
	return out
}

func TestSchemaValidatesEveryConfigInTheRepository(t *testing.T) {
	s := compileConfigSchema(t)
	env := func(name string) (string, bool) {
		if strings.Contains(name, "TARGET") {
			return "https://staging.example.com/v1", true
		}
		return "sk-anything-0001", true
	}
	for name, text := range repoConfigs(t) {
		t.Run(name, func(t *testing.T) {
			// A config errconform reads…
			_, err := config.Parse(name, text, env)
			require.NoError(t, err)
			// …is one the schema accepts.
			assert.NoError(t, validateYAML(t, s, text))
		})
	}
}

// The schema refuses what the decoder refuses and accepts what it
// accepts: every key of a full config, and no unknown one.
func TestSchemaAgreesWithTheDecoder(t *testing.T) {
	s := compileConfigSchema(t)
	full, err := fullConfig().Marshal()
	require.NoError(t, err)
	tests := []struct {
		name string
		text string
		ok   bool
	}{
		{name: "every single-target key", text: string(full), ok: true},
		{name: "a fleet", text: "limits:\n  max_rps: 2\ntargets:\n  - name: a\n    base_url: https://a.example.com/v1\n    fixtures:\n      rate_limit_endpoint: chat\n", ok: true},
		{name: "unknown top-level key", text: "fixture:\n  model: x\n"},
		{name: "unknown nested key", text: "target:\n  timout: 3s\n"},
		{name: "unknown key in a target", text: "targets:\n  - name: a\n    base_url: https://a.example.com/v1\n    fixture: {}\n"},
		{name: "target without base_url", text: "targets:\n  - name: a\n"},
		{name: "not a duration", text: "target:\n  timeout: 40\n"},
		{name: "not a number", text: "limits:\n  concurrency: many\n"},
		{name: "unknown fixture required", text: "require: [modle]\n"},
		{name: "unknown rate-limit endpoint", text: "fixtures:\n  rate_limit_endpoint: completions\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateYAML(t, s, []byte(tt.text))
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// An unknown key is refused naming the file and the field, with the key
// it most likely meant.
func TestUnknownKeyDidYouMean(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"fixture:\n  model: x\n", `errconform.yaml: fixture: line 1: unknown key fixture (did you mean fixtures?)`},
		{"target:\n  timout: 3s\n", `errconform.yaml: target.timout: line 2: unknown key timout (did you mean timeout?)`},
		{"limits:\n  max_rsp: 3\n", `(did you mean max_rps?)`},
		{"fixtures:\n  modle: x\n", `(did you mean model?)`},
		{"targets:\n  - name: a\n    base_url: https://a.example.com/v1\n    fixture: {}\n", `(did you mean fixtures?)`},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, err := config.Parse("errconform.yaml", []byte(tt.text), noEnv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	// Nothing close: no guess.
	_, err := config.Parse("errconform.yaml", []byte("zzzzzz: 1\n"), noEnv)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "did you mean")
}
