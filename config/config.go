// Package config owns errconform's configuration file: its schema (target,
// auth, fixtures), ${VAR} expansion from the environment, and validation
// errors that name the offending field; and the resolution of every
// setting: Resolve merges flags, ERRCONFORM_ variables, the file and the
// defaults (the only precedence code), recording each value's source. It
// performs no network I/O.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"reflect"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/http/httpguts"
)

// Duration is a time.Duration written in Go syntax ("40s", "250ms").
type Duration time.Duration

// UnmarshalYAML parses a Go duration string. Zero and negative durations
// are refused: a timeout of 0 would switch its rule off, not tighten it
// (leave the key out for the default).
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	parsed, err := time.ParseDuration(node.Value)
	if err != nil || parsed <= 0 {
		return fmt.Errorf("line %d: %q is not a positive duration such as 30s or 250ms (leave the key out for the default)", node.Line, node.Value)
	}
	*d = Duration(parsed)
	return nil
}

// MarshalYAML writes the duration in Go syntax.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Target says where the API under test is and how long to wait for it.
type Target struct {
	// BaseURL is the API under test, ending in /v1; ReferenceTarget names
	// the embedded reference.
	BaseURL string `yaml:"base_url,omitempty" env:"true"`
	// Name names a single target in every report and metric (label-safe,
	// as a fleet target's name); empty: the base URL's host[:port], or
	// "reference" for the embedded reference (see TargetName).
	Name           string   `yaml:"name,omitempty" env:"true"`
	Timeout        Duration `yaml:"timeout,omitempty"`
	GatewayTimeout Duration `yaml:"gateway_timeout,omitempty"`
	// Headers are sent on every request (a gateway's routing headers, a
	// referer). Values may use ${VAR}; secret-looking ones are redacted.
	Headers map[string]string `yaml:"headers,omitempty" env:"true"`
	// HeaderEnv names, per header, the environment variable its value came
	// from when the file wrote it as a plain ${VAR}.
	HeaderEnv map[string]string `yaml:"-"`
}

// ReferenceTarget is the base URL word that asks for the embedded reference.
const ReferenceTarget = "reference"

// Auth holds the valid credential and how it is presented.
type Auth struct {
	APIKey string `yaml:"api_key,omitempty" env:"true"`
	// Header is the request header that carries the key. Empty (or
	// Authorization) sends "Authorization: Bearer <key>"; any other name,
	// such as Azure's api-key, carries the bare key.
	Header string `yaml:"header,omitempty"`
}

// BearerAuth reports whether the key travels as "Authorization: Bearer".
func (a Auth) BearerAuth() bool {
	return a.Header == "" || strings.EqualFold(a.Header, "Authorization")
}

