package config

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// Reasons a base URL is refused (ParseBaseURL wraps one of them).
var (
	// ErrBaseURLNotHTTP: not an absolute http(s) URL with a host.
	ErrBaseURLNotHTTP = errors.New("not an absolute http(s) URL")
	// ErrBaseURLExtras: the URL carries credentials, a query or a fragment.
	ErrBaseURLExtras = errors.New("carries credentials, a query or a fragment")
)

// ParseBaseURL is the one parser of a target's base URL: an absolute
// http(s) URL with a host and no user information, query or fragment.
// Trailing slashes are dropped, so that JoinURL(u.String(), path) never
// doubles one. Its error wraps ErrBaseURLNotHTTP or ErrBaseURLExtras and
// never quotes the URL (it may hold a password).
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, ErrBaseURLNotHTTP
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, ErrBaseURLExtras
	}
	return u, nil
}

// JoinURL is the one join of a base URL and a request path (/models,
// /chat/completions): the path appended to the base without its trailing
// slashes.
func JoinURL(base, path string) string {
	return strings.TrimRight(base, "/") + path
}

// IsLoopback reports whether a base URL names this machine (localhost or
// a loopback address): such a target gets no default rate cap.
func IsLoopback(raw string) bool {
	u, err := ParseBaseURL(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SameBaseURL reports whether two base URLs name the same API: equal but
// for trailing slashes and user information.
func SameBaseURL(a, b string) bool {
	norm := func(u string) string { return strings.TrimRight(WithoutUserinfo(u), "/") }
	return norm(a) == norm(b)
}
