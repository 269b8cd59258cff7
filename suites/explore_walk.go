// The explorer's walk: from a field's schema to its variants (one minimal
// invalid body per broken constraint, each confirmed invalid) and its
// positive controls, and from a variant to its cases.

package suites

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/getkin/kin-openapi/openapi3"
)

// walk emits the variants of the value at p (present in base) and walks
// into its members, items and branches.
func (e *explorer) walk(s *openapi3.Schema, p []string, display string, base map[string]any, required bool, depth int, onStack map[*openapi3.Schema]bool) {
	if s == nil || depth > maxExploreDepth || onStack[s] || e.stopped {
		return
	}
	onStack[s] = true
	defer delete(onStack, s)
	sh := shapeOf(s)
	e.nodeVariants(sh, p, display, base, required)
	e.valueVariants(sh, p, display, base, required)
	e.walkInside(sh, p, display, base, required, depth, onStack)
}

// nodeVariants: the wrong JSON type, and null where the member is
// required (an optional member's null reads as absent to many APIs).
func (e *explorer) nodeVariants(sh shape, p []string, display string, base map[string]any, required bool) {
	if wrong, ok := sh.wrongTypeValue(); ok {
		e.add(variant{path: p, display: display, constraint: WrongType, value: wrong, base: base,
			what: fmt.Sprintf("%s is %s, a JSON type it may not have", display, describeValue(wrong))})
	}
	if required && !sh.nullable {
		e.add(variant{path: p, display: display, constraint: NullNotAllowed, value: nil, base: base,
			what: fmt.Sprintf("%s, a required member, is null", display)})
	}
}

// valueVariants: the constraints on a value of the right type.
//
// Complexity: one flat section per JSON Schema keyword family (enum,
// numeric range, integrality, string length, array length, object members,
// unions), each guarded by the shape having it; the sections share the
// add closure and nothing else.
func (e *explorer) valueVariants(sh shape, p []string, display string, base map[string]any, required bool) {
	add := func(constraint, what string, value any) {
		e.add(variant{path: p, display: display, constraint: constraint, value: value, base: base, what: what, requiredMember: required})
	}
	if len(sh.enum) > 0 && sh.types["string"] {
		add(NotInEnum, fmt.Sprintf("%s is %q, not one of its values", display, exploreNotAValue), exploreNotAValue)
	}
	if sh.types["number"] || sh.types["integer"] {
		step := 1.0
		if sh.min != nil && math.Abs(*sh.min) < exactFloatInteger {
			add(BelowMinimum, fmt.Sprintf("%s is %v, below its minimum %v", display, *sh.min-step, *sh.min), number(*sh.min-step))
		}
		if sh.max != nil && math.Abs(*sh.max) < exactFloatInteger {
			add(AboveMaximum, fmt.Sprintf("%s is %v, above its maximum %v", display, *sh.max+step, *sh.max), number(*sh.max+step))
		}
	}
	if sh.types["integer"] && !sh.types["number"] && (sh.min == nil || *sh.min <= 0) {
		// 0.5 breaks only integrality where 0 is allowed; where the
		// minimum is above it (n), a fraction would break the minimum too,
		// or ask for more than one output token.
		add(NotAnInteger, fmt.Sprintf("%s is 0.5, not an integer", display), json.Number("0.5"))
	}
	if sh.types["string"] && len(sh.enum) == 0 {
		if sh.minLength > 0 && sh.minLength <= maxExploreLength {
			add(TooShort, fmt.Sprintf("%s is %d characters, under its minimum length %d", display, sh.minLength-1, sh.minLength), strings.Repeat("x", int(sh.minLength-1)))
		}
		if sh.maxLength != nil && *sh.maxLength < maxExploreLength {
			add(TooLong, fmt.Sprintf("%s is %d characters, over its maximum length %d", display, *sh.maxLength+1, *sh.maxLength), strings.Repeat("x", int(*sh.maxLength+1)))
		}
	}
	if sh.types["array"] && sh.items != nil {
		item, ok := minimal(sh.items, 0)
		if ok && sh.minItems > 0 && sh.minItems <= maxExploreItems && !providerSpecificLimits[p[0]] {
			add(TooShort, fmt.Sprintf("%s has %d items, under its minimum %d", display, sh.minItems-1, sh.minItems), repeatItem(item, int(sh.minItems-1)))
		}
		if ok && sh.maxItems != nil && *sh.maxItems < maxExploreItems && !providerSpecificLimits[p[0]] {
			add(TooLong, fmt.Sprintf("%s has %d items, over its maximum %d", display, *sh.maxItems+1, *sh.maxItems), repeatItem(item, int(*sh.maxItems+1)))
		}
	}
	if sh.types["object"] && len(sh.props) > 0 {
		for _, member := range sh.required {
			if member == "model" && len(p) == 0 {
				continue
			}
			e.add(variant{path: append(clone(p), member), display: display + "." + member, constraint: MissingRequired, remove: true, base: base,
				what: fmt.Sprintf("%s lacks its required member %s", display, member)})
		}
		if sh.closed {
			e.add(variant{path: append(clone(p), exploreUnknownName), display: display, constraint: UnknownMember, value: true, base: base,
				what: fmt.Sprintf("%s has a member %s it does not allow", display, exploreUnknownName)})
		}
	}
	if len(sh.branches) > 1 && !sh.tagged() {
		// A tagged union's empty object lacks its tag: a missing member as
		// much as no form, so its missing-required variants cover it.
		if v, ok := sh.noBranchValue(); ok {
			add(NoBranch, fmt.Sprintf("%s matches none of its %d forms", display, len(sh.branches)), v)
		}
	}
}

