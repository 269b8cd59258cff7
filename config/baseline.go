package config

import (
	"errors"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Baseline is what each finding is classified against (baseline:,
// --baseline): new, inherited or fixed. The string form names a JSON
// report of an earlier run, a base URL or "reference" (a live baseline
// the run measures itself, with the target's key, headers and fixtures);
// the object form gives a live baseline an identity of its own:
//
//	baseline:
//	  base_url: https://upstream.example.com/v1
//	  auth: {api_key: ${UPSTREAM_KEY}}
//	  headers: {X-Region: eu}
//	  fixtures: {model: gpt-4o-mini}
//	  limits: {max_rps: 5}
//
// or {report: upstream.json}. A key it leaves out is the target's, except
// that a baseline with its own auth.api_key never gets the target's other
// credentials (its secret headers and fixtures): see BaselineConfig.
type Baseline struct {
	// Report is the path of a JSON report (errconform run --json).
	Report string `yaml:"report,omitempty"`
	// BaseURL is a live baseline's base URL, or ReferenceTarget.
	BaseURL string `yaml:"base_url,omitempty" env:"true"`
	// Headers replace the target's headers when given.
	Headers map[string]string `yaml:"headers,omitempty" env:"true"`
	// HeaderEnv is the variable each header's value came from when the
	// file wrote it as a plain ${VAR}.
	HeaderEnv map[string]string `yaml:"-"`
	// Auth replaces the target's auth when it names a key.
	Auth Auth `yaml:"auth,omitempty"`
	// Fixtures replace the target's fixtures when any is given.
	Fixtures Fixtures `yaml:"fixtures,omitempty"`
	// Limits are the baseline's own, key by key over the target's (its
	// own rate cap: limits.max_rps).
	Limits Limits `yaml:"limits,omitempty"`
}

// ParseBaseline is the string form: a base URL (http:// or https://) or
// "reference" is a live baseline, anything else a report's path.
func ParseBaseline(s string) Baseline {
	if s == ReferenceTarget || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return Baseline{BaseURL: s}
	}
	return Baseline{Report: s}
}

// Set replaces the baseline with the string form s (--baseline).
func (b *Baseline) Set(s string) error {
	*b = ParseBaseline(s)
	return nil
}

// IsSet reports whether a baseline is given.
func (b Baseline) IsSet() bool { return !reflect.ValueOf(b).IsZero() }

// Live reports whether the baseline is a target the run measures (a base
// URL or the embedded reference) rather than a report.
func (b Baseline) Live() bool { return b.BaseURL != "" }

// String is the baseline as reports name it: the report's path, or the
// base URL without user information.
func (b Baseline) String() string {
	if b.Live() {
		return WithoutUserinfo(b.BaseURL)
	}
	return b.Report
}

// isZero reports whether no fixture is set.
func (f Fixtures) isZero() bool {
	if len(f.RouteModels) == 0 {
		f.RouteModels = nil
	}
	return reflect.DeepEqual(f, Fixtures{})
}

// ownsIdentity reports whether the object form sets any of the
// identity's keys.
func (b Baseline) ownsIdentity() bool {
	return b.Headers != nil || b.Auth != (Auth{}) || !b.Fixtures.isZero()
}

// BaselineConfig is c aimed at its live baseline: the baseline's base
// URL; its own auth when it names a key, else the target's; its own
// headers and fixtures when it gives any, else the target's, less the
// target's credentials when the baseline has a key of its own (the
// target's keys never travel to another party); its limits key by key
// over the target's. How to run (timeouts, TLS, strict, explore, …) is
// the target's. The result has no baseline and no fail_on.
func (c Config) BaselineConfig() Config {
	b := c.Baseline
	out := c
	out.Baseline, out.FailOn = Baseline{}, ""
	out.Target.BaseURL = b.BaseURL
	own := b.Auth.APIKey != ""
	if own {
		out.Auth = b.Auth
	}
	switch {
	case b.Headers != nil:
		out.Target.Headers, out.Target.HeaderEnv = b.Headers, b.HeaderEnv
	case own:
		secret := c.SecretHeaders()
		out.Target.Headers = map[string]string{}
		for name, value := range c.Target.Headers {
			if _, is := secret[value]; !is {
				out.Target.Headers[name] = value
			}
		}
	}
	switch {
	case !b.Fixtures.isZero():
		out.Fixtures = b.Fixtures
	case own:
		out.Fixtures = c.Fixtures.withoutSecrets(c.faultHeaderToken() != "")
	}
	mergeLimits(&out.Limits, b.Limits)
	if out.Fixtures.RateLimitBurst == 0 && out.Fixtures.RateLimitedAPIKey != "" {
		out.Fixtures.RateLimitBurst = DefaultRateLimitBurst
	}
	return out
}

// withoutSecrets is f without its keys and secrets (and its fault
// header, when its value is a token).
func (f Fixtures) withoutSecrets(faultToken bool) Fixtures {
	v := reflect.ValueOf(&f).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Tag.Get("secret") == "true" {
			v.Field(i).SetZero()
		}
	}
	if faultToken {
		f.InternalErrorHeader = ""
	}
	if f.RateLimitedAPIKey == "" {
		f.RateLimitBurst = 0
	}
	return f
}