// Fixtures are the prepared accounts, resources and faults some cases need.
// Every field is optional; a case whose fixture is empty is skipped.
type Fixtures struct {
	Model               string `yaml:"model,omitempty" fixture:"model" env:"true"`
	ContextWindow       int    `yaml:"context_window,omitempty" fixture:"context_window"`
	TextOnlyModel       string `yaml:"text_only_model,omitempty" fixture:"text_only_model" env:"true"`
	NoCreditsAPIKey     string `yaml:"no_credits_api_key,omitempty" fixture:"no_credits_api_key" secret:"true" env:"true"`
	RestrictedAPIKey    string `yaml:"restricted_api_key,omitempty" fixture:"restricted_api_key" secret:"true" env:"true"`
	RestrictedModel     string `yaml:"restricted_model,omitempty" fixture:"restricted_model" env:"true"`
	ForeignFileID       string `yaml:"foreign_file_id,omitempty" fixture:"foreign_file_id" env:"true"`
	ExpiredFileID       string `yaml:"expired_file_id,omitempty" fixture:"expired_file_id" env:"true"`
	RateLimitedAPIKey   string `yaml:"rate_limited_api_key,omitempty" fixture:"rate_limited_api_key" secret:"true" env:"true"`
	RateLimitBurst      int    `yaml:"rate_limit_burst,omitempty" fixture:"rate_limit_burst"`
	UnreachableModel    string `yaml:"unreachable_model,omitempty" fixture:"unreachable_model" env:"true"`
	SlowModel           string `yaml:"slow_model,omitempty" fixture:"slow_model" env:"true"`
	InternalErrorHeader string `yaml:"internal_error_header,omitempty" fixture:"internal_error_header" env:"true"`
	JWTHS256Secret      string `yaml:"jwt_hs256_secret,omitempty" fixture:"jwt_hs256_secret" secret:"true" env:"true"`
	DisabledAPIKey      string `yaml:"disabled_api_key,omitempty" fixture:"disabled_api_key" secret:"true" env:"true"`
	ExpiredAPIKey       string `yaml:"expired_api_key,omitempty" fixture:"expired_api_key" secret:"true" env:"true"`
	// UpstreamRateLimitedModel is a model whose upstream answers 429.
	UpstreamRateLimitedModel string `yaml:"upstream_rate_limited_model,omitempty" fixture:"upstream_rate_limited_model" env:"true"`
	// UpstreamErrorModel is a model whose upstream answers 500.
	UpstreamErrorModel string `yaml:"upstream_error_model,omitempty" fixture:"upstream_error_model" env:"true"`
	// RateLimitEndpoint is the route the rate-limit burst uses: "models"
	// (GET /models, the default) or "chat" (one-token chat completions),
	// for gateways that limit only inference routes.
	RateLimitEndpoint string `yaml:"rate_limit_endpoint,omitempty" fixture:"rate_limit_endpoint"`
}

// Rate-limit burst endpoints.
const (
	RateLimitOnModels = "models"
	RateLimitOnChat   = "chat"
)

// Limits keep errconform a good guest on someone's staging.
type Limits struct {
	// MaxRPS caps the request rate; 0 means the default (see DefaultMaxRPS).
	MaxRPS float64 `yaml:"max_rps,omitempty"`
	// MaxRequests caps the total requests; 0 means exactly what the selected
	// cases need at most (one each, plus the rate-limit burst).
	MaxRequests int64 `yaml:"max_requests,omitempty"`
	// Concurrency bounds requests in flight; 0 means DefaultConcurrency.
	Concurrency int `yaml:"concurrency,omitempty"`
	// MaxBodyBytes bounds how much of a response body is read (default 1 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes,omitempty"`
}

// TLS configures certificate verification.
type TLS struct {
	CACert   string `yaml:"ca_cert,omitempty" env:"true"` // a PEM file of extra CAs to trust
	Insecure bool   `yaml:"insecure,omitempty"`           // skip verification (prints a warning)
}

// Config is the whole configuration file.
type Config struct {
	Target   Target   `yaml:"target"`
	Auth     Auth     `yaml:"auth"`
	Fixtures Fixtures `yaml:"fixtures"`
	Limits   Limits   `yaml:"limits,omitempty"`
	TLS      TLS      `yaml:"tls,omitempty"`
	// Require lists fixture keys (or "all") whose absence fails the run
	// instead of skipping the cases that need them.
	Require []string `yaml:"require,omitempty"`
	// Strict turns SHOULD findings (warnings) into failures.
	Strict bool `yaml:"strict,omitempty"`
	// WaiversMaxDays bounds how far from the run's date a waiver may
	// expire: DefaultWaiversMaxDays when 0, at most MaxWaiversMaxDays.
	WaiversMaxDays int `yaml:"waivers_max_days,omitempty"`
	// Contract names the error contract the target is judged by: a
	// built-in contract's name or the path of a contract file; the default
	// contract when empty.
	Contract string `yaml:"contract,omitempty"`
	// Explore says what explore probes.
	Explore Explore `yaml:"explore,omitempty"`
	// Baseline is the JSON report of an earlier run (of the upstream, of
	// production) each finding is classified against: new, inherited,
	// fixed (--baseline).
	Baseline string `yaml:"baseline,omitempty"`
	// FailOn is what fails the gate: any (the default) or new (a case
	// whose failing findings are all inherited from the baseline does not).
	FailOn string `yaml:"fail_on,omitempty"`
	// Targets, when the file has a targets: list, are the fleet's named
	// targets as written; Fleet holds them resolved (see Member).
	Targets []TargetConfig `yaml:"targets,omitempty"`
	// Fleet are the members of a targets: list, each with the top level's
	// settings inherited; empty for a single-target config.
	Fleet []Member `yaml:"-"`
	// PublicEnv lists the environment variables whose values are no
	// secret (a build number, a region): every other variable a ${VAR}
	// reads is redacted from every output, wherever its value appears.
	PublicEnv []string `yaml:"public_env,omitempty"`
	// Env are the ${VAR} references the file made, in file order.
	Env []EnvRef `yaml:"-"`
	// Tags are the run's tags (k: v), copied into every report and
	// metric: keys are Prometheus label names (ValidTag).
	Tags map[string]string `yaml:"tags,omitempty" env:"true"`
	// set are the dotted keys the file sets (target, target.timeout):
	// Resolve lets a value the file gives win over the contract's.
	set map[string]bool
}

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

