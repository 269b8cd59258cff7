package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// Case IDs the synthetic runs give verdicts other than passed.
const (
	failedID        = "request/invalid-role"
	fixtureID       = "upstream/slow-model"
	notRunID        = "ratelimit/burst"
	notApplicableID = "auth/basic-scheme/chat"
)

// contractRun is a run of the whole catalogue under a built-in contract,
// decided by check's own functions without sending anything: every case
// the contract does not cover skipped as such, one case failed, one
// skipped for a missing fixture, one left unrun by the request budget,
// one not applicable, every other one passed. name "" leaves
// Run.ContractName unset.
func contractRun(t *testing.T, builtin string, name string) (reports.Run, *spec.Contract) {
	t.Helper()
	contract, err := spec.Builtin(builtin)
	require.NoError(t, err)
	cases, err := suites.For(contract)
	require.NoError(t, err)
	var results []suites.Result
	for _, c := range cases {
		pre := check.Preconditions{NotInContract: c.NotInContract}
		switch c.ID {
		case fixtureID:
			pre.MissingFixtures = []string{"slow_model"}
		case notApplicableID:
			pre.Inapplicable = "the key travels in the api-key header"
		}
		r := suites.Result{Case: c, Verdict: check.Passed, Duration: time.Millisecond}
		if d, decided := check.Before(pre); decided {
			r.Verdict, r.Skip, r.Reason = d.Verdict, d.Skip, d.Reason
			if d.Skip == check.FixtureMissing {
				r.Missing = pre.MissingFixtures
			}
		} else {
			switch c.ID {
			case failedID:
				r.Verdict = check.Failed
				r.Findings = []check.Finding{{Rule: "status", Severity: check.Must, Expected: "400", Actual: "200", Message: "expected 400, got 200"}}
			case notRunID:
				budget := probe.Exchange{Failure: probe.FailureBudget, Err: "the request budget (10 requests) is spent"}
				d, ok := check.Interrupted(budget, 0, false)
				require.True(t, ok)
				r.Verdict, r.Skip, r.Reason = d.Verdict, d.Skip, d.Reason
			}
		}
		results = append(results, r)
	}
	return reports.Run{ToolVersion: "0.0.0-test", ContractName: name, ContractVersion: contract.Version, BaseURL: "http://127.0.0.1:9/v1",
		Started: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Duration: time.Second, Results: results, Redactor: redact.New()}, contract
}

// countNotInContract counts the results the contract does not cover.
func countNotInContract(results []suites.Result) int {
	n := 0
	for _, r := range results {
		if r.Case.NotInContract != "" {
			n++
		}
	}
	return n
}

// compiledReportSchema is the current report schema, compiled.
func compiledReportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(spec.ReportSchema()))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("report.schema.json", doc))
	s, err := c.Compile("report.schema.json")
	require.NoError(t, err)
	return s
}

// reportDoc is a report as the generic JSON value a schema validates.
func reportDoc(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	return doc
}

func TestJSONReportV2UnderEachContract(t *testing.T) {
	schema := compiledReportSchema(t)
	tests := []struct {
		builtin, name, wantName string
		wantNotInContract       bool
	}{
		{"aiand", "aiand", "aiand", false},
		{"openrouter", "openrouter", "openrouter", true},
		{"openrouter", "", reports.UnknownContract, true},
	}
	for _, tt := range tests {
		t.Run(tt.builtin+"/"+tt.wantName, func(t *testing.T) {
			run, contract := contractRun(t, tt.builtin, tt.name)
			rep := reports.BuildJSON(run)
			require.NoError(t, schema.Validate(reportDoc(t, rep)), "the report validates against spec/report.schema.json")

			assert.Equal(t, "2", rep.SchemaVersion)
			assert.Equal(t, reports.ContractInfo{Name: tt.wantName, Version: contract.Version}, rep.Contract)
			s := rep.Summary
			assert.Equal(t, s.Total, s.Passed+s.Failed+s.Warned+s.Skipped+s.Errored+s.Waived, "total is the sum of the verdicts")
			nic := countNotInContract(run.Results)
			assert.Equal(t, tt.wantNotInContract, nic > 0)
			assert.Equal(t, nic, s.NotInContract)
			assert.Equal(t, nic, s.SkippedFor(check.NotInContract))
			assert.Equal(t, 1, s.SkippedFor(check.FixtureMissing))
			assert.Equal(t, 1, s.SkippedFor(check.NotRun))
			assert.Equal(t, 1, s.SkippedFor(check.NotApplicable))
			assert.Equal(t, map[string]int{"slow_model": 1}, s.SkippedByFixture)
			assert.Equal(t, s.Skipped, nic+3, "cases not in the contract are skipped cases")
			for key := range s.SkippedByReason {
				assert.Contains(t, []check.SkipReason{check.NotInContract, check.FixtureMissing, check.NotApplicable, check.NotRun}, check.SkipReason(key))
			}

			for i, c := range rep.Cases {
				r := run.Results[i]
				assert.Equal(t, r.Case.Situation, c.Situation, c.ID)
				if c.Verdict == check.Skipped {
					assert.NotEmpty(t, c.SkipReason, c.ID)
				} else {
					assert.Empty(t, c.SkipReason, c.ID)
				}
				if r.Case.NotInContract != "" {
					assert.Equal(t, check.Skipped, c.Verdict, "%s: never passed", c.ID)
					assert.Equal(t, check.NotInContract, c.SkipReason, c.ID)
					assert.Equal(t, r.Case.NotInContract, c.NotInContract, c.ID)
					assert.Zero(t, c.Requests, c.ID)
				} else {
					assert.Empty(t, c.NotInContract, c.ID)
				}
			}
		})
	}
}

