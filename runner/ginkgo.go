// The Ginkgo adapter. This file is the only place that wires the case
// catalogue into Ginkgo: it turns the selected cases into specs, runs them
// with RunSpecs, parses label filters and words their errors, and keeps
// Ginkgo's formatter colourless. Nothing else in suites/ or runner/ imports
// Ginkgo outside tests (reports/ uses Ginkgo's report types and JUnit
// generator as a library).

package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/suites"
)

// specReport is Ginkgo's report of the specs, which the JUnit report is
// generated from.
type specReport = types.Report

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

// registerSpecs builds the Ginkgo spec tree: one It per catalogue case,
// named by its ID and labelled with its labels, and one It per explored
// field holding every explore variant of that field. run returns a case's
// result (performed by suites.Execute, perhaps ahead of time); the spec
// then passes, skips or fails on its verdict (a field's spec fails when
// any of its variants fails). It must be called before ginkgo.RunSpecs,
// once per process.
//
// Explore's variants share a spec per field because Ginkgo keeps a node
// and a report per spec until the suite ends: a spec per variant made
// explore's memory grow with the number of variants, and its serial
// reporting phase with it. The reports do not depend on the grouping:
// JUnit, JSON and the rest list every variant from its result.
func registerSpecs(list caseList, run func(ctx context.Context, c suites.Case) suites.Result, field func(name string, want int) (check.Verdict, string)) {
	// One unnamed, Ordered container keeps the catalogue's order (so cases
	// marked Alone, placed last, follow the rest) without adding text to the
	// spec names JUnit reports; ContinueOnFailure keeps one failure from
	// skipping the cases after it.
	ginkgo.Describe("", ginkgo.Ordered, ginkgo.ContinueOnFailure, func() {
		for _, spec := range specsOf(list) {
			spec := spec
			ginkgo.It(spec.name, ginkgo.Label(spec.labels...), func(ctx ginkgo.SpecContext) {
				var verdict check.Verdict
				var why string
				if spec.field != "" {
					verdict, why = field(spec.field, spec.variants)
				} else {
					verdict, why = specVerdict(run(ctx, spec.c))
				}
				switch verdict {
				case check.Skipped, check.Waived:
					ginkgo.Skip(why)
				case check.Failed, check.Errored:
					ginkgo.Fail(why)
				}
			})
		}
	})
}

// caseSpec is one Ginkgo spec: a catalogue case, or the explore variants
// of one field (field, and how many of them were selected).
type caseSpec struct {
	name     string
	labels   []string
	c        suites.Case
	field    string
	variants int
}

// specsOf makes a list's specs in its order: each catalogue case alone,
// then a spec per explored field (the prefetch judged its variants as
// they came; the spec reads the field's tally), then the cases that run
// alone.
func specsOf(list caseList) []caseSpec {
	var specs []caseSpec
	for _, c := range list.head {
		specs = append(specs, caseSpec{name: c.ID, labels: c.Labels, c: c})
	}
	for _, field := range list.variants.order {
		specs = append(specs, caseSpec{name: "explore/chat/" + field + " (every selected variant of the field)", labels: []string{"explore"},
			field: field, variants: list.variants.fieldTotal(field)})
	}
	for _, c := range list.tail {
		specs = append(specs, caseSpec{name: c.ID, labels: c.Labels, c: c})
	}
	return specs
}

// specVerdict is a catalogue case's spec's verdict from its result and,
// but for a pass, why.
func specVerdict(r suites.Result) (check.Verdict, string) {
	switch r.Verdict {
	case check.Failed:
		return check.Failed, r.Summary()
	case check.Errored:
		return check.Errored, "errored: " + r.Summary()
	}
	return r.Verdict, r.Reason
}

// failRecorder is the GinkgoTestingT RunSpecs needs; the suite's outcome
// is read from RunSpecs' return value and the results instead.
type failRecorder struct{}

func (failRecorder) Fail() {}

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

// runSpecs runs the Ginkgo specs (the concurrent phase in BeforeSuite,
// then the cases that run alone) within the run's deadline. When the
// deadline passes or the run is interrupted, it waits at most stopWait for
// Ginkgo to finish (less after a second interrupt); the cases still in
// flight then count as not completed. It reports whether the suite passed.
func (s *session) runSpecs(ctx context.Context, deadline time.Time, again <-chan struct{}) bool {
	remaining := time.Until(deadline)
	if ctx.Err() != nil || remaining <= 0 {
		return false // the preflight used the whole run
	}
	// Only the selected cases become specs: a case left out by --case or
	// --rerun-failed must not run when Ginkgo's label filter would let it.
	registerSpecs(s.selected, s.runCase, s.fieldVerdict)
	ginkgo.BeforeSuite(func(sc ginkgo.SpecContext) { s.prefetchConcurrent(sc) })
	ginkgo.ReportAfterSuite("errconform reports", func(r specReport) {
		s.mu.Lock()
		s.ginkgoReport = &r
		s.mu.Unlock()
	})
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	// No Ginkgo label filter: the selectors (--label-filter, --case,
	// --rerun-failed) chose the cases already, and only they are specs.
	suiteConfig.Timeout = remaining
	suiteConfig.GracePeriod = stopWait
	suiteConfig.RandomizeAllSpecs = false
	reporterConfig.NoColor = true
	// errconform prints its own line per case; Ginkgo's console reporter
	// would repeat them in Ginkgo's words.
	formatter.ColorableStdOut = io.Discard

	finished := make(chan bool, 1)
	go func() { finished <- ginkgo.RunSpecs(failRecorder{}, "errconform", suiteConfig, reporterConfig) }()
	select {
	case passed := <-finished:
		return passed
	case <-ctx.Done():
	}
	select {
	case passed := <-finished:
		return passed
	case <-time.After(stopWait):
	case <-again:
	}
	return false // Ginkgo is still unwinding: the reports are written from what is known
}
