package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LookupEnv resolves environment variables; os.LookupEnv in production.
type LookupEnv func(string) (string, bool)

// LoadFile reads, expands and validates a configuration file.
func LoadFile(path string, lookup LookupEnv) (Config, error) {
	cfg, err := Load(path, lookup)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, inFile(err, path)
	}
	return cfg, nil
}

// Load reads and expands a configuration file without validating it, for
// callers that merge flags and environment first and validate the result.
// The file is read up to MaxFileBytes.
func Load(path string, lookup LookupEnv) (Config, error) {
	data, err := ReadFileLimited(path, MaxFileBytes)
	if err != nil {
		return Config{}, &Error{File: path, Msg: err.Error()}
	}
	return decode(path, data, lookup)
}

func inFile(err error, name string) error {
	var ce *Error
	if errors.As(err, &ce) && ce.File == "" {
		ce.File = name
	}
	return err
}

// Parse decodes and validates configuration bytes; name is used in error
// messages.
func Parse(name string, data []byte, lookup LookupEnv) (Config, error) {
	cfg, err := decode(name, data, lookup)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, inFile(err, name)
	}
	return cfg, nil
}

func decode(name string, data []byte, lookup LookupEnv) (Config, error) {
	var refs []EnvRef
	cfg, err := decodeExpanded(name, data, lookup, &refs)
	if err != nil {
		// Decoder messages quote values: never the ones that came from
		// the environment (they are usually keys).
		var ce *Error
		if errors.As(err, &ce) {
			for _, r := range refs {
				if r.Public || r.value == "" {
					continue
				}
				v := r.value
				ce.Hide = append(ce.Hide, v)
				if len(v) > 7 {
					ce.Msg = strings.ReplaceAll(ce.Msg, v[:7]+"...", "[REDACTED]")
				}
			}
		}
	}
	return cfg, err
}

func decodeExpanded(name string, data []byte, lookup LookupEnv, refs *[]EnvRef) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, &Error{File: name, Msg: cleanYAMLError(err)}
	}
	public, perr := publicEnv(&root)
	if perr != nil {
		perr.File = name
		return Config{}, perr
	}
	ex := expander{lookup: lookup, public: public, lines: map[int]string{}, headerEnv: map[string]string{}}
	err := ex.expand(&root, "")
	*refs = ex.refs
	if err == nil && len(ex.missing) > 0 {
		return Config{}, missingVariables(name, errors.Join(ex.missing...))
	}
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.File = name
		}
		return Config{}, err
	}
	lines, headerEnv := ex.lines, ex.headerEnv // line -> field path, to name fields in decode errors
	baselineScalars(&root)
	expanded, err := yaml.Marshal(&root)
	if err != nil {
		return Config{}, &Error{File: name, Msg: fmt.Sprintf("re-encode after ${VAR} expansion: %v", err)}
	}
	if err := checkWholeNumbers(&root, reflect.TypeOf(Config{}), ""); err != nil {
		err.File = name
		return Config{}, err
	}
	var cfg Config
	if len(bytes.TrimSpace(data)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(expanded))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return Config{}, &Error{File: name, Field: fieldOfYAMLError(err, lines), Msg: cleanYAMLError(err)}
		}
	}
	own := map[string]string{}
	for path, env := range headerEnv {
		if header, ok := strings.CutPrefix(path, "target.headers."); ok {
			own[header] = env
		}
	}
	if len(own) > 0 {
		cfg.Target.HeaderEnv = own
	}
	cfg.Baseline.HeaderEnv = baselineHeaderEnv(headerEnv, "")
	cfg.Env = ex.refs
	cfg.set = dottedKeys(topMapping(&root), "")
	if cfg.Fleet, err = fleetMembers(name, &root, headerEnv, ex.refs); err != nil {
		return Config{}, err
	}
	cfg.ApplyDefaults()
	return cfg, nil
}

// checkWholeNumbers refuses a YAML float (1.5, 2.0, 1e3) where the config
// holds an integer: the decoder would silently truncate it, so that
// concurrency: 1.5 became 1. n is the node for a value of type t at path.
func checkWholeNumbers(n *yaml.Node, t reflect.Type, path string) *Error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(yamlUnmarshaler) {
		return nil // decodes itself (Duration: "1.5" is no duration either)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := checkWholeNumbers(c, t, path); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		if t.Kind() != reflect.Struct {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			field, ok := fieldByYAMLName(t, key)
			if !ok {
				continue // an unknown key: the decoder names it
			}
			p := key
			if path != "" {
				p = path + "." + key
			}
			if err := checkWholeNumbers(n.Content[i+1], field.Type, p); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice {
			return nil
		}
		for i, c := range n.Content {
			if err := checkWholeNumbers(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if n.ShortTag() == "!!float" {
				return &Error{Field: path, Msg: fmt.Sprintf("must be a whole number such as 4, not %s (line %d)", n.Value, n.Line)}
			}
		}
	}
	return nil
}

var yamlUnmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// fieldByYAMLName finds the struct field a YAML key decodes into.
func fieldByYAMLName(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if name == key && name != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

var yamlFieldNotFound = regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`)

var yamlLine = regexp.MustCompile(`line (\d+)`)

func fieldOfYAMLError(err error, lines map[int]string) string {
	m := yamlFieldNotFound.FindStringSubmatch(err.Error())
	if m == nil || m[2] == "TargetConfig" {
		if l := yamlLine.FindStringSubmatch(err.Error()); l != nil {
			var n int
			fmt.Sscan(l[1], &n)
			return lines[n]
		}
		return ""
	}
	section := map[string]string{"Target": "target.", "Auth": "auth.", "Fixtures": "fixtures.", "Limits": "limits.", "TLS": "tls.", "Baseline": "baseline.", "Config": ""}[m[2]]
	return section + m[1]
}

func cleanYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	msg = yamlFieldNotFound.ReplaceAllStringFunc(msg, func(m string) string {
		parts := yamlFieldNotFound.FindStringSubmatch(m)
		return "unknown key " + parts[1] + didYouMean(parts[1], parts[2])
	})
	return msg
}
