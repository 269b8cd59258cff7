package runner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// The command tree. Each command's RunE goes through ran, so that an
// error from the command's own work is told apart from a command-line
// mistake cobra found (exit 2, with a hint to the command's --help).

const rootLong = `errconform proves that a running OpenAI-compatible inference API keeps its
published error contract. The default contract (aiand) is the provider's
"Error Codes" page: every error is {"error":{"message","type","param","code"}},
each HTTP status carries its contract type, and each error code comes only
with its own status. Contracts are data: OpenRouter's (a numeric code equal
to the status, no type) is built in too, and any provider's is one file
(--contract FILE; errconform contract --help). errconform fires crafted bad
requests at a target, judges every response rule by rule against the
contract, and writes JUnit, JSON, HTML, Markdown and CTRF reports; explore
breaks every field of the request schema one constraint at a time.

Every flag of run can also be set by its environment variable: ERRCONFORM_
and the flag's name in capitals with _ for - (--max-rps is ERRCONFORM_MAX_RPS).
A flag wins over its variable, which wins over the config file. The API key
comes only from ERRCONFORM_API_KEY or auth.api_key, never a flag.
errconform prints no colour codes (NO_COLOR is always honoured).

Exit codes:
  0    every MUST rule held (warnings and waived failures may have been
       printed) and some case beyond the positive controls was judged
  1    a case failed, errconform could not complete a case (errored), the
       target broke during the run, no case beyond the positive controls
       was judged (nothing was tested), the run's --deadline passed, or a
       report or the metrics could not be written or pushed
  2    usage or configuration error (a waiver beyond its lifetime, a
       --rerun-failed report with nothing to re-run), found before anything
       is sent: no request was sent
  3    the target is not testable: unreachable, or its positive controls
       were sent and cannot pass (wrong path, scheme, TLS, key, model,
       routing headers); no other case was sent or judged, every case is
       errored with the one cause
  130  interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: the reports were
       written with every case, the unfinished ones errored`

const rootExample = `  errconform run --target reference
  errconform run --target https://staging.example.com/v1 --junit junit.xml --json errconform.json
  errconform run --config errconform.yaml --rerun-failed errconform.json
  errconform diff old.json new.json
  errconform help run`

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

// envAnnotation marks a flag that its environment variable can set.
const envAnnotation = "errconform_env"

// bindEnv gives every flag of fs its environment variable: named in the
// flag's help and set by applyEnv.
func bindEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if commandLineOnly(f.Name) {
			if f.Name != "help" {
				f.Usage += " (command line only: no variable sets it)"
			}
			return
		}
		name := EnvName(f.Name)
		f.Usage += envSuffix(name)
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[envAnnotation] = []string{name}
	})
}

// addRunFlags declares run's flags on fs, in the order its help lists
// them, each bound to its environment variable.
func addRunFlags(fs *pflag.FlagSet, o *runOptions) {
	fs.SortFlags = false
	o.register(fs)
	bindEnv(fs)
}

// runFlags is a flag set of run's own, outside the command tree, with
// nothing set on its command line: config check resolves its FILE through
// it, exactly as run resolves its flags.
func runFlags(o *runOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	addRunFlags(fs, o)
	return fs
}

// commandLineOnly are the flags no environment variable sets: each narrows
// or empties a run (a dry run sends nothing), and a variable left over in a
// CI job would quietly turn a gate green without testing the target.
func commandLineOnly(flag string) bool {
	switch flag {
	case "dry-run", "rerun-failed", "case", "help":
		return true
	}
	return false
}

func envSuffix(variable string) string { return " (env " + variable + ")" }

// envOf is the environment variable that sets f, or "".
func envOf(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) == 1 {
		return v[0]
	}
	return ""
}

// ran adapts a command's work, which returns an exit code and an error,
// to cobra.
func ran(f func(cmd *cobra.Command, args []string) (int, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		code, err := f(cmd, args)
		if err == nil && code == ExitOK {
			return nil
		}
		return ranError{code: code, err: err}
	}
}

// ranErr adapts a command whose only outcome is an error.
func ranErr(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return ran(func(cmd *cobra.Command, args []string) (int, error) { return ExitOK, f(cmd, args) })
}

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", subPath(cmd), args[0])
	}
	return nil
}

// subPath is a command's path without the root's name: errors are
// prefixed with it already.
func subPath(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return cmd.Name()
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// exactArgs wants n positional arguments, saying what they are otherwise.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %s, got %d argument(s)", subPath(cmd), what, len(args))
		}
		return nil
	}
}

func (a App) newRoot(args []string) *cobra.Command {
	cobra.EnableCommandSorting = false // help lists the commands in the order added
	var showVersion bool
	root := &cobra.Command{
		Use:           "errconform",
		Short:         "Prove that an OpenAI-compatible API keeps its published error contract",
		Long:          rootLong,
		Example:       rootExample,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return unknownCommand(cmd, args[0])
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ran(func(cmd *cobra.Command, _ []string) (int, error) {
			if showVersion {
				return ExitOK, a.version()
			}
			// No command: the overview, on standard error, and exit 2.
			cmd.SetOut(a.Stderr)
			_ = cmd.Help()
			return ExitUsage, nil
		}),
	}
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(flagError(args))
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.Flags().BoolVar(&showVersion, "version", false, "print the version, as errconform version does")
	root.AddCommand(a.runCmd(), a.exploreCmd(), a.monitorCmd(), a.listCmd(), a.serveCmd(), a.configCmd(), a.contractCmd(), a.diffCmd(), a.mergeCmd(), a.schemaCmd(), a.versionCmd(), a.docsCmd())
	root.SetHelpCommand(a.helpCmd())
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = "  source <(errconform completion bash)\n  errconform completion zsh > \"${fpath[1]}/_errconform\"\n  errconform completion fish > ~/.config/fish/completions/errconform.fish"
			c.RunE = ran(func(*cobra.Command, []string) (int, error) {
				return ExitUsage, usagef("completion needs a shell: errconform completion bash|zsh|fish|powershell")
			})
		}
	}
	return root
}

