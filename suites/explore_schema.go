package suites

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// shape is what explore reads of a schema once allOf is merged and a
// union with null is read as a nullable value.
type shape struct {
	types     map[string]bool // JSON types a value may have, without null; empty: any
	nullable  bool
	enum      []any
	min, max  *float64
	minLength uint64
	maxLength *uint64
	minItems  uint64
	maxItems  *uint64
	items     *openapi3.Schema
	props     map[string]*openapi3.Schema
	required  []string
	closed    bool
	// branches are the non-null forms of a oneOf or anyOf with more than
	// one of them.
	branches []*openapi3.Schema
}

func shapeOf(s *openapi3.Schema) shape {
	sh := shape{types: map[string]bool{}, props: map[string]*openapi3.Schema{}}
	sh.merge(s, 0)
	if len(sh.branches) > 1 {
		for _, b := range sh.branches {
			for t := range shapeOf(b).types {
				sh.types[t] = true
			}
		}
	}
	return sh
}

// merge adds what s says to the shape.
//
// Complexity: one guarded assignment per schema keyword it reads, plus
// allOf/oneOf/anyOf recursion; a table would need reflection over
// openapi3.Schema for no gain in clarity.
func (sh *shape) merge(s *openapi3.Schema, depth int) {
	if s == nil || depth > maxExploreDepth {
		return
	}
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t == "null" {
				sh.nullable = true
				continue
			}
			sh.types[t] = true
		}
	}
	sh.nullable = sh.nullable || s.Nullable
	if len(s.Enum) > 0 {
		sh.enum = s.Enum
	}
	if s.Const != nil {
		sh.enum = []any{s.Const}
	}
	if s.Min != nil {
		sh.min = s.Min
	}
	if s.Max != nil {
		sh.max = s.Max
	}
	sh.minLength = max(sh.minLength, s.MinLength)
	if s.MaxLength != nil {
		sh.maxLength = s.MaxLength
	}
	sh.minItems = max(sh.minItems, s.MinItems)
	if s.MaxItems != nil {
		sh.maxItems = s.MaxItems
	}
	if s.Items != nil && s.Items.Value != nil {
		sh.items = s.Items.Value
	}
	for name, p := range s.Properties {
		if p != nil && p.Value != nil {
			sh.props[name] = p.Value
		}
	}
	sh.required = append(sh.required, s.Required...)
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
		sh.closed = true
	}
	for _, a := range s.AllOf {
		if a != nil {
			sh.merge(a.Value, depth+1)
		}
	}
	var forms []*openapi3.Schema
	for _, union := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		for _, b := range union {
			if b == nil || b.Value == nil {
				continue
			}
			if b.Value.Type != nil && b.Value.Type.Is("null") {
				sh.nullable = true
				continue
			}
			forms = append(forms, b.Value)
		}
	}
	switch {
	case len(forms) == 1:
		sh.merge(forms[0], depth+1)
	case len(forms) > 1:
		sh.branches = forms
	}
}

// wrongTypeValue is a value of a JSON type the shape does not allow.
func (sh shape) wrongTypeValue() (any, bool) {
	if len(sh.types) == 0 {
		return nil, false // any type is allowed
	}
	candidates := []struct {
		types []string
		value any
	}{
		{[]string{"string"}, "errconform-wrong-type"},
		{[]string{"number", "integer"}, json.Number("12345")},
		{[]string{"boolean"}, true},
		{[]string{"object"}, map[string]any{}},
		{[]string{"array"}, []any{}},
	}
	if sh.types["object"] {
		// A string is the common shorthand of an object ("image_url": "https://…"
		// for {"url": …}): a provider may rightly accept it. A number is no
		// one's shorthand.
		candidates[0], candidates[1] = candidates[1], candidates[0]
	}
	for _, c := range candidates {
		allowed := false
		for _, t := range c.types {
			allowed = allowed || sh.types[t]
		}
		if sh.types["number"] && c.types[0] == "number" {
			allowed = true
		}
		if !allowed {
			return c.value, true
		}
	}
	return nil, false
}

// noBranchValue is a value of an allowed type that none of the union's
// forms accepts: an empty object, where objects are allowed (add checks
// that the schema refuses it).
func (sh shape) noBranchValue() (any, bool) {
	if sh.types["object"] {
		return map[string]any{}, true
	}
	return nil, false
}

// tagged reports whether every object form of a union names itself with a
// single-valued member (a discriminator such as "type" or "role").
func (sh shape) tagged() bool {
	objects := 0
	for _, b := range sh.branches {
		bsh := shapeOf(b)
		if !bsh.types["object"] {
			continue
		}
		objects++
		if bsh.discriminatorTag() == "" {
			return false
		}
	}
	return objects > 0
}

