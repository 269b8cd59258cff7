package runner

// The definitions of the smaller commands: list, contract, serve, config,
// diff, schema, version and docs. run's is in cli_run.go; explore's, monitor's
// and merge's are beside their work (explore.go, monitor.go, merge.go).

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
)

func (a App) listCmd() *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the case catalogue under a contract, its situations, the rules, or the explore variants",
		Long: `list prints the case catalogue under a contract (--contract; the default
contract otherwise): every case's ID, expected status, type, code and param,
the fixtures it needs and its title, or why the contract does not cover it,
then how many cases cover each status and code of the contract. With --rules
it prints the rules that apply under the contract; with --situations, the
catalogue's situations (what a contract names) and what the contract says of
each.

--format markdown is what docs/<contract>/cases.md (and, with --rules,
docs/<contract>/rules.md) hold. The labels it shows are what run
--label-filter selects on.

With --explore it counts the explore variants of the core set (errconform
explore --help) per field and constraint; --format json lists every one, with
its labels (field:, constraint:, stream).

With --routes it lists the routes the catalogue sends to under the contract:
each route's operation, request body and schema (the contract's own, or
OpenAI's published one by operationId), and how many cases and explore
variants it has. A contract's paths say which routes it has; the cases of a
route beyond chat completions, models and files are generated from its
request schema. The case list ends with the cases per route.`,
		Example: `  errconform list
  errconform list --contract openrouter
  errconform list --format json | jq '.[].id'
  errconform list --rules
  errconform list --situations --contract my-contract.yaml
  errconform list --explore
  errconform list --explore --format json | jq -r '.[].id'
  errconform list --routes --contract testdata/contracts/all-routes.yaml`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ranErr(func(*cobra.Command, []string) error {
			return a.list(o)
		}),
	}
	cmd.Flags().StringVar(&o.format, "format", "text", "output `FORMAT`: text, json or markdown")
	cmd.Flags().StringVar(&o.contract, "contract", "", "the `CONTRACT`: a built-in name ("+strings.Join(spec.BuiltinNames(), ", ")+") or a contract file's path (./name, or ending in .yaml; default "+spec.DefaultContract+")")
	cmd.Flags().BoolVar(&o.rules, "rules", false, "list the rules instead of the cases")
	cmd.Flags().BoolVar(&o.situations, "situations", false, "list the situations and the contract's outcome for each instead of the cases")
	cmd.Flags().BoolVar(&o.explore, "explore", false, "count the explore variants of the core set per field and constraint instead (--format json lists them)")
	cmd.Flags().BoolVar(&o.routes, "routes", false, "list the routes instead: each route's operation, request schema, case and explore variant counts")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"text", "json", "markdown"}, cobra.ShellCompDirectiveNoFileComp
	})
	completeContract(cmd)
	return cmd
}

