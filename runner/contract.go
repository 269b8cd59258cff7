package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// contractCheck is "errconform contract check FILE": the contract loaded
// and checked as run --contract FILE would, described without sending
// anything.
func (a App) contractCheck(path string) error {
	if strings.TrimSpace(path) == "" {
		return usagef("contract check: FILE is empty (errconform contract check FILE)")
	}
	contract, err := loadContract(path)
	if err != nil {
		return usageError{err}
	}
	cases, err := suites.For(contract)
	if err != nil {
		return usageError{err}
	}
	covered := 0
	for _, c := range cases {
		if c.NotInContract == "" {
			covered++
		}
	}
	// Every name and reason here is the file's text: printable only.
	fmt.Fprintf(a.Stdout, "%s: valid. Contract %s.\n", reports.Printable(path), reports.Printable(contract.Label()))
	fmt.Fprintf(a.Stdout, "Error members: %s", reports.Printable(strings.Join(contract.ErrorFields, ", ")))
	if len(contract.EqualsStatus) > 0 {
		fmt.Fprintf(a.Stdout, " (%s: the HTTP status as a number)", reports.Printable(strings.Join(contract.EqualsStatus, ", ")))
	}
	fmt.Fprintf(a.Stdout, "; OpenAI SDK compatible: %t.\n", contract.OpenAICompatible)
	statuses := make([]string, 0, len(contract.Statuses))
	for _, s := range contract.Statuses {
		statuses = append(statuses, fmt.Sprintf("%d", s.Status))
	}
	fmt.Fprintf(a.Stdout, "Statuses: %s. Codes: %d.\n", strings.Join(statuses, ", "), len(contract.Codes))
	var notIn []string
	for _, s := range suites.Situations() {
		if o := contract.Outcome(s.Name); !o.Covered() {
			notIn = append(notIn, fmt.Sprintf("%s (%s)", s.Name, o.NotInContract))
		}
	}
	sort.Strings(notIn)
	fmt.Fprintf(a.Stdout, "%d of the catalogue's %d cases are in it; situations not in it: %d.\n", covered, len(cases), len(notIn))
	for _, s := range notIn {
		fmt.Fprintf(a.Stdout, "  %s\n", reports.Printable(s))
	}
	return nil
}

// contractShow is "errconform contract show": the document of the
// contract run would use (--contract, ERRCONFORM_CONTRACT, the config
// file's contract:, the default, as openContract resolves it; fs holds
// the parsed flags, op the values they were parsed into), after a
// comment line naming it and where the choice came from.
func (a App) contractShow(fs *pflag.FlagSet, op *runOptions) error {
	settings, err := config.FlagSettings(fs, a.LookupEnv, envOf)
	if err != nil {
		return asUsage(err)
	}
	set := settingsSet(settings)
	o := *op // with the environment applied
	if o.configFile, err = a.findConfig(o, set); err != nil {
		return err
	}
	var cfg config.Config
	if o.configFile != "" {
		if cfg, err = config.Load(o.configFile, a.LookupEnv); err != nil {
			return err
		}
	}
	contract, source, err := openContract(o, settings, cfg)
	if err != nil {
		return err
	}
	from := "the default"
	switch source.Kind {
	case config.FromFlag:
		from = "--contract"
	case config.FromEnv:
		from = source.Name
	case config.FromFile:
		from = "contract: in " + o.configFile
	}
	fmt.Fprintf(a.Stdout, "# errconform contract %s, chosen by %s\n", contract.Label(), from)
	_, err = a.Stdout.Write(contract.Raw())
	return err
}

// docFile is one generated document: its path under the docs directory
// and what writes it.
type docFile struct {
	path  string
	write func(a App) error
}

// generatedDocs lists every generated document: the command reference,
// and per built-in contract its cases and its rules.
func generatedDocs(root *cobra.Command) []docFile {
	docs := []docFile{{"cli.md", func(a App) error { return writeCLIMarkdown(a.Stdout, root) }}}
	for _, name := range spec.BuiltinNames() {
		docs = append(docs,
			docFile{filepath.Join(name, "cases.md"), func(a App) error { return a.list(listOptions{format: "markdown", contract: name}) }},
			docFile{filepath.Join(name, "rules.md"), func(a App) error { return a.list(listOptions{format: "markdown", contract: name, rules: true}) }},
		)
	}
	return docs
}

// writeDocs writes every generated document under dir.
func writeDocs(dir string, root *cobra.Command) error {
	for _, doc := range generatedDocs(root) {
		var b strings.Builder
		if err := doc.write(App{Stdout: &b, Stderr: &b, LookupEnv: func(string) (string, bool) { return "", false }}); err != nil {
			return fmt.Errorf("generate %s: %w", doc.path, err)
		}
		path := filepath.Join(dir, doc.path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("generate %s: %w", doc.path, err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("generate %s: %w", doc.path, err)
		}
	}
	return nil
}
