package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/errconform/errconform/reports"
)

const mergeLong = `merge combines the JSON reports of the shards of one sharded run (run
--shard I/N --json shard-I.json, for I from 0 to N-1) into the reports that
one unsharded run would have written: every target's cases in the run's
order, a positive control (which runs in every shard of its target) once,
its summary and its failure groups computed anew. Each report flag writes
that format of the merged run, as run's do (- for standard output).

merge refuses (exit 2, naming the reason) a report that is not a shard's, a
shard given twice, shards that overlap, shards missing from the N the
reports name, and shards written by different errconform versions or
judging a target against different contracts. It trusts no stated verdict:
every case's verdict is decided anew from its findings, its waiver and the
run's settings by the run's own verdict function, and a shard stating
another (a failure turned into a pass, a waiver beyond waivers_max_days)
is refused, naming the shard file and the case.

It exits as the unsharded run would have: 0 when every MUST held, 1 when a
case failed or errored, a target broke during the run, or a target judged no
case beyond its positive controls, and 3 when a target was not testable
(unreachable, or its positive controls refused).`

const mergeExample = `  errconform merge shard-0.json shard-1.json shard-2.json shard-3.json \
    --json errconform.json --junit junit.xml --html report.html --markdown "$GITHUB_STEP_SUMMARY"`

// mergeOptions are merge's flags.
type mergeOptions struct {
	// reports maps each report format's flag to its path.
	reports              map[string]string
	metrics, pushgateway string
}

func (a App) mergeCmd() *cobra.Command {
	var o mergeOptions
	cmd := &cobra.Command{
		Use:     "merge SHARD.json... [flags]",
		Short:   "Combine the JSON reports of a sharded run's shards into the unsharded run's reports",
		Long:    mergeLong,
		Example: mergeExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%s takes the shards' JSON reports (errconform merge SHARD.json...)", subPath(cmd))
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"json"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: ran(func(_ *cobra.Command, args []string) (int, error) {
			return a.merge(args, o)
		}),
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	o.reports = registerReportFlags(fs, true)
	fs.StringVar(&o.metrics, "metrics", "", "write the merged run's Prometheus metrics to `FILE` (text format, a name ending in .prom)")
	fs.StringVar(&o.pushgateway, "pushgateway", "", "push the merged run's Prometheus metrics to the Pushgateway at `URL`, grouped by target and contract")
	bindEnv(fs)
	for _, name := range append(reportFlagNames(), "metrics") {
		_ = cmd.MarkFlagFilename(name)
	}
	return cmd
}

// merge is errconform merge.
func (a App) merge(paths []string, o mergeOptions) (int, error) {
	ro := runOptions{reports: o.reports, metrics: o.metrics, pushgateway: o.pushgateway}
	toStdout, err := stdoutReport(ro)
	if err != nil {
		return ExitUsage, err
	}
	if err := checkOutputPaths(ro); err != nil {
		return ExitUsage, err
	}
	shards := make([]reports.JSONReport, len(paths))
	for i, p := range paths {
		if shards[i], err = reports.ReadJSON(p); err != nil {
			return ExitUsage, usageError{err}
		}
	}
	merged, err := reports.Merge(shards, paths)
	if err != nil {
		return ExitUsage, usageError{err}
	}
	stdout := a.Stdout
	if toStdout != "" {
		a.Stdout = a.Stderr
	}
	if err := writeFormats(ro.reportPaths(), reports.Formats(), reports.Input{Report: merged}, stdout); err != nil {
		return ExitFailed, err
	}
	var runs []metricsRun
	for _, t := range merged.Targets {
		runs = append(runs, metricsRun{name: t.Name, report: merged.TargetAsReport(t)})
	}
	if err := a.exportMetrics(context.Background(), ro, runs); err != nil {
		return ExitFailed, err
	}
	s := merged.Summary
	fmt.Fprintf(a.Stdout, "errconform merge: %d shards, %d targets (%s), %d cases, %s: %d passed, %d failed, %d warned, %d skipped, %d errored\n",
		len(paths), len(merged.Targets), targetNames(merged), s.Total, s.JudgedText(), s.Passed, s.Failed, s.Warned, s.Skipped, s.Errored)
	for _, t := range merged.Targets {
		if t.Summary.NothingJudged() {
			fmt.Fprintf(a.Stderr, "errconform merge: target %s: %s\n", t.Name, t.Summary.NothingJudgedText())
		}
	}
	printWaived(a.Stdout, merged.WaivedFailures())
	code := fleetExitCode(merged)
	printLastLine(a.Stdout, s, false, code, merged.Targets...)
	return code, nil
}

// targetNames lists a fleet report's targets.
func targetNames(rep reports.JSONReport) string {
	names := make([]string, len(rep.Targets))
	for i, t := range rep.Targets {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

// fleetExitCode is the exit code a fleet's report means, as runFleet
// decides it: the worst over the targets (0 < 1 < 3), where a target that
// was not testable (rejected or unreachable) is 3 and one that broke
// during the run at least 1.
func fleetExitCode(rep reports.JSONReport) int {
	code := ExitOK
	for _, t := range rep.Targets {
		c := ExitOK
		switch {
		case t.Outcome == reports.OutcomeUnreachable || t.Outcome == reports.OutcomeRejected:
			c = ExitUnreachable
		case t.Summary.Failed > 0 || t.Summary.Errored > 0 || t.TargetBroke != nil || t.Summary.NothingJudged():
			// A target whose merged cases judged nothing beyond the
			// positive controls tested nothing: not green.
			c = ExitFailed
		}
		c = gateCode(c, t) // --fail-on new: inherited failures pass
		if fleetRank(c) > fleetRank(code) {
			code = c
		}
	}
	return code
}
