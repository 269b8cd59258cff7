package reports

// Reproduction commands: the curl command that re-sends a case's request,
// with configured secrets as environment variables, and its shell quoting.

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
)

func craftedCredential(secretEnv map[string]string, ex probe.Exchange) string {
	if _, configured := secretEnv[ex.Request.Credential]; configured || ex.Request.CredentialIsSecret {
		return ""
	}
	return ex.Request.Credential
}

// CraftedCredentials lists the credentials errconform crafted in the run's
// exchanges (no secrets): the final redaction pass keeps them.
func (run Run) CraftedCredentials() []string { return run.craftedCredentials() }

// craftedCredentials lists the crafted credentials of a run's exchanges.
func (run Run) craftedCredentials() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range run.Results {
		for _, ex := range r.Exchanges {
			if c := craftedCredential(run.SecretEnv, ex); c != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// Reproduce renders a curl command a person can paste that sends exactly
// the request the case sent. Configured secrets become environment
// variables; credentials errconform crafted are printed as they are;
// anything else secret-shaped is redacted.
func Reproduce(r *redact.Redactor, secretEnv map[string]string, ex probe.Exchange) string {
	// Longest secrets first, so one containing another is replaced whole.
	secrets := make([]string, 0, len(secretEnv))
	for secret := range secretEnv {
		secrets = append(secrets, secret)
	}
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	crafted := craftedCredential(secretEnv, ex)
	sub := func(s string) string {
		for _, secret := range secrets {
			s = strings.ReplaceAll(s, secret, "${"+secretEnv[secret]+"}")
		}
		return r.StringKeeping(s, crafted)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "curl -sS -i --compressed -X %s %s", ex.Request.Method, shellQuote(sub(ex.URL)))
	names := make([]string, 0, len(ex.Request.Header))
	for name := range ex.Request.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	variables := make([]string, 0, len(secretEnv))
	for _, env := range secretEnv {
		variables = append(variables, env)
	}
	for _, name := range names {
		for _, v := range ex.Request.Header[name] {
			fmt.Fprintf(&b, " -H %s", doubleQuote(http.CanonicalHeaderKey(name)+": "+sub(v), variables))
		}
	}
	if len(ex.Request.Body) > 0 {
		body := sub(string(ex.Request.Body))
		switch {
		case !utf8.ValidString(body) || len(body) > 4096:
			fmt.Fprintf(&b, " --data-binary @request-body  # %d-byte body not shown", len(ex.Request.Body))
		case strings.IndexFunc(body, isControl) >= 0:
			// A multipart body's CRLFs: printf's format escapes are POSIX,
			// where bash's $'…' is not.
			return "printf '%b' " + printfEscaped(body) + " | " + b.String() + " --data-binary @-"
		default:
			fmt.Fprintf(&b, " --data-binary %s", shellQuote(body))
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// shellQuote quotes for a POSIX shell: in single quotes, where a quote
// inside closes the quoting, is escaped, and reopens it.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printfEscaped is a single-quoted argument for printf '%b' that prints s
// exactly: control bytes as \0ddd escapes, backslashes doubled.
func printfEscaped(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b.WriteString(`\\`)
		case c < ' ' || c == 0x7f:
			fmt.Fprintf(&b, `\0%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	return shellQuote(b.String())
}

// shellDoubleQuoted escapes what a shell's double quotes do not take
// literally. Built once: a Replacer builds its table on first use, and
// one per quoted string cost more than half of a large report's writing.
var shellDoubleQuoted = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`)

// doubleQuote quotes for a shell while letting ${VAR} expand for the
// variables that stand in for secrets, and nothing else.
func doubleQuote(s string, variables []string) string {
	quoted := shellDoubleQuoted.Replace(s)
	for _, v := range variables {
		quoted = strings.ReplaceAll(quoted, `\${`+v+`}`, `${`+v+`}`)
	}
	return `"` + quoted + `"`
}
