// Package runner owns the command line: subcommands, flags, configuration
// precedence, choosing the target (a configured one or the embedded
// reference), running the Ginkgo specs once, writing reports and turning
// the outcome into an exit code. It sits on top of every other package.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

// Exit codes.
const (
	ExitOK          = 0 // every MUST held
	ExitFailed      = 1 // a case failed or errored
	ExitUsage       = 2 // usage or configuration error, before anything is sent
	ExitUnreachable = 3 // the target is not testable: unreachable, or its positive controls cannot pass
)

// A run stopped by a signal exits 128 plus the signal's number, after
// writing its reports (signalExit).
const (
	ExitInterrupted = 130 // SIGINT (Ctrl-C)
	ExitTerminated  = 143 // SIGTERM
)

// defaultVersion is Version when nothing injected another.
const defaultVersion = "0.1.0-dev"

// Version is the tool version. Release builds set it with
// -ldflags "-X github.com/errconform/errconform/runner.Version=…";
// ToolVersion says which version a build reports.
var Version = defaultVersion

// Commit is the commit a release build was made from, set with
// -ldflags "-X github.com/errconform/errconform/runner.Commit=…";
// CommitID falls back to the build's VCS information.
var Commit = ""

// ToolVersion is the one version string errconform reports everywhere:
// errconform version, the run's first line and every report. An injected
// Version (-ldflags -X) wins; else the module version of a
// `go install …@vX.Y.Z` build; else the default.
func ToolVersion() string {
	if Version != defaultVersion && strings.TrimSpace(Version) != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
	}
	return defaultVersion
}

// CommitID is the commit the binary was built from: an injected Commit
// wins; else the build's VCS revision; else the commit at the end of a
// pseudo-version (v0.0.0-20261125…-abcdef123456); else "unknown".
func CommitID() string {
	if c := strings.TrimSpace(Commit); c != "" {
		return c
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			return s.Value
		}
	}
	if v := info.Main.Version; strings.Count(v, "-") >= 2 {
		return strings.TrimSuffix(v[strings.LastIndex(v, "-")+1:], "+dirty")
	}
	return "unknown"
}

// EmbeddedGatewayTimeout is the embedded reference's gateway timeout: short,
// so that the 504 case takes well under a second.
const EmbeddedGatewayTimeout = 300 * time.Millisecond

// App is one invocation's environment: where output goes and how the
// environment is read. Tests build their own.
type App struct {
	Stdout, Stderr io.Writer
	LookupEnv      config.LookupEnv
	// specsRan, when set, gets Ginkgo's report of a run's specs (a test's
	// view of what the specs decided).
	specsRan func(specReport)
	// args is the command line Main was given (a monitor's ticks run it
	// again, each in a process of its own).
	args []string
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

// ranError is what a command's own work returned: an exit code, and the
// error to print (none when the command has said everything itself). Any
// other error cobra returns is a mistake on the command line (an unknown
// command or flag, a bad flag value, a wrong number of arguments): exit 2.
type ranError struct {
	code int
	err  error
}

func (r ranError) Error() string {
	if r.err == nil {
		return fmt.Sprintf("exit %d", r.code)
	}
	return r.err.Error()
}

// Main runs errconform with the given arguments and returns the exit code.
func Main(args []string) int {
	app := App{Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv}
	return app.Main(args)
}

// Main runs the command tree and turns its outcome into an exit code.
func (a App) Main(args []string) int {
	// errconform prints no colour: whatever NO_COLOR says, nothing it or
	// Ginkgo formats (a label filter's syntax error, say) carries ANSI codes.
	noColour()
	root := a.newRoot(args)
	root.SetArgs(doubleDash(root, args))
	cmd, err := root.ExecuteC()
	return a.exitCode(cmd, err)
}

// exitCode prints err, once, with one "errconform:" prefix, and returns
// the exit code it means.
func (a App) exitCode(cmd *cobra.Command, err error) int {
	if err == nil {
		return ExitOK
	}
	var ran ranError
	if !errors.As(err, &ran) {
		// cobra's own: the command line is wrong. One line, and where to
		// read how it should be.
		fmt.Fprintf(a.Stderr, "errconform: %s\n", reports.Printable(redactError(err, oneLine(err.Error()))))
		if cmd == nil {
			cmd = &cobra.Command{Use: "errconform"}
		}
		fmt.Fprintf(a.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return ExitUsage
	}
	if ran.err == nil {
		return ran.code
	}
	// The last line of a failed command passes the redaction boundary
	// too: it may quote a URL with credentials (--pushgateway) or a
	// secret-shaped value.
	fmt.Fprintf(a.Stderr, "errconform: %s\n", redactError(ran.err, ran.err.Error()))
	var ue usageError
	var ce *config.Error
	var ee exitError
	switch {
	case errors.As(ran.err, &ee):
		return ee.code
	case errors.As(ran.err, &ue), errors.As(ran.err, &ce):
		return ExitUsage
	}
	return ExitFailed
}

// redactError removes URLs' user information and secret-shaped values
// from the text of the error a command ends with, and the values a
// configuration error says came from the environment (config.Error.Hide),
// whole or in fragments; it knows no other configured secret (the command
// may have failed before reading any).
func redactError(err error, text string) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		return redact.New(ce.Hide...).String(text)
	}
	return redact.New().String(text)
}

