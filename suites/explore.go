package suites

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
)

// ExploreGroup is the group (and ID prefix) of the explore variants.
const ExploreGroup = "explore"

// The constraints explore breaks, one at a time.
const (
	WrongType       = "wrong-type"
	BelowMinimum    = "below-minimum"
	AboveMaximum    = "above-maximum"
	NotInEnum       = "not-in-enum"
	MissingRequired = "missing-required"
	NullNotAllowed  = "null"
	TooShort        = "too-short"
	TooLong         = "too-long"
	UnknownMember   = "unknown-member"
	NoBranch        = "no-branch-matched"
	NotAnInteger    = "not-an-integer"
	// Valid marks a positive control: a valid boundary value that must not
	// be refused.
	Valid = "valid"
)

// Constraints lists every constraint explore breaks, then Valid (the
// positive controls): the values of its constraint: labels.
func Constraints() []string {
	return []string{WrongType, NotAnInteger, BelowMinimum, AboveMaximum, NotInEnum, MissingRequired, NullNotAllowed,
		TooShort, TooLong, UnknownMember, NoBranch, Valid}
}

// constraintSituation is the situation each broken constraint is: the
// contract says what it must return.
var constraintSituation = map[string]string{
	WrongType: wrongType, NotAnInteger: wrongType, NullNotAllowed: missingField, MissingRequired: missingField,
	BelowMinimum: invalidValue, AboveMaximum: invalidValue, NotInEnum: invalidValue, TooShort: invalidValue,
	TooLong: invalidValue, UnknownMember: invalidValue, NoBranch: invalidValue,
}

// CoreFields are the fields explore probes by default: what every
// OpenAI-compatible chat API is expected to validate.
func CoreFields() []string {
	return []string{"model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stream", "stop",
		"presence_penalty", "frequency_penalty", "seed", "response_format", "tools", "tool_choice"}
}

// ExploreSelection says which fields explore probes.
type ExploreSelection struct {
	// Include and Exclude are path.Match globs over top-level field names;
	// no Include means CoreFields.
	Include, Exclude []string
	// Unsupported are fields the provider does not support: no positive
	// controls for them, and their invalid variants need not carry the
	// situation's code (an unknown field may be refused as such).
	Unsupported []string
	// Deep explores the optional members nested inside the fields too
	// (a message's name, a function's parameters, …). Off by default: a
	// provider may ignore nested members it does not implement, and would
	// then read as accepting invalid input.
	Deep bool
	// Implements are top-level fields (path.Match globs) the target
	// declares it implements: outside the core set, an invalid value of
	// theirs that is served is a failure, not a warning.
	Implements []string
}

// SelectionOf reads a config's explore section.
func SelectionOf(e config.Explore) ExploreSelection {
	return ExploreSelection{Include: e.Fields.Include, Exclude: e.Fields.Exclude, Unsupported: e.Unsupported, Deep: e.Deep, Implements: e.Implements}
}

// selects reports whether the selection probes a top-level field.
func (s ExploreSelection) selects(core []string, field string) bool {
	include := s.Include
	if len(include) == 0 {
		include = core
	}
	return matchesAny(include, field) && !matchesAny(s.Exclude, field)
}

// matchesAny reports whether a path.Match glob of globs matches field.
func matchesAny(globs []string, field string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, field); ok {
			return true
		}
	}
	return false
}

// mustImplement reports whether the target must refuse an invalid value
// of a variant: a field of the core set outside the optional nested
// members that only a deep walk reaches, or a field the target declares
// it implements. Elsewhere a target may ignore a field it does not
// implement, and serving the request is then no proof of accepting
// invalid input.
func (s ExploreSelection) mustImplement(core []string, field string, deepOnly bool) bool {
	return (contains(core, field) && !deepOnly) || matchesAny(s.Implements, field)
}

func (s ExploreSelection) unsupported(field string) bool {
	for _, f := range s.Unsupported {
		if f == field {
			return true
		}
	}
	return false
}

// Limits on what explore generates, whatever the request schema says:
// bodies stay small, the walk ends, and a hostile schema (a minItems of
// 10^8, an enum of 30,000 values) costs bounded work. Constraints past
// these sizes are not probed; more variants than maxExploreVariants is an
// error.
const (
	maxExploreDepth    = 8
	maxExploreItems    = 256
	maxExploreLength   = 4096
	maxExploreForms    = 16
	maxExploreVariants = 20_000
	exactFloatInteger  = 1 << 53
	exploreNotAValue   = "errconform-not-a-value"
	exploreUnknownName = "errconform_unknown_member"
)