// walkInside walks the members of an object, the first item of an array
// and each branch of a union, each in a base holding a valid value there;
// a top-level array's second item is given the wrong type too.
//
// Complexity: three walks (union branches, object members, array items)
// each with the guards that keep a base valid outside the walked value.
func (e *explorer) walkInside(sh shape, p []string, display string, base map[string]any, required bool, depth int, onStack map[*openapi3.Schema]bool) {
	current, _ := getAt(base, p)
	if len(sh.branches) > 1 {
		for _, b := range sh.branches[:min(len(sh.branches), maxExploreForms)] {
			value, ok := minimal(b, 0)
			if matchesBranch(b, current) {
				value, ok = current, true
			}
			if !ok {
				continue
			}
			branchBase := withValue(base, p, value)
			if !e.cur.valid(jsonValue(branchBase)) {
				continue
			}
			bsh := shapeOf(b)
			qualified := display
			if tag := bsh.discriminatorTag(); tag != "" {
				qualified += ":" + tag
			}
			// The branch's own value constraints and members, not its type:
			// the union's type variants cover that.
			e.valueVariants(bsh, p, qualified, branchBase, required)
			e.walkInside(bsh, p, qualified, branchBase, required, depth+1, onStack)
		}
		return
	}
	switch {
	case sh.types["object"] && len(sh.props) > 0:
		obj, _ := current.(map[string]any)
		names := make([]string, 0, len(sh.props))
		for name := range sh.props {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if !contains(sh.required, name) && !e.sel.Deep {
				continue // an optional nested member: only with Deep
			}
			child := sh.props[name]
			childBase := base
			if _, present := obj[name]; !present {
				value, ok := minimal(child, 0)
				if !ok {
					continue
				}
				childBase = withValue(base, append(clone(p), name), value)
				if !e.cur.valid(jsonValue(childBase)) {
					continue
				}
			}
			optional := !contains(sh.required, name)
			if optional {
				e.optionalDepth++
			}
			e.walk(child, append(clone(p), name), display+"."+name, childBase, !optional, depth+1, onStack)
			if optional {
				e.optionalDepth--
			}
		}
	case sh.types["array"] && sh.items != nil:
		arr, _ := current.([]any)
		itemBase := base
		if len(arr) == 0 {
			item, ok := minimal(sh.items, 0)
			if !ok {
				return
			}
			itemBase = withValue(base, p, []any{item})
			if !e.cur.valid(jsonValue(itemBase)) {
				return
			}
			arr = []any{item}
		}
		e.walk(sh.items, append(clone(p), "0"), display+".0", itemBase, false, depth+1, onStack)
		if len(p) == 1 && (sh.maxItems == nil || *sh.maxItems >= 2) {
			// A top-level list's second item of the wrong type, its first
			// valid: a provider that checks only messages[0] lets it by.
			later := withValue(base, p, []any{arr[0], arr[0]})
			e.nodeVariants(shapeOf(sh.items), append(clone(p), "1"), display+".1", later, false)
		}
	}
}

