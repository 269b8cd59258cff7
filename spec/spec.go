// Package spec owns the error contract as data: the embedded OpenAPI document
// (loaded and validated with kin-openapi), its ErrorResponse schema, and the
// contract's status -> type and code -> status tables read from the
// document's x-errconform-contract extension. No other package repeats them.
package spec

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var openAPIDocument []byte

// ContractExtension is the name of the OpenAPI extension holding the tables.
const ContractExtension = "x-errconform-contract"

// StatusEntry is one row of the contract's status table.
type StatusEntry struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// CodeEntry is one row of the contract's code table.
type CodeEntry struct {
	Code   string `json:"code"`
	Status int    `json:"status"`
	When   string `json:"when"`
}

// Contract is the error contract: its tables and the ErrorResponse schema.
type Contract struct {
	Version  string        `json:"version"`
	Statuses []StatusEntry `json:"statuses"`
	Codes    []CodeEntry   `json:"codes"`

	doc         *openapi3.T
	errorSchema *openapi3.Schema
	typeOf      map[int]string
	statusOf    map[string]int
}

// Load parses and validates the embedded OpenAPI document and returns the
// contract it describes.
func Load() (*Contract, error) {
	return Parse(openAPIDocument)
}

// Parse loads an OpenAPI document, validates it and extracts the contract.
func Parse(data []byte) (*Contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("spec: load OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("spec: OpenAPI document is invalid: %w", err)
	}
	raw, ok := doc.Extensions[ContractExtension]
	if !ok {
		return nil, fmt.Errorf("spec: OpenAPI document lacks %s", ContractExtension)
	}
	encoded, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("spec: re-encode %s: %w", ContractExtension, err)
	}
	c := &Contract{doc: doc, typeOf: map[int]string{}, statusOf: map[string]int{}}
	if err := json.Unmarshal(encoded, c); err != nil {
		return nil, fmt.Errorf("spec: decode %s: %w", ContractExtension, err)
	}
	if len(c.Statuses) == 0 || len(c.Codes) == 0 {
		return nil, fmt.Errorf("spec: %s has an empty status or code table", ContractExtension)
	}
	for _, s := range c.Statuses {
		if _, dup := c.typeOf[s.Status]; dup {
			return nil, fmt.Errorf("spec: status %d listed twice", s.Status)
		}
		c.typeOf[s.Status] = s.Type
	}
	for _, e := range c.Codes {
		if _, dup := c.statusOf[e.Code]; dup {
			return nil, fmt.Errorf("spec: code %q listed twice", e.Code)
		}
		if _, known := c.typeOf[e.Status]; !known {
			return nil, fmt.Errorf("spec: code %q maps to status %d, which the status table lacks", e.Code, e.Status)
		}
		c.statusOf[e.Code] = e.Status
	}
	ref := doc.Components.Schemas["ErrorResponse"]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("spec: components.schemas.ErrorResponse is missing")
	}
	c.errorSchema = ref.Value
	return c, nil
}

// TypeFor returns the error type the contract assigns to an HTTP status.
func (c *Contract) TypeFor(status int) (string, bool) {
	t, ok := c.typeOf[status]
	return t, ok
}

// StatusForCode returns the HTTP status the contract assigns to an error code.
func (c *Contract) StatusForCode(code string) (int, bool) {
	s, ok := c.statusOf[code]
	return s, ok
}

// StatusList returns the contract's statuses in ascending order.
func (c *Contract) StatusList() []int {
	out := make([]int, 0, len(c.typeOf))
	for s := range c.typeOf {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// ValidateError validates a decoded JSON value (as produced by encoding/json
// into an any) against the ErrorResponse schema, reporting every violation.
func (c *Contract) ValidateError(value any) error {
	return c.errorSchema.VisitJSON(value, openapi3.MultiErrors())
}

// Document returns the loaded OpenAPI document.
func (c *Contract) Document() *openapi3.T { return c.doc }

//go:embed report.schema.json
var reportSchema []byte

// ReportSchema returns the JSON Schema of errconform's JSON report.
func ReportSchema() []byte { return append([]byte(nil), reportSchema...) }