// ErrTooManyVariants: a selection yields more variants than explore
// makes (maxExploreVariants).
var ErrTooManyVariants = errors.New("too many variants")

// variant is one generated body: an edit of the base body at a path.
type variant struct {
	id         string
	path       []string // JSON pointer segments into the body
	display    string   // the path as an ID shows it: "tools.0.function.name"
	constraint string
	what       string // what the edit does, for a person
	value      any    // the value set at path (unless remove)
	remove     bool
	base       map[string]any // the valid body it edits (with every companion member)
	// requiredMember: the value edited is a member its object requires.
	requiredMember bool
	// deepOnly: the value is inside an optional nested member, which only
	// a deep walk reaches.
	deepOnly bool
	// encoded is the body with DefaultModel, as checked against the schema
	// and sent (bodyFor puts the run's model in).
	encoded string
}

// ownModel reports whether the variant edits the model member itself:
// its body keeps its own model, whatever model the run names.
func (v variant) ownModel() bool { return len(v.path) == 1 && v.path[0] == "model" }

// bodyFor is the body a variant sends in a run whose model is model: the
// encoded body, its model member replaced unless the variant edits it.
func bodyFor(encoded string, ownModel bool, model string) []byte {
	if ownModel {
		return []byte(encoded)
	}
	return withMembers([]byte(encoded), map[string]any{"model": model})
}

// body returns the variant's body for a model: a copy of its base with the
// edit applied.
func (v variant) body(model string) map[string]any {
	b := deepCopy(v.base).(map[string]any)
	if _, named := b["model"]; named {
		b["model"] = model
	}
	if v.ownModel() && !v.remove {
		b["model"] = v.value
		return b
	}
	setAt(b, v.path, v.value, v.remove)
	return b
}

// exploreBase is the valid body every variant edits: a one-token chat.
func exploreBase() map[string]any {
	return map[string]any{
		"model":      DefaultModel,
		"messages":   []any{map[string]any{"role": "user", "content": "Say ok."}},
		"max_tokens": json.Number("1"),
	}
}

// companions are members a field's variants carry so that the body stays
// valid in meaning, not only in schema: tool_choice names a tool.
func companions(field string) map[string]any {
	if field == "response_format" {
		// OpenAI refuses a JSON response format unless a message asks for JSON.
		return map[string]any{"messages": []any{map[string]any{"role": "user", "content": `Reply with the JSON {"ok": true}.`}}}
	}
	if field == "tool_choice" || field == "parallel_tool_calls" {
		// Named as minimal names a function, so that a tool_choice naming a
		// function names this one.
		return map[string]any{"tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": "errconform"}}}}
	}
	return nil
}

// providerSpecificLimits are fields whose array limits are OpenAI's own
// and differ between reasonable providers (vLLM takes any number of stop
// sequences, and an empty list is its default): their item counts are not
// probed.
var providerSpecificLimits = map[string]bool{"stop": true}

// explorer walks a request schema and hands each variant, as its cases,
// to yield as soon as it is made: it holds the hashes of the bodies and
// IDs it made (so that no body is sent twice and no ID names two), not
// the variants.
type explorer struct {
	rs       *spec.RequestSchemas
	sel      ExploreSelection
	contract *spec.Contract // nil: the cases are not resolved (Explore)
	yield    func(Case) bool
	made     int
	ids      map[uint64]bool // every ID made, hashed
	bodies   map[uint64]bool // every body made, encoded and hashed
	tooMany  bool
	stopped  bool // yield asked for no more
	// optionalDepth counts the optional nested members the walk is
	// inside (only a deep walk enters them).
	optionalDepth int
	// cur is the route being walked.
	cur *exploreRoute
}

// ExplorePlan makes the explore variants of a request schema for a
// selection under a contract, again on every walk: the same variants in
// the same order each time, none of them held between walks. A run walks
// it to select and count, then to send, and so holds one variant at a
// time, however many the selection has.
type ExplorePlan struct {
	rs       *spec.RequestSchemas
	sel      ExploreSelection
	contract *spec.Contract
	// routes are the routes walked: chat completions, then each route
	// the contract lists beyond it (explore_routes.go), each with its
	// selected fields.
	routes []*exploreRoute
}

// Explore returns the explore variants of the chat request schema for a
// selection, as cases in a stable order: for each selected field (sorted),
// depth first, one invalid body per constraint it can break, each
// confirmed invalid by the schema (and a stream: true twin), then that
// field's positive controls, each confirmed valid. No body is sent twice.
// Situations are set; the contract gives their outcomes (ExploreFor).
func Explore(rs *spec.RequestSchemas, sel ExploreSelection) ([]Case, error) {
	p, err := planFor(nil, rs, sel)
	if err != nil {
		return nil, err
	}
	return p.collect()
}

