package runner

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// What a run prints on the terminal (the dry run, --verbose's exchanges, a
// case's line, the failures by cause, the run-level problems) and the exit
// code its results make.

// printDryRun prints every request a target's cases would send.
func printDryRun(w io.Writer, list caseList, cfg config.Config, redactor *redact.Redactor) {
	fmt.Fprintf(w, "errconform %s: dry run against %s: %d cases selected, nothing is sent (a real run: concurrency %d, %s, at most %d requests)\n",
		ToolVersion(), reports.Printable(redactor.String(cfg.Target.BaseURL)), list.Len(), cfg.Limits.Concurrency, rateText(cfg.Limits.MaxRPS), budget(list, cfg))
	if len(cfg.Target.Headers) > 0 {
		fmt.Fprintln(w, "  every request also carries (target.headers):")
		printHeaders(w, "        > ", reports.BoundedHeaders(redactor, targetHeaders(cfg)))
	}
	base := cfg.Target.BaseURL
	for _, c := range list.All() {
		if missing := c.MissingFixtures(cfg); len(missing) > 0 {
			fmt.Fprintf(w, "  SKIP  %-56s fixture not configured: fixtures.%s\n", c.ID, strings.Join(missing, ", fixtures."))
			continue
		}
		r := c.Request(cfg)
		repeat := ""
		if c.Burst {
			repeat = fmt.Sprintf(" (repeated up to %d times)", cfg.Fixtures.RateLimitBurst)
		}
		fmt.Fprintf(w, "  SEND  %-56s %s %s%s\n", c.ID, r.Method, reports.Printable(redactor.String(config.JoinURL(base, r.Path))), repeat)
		printHeaders(w, "        > ", reports.BoundedHeaders(redactor, r.Header))
		if len(r.Body) > 0 {
			fmt.Fprintf(w, "        > body (%d bytes): %s\n", len(r.Body), reports.Printable(reports.RedactedExcerpt(redactor, r.Body, 160)))
		}
	}
	fmt.Fprintf(w, "\n%d requests at most would be sent.\n", budget(list, cfg))
}

// printHeaders prints headers one a line; names and values (a target's
// response headers among them) pass through reports.Printable.
func printHeaders(w io.Writer, prefix string, h map[string][]string) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range h[name] {
			fmt.Fprintf(w, "%s%s: %s\n", prefix, reports.Printable(name), reports.Printable(v))
		}
	}
}

// printExchanges prints what --verbose shows of a case: every request and
// response, redacted, with everything the target controls (URL, headers,
// body, transport errors quoting it) passed through reports.Printable, so
// that a body cannot retitle the terminal, clear it or print fake lines.
func printExchanges(w io.Writer, r suites.Result, redactor *redact.Redactor) {
	for i, ex := range r.Exchanges {
		if len(r.Exchanges) > 1 {
			fmt.Fprintf(w, "        exchange %d of %d\n", i+1, len(r.Exchanges))
		}
		fmt.Fprintf(w, "        > %s %s\n", reports.Printable(ex.Request.Method), reports.Printable(redactor.String(ex.URL)))
		printHeaders(w, "        > ", reports.BoundedHeaders(redactor, ex.Request.Header))
		if len(ex.Request.Body) > 0 {
			fmt.Fprintf(w, "        > %s\n", reports.Printable(reports.RedactedExcerpt(redactor, ex.Request.Body, 300)))
		}
		if ex.Response == nil {
			fmt.Fprintf(w, "        < no response: %s\n", reports.Printable(redactor.String(ex.Err)))
			continue
		}
		fmt.Fprintf(w, "        < %d (%s)\n", ex.Response.Status, ex.Duration.Round(time.Microsecond))
		printHeaders(w, "        < ", reports.BoundedHeaders(redactor, ex.Response.Header))
		fmt.Fprintf(w, "        < %s\n", reports.Printable(reports.RedactedBodyExcerpt(redactor, ex.Response, 300)))
	}
}

func rateText(rps float64) string {
	if rps <= 0 {
		return "no rate cap"
	}
	return fmt.Sprintf("at most %g requests/s", rps)
}

var verdictWords = map[check.Verdict]string{
	check.Passed: "PASS", check.Failed: "FAIL", check.Warned: "WARN", check.Skipped: "SKIP", check.Errored: "ERR ", check.Waived: "WAIV",
}

