package reports

import (
	"sort"
)

// runLabels are a report's target name and tags as the Markdown and HTML
// headers show them: "k=v" per tag, sorted, as printable text.
func runLabels(s *Settings) (name string, tags []string) {
	if s == nil {
		return "", nil
	}
	for k, v := range s.Tags {
		tags = append(tags, Printable(k+"="+v))
	}
	sort.Strings(tags)
	return Printable(s.Name), tags
}

// tagsOf is a report's tags (nil when it has none).
func tagsOf(s *Settings) map[string]string {
	if s == nil {
		return nil
	}
	return s.Tags
}
