package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// The preflight: the positive controls (valid requests with the
// configured key and model) run before any case, by a single target's run
// and by each target of a fleet alike (runControls), and again at the end
// (endControls).
//
// A setup that keeps the controls from passing (a base URL without its
// /v1, https:// against plain HTTP, an untrusted certificate, a refused key
// or model, a gateway refusing every valid request with 400 for want of
// its routing headers, no connection at all) makes the target not
// testable: no case is judged, every case is errored with that one cause,
// and the run exits 3. A control that gets any other answer (a 5xx to a
// valid request, a malformed success) is the contract's business: it is a
// failed case of its own and the cases are judged.

// controlCases returns the positive controls among cases.
func controlCases(cases []suites.Case) []suites.Case {
	var controls []suites.Case
	for _, c := range cases {
		if c.Control {
			controls = append(controls, c)
		}
	}
	return controls
}

// runControls performs the controls and judges whether the target can be
// tested: nil when it can. It returns the controls as performed (their
// verdicts are decided in their specs, like every case's) and as the
// preflight judged them (what endControls runs again).
func runControls(ctx context.Context, controls []suites.Case, target suites.Target, cfg config.Config) (performed, judged []suites.Result, problem *reports.Problem) {
	performed = make([]suites.Result, len(controls))
	suites.PerformSeq(ctx, slices.All(controls), target, func(i int, r suites.Result) { performed[i] = r })
	judged = make([]suites.Result, len(performed))
	for i, r := range performed {
		judged[i] = suites.Judge(r, target, cfg.Strict)
	}
	return performed, judged, notTestable(judged, cfg)
}

// untestableResults errors every case with the problem's reason; a
// control keeps its exchanges, the evidence of the cause.
func untestableResults(cases []suites.Case, controls []suites.Result, p *reports.Problem) []suites.Result {
	got := map[string]suites.Result{}
	for _, r := range controls {
		got[r.Case.ID] = r
	}
	results := make([]suites.Result, 0, len(cases))
	for _, c := range cases {
		r := suites.Result{Case: c}
		if ctrl, ok := got[c.ID]; ok {
			r = ctrl
			r.Findings = nil // not judged: the cause is the setup's, not the contract's
		}
		d := check.NotTestable(p.Reason)
		r.Verdict, r.Skip, r.Reason = d.Verdict, d.Skip, d.Reason
		results = append(results, r)
	}
	return results
}

// notTestable classifies the controls' results: the setup problem that
// keeps them from passing, or nil when the cases can be judged.
func notTestable(results []suites.Result, cfg config.Config) *reports.Problem {
	if len(results) == 0 {
		return nil
	}
	base := strings.TrimRight(config.WithoutUserinfo(cfg.Target.BaseURL), "/")
	unreachable, answered, notFound := 0, 0, 0
	chat, chatRefused := 0, 0
	var first *reports.Problem
	for _, r := range results {
		ex, ok := r.Judged()
		if !ok {
			continue
		}
		if ex.Failure == probe.FailureUnreachable {
			unreachable++
			switch {
			case strings.HasPrefix(ex.Err, probe.UntrustedCertificate):
				first = firstOf(first, reports.CauseTLS, fmt.Sprintf("%s; trust its CA with --ca-cert FILE (tls.ca_cert), or skip the check with --insecure", ex.Err))
			case strings.HasPrefix(ex.Err, probe.PlainHTTPAnswer):
				first = firstOf(first, reports.CauseScheme, fmt.Sprintf("%s: the port speaks plain HTTP; use %s", probe.PlainHTTPAnswer, withScheme(base, "http")))
			}
			continue
		}
		if ex.Response == nil || ex.Failure != probe.FailureNone {
			continue
		}
		answered++
		status := ex.Response.Status
		if r.Case.Endpoint == "chat" {
			chat++
		}
		if why := rejection(r, cfg); why != "" {
			cause := reports.CauseKey
			if strings.Contains(why, "configured model") {
				cause = reports.CauseModel
			}
			first = firstOf(first, cause, why)
			continue
		}
		switch {
		case status == http.StatusBadRequest && strings.Contains(string(ex.Response.Body), "Client sent an HTTP request to an HTTPS server"):
			first = firstOf(first, reports.CauseScheme, fmt.Sprintf("%s %s answered 400 \"Client sent an HTTP request to an HTTPS server\": the port speaks TLS; use %s",
				ex.Request.Method, ex.Request.Path, withScheme(base, "https")))
		case status == http.StatusNotFound:
			notFound++
		case status == http.StatusBadRequest && r.Case.Endpoint == "chat":
			chatRefused++
		}
	}
	switch {
	case first != nil:
		return first
	case unreachable == len(results):
		ex, _ := results[0].Judged()
		return &reports.Problem{Cause: reports.CauseUnreachable, Reason: fmt.Sprintf("the target %s cannot be reached: %s", base, ex.Err)}
	case answered > 0 && notFound == answered:
		hint := "check the path of the base URL (target.base_url): it should be the API's root, where /models and /chat/completions are served"
		if u, err := config.ParseBaseURL(base); err == nil && !strings.HasSuffix(u.Path, "/v1") {
			hint = "the base URL lacks the API's path: try " + config.JoinURL(base, "/v1")
		}
		return &reports.Problem{Cause: reports.CauseWrongPath, Reason: fmt.Sprintf("every positive control answered 404 (%s): %s", controlAnswer(results), hint)}
	case chat > 0 && chatRefused == chat:
		return &reports.Problem{Cause: reports.CauseRefused, Reason: fmt.Sprintf("every valid chat request was refused with 400 (%s): a gateway that routes by header needs its headers (target.headers), or the model (fixtures.model %q) is not one it serves",
			controlAnswer(results), suites.ModelOf(cfg))}
	}
	return nil
}

