package config

import (
	"reflect"
	"regexp"
	"strings"
)

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

// Secrets returns every configured credential: the API key and every
// fixture marked secret, the live baseline's among them. Outputs redact
// all of them.
func (c Config) Secrets() []string {
	out := append([]string{}, c.envSecrets()...)
	out = append(out, c.baselineSecrets()...)
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
