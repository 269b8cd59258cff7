// Package reports owns every rendering of a run: the JSON report (its
// versioned schema), JUnit XML through Ginkgo's own reporter, reproduction
// commands, and the terminal lines. Every output passes through the
// run's Redactor; nothing here talks to the target.
package reports

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/suites"
)

// SchemaVersion is the version of the JSON report's schema that BuildJSON
// writes. Version 2 added the contract's name, each case's situation,
// typed skip reasons and the cases the contract does not cover; ReadJSON
// still reads version 1 (see ReadableSchemaVersions).
const SchemaVersion = "2"

// UnknownContract names the contract in a report when the run did not
// say which one it judged against (Run.ContractName empty).
const UnknownContract = "unknown"

// Run is everything a report is made from.
type Run struct {
	ToolVersion string
	// ContractName is the short name of the contract judged against
	// ("aiand", "openrouter", or a contract file's name); reports say
	// UnknownContract when it is empty.
	ContractName    string
	ContractVersion string
	// ContractDigest is "sha256:<hex>" of the contract document's bytes
	// (spec.Contract.Digest), or "" when unknown.
	ContractDigest string
	BaseURL        string
	Embedded       bool
	Started        time.Time
	Duration       time.Duration
	Results        []suites.Result
	Redactor       *redact.Redactor
	// SecretEnv maps each configured secret to the environment variable a
	// reproduction command uses in its place.
	SecretEnv map[string]string
	// Settings are what a dashboard needs to compare runs.
	Settings Settings
	// FailureEvidenceOnly leaves out the request, response and
	// reproduction of the cases that did not fail or error: for a run
	// that writes no report file, whose summary and failure groups need
	// no more.
	FailureEvidenceOnly bool
	// Compact builds no request, reproduction or burst evidence: what a
	// compact report (JSONReport.Compact) leaves out anyway, for a fleet's
	// target cut short.
	Compact bool
	// NotTestable says why the positive controls could not pass at the
	// start (nil when they could): no case was judged.
	NotTestable *Problem
	// TargetBroke says why the controls, passed at the start, failed when
	// run again at the end (nil when they held, or were not run again).
	TargetBroke *Problem
}

// Problem is a run-level finding about the target as a whole, from the
// positive controls: its cause as a keyword (a Cause* constant) and one
// line saying what is wrong and what to do.
type Problem struct {
	Cause  string `json:"cause"`
	Reason string `json:"reason"`
}

// Problem causes: what kept the positive controls from passing.
const (
	CauseUnreachable = "unreachable" // no connection could be made
	CauseTLS         = "tls"         // the certificate is not trusted
	CauseScheme      = "scheme"      // http:// against TLS, or https:// against plain HTTP
	CauseWrongPath   = "wrong-path"  // every control answered 404: the base URL's path
	CauseKey         = "key"         // the configured key was refused (401; 403 on /models)
	CauseModel       = "model"       // the configured model was refused (fixtures.model)
	CauseRefused     = "refused"     // every valid chat request refused with 400: routing headers or model
	CauseBroken      = "broken"      // another refusal or failure at the end of the run
)

// Headlines of the run-level problems, as every report words them.
const (
	NotTestableHeadline = "Not testable"
	TargetBrokeHeadline = "Target broke during the run"
)

// problemLines are a report's run-level problems, each as a headline and
// its line: not testable, then target broke.
func problemLines(notTestable, broke *Problem) [][2]string {
	var lines [][2]string
	if notTestable != nil {
		lines = append(lines, [2]string{NotTestableHeadline, notTestable.Cause + ": " + notTestable.Reason + "; no case was judged"})
	}
	if broke != nil {
		lines = append(lines, [2]string{TargetBrokeHeadline, broke.Cause + ": " + broke.Reason})
	}
	return lines
}

// redacted is the problem with the run's secrets redacted; nil stays nil.
func (p *Problem) redacted(r *redact.Redactor) *Problem {
	if p == nil {
		return nil
	}
	return &Problem{Cause: p.Cause, Reason: Printable(r.String(p.Reason))}
}

