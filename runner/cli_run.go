package runner

// The run command: its help text, examples and definition.

import (
	"github.com/spf13/cobra"

	"github.com/errconform/errconform/suites"
)

const runLong = `run sends every selected case to the target and judges the answers.

The target is always named: --target URL (the API's base URL, ending in /v1),
ERRCONFORM_TARGET, or target.base_url in the config file; --target reference
runs against the embedded reference. Nothing named exits 2 and sends nothing.
Without --config, errconform.yaml (or .errconform.yaml) is looked for in the
working directory, then in each parent up to the repository's root (the
directory holding .git); a file found so is named on standard error (with
--quiet too), and the run's first line says which config file it used. The
API key comes from ERRCONFORM_API_KEY or auth.api_key.

Selecting cases: --label-filter (a Ginkgo label expression), --case (a case ID
or a path.Match glob, where * does not cross /: 'auth/*/chat'; repeatable) and
--rerun-failed (the failed and errored cases of an earlier JSON report)
combine: a case runs when it passes every one given. The positive controls
(control/...) always run. A --case matching no case ID, a selection left
empty, or a report that is not a valid errconform JSON report exits 2 before
anything is sent. --rerun-failed is a partial run, for local triage: its first
and last lines say so, and so does every report; a gate runs the full suite.
A --rerun-failed report without a failed or errored case says so and exits 2:
nothing is sent, no report is written, and a re-run of nothing is never green.

Every run's first line says how many of the selected cases it can judge, and
its last line how many it judged ("judged N of M selected"); a run that
judged no case beyond the positive controls (a contract covering none of the
selected cases, every case skipped) exits 1.

Reports: --junit, --json, --html, --markdown and --ctrf each take a path; -
writes that report to standard output (one report at most: ./- is a file
named -), and the terminal lines then go to standard error. The terminal
summary ends with the failures grouped by cause, largest group first.

Fleets: a config with a targets: list runs every target concurrently, each
with its own rate cap, request budget, in-flight bound and preflight, into one
report per format (JSON schema version 3); --target-filter chooses among them.
--shard I/N runs a deterministic slice of the (target, case) pairs; errconform
merge combines the shards' JSON reports. A fleet's exit code is the worst of
its targets' (0 < 1 < 3); a target that is not testable (its key or model
rejected, a wrong path, no connection, ...) has its cases errored (3).

Each flag can also be set by the environment variable named in its help; a
flag wins over its variable, which wins over the config file.`

const runExample = `  # every case against the embedded reference
  errconform run --target reference

  # a staging gateway, with reports for CI
  export ERRCONFORM_API_KEY=sk-...
  errconform run --target https://staging.example.com/v1 --junit junit.xml --json errconform.json --html report.html

  # only the 401 cases, and not the slow ones
  errconform run --config errconform.yaml --label-filter 'status:401 && !slow'

  # one case, and the stream twin of every request case
  errconform run --config errconform.yaml --case auth/unknown-key/chat --case 'request/*/stream'

  # re-run only what failed last time
  errconform run --config errconform.yaml --rerun-failed errconform.json --json rerun.json

  # the JSON report on standard output, the progress on standard error
  errconform run --target reference --json - | jq .summary`

func (a App) runCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:               "run [flags]",
		Short:             "Run the cases against a target and judge the answers",
		Long:              runLong,
		Example:           runExample,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ran(func(cmd *cobra.Command, _ []string) (int, error) {
			return a.run(cmd.Flags(), &o)
		}),
	}
	addRunFlags(cmd.Flags(), &o)
	completeRunFlags(cmd, func() []suites.Case {
		if !o.explore {
			return suites.Catalogue()
		}
		return append(suites.Catalogue(), defaultVariants()...)
	})
	return cmd
}