// controls adds the positive controls of a top-level field: its valid
// boundary values and each value of its enums (and its union's forms),
// each confirmed valid. Left out: values that would ask for more than one
// output token; message content forms, which depend on the model's
// capabilities (the capability cases cover those); and object forms that
// name something the body would have to declare (a custom tool, a list of
// allowed tools): only response_format's forms and a tool_choice naming
// the companion function are sent.
//
// Complexity: like valueVariants, one guarded section per keyword family
// whose boundary value is a valid control.
func (e *explorer) controls(s *openapi3.Schema, field string, base map[string]any) {
	if field == "messages" || field == "model" {
		return
	}
	sh := shapeOf(s)
	add := func(label string, value any) {
		if field == "n" || field == "max_tokens" || field == "max_completion_tokens" {
			if f, ok := asFloat(value); !ok || f != 1 {
				return // more than one output token
			}
		}
		e.add(variant{path: []string{field}, display: field, constraint: Valid + "-" + label, value: value, base: base,
			what: fmt.Sprintf("%s is %s, a valid value", field, describeValue(value))})
	}
	if sh.types["number"] || sh.types["integer"] {
		if sh.min != nil && math.Abs(*sh.min) < exactFloatInteger && !openLowerBound[field] {
			add("minimum", number(*sh.min))
		}
		if sh.max != nil && math.Abs(*sh.max) < exactFloatInteger {
			add("maximum", number(*sh.max))
		}
		if field == "max_tokens" || field == "max_completion_tokens" {
			add("one", json.Number("1"))
		}
	}
	if sh.types["boolean"] {
		add("true", true)
		add("false", false)
	}
	for _, v := range sh.enum[:min(len(sh.enum), maxExploreForms)] {
		if str, ok := v.(string); ok {
			add("enum-"+str, str)
		}
	}
	for i, b := range sh.branches[:min(len(sh.branches), maxExploreForms)] {
		value, ok := minimal(b, 0)
		if !ok {
			continue
		}
		bsh := shapeOf(b)
		label := bsh.discriminatorTag()
		if _, isObject := value.(map[string]any); isObject && field != "response_format" && label != "function" {
			continue
		}
		if label == "" {
			label = jsonTypeOf(value)
		}
		if label == "" {
			label = fmt.Sprintf("form-%d", i+1)
		}
		if _, isString := value.(string); isString && len(bsh.enum) > 0 {
			for _, ev := range bsh.enum[:min(len(bsh.enum), maxExploreForms)] {
				if es, ok := ev.(string); ok {
					add("enum-"+es, es)
				}
			}
			continue
		}
		add(label, value)
	}
}

// openLowerBound are fields whose schema minimum reasonable providers
// exclude: vLLM takes top_p in (0, 1]. Their minimum is no positive
// control.
var openLowerBound = map[string]bool{"top_p": true}

// add keeps a variant whose body the schema judges as its constraint says
// (invalid, or valid for a positive control) and that asks for at most one
// output token (so n above its maximum is never sent), under an ID not yet
// used.
func (e *explorer) add(v variant) {
	if e.stopped || e.tooMany {
		return
	}
	valid := strings.HasPrefix(v.constraint, Valid)
	v.deepOnly = e.optionalDepth > 0
	body := v.body(DefaultModel)
	decoded := jsonValue(body) // the body as the target decodes it
	if e.cur.multipart && !e.formCarries(v, decoded) {
		return
	}
	if e.cur.valid(decoded) != valid {
		return // the schema does not see it as intended: not a probe of it
	}
	for _, field := range []string{"n", "max_tokens", "max_completion_tokens"} {
		if f, ok := asFloat(body[field]); ok && f > 1 {
			return // it would ask for more than one output token (n above its maximum)
		}
	}
	key := string(encode(decoded))
	bodyHash := hashOf(key)
	if !e.cur.chat {
		bodyHash = hashOf(e.cur.path + " " + key) // two routes may take the same body
	}
	if e.bodies[bodyHash] {
		return // the same body under another path (two unions' forms alike)
	}
	if e.made >= maxExploreVariants {
		e.tooMany = true
		return
	}
	e.made++
	e.bodies[bodyHash] = true
	v.id = exploreID(e.cur.slug, v.display, v.constraint)
	for n := 2; e.ids[hashOf(v.id)]; n++ {
		v.id = exploreID(e.cur.slug, v.display, fmt.Sprintf("%s-%d", v.constraint, n))
	}
	e.ids[hashOf(v.id)] = true
	v.encoded = key
	for _, c := range e.casesOf(v) {
		if !e.yield(c) {
			e.stopped = true
			return
		}
	}
}

