package config

import (
	"reflect"
	"strings"
)

// configTypes are the types of the file's sections, by the name the YAML
// decoder gives them in an unknown-key error ("not found in type
// config.Fixtures").
var configTypes = map[string]reflect.Type{
	"Config": reflect.TypeOf(Config{}), "Target": reflect.TypeOf(Target{}), "Auth": reflect.TypeOf(Auth{}),
	"Fixtures": reflect.TypeOf(Fixtures{}), "Limits": reflect.TypeOf(Limits{}), "TLS": reflect.TypeOf(TLS{}),
	"Explore": reflect.TypeOf(Explore{}), "ExploreFields": reflect.TypeOf(ExploreFields{}), "TargetConfig": reflect.TypeOf(TargetConfig{}),
}

// yamlKeys lists the keys a section of type t takes.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "-" && t.Field(i).IsExported() {
			if name == "" {
				name = strings.ToLower(t.Field(i).Name)
			}
			keys = append(keys, name)
		}
	}
	return keys
}

// didYouMean is " (did you mean fixtures?)" for an unknown key close to
// a key of the section (typeName, as the decoder names it) — a typo, a
// missing or extra letter — or "".
func didYouMean(key, typeName string) string {
	t, ok := configTypes[typeName]
	if !ok {
		return ""
	}
	best, bestDist := "", 0
	for _, k := range yamlKeys(t) {
		d := editDistance(strings.ToLower(key), k)
		// Two letters wrong (a swap), or up to a third of a long key's, at most 3.
		if limit := min(3, max(2, len(k)/3)); d <= limit && (best == "" || d < bestDist) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