// Explore is the explore section: which fields of the request schema
// explore breaks, one constraint at a time.
type Explore struct {
	// RequestSchema is the path of another request schema document (an
	// OpenAPI document whose components hold CreateChatCompletionRequest);
	// empty for the embedded OpenAI schemas.
	RequestSchema string `yaml:"request_schema,omitempty"`
	// Fields selects the top-level fields probed, as path.Match globs.
	Fields ExploreFields `yaml:"fields,omitempty"`
	// Unsupported are fields the provider does not support: no positive
	// controls for them, and their refusals need not carry a code.
	Unsupported []string `yaml:"unsupported,omitempty"`
	// Deep explores the optional members nested inside the fields too.
	Deep bool `yaml:"deep,omitempty"`
	// Implements are top-level fields the target declares it implements
	// (path.Match globs): an invalid value of theirs that is served fails
	// the run even outside the core set, where it only warns.
	Implements []string `yaml:"implements,omitempty"`
}

// ExploreFields are include and exclude globs over top-level field names;
// no include means the core set.
type ExploreFields struct {
	Include []string `yaml:"include,omitempty"`
	Exclude []string `yaml:"exclude,omitempty"`
}

// Upper bounds: larger values would only exhaust memory.
const (
	MaxContextWindow = 10_000_000
	MaxBodyBytes     = 1 << 30
)

// TimeoutSlack is added to the gateway timeout before a slow 504 fails the
// timeout rule: network round trips and the gateway's own bookkeeping.
const TimeoutSlack = 5 * time.Second

// TimeoutSlackFor returns the slack allowed beyond a gateway timeout: 5s,
// or half the timeout itself when that is shorter (short test timeouts),
// but never under 250ms, which a busy CI machine may need on its own.
func TimeoutSlackFor(gateway time.Duration) time.Duration {
	if half := gateway / 2; half < TimeoutSlack {
		return max(half, 250*time.Millisecond)
	}
	return TimeoutSlack
}

// Defaults applied where the file is silent.
const (
	DefaultTimeout        = 40 * time.Second
	DefaultGatewayTimeout = 30 * time.Second
	DefaultRateLimitBurst = 30
)

// Error is a configuration error that names the field (and file) at fault.
type Error struct {
	File  string
	Field string
	Msg   string
	// Hide are the configured secrets (environment values among them) the
	// message must not show: Error replaces each where it appears whole,
	// and whoever prints the error redacts their fragments too.
	Hide []string
}

func (e *Error) Error() string {
	where := e.File
	if where == "" {
		where = "config"
	}
	msg := e.Msg
	for _, v := range e.Hide {
		if v != "" {
			msg = strings.ReplaceAll(msg, v, "[REDACTED]")
		}
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", where, msg)
	}
	return fmt.Sprintf("%s: %s: %s", where, e.Field, msg)
}

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

var envRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// wholeEnvRef is a value that is one ${VAR} and nothing else.
var wholeEnvRef = regexp.MustCompile(`^\$\{(\w+)\}$`)

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
	cfg.Env = ex.refs
	cfg.set = dottedKeys(topMapping(&root), "")
	if cfg.Fleet, err = fleetMembers(name, &root, headerEnv, ex.refs); err != nil {
		return Config{}, err
	}
	cfg.ApplyDefaults()
	return cfg, nil
}

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
	"(and the same keys under targets:); set any other setting in the file, or with its flag or ERRCONFORM_* variable"

// secretField reports whether a field (in Config's shape) holds a
// credential: the key, a fixture key or secret, the fault header, a header
// named like a credential.
func secretField(field string) bool {
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
	section := map[string]string{"Target": "target.", "Auth": "auth.", "Fixtures": "fixtures.", "Limits": "limits.", "TLS": "tls.", "Config": ""}[m[2]]
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

// ApplyDefaults fills durations and counts the file left out.
func (c *Config) ApplyDefaults() {
	if c.Target.Timeout == 0 {
		c.Target.Timeout = Duration(DefaultTimeout)
	}
	if c.Target.GatewayTimeout == 0 {
		c.Target.GatewayTimeout = Duration(DefaultGatewayTimeout)
	}
	if c.Fixtures.RateLimitBurst == 0 && c.Fixtures.RateLimitedAPIKey != "" {
		c.Fixtures.RateLimitBurst = DefaultRateLimitBurst
	}
}

// Validate checks values that decode but make no sense. An error's
// message hides every value that came from the environment (Error.Hide):
// a value it quotes (a base URL) may be a CI secret put there by ${VAR}.
func (c Config) Validate() error {
	err := c.validate()
	var ce *Error
	if errors.As(err, &ce) {
		ce.Hide = append(ce.Hide, c.envSecrets()...)
	}
	return err
}

func (c Config) validate() error {
	if c.FailOn != "" && c.FailOn != "new" && c.FailOn != "any" {
		// check.ParseFailOn's values (check imports config).
		return &Error{Field: "fail_on", Msg: fmt.Sprintf("%q: want new or any", c.FailOn)}
	}
	for _, list := range []struct {
		field string
		globs []string
	}{{"explore.fields.include", c.Explore.Fields.Include}, {"explore.fields.exclude", c.Explore.Fields.Exclude}, {"explore.implements", c.Explore.Implements}} {
		for _, g := range list.globs {
			if _, err := path.Match(g, ""); err != nil || strings.TrimSpace(g) == "" {
				return &Error{Field: list.field, Msg: fmt.Sprintf("%q is not a field name or glob (path.Match syntax, e.g. \"*_penalty\")", g)}
			}
		}
	}
	if c.Target.BaseURL != "" && c.Target.BaseURL != ReferenceTarget {
		_, err := ParseBaseURL(c.Target.BaseURL)
		switch {
		case errors.Is(err, ErrBaseURLExtras):
			u, _ := url.Parse(c.Target.BaseURL)
			return &Error{Field: "target.base_url", Msg: "must not carry credentials, a query or a fragment (put the key in auth.api_key): " + u.Scheme + "://" + u.Host + u.Path}
		case err != nil:
			return &Error{Field: "target.base_url", Msg: fmt.Sprintf("%q is not an http(s) URL such as https://staging.example.com/v1 (or %q for the embedded reference)", WithoutUserinfo(c.Target.BaseURL), ReferenceTarget)}
		}
	}
	if err := checkHeaders(c); err != nil {
		return err
	}
	if err := checkNameAndTags(c); err != nil {
		return err
	}
	switch c.Fixtures.RateLimitEndpoint {
	case "", RateLimitOnModels, RateLimitOnChat:
	default:
		return &Error{Field: "fixtures.rate_limit_endpoint", Msg: fmt.Sprintf("%q is not one of %q, %q", c.Fixtures.RateLimitEndpoint, RateLimitOnModels, RateLimitOnChat)}
	}
	if c.Target.BaseURL != "" && c.Auth.APIKey == "" {
		return &Error{Field: "auth.api_key", Msg: "is required when target.base_url is set (or set ERRCONFORM_API_KEY)"}
	}
	if err := checkCredentials(c); err != nil {
		return err
	}
	if c.Target.Timeout <= 0 {
		return &Error{Field: "target.timeout", Msg: fmt.Sprintf("must be a positive duration, not %s", c.Target.Timeout.Std())}
	}
	if c.Target.GatewayTimeout <= 0 {
		return &Error{Field: "target.gateway_timeout", Msg: fmt.Sprintf("must be a positive duration, not %s: the 504 rule needs it", c.Target.GatewayTimeout.Std())}
	}
	if limit := c.Target.GatewayTimeout.Std() + TimeoutSlackFor(c.Target.GatewayTimeout.Std()); c.Target.Timeout.Std() <= limit {
		return &Error{Field: "target.gateway_timeout", Msg: fmt.Sprintf("(%s; %s when unset, the contract's) plus its %s slack must be shorter than target.timeout (%s), or a 504 arriving in time could be cut off by errconform giving up",
			c.Target.GatewayTimeout.Std(), DefaultGatewayTimeout, TimeoutSlackFor(c.Target.GatewayTimeout.Std()), c.Target.Timeout.Std())}
	}
	switch {
	case !(c.Limits.MaxRPS >= 0) || math.IsInf(c.Limits.MaxRPS, 0):
		// NaN and +Inf would lift the rate cap: refused, never read as "none".
		return &Error{Field: "limits.max_rps", Msg: fmt.Sprintf("must be a finite number of requests per second, 0 or more (0: no cap), not %v", c.Limits.MaxRPS)}
	case c.Limits.MaxRequests < 0:
		return &Error{Field: "limits.max_requests", Msg: "must not be negative"}
	case c.Limits.Concurrency < 0 || c.Limits.Concurrency > 256:
		return &Error{Field: "limits.concurrency", Msg: "must be between 1 and 256"}
	case c.Limits.MaxBodyBytes < 0 || c.Limits.MaxBodyBytes > MaxBodyBytes:
		return &Error{Field: "limits.max_body_bytes", Msg: fmt.Sprintf("must be between 1 and %d bytes", int64(MaxBodyBytes))}
	}
	if c.TLS.CACert != "" {
		if _, err := os.Stat(c.TLS.CACert); err != nil {
			return &Error{Field: "tls.ca_cert", Msg: fmt.Sprintf("cannot read %s: %v", c.TLS.CACert, errors.Unwrap(err))}
		}
	}
	if c.Fixtures.ContextWindow < 0 || c.Fixtures.ContextWindow > MaxContextWindow {
		return &Error{Field: "fixtures.context_window", Msg: fmt.Sprintf("must be a positive number of tokens, at most %d", MaxContextWindow)}
	}
	if c.Fixtures.RateLimitBurst < 0 || c.Fixtures.RateLimitBurst > 10000 {
		return &Error{Field: "fixtures.rate_limit_burst", Msg: "must be between 1 and 10000"}
	}
	if h := c.Fixtures.InternalErrorHeader; h != "" {
		if _, _, err := SplitHeader(h); err != nil {
			return &Error{Field: "fixtures.internal_error_header", Msg: err.Error()}
		}
	}
	if c.WaiversMaxDays < 0 || c.WaiversMaxDays > MaxWaiversMaxDays {
		return &Error{Field: "waivers_max_days", Msg: fmt.Sprintf("must be a number of days between 1 and %d (default %d)", MaxWaiversMaxDays, DefaultWaiversMaxDays)}
	}
	known := FixtureKeys()
	for i, r := range c.Require {
		if r == "all" {
			continue
		}
		if !contains(known, r) {
			return &Error{Field: fmt.Sprintf("require[%d]", i), Msg: fmt.Sprintf("%q is not a fixture key (one of: all, %s)", r, strings.Join(known, ", "))}
		}
	}
	return nil
}

// checkCredentials refuses keys that cannot travel in a header: a stray
// newline from a shell substitution, spaces, control characters.
func checkCredentials(c Config) error {
	fields, keys := []string{"auth.api_key"}, []string{c.Auth.APIKey}
	v := reflect.ValueOf(c.Fixtures)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("secret") == "true" {
			fields = append(fields, "fixtures."+t.Field(i).Tag.Get("fixture"))
			keys = append(keys, v.Field(i).String())
		}
	}
	for i, key := range keys {
		bad := func(r rune) bool { return r <= ' ' || r == 0x7f }
		if fields[i] == "fixtures.jwt_hs256_secret" {
			// An HMAC secret, never sent in a header: inner spaces are fine.
			bad = func(r rune) bool { return r < ' ' || r == 0x7f }
		}
		if strings.IndexFunc(key, bad) >= 0 || key != strings.TrimSpace(key) {
			return &Error{Field: fields[i], Msg: "contains whitespace or control characters (a trailing newline from a shell substitution?)"}
		}
	}
	return nil
}