// mergeLimits sets every limit over gives on l.
func mergeLimits(l *Limits, over Limits) {
	dst, src := reflect.ValueOf(l).Elem(), reflect.ValueOf(over)
	for i := 0; i < src.NumField(); i++ {
		if !src.Field(i).IsZero() {
			dst.Field(i).Set(src.Field(i))
		}
	}
}

// baselineSecrets are the credentials of c's live baseline that the
// target's own do not include.
func (c Config) baselineSecrets() []string {
	if !c.Baseline.Live() || c.Baseline.BaseURL == ReferenceTarget {
		return nil
	}
	return c.BaselineConfig().Secrets()
}

// validateBaseline checks the baseline: a report or a base URL, not
// both; identity and limits only for a base URL other than the embedded
// reference (which has its own key and fixtures); and the baseline's
// configuration (BaselineConfig) as a target's is checked, its errors
// naming the baseline's fields.
func (c Config) validateBaseline() error {
	b := c.Baseline
	switch {
	case !b.IsSet():
		return nil
	case b.Report != "" && b.BaseURL != "":
		return &Error{Field: "baseline", Msg: "names both a report and a base_url: one or the other"}
	case b.Report != "" && (b.ownsIdentity() || b.Limits != (Limits{})):
		return &Error{Field: "baseline.report", Msg: "a report's results are read, not measured: auth, headers, fixtures and limits are for a live baseline (base_url)"}
	case b.Report == "" && b.BaseURL == "":
		return &Error{Field: "baseline.base_url", Msg: "is required: the live baseline's base URL, ending in /v1, or \"reference\" (or report: for a JSON report)"}
	case b.BaseURL == ReferenceTarget && b.ownsIdentity():
		return &Error{Field: "baseline.base_url", Msg: "is \"reference\": the embedded reference has its own key, headers and fixtures; auth, headers and fixtures are for a baseline at a base URL"}
	case !b.Live():
		return nil
	}
	if err := c.BaselineConfig().validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.Field = baselineFieldName(ce.Field)
		}
		return err
	}
	return nil
}

// baselineFieldName names a field of BaselineConfig's Config as the
// baseline's: target.base_url is baseline.base_url, auth.api_key
// baseline.auth.api_key.
func baselineFieldName(field string) string {
	if rest, ok := strings.CutPrefix(field, "target."); ok {
		return "baseline." + rest
	}
	return "baseline." + field
}

// baselineShaped is a baseline field (baseline.auth.api_key) in
// Config's shape (auth.api_key), for the rules of which fields take
// ${VAR} and hold credentials; ok is false for any other field.
func baselineShaped(field string) (string, bool) {
	rest, ok := strings.CutPrefix(field, "baseline.")
	if !ok {
		return "", false
	}
	key, _, _ := strings.Cut(rest, ".")
	switch key {
	case "base_url", "headers":
		return "target." + rest, true
	case "auth", "fixtures":
		return rest, true
	}
	return "", false
}

// baselineScalars rewrites every baseline: written in the string form
// (at the top level and in targets: entries) as the object it stands
// for, so that one strict decode reads both forms.
func baselineScalars(root *yaml.Node) {
	rewrite := func(m *yaml.Node) {
		n := member(m, "baseline")
		if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return
		}
		b := ParseBaseline(n.Value)
		key := "report"
		if b.Live() {
			key = "base_url"
		}
		value := *n
		n.Kind, n.Tag, n.Style, n.Value = yaml.MappingNode, "!!map", 0, ""
		n.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: value.Line, Column: value.Column}, &value}
	}
	top := topMapping(root)
	rewrite(top)
	if list := member(top, "targets"); list != nil && list.Kind == yaml.SequenceNode {
		for _, entry := range list.Content {
			rewrite(entry)
		}
	}
}

// baselineHeaderEnv are the baseline's header variables of headerEnv
// (by path: prefix + "baseline.headers.X"), by header.
func baselineHeaderEnv(headerEnv map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for path, env := range headerEnv {
		if header, ok := strings.CutPrefix(path, prefix+"baseline.headers."); ok {
			out[header] = env
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