// Settings are the choices a run was made with.
type Settings struct {
	// Name is the target's name, when it has one (a config's or a matrix
	// job's); reports use it to keep a matrix's results apart.
	Name string `json:"name,omitempty"`
	// Tags are the run's tags (--tag, tags:), redacted.
	Tags        map[string]string `json:"tags,omitempty"`
	Model       string            `json:"model,omitempty"`
	Strict      bool              `json:"strict"`
	Require     []string          `json:"require"`
	LabelFilter string            `json:"label_filter,omitempty"`
	// Selected lists the IDs of the cases the run selected.
	Selected []string `json:"selected_cases"`
	// Waivers are the waivers the run applied (its --waivers file), each
	// with its expiry: errconform merge re-decides a waived verdict from
	// them.
	Waivers []WaiverInfo `json:"waivers,omitempty"`
	// WaiversMaxDays is the longest a waiver could run from the run's
	// date (waivers_max_days; config.DefaultWaiversMaxDays when unset).
	WaiversMaxDays int `json:"waivers_max_days,omitempty"`
	// Partial says why the run is a partial one (--rerun-failed), or "".
	Partial string `json:"partial,omitempty"`
}

// WaiverInfo is one waiver as a report records it.
type WaiverInfo struct {
	Case    string `json:"case"`
	Reason  string `json:"reason"`
	Expires string `json:"expires"`
}

// Summary counts verdicts. Total is the sum of the six verdict counts;
// the cases the contract does not cover are skipped cases, counted in
// Skipped and, apart, in NotInContract.
type Summary struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Warned  int `json:"warned"`
	Skipped int `json:"skipped"`
	Errored int `json:"errored"`
	Waived  int `json:"waived"`
	// NotInContract counts the cases the contract does not cover (listed,
	// never run, never passed); each is also counted in Skipped.
	NotInContract int `json:"not_in_contract"`
	// SkippedByFixture counts skipped cases per missing fixture key.
	SkippedByFixture map[string]int `json:"skipped_by_fixture"`
	// Judged counts the cases whose answer was judged (passed, failed,
	// warned or waived): "judged N of Total selected". JudgedControls
	// counts the positive controls among them (the preflight's, and the
	// valid requests judged as cases): they test nothing of the error
	// contract.
	Judged         int `json:"judged"`
	JudgedControls int `json:"judged_controls"`
	// SkippedByReason counts skipped cases per typed skip reason: its keys
	// are check.SkipReason values ("not-in-contract", "fixture-missing",
	// "not-applicable", "not-run"). Schema version 1 keyed it by the
	// reason's words; ReadJSON re-keys such a report.
	SkippedByReason map[string]int `json:"skipped_by_reason"`
	// RoutesJudged counts the judged cases per route path ("/embeddings"):
	// which routes of the contract the run actually judged. Absent from
	// reports written before errconform counted it.
	RoutesJudged map[string]int `json:"routes_judged,omitempty"`
}

// SkippedFor is how many cases were skipped for that reason.
func (s Summary) SkippedFor(reason check.SkipReason) int { return s.SkippedByReason[string(reason)] }

// Summarize counts the verdicts of a run's results.
func Summarize(results []suites.Result) Summary {
	s := Summary{SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{}}
	for _, r := range results {
		s.Add(r)
	}
	return s
}

// Add counts one more result (s made by Summarize).
func (s *Summary) Add(r suites.Result) {
	s.Total++
	if judgedVerdict(r.Verdict) {
		s.Judged++
		if r.Case.Control || r.Case.ValidInput {
			// A valid request that must be served (a preflight control, or
			// one judged as a case) tests nothing of the error contract.
			s.JudgedControls++
		}
		if route := r.Case.Route(); route != "" {
			if s.RoutesJudged == nil {
				s.RoutesJudged = map[string]int{}
			}
			s.RoutesJudged[route]++
		}
	}
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
		reason := skipReasonOf(r.Skip, r.Reason)
		s.SkippedByReason[string(reason)]++
		if reason == check.NotInContract {
			s.NotInContract++
		}
	case check.Errored:
		s.Errored++
	case check.Waived:
		s.Waived++
	}
}

