// Package spec owns the error contract as data: one OpenAPI 3 document per
// contract (loaded and validated with kin-openapi), its ErrorResponse
// schema, and errconform's x-errconform-contract extension: the error
// fields the contract has, its statuses (with their types, where it has
// types) and codes, each situation's expected outcome, the settings of the
// rules and the template of the reference's error body. The built-in
// contracts are embedded; any other is a file. No other package repeats
// what a contract says: they read it from here.
package spec

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/errconform/errconform/config"
)

//go:embed contracts/*.yaml
var builtinContracts embed.FS

// DefaultContract is the built-in contract a run uses when none is named:
// the provider's "Error Codes" page (testdata/contract/error-codes.txt).
const DefaultContract = "aiand"

// ContractExtension is the name of the OpenAPI extension holding the
// contract's data.
const ContractExtension = "x-errconform-contract"

// MaxContractBytes bounds a contract file: a contract is a few hundred
// lines.
const MaxContractBytes = 1 << 20

// StatusEntry is one row of the contract's status table.
type StatusEntry struct {
	Status      int    `json:"status"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description"`
}

// CodeEntry is one row of the contract's code table.
type CodeEntry struct {
	Code   string `json:"code"`
	Status int    `json:"status"`
	When   string `json:"when"`
}

// Outcome is what a contract says a situation must return: a status (and
// a code, where the contract names one), or that the contract does not
// cover the situation at all.
type Outcome struct {
	Status int    `json:"status,omitempty"`
	Code   string `json:"code,omitempty"`
	// NotInContract, when set, says why the contract does not cover the
	// situation: its cases are listed as such, never run and never passed.
	NotInContract string `json:"not_in_contract,omitempty"`
	// MidStream accepts, besides the status, a 200 whose JSON body or
	// server-sent event carries the error: the contract lets errors that
	// happen after the model started arrive that way.
	MidStream bool `json:"mid_stream,omitempty"`
}

// Covered reports whether the contract covers the situation.
func (o Outcome) Covered() bool { return o.NotInContract == "" }

// Rule severities a contract may set.
const (
	SeverityMust   = "MUST"
	SeverityShould = "SHOULD"
	SeverityOff    = "off"
)

// RuleSettings are the settings of the rules that a contract decides.
type RuleSettings struct {
	// RetryAfter is the severity of the Retry-After rule on a 429: MUST,
	// SHOULD (the default) or off.
	RetryAfter string `json:"retry_after,omitempty"`
	// TimeoutStatus is the status a gateway timeout is answered with (504
	// by default, where the contract has a 504; none otherwise); the
	// timeout rule bounds how long it may take.
	TimeoutStatus int `json:"timeout_status,omitempty"`
	// GatewayTimeout is the contract's upstream timeout ("30s"): the
	// default of target.gateway_timeout.
	GatewayTimeout string `json:"gateway_timeout,omitempty"`
}

// Contract is one error contract.
type Contract struct {
	// Name is the contract's short name ("aiand", "openrouter").
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source,omitempty"`
	// OpenAICompatible says the official OpenAI SDK must parse the errors
	// (the sdk rule).
	OpenAICompatible bool `json:"openai_compatible"`
	// ErrorFields are the members of the error object the contract knows
	// ("message", "type", "param", "code", "metadata").
	ErrorFields []string `json:"error_fields"`
	// EqualsStatus are the error members that must carry the HTTP status
	// as a number (OpenRouter's code).
	EqualsStatus []string      `json:"equals_status,omitempty"`
	Statuses     []StatusEntry `json:"statuses"`
	Codes        []CodeEntry   `json:"codes,omitempty"`
	// Situations maps a situation of errconform's catalogue to its outcome
	// under this contract. A situation the contract does not name is not
	// in the contract.
	Situations map[string]Outcome `json:"situations"`
	Rules      RuleSettings       `json:"rules"`
	// RequestSchema names the request schema document explore breaks for
	// this contract's API (a path); empty for OpenAI's embedded one. A
	// config's explore.request_schema wins over it.
	RequestSchema string `json:"request_schema,omitempty"`
	// ErrorTemplate is the reference's error body: a JSON value whose
	// strings "{{message}}", "{{type}}", "{{param}}", "{{code}}" and
	// "{{status}}" are replaced by the error's values (null where one is
	// empty, a number for the status).
	ErrorTemplate any `json:"error_template"`

	origin         string
	raw            []byte
	doc            *openapi3.T
	errorSchema    *openapi3.Schema
	typeOf         map[int]string
	statusKnown    map[int]bool
	statusOf       map[string]int
	gatewayTimeout time.Duration
	routes         []Route
}