// ExploreFor returns the explore variants under a contract, resolved like
// the catalogue (For): the status and code of each variant's situation,
// or why the contract does not cover it. A field the selection marks
// unsupported, a member of a content part a model may refuse whole, and
// a union's value matching none of its forms need not carry the
// situation's code: that value is an empty object, which a provider may
// as well refuse as the object form lacking its required member (a
// missing field) as a value of no form (an invalid value).
func ExploreFor(contract *spec.Contract, rs *spec.RequestSchemas, sel ExploreSelection) ([]Case, error) {
	p, err := planFor(contract, rs, sel)
	if err != nil {
		return nil, err
	}
	return p.collect()
}

// NewExplorePlan is the plan of ExploreFor's variants. A selection that
// matches no field is an error here; one with more variants than the cap
// is an error of every walk.
func NewExplorePlan(contract *spec.Contract, rs *spec.RequestSchemas, sel ExploreSelection) (*ExplorePlan, error) {
	p, err := planFor(contract, rs, sel)
	if err != nil {
		return nil, err
	}
	if err := p.noField(); err != nil {
		return nil, err
	}
	return p, nil
}

func planFor(contract *spec.Contract, rs *spec.RequestSchemas, sel ExploreSelection) (*ExplorePlan, error) {
	p := &ExplorePlan{rs: rs, sel: sel, contract: contract}
	p.routes = append(p.routes, chatExploreRoute(rs, sel))
	if contract != nil {
		more, err := exploreRoutes(contract, sel)
		if err != nil {
			return nil, err
		}
		p.routes = append(p.routes, more...)
	}
	return p, nil
}

func (p *ExplorePlan) noField() error {
	fields := 0
	for _, r := range p.routes {
		fields += len(r.fields)
	}
	if fields == 0 {
		return fmt.Errorf("explore: the selection (include %v, exclude %v) matches no field of %s", p.sel.Include, p.sel.Exclude, spec.ChatRequestSchema)
	}
	return nil
}

// Origin says where the plan's request schema comes from.
func (p *ExplorePlan) Origin() string { return p.rs.Origin }

// collect walks the plan once and keeps every case.
func (p *ExplorePlan) collect() ([]Case, error) {
	if err := p.noField(); err != nil {
		return nil, err
	}
	var out []Case
	err := p.Walk(func(c Case) bool {
		out = append(out, c)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Walk makes the plan's cases in order and hands each to yield as it is
// made, until yield returns false. With more variants than the cap
// (maxExploreVariants) it yields the first ones' cases and returns an
// error.
func (p *ExplorePlan) Walk(yield func(Case) bool) error {
	e := &explorer{rs: p.rs, sel: p.sel, contract: p.contract, yield: yield, ids: map[uint64]bool{}, bodies: map[uint64]bool{}}
	for _, r := range p.routes {
		e.cur = r
		e.walkRoute()
	}
	if e.tooMany {
		return fmt.Errorf("explore: the request schema yields more than %d variants for the selection; narrow explore.fields: %w", maxExploreVariants, ErrTooManyVariants)
	}
	return nil
}

// walkRoute walks the selected fields of the current route.
func (e *explorer) walkRoute() {
	r := e.cur
	top := shapeOf(r.schema)
	for _, field := range r.fields {
		if e.stopped {
			break
		}
		base := r.base()
		if r.chat {
			for k, v := range companions(field) {
				base[k] = v
			}
		}
		if _, present := base[field]; !present {
			value, ok := minimal(top.props[field], 0)
			if !ok {
				continue
			}
			base[field] = value
		}
		if !r.valid(jsonValue(base)) {
			continue // no valid body holds this field: nothing to break
		}
		required := contains(top.required, field)
		e.walk(top.props[field], []string{field}, field, base, required, 0, map[*openapi3.Schema]bool{})
		if !e.sel.unsupported(field) && r.controls(field, required) {
			e.controls(top.props[field], field, base)
		}
	}
}

// labelSafe keeps a field name usable in a Ginkgo label.
func labelSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("&|!,()/:", r) {
			return '_'
		}
		return r
	}, s)
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("suites: explore body does not encode: %v", err)) // built from JSON values only
	}
	return b
}

func clone(p []string) []string { return append([]string(nil), p...) }

func contains(list []string, s string) bool { return slices.Contains(list, s) }
