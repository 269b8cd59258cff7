package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Resolution is layered, highest first: a flag on the command line, its
// ERRCONFORM_ environment variable, the config file (a targets: entry over
// the file's top level), and the defaults. Two layers sit between the
// file and the defaults, or replace the file's: the contract's own gateway
// timeout (where neither a flag nor the file sets one), and the embedded
// reference's identity (URL, key, fixtures) when the base URL is
// "reference". Resolve is the only code that applies this order; every
// value it sets records its Source.

// flagFields are the flags that set a field of the configuration, and
// the field (dotted, in Config's shape). target and contract are resolved
// first, on their own (ResolveContract, the base URL).
var flagFields = []struct{ flag, field string }{
	{"require", "require"},
	{"strict", "strict"},
	{"timeout", "target.timeout"},
	{"gateway-timeout", "target.gateway_timeout"},
	{"max-rps", "limits.max_rps"},
	{"max-requests", "limits.max_requests"},
	{"concurrency", "limits.concurrency"},
	{"max-body", "limits.max_body_bytes"},
	{"ca-cert", "tls.ca_cert"},
	{"insecure", "tls.insecure"},
	{"name", "target.name"},
	{"baseline", "baseline"},
	{"fail-on", "fail_on"},
}

// FieldOfFlag is the configuration field a flag sets, or "".
func FieldOfFlag(flag string) string {
	switch flag {
	case "target":
		return "target.base_url"
	case "contract":
		return "contract"
	}
	for _, ff := range flagFields {
		if ff.flag == flag {
			return ff.field
		}
	}
	return ""
}

// Traffic defaults: a modest rate for a remote target, none on loopback.
const (
	DefaultMaxRPS      = 10
	DefaultConcurrency = 8
)

// NoTarget explains how to name a target; a missing CI secret must never
// quietly turn into a green run against the embedded reference.
const NoTarget = "no target to check: give the API's base URL with --target, ERRCONFORM_TARGET or target.base_url in the config (" +
	"--target reference runs against the embedded reference)"

// Input is what Resolve resolves one target's configuration from.
type Input struct {
	// File is the config file's path ("" for none) and Config its
	// configuration as Load gave it (the zero Config without a file).
	File   string
	Config Config
	// Member is the targets: entry being resolved (nil for a single
	// target): errors and sources name its fields as the file wrote them.
	Member *Member
	// Settings are the flags given, on the command line or by variable.
	Settings Settings
	// Lookup reads ERRCONFORM_API_KEY.
	Lookup LookupEnv
	// Contract loads the contract named (the empty string: the default)
	// and returns its gateway timeout (0: it names none).
	Contract func(name string) (time.Duration, error)
	// Tags are --tag's key=value pairs when it was given: each wins over
	// the file's tags: entry of its key.
	Tags map[string]string
	// Reference starts the embedded reference, when the base URL is
	// "reference", and returns its configuration: what the target is
	// (Identity) is taken from it, how to run from the other layers.
	Reference func() (Config, error)
}

// Resolved is one target's configuration, merged from every layer and
// validated, with each field's source.
type Resolved struct {
	Config Config
	// Sources are the fields' sources by dotted field (target.timeout,
	// target.headers.X-Region); a field absent from it is a default.
	Sources map[string]Source
	// Embedded reports whether the target is the embedded reference.
	Embedded bool
}

// Source is where a field's value came from.
func (r Resolved) Source(field string) Source {
	if s, ok := r.Sources[field]; ok {
		return s
	}
	return Source{Kind: FromDefault}
}

// Identity is what the target is: where it is, what every request
// carries and the prepared fixtures. The contract it is judged by belongs
// with it (Explain lists it there) but stays outside Identity: the
// embedded reference speaks whichever contract the run names. Everything
// else in a Config (limits, TLS, require, strict, explore, the waivers'
// bound) is how to run against it.
type Identity struct {
	Target   Target
	Auth     Auth
	Fixtures Fixtures
}

// identityFields are the sections of Config that Identity holds.
var identityFields = []string{"target", "auth", "fixtures"}

// Identity returns what the target is.
func (c Config) Identity() Identity {
	return Identity{Target: c.Target, Auth: c.Auth, Fixtures: c.Fixtures}
}

// WithIdentity is c aimed at another target: its identity replaced, how
// to run kept.
//
// The target's name stays: it is what the user calls the run.
func (c Config) WithIdentity(id Identity) Config {
	name := c.Target.Name
	c.Target, c.Auth, c.Fixtures = id.Target, id.Auth, id.Fixtures
	if name != "" {
		c.Target.Name = name
	}
	return c
}

