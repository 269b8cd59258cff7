package runner

import (
	"fmt"
	"io"
	"maps"
	"sort"
	"time"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// What keeps a gate from being made green by a file in a pull request:
// every run says how much it judged of what it selected (first and last
// line), a run that judged nothing beyond its positive controls is not
// green, a partial run (--rerun-failed) says so first, and every waiver
// beyond the default lifetime, and every waived failure, is printed.

// reportSettings are the settings a run's reports record.
func reportSettings(name string, o runOptions, cfg config.Config, waivers map[string]config.Waiver) reports.Settings {
	s := reports.Settings{Name: name, Model: suites.ModelOf(cfg), Strict: cfg.Strict, Require: cfg.Require, LabelFilter: o.labelFilter,
		WaiversMaxDays: cfg.WaiversMaxDaysOrDefault(), Partial: partialText(o), Tags: maps.Clone(cfg.Tags)} // redacted as the reports are built
	for _, w := range sortedWaivers(waivers) {
		s.Waivers = append(s.Waivers, reports.WaiverInfo{Case: w.Case, Reason: w.Reason, Expires: w.Expires})
	}
	return s
}

// sortedWaivers lists the waivers by case ID.
func sortedWaivers(waivers map[string]config.Waiver) []config.Waiver {
	out := make([]config.Waiver, 0, len(waivers))
	for _, w := range waivers {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Case < out[j].Case })
	return out
}

// partialText says why a run is partial (--rerun-failed), or "".
func partialText(o runOptions) string {
	if o.rerunFailed == "" {
		return ""
	}
	return fmt.Sprintf("--rerun-failed %s: only that report's failed and errored cases (and the positive controls) run; not a gate: the gate runs the full suite",
		reports.Printable(o.rerunFailed))
}

// printPartial prints a partial run's first line.
func printPartial(w io.Writer, o runOptions) {
	if p := partialText(o); p != "" {
		fmt.Fprintf(w, "errconform: PARTIAL RUN: %s\n", p)
	}
}

// printLongWaivers prints, loudly, every waiver that runs beyond the
// default lifetime (allowed only by waivers_max_days in the config).
func printLongWaivers(w io.Writer, target string, waivers map[string]config.Waiver, maxDays int, now time.Time) {
	for _, wv := range sortedWaivers(waivers) {
		if wv.WithinDays(now, config.DefaultWaiversMaxDays) {
			continue
		}
		prefix := ""
		if target != "" {
			prefix = "target " + target + ": "
		}
		fmt.Fprintf(w, "errconform: WARNING: %swaiver for %s expires %s, %d days from today: beyond the %d-day default, allowed only by waivers_max_days: %d (%s)\n",
			prefix, reports.Printable(wv.Case), reports.Printable(wv.Expires), wv.DaysLeft(now.UTC()), config.DefaultWaiversMaxDays, maxDays, reports.Printable(wv.Reason))
	}
}

// printWaived lists every waived failure after the summary.
func printWaived(w io.Writer, waived []reports.WaivedFailure) {
	if len(waived) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWaived failures (%d): each fails again from its waiver's expiry date\n", len(waived))
	for _, wf := range waived {
		fmt.Fprintf(w, "  WAIV  %s\n", reports.Printable(wf.String()))
	}
}

// notGreen is the exit code when a run judged nothing beyond its positive
// controls: 1, said on standard error.
func notGreen(w io.Writer, code int, s reports.Summary) int {
	if code != ExitOK || !s.NothingJudged() {
		return code
	}
	fmt.Fprintf(w, "errconform: %s: exiting 1\n", s.NothingJudgedText())
	return ExitFailed
}

// printLastLine is the run's last line: how much it judged, its exit
// code, and what made the exit code kinder than the verdicts: a partial
// run, and failed cases that --fail-on new let pass because the baseline
// (a report that may come from a pull request) fails them the same way.
func printLastLine(w io.Writer, s reports.Summary, partial bool, code int, targets ...reports.TargetReport) {
	note := ""
	if partial {
		note = " (PARTIAL RUN: --rerun-failed)"
	}
	inherited := 0
	for _, t := range targets {
		if t.Baseline != nil && t.Baseline.FailOn == check.FailOnNew {
			inherited += t.Baseline.Summary.Cases[check.Inherited]
		}
	}
	if inherited > 0 {
		note += fmt.Sprintf(" (--fail-on new: %d failed case(s) inherited from the baseline do not fail the gate)", inherited)
	}
	fmt.Fprintf(w, "errconform: %s cases%s: exit %d\n", s.JudgedText(), note, code)
}

// judgeable counts the selected cases the run would send and judge.
func judgeable(l caseList, cfg config.Config) int {
	n := 0
	for _, c := range l.All() {
		if c.Judgeable(cfg) {
			n++
		}
	}
	return n
}
