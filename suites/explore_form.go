// Multipart routes in explore (transcriptions): a variant is a JSON body
// like any other, sent as a multipart form of its members with a small
// audio file, and judged by the schema as the target reads the form
// (spec.Route.AddFormField). A value no form can carry (a null) is no
// variant; one that reads as valid once it is a form field (a number
// where a string is wanted: every field is text) is none either.

package suites

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/spec"
)

// formFieldsOf is a body's members as form fields, sorted by name: a
// string as it is, an array as one field per item, any other value as
// its JSON text; false when a value is null (no form carries one).
func formFieldsOf(body any) ([][2]string, bool) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, false
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	var fields [][2]string
	for _, k := range names {
		values, isList := obj[k].([]any)
		if !isList {
			values = []any{obj[k]}
		}
		for _, v := range values {
			text, ok := formText(v)
			if !ok {
				return nil, false
			}
			fields = append(fields, [2]string{k, text})
		}
	}
	return fields, true
}

// formText is a value as a form field's text.
func formText(v any) (string, bool) {
	switch v := v.(type) {
	case nil, jsonNull:
		return "", false
	case string:
		return v, true
	}
	return string(encode(v)), true
}

// formView is a form's fields as the route's schema sees them, its file
// part included.
func formView(route spec.Route, fields [][2]string) map[string]any {
	view := map[string]any{"file": "errconform-probe.wav"}
	for _, f := range fields {
		route.AddFormField(view, f[0], f[1])
	}
	return view
}

// validForm is the valid function of a multipart route's explore: the
// body, sent as a form, is valid as the target reads it.
func validForm(route spec.Route) func(body any) bool {
	return func(body any) bool {
		fields, ok := formFieldsOf(body)
		return ok && route.Valid(formView(route, fields))
	}
}

// formRequest is a multipart variant's request: its encoded body, the
// run's model in it unless the variant edits the model, sent as a form
// with a small audio file.
func formRequest(cfg config.Config, path, encoded string, ownModel bool, model string) probe.Request {
	var b map[string]any
	d := json.NewDecoder(strings.NewReader(encoded))
	d.UseNumber()
	_ = d.Decode(&b) // encoded by the explorer from a JSON object
	if !ownModel {
		b["model"] = model
	}
	ct, body := formBody(b, "audio/wav")
	r := probe.Request{Method: http.MethodPost, Path: path, Body: body, Header: http.Header{"Content-Type": {ct}}}
	presentKey(cfg, &r, cfg.Auth.APIKey)
	return r
}

// formCarries reports whether a multipart route's form carries what a
// variant breaks: not a null (no form carries one), nor a value of the
// wrong type in a field whose text a string member takes (every field is
// text: "12345" for a string enum is a value outside it, which its
// not-in-enum variant sends) or of an array member (a field of any text
// is a list of one item).
func (e *explorer) formCarries(v variant, decoded any) bool {
	if _, ok := formFieldsOf(decoded); !ok {
		return false
	}
	if v.constraint != WrongType {
		return true
	}
	member := shapeOf(e.cur.schema).props[v.path[0]]
	switch {
	case len(v.path) == 1:
		// An array is its repeated fields: one field of any text is a
		// list of one item.
		return !shapeOf(member).types["string"] && !shapeOf(member).types["array"]
	case len(v.path) == 2 && shapeOf(member).types["array"]:
		return !shapeOf(shapeOf(member).items).types["string"] // an item, a field of its own
	}
	return true // inside a member sent as JSON text
}