// userinfo is the user:password@ part of a URL, parsed or not.
var userinfo = regexp.MustCompile(`(//)[^/@\s]*@`)

// WithoutUserinfo replaces any user:password@ in a URL-like string, so that
// even a URL too malformed to parse never prints its password.
func WithoutUserinfo(s string) string { return userinfo.ReplaceAllString(s, "${1}[REDACTED]@") }

// checkHeaders refuses header names and values that cannot travel, and
// headers errconform sets itself.
func checkHeaders(c Config) error {
	if !c.Auth.BearerAuth() && !httpguts.ValidHeaderFieldName(c.Auth.Header) {
		return &Error{Field: "auth.header", Msg: fmt.Sprintf("%q is not a header name such as api-key", c.Auth.Header)}
	}
	seen := map[string]string{}
	for name := range c.Target.Headers {
		canonical := http.CanonicalHeaderKey(name)
		if other, dup := seen[canonical]; dup {
			return &Error{Field: "target.headers." + name, Msg: fmt.Sprintf("is the same header as %s (header names ignore case): which value is sent would be a matter of chance", other)}
		}
		seen[canonical] = name
	}
	for name, value := range c.Target.Headers {
		field := "target.headers." + name
		switch {
		case !httpguts.ValidHeaderFieldName(name):
			return &Error{Field: field, Msg: "is not a valid header name"}
		case !httpguts.ValidHeaderFieldValue(value) || value != strings.TrimSpace(value):
			return &Error{Field: field, Msg: "holds control characters or surrounding whitespace (a trailing newline from a shell substitution?)"}
		}
		for _, own := range []string{"Authorization", "Content-Type", "Content-Length", "Host", "Accept-Encoding", c.Auth.Header} {
			if own != "" && strings.EqualFold(name, own) {
				return &Error{Field: field, Msg: "is set by errconform per case (the key goes in auth.api_key, its header in auth.header)"}
			}
		}
	}
	return nil
}

