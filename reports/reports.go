// Package reports owns every rendering of a run: the JSON report (its
// versioned schema), JUnit XML through Ginkgo's own reporter, reproduction
// commands, and the terminal lines. Every output passes through the
// run's Redactor; nothing here talks to the target.
package reports

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/suites"
)

// SchemaVersion is the version of the JSON report's schema.
const SchemaVersion = "1"

// Run is everything a report is made from.
type Run struct {
	ToolVersion     string
	ContractVersion string
	BaseURL         string
	Embedded        bool
	Started         time.Time
	Duration        time.Duration
	Results         []suites.Result
	Redactor        *probe.Redactor
	// SecretEnv maps each configured secret to the environment variable a
	// reproduction command uses in its place.
	SecretEnv map[string]string
	// Settings are what a dashboard needs to compare runs.
	Settings Settings
}

// Settings are the choices a run was made with.
type Settings struct {
	// Name is the target's name, when it has one (a config's or a matrix
	// job's); reports use it to keep a matrix's results apart.
	Name        string   `json:"name,omitempty"`
	Model       string   `json:"model,omitempty"`
	Strict      bool     `json:"strict"`
	Require     []string `json:"require"`
	LabelFilter string   `json:"label_filter,omitempty"`
	// Selected lists the IDs of the cases the run selected.
	Selected []string `json:"selected_cases"`
}

// Summary counts verdicts.
type Summary struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Warned  int `json:"warned"`
	Skipped int `json:"skipped"`
	Errored int `json:"errored"`
	Waived  int `json:"waived"`
	// SkippedByFixture counts skipped cases per missing fixture key.
	SkippedByFixture map[string]int `json:"skipped_by_fixture"`
	// SkippedByReason counts skipped cases per reason (a missing fixture
	// set, or the request budget).
	SkippedByReason map[string]int `json:"skipped_by_reason"`
}

// Summarize counts the verdicts of a run's results.
func Summarize(results []suites.Result) Summary {
	s := Summary{SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{}}
	for _, r := range results {
		s.Total++
		switch r.Verdict {
		case check.Passed:
			s.Passed++
		case check.Failed:
			s.Failed++
		case check.Warned:
			s.Warned++
		case check.Skipped:
			s.Skipped++
			for _, key := range r.Missing {
				s.SkippedByFixture[key]++
			}
			s.SkippedByReason[r.Reason]++
		case check.Errored:
			s.Errored++
		case check.Waived:
			s.Waived++
		}
	}
	return s
}

// JSONReport is the document written by --json.
type JSONReport struct {
	SchemaVersion string       `json:"schema_version"`
	Tool          Tool         `json:"tool"`
	Contract      ContractInfo `json:"contract"`
	Target        TargetInfo   `json:"target"`
	StartedAt     time.Time    `json:"started_at"`
	DurationMS    int64        `json:"duration_ms"`
	Settings      *Settings    `json:"settings,omitempty"`
	Summary       Summary      `json:"summary"`
	// Groups are the failed and errored cases by cause, largest first.
	Groups []Group      `json:"groups"`
	Cases  []CaseReport `json:"cases"`
}

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ContractInfo names the contract version judged against.
type ContractInfo struct {
	Version string `json:"version"`
}

// TargetInfo describes the target with credentials stripped.
type TargetInfo struct {
	BaseURL  string `json:"base_url"`
	Embedded bool   `json:"embedded_reference"`
}

func (t TargetInfo) String() string {
	if t.Embedded {
		return "the embedded reference"
	}
	return t.BaseURL
}

// CaseReport is one case in the JSON report.
type CaseReport struct {
	ID        string            `json:"id"`
	Title     string            `json:"title"`
	Group     string            `json:"group"`
	Labels    []string          `json:"labels"`
	Expect    check.Expectation `json:"expect"`
	Verdict   check.Verdict     `json:"verdict"`
	Reason    string            `json:"reason,omitempty"`
	Findings  []check.Finding   `json:"findings"`
	Requests  int               `json:"requests_sent"`
	Request   *RequestReport    `json:"request,omitempty"`
	Response  *ResponseReport   `json:"response,omitempty"`
	Reproduce string            `json:"reproduce,omitempty"`
	// Burst lists every answer of a multi-request case, in order.
	Burst []BurstAnswer `json:"burst,omitempty"`
}

// BurstAnswer is one answer within a multi-request case.
type BurstAnswer struct {
	Status      int    `json:"status"`
	BodyExcerpt string `json:"body_excerpt"`
	Failure     string `json:"failure,omitempty"`
}

// burstExcerptBytes bounds each burst answer's excerpt.
const burstExcerptBytes = 160

// RequestReport is a redacted request.
type RequestReport struct {
	Method      string              `json:"method"`
	URL         string              `json:"url"`
	Headers     map[string][]string `json:"headers"`
	BodyExcerpt string              `json:"body_excerpt"`
	BodyBytes   int                 `json:"body_bytes"`
}

// ResponseReport is a redacted response.
type ResponseReport struct {
	Status      int                 `json:"status,omitempty"`
	Headers     map[string][]string `json:"headers,omitempty"`
	BodyExcerpt string              `json:"body_excerpt"`
	BodyBytes   int                 `json:"body_bytes"`
	Truncated   bool                `json:"truncated,omitempty"`
	DurationMS  float64             `json:"duration_ms"`
	Failure     string              `json:"failure,omitempty"`
	Error       string              `json:"error,omitempty"`
}

// ExcerptBytes bounds body excerpts in reports.
const ExcerptBytes = 2048