// hashOf is a string's 64-bit FNV-1a hash: what the explorer keeps of
// each body and ID it made (a collision, at odds of about one in 10^11
// at the 20,000-variant cap, would drop one variant, the same one on
// every walk).
func hashOf(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// exploreID is a variant's ID: explore/<route>/<path>/<constraint>, the
// route "chat" for chat completions (RouteSlug for the others).
func exploreID(route, display, constraint string) string {
	return ExploreGroup + "/" + route + "/" + display + "/" + constraint
}

// casesOf turns a variant into its case and, but for the stream fields,
// its stream twin: resolved under the explorer's contract, if it has one.
func (e *explorer) casesOf(v variant) []Case {
	id := v.id
	field := v.path[0]
	valid := strings.HasPrefix(v.constraint, Valid)
	constraint := v.constraint
	if valid {
		constraint = Valid
	}
	r := e.cur
	c := Case{ID: id, Endpoint: r.endpoint, Fixtures: []string{"model"},
		Title:  v.what,
		Sends:  r.sends + " in which " + v.what,
		Labels: []string{"explore", "field:" + labelSafe(r.fieldLabel(field)), "constraint:" + constraint},
	}
	if !r.hasModel {
		c.Fixtures = nil
	}
	encoded, ownModel := v.encoded, v.ownModel() || !r.hasModel // all the request needs of the variant
	path := r.path
	c.build = func(cfg config.Config) probe.Request {
		req := rawChat(cfg, cfg.Auth.APIKey, bodyFor(encoded, ownModel, r.model(cfg)))
		req.Path = path
		return req
	}
	if r.multipart {
		c.build = func(cfg config.Config) probe.Request {
			return formRequest(cfg, path, encoded, ownModel, r.model(cfg))
		}
	}
	if valid {
		streamed, _ := v.body(DefaultModel)["stream"].(bool)
		c.ValidInput = true
		c.Expect = check.Expectation{Status: 200, Stream: streamed, ValidInput: v.what}
	} else {
		c.Situation = constraintSituation[v.constraint]
		if v.constraint == TooShort && v.requiredMember {
			// An empty required list reads as missing to many providers.
			c.Situation = missingField
		}
		c.Expect = check.Expectation{Param: field, IfAccepted: fmt.Sprintf("accepted invalid input (%s): %s", v.constraint, v.what)}
		if !e.sel.mustImplement(r.core, field, v.deepOnly) {
			// Outside the core set a target may not implement the field,
			// and then ignores it: served, it warns (fails under --strict).
			c.Expect.AcceptedShould = fmt.Sprintf("%s is outside the core set, and a target may ignore a field it does not implement "+
				"(explore.implements: [%s] makes this a failure)", v.display, field)
			c.Labels = append(c.Labels, "outside-core")
		}
		if e.sel.unsupported(field) {
			c.Labels = append(c.Labels, "unsupported")
		}
		if strings.Contains(v.display, ".content.0:") && !strings.Contains(v.display, ".content.0:text") {
			// A model may refuse the whole part (an image, audio, a
			// file) with the contract's capability code first.
			c.Labels = append(c.Labels, "capability-part")
		}
	}
	out := []Case{c}
	if r.streams && field != "stream" && field != "stream_options" {
		out = append(out, streamTwin(c))
	}
	if e.contract != nil {
		for i := range out {
			e.resolve(&out[i])
		}
	}
	return out
}

// resolve resolves a variant's case under the contract (ExploreFor says
// which need no code).
func (e *explorer) resolve(c *Case) {
	resolve(c, e.contract)
	if contains(c.Labels, "unsupported") || contains(c.Labels, "capability-part") || contains(c.Labels, "constraint:"+NoBranch) {
		c.Expect.Code = "" // refused for what it is, the code may be another
	}
	finish(c)
}
