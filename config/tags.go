package config

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// ReferenceName is the name of the embedded reference target when the
// config names none.
const ReferenceName = "reference"

// MaxTags bounds a run's tags, and MaxTagValueBytes each value: every tag
// is a label on every metric series and a property of every report.
const (
	MaxTags          = 16
	MaxTagValueBytes = 128
)

// tagKey is what a tag's key must look like: a Prometheus label name.
var tagKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedTagKeys are the label names errconform's metrics and the
// Pushgateway's grouping key use themselves.
var reservedTagKeys = map[string]bool{
	"target": true, "contract": true, "case": true, "group": true, "status": true, "code": true, "verdict": true,
	"rule": true, "field": true, "constraint": true, "version": true, "outcome": true, "job": true, "instance": true,
}

// ValidTag reports why a tag (key, value) cannot be one, or "".
func ValidTag(key, value string) string {
	switch {
	case !tagKey.MatchString(key):
		return fmt.Sprintf("key %q is not a label name: a letter or _, then letters, digits and _", key)
	case strings.HasPrefix(key, "__"):
		return fmt.Sprintf("key %q: names starting with __ are reserved by Prometheus", key)
	case reservedTagKeys[key]:
		return fmt.Sprintf("key %q is a label errconform sets itself (%s)", key, strings.Join(ReservedTagKeys(), ", "))
	case len(value) > MaxTagValueBytes:
		return fmt.Sprintf("%s: the value is longer than %d bytes", key, MaxTagValueBytes)
	case strings.IndexFunc(value, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return fmt.Sprintf("%s: the value holds a control or non-printable character", key)
	}
	return ""
}

// ReservedTagKeys lists the keys no tag may have, sorted.
func ReservedTagKeys() []string {
	return slices.Sorted(maps.Keys(reservedTagKeys))
}

// checkNameAndTags validates target.name and tags.
func checkNameAndTags(c Config) error {
	if c.Target.Name != "" {
		if why := ValidTargetName(c.Target.Name); why != "" {
			return &Error{Field: "target.name", Msg: why}
		}
	}
	if len(c.Tags) > MaxTags {
		return &Error{Field: "tags", Msg: fmt.Sprintf("has %d tags; at most %d (each is a label on every metric series)", len(c.Tags), MaxTags)}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Tags)) {
		if why := ValidTag(k, c.Tags[k]); why != "" {
			return &Error{Field: "tags." + k, Msg: why}
		}
	}
	return nil
}

// TargetName is a single target's name: target.name, else "reference"
// for the embedded reference, else the base URL's host[:port].
func (c Config) TargetName(embedded bool) string {
	switch {
	case c.Target.Name != "":
		return c.Target.Name
	case embedded || c.Target.BaseURL == ReferenceTarget:
		return ReferenceName
	}
	if u, err := url.Parse(c.Target.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "unnamed" // not a URL: Validate refuses it before any run
}
