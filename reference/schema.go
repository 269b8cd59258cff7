package reference

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/errconform/errconform/spec"
)

// maxSchemaDepth bounds how many schemas the walk enters for one value
// (allOf, anyOf and oneOf nest without descending into the value), so
// that a cyclic schema ends.
const maxSchemaDepth = 32

// maxEnumShown is how many enum values a message lists.
const maxEnumShown = 8

// validateChatSchema validates a decoded chat request body against the chat
// request schema, the provider's own content parts read as text parts (see
// schemaView), and names its first violation (see classify). Where the walk
// finds none of what kin-openapi refuses, kin-openapi's own errors name it
// (see fromSchemaErrors).
func (s *Server) validateChatSchema(body map[string]any) *apiError {
	view := schemaView(body)
	return schemaFailure(s.requests.Chat, s.requests.ValidateChat(view), view)
}

// validateRouteSchema validates a decoded request body against a route's
// request schema and names its first violation, as validateChatSchema
// does for a chat request.
func validateRouteSchema(route spec.Route, body map[string]any) *apiError {
	return schemaFailure(route.Schema, route.Validate(body), body)
}

// schemaFailure is the error a body answers with when kin-openapi refused
// it against schema (err; nil for none): its first violation, named by
// classify or, where the walk finds none, by kin-openapi's own errors.
func schemaFailure(schema *openapi3.Schema, err error, body any) *apiError {
	if err == nil {
		return nil
	}
	v, ok := classify(schema, body)
	if !ok {
		v = fromSchemaErrors(err, body)
	}
	return fail(v.situation, v.at.String(), v.message())
}

// schemaView returns the body as OpenAI's schema is to see it: where a
// message's content parts include the provider's own (video_url,
// input_file), a copy in which each of them is an empty text part, at
// the same index. The body itself is never modified.
func schemaView(body map[string]any) map[string]any {
	messages, ok := body["messages"].([]any)
	if !ok {
		return body
	}
	var copied []any
	for i, raw := range messages {
		msg, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		content, ok := msg["content"].([]any)
		if !ok {
			continue
		}
		var parts []any
		for j, rawPart := range content {
			part, ok := rawPart.(map[string]any)
			if !ok {
				continue
			}
			if typ, _ := part["type"].(string); !isOwnPart(typ) {
				continue
			}
			if parts == nil {
				parts = append([]any(nil), content...)
			}
			parts[j] = map[string]any{"type": "text", "text": ""}
		}
		if parts == nil {
			continue
		}
		if copied == nil {
			copied = append([]any(nil), messages...)
		}
		m := make(map[string]any, len(msg))
		for k, v := range msg {
			m[k] = v
		}
		m["content"] = parts
		copied[i] = m
	}
	if copied == nil {
		return body
	}
	view := make(map[string]any, len(body))
	for k, v := range body {
		view[k] = v
	}
	view["messages"] = copied
	return view
}

// isOwnPart reports whether a content part type is one the reference's
// provider adds to OpenAI's: the schema never judges those.
func isOwnPart(typ string) bool {
	switch typ {
	case "video_url", "input_file":
		return true
	}
	return false
}

// segment is one step of a path into a request body: a member name, or an
// array index.
type segment struct {
	name    string
	index   int
	isIndex bool
}

// bodyPath is a path into a request body, from its top-level member.
type bodyPath []segment

func (p bodyPath) member(name string) bodyPath {
	return append(append(bodyPath(nil), p...), segment{name: name})
}

func (p bodyPath) item(i int) bodyPath {
	return append(append(bodyPath(nil), p...), segment{index: i, isIndex: true})
}

// String writes the path as a request param: "tools[0].function.name"
// ("" for the body itself).
func (p bodyPath) String() string {
	var b strings.Builder
	for i, seg := range p {
		switch {
		case seg.isIndex:
			fmt.Fprintf(&b, "[%d]", seg.index)
		case i > 0:
			b.WriteString("." + seg.name)
		default:
			b.WriteString(seg.name)
		}
	}
	return b.String()
}

