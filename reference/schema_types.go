// JSON types and their wording: what a schema allows, what a value is,
// and how the reference names them in its error messages.

package reference

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/errconform/errconform/spec"
	"github.com/getkin/kin-openapi/openapi3"
)

// jsonTypes is a set of JSON types; an integral number is an integer and a
// number, any other number a number only.
type jsonTypes uint8

const (
	typeNull jsonTypes = 1 << iota
	typeBoolean
	typeInteger
	typeNumber
	typeString
	typeArray
	typeObject

	anyNonNull = typeBoolean | typeInteger | typeNumber | typeString | typeArray | typeObject
)

func (t jsonTypes) has(x jsonTypes) bool { return t&x != 0 }

// typeOf is the JSON type of a decoded value: an integral number is an
// integer.
func typeOf(v any) jsonTypes {
	switch x := v.(type) {
	case nil:
		return typeNull
	case bool:
		return typeBoolean
	case json.Number:
		f, err := x.Float64()
		if err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
			return typeInteger
		}
		return typeNumber
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return typeInteger
		}
		return typeNumber
	case string:
		return typeString
	case []any:
		return typeArray
	case map[string]any:
		return typeObject
	}
	return 0
}

// typesOf is the set of JSON types s allows: its own type (all without
// one; "number" includes integers), narrowed by each of allOf and by the
// union of each of anyOf and oneOf, plus null where s is nullable or its
// type includes null.
func typesOf(s *openapi3.Schema, depth int) jsonTypes {
	if s == nil || depth > maxSchemaDepth {
		return anyNonNull | typeNull
	}
	own := anyNonNull | typeNull
	if s.Type != nil && len(s.Type.Slice()) > 0 {
		own = 0
		for _, t := range s.Type.Slice() {
			switch t {
			case openapi3.TypeNull:
				own |= typeNull
			case openapi3.TypeBoolean:
				own |= typeBoolean
			case openapi3.TypeInteger:
				own |= typeInteger
			case openapi3.TypeNumber:
				own |= typeInteger | typeNumber
			case openapi3.TypeString:
				own |= typeString
			case openapi3.TypeArray:
				own |= typeArray
			case openapi3.TypeObject:
				own |= typeObject
			}
		}
	}
	for _, ref := range s.AllOf {
		if ref != nil && ref.Value != nil {
			own &= typesOf(ref.Value, depth+1)
		}
	}
	for _, union := range []openapi3.SchemaRefs{s.AnyOf, s.OneOf} {
		var u jsonTypes
		branches := 0
		for _, ref := range union {
			if ref != nil && ref.Value != nil {
				u |= typesOf(ref.Value, depth+1)
				branches++
			}
		}
		if branches > 0 {
			own &= u | typeNull // null is judged below
		}
	}
	if s.Nullable || (s.Type != nil && s.Type.IncludesNull()) {
		own |= typeNull
	}
	return own
}

// describeTypes writes a set of JSON types for a message: "a number or
// null".
func describeTypes(t jsonTypes) string {
	var names []string
	for _, n := range []struct {
		t    jsonTypes
		name string
	}{
		{typeBoolean, "a boolean"}, {typeInteger, "an integer"}, {typeNumber, "a number"}, {typeString, "a string"},
		{typeArray, "an array"}, {typeObject, "an object"}, {typeNull, "null"},
	} {
		if t.has(n.t) && (n.t != typeInteger || !t.has(typeNumber)) {
			names = append(names, n.name)
		}
	}
	switch len(names) {
	case 0:
		return "no value"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// describeEnum writes the allowed values for a message: "one of 'text',
// 'json_object' or 'json_schema'", at most maxEnumShown of them.
func describeEnum(values []any) string {
	shown := make([]string, 0, min(len(values), maxEnumShown))
	for i, v := range values {
		if i == maxEnumShown {
			break
		}
		if s, ok := v.(string); ok {
			shown = append(shown, "'"+s+"'")
		} else {
			data, _ := json.Marshal(v) // a schema's enum value is JSON
			shown = append(shown, string(data))
		}
	}
	switch {
	case len(shown) == 0:
		return "an allowed value"
	case len(shown) == 1:
		return shown[0]
	case len(values) > maxEnumShown:
		return "one of " + strings.Join(shown, ", ") + ", …"
	}
	return "one of " + strings.Join(shown[:len(shown)-1], ", ") + " or " + shown[len(shown)-1]
}

// discriminator is the member that tells a union's object branches apart:
// the declared discriminator or, failing that, the first member (by name)
// that every branch fixes to one string value; "" when there is none.
func discriminator(disc *openapi3.Discriminator, branches []*openapi3.Schema) string {
	var names []string
	if disc != nil && disc.PropertyName != "" {
		names = append(names, disc.PropertyName)
	}
	var props []string
	for name := range branches[0].Properties {
		props = append(props, name)
	}
	sort.Strings(props)
	names = append(names, props...)
	for _, name := range names {
		tagged := true
		for _, b := range branches {
			if tagOf(b, name, 0) == "" {
				tagged = false
				break
			}
		}
		if tagged {
			return name
		}
	}
	return ""
}

// tagOf is the one string value s (or one of its allOf) fixes its member
// name to, by a single-valued enum or a const; "" when it fixes none.
func tagOf(s *openapi3.Schema, name string, depth int) string {
	if s == nil || depth > maxSchemaDepth {
		return ""
	}
	if ref, ok := s.Properties[name]; ok && ref != nil && ref.Value != nil {
		p := ref.Value
		if len(p.Enum) == 1 {
			if tag, ok := p.Enum[0].(string); ok {
				return tag
			}
		}
		if tag, ok := p.Const.(string); ok {
			return tag
		}
	}
	for _, ref := range s.AllOf {
		if ref != nil {
			if tag := tagOf(ref.Value, name, depth+1); tag != "" {
				return tag
			}
		}
	}
	return ""
}

func plural(n uint64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// loadRequestSchemas returns the request schemas the reference validates
// chat requests against: the embedded ones.
func loadRequestSchemas() (*spec.RequestSchemas, error) {
	rs, err := spec.DefaultRequestSchemas()
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	return rs, nil
}
