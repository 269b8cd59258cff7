// Ginkgo's label filters: a --label-filter is parsed with Ginkgo's own
// parser, its errors worded on one line, and Ginkgo's formatter kept
// colourless. The suite itself (a container per target, a spec per case)
// is specs.go; these two files are the only ones of runner/ and suites/
// that import Ginkgo outside tests.

package runner

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
)

// labelFilter is a parsed --label-filter: whether a case with these labels
// is selected.
type labelFilter = func(labels []string) bool

// noColour keeps everything Ginkgo formats (a label filter's syntax error,
// say) free of ANSI codes, whatever NO_COLOR says.
func noColour() {
	formatter.SingletonFormatter = formatter.New(formatter.ColorModeNone)
}

// parseLabelFilter parses a Ginkgo label expression; its error is a usage
// error on one line, naming --label-filter.
func parseLabelFilter(expr string) (labelFilter, error) {
	filter, err := types.ParseLabelFilter(expr)
	if err != nil {
		return nil, labelFilterError(expr, err)
	}
	return filter, nil
}

// ginkgoMarkup is the {{red}}…{{/}} styling in a Ginkgo error's message;
// ansiEscape an escape sequence, should one be there already.
var (
	ginkgoMarkup = regexp.MustCompile(`\{\{/?[a-z-]*\}\}`)
	ansiEscape   = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
)

// labelFilterError words a label filter's syntax error on one line, with
// no colour codes: Ginkgo's own error is coloured for a terminal.
func labelFilterError(expr string, err error) error {
	const help = "syntax: https://onsi.github.io/ginkgo/#spec-labels"
	var ge types.GinkgoError
	if !errors.As(err, &ge) {
		return usagef("--label-filter %q: %s (%s)", expr, oneLine(ansiEscape.ReplaceAllString(err.Error(), "")), help)
	}
	lines := strings.Split(ansiEscape.ReplaceAllString(ge.Message, ""), "\n")
	where := ""
	if len(lines) > 1 && strings.TrimSpace(ginkgoMarkup.ReplaceAllString(lines[0], "")) == strings.TrimSpace(expr) {
		// The first line repeats the expression, the offending part marked.
		if at := ginkgoMarkup.FindStringIndex(lines[0]); at != nil {
			where = fmt.Sprintf("at character %d; ", utf8.RuneCountInString(lines[0][:at[0]])+1)
		}
		lines = lines[1:]
	}
	reason := oneLine(ginkgoMarkup.ReplaceAllString(strings.Join(lines, " "), ""))
	if reason == "" {
		reason = "syntax error"
	}
	return usagef("--label-filter %q: %s (%s%s)", expr, reason, where, help)
}
