package metrics_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/metrics"
	"github.com/errconform/errconform/reports"
)

var started = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

// smallReport is a hand-made report with one case of each kind.
func smallReport() reports.JSONReport {
	return reports.JSONReport{
		Contract:   reports.ContractInfo{Name: "aiand", Version: "2026-11"},
		StartedAt:  started,
		DurationMS: 1500,
		Cases: []reports.CaseReport{
			{ID: "control/models-list", Group: "control", Expect: check.Expectation{Status: 200}, Verdict: check.Passed},
			{ID: "auth/unknown-key/chat", Group: "auth", Expect: check.Expectation{Status: 401, Code: "invalid_api_key"}, Verdict: check.Failed,
				Findings: []check.Finding{{Rule: "type", Severity: check.Must}, {Rule: "type", Severity: check.Must}, {Rule: "single-member", Severity: check.Should}}},
			{ID: "ratelimit/burst", Group: "ratelimit", Expect: check.Expectation{Status: 429, Code: "rate_limit_exceeded"}, Verdict: check.Warned,
				Findings: []check.Finding{{Rule: "retry-after", Severity: check.Should}}},
			{ID: "files/upload", Group: "files", Verdict: check.Skipped, SkipReason: check.NotInContract, NotInContract: "no POST /files"},
			{ID: "upstream/slow-model", Group: "upstream", Expect: check.Expectation{Status: 504}, Verdict: check.Errored},
			{ID: "request/malformed-json", Group: "request", Expect: check.Expectation{Status: 400}, Verdict: check.Waived,
				Findings: []check.Finding{{Rule: "type", Severity: check.Must}}},
			{ID: "explore/chat/temperature/above-maximum", Group: "explore", Labels: []string{"explore", "field:temperature", "constraint:above-maximum"},
				Expect: check.Expectation{Status: 400}, Verdict: check.Failed, Findings: []check.Finding{{Rule: "status", Severity: check.Must}}},
			{ID: "explore/chat/temperature/above-maximum/stream", Group: "explore", Labels: []string{"explore", "field:temperature", "constraint:above-maximum", "stream"},
				Expect: check.Expectation{Status: 400, Stream: true}, Verdict: check.Passed},
			// No labels: field and constraint come from the ID, its "-2" suffix dropped.
			{ID: "explore/chat/tools.0.function.name/wrong-type-2", Group: "explore", Expect: check.Expectation{Status: 400}, Verdict: check.Passed},
			{ID: "explore/chat/temperature/valid-maximum", Group: "explore", Labels: []string{"explore", "field:temperature", "constraint:valid"},
				Expect: check.Expectation{Status: 200}, Verdict: check.Passed},
		},
	}
}