// comparePaths orders paths segment by segment (indices by number, names
// by bytes), a path before the paths inside it.
func comparePaths(a, b bodyPath) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		switch {
		case x.isIndex && y.isIndex:
			if x.index != y.index {
				return x.index - y.index
			}
		case x.isIndex != y.isIndex: // not in one body; indices first
			if x.isIndex {
				return -1
			}
			return 1
		default:
			if c := strings.Compare(x.name, y.name); c != 0 {
				return c
			}
		}
	}
	return len(a) - len(b)
}

// violation is one broken constraint of the request schema.
type violation struct {
	situation situation
	at        bodyPath
	why       string // the constraint, for the message: "it must be at most 2"
}

// message is the error message a violation is answered with.
func (v violation) message() string {
	at := v.at.String()
	if at == "" {
		at = "the request body"
	}
	switch v.situation {
	case sitMissingField:
		return fmt.Sprintf("Missing required parameter: '%s'.", at)
	case sitWrongType:
		return fmt.Sprintf("Invalid type for '%s': %s.", at, v.why)
	default:
		return fmt.Sprintf("Invalid value for '%s': %s.", at, v.why)
	}
}

// classify returns the first violation of schema s by body, and false when
// it finds none. kin-openapi decides whether a body is valid; classify
// walks the schema beside the body to name what is wrong, as a situation
// and a param:
//
//   - missing-field: a required member is absent, or null where its schema
//     does not allow null; the discriminator member of a tagged union
//     ("role" of a message, "type" of a content part, tool, response_format
//     or tool_choice) counts as required, so {} there is missing-field;
//   - wrong-type: the value's JSON type is none of the types the schema
//     there allows (a union allows its branches' types; nullable, a "null"
//     type or a null branch adds null; an integer schema refuses 1.5), or
//     null for an optional member that may not be null;
//   - invalid-value: anything else: a range, an enum, a length, an item
//     count, a member a closed object does not allow, a union none of whose
//     branches matches, a discriminator naming no branch.
//
// A union is judged by the branches whose types admit the value: of object
// branches that each fix one member to a single string (the discriminator:
// the declared one, else the first such member by name), the one the value
// names, reporting that branch's own violation, and the discriminator as
// invalid-value when it names none; a single admitting branch likewise
// reports its own violation ({"stop": [1]} is stop[0] of the wrong type);
// several are invalid-value at the union.
//
// The violations are sorted by path (comparePaths: member names by bytes,
// indices by number, a path before those inside it; the first found among
// equal paths) and the first is returned, so one body always gets one
// answer. The param is the offending member's path from the top-level
// field: "tools[0].function.name".
func classify(s *openapi3.Schema, body any) (violation, bool) {
	var w walk
	w.value(s, body, nil, 0)
	if len(w.found) == 0 {
		return violation{}, false
	}
	sort.SliceStable(w.found, func(i, j int) bool { return comparePaths(w.found[i].at, w.found[j].at) < 0 })
	return w.found[0], true
}

// walk collects the violations of one body.
type walk struct {
	found []violation
}

func (w *walk) add(sit situation, at bodyPath, why string) {
	w.found = append(w.found, violation{situation: sit, at: at, why: why})
}

// value collects the violations of v against s at path at; depth counts
// the schemas entered without descending into v.
func (w *walk) value(s *openapi3.Schema, v any, at bodyPath, depth int) {
	if s == nil || depth > maxSchemaDepth {
		return
	}
	if v == nil {
		if s.VisitJSON(nil) != nil {
			w.add(sitWrongType, at, "expected "+describeTypes(typesOf(s, 0))+", not null")
		}
		return
	}
	allowed := typesOf(s, 0)
	if !allowed.has(typeOf(v)) {
		w.add(sitWrongType, at, "expected "+describeTypes(allowed))
		return
	}
	for _, ref := range s.AllOf {
		if ref != nil {
			w.value(ref.Value, v, at, depth+1)
		}
	}
	if len(s.OneOf) > 0 {
		w.union(s.OneOf, true, s.Discriminator, v, at, depth)
	}
	if len(s.AnyOf) > 0 {
		w.union(s.AnyOf, false, s.Discriminator, v, at, depth)
	}
	switch x := v.(type) {
	case map[string]any:
		w.object(s, x, at, depth)
	case []any:
		w.array(s, x, at)
	default:
		if why := scalarViolation(s, v); why != "" {
			w.add(sitInvalidValue, at, why)
		}
	}
}

