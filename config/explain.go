package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Explained is one resolved value as config check --explain prints it:
// the field, its value (a secret's never: "[REDACTED]" or "set (from
// $VAR)") and where it came from.
type Explained struct {
	Field  string
	Value  string
	Source Source
	// Target reports whether the field says what the target is (URL,
	// headers, auth, fixtures, contract) rather than how to run.
	Target bool
}

// Explain lists every field the resolution sets, in the file's order
// (what the target is, then how to run): each field holding a value, and
// each a flag, variable or the file set even to its zero value.
func (r Resolved) Explain() []Explained {
	secrets := map[string]bool{}
	for _, s := range r.Config.Secrets() {
		secrets[s] = true
	}
	var out []Explained
	walkFields(reflect.ValueOf(r.Config), "", func(field string, v reflect.Value) {
		src := r.Source(field)
		if v.IsZero() && src.Kind == FromDefault {
			return
		}
		section, _, _ := strings.Cut(field, ".")
		out = append(out, Explained{
			Field: field, Source: src, Value: r.explainValue(field, v, src, secrets),
			Target: contains(identityFields, section) || field == "contract",
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Target && !out[j].Target })
	return out
}

// explainValue is a field's value as Explain prints it: a credential, or
// a value read from a variable that public_env does not list, is never
// shown.
func (r Resolved) explainValue(field string, v reflect.Value, src Source, secrets map[string]bool) string {
	text := valueText(v)
	secret := secretField(field) || secrets[text]
	if src.Var != "" {
		for _, ref := range r.Config.Env {
			if ref.Name == src.Var && !ref.Public {
				secret = true
			}
		}
	}
	if !secret || text == "" {
		return text
	}
	switch {
	case src.Kind == FromEnv:
		return "set (from $" + src.Name + ")"
	case src.Var != "":
		return "set (from $" + src.Var + ")"
	}
	return "[REDACTED]"
}

// valueText prints a field's value: a duration in Go syntax, a list
// comma-separated.
func valueText(v reflect.Value) string {
	if d, ok := v.Interface().(Duration); ok {
		return d.Std().String()
	}
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
}

// walkFields calls fn for every leaf field of a Config (or a section of
// one) at its dotted path, in the file's order: a map's entries each by
// key, sorted; the targets: list (resolved per member) is left out.
func walkFields(v reflect.Value, prefix string, fn func(field string, v reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() || name == "targets" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.Struct:
			walkFields(fv, prefix+name+".", fn)
		case reflect.Map:
			keys := fv.MapKeys()
			sort.Slice(keys, func(a, b int) bool { return keys[a].String() < keys[b].String() })
			for _, k := range keys {
				fn(prefix+name+"."+k.String(), fv.MapIndex(k))
			}
		default:
			fn(prefix+name, fv)
		}
	}
}