func TestTextfileHoldsTheRunsExactNumbers(t *testing.T) {
	finished := started.Add(2 * time.Second)
	named := smallReport()
	named.Settings = &reports.Settings{Name: "eu-west"}
	tests := []struct {
		name     string
		run      metrics.Run
		target   string
		finished float64
	}{
		{"unnamed target is default, finish from the report", metrics.Run{Report: smallReport()}, "default", float64(started.Unix()) + 1.5},
		{"named target, explicit finish", metrics.Run{Target: "staging", Report: smallReport(), Finished: finished}, "staging", float64(finished.Unix())},
		{"target from the report's settings", metrics.Run{Report: named, Finished: finished}, "eu-west", float64(finished.Unix())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := textfileSeries(t, []metrics.Run{tt.run})
			l := func(extra string) string {
				s := fmt.Sprintf(`contract="aiand",target=%q`, tt.target)
				if extra != "" {
					s += "," + extra
				}
				return s
			}
			// Labels sort by name: case, code, contract, group, status, target, verdict.
			cv := func(id, code, group, status, verdict string) string {
				return fmt.Sprintf(`errconform_case_verdict{case=%q,code=%q,contract="aiand",group=%q,status=%q,target=%q,verdict=%q}`, id, code, group, status, tt.target, verdict)
			}
			ex := func(field, constraint, verdict string) string {
				return fmt.Sprintf(`errconform_explore_variants{constraint=%q,contract="aiand",field=%q,target=%q,verdict=%q}`, constraint, field, tt.target, verdict)
			}
			rf := func(rule string) string {
				return key("errconform_rule_failures", map[string]string{"target": tt.target, "contract": "aiand", "rule": rule})
			}
			want := series{
				cv("control/models-list", "", "control", "200", "passed"):                  1,
				cv("auth/unknown-key/chat", "invalid_api_key", "auth", "401", "failed"):    1,
				cv("ratelimit/burst", "rate_limit_exceeded", "ratelimit", "429", "warned"): 1,
				cv("files/upload", "", "files", "", "skipped"):                             1,
				cv("upstream/slow-model", "", "upstream", "504", "errored"):                1,
				cv("request/malformed-json", "", "request", "400", "waived"):               1,
				"errconform_cases{" + l(`verdict="passed"`) + "}":                          4,
				"errconform_cases{" + l(`verdict="failed"`) + "}":                          2,
				"errconform_cases{" + l(`verdict="warned"`) + "}":                          1,
				"errconform_cases{" + l(`verdict="skipped"`) + "}":                         1,
				"errconform_cases{" + l(`verdict="errored"`) + "}":                         1,
				"errconform_cases{" + l(`verdict="waived"`) + "}":                          1,
				"errconform_not_in_contract_cases{" + l("") + "}":                          1,
				"errconform_run_duration_seconds{" + l("") + "}":                           1.5,
				"errconform_last_run_timestamp_seconds{" + l("") + "}":                     tt.finished,
				`errconform_contract_info{` + l(`version="2026-11"`) + "}":                 1,
			}
			for _, v := range metrics.Verdicts() {
				want[ex("temperature", "above-maximum", string(v))] = 0
				want[ex("temperature", "valid", string(v))] = 0
				want[ex("tools", "wrong-type", string(v))] = 0
			}
			want[ex("temperature", "above-maximum", "failed")] = 1
			want[ex("temperature", "above-maximum", "passed")] = 1
			want[ex("temperature", "valid", "passed")] = 1
			want[ex("tools", "wrong-type", "passed")] = 1
			for _, r := range check.Rules() {
				want[rf(r.ID)] = 0
			}
			// A case counts once per rule, however many findings of it; waived cases count.
			want[rf("type")] = 2
			want[rf("single-member")] = 1
			want[rf("retry-after")] = 1
			want[rf("status")] = 1
			assert.Equal(t, want, got)
			assert.Len(t, got, metrics.SeriesPerRun(6, 3), "the documented formula: 6 cases, 3 explore pairs")
		})
	}
}

func TestTextfileMatchesAReferenceRun(t *testing.T) {
	tests := []struct {
		contract   string
		mutant     string // "" for the reference as it is
		wantFailed bool
	}{
		{"aiand", "", false},
		{"openrouter", "", false},
		{"aiand", "text-plain-errors", true},
		{"openrouter", "text-plain-errors", true},
	}
	for _, tt := range tests {
		t.Run(tt.contract+"/"+tt.mutant, func(t *testing.T) {
			wrap := identity
			if tt.mutant != "" {
				wrap = mutant(t, tt.mutant)
			}
			rep := runReference(t, builtin(t, tt.contract), wrap, false)
			require.NotEmpty(t, rep.Cases)
			assert.Equal(t, tt.wantFailed, rep.Summary.Failed > 0, "failures in the report: %+v", rep.Summary)
			finished := time.Now()
			got := textfileSeries(t, []metrics.Run{{Target: "reference", Report: rep, Finished: finished}})
			assert.Equal(t, expectedSeries(rep, "reference"), withoutTimestamps(got))
			assert.InDelta(t, float64(finished.UnixMilli())/1000, got[`errconform_last_run_timestamp_seconds{contract="`+tt.contract+`",target="reference"}`], 0.002)
			assert.Len(t, got, metrics.SeriesPerRun(len(rep.Cases), 0))
			t.Logf("%d cases: %d series", len(rep.Cases), len(got))
		})
	}
}

