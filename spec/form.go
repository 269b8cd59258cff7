package spec

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// AddFormField adds one field of a multipart body to body, the object a
// multipart route's schema validates, its value typed as the member's
// schema says (through an anyOf or oneOf, such as a stream's boolean or
// null): an array member's repeated values as an array, a number's as a
// number, a boolean's as a boolean, an object's JSON text as the object.
// A value that does not read as its type stays a string, for the schema
// to refuse; a field's first value wins over later ones. A name's "[]"
// suffix (include[]) names its member. The reference reads forms with
// it, and explore sees its multipart variants as a target would with it.
func (r Route) AddFormField(body map[string]any, name, value string) {
	name = strings.TrimSuffix(name, "[]")
	types := formTypes(r.Property(name))
	if types[openapi3.TypeArray] {
		items, _ := body[name].([]any)
		body[name] = append(items, value)
		return
	}
	if _, seen := body[name]; seen {
		return
	}
	body[name] = formValue(types, value)
}

// formValue is a form field's value read as one of types.
func formValue(types map[string]bool, value string) any {
	if types[openapi3.TypeNumber] || types[openapi3.TypeInteger] {
		if _, err := strconv.ParseFloat(value, 64); err == nil {
			return json.Number(value)
		}
	}
	if types[openapi3.TypeBoolean] {
		if b, err := strconv.ParseBool(value); err == nil {
			return b
		}
	}
	if types[openapi3.TypeObject] && strings.HasPrefix(strings.TrimSpace(value), "{") {
		var obj map[string]any
		d := json.NewDecoder(strings.NewReader(value))
		d.UseNumber()
		if d.Decode(&obj) == nil {
			return obj
		}
	}
	return value
}

// formTypes are the JSON types a member's schema allows, its anyOf's and
// oneOf's branches' included (a few levels down: a chunking strategy is
// an anyOf of an anyOf); none for no schema.
func formTypes(s *openapi3.Schema) map[string]bool {
	types := map[string]bool{}
	var add func(s *openapi3.Schema, depth int)
	add = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 4 {
			return
		}
		if s.Type != nil {
			for _, t := range s.Type.Slice() {
				types[t] = true
			}
		}
		for _, refs := range [][]*openapi3.SchemaRef{s.AnyOf, s.OneOf} {
			for _, ref := range refs {
				if ref != nil {
					add(ref.Value, depth+1)
				}
			}
		}
	}
	add(s, 0)
	return types
}
