// Package runner owns the command line: subcommands, flags, configuration
// precedence, choosing the target (a configured one or the embedded
// reference), running the Ginkgo specs once, writing reports and turning
// the outcome into an exit code. It sits on top of every other package.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

// Exit codes.
const (
	ExitOK          = 0 // every MUST held
	ExitFailed      = 1 // a case failed or errored
	ExitUsage       = 2 // usage or configuration error
	ExitUnreachable = 3 // the target could not be reached at all
)

// Version is the tool version; release builds set it with -ldflags -X.
var Version = "0.1.0-dev"

// EmbeddedGatewayTimeout is the embedded reference's gateway timeout: short,
// so that the 504 case takes well under a second.
const EmbeddedGatewayTimeout = 300 * time.Millisecond

// App is one invocation's environment: where output goes and how the
// environment is read. Tests build their own.
type App struct {
	Stdout, Stderr io.Writer
	LookupEnv      config.LookupEnv
}

// usageError is a command-line or configuration mistake: exit 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitError carries its own exit code (3 for an unreachable target).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// Main runs errconform with the given arguments and returns the exit code.
func Main(args []string) int {
	app := App{Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv}
	return app.Main(args)
}

// Main dispatches a subcommand.
func (a App) Main(args []string) int {
	if len(args) == 0 {
		a.usage()
		return ExitUsage
	}
	var err error
	code := ExitOK
	switch args[0] {
	case "run":
		code, err = a.run(args[1:])
	case "list":
		err = a.list(args[1:])
	case "serve":
		err = a.serve(args[1:])
	case "config":
		err = a.configCmd(args[1:])
	case "diff":
		code, err = a.diff(args[1:])
	case "schema":
		_, err = a.Stdout.Write(spec.ReportSchema())
	case "version", "--version":
		err = a.version()
	case "help", "-h", "--help":
		a.usage()
		return ExitOK
	default:
		err = usagef("unknown command %q (commands: run, list, serve, config, diff, schema, version)", args[0])
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK // the flag package has printed the command's usage
	}
	if err != nil {
		fmt.Fprintf(a.Stderr, "errconform: %v\n", err)
		var ue usageError
		var ce *config.Error
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		if errors.As(err, &ue) || errors.As(err, &ce) || errors.Is(err, flag.ErrHelp) {
			return ExitUsage
		}
		return ExitFailed
	}
	return code
}

func (a App) usage() {
	fmt.Fprint(a.Stderr, `errconform proves that an OpenAI-compatible API keeps its published error contract.

Usage:
  errconform run [--config FILE] [--target URL] [--label-filter EXPR]
                 [--require KEY,...|all] [--strict] [--waivers FILE]
                 [--junit|--json|--html|--markdown|--ctrf PATH] [--dry-run]
                 (errconform run --help lists every flag; each has an
                 ERRCONFORM_<FLAG> environment variable)
  errconform list [--format text|json|markdown] [--rules]
  errconform serve [--addr 127.0.0.1:8080] [--config-out FILE] [--latency D] [--gateway-timeout D]
  errconform config check FILE           (validate a config; send nothing)
  errconform diff OLD.json NEW.json      (exit 1 when a case regressed)
  errconform schema                      (the JSON report's JSON Schema)
  errconform version

With no --config and no --target, run starts the embedded reference target
on 127.0.0.1 and checks every case against it.
Exit codes: 0 every MUST held, 1 a case failed, 2 usage or config error,
3 the target could not be reached at all.
`)
}

func (a App) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("errconform "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func (a App) version() error {
	c, err := spec.Load()
	if err != nil {
		return err
	}
	version, commit := Version, "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			version = v // installed with go install …@vX.Y.Z
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
		if commit == "unknown" && strings.Count(version, "-") >= 2 {
			// A pseudo-version (v0.0.0-20261125…-abcdef123456) ends in the commit.
			commit = version[strings.LastIndex(version, "-")+1:]
		}
	}
	fmt.Fprintf(a.Stdout, "errconform %s (contract %s, commit %s)\n", version, c.Version, commit)
	return nil
}

func (a App) serve(args []string) error {
	fs := a.newFlagSet("serve")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	configOut := fs.String("config-out", "", "write a config file pointing at this server, fixtures filled in")
	gateway := fs.Duration("gateway-timeout", EmbeddedGatewayTimeout, "how long the slow model's requests wait before 504")
	latency := fs.Duration("latency", 0, "fixed delay added to every response")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	contract, err := spec.Load()
	if err != nil {
		return err
	}
	running, err := reference.Start(contract, reference.Options{GatewayTimeout: *gateway, Latency: *latency}, *addr)
	if err != nil {
		return fmt.Errorf("start the reference on %s: %w", *addr, err)
	}
	defer running.Close()
	if *configOut != "" {
		data, err := running.Config().Marshal()
		if err != nil {
			return fmt.Errorf("encode config: %w", err)
		}
		if err := os.WriteFile(*configOut, data, 0o600); err != nil {
			return fmt.Errorf("write --config-out: %w", err)
		}
		fmt.Fprintf(a.Stdout, "errconform: wrote %s (it holds the reference's keys)\n", *configOut)
	}
	fmt.Fprintf(a.Stdout, "errconform: reference target serving at %s (Ctrl-C stops it)\n", running.BaseURL)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (a App) diff(args []string) (int, error) {
	fs := a.newFlagSet("diff")
	asJSON := fs.Bool("json", false, "print the diff as JSON")
	if err := fs.Parse(args); err != nil {
		return ExitUsage, usageError{err}
	}
	if fs.NArg() != 2 {
		return ExitUsage, usagef("diff takes two JSON reports: errconform diff OLD.json NEW.json")
	}
	old, err := reports.ReadJSON(fs.Arg(0))
	if err != nil {
		return ExitUsage, usageError{err}
	}
	current, err := reports.ReadJSON(fs.Arg(1))
	if err != nil {
		return ExitUsage, usageError{err}
	}
	d := reports.Compare(old, current)
	if *asJSON {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return ExitFailed, err
		}
	} else {
		d.WriteText(a.Stdout, fs.Arg(0), fs.Arg(1))
	}
	if d.HasRegression() {
		return ExitFailed, nil
	}
	return ExitOK, nil
}