// union collects the violation of a value no branch of a oneOf (exactly
// one must match) or anyOf (one at least) matches.
func (w *walk) union(refs openapi3.SchemaRefs, one bool, disc *openapi3.Discriminator, v any, at bodyPath, depth int) {
	var branches []*openapi3.Schema
	matched := 0
	for _, ref := range refs {
		if ref == nil || ref.Value == nil {
			continue
		}
		branches = append(branches, ref.Value)
		if ref.Value.VisitJSON(v) == nil {
			matched++
		}
	}
	switch {
	case matched == 1 || (matched > 1 && !one):
		return
	case matched > 1:
		w.add(sitInvalidValue, at, "it matches more than one of the allowed forms")
		return
	}
	t := typeOf(v)
	var candidates []*openapi3.Schema
	for _, b := range branches {
		if typesOf(b, 0).has(t) {
			candidates = append(candidates, b)
		}
	}
	if len(candidates) == 0 {
		var all jsonTypes
		for _, b := range branches {
			all |= typesOf(b, 0)
		}
		w.add(sitWrongType, at, "expected "+describeTypes(all))
		return
	}
	if obj, ok := v.(map[string]any); ok {
		if name := discriminator(disc, candidates); name != "" {
			w.tagged(candidates, name, obj, at, depth)
			return
		}
	}
	if len(candidates) == 1 {
		before := len(w.found)
		w.value(candidates[0], v, at, depth+1)
		if len(w.found) > before {
			return
		}
	}
	w.add(sitInvalidValue, at, "it matches none of the allowed forms")
}

// tagged judges an object against the branch its discriminator member
// names.
func (w *walk) tagged(branches []*openapi3.Schema, name string, obj map[string]any, at bodyPath, depth int) {
	tagAt := at.member(name)
	raw, present := obj[name]
	if !present || raw == nil {
		w.add(sitMissingField, tagAt, "")
		return
	}
	value, ok := raw.(string)
	if !ok {
		w.add(sitWrongType, tagAt, "expected a string")
		return
	}
	var tags []any
	for _, b := range branches {
		tag := tagOf(b, name, 0)
		if tag != value {
			tags = append(tags, tag)
			continue
		}
		before := len(w.found)
		w.value(b, obj, at, depth+1)
		if len(w.found) == before { // kin-openapi refused what the walk accepts
			w.add(sitInvalidValue, at, "it does not match the form its '"+name+"' names")
		}
		return
	}
	w.add(sitInvalidValue, tagAt, "it must be "+describeEnum(tags))
}

// object collects the violations of an object's members.
func (w *walk) object(s *openapi3.Schema, obj map[string]any, at bodyPath, depth int) {
	required := map[string]bool{}
	for _, name := range s.Required {
		required[name] = true
		raw, present := obj[name]
		switch {
		case !present:
			w.add(sitMissingField, at.member(name), "")
		case raw == nil:
			if prop := s.Properties[name]; prop == nil || prop.Value == nil || prop.Value.VisitJSON(nil) != nil {
				w.add(sitMissingField, at.member(name), "")
			}
		}
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		raw := obj[name]
		if prop, ok := s.Properties[name]; ok {
			if raw == nil && required[name] {
				continue // judged above
			}
			if prop != nil {
				w.value(prop.Value, raw, at.member(name), 0)
			}
			continue
		}
		switch extra := s.AdditionalProperties; {
		case extra.Has != nil && !*extra.Has:
			w.add(sitInvalidValue, at.member(name), "it is not a member this object may have")
		case extra.Schema != nil:
			w.value(extra.Schema.Value, raw, at.member(name), 0)
		}
	}
	if uint64(len(obj)) < s.MinProps {
		w.add(sitInvalidValue, at, fmt.Sprintf("it must have at least %d members", s.MinProps))
	}
	if s.MaxProps != nil && uint64(len(obj)) > *s.MaxProps {
		w.add(sitInvalidValue, at, fmt.Sprintf("it must have at most %d members", *s.MaxProps))
	}
}

