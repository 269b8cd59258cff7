package redact

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Walk redacts, in place, every string reachable from v (a pointer): the
// fields of structs, the elements of slices and arrays, the keys and
// values of maps, through pointers and interfaces. keep are crafted
// credentials left as they are (StringKeeping). A report's model walked
// once is what its renderings are made of: it is how a fleet redacts each
// target's part of its report as the target finishes, instead of every
// rendering of the whole document at the end.
func (r *Redactor) Walk(v any, keep ...string) {
	k := r.keeper(keep, string(rune(privateUseFirst)))
	walk(reflect.ValueOf(v), k.string)
}

// keeping is StringKeeping with its keep strings prepared once, for many
// strings: each is swapped for a placeholder built of marker, a
// private-use character.
type keeping struct {
	r             *Redactor
	marker        string
	keep          []string
	hide, restore *strings.Replacer
}

func (r *Redactor) keeper(keep []string, marker string) *keeping {
	k := &keeping{r: r, marker: marker}
	keep = slices.Clone(keep)
	slices.SortFunc(keep, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	keep = slices.Compact(keep)
	var hide, restore []string
	for _, s := range keep {
		if s == "" {
			continue
		}
		if _, secret := r.Find(s); secret {
			continue
		}
		placeholder := marker + strconv.Itoa(len(hide)/2) + marker
		hide = append(hide, s, placeholder)
		restore = append(restore, placeholder, s)
		k.keep = append(k.keep, s)
	}
	if len(hide) > 0 {
		k.hide, k.restore = strings.NewReplacer(hide...), strings.NewReplacer(restore...)
	}
	return k
}

// string is s redacted, the keep strings kept.
func (k *keeping) string(s string) string {
	if k.hide == nil {
		return k.r.String(s)
	}
	if strings.Contains(s, k.marker) {
		return k.r.StringKeeping(s, k.keep...) // with a marker s does not hold
	}
	if !slices.ContainsFunc(k.keep, func(keep string) bool { return strings.Contains(s, keep) }) {
		return k.r.String(s) // most strings: the replacer is not even built
	}
	hidden := k.hide.Replace(s)
	return k.restore.Replace(k.r.String(hidden))
}

// walk applies f to every string reachable from v.
func walk(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Interface {
			// What an interface holds is not addressable: walk a copy.
			c := reflect.New(v.Elem().Type()).Elem()
			c.Set(v.Elem())
			walk(c, f)
			if v.CanSet() {
				v.Set(c)
			}
			return
		}
		walk(v.Elem(), f)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walk(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			if v.CanSet() && v.Len() > 0 { // bytes are text too (a body)
				v.SetBytes([]byte(f(string(v.Bytes()))))
			}
			return
		}
		for i := range v.Len() {
			walk(v.Index(i), f)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			key := reflect.New(v.Type().Key()).Elem()
			key.Set(iter.Key())
			walk(key, f)
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(iter.Value())
			walk(val, f)
			out.SetMapIndex(key, val)
		}
		if v.CanSet() {
			v.Set(out)
		}
	case reflect.String:
		if v.CanSet() {
			if s := v.String(); s != "" {
				v.SetString(f(s))
			}
		}
	}
}