// The JSON written validates and reads back through ReadJSON (the schema
// of version 2).
func TestJSONReportV2ReadsBack(t *testing.T) {
	run, _ := contractRun(t, "openrouter", "openrouter")
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, reports.WriteFormat("json", path, reports.Input{Report: reports.FleetOfOne(run)}))
	rep, err := reports.ReadJSON(path)
	require.NoError(t, err)
	assert.Equal(t, reports.BuildJSON(run).Summary, rep.Summary)
	assert.Equal(t, "openrouter", rep.Contract.Name)
}

// The schema holds what version 2 promises: a case not in the contract is
// a skip, never a pass; skip_reason is on skipped cases only and typed;
// the contract is named.
func TestReportSchemaRefusesBrokenPromises(t *testing.T) {
	schema := compiledReportSchema(t)
	run, _ := contractRun(t, "openrouter", "openrouter")
	valid, err := json.Marshal(reports.BuildJSON(run))
	require.NoError(t, err)
	firstCase := func(doc map[string]any, pred func(c map[string]any) bool) map[string]any {
		for _, c := range doc["cases"].([]any) {
			if m := c.(map[string]any); pred(m) {
				return m
			}
		}
		t.Fatal("no such case")
		return nil
	}
	nic := func(c map[string]any) bool { return c["not_in_contract"] != nil }
	passed := func(c map[string]any) bool { return c["verdict"] == "passed" }
	tests := []struct {
		name   string
		change func(doc map[string]any)
	}{
		{"a case not in the contract passed", func(doc map[string]any) {
			c := firstCase(doc, nic)
			c["verdict"] = "passed"
			delete(c, "skip_reason")
		}},
		{"a case not in the contract skipped for another reason", func(doc map[string]any) { firstCase(doc, nic)["skip_reason"] = "fixture-missing" }},
		{"a case not in the contract that sent requests", func(doc map[string]any) { firstCase(doc, nic)["requests_sent"] = 1 }},
		{"not-in-contract without saying why", func(doc map[string]any) { delete(firstCase(doc, nic), "not_in_contract") }},
		{"a skip without a reason", func(doc map[string]any) { delete(firstCase(doc, nic), "skip_reason") }},
		{"a skip reason on a passed case", func(doc map[string]any) { firstCase(doc, passed)["skip_reason"] = "not-run" }},
		{"an untyped skip reason", func(doc map[string]any) { firstCase(doc, nic)["skip_reason"] = "not in this contract" }},
		{"a free-text key in skipped_by_reason", func(doc map[string]any) {
			doc["summary"].(map[string]any)["skipped_by_reason"] = map[string]any{"fixture not configured: fixtures.slow_model": 1}
		}},
		{"no not_in_contract count", func(doc map[string]any) { delete(doc["summary"].(map[string]any), "not_in_contract") }},
		{"an unnamed contract", func(doc map[string]any) { delete(doc["contract"].(map[string]any), "name") }},
		{"an empty contract name", func(doc map[string]any) { doc["contract"].(map[string]any)["name"] = "" }},
		{"status 0 on a case in the contract", func(doc map[string]any) {
			firstCase(doc, passed)["expect"].(map[string]any)["status"] = 0
		}},
		{"version 1", func(doc map[string]any) { doc["schema_version"] = "1" }},
	}
	require.NoError(t, schema.Validate(reportDoc(t, json.RawMessage(valid))))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			require.NoError(t, json.Unmarshal(valid, &doc))
			tt.change(doc)
			assert.Error(t, schema.Validate(reportDoc(t, doc)))
		})
	}
}