// judgedVerdict reports whether a verdict comes from judging an answer.
func judgedVerdict(v check.Verdict) bool {
	return v == check.Passed || v == check.Failed || v == check.Warned || v == check.Waived
}

// JudgedText is "judged N of M selected": how much of what the run
// selected it actually judged.
func (s Summary) JudgedText() string {
	return fmt.Sprintf("judged %d of %d selected", s.Judged, s.Total)
}

// RoutesText is "routes judged: /chat/completions 113, /files 17, …":
// the routes whose cases the run judged, each with its count, in path
// order ("routes judged: none" when it judged none).
func (s Summary) RoutesText() string {
	if len(s.RoutesJudged) == 0 {
		return "routes judged: none"
	}
	parts := make([]string, 0, len(s.RoutesJudged))
	for _, route := range slices.Sorted(maps.Keys(s.RoutesJudged)) {
		parts = append(parts, fmt.Sprintf("%s %d", route, s.RoutesJudged[route]))
	}
	return "routes judged: " + strings.Join(parts, ", ")
}

// NothingJudged reports whether the run judged no case beyond its positive
// controls: it tested nothing of the contract (a contract covering none of
// the selected cases, every case skipped), and must not be green.
func (s Summary) NothingJudged() bool { return s.Judged-s.JudgedControls <= 0 }

// NothingJudgedText says why a run that judged nothing is not green.
func (s Summary) NothingJudgedText() string {
	return fmt.Sprintf("no case beyond the %d positive control(s) was judged (%s): the run tested nothing of the contract, so it is not green",
		s.JudgedControls, s.JudgedText())
}

// Plus is both summaries' counts together.
func (s Summary) Plus(o Summary) Summary {
	sum := Summary{Total: s.Total + o.Total, Passed: s.Passed + o.Passed, Failed: s.Failed + o.Failed, Warned: s.Warned + o.Warned,
		Skipped: s.Skipped + o.Skipped, Errored: s.Errored + o.Errored, Waived: s.Waived + o.Waived, NotInContract: s.NotInContract + o.NotInContract,
		Judged: s.Judged + o.Judged, JudgedControls: s.JudgedControls + o.JudgedControls,
		SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{}}
	for _, m := range []Summary{s, o} {
		for k, n := range m.RoutesJudged {
			if sum.RoutesJudged == nil {
				sum.RoutesJudged = map[string]int{}
			}
			sum.RoutesJudged[k] += n
		}
		for k, n := range m.SkippedByFixture {
			sum.SkippedByFixture[k] += n
		}
		for k, n := range m.SkippedByReason {
			sum.SkippedByReason[k] += n
		}
	}
	return sum
}

// skipReasonOf is the typed reason of a skipped case: its own, else one
// read from the reason's words, as errconform 0.1 wrote them (a version 1
// report, or a result made without a typed reason).
func skipReasonOf(skip check.SkipReason, reason string) check.SkipReason {
	if skip != "" {
		return skip
	}
	switch {
	case strings.HasPrefix(reason, notInContractPrefix):
		return check.NotInContract
	case strings.HasPrefix(reason, "fixture not configured"):
		return check.FixtureMissing
	case strings.HasPrefix(reason, "not run"):
		return check.NotRun
	default:
		return check.NotApplicable
	}
}

// notInContractPrefix begins the words shown for a case the contract does
// not cover, in every report.
const notInContractPrefix = "not in this contract"

