package spec_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

func TestParseRejectsBrokenTables(t *testing.T) {
	doc := `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components: {schemas: {ErrorResponse: {type: object}}}
x-errconform-contract:
  statuses: [{status: 400, type: a}]
  codes: [{code: x, status: 404}]
`
	_, err := spec.Parse([]byte(doc))
	assert.ErrorContains(t, err, "status 404")
}