// The schema's verdict and skip_reason enums list exactly check's verdicts
// and skip reasons, each described in check.VerdictTable's words.
func TestReportSchemaEnumsAreChecksVerdictTable(t *testing.T) {
	var schema struct {
		Defs map[string]struct {
			Enum             []string `json:"enum"`
			EnumDescriptions []string `json:"enumDescriptions"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(spec.ReportSchema(), &schema))
	var verdicts, verdictText, reasons, reasonText []string
	for _, m := range check.VerdictTable() {
		text := m.Meaning + "; exit code " + m.Exit
		if reason, ok := strings.CutPrefix(m.Name, "skipped: "); ok {
			reasons, reasonText = append(reasons, reason), append(reasonText, text)
			continue
		}
		verdicts, verdictText = append(verdicts, m.Name), append(verdictText, text)
	}
	tests := []struct {
		def        string
		want, text []string
	}{
		{"verdict", verdicts, verdictText},
		{"skip_reason", reasons, reasonText},
	}
	for _, tt := range tests {
		t.Run(tt.def, func(t *testing.T) {
			def, ok := schema.Defs[tt.def]
			require.True(t, ok, "$defs/%s", tt.def)
			assert.Equal(t, tt.want, def.Enum, "spec/report.schema.json $defs/%s enum, in check.VerdictTable's order", tt.def)
			assert.Equal(t, tt.text, def.EnumDescriptions, "spec/report.schema.json $defs/%s enumDescriptions: copy check.VerdictTable's words", tt.def)
		})
	}
}

func TestSummarizeCountsByTypedReason(t *testing.T) {
	nic := suites.Case{ID: "a/nic", NotInContract: "the contract x has no POST /files"}
	plain := suites.Case{ID: "a/b"}
	tests := []struct {
		name    string
		results []suites.Result
		want    reports.Summary
	}{
		{"typed reasons", []suites.Result{
			{Case: nic, Verdict: check.Skipped, Skip: check.NotInContract, Reason: "not in this contract: the contract x has no POST /files"},
			{Case: nic, Verdict: check.Skipped, Skip: check.NotInContract, Reason: "not in this contract: the contract x has no POST /files"},
			{Case: plain, Verdict: check.Skipped, Skip: check.FixtureMissing, Reason: "fixture not configured: fixtures.model", Missing: []string{"model"}},
			{Case: plain, Verdict: check.Passed},
		}, reports.Summary{Total: 4, Passed: 1, Skipped: 3, NotInContract: 2, Judged: 1,
			SkippedByFixture: map[string]int{"model": 1}, SkippedByReason: map[string]int{"not-in-contract": 2, "fixture-missing": 1}}},
		{"untyped reasons are read from their words", []suites.Result{
			{Case: plain, Verdict: check.Skipped, Reason: "not run: the request budget (3 requests) is spent (after 0 of its requests)"},
			{Case: plain, Verdict: check.Skipped, Reason: "the key travels in another header"},
		}, reports.Summary{Total: 2, Skipped: 2,
			SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{"not-run": 1, "not-applicable": 1}}},
		{"nothing skipped", []suites.Result{{Case: plain, Verdict: check.Failed}, {Case: plain, Verdict: check.Waived}}, reports.Summary{Total: 2, Failed: 1, Waived: 1, Judged: 2,
			SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, reports.Summarize(tt.results))
		})
	}
}

func TestWriteSummaryCountsNotInContractApart(t *testing.T) {
	tests := []struct {
		name      string
		summary   reports.Summary
		want, not []string
	}{
		{"nothing skipped",
			reports.Summary{Total: 40, Passed: 40, Judged: 40},
			[]string{"40 cases in 337ms (165 requests), judged 40 of 40 selected: 40 passed, 0 failed, 0 warned, 0 skipped, 0 errored\n"},
			[]string{"not in this contract", "not run", "fixtures."}},
		{"cases not in the contract",
			reports.Summary{Total: 40, Passed: 20, Skipped: 20, NotInContract: 18, SkippedByFixture: map[string]int{"slow_model": 2},
				SkippedByReason: map[string]int{"not-in-contract": 18, "fixture-missing": 2}},
			[]string{"20 skipped (18 not in this contract), 0 errored", "   18 not in this contract: listed in the reports, never run, never passed\n",
				"    2 skipped for want of fixtures.slow_model\n"},
			[]string{"not run"}},
		{"the budget spent",
			reports.Summary{Total: 20, Passed: 10, Skipped: 10, Waived: 1, SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{"not-run": 10}},
			[]string{"10 skipped, 0 errored, 1 waived\n", "   10 not run: the request budget (--max-requests) was spent\n"},
			[]string{"not in this contract"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, reports.WriteSummary(&out, tt.summary, 337*time.Millisecond, 165))
			for _, want := range tt.want {
				assert.Contains(t, out.String(), want)
			}
			for _, not := range tt.not {
				assert.NotContains(t, out.String(), not)
			}
		})
	}
}

func TestMarkdownShowsNotInContractAsSkips(t *testing.T) {
	tests := []struct {
		builtin   string
		want, not []string
	}{
		{"openrouter", []string{"contract openrouter ", "skipped (107 not in this contract)", "- the contract openrouter has no POST /files: ",
			"| status | code | cases |\n", "| 400 | \\(code = status\\) | ❌ 40 |", "⏭️ 3 cells skipped", "not in this contract have no cell"},
			[]string{"| 404 |", "| 410 |", "invalid_api_key", "| type |"}},
		{"aiand", []string{"contract aiand ", "| status | type | code | cases |", "| 400 | invalid_request_error | `invalid_value` | ❌ 21 |", "✅ 12 cells passed",
			"`fixtures.slow_model`: 1 case\n"},
			[]string{"not in this contract", "| 408 |", `\(code = status\)`}},
	}
	for _, tt := range tests {
		t.Run(tt.builtin, func(t *testing.T) {
			run, contract := contractRun(t, tt.builtin, tt.builtin)
			var buf bytes.Buffer
			require.NoError(t, reports.RenderMarkdown(&buf, reports.BuildJSON(run), contract))
			if n := countNotInContract(run.Results); n > 0 {
				assert.Contains(t, buf.String(), fmt.Sprintf("### ⏭️ %d not in this contract", n))
			}
			for _, want := range tt.want {
				assert.Contains(t, buf.String(), want)
			}
			for _, not := range tt.not {
				assert.NotContains(t, buf.String(), not)
			}
		})
	}
}

func TestCTRFShowsNotInContractAsSkips(t *testing.T) {
	run, _ := contractRun(t, "openrouter", "openrouter")
	doc := reports.BuildCTRF(reports.FleetOfOne(run))
	nic := countNotInContract(run.Results)
	assert.Equal(t, nic+3, doc.Results.Summary.Skipped)
	assert.Equal(t, nic, doc.Results.Summary.Extra["not_in_contract"])
	assert.Contains(t, doc.Results.Environment.ReportName, "openrouter")
	for i, test := range doc.Results.Tests {
		r := run.Results[i]
		want := map[check.Verdict]string{check.Passed: "passed", check.Failed: "failed", check.Skipped: "skipped"}[r.Verdict]
		assert.Equal(t, want, test.Status, test.Name)
		switch {
		case r.Case.NotInContract != "":
			assert.Equal(t, "not in this contract: "+r.Case.NotInContract, test.Message, test.Name)
			assert.Equal(t, check.NotInContract, test.Extra["skip_reason"], test.Name)
		case r.Verdict == check.Skipped:
			assert.Equal(t, r.Reason, test.Message, test.Name)
			assert.Equal(t, r.Skip, test.Extra["skip_reason"], test.Name)
		default:
			assert.NotContains(t, test.Extra, "skip_reason", test.Name)
		}
	}
}

func TestJUnitShowsNotInContractAsSkips(t *testing.T) {
	run, _ := contractRun(t, "openrouter", "openrouter")
	path := filepath.Join(t.TempDir(), "junit.xml")
	require.NoError(t, reports.WriteFormat("junit", path, reports.Input{Report: reports.FleetOfOne(run)}))
	doc := readJUnit(t, path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Len(t, doc.TestSuites, 1)
	suite := doc.TestSuites[0]
	nic := countNotInContract(run.Results)
	assert.Equal(t, nic+3, suite.Skipped)
	assert.Equal(t, 1, suite.Failures)
	props := map[string]string{}
	for _, p := range suite.Properties.Properties {
		props[p.Name] = p.Value
	}
	assert.Equal(t, "openrouter "+run.ContractVersion, props["errconform.contract"])
	assert.Equal(t, strconv.Itoa(nic), props["errconform.not_in_contract"])
	for i, tc := range suite.TestCases {
		r := run.Results[i]
		if r.Case.NotInContract == "" {
			continue
		}
		require.NotNil(t, tc.Skipped, "%s is a skip, never a pass", tc.Name)
		var want strings.Builder
		require.NoError(t, xml.EscapeText(&want, []byte("not in this contract: "+r.Case.NotInContract)))
		assert.Contains(t, string(data), "<skipped>"+want.String()+"</skipped>", "the reason is the skipped element's text: %s", tc.Name)
		assert.Nil(t, tc.Failure, tc.Name)
	}
	// runner's TestEveryContractEndToEnd validates such a report against
	// the Jenkins JUnit XSD.
}

func TestOpenRouterRunAgainstTheReference(t *testing.T) {
	contract, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	cases, err := suites.For(contract)
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond})
	srv := httptest.NewServer(ref)
	defer srv.Close()
	cfg := ref.Config(srv.URL + "/v1")
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
	require.NoError(t, err)
	defer client.Close()
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
	var results []suites.Result
	for _, c := range cases {
		results = append(results, suites.Execute(context.Background(), c, target, false))
	}
	run := reports.Run{ToolVersion: "0.0.0-test", ContractName: contract.Name, ContractVersion: contract.Version, BaseURL: cfg.Target.BaseURL,
		Started: time.Now(), Results: results, Redactor: target.Redactor}
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, reports.WriteFormat("json", path, reports.Input{Report: reports.FleetOfOne(run)}))
	rep, err := reports.ReadJSON(path)
	require.NoError(t, err, "the report of a real OpenRouter run validates")
	assert.Equal(t, countNotInContract(results), rep.Summary.NotInContract)
	assert.Positive(t, rep.Summary.NotInContract)
	for _, c := range rep.Cases {
		if c.NotInContract != "" {
			assert.Equal(t, check.Skipped, c.Verdict, c.ID)
			assert.Zero(t, c.Requests, c.ID)
		}
	}
}

// TestDiffReadsVersion1 diffs a version 1 report (as errconform 0.1 wrote
// it: no skip_reason, skipped_by_reason keyed by words, a contract without
// a name) against the report of an OpenRouter run (a fleet of one).
func TestDiffReadsVersion1(t *testing.T) {
	old, err := reports.ReadJSON(filepath.Join("testdata", "report-v1.json"))
	require.NoError(t, err)
	assert.Equal(t, "1", old.SchemaVersion, "the version read stays on record")
	assert.Equal(t, reports.ContractInfo{Name: "aiand", Version: "2026-11"}, old.Contract, "version 1 knew one contract, built in since as aiand")
	assert.Equal(t, map[string]int{"fixture-missing": 1, "not-run": 1}, old.Summary.SkippedByReason, "re-keyed by typed reason")
	assert.Zero(t, old.Summary.NotInContract)
	wantSkip := map[string]check.SkipReason{"upstream/slow-model": check.FixtureMissing, "ratelimit/burst": check.NotRun}
	for _, c := range old.Cases {
		assert.Equal(t, wantSkip[c.ID], c.SkipReason, c.ID)
	}

	// The same cases under OpenRouter: the unknown key now fails, the
	// invalid role is fixed, files are not in the contract, the slow model
	// is configured and passes, the burst is still unrun.
	contract, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	cases, err := suites.For(contract)
	require.NoError(t, err)
	byID := map[string]suites.Case{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	var results []suites.Result
	for _, c := range old.Cases {
		nc, ok := byID[c.ID]
		require.True(t, ok, "%s is in the catalogue", c.ID)
		r := suites.Result{Case: nc, Verdict: check.Passed}
		if d, decided := check.Before(check.Preconditions{NotInContract: nc.NotInContract}); decided {
			r.Verdict, r.Skip, r.Reason = d.Verdict, d.Skip, d.Reason
		}
		switch c.ID {
		case "auth/unknown-key/chat":
			r.Verdict = check.Failed
			r.Findings = []check.Finding{{Rule: "status", Severity: check.Must, Expected: "401", Actual: "200", Message: "expected 401, got 200"}}
		case "ratelimit/burst":
			r.Verdict, r.Skip, r.Reason = check.Skipped, check.NotRun, "not run: the request budget (6 requests) is spent (after 0 of its requests)"
		}
		results = append(results, r)
	}
	require.NotEmpty(t, byID["files/unknown-id/files-get"].NotInContract, "files are not in OpenRouter's contract")
	newPath := filepath.Join(t.TempDir(), "new.json")
	run := reports.Run{ToolVersion: "0.2.0", ContractName: contract.Name, ContractVersion: contract.Version, BaseURL: old.Target.BaseURL,
		Started: time.Now(), Results: results, Redactor: redact.New()}
	require.NoError(t, reports.WriteFormat("json", newPath, reports.Input{Report: reports.FleetOfOne(run)}))
	current, err := reports.ReadJSON(newPath)
	require.NoError(t, err)
	require.Equal(t, reports.FleetSchemaVersion, current.SchemaVersion, "a single target's report is a fleet of one")

	d := reports.Compare(old, current)
	ids := func(changes []reports.Change) []string {
		out := []string{}
		for _, c := range changes {
			out = append(out, c.ID)
		}
		return out
	}
	assert.Equal(t, []string{"auth/unknown-key/chat"}, ids(d.Regressions))
	assert.Equal(t, []string{"request/invalid-role"}, ids(d.Fixes))
	assert.Equal(t, []string{"files/unknown-id/files-get", "upstream/slow-model"}, ids(d.OtherChanges))
	assert.Equal(t, []string{"files/unknown-id/files-get"}, d.NowNotInContract)
	assert.Equal(t, "not in this contract: "+byID["files/unknown-id/files-get"].NotInContract, d.OtherChanges[0].Detail)
	assert.Equal(t, "aiand 2026-11 -> openrouter "+contract.Version, d.Contracts)
	assert.Empty(t, d.Added)
	assert.Empty(t, d.Removed)
	assert.True(t, d.HasRegression())

	var out bytes.Buffer
	d.WriteText(&out, "v1.json", "v2.json")
	assert.Contains(t, out.String(), "judged against different contracts: aiand 2026-11 -> openrouter")
	assert.Contains(t, out.String(), "Now not in this contract (1; skipped, never run): files/unknown-id/files-get")
	assert.Contains(t, out.String(), "1 regressions, 1 fixed, 0 failing differently, 2 other changes, 0 new, 0 removed")

	// And the other way round: a version 2 report against a version 1 one.
	back := reports.Compare(current, old)
	assert.Equal(t, []string{"request/invalid-role"}, ids(back.Regressions))
	assert.Empty(t, back.NowNotInContract)
}

func TestReadJSONVersions(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("testdata", "report-v1.json"))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(v1, &doc))
	withVersion := func(v any) string {
		doc["schema_version"] = v
		data, err := json.Marshal(doc)
		require.NoError(t, err)
		return string(data)
	}
	v1WithName := func() string {
		doc["schema_version"] = "1"
		doc["contract"] = map[string]any{"name": "aiand", "version": "2026-11"}
		data, err := json.Marshal(doc)
		require.NoError(t, err)
		doc["contract"] = map[string]any{"version": "2026-11"}
		return string(data)
	}
	tests := []struct {
		name, content, wantErr string
	}{
		{"version 1", withVersion("1"), ""},
		{"version 1 judged by version 2's schema", withVersion("2"), "is not a valid errconform JSON report"},
		{"version 3 (a fleet's) without targets", withVersion("3"), "is not a valid errconform JSON report"},
		{"version 4", withVersion("4"), `has schema_version "4"; this errconform reads "1", "2" and "3"`},
		{"version 0", withVersion("0"), `schema_version "0"`},
		{"a version 2 field in version 1", v1WithName(), "additional properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "r.json")
			require.NoError(t, os.WriteFile(p, []byte(tt.content), 0o600))
			_, err := reports.ReadJSON(p)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
	assert.Equal(t, []string{"1", reports.SchemaVersion, reports.FleetSchemaVersion}, reports.ReadableSchemaVersions())
}