// NotInContractText is how every report shows a case the contract does
// not cover: "not in this contract: <why>".
func NotInContractText(why string) string {
	why = strings.TrimPrefix(why, notInContractPrefix+": ")
	if why == "" {
		return notInContractPrefix
	}
	return notInContractPrefix + ": " + why
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
	// Targets are a fleet's targets, each with its own report (schema
	// version 3 only: the top level's cases and groups are then empty).
	Targets []TargetReport `json:"targets,omitempty"`
	// Shard says which shard of a sharded run the report holds (version 3).
	Shard *ShardInfo `json:"shard,omitempty"`
	// NotTestable: the positive controls could not pass, so no case was
	// judged (every case errored with this cause).
	NotTestable *Problem `json:"not_testable,omitempty"`
	// TargetBroke: the controls passed at the start and failed at the end.
	TargetBroke *Problem `json:"target_broke,omitempty"`
	// Baseline is what the run was compared with, and the counts (a
	// single target's report, as TargetAsReport makes it).
	Baseline *TargetBaseline `json:"baseline,omitempty"`
	// compact: the report is Compact's, and its JSON renderings are not
	// indented (a third smaller, quicker to write).
	compact bool
}

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ContractInfo names the contract judged against.
type ContractInfo struct {
	// Name is the contract's short name ("aiand", "openrouter"), or
	// UnknownContract.
	Name    string `json:"name"`
	Version string `json:"version"`
	// Digest is "sha256:<hex>" of the contract document's bytes; absent
	// from reports written before errconform recorded it.
	Digest string `json:"digest,omitempty"`
}

// String is "aiand 2026-11".
func (c ContractInfo) String() string {
	return strings.TrimSpace(c.Name + " " + c.Version)
}

