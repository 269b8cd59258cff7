package spec_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/errconform/errconform/spec"
)

// contractTables parses the two tables of the provider's Error Codes page.
func contractTables(t *testing.T) (map[int]string, map[string]int) {
	t.Helper()
	text, err := os.ReadFile("../testdata/contract/error-codes.txt")
	require.NoError(t, err)
	statusRow := regexp.MustCompile(`(?m)^(\d{3}) \| (\w+) \|`)
	codeRow := regexp.MustCompile(`(?m)^(\w+) \| (\d{3}) \|`)
	types := map[int]string{}
	for _, m := range statusRow.FindAllStringSubmatch(string(text), -1) {
		n, _ := strconv.Atoi(m[1])
		types[n] = m[2]
	}
	codes := map[string]int{}
	for _, m := range codeRow.FindAllStringSubmatch(string(text), -1) {
		n, _ := strconv.Atoi(m[2])
		codes[m[1]] = n
	}
	require.Len(t, types, 10, "the contract page has ten statuses")
	require.Len(t, codes, 8, "the contract page has eight codes")
	return types, codes
}

func TestEmbeddedDocumentValidatesAndMatchesContractText(t *testing.T) {
	c, err := spec.Load()
	require.NoError(t, err)
	types, codes := contractTables(t)

	gotTypes := map[int]string{}
	for _, s := range c.Statuses {
		gotTypes[s.Status] = s.Type
	}
	assert.Equal(t, types, gotTypes)
	gotCodes := map[string]int{}
	for _, e := range c.Codes {
		gotCodes[e.Code] = e.Status
	}
	assert.Equal(t, codes, gotCodes)
}

func TestEveryPathDeclaresErrorSchema(t *testing.T) {
	c, err := spec.Load()
	require.NoError(t, err)
	for _, path := range []string{"/chat/completions", "/models", "/models/{model}", "/files", "/files/{file_id}", "/files/{file_id}/content"} {
		item := c.Document().Paths.Find(path)
		require.NotNil(t, item, path)
		for method, op := range item.Operations() {
			assert.NotNil(t, op.Responses.Value("401"), "%s %s declares 401", method, path)
			for code, resp := range op.Responses.Map() {
				if code[0] < '4' {
					continue
				}
				mt := resp.Value.Content.Get("application/json")
				require.NotNil(t, mt, "%s %s %s is JSON", method, path, code)
				assert.Equal(t, "#/components/schemas/ErrorResponse", mt.Schema.Ref)
				status, _ := strconv.Atoi(code)
				_, known := c.TypeFor(status)
				assert.True(t, known, "%s %s declares %s, which the contract lacks", method, path, code)
			}
		}
	}
}