// contractCmd is "errconform contract check FILE" and "contract show".
func (a App) contractCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contract",
		Short: "Check a contract file, show the contract in use, or write one from a target's routes",
		Long: `contract holds the commands that work with error contracts. A contract is
data: an OpenAPI 3 document with errconform's x-errconform-contract extension
(the error schema, statuses and their types, codes and their statuses, each
situation's outcome, the rules' settings and the reference's error body).
Built in: ` + strings.Join(spec.BuiltinNames(), ", ") + `. The default is ` + spec.DefaultContract + `; any other is chosen
with --contract (ERRCONFORM_CONTRACT) or contract: in the config, by a
built-in name or a contract file's path.`,
		Example: `  errconform contract check my-contract.yaml
  errconform contract show --contract openrouter
  errconform contract init --from-target https://api.example.com/v1 --out example.yaml`,
	}
	cmd.Args, cmd.RunE = needsCommand("contract", "check, show, init",
		"errconform contract check FILE, errconform contract show, or errconform contract init --from-target URL")
	check := &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a contract file; send nothing; say what it covers",
		Long: `check loads a contract file as run --contract FILE would: the OpenAPI document
must be valid, its x-errconform-contract complete and consistent (each code
with a status of the table, each situation's status in the table), and every
situation it names one of the catalogue's (errconform list --situations). A bad
contract exits 2 naming the member at fault. A good one prints what it
covers: its statuses and codes, and how many cases run under it.`,
		Example: `  errconform contract check my-contract.yaml`,
		Args:    exactArgs(1, "one contract file (errconform contract check FILE)"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: ranErr(func(_ *cobra.Command, args []string) error {
			return a.contractCheck(args[0])
		}),
	}
	var so runOptions
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the contract in use, as the document it was read from",
		Long: `show prints the contract run would use, found as run finds it: --contract (or
ERRCONFORM_CONTRACT), else contract: in the config file (--config,
ERRCONFORM_CONFIG, or errconform.yaml or .errconform.yaml in the working
directory), else the default (` + spec.DefaultContract + `). It prints the OpenAPI document the
contract was read from, after one comment line naming it and where the choice
came from.`,
		Example: `  errconform contract show
  errconform contract show --config errconform.yaml
  errconform contract show --contract openrouter > openrouter.yaml`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ranErr(func(cmd *cobra.Command, _ []string) error {
			return a.contractShow(cmd.Flags(), &so)
		}),
	}
	show.Flags().SortFlags = false
	show.Flags().StringVar(&so.contract, "contract", "", "the `CONTRACT`: a built-in name ("+strings.Join(spec.BuiltinNames(), ", ")+") or a contract file's path (./name, or ending in .yaml; overrides contract: in the config; default "+spec.DefaultContract+")")
	show.Flags().StringVar(&so.configFile, "config", "", "read contract: from the config `FILE` (YAML); default: errconform.yaml or .errconform.yaml in the working directory or the nearest parent up to the repository root, if present")
	bindEnv(show.Flags())
	_ = show.MarkFlagFilename("config", "yaml", "yml")
	completeContract(show)
	cmd.AddCommand(check, show, a.contractInitCmd())
	return cmd
}

func (a App) serveCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run the reference target as a standalone server",
		Long: `serve runs the embedded reference, a target that keeps the contract with
every fixture built in, as a standalone server until it is interrupted
(Ctrl-C, SIGTERM). It answers every situation as the contract (--contract)
says. --config-out writes a config file pointing at it, every fixture filled
in (the file holds the reference's keys).`,
		Example: `  errconform serve --addr 127.0.0.1:8080 --config-out ref.yaml &
  errconform run --config ref.yaml
  errconform serve --contract openrouter --config-out ref.yaml &
  errconform run --config ref.yaml --contract openrouter`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ranErr(func(*cobra.Command, []string) error {
			return a.serve(o)
		}),
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "`ADDRESS` to listen on")
	fs.StringVar(&o.contract, "contract", "", "answer as this `CONTRACT` says: a built-in name ("+strings.Join(spec.BuiltinNames(), ", ")+") or a contract file's path (./name, or ending in .yaml; default "+spec.DefaultContract+")")
	fs.StringVar(&o.configOut, "config-out", "", "write a config `FILE` pointing at this server, fixtures filled in")
	fs.DurationVar(&o.gateway, "gateway-timeout", EmbeddedGatewayTimeout, "how long the slow model's requests wait before the 504")
	fs.DurationVar(&o.latency, "latency", 0, "fixed delay added to every response")
	_ = cmd.MarkFlagFilename("config-out", "yaml", "yml")
	completeContract(cmd)
	return cmd
}

func (a App) configCmd() *cobra.Command {
	var explain bool
	cmd := &cobra.Command{
		Use:     "config",
		Short:   "Work with config files",
		Long:    "config holds the commands that work with errconform's config file (YAML).",
		Example: `  errconform config check errconform.yaml`,
	}
	cmd.Args, cmd.RunE = needsCommand("config", "check", "errconform config check FILE")
	check := &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a config file; send nothing; list the enabled and skipped cases",
		Long: `check validates a config file as run --config FILE would, without sending
anything: unknown keys, unset ${VAR}s, bad URLs and durations, unreadable CA
files each exit 2 naming the file and the field. Every environment variable run
reads (ERRCONFORM_TARGET, ERRCONFORM_API_KEY, ERRCONFORM_MAX_RPS,
ERRCONFORM_TIMEOUT, ...) applies as it does for run, and whatever run would
refuse before sending anything, check refuses too; only the report paths
(ERRCONFORM_JUNIT, ...) are left for run to check. It then lists the
environment variables the file reads with ${VAR} (names and the fields they go
into, never values; redacted from every output unless public_env lists them),
how many cases the config enables and, per missing fixture, the cases that
would be skipped.`,
		Example: `  errconform config check errconform.yaml
  ERRCONFORM_API_KEY=sk-... errconform config check examples/errconform.yaml
  ERRCONFORM_MAX_RPS=2 errconform config check --explain errconform.yaml`,
		Args: exactArgs(1, "one config file (errconform config check FILE)"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: ranErr(func(_ *cobra.Command, args []string) error {
			return a.configCheck(args[0], explain)
		}),
	}
	check.Flags().BoolVar(&explain, "explain", false, "also print every resolved value and where it came from (FILE:field, $VARIABLE, --flag, the contract, default); secrets print as [REDACTED] or set (from $VAR)")
	cmd.AddCommand(check)
	return cmd
}