// firstOf keeps the first problem found.
func firstOf(p *reports.Problem, cause, reason string) *reports.Problem {
	if p != nil {
		return p
	}
	return &reports.Problem{Cause: cause, Reason: reason}
}

// withScheme is the base URL with another scheme.
func withScheme(base, scheme string) string {
	u, err := config.ParseBaseURL(base)
	if err != nil {
		return scheme + "://…"
	}
	u.Scheme = scheme
	return u.String()
}

// controlAnswer quotes the first answered control: its request line,
// status and a short excerpt of its body.
func controlAnswer(results []suites.Result) string {
	for _, r := range results {
		if ex, ok := r.Judged(); ok && ex.Response != nil {
			return answerText(ex)
		}
	}
	return "no answer"
}

// answerText is "POST /chat/completions answered 400: {body excerpt}".
func answerText(ex probe.Exchange) string {
	return fmt.Sprintf("%s %s answered %d: %s", ex.Request.Method, ex.Request.Path, ex.Response.Status,
		reports.Excerpt([]byte(strings.Join(strings.Fields(string(ex.Response.Body)), " ")), 200))
}

// rejection says why a control's answer means the configured key or model
// was refused, or "" when it does not.
func rejection(r suites.Result, cfg config.Config) string {
	ex, ok := r.Judged()
	if !ok || ex.Response == nil || ex.Failure != probe.FailureNone || ex.Response.Truncated || !utf8.Valid(ex.Response.Body) || !isJSONObject(ex.Response.Body) {
		return "" // only a clear, complete answer is taken for a rejection; a broken one is a failed control
	}
	status := ex.Response.Status
	answer := answerText(ex)
	keyHelp := "check ERRCONFORM_API_KEY (or auth.api_key) and auth.header"
	switch {
	case status == http.StatusUnauthorized:
		return "the target rejected the configured API key (" + answer + "); " + keyHelp
	case status == http.StatusForbidden && r.Case.Endpoint == "models-list":
		return "the configured API key may not list models (" + answer + "); " + keyHelp
	case r.Case.Endpoint == "chat" && (status == http.StatusNotFound || status == http.StatusForbidden || status == http.StatusBadRequest) &&
		mentionsModel(ex.Response.Body, suites.ModelOf(cfg)):
		return fmt.Sprintf("the target rejected the configured model %q (%s); check fixtures.model", suites.ModelOf(cfg), answer)
	}
	return ""
}

func isJSONObject(body []byte) bool {
	var doc map[string]json.RawMessage
	return json.Unmarshal(body, &doc) == nil
}

// mentionsModel: an error about the model: its param or code names the
// model field, or its message names the model (a 404 for a wrong base URL
// does neither).
func mentionsModel(body []byte, model string) bool {
	var doc struct {
		Error struct {
			Message any `json:"message"`
			Param   any `json:"param"`
			Code    any `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	message, _ := doc.Error.Message.(string)
	param, _ := doc.Error.Param.(string)
	code, _ := doc.Error.Code.(string)
	return param == "model" || strings.Contains(code, "model") || (model != "" && strings.Contains(message, model))
}

// endControls runs the controls again at the end of a run whose controls
// passed at its start: a control that passed then and does not now means
// the target broke during the run. Nil when they still pass, or when the
// run was cut short or its request budget left no room for them.
func endControls(ctx context.Context, start []suites.Result, target suites.Target, cfg config.Config) *reports.Problem {
	if ctx.Err() != nil {
		return nil
	}
	var again []suites.Case
	for _, r := range start {
		if r.Verdict == check.Passed || r.Verdict == check.Warned {
			again = append(again, r.Case)
		}
	}
	if len(again) == 0 {
		return nil
	}
	results := suites.ExecuteAll(ctx, again, target, cfg.Strict)
	var failed []string
	cause := reports.CauseBroken
	for _, r := range results {
		ex, ok := r.Judged()
		if !ok || ex.Failure == probe.FailureBudget || ex.Failure == probe.FailureCancelled {
			continue // not run again: nothing to say
		}
		if r.Verdict == check.Passed || r.Verdict == check.Warned {
			continue
		}
		what := ex.Err
		if ex.Response != nil {
			what = answerText(ex)
		}
		failed = append(failed, r.Case.ID+": "+what)
		if cause == reports.CauseBroken {
			cause = endCause(r, ex, cfg)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	p := &reports.Problem{Cause: cause}
	p.Reason = fmt.Sprintf("the target broke during the run: the positive controls passed at its start but not at its end (%s); the cases late in the run may have failed for that reason, not the contract's (a gateway that disabled its upstream key after the run's bad requests, a tripped circuit breaker, a crashed process)",
		strings.Join(failed, "; "))
	return p
}

// endCause is what a control that failed at the end says of the target:
// its key or model refused, no connection, or another failure (broken).
func endCause(r suites.Result, ex probe.Exchange, cfg config.Config) string {
	switch why := rejection(r, cfg); {
	case strings.Contains(why, "configured model"):
		return reports.CauseModel
	case why != "":
		return reports.CauseKey
	case ex.Failure == probe.FailureUnreachable:
		return reports.CauseUnreachable
	}
	return reports.CauseBroken
}
