package runner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
	a.args = args
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
