package config

// Where a value comes from: the sources Resolve records, and the flags a
// command was given (FlagSettings: the command line over the
// environment).

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// SourceKind is the layer a value came from.
type SourceKind int

// The layers, lowest first.
const (
	FromDefault SourceKind = iota
	FromContract
	FromFile
	FromReference
	FromEnv
	FromFlag
)

// Source says where one resolved value came from.
type Source struct {
	Kind SourceKind
	// Name is the file's path (FromFile), the variable (FromEnv), the
	// flag without its dashes (FromFlag) or the contract (FromContract).
	Name string
	// Field is the file's field as the file wrote it (targets[1].base_url).
	Field string
	// Var is the ${VAR} a file's value was read from; Flag the flag an
	// ERRCONFORM_ variable stands for.
	Var, Flag string
}

// String names the source: "errconform.yaml:limits.max_rps",
// "$ERRCONFORM_MAX_RPS (--max-rps)", "--max-rps", "contract openai",
// "the embedded reference" or "default".
func (s Source) String() string {
	switch s.Kind {
	case FromFlag:
		return "--" + s.Name
	case FromEnv:
		if s.Flag != "" {
			return "$" + s.Name + " (--" + s.Flag + ")"
		}
		return "$" + s.Name
	case FromFile:
		out := s.Name + ":" + s.Field
		if s.Var != "" {
			out += " (${" + s.Var + "})"
		}
		return out
	case FromContract:
		if s.Name == "" {
			return "the default contract"
		}
		return "contract " + s.Name
	case FromReference:
		return "the embedded reference"
	}
	return "default"
}

// Setting is a flag's value as given on the command line or by its
// ERRCONFORM_ variable, and which of the two gave it.
type Setting struct {
	Value  string
	Source Source
}

// Settings are the flags a command was given, by flag name (max-rps),
// each from the command line or from its environment variable.
type Settings map[string]Setting

// Has reports whether the flag was given, on the command line or by its
// variable.
func (s Settings) Has(flag string) bool { _, ok := s[flag]; return ok }

// Named names where a given flag came from: "--max-rps", or
// "ERRCONFORM_MAX_RPS (--max-rps)" when its variable set it.
func (s Settings) Named(flag string) string {
	if st, ok := s[flag]; ok && st.Source.Kind == FromEnv {
		return st.Source.Name + " (--" + flag + ")"
	}
	return "--" + flag
}

// SettingError is a flag or ERRCONFORM_ variable whose value is refused,
// or a run with no target at all: a usage error (exit 2), its message
// naming the flag and, when it came from the environment, the variable.
type SettingError struct{ Msg string }

func (e *SettingError) Error() string { return e.Msg }

func settingErrorf(format string, a ...any) error {
	return &SettingError{Msg: fmt.Sprintf(format, a...)}
}

// EnvName is the environment variable for a flag: --max-rps is
// ERRCONFORM_MAX_RPS.
func EnvName(flag string) string {
	return "ERRCONFORM_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// APIKeyEnv is the variable the key comes from: the key is never a flag,
// so the environment is its highest source.
const APIKeyEnv = "ERRCONFORM_API_KEY"

// FlagSettings applies the environment under the command line: every
// flag of fs the command line left unset is set from its variable
// (envOf names it; "" for a flag no variable sets), and the flags given
// by either are returned with their sources.
func FlagSettings(fs *pflag.FlagSet, lookup LookupEnv, envOf func(*pflag.Flag) string) (Settings, error) {
	out := Settings{}
	fs.Visit(func(f *pflag.Flag) {
		out[f.Name] = Setting{Value: f.Value.String(), Source: Source{Kind: FromFlag, Name: f.Name}}
	})
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		name := envOf(f)
		if out.Has(f.Name) || err != nil || name == "" {
			return
		}
		v, ok := lookup(name)
		if !ok {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			var invalid *pflag.InvalidValueError
			if errors.As(e, &invalid) && invalid.Unwrap() != nil {
				e = invalid.Unwrap()
			}
			err = settingErrorf("environment variable %s=%q (--%s): %v", name, v, f.Name, e)
			return
		}
		out[f.Name] = Setting{Value: f.Value.String(), Source: Source{Kind: FromEnv, Name: name, Flag: f.Name}}
	})
	return out, err
}