func (a App) diffCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two JSON reports: regressions, fixes, changed findings",
		Long: `diff compares two JSON reports (errconform run --json), release to release:
regressions, fixes, changed findings, and cases new or removed, and the
contract each was judged by. It reads reports of schema version 1 (before
contracts were data), 2 and 3 (a fleet's, or a merge's: cases are compared
within each target, named "<target>: <case ID>"). It exits 1 when a case regressed, 0 otherwise,
and 2 when either file is not a valid errconform JSON report.`,
		Example: `  errconform diff last-release.json errconform.json
  errconform diff last-release.json errconform.json --json`,
		Args: exactArgs(2, "two JSON reports (errconform diff OLD.json NEW.json)"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) >= 2 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return []cobra.Completion{"json"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: ran(func(_ *cobra.Command, args []string) (int, error) {
			return a.diff(args[0], args[1], asJSON)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the diff as JSON")
	return cmd
}

func (a App) schemaCmd() *cobra.Command {
	var configSchema bool
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON report's JSON Schema, or the config file's (--config)",
		Long: `schema prints the JSON Schema of the report run --json writes
(spec/report.schema.json), for dashboards that read it. With --config it
prints the JSON Schema (draft 2020-12) of the config file instead, derived
from the config's own types: every key errconform knows and none other, for
editors that validate and complete YAML (yaml-language-server: put
"# yaml-language-server: $schema=errconform.schema.json" on the first line).`,
		Example: `  errconform schema > report.schema.json
  errconform schema --config > errconform.schema.json`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ranErr(func(*cobra.Command, []string) error {
			if !configSchema {
				_, err := a.Stdout.Write(spec.ReportSchema())
				return err
			}
			doc, err := config.Schema()
			if err != nil {
				return fmt.Errorf("config schema: %w", err)
			}
			_, err = fmt.Fprintf(a.Stdout, "%s\n", doc)
			return err
		}),
	}
	cmd.Flags().BoolVar(&configSchema, "config", false, "print the config file's JSON Schema instead of the report's")
	return cmd
}

func (a App) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the tool version, the contract version and the build commit",
		Long: `version prints errconform's version, the version of the contract it judges
against and the commit it was built from. The version is the one the run's
first line and every report carry: the one a release build injected, else the
module version of a go install …@vX.Y.Z, else the development default.`,
		Example:           `  errconform version`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ranErr(func(*cobra.Command, []string) error {
			return a.version()
		}),
	}
}

// docsCmd writes the generated docs: docs/cli.md to standard output, or
// with --dir every generated file (cli.md and, per built-in contract,
// <contract>/cases.md and <contract>/rules.md). Hidden; a test checks them.
func (a App) docsCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "docs",
		Short:  "Write the generated docs (docs/cli.md, and per contract its cases and rules)",
		Hidden: true,
		Args:   noArgs,
		RunE: ranErr(func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return writeCLIMarkdown(a.Stdout, cmd.Root())
			}
			return writeDocs(dir, cmd.Root())
		}),
	}
	cmd.Flags().StringVar(&dir, "dir", "", "write every generated doc under `DIR`")
	return cmd
}

// needsCommand is the Args and RunE of a command that only groups others
// (contract, config): an unknown word names the commands there are, and
// the command alone says how to use them (exit 2).
func needsCommand(name, commands, usage string) (cobra.PositionalArgs, func(*cobra.Command, []string) error) {
	args := func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("unknown command %q for %s (commands: %s)", args[0], name, commands)
		}
		return nil
	}
	return args, ran(func(*cobra.Command, []string) (int, error) {
		return ExitUsage, usagef("%s needs a command: %s", name, usage)
	})
}