// printCaseLine prints a case's one line, after counter ([n/N]) when
// there is one. Findings quote the target, so the summary and reason pass
// through reports.Printable.
func printCaseLine(w io.Writer, counter string, r suites.Result) {
	if counter != "" {
		counter += " "
	}
	line := fmt.Sprintf("  %s%s  %-56s %8.1fms", counter, verdictWords[r.Verdict], r.Case.ID, float64(r.Duration.Microseconds())/1000)
	if r.Verdict != check.Passed || r.Reason != "" {
		line += "  " + reports.Printable(r.Summary())
		if r.Reason != "" && r.Reason != r.Summary() {
			line += "  [" + reports.Printable(r.Reason) + "]"
		}
	}
	fmt.Fprintln(w, line)
}

// Bounds on the failure groups the terminal summary shows; every report
// has them all.
const (
	maxGroupsShown     = 10
	groupHeadlineBytes = reports.GroupHeadlineBytes
)

// printGroups ends the summary with the failed and errored cases grouped
// by cause, largest group first: each group's size, its headline finding
// and one case to start from.
func printGroups(w io.Writer, groups []reports.Group) {
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFailures by cause (%d), largest first:\n", len(groups))
	for i, g := range groups {
		if i == maxGroupsShown {
			fmt.Fprintf(w, "  ... and %d more causes: the HTML and JSON reports list every one\n", len(groups)-maxGroupsShown)
			break
		}
		cases := "cases"
		if g.Count == 1 {
			cases = "case "
		}
		fmt.Fprintf(w, "  %4d %s  %s\n        e.g. %s\n", g.Count, cases,
			reports.Excerpt([]byte(reports.Printable(g.Headline)), groupHeadlineBytes), reports.Printable(g.Example))
	}
}

// runExitCode is a run's exit code: 3 when the target was not testable,
// at least 1 when it broke during the run, else exitCode's.
func runExitCode(summary reports.Summary, run reports.Run) int {
	switch code := exitCode(summary, unreachable(run.Results)); {
	case run.NotTestable != nil:
		return ExitUnreachable
	case run.TargetBroke != nil && code == ExitOK:
		return ExitFailed
	default:
		return code
	}
}

// printProblems prints what the controls found of the target as a whole
// (not testable, or broke during the run) as the summary's first line.
func printProblems(w io.Writer, run reports.Run) {
	if p := run.NotTestable; p != nil {
		fmt.Fprintf(w, "\nNOT TESTABLE (%s): %s; no case was judged (exit %d)\n", p.Cause, reports.Printable(run.Redactor.String(p.Reason)), ExitUnreachable)
	}
	if p := run.TargetBroke; p != nil {
		fmt.Fprintf(w, "\nTARGET BROKE DURING THE RUN (%s): %s\n", p.Cause, reports.Printable(run.Redactor.String(p.Reason)))
	}
}

// exitCode: 3 when every case that ran found the target unreachable, 1 on
// any failure or errored case, else 0.
func exitCode(s reports.Summary, unreachable int) int {
	switch {
	case unreachable > 0 && unreachable == s.Total-s.Skipped:
		return ExitUnreachable
	case s.Failed > 0 || s.Errored > 0:
		return ExitFailed
	}
	return ExitOK
}

// caseLines prints a run's case lines: numbered over every target
// (progress), prefixed with the target's name in a fleet, with each
// exchange under --verbose; none under --quiet.
type caseLines struct {
	mu       sync.Mutex
	w        io.Writer
	progress *progress
	// named prefixes each line with its target's name.
	named, quiet, verbose bool
}

// print prints r's line (and, under --verbose, its exchanges).
func (l *caseLines) print(t *targetRun, r suites.Result) {
	if l == nil || l.quiet {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.named {
		printFleetCaseLine(l.w, t.name(), l.progress.tick(), r)
	} else {
		l.progress.line(l.w, r)
	}
	if l.verbose {
		printExchanges(l.w, r, t.redactor)
	}
}

// printf prints a line of the run's, unless quiet.
func (l *caseLines) printf(format string, args ...any) {
	if l == nil || l.quiet {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}

// printFleetCaseLine is printCaseLine with the target's name.
func printFleetCaseLine(w io.Writer, name string, counter string, r suites.Result) {
	var b strings.Builder
	printCaseLine(&b, counter, r)
	line := strings.TrimPrefix(b.String(), "  ")
	fmt.Fprintf(w, "  [%s] %s", name, line)
}

// fleetTargetsText lists a fleet's targets for its first line.
func fleetTargetsText(plan []*targetRun) string {
	var parts []string
	for _, t := range plan {
		where := config.WithoutUserinfo(t.res.cfg.Target.BaseURL)
		if t.res.embedded {
			where = "embedded reference"
		}
		parts = append(parts, fmt.Sprintf("%s (%s, contract %s, %d cases)", t.name(), where, t.res.contract.Label(), t.list.Len()))
	}
	return strings.Join(parts, "; ")
}