// settingsOf is the run's settings for the report, with every selected
// case listed (the results' cases when the runner named none).
func settingsOf(run Run) *Settings {
	s := run.Settings
	s.Model = run.Redactor.String(s.Model)
	s.LabelFilter = run.Redactor.String(s.LabelFilter)
	if s.Require == nil {
		s.Require = []string{}
	}
	if s.Selected == nil {
		s.Selected = []string{}
		for _, r := range run.Results {
			s.Selected = append(s.Selected, r.Case.ID)
		}
	}
	return &s
}

// BuildJSON assembles the JSON report of a run.
func BuildJSON(run Run) JSONReport {
	rep := JSONReport{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "errconform", Version: run.ToolVersion},
		Contract:      ContractInfo{Version: run.ContractVersion},
		Target:        TargetInfo{BaseURL: run.Redactor.String(run.BaseURL), Embedded: run.Embedded},
		StartedAt:     run.Started.UTC(),
		DurationMS:    run.Duration.Milliseconds(),
		Summary:       Summarize(run.Results),
		Settings:      settingsOf(run),
		Cases:         []CaseReport{},
	}
	for _, r := range run.Results {
		c := CaseReport{ID: r.Case.ID, Title: r.Case.Title, Group: r.Case.Group, Labels: r.Case.Labels, Expect: r.Case.Expect,
			Verdict: r.Verdict, Reason: run.Redactor.String(r.Reason), Findings: r.Findings, Requests: len(r.Exchanges)}
		if c.Findings == nil {
			c.Findings = []check.Finding{}
		}
		if ex, ok := r.Judged(); ok {
			c.Request = requestReport(run.Redactor, ex)
			c.Response = responseReport(run.Redactor, ex)
			c.Reproduce = Reproduce(run.Redactor, run.SecretEnv, ex)
		}
		if len(r.Exchanges) > 1 {
			for _, ex := range r.Exchanges {
				a := BurstAnswer{Failure: string(ex.Failure)}
				if ex.Response != nil {
					a.Status, a.BodyExcerpt = ex.Response.Status, RedactedExcerpt(run.Redactor, ex.Response.Body, burstExcerptBytes)
				}
				c.Burst = append(c.Burst, a)
			}
		}
		rep.Cases = append(rep.Cases, c)
	}
	rep.Groups = GroupFailures(rep.Cases)
	if rep.Groups == nil {
		rep.Groups = []Group{}
	}
	return rep
}

func requestReport(r *probe.Redactor, ex probe.Exchange) *RequestReport {
	return &RequestReport{Method: ex.Request.Method, URL: r.String(ex.URL), Headers: BoundedHeaders(r, ex.Request.Header),
		BodyExcerpt: RedactedExcerpt(r, ex.Request.Body, ExcerptBytes), BodyBytes: len(ex.Request.Body)}
}

// RedactedExcerpt redacts the whole body, then cuts the excerpt: cutting
// first could leave half a secret that no longer matches redaction.
// Only the excerpt and probe.RedactMargin bytes after it are redacted: a
// secret (in any encoding) that starts inside the excerpt ends within the
// margin, and what lies beyond is never shown.
func RedactedExcerpt(r *probe.Redactor, body []byte, n int) string {
	window := body
	if len(window) > n+probe.RedactMargin {
		window = window[:n+probe.RedactMargin]
	}
	redacted := []byte(r.String(string(window)))
	if len(redacted) <= n {
		return Excerpt(redacted, n)
	}
	return Excerpt(redacted[:n], n) + fmt.Sprintf("… (%d bytes in all)", len(body))
}

func responseReport(r *probe.Redactor, ex probe.Exchange) *ResponseReport {
	out := &ResponseReport{DurationMS: float64(ex.Duration.Microseconds()) / 1000, Failure: string(ex.Failure), Error: r.String(ex.Err)}
	if ex.Response != nil {
		out.Status = ex.Response.Status
		out.Headers = BoundedHeaders(r, ex.Response.Header)
		out.BodyExcerpt = RedactedExcerpt(r, ex.Response.Body, ExcerptBytes)
		out.BodyBytes = len(ex.Response.Body)
		out.Truncated = ex.Response.Truncated
	}
	return out
}

// Excerpt returns at most n bytes of a body as valid UTF-8 text.
func Excerpt(b []byte, n int) string {
	cut := b
	suffix := ""
	if len(cut) > n {
		cut, suffix = cut[:n], fmt.Sprintf("… (%d more bytes)", len(b)-n)
	}
	return strings.ToValidUTF8(string(cut), "\uFFFD") + suffix
}

// craftedCredential is the credential an exchange sent when errconform
// crafted it (a JWT signed with a wrong secret, an unknown key): no secret,
// so reproduction commands send it exactly. A configured one is "".
func craftedCredential(secretEnv map[string]string, ex probe.Exchange) string {
	if _, configured := secretEnv[ex.Request.Credential]; configured || ex.Request.CredentialIsSecret {
		return ""
	}
	return ex.Request.Credential
}

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
func Reproduce(r *probe.Redactor, secretEnv map[string]string, ex probe.Exchange) string {
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

// doubleQuote quotes for a shell while letting ${VAR} expand for the
// variables that stand in for secrets, and nothing else.
func doubleQuote(s string, variables []string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`)
	quoted := r.Replace(s)
	for _, v := range variables {
		quoted = strings.ReplaceAll(quoted, `\${`+v+`}`, `${`+v+`}`)
	}
	return `"` + quoted + `"`
}