// Resolve merges the layers into one target's configuration, validates
// it and records where each value came from. An error is a *SettingError
// (a flag or variable), an *Error (a field of the file, named as the file
// wrote it), or an error of the Contract or Reference hooks.
func Resolve(in Input) (Resolved, error) {
	r := resolver{in: in, cfg: in.Config, sources: map[string]Source{}}
	if in.File == "" {
		r.cfg = Config{}
		r.cfg.ApplyDefaults()
	}
	r.fileSources()
	if err := r.contract(); err != nil {
		return Resolved{}, err
	}
	if err := r.baseURL(); err != nil {
		return Resolved{}, err
	}
	if err := r.identity(); err != nil {
		return Resolved{}, err
	}
	for _, ff := range flagFields {
		if err := r.applyFlag(ff.flag, ff.field); err != nil {
			return Resolved{}, err
		}
	}
	r.flagTags()
	r.trafficDefaults()
	if err := r.cfg.Validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) && (ce.Field == "baseline" || strings.HasPrefix(ce.Field, "baseline.")) && in.Settings.Has("baseline") {
			// The baseline came whole from --baseline (or its variable).
			bare := *ce
			bare.File, bare.Field = "", ""
			return Resolved{}, settingErrorf("%s: %s", in.Settings.Named("baseline"), strings.TrimPrefix(bare.Error(), "config: "))
		}
		if errors.As(err, &ce) && ce.File == "" && in.File != "" {
			ce.File = in.File
		}
		return Resolved{}, r.rename(err)
	}
	return Resolved{Config: r.cfg, Sources: r.sources, Embedded: r.embedded}, nil
}

// resolver is one Resolve call's state.
type resolver struct {
	in       Input
	cfg      Config
	sources  map[string]Source
	embedded bool
	gateway  time.Duration // the contract's gateway timeout
}

func (r *resolver) rename(err error) error {
	if r.in.Member != nil {
		return r.in.Member.Rename(err)
	}
	return err
}

// fieldName is a field as the file wrote it.
func (r *resolver) fieldName(field string) string {
	if m := r.in.Member; m != nil && m.own[field] {
		// The entry's own key (exactly: the entry's target: section,
		// made of its base_url, does not hold the top level's timeout).
		return m.Field(field)
	}
	return field
}

// sets reports whether the file sets a dotted key (its entry or the top
// level, for a fleet member).
func (r *resolver) sets(key string) bool {
	if r.in.File == "" {
		return false
	}
	if m := r.in.Member; m != nil {
		return m.Sets(key)
	}
	return r.cfg.set[key]
}

// fileSources records every key the file sets, with the ${VAR} its value
// was read from.
func (r *resolver) fileSources() {
	if r.in.File == "" {
		return
	}
	set := r.cfg.set
	if r.in.Member != nil {
		set = r.in.Member.set
	}
	for key := range set {
		name := r.fieldName(key)
		src := Source{Kind: FromFile, Name: r.in.File, Field: name}
		for _, ref := range r.cfg.Env {
			if ref.Field == name || ref.Field == key {
				src.Var = ref.Name
			}
		}
		r.sources[key] = src
	}
}

// ResolveContract is the contract's name by precedence (--contract, its
// variable, the file's contract:, the default ""), and its source.
func ResolveContract(settings Settings, cfg Config, file string) (string, Source, error) {
	if st, ok := settings["contract"]; ok {
		if strings.TrimSpace(st.Value) == "" {
			return "", st.Source, settingErrorf("--contract is empty (ERRCONFORM_CONTRACT set to an empty string?): name a built-in contract or a contract file")
		}
		return st.Value, st.Source, nil
	}
	if cfg.Contract != "" && file != "" {
		return cfg.Contract, Source{Kind: FromFile, Name: file, Field: "contract"}, nil
	}
	return cfg.Contract, Source{Kind: FromDefault}, nil
}

func (r *resolver) contract() error {
	name, src, err := ResolveContract(r.in.Settings, r.cfg, r.in.File)
	if err != nil {
		return err
	}
	if src.Kind == FromFile {
		src = r.sources["contract"]
	}
	r.cfg.Contract = name
	if src.Kind != FromDefault {
		r.sources["contract"] = src
	}
	if r.in.Contract == nil {
		return nil
	}
	gateway, err := r.in.Contract(name)
	if err != nil {
		if src.Kind == FromFile {
			return r.rename(&Error{File: r.in.File, Field: "contract", Msg: err.Error()})
		}
		return settingErrorf("%s %s: %v", contractFrom(src), name, err)
	}
	r.gateway = gateway
	return nil
}

// contractFrom names a contract's source in an error as the flag does.
func contractFrom(src Source) string {
	if src.Kind == FromDefault {
		return "contract"
	}
	return "--contract"
}

// baseURL applies --target over the file's base URL and refuses a run
// with none.
func (r *resolver) baseURL() error {
	if st, ok := r.in.Settings["target"]; ok {
		if strings.TrimSpace(st.Value) == "" {
			return settingErrorf("the target is empty: --target or ERRCONFORM_TARGET is set to an empty string (a CI secret that is not set?); %s", NoTarget)
		}
		r.cfg.Target.BaseURL = st.Value
		r.sources["target.base_url"] = st.Source
	}
	if r.cfg.Target.BaseURL != "" {
		return nil
	}
	if r.in.File != "" {
		return r.rename(&Error{File: r.in.File, Field: "target.base_url", Msg: NoTarget})
	}
	return &SettingError{Msg: NoTarget}
}

