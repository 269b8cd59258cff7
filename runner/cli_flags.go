package runner

// Flags shared across commands: binding each flag to its environment
// variable, run's flag set, and the shell completions of run's flags and
// of --contract.

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

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
