// Package reports owns every rendering of a run: the JSON report (its
// versioned schema), JUnit XML through Ginkgo's own reporter, reproduction
// commands, and the terminal lines. Every output passes through the
// run's Redactor; nothing here talks to the target.
package reports

import (
	"strings"
	"time"

	"github.com/errconform/errconform/check"
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

// so reproduction commands send it exactly. A configured one is "".
