// Package config owns errconform's configuration file: its schema (target,
// auth, fixtures), ${VAR} expansion from the environment, and validation
// errors that name the offending field; and the resolution of every
// setting: Resolve merges flags, ERRCONFORM_ variables, the file and the
// defaults (the only precedence code), recording each value's source. It
// performs no network I/O.
package config

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
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
	// RouteModels names, per route of RouteModelPaths, the model the
	// route's generated cases and explore variants send as their model
	// ("/embeddings": "text-embedding-3-small"); a route it does not name
	// is sent Model.
	RouteModels map[string]string `yaml:"route_models,omitempty" fixture:"route_models"`
}

// RouteModelPaths are the routes fixtures.route_models may name: those
// of OpenAI's surface beyond chat completions whose body names a model
// (chat completions' is fixtures.model; files and batches name none).
var RouteModelPaths = []string{"/completions", "/embeddings", "/responses", "/moderations", "/images/generations", "/audio/speech", "/audio/transcriptions"}

// RouteModel is the model a route's generated requests send: its
// fixtures.route_models entry, else fixtures.model.
func (f Fixtures) RouteModel(path string) string {
	if m := f.RouteModels[path]; m != "" {
		return m
	}
	return f.Model
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
	// Baseline is what each finding is classified against: new,
	// inherited, fixed (--baseline): the JSON report of an earlier run (of
	// the upstream, of production), or a live baseline, with an identity
	// of its own or the target's (see Baseline).
	Baseline Baseline `yaml:"baseline,omitempty"`
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
