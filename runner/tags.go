package runner

import (
	"maps"
	"slices"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reports"
)

// checkNameAndTagFlags refuses a --name that is not label-safe and a
// --tag that could not be a label, naming the flag (or its variable).
func checkNameAndTagFlags(o runOptions, set func(flag string) bool, source func(flag string) string) error {
	if set("name") {
		if why := config.ValidTargetName(o.name); why != "" {
			return usagef("%s: %s", source("name"), why)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o.tags)) {
		if why := config.ValidTag(k, o.tags[k]); why != "" {
			return usagef("%s %s: %s", source("tag"), reports.Printable(k+"="+o.tags[k]), why)
		}
	}
	return nil
}