// secretWords are the words of a header or variable name that say it
// carries a credential. Names are split into words at "-" and "_", so that
// x-portkey-provider (a routing header) is not one and x-portkey-api-key is.
var secretWords = map[string]bool{
	"key": true, "apikey": true, "token": true, "secret": true, "auth": true, "authorization": true, "password": true,
	"passwd": true, "signature": true, "cookie": true, "session": true, "credential": true, "credentials": true, "jwt": true,
}

// namesSecret reports whether a header or variable name has a secret word.
func namesSecret(name string) bool {
	for _, word := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if secretWords[word] {
			return true
		}
	}
	return false
}

// SecretHeaders returns the target.headers whose values are credentials,
// by the header's name or the name of the variable the value came from,
// mapped to the variable that reproduction commands name instead.
func (c Config) SecretHeaders() map[string]string {
	out := map[string]string{}
	for name, value := range c.Target.Headers {
		env := c.Target.HeaderEnv[name]
		// A value under 8 characters ("eu", "2", "jwt") is a setting, not a
		// credential: redacting it would mangle every output.
		if len(value) < 8 || !(namesSecret(name) || (env != "" && namesSecret(env))) {
			continue
		}
		if env == "" {
			env = "ERRCONFORM_HEADER_" + strings.ToUpper(nonWord.ReplaceAllString(name, "_"))
		}
		out[value] = env
	}
	return out
}