// Described is "aiand 2026-11 sha256:…": the name, version and digest.
func (c ContractInfo) Described() string {
	return strings.TrimSpace(c.String() + " " + c.Digest)
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
	ID     string            `json:"id"`
	Title  string            `json:"title"`
	Group  string            `json:"group"`
	Labels []string          `json:"labels"`
	Expect check.Expectation `json:"expect"`
	// Situation names what the case does in the catalogue's vocabulary;
	// positive controls have none.
	Situation string        `json:"situation,omitempty"`
	Verdict   check.Verdict `json:"verdict"`
	// SkipReason says, typed, why a skipped case was skipped; only skipped
	// cases have one.
	SkipReason check.SkipReason `json:"skip_reason,omitempty"`
	// NotInContract says why the contract does not cover the case; such a
	// case is skipped (SkipReason check.NotInContract), never run.
	NotInContract string          `json:"not_in_contract,omitempty"`
	Reason        string          `json:"reason,omitempty"`
	Findings      []check.Finding `json:"findings"`
	Requests      int             `json:"requests_sent"`
	Request       *RequestReport  `json:"request,omitempty"`
	Response      *ResponseReport `json:"response,omitempty"`
	Reproduce     string          `json:"reproduce,omitempty"`
	// Burst lists every answer of a multi-request case, in order.
	Burst []BurstAnswer `json:"burst,omitempty"`
	// MissingFixtures lists the fixture keys a skipped case lacked (fleet
	// reports only: errconform merge counts summary.skipped_by_fixture
	// from it).
	MissingFixtures []string `json:"missing_fixtures,omitempty"`
	// Baseline classifies the case's findings against the baseline's (a
	// run with --baseline only).
	Baseline *CaseBaseline `json:"baseline,omitempty"`
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

// contractName is the run's contract name, UnknownContract when unset.
func (run Run) contractName() string {
	if run.ContractName == "" {
		return UnknownContract
	}
	return run.ContractName
}

// contractInfo is the run's contract as reports name it.
func (run Run) contractInfo() ContractInfo {
	return ContractInfo{Name: run.contractName(), Version: run.ContractVersion, Digest: run.ContractDigest}
}

// BuildJSON assembles the JSON report of a run.
func BuildJSON(run Run) JSONReport {
	rep := JSONReport{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "errconform", Version: run.ToolVersion},
		Contract:      run.contractInfo(),
		Target:        TargetInfo{BaseURL: run.BaseURL, Embedded: run.Embedded},
		StartedAt:     run.Started.UTC(),
		DurationMS:    run.Duration.Milliseconds(),
		Summary:       Summarize(run.Results),
		Settings:      settingsOf(run),
		Cases:         []CaseReport{},
		NotTestable:   run.NotTestable.redacted(run.Redactor),
		TargetBroke:   run.TargetBroke.redacted(run.Redactor),
	}
	for _, r := range run.Results {
		c := CaseReport{ID: r.Case.ID, Title: r.Case.Title, Group: r.Case.Group, Labels: r.Case.Labels, Expect: r.Case.Expect,
			Situation: r.Case.Situation, Verdict: r.Verdict, NotInContract: r.Case.NotInContract,
			Reason: r.Reason, Findings: r.Findings, Requests: len(r.Exchanges)}
		if r.Verdict == check.Skipped {
			c.SkipReason = skipReasonOf(r.Skip, r.Reason)
			if c.SkipReason == check.NotInContract && c.NotInContract == "" {
				// A result typed not-in-contract whose case does not say why.
				c.NotInContract = strings.TrimPrefix(NotInContractText(c.Reason), notInContractPrefix+": ")
			}
		}
		if c.Findings == nil {
			c.Findings = []check.Finding{}
		}
		if ex, ok := r.Judged(); ok && (!run.FailureEvidenceOnly || r.KeepsEvidence()) {
			c.Response = responseReport(run.Redactor, ex)
			if !run.Compact {
				c.Request = requestReport(run.Redactor, ex)
				c.Reproduce = Reproduce(run.Redactor, run.SecretEnv, ex)
			}
		}
		if len(r.Exchanges) > 1 && !run.Compact {
			for _, ex := range r.Exchanges {
				a := BurstAnswer{Failure: string(ex.Failure)}
				if ex.Response != nil {
					a.Status, a.BodyExcerpt = ex.Response.Status, RedactedBodyExcerpt(run.Redactor, ex.Response, burstExcerptBytes)
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

func requestReport(r *redact.Redactor, ex probe.Exchange) *RequestReport {
	return &RequestReport{Method: ex.Request.Method, URL: r.String(ex.URL), Headers: BoundedHeaders(r, ex.Request.Header),
		BodyExcerpt: RedactedExcerpt(r, ex.Request.Body, ExcerptBytes), BodyBytes: len(ex.Request.Body)}
}

// RedactedExcerpt redacts the whole body, then cuts the excerpt: cutting
// first could leave half a secret that no longer matches redaction.
// Only the excerpt and redact.Margin bytes after it are redacted: a
// secret (in any encoding) that starts inside the excerpt ends within the
// margin, and what lies beyond is never shown.
func RedactedExcerpt(r *redact.Redactor, body []byte, n int) string {
	return redactedExcerpt(r, body, len(body), n)
}

// RedactedBodyExcerpt is RedactedExcerpt of a response's body, which may
// hold only the first of the bytes read (probe.Response.Cut): the count
// in all is of every byte read.
func RedactedBodyExcerpt(r *redact.Redactor, resp *probe.Response, n int) string {
	return redactedExcerpt(r, resp.Body, resp.BodyLen(), n)
}

// EvidenceBodyBytes is how much of a response body a result keeps for the
// reports once judged: every excerpt they show, and the margin redacted
// past it.
const EvidenceBodyBytes = ExcerptBytes + redact.Margin

func redactedExcerpt(r *redact.Redactor, body []byte, total, n int) string {
	window := body
	if len(window) > n+redact.Margin {
		window = window[:n+redact.Margin]
	}
	redacted := []byte(r.String(string(window)))
	if len(redacted) <= n && total <= len(body) {
		return Excerpt(redacted, n)
	}
	return Excerpt(redacted[:min(n, len(redacted))], n) + fmt.Sprintf("… (%d bytes in all)", max(total, len(body)))
}

func responseReport(r *redact.Redactor, ex probe.Exchange) *ResponseReport {
	out := &ResponseReport{DurationMS: float64(ex.Duration.Microseconds()) / 1000, Failure: string(ex.Failure), Error: r.String(ex.Err)}
	if ex.Response != nil {
		out.Status = ex.Response.Status
		out.Headers = BoundedHeaders(r, ex.Response.Header)
		out.BodyExcerpt = RedactedBodyExcerpt(r, ex.Response, ExcerptBytes)
		out.BodyBytes = ex.Response.BodyLen()
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