// identity applies ERRCONFORM_API_KEY, then the embedded reference's
// identity when the target is "reference", else the contract's gateway
// timeout where neither a flag nor the file sets one.
func (r *resolver) identity() error {
	if r.in.Lookup != nil {
		if key, ok := r.in.Lookup(APIKeyEnv); ok && key != "" {
			r.cfg.Auth.APIKey = key
			r.sources["auth.api_key"] = Source{Kind: FromEnv, Name: APIKeyEnv}
		}
	}
	if r.cfg.Target.BaseURL == ReferenceTarget && r.in.Reference != nil {
		ref, err := r.in.Reference()
		if err != nil {
			return err
		}
		r.cfg, r.embedded = r.cfg.WithIdentity(ref.Identity()), true
		for key := range r.sources {
			section, _, _ := strings.Cut(key, ".")
			if contains(identityFields, section) {
				delete(r.sources, key)
			}
		}
		walkFields(reflect.ValueOf(ref.Identity()), "", func(field string, v reflect.Value) {
			if !v.IsZero() {
				r.sources[field] = Source{Kind: FromReference}
			}
		})
		return nil
	}
	if r.gateway <= 0 || r.in.Settings.Has("gateway-timeout") || r.sets("target.gateway_timeout") {
		return nil
	}
	// timeoutMargin is what target.timeout leaves beyond the gateway
	// timeout and its slack by default (40s = 30s + 5s + 5s).
	const timeoutMargin = DefaultTimeout - DefaultGatewayTimeout - TimeoutSlack
	src := Source{Kind: FromContract, Name: r.cfg.Contract}
	r.cfg.Target.GatewayTimeout = Duration(r.gateway)
	r.sources["target.gateway_timeout"] = src
	timeoutSet := r.in.Settings.Has("timeout") || r.sets("target.timeout")
	if need := r.gateway + TimeoutSlackFor(r.gateway) + timeoutMargin; !timeoutSet && r.cfg.Target.Timeout.Std() < need {
		r.cfg.Target.Timeout = Duration(need)
		r.sources["target.timeout"] = src
	}
	return nil
}

// applyFlag sets a field from its flag, when given.
func (r *resolver) applyFlag(flag, field string) error {
	st, ok := r.in.Settings[flag]
	if !ok {
		return nil
	}
	v, err := fieldValue(reflect.ValueOf(&r.cfg).Elem(), field)
	if err != nil {
		return err
	}
	if err := setFromString(v, st.Value); err != nil {
		return settingErrorf("%s %q: %v", r.in.Settings.Named(flag), st.Value, err)
	}
	if field == "baseline" {
		// --baseline replaces the file's baseline whole: none of its keys
		// stays the file's.
		for key := range r.sources {
			if strings.HasPrefix(key, "baseline.") {
				delete(r.sources, key)
			}
		}
		sub := "baseline.report"
		if r.cfg.Baseline.Live() {
			sub = "baseline.base_url"
		}
		r.sources[sub] = st.Source
	}
	r.sources[field] = st.Source
	return nil
}

// flagTags puts --tag's pairs over the file's tags:, key by key.
func (r *resolver) flagTags() {
	st, ok := r.in.Settings["tag"]
	if !ok || len(r.in.Tags) == 0 {
		return
	}
	tags := maps.Clone(r.cfg.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	for k, v := range r.in.Tags {
		tags[k] = v
		r.sources["tags."+k] = st.Source
	}
	r.cfg.Tags = tags
}

// trafficDefaults fills the limits left unset: a modest rate for a
// remote target, none on loopback; an explicit --max-rps 0 means no cap.
func (r *resolver) trafficDefaults() {
	if r.cfg.Limits.Concurrency == 0 {
		r.cfg.Limits.Concurrency = DefaultConcurrency
	}
	if r.cfg.Limits.MaxRPS == 0 && !r.in.Settings.Has("max-rps") && !IsLoopback(r.cfg.Target.BaseURL) {
		r.cfg.Limits.MaxRPS = DefaultMaxRPS
	}
}

// fieldValue is the settable value of a dotted field of a struct value.
func fieldValue(v reflect.Value, field string) (reflect.Value, error) {
	for _, part := range strings.Split(field, ".") {
		f, ok := fieldByYAMLName(v.Type(), part)
		if !ok {
			return reflect.Value{}, fmt.Errorf("config: no field %s", field)
		}
		v = v.FieldByIndex(f.Index)
	}
	return v, nil
}

// setFromString sets a field from a flag's text: a duration, a number, a
// switch, a string or a comma-separated list.
func setFromString(v reflect.Value, s string) error {
	if set, ok := v.Addr().Interface().(interface{ Set(string) error }); ok {
		return set.Set(s)
	}
	if v.Type() == reflect.TypeOf(Duration(0)) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	case reflect.Slice:
		var list []string
		for _, part := range strings.Split(strings.Trim(s, "[]"), ",") {
			if part = strings.TrimSpace(part); part != "" {
				list = append(list, part)
			}
		}
		v.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("config: cannot set a %s from a flag", v.Type())
	}
	return nil
}