// oneLine joins a multi-line message into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// versionLine is what errconform version prints.
func versionLine() (string, error) {
	c, err := spec.Load()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("errconform %s (contract %s, commit %s)", ToolVersion(), c.Version, CommitID()), nil
}

func (a App) version() error {
	line, err := versionLine()
	if err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, line)
	return nil
}

type serveOptions struct {
	addr, configOut  string
	contract         string
	gateway, latency time.Duration
}

func (a App) serve(o serveOptions) error {
	contract, err := loadContract(o.contract)
	if err != nil {
		return usagef("serve --contract %s: %v", o.contract, err)
	}
	running, err := reference.Start(contract, reference.Options{GatewayTimeout: o.gateway, Latency: o.latency}, o.addr)
	if err != nil {
		return fmt.Errorf("start the reference on %s: %w", o.addr, err)
	}
	defer running.Close()
	if o.configOut != "" {
		// The config names the contract the server speaks, so that a run
		// with it is judged by that contract.
		cfg := running.Config()
		cfg.Contract = contractArg(contract)
		if _, builtin := strings.CutPrefix(contract.Origin(), "built-in "); !builtin {
			if abs, err := filepath.Abs(cfg.Contract); err == nil {
				cfg.Contract = abs // the config may be read from another directory
			}
		}
		data, err := cfg.Marshal()
		if err != nil {
			return fmt.Errorf("encode config: %w", err)
		}
		if err := os.WriteFile(o.configOut, data, 0o600); err != nil {
			return fmt.Errorf("write --config-out: %w", err)
		}
		fmt.Fprintf(a.Stdout, "errconform: wrote %s (it holds the reference's keys)\n", o.configOut)
	}
	fmt.Fprintf(a.Stdout, "errconform: reference target serving at %s, answering as contract %s (Ctrl-C stops it)\n", running.BaseURL, contract.Label())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

func (a App) diff(oldPath, newPath string, asJSON bool) (int, error) {
	old, err := reports.ReadJSON(oldPath)
	if err != nil {
		return ExitUsage, usageError{err}
	}
	current, err := reports.ReadJSON(newPath)
	if err != nil {
		return ExitUsage, usageError{err}
	}
	d := reports.Compare(old, current)
	if asJSON {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return ExitFailed, err
		}
	} else {
		d.WriteText(a.Stdout, oldPath, newPath)
	}
	if d.HasRegression() {
		return ExitFailed, nil
	}
	return ExitOK, nil
}