func TestExploreVariantsGetNoSeriesOfTheirOwn(t *testing.T) {
	rep := runReference(t, builtin(t, "aiand"), identity, true)
	explore, pairs := 0, map[string]bool{}
	for _, c := range rep.Cases {
		if metrics.IsExplore(c.ID) {
			explore++
			pairs[fmt.Sprint(c.Labels)] = true
		}
	}
	require.Positive(t, explore, "the run has explore variants")
	got := textfileSeries(t, []metrics.Run{{Target: "reference", Report: rep}})
	for k := range only(got, "errconform_case_verdict") {
		assert.NotContains(t, k, `case="explore/`)
	}
	// Every case is counted: per-case series for the catalogue, the
	// aggregate for explore.
	variants := only(got, "errconform_explore_variants")
	sum := 0.0
	fields := map[string]bool{}
	for k, v := range variants {
		sum += v
		_, rest, _ := strings.Cut(k, `field="`)
		field, _, _ := strings.Cut(rest, `"`)
		fields[field] = true
		constraint := k[strings.Index(k, `constraint="`)+len(`constraint="`):]
		constraint = constraint[:strings.Index(constraint, `"`)]
		assert.Contains(t, metrics.ExploreConstraints(), constraint, k)
	}
	assert.Equal(t, float64(explore), sum)
	assert.Equal(t, len(rep.Cases)-explore, len(only(got, "errconform_case_verdict")))
	assert.LessOrEqual(t, len(fields), 15, "at most the core fields: %v", fields)
	want := expectedSeries(rep, "reference")
	assert.Equal(t, want, without(withoutTimestamps(got), "errconform_explore_variants"))
	assert.Len(t, got, metrics.SeriesPerRun(len(rep.Cases)-explore, len(variants)/6))
	assert.LessOrEqual(t, len(variants)/6, len(fields)*len(metrics.ExploreConstraints()))
	t.Logf("%d catalogue cases, %d explore variants in %d (field, constraint) pairs: %d series", len(rep.Cases)-explore, explore, len(variants)/6, len(got))
}

// generated is a report of n catalogue cases and m explore variants over
// pairs (field, constraint) pairs.
func generated(n, m, pairs int) reports.JSONReport {
	rep := reports.JSONReport{Contract: reports.ContractInfo{Name: "aiand", Version: "2026-11"}, StartedAt: started, DurationMS: 10}
	verdicts := metrics.Verdicts()
	for i := 0; i < n; i++ {
		rep.Cases = append(rep.Cases, reports.CaseReport{ID: fmt.Sprintf("group%d/case%d", i%7, i), Group: fmt.Sprintf("group%d", i%7),
			Expect: check.Expectation{Status: 400 + i%30}, Verdict: verdicts[i%len(verdicts)]})
	}
	constraints := metrics.ExploreConstraints()
	for i := 0; i < m; i++ {
		p := i % pairs
		field, constraint := fmt.Sprintf("field%d", p/len(constraints)), constraints[p%len(constraints)]
		rep.Cases = append(rep.Cases, reports.CaseReport{ID: fmt.Sprintf("explore/chat/%s/%s/%d", field, constraint, i), Group: "explore",
			Labels: []string{"explore", "field:" + field, "constraint:" + constraint}, Verdict: verdicts[i%len(verdicts)]})
	}
	return rep
}

func TestCardinalityIsTheDocumentedFormula(t *testing.T) {
	rules := len(check.Rules())
	tests := []struct {
		name                   string
		targets, cases         int
		variants, explorePairs int
	}{
		{"no cases", 1, 0, 0, 0},
		{"one case", 1, 1, 0, 0},
		{"a catalogue", 1, 120, 0, 0},
		{"a big catalogue", 1, 2000, 0, 0},
		{"explore variants aggregate", 1, 50, 5000, 40},
		{"three targets", 3, 120, 300, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var runs []metrics.Run
			for i := 0; i < tt.targets; i++ {
				runs = append(runs, metrics.Run{Target: fmt.Sprintf("t%d", i), Report: generated(tt.cases, tt.variants, max(tt.explorePairs, 1))})
			}
			got := textfileSeries(t, runs)
			perTarget := tt.cases + 6 + rules + 4 + 6*tt.explorePairs
			assert.Equal(t, perTarget, metrics.SeriesPerRun(tt.cases, tt.explorePairs))
			assert.Len(t, got, tt.targets*perTarget)
			assert.Len(t, only(got, "errconform_case_verdict"), tt.targets*tt.cases, "one series per case, none per explore variant")
		})
	}
}

