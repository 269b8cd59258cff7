package config

import (
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

	"golang.org/x/net/http/httpguts"
)

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
	err := c.validateFailOn()
	if err == nil {
		err = c.validate()
	}
	if err == nil {
		err = c.validateBaseline()
	}
	var ce *Error
	if errors.As(err, &ce) {
		ce.Hide = append(ce.Hide, c.envSecrets()...)
	}
	return err
}

// validateFailOn checks fail_on: new or any (check.ParseFailOn's values;
// check imports config), or unset.
func (c Config) validateFailOn() error {
	switch c.FailOn {
	case "", "new", "any":
		return nil
	}
	return &Error{Field: "fail_on", Msg: fmt.Sprintf("%q: want new or any", c.FailOn)}
}

// validate checks every field in the order the file lists them and
// returns the first error, naming the field. Its complexity (38) is one
// independent check per field, each a line or two; split, the order of
// the errors (the file's) would be spread over many functions.
func (c Config) validate() error {
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
	if err := checkRouteModels(c.Fixtures); err != nil {
		return err
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