var nonWord = regexp.MustCompile(`\W+`)

// SplitHeader splits a "Name: value" header fixture.
func SplitHeader(h string) (name, value string, err error) {
	name, value, ok := strings.Cut(h, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
		// The value is not quoted: a fault hook may be gated by a token.
		return "", "", errors.New(`is not a header such as "X-Fault: internal" (a name, a colon and a value)`)
	}
	return name, value, nil
}

// FixtureKeys lists every fixture key in file order.
func FixtureKeys() []string {
	t := reflect.TypeOf(Fixtures{})
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		keys = append(keys, t.Field(i).Tag.Get("fixture"))
	}
	return keys
}

// Has reports whether the fixture with the given key is configured.
func (f Fixtures) Has(key string) bool {
	v := reflect.ValueOf(f)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("fixture") == key {
			return !v.Field(i).IsZero()
		}
	}
	return false
}

// Secrets returns every configured credential: the API key and every
// fixture marked secret. Outputs redact all of them.
func (c Config) Secrets() []string {
	out := append([]string{}, c.envSecrets()...)
	if c.Auth.APIKey != "" {
		out = append(out, c.Auth.APIKey)
	}
	if v := c.faultHeaderToken(); v != "" {
		out = append(out, v)
	}
	for value := range c.SecretHeaders() {
		out = append(out, value)
	}
	v := reflect.ValueOf(c.Fixtures)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("secret") == "true" && !v.Field(i).IsZero() {
			out = append(out, v.Field(i).String())
		}
	}
	return out
}

// Requires reports whether the fixture key is named by Require.
func (c Config) Requires(key string) bool {
	return contains(c.Require, "all") || contains(c.Require, key)
}

// Marshal writes the configuration as YAML.
func (c Config) Marshal() ([]byte, error) { return yaml.Marshal(c) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SecretEnv maps each configured secret to the environment variable that
// reproduction commands name in its place (ERRCONFORM_API_KEY, ...).
func (c Config) SecretEnv() map[string]string {
	out := map[string]string{}
	// A value from the environment is named by its own variable, unless
	// it is one of the credentials below, whose variables errconform
	// reads itself.
	for _, r := range c.Env {
		if !r.Public && r.value != "" {
			out[r.value] = r.Name
		}
	}
	if c.Auth.APIKey != "" {
		out[c.Auth.APIKey] = "ERRCONFORM_API_KEY"
	}
	if v := c.faultHeaderToken(); v != "" {
		out[v] = "ERRCONFORM_INTERNAL_ERROR_HEADER_VALUE"
	}
	for value, env := range c.SecretHeaders() {
		out[value] = env
	}
	v := reflect.ValueOf(c.Fixtures)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("secret") == "true" && !v.Field(i).IsZero() {
			out[v.Field(i).String()] = "ERRCONFORM_" + strings.ToUpper(t.Field(i).Tag.Get("fixture"))
		}
	}
	return out
}

// faultHeaderToken is the internal_error_header's value when it is 8 or
// more characters long: a configured secret whatever it looks like (a
// fault hook on shared staging is often gated by a token, and a random
// token may well look like a word). A shorter value ("500", "fail") is a
// switch, not a token: redacting it, matched whole, would mangle every
// output.
func (c Config) faultHeaderToken() string {
	_, v, err := SplitHeader(c.Fixtures.InternalErrorHeader)
	if err != nil || len(v) < FaultTokenMin {
		return ""
	}
	return v
}

// FaultTokenMin is the length from which internal_error_header's value is
// a secret.
const FaultTokenMin = 8
