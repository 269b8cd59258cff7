package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// SplitHeader splits a "Name: value" header fixture.
func SplitHeader(h string) (name, value string, err error) {
	name, value, ok := strings.Cut(h, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
		// The value is not quoted: a fault hook may be gated by a token.
		return "", "", errors.New(`is not a header such as "X-Fault: internal" (a name, a colon and a value)`)
	}
	return name, value, nil
}

// FixtureKeys lists every fixture key in file order.
func FixtureKeys() []string {
	t := reflect.TypeOf(Fixtures{})
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		keys = append(keys, t.Field(i).Tag.Get("fixture"))
	}
	return keys
}

// Has reports whether the fixture with the given key is configured.
func (f Fixtures) Has(key string) bool {
	v := reflect.ValueOf(f)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("fixture") == key {
			return !v.Field(i).IsZero()
		}
	}
	return false
}

// Requires reports whether the fixture key is named by Require.
func (c Config) Requires(key string) bool {
	return contains(c.Require, "all") || contains(c.Require, key)
}

// checkRouteModels refuses a fixtures.route_models entry for a route no
// generated case sends a model to, and a model name that is empty or
// would not survive a JSON body or form field as written.
func checkRouteModels(f Fixtures) error {
	paths := make([]string, 0, len(f.RouteModels))
	for path := range f.RouteModels {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		field := "fixtures.route_models." + path
		if !contains(RouteModelPaths, path) {
			return &Error{Field: field, Msg: fmt.Sprintf("%q is not a route whose body names a model (one of: %s; chat completions' model is fixtures.model)",
				path, strings.Join(RouteModelPaths, ", "))}
		}
		m := f.RouteModels[path]
		if m == "" || m != strings.TrimSpace(m) || strings.IndexFunc(m, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
			return &Error{Field: field, Msg: "must name a model: not empty, without surrounding whitespace or control characters"}
		}
	}
	return nil
}
