package config

import (
	"errors"
	"reflect"
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
