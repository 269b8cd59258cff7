package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EnvRef is one ${VAR} a configuration file reads: the variable, the field
// its value went into, whether public_env lists it, and the value (never
// printed: outputs redact it unless it is public).
type EnvRef struct {
	Name   string
	Field  string
	Public bool
	value  string
}

// EnvVars lists the variables the file reads, each once, in file order,
// with the fields they go into: what config check prints (names, never
// values).
func (c Config) EnvVars() []EnvVar {
	var out []EnvVar
	at := map[string]int{}
	for _, r := range c.Env {
		i, ok := at[r.Name]
		if !ok {
			i = len(out)
			at[r.Name] = i
			out = append(out, EnvVar{Name: r.Name, Public: r.Public})
		}
		if !contains(out[i].Fields, r.Field) {
			out[i].Fields = append(out[i].Fields, r.Field)
		}
	}
	return out
}

// EnvVar is a variable a file reads and the fields it goes into.
type EnvVar struct {
	Name   string
	Fields []string
	Public bool
}

// envSecrets are the values of the variables the file reads that are not
// public: secrets wherever they appear.
func (c Config) envSecrets() []string {
	var out []string
	for _, r := range c.Env {
		if !r.Public && r.value != "" {
			out = append(out, r.value)
		}
	}
	return out
}

var envRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// wholeEnvRef is a value that is one ${VAR} and nothing else.
var wholeEnvRef = regexp.MustCompile(`^\$\{(\w+)\}$`)

// missingVariables is the one error for every variable a config names
// that is not set (expandNode's errors, joined): all of them at once, so
// that a CI setup is fixed in one round, not one variable per run.
func missingVariables(file string, err error) error {
	var all []*Error
	var flatten func(error)
	flatten = func(err error) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				flatten(e)
			}
			return
		}
		var ce *Error
		if errors.As(err, &ce) {
			all = append(all, ce)
		}
	}
	flatten(err)
	if len(all) == 1 {
		all[0].File = file
		return all[0]
	}
	if len(all) == 0 {
		return err
	}
	parts := make([]string, len(all))
	for i, ce := range all {
		parts[i] = ce.Field + ": " + ce.Msg
	}
	return &Error{File: file, Msg: fmt.Sprintf("%d environment variables are not set: %s", len(all), strings.Join(parts, "; "))}
}

// envName is what a variable public_env lists must look like.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// publicEnv reads the top level's public_env before anything is expanded:
// the variables whose values are no secret. A variable named like a
// credential (…_KEY, …_TOKEN, …_SECRET, …_PASSWORD) cannot be listed: a
// pull request that edits the config must not be able to print a CI
// secret by calling it public.
func publicEnv(root *yaml.Node) (map[string]bool, *Error) {
	list := member(topMapping(root), "public_env")
	if list == nil {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, &Error{Field: "public_env", Msg: fmt.Sprintf("must be a list of environment variable names such as [BUILD_ID] (line %d)", list.Line)}
	}
	public := map[string]bool{}
	for i, n := range list.Content {
		field := fmt.Sprintf("public_env[%d]", i)
		switch {
		case n.Kind != yaml.ScalarNode || !envName.MatchString(n.Value):
			return nil, &Error{Field: field, Msg: fmt.Sprintf("is not an environment variable name such as BUILD_ID (line %d)", n.Line)}
		case namesSecret(n.Value):
			return nil, &Error{Field: field, Msg: fmt.Sprintf("%s is named like a credential (key, token, secret, password, …): such a variable is never public, its value is redacted from every output (line %d)", n.Value, n.Line)}
		}
		public[n.Value] = true
	}
	return public, nil
}

// expander replaces ${VAR} in the scalar values of a config's YAML tree,
// in the fields that take it (see takesEnv), recording every reference.
type expander struct {
	lookup LookupEnv
	public map[string]bool
	refs   []EnvRef
	// lines maps a line to the field path on it, to name fields in decode
	// errors; headerEnv maps a header's path to the variable its value
	// is when it is a plain ${VAR}.
	lines     map[int]string
	headerEnv map[string]string
	// missing are the variables that are not set, each naming its field.
	missing []error
}