// Load returns the default built-in contract.
func Load() (*Contract, error) { return Builtin(DefaultContract) }

// BuiltinNames lists the built-in contracts, the default first.
func BuiltinNames() []string {
	entries, _ := builtinContracts.ReadDir("contracts") // embedded: cannot fail
	names := []string{DefaultContract}
	for _, e := range entries {
		if name := strings.TrimSuffix(e.Name(), ".yaml"); name != DefaultContract {
			names = append(names, name)
		}
	}
	return names
}

// LooksLikePath reports whether a --contract value is a file's path rather
// than a built-in's name: it holds a path separator or ends in .yaml, .yml
// or .json.
func LooksLikePath(nameOrPath string) bool {
	if strings.ContainsAny(nameOrPath, `/\`) {
		return true
	}
	switch strings.ToLower(path.Ext(nameOrPath)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// Builtin returns the built-in contract of that name.
func Builtin(name string) (*Contract, error) {
	data, err := builtinContracts.ReadFile(path.Join("contracts", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("spec: no built-in contract %q (built in: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("spec: built-in contract %s: %w", name, err)
	}
	c.origin = "built-in " + name
	return c, nil
}

// Open returns the contract a --contract value names: "" for the default,
// a built-in name, or the path of a contract file. A bare name is always a
// built-in, never a file: a file named aiand (added by a pull request, say)
// must not replace the built-in aiand. A path says it is one: it holds a
// separator or ends in .yaml, .yml or .json (./aiand reads the file). A
// bare name that is no built-in but names a file is refused, pointing at
// ./name.
func Open(nameOrPath string) (*Contract, error) {
	if nameOrPath == "" {
		return Load()
	}
	if !LooksLikePath(nameOrPath) {
		if slices.Contains(BuiltinNames(), nameOrPath) {
			return Builtin(nameOrPath)
		}
		if _, err := os.Stat(nameOrPath); err == nil {
			return nil, fmt.Errorf("spec: %q is no built-in contract (built in: %s); to read the file of that name, write it as a path: ./%s", nameOrPath, strings.Join(BuiltinNames(), ", "), nameOrPath)
		}
		return Builtin(nameOrPath)
	}
	data, err := config.ReadFileLimited(nameOrPath, MaxContractBytes)
	if err != nil {
		return nil, fmt.Errorf("spec: read contract: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("spec: contract %s: %w", nameOrPath, err)
	}
	c.origin = nameOrPath
	return c, nil
}

// loadDocument loads an OpenAPI document with loader. A JSON document is
// decoded with encoding/json and its references resolved by the loader:
// kin-openapi's LoadFromData reads every document as YAML first, which
// costs a JSON document (the request schemas, 67 KB) several times as
// much. Anything else, or JSON that does not decode, goes to LoadFromData,
// whose errors say where a document is wrong.
func loadDocument(loader *openapi3.Loader, data []byte) (*openapi3.T, error) {
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		doc := &openapi3.T{}
		if json.Unmarshal(data, doc) == nil {
			if err := loader.ResolveRefsIn(doc, nil); err != nil {
				return nil, err
			}
			return doc, nil
		}
	}
	return loader.LoadFromData(data)
}

// Parse loads an OpenAPI document, validates it and extracts the contract.
func Parse(data []byte) (*Contract, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false // a contract is one document: nothing is fetched
	doc, err := loadDocument(loader, data)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is invalid: %w", err)
	}
	raw, ok := doc.Extensions[ContractExtension]
	if !ok {
		return nil, fmt.Errorf("the OpenAPI document lacks %s", ContractExtension)
	}
	encoded, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("re-encode %s: %w", ContractExtension, err)
	}
	c := &Contract{doc: doc, raw: append([]byte(nil), data...), origin: "(document)"}
	dec := json.NewDecoder(bytes.NewReader(encoded))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("decode %s: %w", ContractExtension, err)
	}
	if err := c.index(); err != nil {
		return nil, err
	}
	if err := c.indexRoutes(); err != nil {
		return nil, err
	}
	ref := doc.Components.Schemas["ErrorResponse"]
	if ref == nil || ref.Value == nil {
		return nil, errors.New("components.schemas.ErrorResponse is missing")
	}
	c.errorSchema = ref.Value
	if err := c.checkTemplate(); err != nil {
		return nil, err
	}
	return c, nil
}

// knownErrorFields are the error members a contract may list.
var knownErrorFields = map[string]bool{"message": true, "type": true, "param": true, "code": true, "metadata": true}

// index checks the contract's data and builds its lookup tables. Every
// error names the member of x-errconform-contract at fault.
//
// Complexity: one flat check per member of the extension, in document
// order, each returning the error that names it; split apart, the checks
// would lose that order and share the lookup tables being built.
func (c *Contract) index() error {
	field := func(name, format string, args ...any) error {
		return fmt.Errorf("%s.%s: %s", ContractExtension, name, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(c.Name) == "" {
		return field("name", "is missing")
	}
	if strings.TrimSpace(c.Version) == "" {
		return field("version", "is missing")
	}
	if !c.HasField("message") {
		return field("error_fields", "must list message: every error carries one")
	}
	for _, f := range c.ErrorFields {
		if !knownErrorFields[f] {
			return field("error_fields", "%q is not an error member errconform knows (message, type, param, code, metadata)", f)
		}
	}
	for _, f := range c.EqualsStatus {
		if !c.HasField(f) {
			return field("equals_status", "%q is not in error_fields", f)
		}
	}
	if len(c.Statuses) == 0 {
		return field("statuses", "is empty")
	}
	c.typeOf, c.statusKnown, c.statusOf = map[int]string{}, map[int]bool{}, map[string]int{}
	for i, s := range c.Statuses {
		switch {
		case s.Status < 400 || s.Status > 599:
			return field(fmt.Sprintf("statuses[%d].status", i), "%d is not an error status (400-599)", s.Status)
		case c.statusKnown[s.Status]:
			return field(fmt.Sprintf("statuses[%d].status", i), "status %d listed twice", s.Status)
		case c.HasTypes() && s.Type == "":
			return field(fmt.Sprintf("statuses[%d].type", i), "is missing: the contract's errors have a type (error_fields lists type)")
		case !c.HasTypes() && s.Type != "":
			return field(fmt.Sprintf("statuses[%d].type", i), "is set, but error_fields has no type")
		}
		c.statusKnown[s.Status] = true
		if s.Type != "" {
			c.typeOf[s.Status] = s.Type
		}
	}
	if len(c.Codes) > 0 && (!c.HasField("code") || c.CodeIsStatus()) {
		return field("codes", "lists named codes, but the contract's code is %s", map[bool]string{true: "the status number", false: "not an error member"}[c.HasField("code")])
	}
	for i, e := range c.Codes {
		if _, dup := c.statusOf[e.Code]; dup {
			return field(fmt.Sprintf("codes[%d]", i), "code %q listed twice", e.Code)
		}
		if !c.statusKnown[e.Status] {
			return field(fmt.Sprintf("codes[%d]", i), "code %q maps to status %d, which the status table lacks", e.Code, e.Status)
		}
		c.statusOf[e.Code] = e.Status
	}
	if len(c.Situations) == 0 {
		return field("situations", "is empty")
	}
	for _, name := range c.SituationNames() {
		o := c.Situations[name]
		at := "situations." + name
		switch {
		case o.NotInContract != "" && (o.Status != 0 || o.Code != "" || o.MidStream):
			return field(at, "says not_in_contract and also gives an outcome")
		case o.NotInContract != "":
		case !c.statusKnown[o.Status]:
			return field(at+".status", "%d is not in the status table", o.Status)
		case o.Code != "" && c.CodeIsStatus():
			return field(at+".code", "is set, but the contract's code is the status number")
		case o.Code != "" && c.statusOf[o.Code] == 0:
			return field(at+".code", "%q is not in the code table", o.Code)
		case o.Code != "" && c.statusOf[o.Code] != o.Status:
			return field(at+".code", "%q belongs to status %d, not %d", o.Code, c.statusOf[o.Code], o.Status)
		}
	}
	switch c.Rules.RetryAfter {
	case "":
		c.Rules.RetryAfter = SeverityShould
	case SeverityMust, SeverityShould, SeverityOff:
	default:
		return field("rules.retry_after", "%q is not MUST, SHOULD or off", c.Rules.RetryAfter)
	}
	if c.Rules.TimeoutStatus == 0 && c.statusKnown[504] {
		c.Rules.TimeoutStatus = 504
	}
	if c.Rules.TimeoutStatus != 0 && !c.statusKnown[c.Rules.TimeoutStatus] {
		return field("rules.timeout_status", "%d is not in the status table", c.Rules.TimeoutStatus)
	}
	if c.Rules.GatewayTimeout != "" {
		d, err := time.ParseDuration(c.Rules.GatewayTimeout)
		if err != nil || d <= 0 {
			return field("rules.gateway_timeout", "%q is not a positive duration such as 30s", c.Rules.GatewayTimeout)
		}
		c.gatewayTimeout = d
	}
	if c.ErrorTemplate == nil {
		return field("error_template", "is missing: the reference writes its errors from it")
	}
	return nil
}

// HasField reports whether the contract's error object has that member.
func (c *Contract) HasField(name string) bool {
	for _, f := range c.ErrorFields {
		if f == name {
			return true
		}
	}
	return false
}

// HasTypes reports whether the contract's errors carry a type.
func (c *Contract) HasTypes() bool { return c.HasField("type") }

// CodeIsStatus reports whether error.code is the HTTP status as a number.
func (c *Contract) CodeIsStatus() bool {
	for _, f := range c.EqualsStatus {
		if f == "code" {
			return true
		}
	}
	return false
}

// TypeFor returns the error type the contract assigns to an HTTP status;
// false for a status outside the contract or a contract without types.
func (c *Contract) TypeFor(status int) (string, bool) {
	t, ok := c.typeOf[status]
	return t, ok
}

// HasStatus reports whether the status is in the contract's status table.
func (c *Contract) HasStatus(status int) bool { return c.statusKnown[status] }

// StatusForCode returns the HTTP status the contract assigns to an error code.
func (c *Contract) StatusForCode(code string) (int, bool) {
	s, ok := c.statusOf[code]
	return s, ok
}

// StatusList returns the contract's statuses in ascending order.
func (c *Contract) StatusList() []int {
	out := make([]int, 0, len(c.statusKnown))
	for s := range c.statusKnown {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// SituationNames returns the situations the contract names, sorted.
func (c *Contract) SituationNames() []string {
	names := make([]string, 0, len(c.Situations))
	for name := range c.Situations {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Outcome returns what the contract says of a situation; a situation it
// does not name is not in the contract.
func (c *Contract) Outcome(situation string) Outcome {
	o, ok := c.Situations[situation]
	if !ok {
		return Outcome{NotInContract: fmt.Sprintf("the contract %s does not name the situation %s", c.Name, situation)}
	}
	return o
}

// GatewayTimeout is the contract's upstream timeout, or 0 when it names none.
func (c *Contract) GatewayTimeout() time.Duration { return c.gatewayTimeout }

// HasOperation reports whether the contract's document has that method on
// that path template ("/files/{file_id}").
func (c *Contract) HasOperation(method, pathTemplate string) bool {
	item := c.doc.Paths.Find(pathTemplate)
	return item != nil && item.GetOperation(strings.ToUpper(method)) != nil
}

// ValidateError validates a decoded JSON value (as produced by encoding/json
// into an any) against the ErrorResponse schema, reporting every violation.
func (c *Contract) ValidateError(value any) error {
	return c.errorSchema.VisitJSON(value, openapi3.MultiErrors())
}

// Document returns the loaded OpenAPI document.
func (c *Contract) Document() *openapi3.T { return c.doc }

// Origin says where the contract came from: "built-in aiand" or a path.
func (c *Contract) Origin() string { return c.origin }

// Raw returns the contract's document as it was read.
func (c *Contract) Raw() []byte { return append([]byte(nil), c.raw...) }

// Digest is "sha256:<hex>" of the contract's document as it was read:
// reports carry it, so that two runs under one name and version but
// different documents are told apart.
func (c *Contract) Digest() string {
	sum := sha256.Sum256(c.raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Label names the contract in one line: "aiand 2026-11 (built-in aiand)".
func (c *Contract) Label() string {
	return fmt.Sprintf("%s %s (%s)", c.Name, c.Version, c.origin)
}

//go:embed report.schema.json
var reportSchema []byte

// ReportSchema returns the JSON Schema of errconform's JSON report.
func ReportSchema() []byte { return append([]byte(nil), reportSchema...) }