// array collects the violations of an array and its items.
func (w *walk) array(s *openapi3.Schema, arr []any, at bodyPath) {
	n := uint64(len(arr))
	if n < s.MinItems {
		w.add(sitInvalidValue, at, fmt.Sprintf("it must have at least %d %s", s.MinItems, plural(s.MinItems, "item")))
	}
	if s.MaxItems != nil && n > *s.MaxItems {
		w.add(sitInvalidValue, at, fmt.Sprintf("it must have at most %d %s", *s.MaxItems, plural(*s.MaxItems, "item")))
	}
	if s.Items == nil || s.Items.Value == nil {
		return
	}
	for i, item := range arr {
		w.value(s.Items.Value, item, at.item(i), 0)
	}
}

// scalarViolation says which of a schema's own constraints (not its
// branches') a string, number or boolean of an allowed type breaks, or ""
// for none.
func scalarViolation(s *openapi3.Schema, v any) string {
	own := *s
	own.AllOf, own.AnyOf, own.OneOf, own.Not, own.Discriminator = nil, nil, nil, nil, nil
	err := own.VisitJSON(v)
	if err == nil {
		return ""
	}
	var se *openapi3.SchemaError
	field := ""
	if errors.As(err, &se) {
		field = se.SchemaField
	}
	switch {
	case field == "enum":
		return "it must be " + describeEnum(s.Enum)
	case field == "minimum" && s.Min != nil:
		return "it must be at least " + formatNumber(*s.Min)
	case field == "maximum" && s.Max != nil:
		return "it must be at most " + formatNumber(*s.Max)
	case field == "minLength":
		return fmt.Sprintf("it must be at least %d %s long", s.MinLength, plural(s.MinLength, "character"))
	case field == "maxLength" && s.MaxLength != nil:
		return fmt.Sprintf("it must be at most %d %s long", *s.MaxLength, plural(*s.MaxLength, "character"))
	case field == "pattern":
		return "it must match the pattern " + strconv.Quote(s.Pattern)
	case field == "format":
		return "it must be a valid " + s.Format
	}
	return "it is not an allowed value"
}

// fromSchemaErrors names a violation from kin-openapi's errors, for a body
// the walk finds nothing wrong with: the first leaf error by path, a
// "required" one as missing-field, a "type" or "nullable" one as
// wrong-type, any other as invalid-value.
func fromSchemaErrors(err error, body any) violation {
	leaves := spec.SchemaLeaves(err)
	if len(leaves) == 0 {
		return violation{situation: sitInvalidValue, why: "it does not match the request schema"}
	}
	found := make([]violation, 0, len(leaves))
	for _, se := range leaves {
		v := violation{situation: sitInvalidValue, at: pathOf(body, se.JSONPointer()), why: "it is not an allowed value"}
		switch se.SchemaField {
		case "required":
			v.situation = sitMissingField
		case "type", "nullable":
			v.situation, v.why = sitWrongType, "it has a JSON type it may not have"
		}
		found = append(found, v)
	}
	sort.SliceStable(found, func(i, j int) bool { return comparePaths(found[i].at, found[j].at) < 0 })
	return found[0]
}

// pathOf turns a JSON pointer's segments into a path, reading the body to
// tell array indices from member names.
func pathOf(body any, pointer []string) bodyPath {
	var p bodyPath
	cur := body
	for _, seg := range pointer {
		switch c := cur.(type) {
		case []any:
			if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(c) {
				p, cur = p.item(i), c[i]
				continue
			}
		case map[string]any:
			p, cur = p.member(seg), c[seg]
			continue
		}
		p, cur = p.member(seg), nil
	}
	return p
}
