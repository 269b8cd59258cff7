// Package redact owns the one detector of secrets: every configured secret
// (API keys, fixture keys, JWT secrets, secret headers, values that came
// from the environment) in every form a target may send it back in
// (verbatim, case-changed, base64, hex, percent-, JSON-, backslash- or
// HTML-escaped, reversed, spaced, split by zero-width characters, or as a
// fragment of FragmentLen bytes), and secret shapes nobody configured (sk-
// keys, JWTs, labelled values, URL userinfo), found in one linear pass.
// It is a leaf: it imports no other package of errconform, and is used at
// the output boundary (String, StringKeeping, Header, Walk).
package redact