func TestRegistryRefusesAmbiguousRuns(t *testing.T) {
	dupCase := smallReport()
	dupCase.Cases = append(dupCase.Cases, dupCase.Cases[0])
	badVerdict := smallReport()
	badVerdict.Cases[0].Verdict = "exploded"
	badRule := smallReport()
	badRule.Cases[1].Findings = append(badRule.Cases[1].Findings, check.Finding{Rule: "no-such-rule", Severity: check.Must})
	tests := []struct {
		name string
		runs []metrics.Run
		want string
	}{
		{"one target twice under one contract", []metrics.Run{{Report: smallReport()}, {Target: "default", Report: smallReport()}}, `both target "default" under contract "aiand"`},
		{"a case twice", []metrics.Run{{Report: dupCase}}, "control/models-list is reported twice"},
		{"an unknown verdict", []metrics.Run{{Report: badVerdict}}, `verdict "exploded"`},
		{"an unknown rule", []metrics.Run{{Report: badRule}}, `rule "no-such-rule"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := metrics.Registry(tt.runs)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestOneTargetUnderTwoContractsIsTwoRuns(t *testing.T) {
	other := smallReport()
	other.Contract = reports.ContractInfo{Name: "openrouter", Version: "2026-10"}
	got := textfileSeries(t, []metrics.Run{{Target: "prod", Report: smallReport()}, {Target: "prod", Report: other}})
	assert.Len(t, got, 2*metrics.SeriesPerRun(6, 3))
	assert.Equal(t, 1.0, got[`errconform_contract_info{contract="openrouter",target="prod",version="2026-10"}`])
	assert.Equal(t, 1.0, got[`errconform_contract_info{contract="aiand",target="prod",version="2026-11"}`])
}

func TestEachRegistryIsNew(t *testing.T) {
	first := textfileSeries(t, []metrics.Run{{Target: "a", Report: smallReport()}})
	second := textfileSeries(t, []metrics.Run{{Target: "b", Report: smallReport()}})
	for k := range second {
		assert.NotContains(t, k, `target="a"`, "nothing of the first registry leaks into the second")
	}
	assert.Len(t, second, len(first))
}

func TestHandlerServesTheLatestRuns(t *testing.T) {
	var runs []metrics.Run
	srv := httptest.NewServer(metrics.Handler(func() []metrics.Run { return runs }))
	t.Cleanup(srv.Close)
	scrape := func(t *testing.T) (*http.Response, series) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp, nil
		}
		fams := map[string]*dto.MetricFamily{}
		dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
		for {
			var mf dto.MetricFamily
			if err := dec.Decode(&mf); err != nil {
				break
			}
			fams[mf.GetName()] = &mf
		}
		return resp, flatten(t, fams, "errconform_")
	}
	tests := []struct {
		name       string
		runs       []metrics.Run
		wantStatus int
		wantSeries int
	}{
		{"no run yet", nil, http.StatusOK, 0},
		{"one target", []metrics.Run{{Target: "a", Report: smallReport()}}, http.StatusOK, metrics.SeriesPerRun(6, 3)},
		{"two targets", []metrics.Run{{Target: "a", Report: smallReport()}, {Target: "b", Report: smallReport()}}, http.StatusOK, 2 * metrics.SeriesPerRun(6, 3)},
		{"ambiguous runs", []metrics.Run{{Target: "a", Report: smallReport()}, {Target: "a", Report: smallReport()}}, http.StatusInternalServerError, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs = tt.runs
			resp, got := scrape(t)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Len(t, got, tt.wantSeries)
		})
	}
}

// A run with a baseline has its findings and cases per class; one
// without has no such series.
func TestBaselineClassesAreSeries(t *testing.T) {
	rep := smallReport()
	rep.Baseline = &reports.TargetBaseline{Report: "prod.json", Target: "prod", FailOn: check.FailOnNew,
		Summary: check.ClassSummary{Cases: map[check.Class]int{check.New: 1, check.Inherited: 4}, Findings: check.ClassCounts{New: 2, Inherited: 5, Fixed: 3}}}
	got := textfileSeries(t, []metrics.Run{{Target: "gw", Report: rep}})
	want := map[string]float64{
		`errconform_baseline_findings{class="new",contract="aiand",target="gw"}`:       2,
		`errconform_baseline_findings{class="inherited",contract="aiand",target="gw"}`: 5,
		`errconform_baseline_findings{class="fixed",contract="aiand",target="gw"}`:     3,
		`errconform_baseline_cases{class="new",contract="aiand",target="gw"}`:          1,
		`errconform_baseline_cases{class="inherited",contract="aiand",target="gw"}`:    4,
		`errconform_baseline_cases{class="fixed",contract="aiand",target="gw"}`:        0,
	}
	for k, v := range want {
		assert.Equal(t, v, got[k], k)
		assert.Contains(t, got, k)
	}
	for k := range textfileSeries(t, []metrics.Run{{Target: "gw", Report: smallReport()}}) {
		assert.NotContains(t, k, "errconform_baseline_", "no baseline: no baseline series")
	}
}
