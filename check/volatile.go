package check

import (
	"regexp"
	"sort"
	"strings"
)

// Volatile values are the parts of an observation that differ from one
// request to the next without saying anything about conformance: ids the
// target mints (chatcmpl-…, resp_…, request ids, UUIDs), timestamps
// (created, Date, RFC 3339), durations and rate-limit counters. Two
// findings that differ only there are the same observation: diff and the
// baseline classification compare findings through ObservationKey.

// volatilePatterns replace volatile values by a placeholder naming their
// kind, in order: the more specific patterns first, so a UUID is one
// <id>, not two. Every id is <id> whatever its form: a release that mints
// hexadecimal request ids where the one before minted UUIDs fails the same
// way.
var volatilePatterns = []struct {
	re          *regexp.Regexp
	replacement string
	// minted, when set, keeps a match that is not a minted id: an id is
	// at least 6 characters long after its prefix and carries a digit or
	// a capital letter; a code name such as request_too_large does not.
	minted bool
}{
	// Rate-limit counters and waits, in header or JSON form: the number
	// changes with every request.
	{regexp.MustCompile(`(?i)((?:x-)?ratelimit-[a-z-]+"?\s*[:=]\s*"?)(?:` + goDuration + `|[0-9][0-9.]*)`), "${1}<n>", false},
	{regexp.MustCompile(`(?i)(retry-after(?:-ms)?"?\s*[:=]\s*"?)[0-9][0-9.]*`), "${1}<n>", false},
	// Timestamps: RFC 3339, HTTP dates, and Unix seconds or milliseconds
	// in the members that carry them.
	{regexp.MustCompile(`\b[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?`), "<time>", false},
	{regexp.MustCompile(`\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT`), "<time>", false},
	{regexp.MustCompile(`("(?:created|created_at|completed_at|expires_at|timestamp|failed_at|started_at)"\s*:\s*)[0-9]{9,13}`), "${1}<time>", false},
	// Ids: UUIDs, the prefixed ids OpenAI-compatible APIs mint, and long
	// hexadecimal or mixed alphanumeric tokens.
	{regexp.MustCompile(`\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`), "<id>", false},
	{regexp.MustCompile(`\b(chatcmpl|cmpl|resp|msg|req|request|file|batch|run|thread|asst|call|ftjob|modr|embd|img|gen|trace)([-_])[A-Za-z0-9_-]{6,}`), "${1}${2}<id>", true},
	// Whatever follows a label naming an id ("request id: 7f3a9c01bd",
	// "request_id":"Ab12cd34", trace-id=…): the value is the target's id
	// whatever its form, when it is one (minted: a digit or a capital).
	{regexp.MustCompile(`(?i)(\b(?:x-)?(?:request|req|trace|correlation|span)[ _-]?id"?\s*[:=]?\s*"?)()[A-Za-z0-9][A-Za-z0-9._-]{5,}`), "${1}<id>", true},
	{regexp.MustCompile(`\b[0-9a-fA-F]{16,}\b`), "<id>", false},
	// Durations, where the text is about time: a number with a time unit
	// is a measured time only there. Elsewhere (a target's message, a
	// model's name, "the 400s") it is what it says, and two findings that
	// differ in it are two observations.
	//
	// A whole value that is a duration (the timeout rule's observed time).
	{regexp.MustCompile(`^\s*` + goDuration + `\s*$`), "<duration>", false},
	// After a word about time: "within 1.25s", "took 6.2s", "try again in
	// 20s", "after the 10s request timeout".
	{regexp.MustCompile(`(?i)(\b(?:within|after|took|taking|in|elapsed|latency|waited|wait|delay|timeout|duration|over)\s+(?:the\s+|about\s+|~)?)` + goDuration + `\b`), "${1}<duration>", false},
	// Before one: "1s slack", "3s ago".
	{regexp.MustCompile(`(?i)\b` + goDuration + `(\s+(?:slack|ago|later|elapsed)\b)`), "<duration>${1}", false},
	// In a JSON member or header named for a time: "latency":"12ms",
	// processing-time: 0.4s.
	{regexp.MustCompile(`(?i)("?[a-z0-9_-]*(?:duration|latency|elapsed|took|timeout|delay|wait|[_-]time)"?\s*[:=]\s*"?)` + goDuration + `\b`), "${1}<duration>", false},
}

// goDuration is a duration as Go and most servers write it: 250ms, 1.5s,
// 1m2.5s, 1h0m0s, 12µs.
const goDuration = `(?:[0-9]+h)?(?:[0-9]+m)?[0-9]+(?:\.[0-9]+)?(?:ns|µs|us|ms|s)`

// NormalizeVolatile replaces the volatile values in s by placeholders
// (<id>, <time>, <duration>, <n>), so that two observations
// of the same behaviour compare equal.
func NormalizeVolatile(s string) string {
	for _, p := range volatilePatterns {
		if !p.minted {
			s = p.re.ReplaceAllString(s, p.replacement)
			continue
		}
		s = p.re.ReplaceAllStringFunc(s, func(match string) string {
			sub := p.re.FindStringSubmatch(match)
			tail := match[len(sub[1])+len(sub[2]):]
			if len(tail) < 6 || !strings.ContainsAny(tail, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				return match
			}
			return sub[1] + sub[2] + "<id>"
		})
	}
	return s
}

// ObservationKey is the comparable form of findings: each finding's rule,
// expected and observed value with volatile values normalised, sorted, one
// per line. Two cases whose findings have the same key failed the same way.
func ObservationKey(findings []Finding) string {
	keys := make([]string, len(findings))
	for i, f := range findings {
		keys[i] = f.Rule + "|" + NormalizeVolatile(f.Expected) + "|" + NormalizeVolatile(f.Actual)
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n")
}