// unknownCommand is the error for a first argument that names no
// command, suggesting the nearest ones (errconform rn: did you mean run?).
func unknownCommand(root *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q (commands: %s)", name, strings.Join(commandNames(root), ", "))
	if s := root.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	}
	return errors.New(msg)
}

// flagError is every command's answer to a flag cobra could not parse
// (args are the command line). On the root, whose only flag is
// --version, a first argument that is no command is the mistake
// (errconform rn --target …: an unknown command, not an unknown flag);
// elsewhere an unknown flag gets the command's nearest flags as
// suggestions.
func flagError(args []string) func(*cobra.Command, error) error {
	return func(cmd *cobra.Command, err error) error {
		if !cmd.HasParent() && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			return unknownCommand(cmd, args[0])
		}
		var missing *pflag.NotExistError
		if !errors.As(err, &missing) {
			return err
		}
		if s := suggestFlags(cmd, missing.GetSpecifiedName()); len(s) > 0 {
			return fmt.Errorf("%w; did you mean %s?", err, strings.Join(s, " or "))
		}
		return err
	}
}

// suggestFlags lists the flags of cmd whose names are near name, by
// cobra's own measure for commands (Levenshtein distance at most
// SuggestionsMinimumDistance, or a prefix): a command is made per flag to
// ask it.
func suggestFlags(cmd *cobra.Command, name string) []string {
	if len(name) < 2 {
		return nil // a shorthand: -x is too short to be near anything
	}
	names := &cobra.Command{Use: "flags"}
	names.SuggestionsMinimumDistance = 2
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names.AddCommand(&cobra.Command{Use: f.Name, Run: func(*cobra.Command, []string) {}})
		}
	})
	var out []string
	for _, s := range names.SuggestionsFor(name) {
		out = append(out, "--"+s)
	}
	return out
}

// commandNames lists the visible commands.
func commandNames(root *cobra.Command) []string {
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			names = append(names, c.Name())
		}
	}
	return names
}

func (a App) helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "help prints a command's help: what it does, its flags (each with its environment variable) and examples.",
		Example: `  errconform help run
  errconform help config check`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: ran(func(c *cobra.Command, args []string) (int, error) {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return ExitUsage, usagef("no help for %q: the commands are %s", strings.Join(args, " "), strings.Join(commandNames(c.Root()), ", "))
			}
			cmd.InitDefaultHelpFlag()
			return ExitOK, cmd.Help()
		}),
	}
}

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

// completeRunFlags registers the completions of run's flags (which
// explore shares): file names, the target, the fixtures, and the case IDs
// of cases().
func completeRunFlags(cmd *cobra.Command, cases func() []suites.Case) {
	for _, name := range []string{"config", "waivers"} {
		_ = cmd.MarkFlagFilename(name, "yaml", "yml")
	}
	_ = cmd.MarkFlagFilename("rerun-failed", "json")
	_ = cmd.MarkFlagFilename("ca-cert", "pem", "crt")
	for _, name := range reportFlagNames() {
		_ = cmd.MarkFlagFilename(name)
	}
	_ = cmd.RegisterFlagCompletionFunc("target", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{cobra.CompletionWithDesc(config.ReferenceTarget, "the embedded reference")}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("case", func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, c := range cases() {
			if strings.HasPrefix(c.ID, prefix) {
				out = append(out, cobra.CompletionWithDesc(c.ID, c.Title))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("require", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return append([]cobra.Completion{"all"}, config.FixtureKeys()...), cobra.ShellCompDirectiveNoFileComp
	})
	completeContract(cmd)
}

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

// completeContract completes --contract with the built-in names (and
// files).
func completeContract(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("contract", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, name := range spec.BuiltinNames() {
			out = append(out, cobra.CompletionWithDesc(name, "built-in contract"))
		}
		return out, cobra.ShellCompDirectiveDefault
	})
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
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q for contract (commands: check, show, init)", args[0])
			}
			return nil
		},
		RunE: ran(func(*cobra.Command, []string) (int, error) {
			return ExitUsage, usagef("contract needs a command: errconform contract check FILE, errconform contract show, or errconform contract init --from-target URL")
		}),
	}
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
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q for config (commands: check)", args[0])
			}
			return nil
		},
		RunE: ran(func(*cobra.Command, []string) (int, error) {
			return ExitUsage, usagef("config needs a command: errconform config check FILE")
		}),
	}
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

// doubleDash rewrites a long flag given with one dash (-target URL,
// -quiet, -json=r.json), as Go's flag package, which errconform used
// before cobra, accepted them, to its two-dash form. Only the names of
// errconform's own flags are rewritten, never a flag's value, nor anything
// after "--".
func doubleDash(root *cobra.Command, args []string) []string {
	takesValue := map[string]bool{"help": false}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { takesValue[f.Name] = f.Value.Type() != "bool" })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]string, 0, len(args))
	value := false // the previous argument is a flag that wants a value
	for i, arg := range args {
		if value {
			out = append(out, arg)
			value = false
			continue
		}
		if arg == "--" {
			return append(out, args[i:]...)
		}
		name, _, inline := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		takes, known := takesValue[name]
		if known && len(name) > 1 && strings.HasPrefix(arg, "-") {
			if !strings.HasPrefix(arg, "--") {
				arg = "-" + arg
			}
			value = takes && !inline
		}
		out = append(out, arg)
	}
	return out
}