// discriminatorTag is the single value of an object's "type" or "role"
// member ("function", "user"), which names a union's form in an ID; only
// those two members are read.
func (sh shape) discriminatorTag() string {
	for _, member := range []string{"type", "role"} {
		if p, ok := sh.props[member]; ok {
			if e := shapeOf(p).enum; len(e) == 1 {
				if s, ok := e[0].(string); ok {
					return s
				}
			}
		}
	}
	return ""
}

// minimal is a small valid value of a schema: the first form of a union,
// the first enum value, the required members of an object, the fewest
// items of an array.
//
// Complexity: one case per schema type, each with the bounds that keep
// the value minimal yet valid.
func minimal(s *openapi3.Schema, depth int) (any, bool) {
	if s == nil || depth > maxExploreDepth {
		return nil, false
	}
	sh := shapeOf(s)
	if len(sh.branches) > 1 {
		for _, b := range sh.branches {
			if v, ok := minimal(b, depth+1); ok && s.VisitJSON(jsonValue(v), openapi3.FailFast()) == nil {
				return v, true
			}
		}
		return nil, false
	}
	if len(sh.enum) > 0 {
		return sh.enum[0], true
	}
	switch {
	case sh.types["object"] || len(sh.props) > 0:
		obj := map[string]any{}
		for _, name := range sh.required {
			v, ok := minimal(sh.props[name], depth+1)
			if !ok {
				return nil, false
			}
			obj[name] = v
		}
		return obj, true
	case sh.types["array"]:
		if sh.minItems > maxExploreItems {
			return nil, false // no small valid value: not probed
		}
		n := int(sh.minItems)
		if n == 0 {
			return []any{}, true
		}
		item, ok := minimal(sh.items, depth+1)
		if !ok {
			return nil, false
		}
		return repeatItem(item, n), true
	case sh.types["string"]:
		if sh.minLength > maxExploreLength {
			return nil, false // no small valid value: not probed
		}
		n := max(int(sh.minLength), 1)
		if sh.maxLength == nil || int(*sh.maxLength) >= len("errconform") && n <= len("errconform") {
			return "errconform", true
		}
		return strings.Repeat("x", n), true
	case sh.types["integer"] || sh.types["number"]:
		v := 0.0
		if sh.min != nil && v < *sh.min {
			v = *sh.min
		}
		if sh.max != nil && v > *sh.max {
			v = *sh.max
		}
		return number(v), true
	case sh.types["boolean"]:
		return false, true
	case sh.nullable:
		return nil, true
	}
	return "errconform", true // any value is allowed
}

// matchesBranch reports whether a value is valid under one form.
func matchesBranch(b *openapi3.Schema, value any) bool {
	return value != nil && b.VisitJSON(jsonValue(value), openapi3.FailFast()) == nil
}

func repeatItem(item any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = deepCopy(item)
	}
	return out
}

// jsonTypeOf names a value's JSON type.
func jsonTypeOf(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	}
	return ""
}

// number is a float as an exact JSON number.
func number(f float64) json.Number { return json.Number(strconv.FormatFloat(f, 'f', -1, 64)) }

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

// describeValue names a value for a person, briefly.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 24 {
			return fmt.Sprintf("a string of %d characters", len(x))
		}
		return strconv.Quote(x)
	case []any:
		return fmt.Sprintf("an array of %d items", len(x))
	case map[string]any:
		if len(x) == 0 {
			return "an empty object"
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "an object with " + strings.Join(keys, ", ")
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return "the number " + x.String()
	}
	return fmt.Sprint(v)
}

// jsonValue is a value as encoding/json decodes it plainly (what
// kin-openapi validates).
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = deepCopy(item)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = deepCopy(item)
		}
		return out
	}
	return v
}

// getAt returns the value at a path of segments (member names, array
// indexes).
func getAt(v any, p []string) (any, bool) {
	for _, seg := range p {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[seg]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// setAt sets (or removes) the value at a path whose parent exists.
func setAt(root any, p []string, value any, remove bool) {
	if len(p) == 0 {
		return
	}
	parent, ok := getAt(root, p[:len(p)-1])
	if !ok {
		return
	}
	last := p[len(p)-1]
	switch x := parent.(type) {
	case map[string]any:
		if remove {
			delete(x, last)
			return
		}
		x[last] = value
	case []any:
		if i, err := strconv.Atoi(last); err == nil && i >= 0 && i < len(x) {
			x[i] = value
		}
	}
}

// withValue is a copy of base with value at p.
func withValue(base map[string]any, p []string, value any) map[string]any {
	out := deepCopy(base).(map[string]any)
	setAt(out, p, deepCopy(value), false)
	return out
}