func TestValidateError(t *testing.T) {
	c, err := spec.Load()
	require.NoError(t, err)
	tests := []struct {
		name  string
		value any
		ok    bool
	}{
		{"full", map[string]any{"error": map[string]any{"message": "m", "type": "t", "param": "p", "code": "c"}}, true},
		{"nulls", map[string]any{"error": map[string]any{"message": "m", "type": "t", "param": nil, "code": nil}}, true},
		{"optional absent", map[string]any{"error": map[string]any{"message": "m", "type": "t"}}, true},
		{"no envelope", map[string]any{"message": "m", "type": "t"}, false},
		{"error is string", map[string]any{"error": "boom"}, false},
		{"numeric code", map[string]any{"error": map[string]any{"message": "m", "type": "t", "code": 401.0}}, false},
		{"missing type", map[string]any{"error": map[string]any{"message": "m"}}, false},
		{"array", []any{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.ValidateError(tt.value)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// minimalContract is a valid contract document; the broken ones below
// change one thing of it.
const minimalContract = `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components: {schemas: {ErrorResponse: {type: object}}}
x-errconform-contract:
  name: mini
  version: "1"
  error_fields: [message, type, code]
  statuses: [{status: 400, type: a}, {status: 404, type: b}]
  codes: [{code: x, status: 404}]
  situations:
    unknown-route: {status: 404, code: x}
    malformed-body: {not_in_contract: "no reason"}
  error_template: {error: {message: "{{message}}"}}
`

func TestParseAcceptsTheMinimalContract(t *testing.T) {
	c, err := spec.Parse([]byte(minimalContract))
	require.NoError(t, err)
	assert.Equal(t, "mini", c.Name)
	assert.Equal(t, "SHOULD", c.Rules.RetryAfter, "Retry-After is a SHOULD unless the contract says otherwise")
	assert.Zero(t, c.Rules.TimeoutStatus, "no timeout status where the contract has no 504 and names none")
	assert.False(t, c.Outcome("missing-field").Covered(), "a situation the contract does not name is not in it")
	assert.Contains(t, c.Outcome("missing-field").NotInContract, "does not name")
}

func TestParseRejectsBrokenContracts(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"code of an unknown status", "codes: [{code: x, status: 404}]", "codes: [{code: x, status: 405}]", "status 405"},
		{"no name", "  name: mini\n", "", "name: is missing"},
		{"unknown error field", "[message, type, code]", "[message, type, code, kind]", `"kind" is not an error member`},
		{"no message", "[message, type, code]", "[type, code]", "must list message"},
		{"status without a type", "{status: 400, type: a}", "{status: 400}", "statuses[0].type: is missing"},
		{"situation of an unknown status", "unknown-route: {status: 404, code: x}", "unknown-route: {status: 418}", "situations.unknown-route.status: 418"},
		{"situation with a code of another status", "unknown-route: {status: 404, code: x}", "unknown-route: {status: 400, code: x}", `"x" belongs to status 404`},
		{"situation with an unknown code", "unknown-route: {status: 404, code: x}", "unknown-route: {status: 404, code: y}", `"y" is not in the code table`},
		{"outcome and not_in_contract", `{not_in_contract: "no reason"}`, `{status: 400, not_in_contract: "no reason"}`, "also gives an outcome"},
		{"retry-after severity", "  error_template:", "  rules: {retry_after: MAYBE}\n  error_template:", `"MAYBE" is not MUST, SHOULD or off`},
		{"timeout status outside the table", "  error_template:", "  rules: {timeout_status: 504}\n  error_template:", "rules.timeout_status: 504"},
		{"gateway timeout", "  error_template:", "  rules: {gateway_timeout: soon}\n  error_template:", "rules.gateway_timeout"},
		{"no template", "  error_template: {error: {message: \"{{message}}\"}}\n", "", "error_template: is missing"},
		{"unknown member", "  name: mini\n", "  name: mini\n  colour: blue\n", "colour"},
		{"no extension", "x-errconform-contract:", "x-other:", "lacks x-errconform-contract"},
		{"template the schema refuses", "components: {schemas: {ErrorResponse: {type: object}}}",
			"components: {schemas: {ErrorResponse: {type: object, required: [error], properties: {error: {type: object, required: [code]}}}}}", "error_template: the body it renders for situation unknown-route"},
		{"external reference", "components: {schemas: {ErrorResponse: {type: object}}}",
			"components: {schemas: {ErrorResponse: {$ref: 'http://127.0.0.1:1/schema.yaml'}}}", "load OpenAPI document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, minimalContract, tt.from)
			_, err := spec.Parse([]byte(strings.Replace(minimalContract, tt.from, tt.to, 1)))
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestBuiltinContracts(t *testing.T) {
	assert.Equal(t, []string{"aiand", "openrouter"}, spec.BuiltinNames())
	for _, name := range spec.BuiltinNames() {
		c, err := spec.Open(name)
		require.NoError(t, err, name)
		assert.Equal(t, name, c.Name)
		assert.Equal(t, "built-in "+name, c.Origin())
	}
	_, err := spec.Open("nosuch")
	assert.ErrorContains(t, err, "built in: aiand, openrouter")
	c, err := spec.Open("../testdata/contracts/acme.yaml")
	require.NoError(t, err)
	assert.Equal(t, "acme", c.Name)
	_, err = spec.Open("../testdata/contracts/missing.yaml")
	assert.ErrorContains(t, err, "read contract")
}

// TestOpenRouterContractMatchesItsPage checks the built-in OpenRouter
// contract against the page it was written from: its statuses, and the
// shape (code equals the status; no type, no param).
func TestOpenRouterContractMatchesItsPage(t *testing.T) {
	text, err := os.ReadFile("../testdata/contract/openrouter-errors.md")
	require.NoError(t, err)
	row := regexp.MustCompile(`(?m)^\| (\d{3}) \|`)
	var want []int
	for _, m := range row.FindAllStringSubmatch(string(text), -1) {
		n, _ := strconv.Atoi(m[1])
		want = append(want, n)
	}
	c, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	assert.Equal(t, want, c.StatusList())
	assert.True(t, c.CodeIsStatus())
	assert.False(t, c.HasTypes())
	assert.False(t, c.HasField("param"))
	assert.False(t, c.OpenAICompatible)
	assert.NoError(t, c.ValidateError(map[string]any{"error": map[string]any{"code": 401.0, "message": "m", "metadata": map[string]any{}}}))
	assert.Error(t, c.ValidateError(map[string]any{"error": map[string]any{"code": "invalid_api_key", "message": "m"}}), "a string code")
	assert.Error(t, c.ValidateError(map[string]any{"error": map[string]any{"message": "m"}}), "no code")
}

// A YAML alias bomb is refused before it expands: a contract file is
// bounded in size and in what it may cost to read.
func TestParseRefusesAnAliasBomb(t *testing.T) {
	bomb := "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += fmt.Sprintf("%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	_, err := spec.Parse([]byte(bomb + minimalContract))
	assert.Error(t, err)
}

func TestRenderError(t *testing.T) {
	values := spec.ErrorValues{Status: 429, Message: "Slow down.", Type: "rate_limit_error", Code: "rate_limit_exceeded"}
	for _, tc := range []struct {
		name     string
		template string
		want     string
	}{
		{"aiand", `{"error":{"message":"{{message}}","type":"{{type}}","param":"{{param}}","code":"{{code}}"}}`,
			`{"error":{"code":"rate_limit_exceeded","message":"Slow down.","param":null,"type":"rate_limit_error"}}`},
		{"status as a number", `{"error":{"code":"{{status}}","message":"{{message}}"}}`,
			`{"error":{"code":429,"message":"Slow down."}}`},
		{"placeholders among text", `{"detail":"{{status}} {{type}}: {{message}} ({{param}})"}`,
			`{"detail":"429 rate_limit_error: Slow down. ()"}`},
		{"arrays and other values are kept", `{"errors":[{"msg":"{{message}}","n":1.5,"ok":false,"x":null}],"status":"{{status}}","v":"{{unknown}}"}`,
			`{"errors":[{"msg":"Slow down.","n":1.5,"ok":false,"x":null}],"status":429,"v":"{{unknown}}"}`},
		{"a bare string", `"{{message}}"`, `"Slow down."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := spec.Load()
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal([]byte(tc.template), &c.ErrorTemplate))
			before, err := json.Marshal(c.ErrorTemplate)
			require.NoError(t, err)
			got, err := c.RenderError(values)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			after, err := json.Marshal(c.ErrorTemplate)
			require.NoError(t, err)
			assert.Equal(t, before, after, "the template is not modified")
		})
	}
}

func TestSchemaLeaves(t *testing.T) {
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	assert.Empty(t, spec.SchemaLeaves(nil))
	var body any
	require.NoError(t, json.Unmarshal([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":5}}]}`), &body))
	leaves := spec.SchemaLeaves(rs.ValidateChat(body))
	require.NotEmpty(t, leaves)
	var pointers []string
	for _, l := range leaves {
		pointers = append(pointers, strings.Join(l.JSONPointer(), "/"))
	}
	assert.Contains(t, pointers, "tools/0/function/name", "the innermost violation, not the union that holds it")
}

// A JSON document takes encoding/json's road (loadDocument), a YAML one
// kin-openapi's: the same contract either way, and neither fetches an
// external reference.
func TestJSONAndYAMLDocumentsLoadAlike(t *testing.T) {
	for _, name := range spec.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			yamlText, err := os.ReadFile("contracts/" + name + ".yaml")
			require.NoError(t, err)
			jsonText, err := sigsyaml.YAMLToJSON(yamlText)
			require.NoError(t, err)
			fromYAML, err := spec.Parse(yamlText)
			require.NoError(t, err)
			fromJSON, err := spec.Parse(jsonText)
			require.NoError(t, err)
			assert.Equal(t, fromYAML.Name, fromJSON.Name)
			assert.Equal(t, fromYAML.Statuses, fromJSON.Statuses)
			assert.Equal(t, fromYAML.Codes, fromJSON.Codes)
			assert.Equal(t, fromYAML.Rules, fromJSON.Rules)
			for _, body := range []string{`{"error":{"message":"m","type":"t","param":null,"code":null}}`, `{"error":{"message":"m","code":400}}`, `{}`} {
				var value any
				require.NoError(t, json.Unmarshal([]byte(body), &value))
				assert.Equal(t, fromYAML.ValidateError(value) == nil, fromJSON.ValidateError(value) == nil, body)
			}
		})
	}
	_, err := spec.ParseRequestSchemas([]byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{},
		"components":{"schemas":{"CreateChatCompletionRequest":{"$ref":"http://127.0.0.1:1/schema.json"}}}}`))
	assert.ErrorContains(t, err, "load OpenAPI document")
}

// A bare name is a built-in even when a file of that name is in the
// working directory; a path says it is one; a bare name that is no
// built-in but names a file is refused, pointing at ./name.
func TestOpenNeverLetsAFileShadowABuiltin(t *testing.T) {
	acme, err := os.ReadFile("../testdata/contracts/acme.yaml")
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	for _, name := range []string{"aiand", "openrouter", "mine", "my.contract"} {
		require.NoError(t, os.WriteFile(name, acme, 0o644))
	}
	for _, name := range spec.BuiltinNames() {
		c, err := spec.Open(name)
		require.NoError(t, err)
		assert.Equal(t, name, c.Name)
		assert.Equal(t, "built-in "+name, c.Origin())
		c, err = spec.Open("./" + name)
		require.NoError(t, err)
		assert.Equal(t, "acme", c.Name, "a path reads the file")
	}
	for _, name := range []string{"mine", "my.contract"} {
		_, err = spec.Open(name)
		assert.ErrorContains(t, err, "./"+name)
		assert.ErrorContains(t, err, "no built-in contract")
	}
	for path, want := range map[string]bool{"aiand": false, "my.contract": false, "./aiand": true, "c.yaml": true, "c.YML": true, "c.json": true, `dir\c`: true, "/abs/c": true} {
		assert.Equal(t, want, spec.LooksLikePath(path), path)
	}
}
