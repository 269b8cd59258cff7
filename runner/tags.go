package runner

import (
	"maps"
	"slices"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reports"
)

// checkNameAndTagFlags refuses a --name that is not label-safe and a
// --tag that could not be a label, naming the flag (or its variable).
func checkNameAndTagFlags(o runOptions, set map[string]bool, source func(string) string) error {
	if set["name"] {
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

// overrideNameAndTags applies --name over target.name, and --tag over
// tags:, key by key.
func overrideNameAndTags(cfg *config.Config, o runOptions, set map[string]bool) {
	if set["name"] {
		cfg.Target.Name = o.name
	}
	if set["tag"] && len(o.tags) > 0 {
		tags := maps.Clone(cfg.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, o.tags)
		cfg.Tags = tags
	}
}