// expand replaces ${VAR} under n (at path), naming the field of a variable
// that is not set or of a ${VAR} where none may be.
func (ex *expander) expand(n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			if err := ex.expand(c, p); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p := key
			if path != "" {
				p = path + "." + key
			}
			if err := ex.expand(n.Content[i+1], p); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		ex.lines[n.Line] = path
		if !envRef.MatchString(n.Value) {
			return nil
		}
		field := envField(path)
		if !takesEnv(field) {
			return &Error{Field: path, Msg: fmt.Sprintf("takes no ${VAR} (line %d): environment variables expand only in %s", n.Line, envFieldsList)}
		}
		if strings.Contains(path, "headers.") {
			if m := wholeEnvRef.FindStringSubmatch(n.Value); m != nil {
				ex.headerEnv[path] = m[1]
			}
		}
		var failure *Error
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := ex.lookup(name)
			switch {
			case failure != nil:
			case !ok:
				// Every missing variable is reported, all at once (missingVariables).
				ex.missing = append(ex.missing, &Error{Field: path, Msg: fmt.Sprintf("environment variable %s is not set (line %d)", name, n.Line)})
			case ex.public[name] && secretField(field):
				failure = &Error{Field: path, Msg: fmt.Sprintf("reads %s, which public_env lists, but this field holds a credential: its value is redacted from every output, so %s cannot be public (line %d)", name, name, n.Line)}
			}
			ex.refs = append(ex.refs, EnvRef{Name: name, Field: path, Public: ex.public[name], value: v})
			return v
		})
		if failure != nil {
			return failure
		}
		// Every field that takes ${VAR} holds a string: the value stays
		// one ("123", "true" and "null" included).
		n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	}
	return nil
}

// envField is a field path of the file in Config's shape: targets[2].base_url
// is target.base_url, targets[2].auth.api_key is auth.api_key.
func envField(path string) string {
	if strings.HasPrefix(path, "targets[") {
		if i := strings.Index(path, "]."); i >= 0 {
			rest := path[i+2:]
			if key, _, _ := strings.Cut(rest, "."); targetKeys[key] {
				return "target." + rest
			}
			return rest
		}
	}
	return path
}

// envSections are the sections with fields that may take ${VAR}.
var envSections = map[string]reflect.Type{
	"target": reflect.TypeOf(Target{}), "auth": reflect.TypeOf(Auth{}), "fixtures": reflect.TypeOf(Fixtures{}), "tls": reflect.TypeOf(TLS{}),
}

// takesEnv reports whether a field (in Config's shape) may take ${VAR}:
// those tagged env:"true" (the target's URL and headers, the key, the CA
// file, the fixtures' names, IDs, keys and secrets). A number, a duration,
// a switch, a list or the contract never does: a pull request must not
// be able to move a CI secret into a field that is printed as it is.
func takesEnv(field string) bool {
	if shaped, ok := baselineShaped(field); ok {
		return takesEnv(shaped)
	}
	section, rest, _ := strings.Cut(field, ".")
	if section == "tags" {
		return rest != "" // a tag's value (redacted unless public_env lists it)
	}
	t := envSections[section]
	if t == nil {
		return false
	}
	key, sub, nested := strings.Cut(rest, ".")
	f, ok := fieldByYAMLName(t, key)
	if !ok || f.Tag.Get("env") != "true" {
		return false
	}
	if f.Type.Kind() == reflect.Map {
		return nested && sub != "" // a value of the map, not the map itself
	}
	return !nested
}

// envFieldsList names the fields that take ${VAR}, for error messages.
const envFieldsList = "target.base_url, target.name, target.headers.*, tags.*, auth.api_key, tls.ca_cert and the fixtures naming a model, a file, a key or a secret " +
	"(the same under baseline:, but for its name and tls) " +
	"(and the same keys under targets:); set any other setting in the file, or with its flag or ERRCONFORM_* variable"

// secretField reports whether a field (in Config's shape) holds a
// credential: the key, a fixture key or secret, the fault header, a header
// named like a credential.
func secretField(field string) bool {
	if shaped, ok := baselineShaped(field); ok {
		return secretField(shaped)
	}
	if field == "auth.api_key" || field == "fixtures.internal_error_header" {
		return true
	}
	if name, ok := strings.CutPrefix(field, "target.headers."); ok {
		return namesSecret(name)
	}
	if key, ok := strings.CutPrefix(field, "fixtures."); ok {
		f, ok := fieldByYAMLName(reflect.TypeOf(Fixtures{}), key)
		return ok && f.Tag.Get("secret") == "true"
	}
	return false
}
