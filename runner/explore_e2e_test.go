package runner_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// coreVariants are the explore variants of the core set under the default
// contract: what explore sends without an explore section in the config.
func coreVariants(t *testing.T) []suites.Case {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	rs, err := spec.DefaultRequestSchemas()
	require.NoError(t, err)
	variants, err := suites.ExploreFor(contract, rs, suites.ExploreSelection{})
	require.NoError(t, err)
	require.NotEmpty(t, variants)
	return variants
}

// label is the value of a case's "name:value" label.
func label(c suites.Case, name string) string {
	for _, l := range c.Labels {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

// perField counts variants per top-level field, and per field and
// constraint.
func perField(variants []suites.Case) (fields map[string]int, constraints map[string]map[string]int) {
	fields, constraints = map[string]int{}, map[string]map[string]int{}
	for _, v := range variants {
		f, c := label(v, "field"), label(v, "constraint")
		fields[f]++
		if constraints[f] == nil {
			constraints[f] = map[string]int{}
		}
		constraints[f][c]++
	}
	return fields, constraints
}

// assertCounts checks the per-field lines explore and list --explore
// print: "  <field>  <n>  wrong-type×2 …", one per field.
func assertCounts(t *testing.T, out string, variants []suites.Case) {
	t.Helper()
	fields, constraints := perField(variants)
	for f, n := range fields {
		line := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(f) + `\s+(\d+)\s+(.*)$`).FindStringSubmatch(out)
		require.NotNil(t, line, "a line counts the variants of %s:\n%s", f, out)
		assert.Equal(t, fmt.Sprint(n), line[1], "variants of %s", f)
		for c, k := range constraints[f] {
			assert.Contains(t, strings.Fields(line[2]), fmt.Sprintf("%s×%d", c, k), "%s: %s", f, line[0])
		}
	}
	total := regexp.MustCompile(`(?m)^\s+all fields\s+(\d+)\s`).FindStringSubmatch(out)
	require.NotNil(t, total, "a line counts every variant")
	assert.Equal(t, fmt.Sprint(len(variants)), total[1])
}

// errconform explore --target reference: the reference answers every
// variant as the contract says, and explore says how many variants it sent
// per field and constraint.
func TestExploreAgainstTheEmbeddedReference(t *testing.T) {
	variants := coreVariants(t)
	report, junitPath := filepath.Join(t.TempDir(), "explore.json"), filepath.Join(t.TempDir(), "explore.xml")
	out := errconform(t, nil, "explore", "--target", "reference", "--quiet", "--json", report, "--junit", junitPath)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	fields, _ := perField(variants)
	assert.Contains(t, out.stdout, fmt.Sprintf("Explore: %d of %d variants sent over %d fields", len(variants), len(variants), len(fields)))
	assertCounts(t, out.stdout, variants)
	assert.NotContains(t, out.stdout, "Failures by cause")

	rep := readJSONReport(t, report)
	var want []string
	for _, v := range variants {
		want = append(want, v.ID)
	}
	want = append(want, controlIDs...)
	sort.Strings(want)
	assert.Equal(t, want, reportIDs(rep), "the variants and the positive controls, nothing else")
	assert.Equal(t, rep.Summary.Total, rep.Summary.Passed)

	// Ginkgo runs a field's variants as one spec; JUnit still has one
	// testcase per variant, and none for the spec.
	assert.Equal(t, want, junitCaseNames(t, junitPath))
}

// Every field of the request schema, optional nested members too: the
// reference (whose classifier reads the schema apart from explore's
// walker) answers every variant as the contract says, so neither reads a
// form of the schema the other does not. It found a union's empty object
// refused as a missing member where explore asked for an invalid value;
// both are right, and explore now takes either.
func TestExploreEveryFieldAgainstTheEmbeddedReference(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("explore:\n  deep: true\n  fields:\n    include: [\"*\"]\n"), 0o600))
	out := errconform(t, nil, "explore", "--target", "reference", "--config", cfg, "--quiet")
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.NotContains(t, out.stdout, "Failures by cause")
	assert.Regexp(t, `all fields\s+\d{4}\s.*no-branch-matched×`, out.stdout, "a thousand variants or more, unions matched by no form among them")
}

// list --explore counts the variants per field and constraint; with
// --format json it lists them.
func TestListExplore(t *testing.T) {
	variants := coreVariants(t)
	out := errconform(t, nil, "list", "--explore")
	require.Equal(t, 0, out.code, out.stderr)
	assert.Contains(t, out.stdout, fmt.Sprintf("%d explore variants", len(variants)))
	assertCounts(t, out.stdout, variants)

	out = errconform(t, nil, "list", "--explore", "--format", "json")
	require.Equal(t, 0, out.code, out.stderr)
	var listed []struct {
		ID     string   `json:"id"`
		Labels []string `json:"labels"`
	}
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &listed))
	require.Len(t, listed, len(variants))
	for i, v := range variants {
		assert.Equal(t, v.ID, listed[i].ID)
		assert.Equal(t, v.Labels, listed[i].Labels)
	}

	out = errconform(t, nil, "list", "--explore", "--rules")
	assert.Equal(t, 2, out.code, "--explore and --rules list different things")
}

// countingReference serves the reference on 127.0.0.1, counting the
// requests it gets, and returns its config.
func countingReference(t *testing.T) (cfgPath string, requests *atomic.Int64) {
	t.Helper()
	requests = &atomic.Int64{}
	cfgPath, _ = serveReferenceWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			h.ServeHTTP(w, r)
		})
	}, nil)
	return cfgPath, requests
}

// explore --dry-run lists every variant's request and sends nothing; run
// --explore --dry-run lists the catalogue's cases and the variants.
func TestExploreDryRunSendsNothing(t *testing.T) {
	variants := coreVariants(t)
	cfgPath, requests := countingReference(t)
	tests := []struct {
		args []string
		want int // cases listed
	}{
		{[]string{"explore", "--config", cfgPath, "--dry-run"}, len(variants) + len(controlIDs)},
		{[]string{"run", "--explore", "--config", cfgPath, "--dry-run"}, len(variants) + len(suites.Catalogue())},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			out := errconform(t, nil, tt.args...)
			require.Equal(t, 0, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stdout, fmt.Sprintf("%d cases selected, nothing is sent", tt.want))
			assert.Equal(t, len(variants), strings.Count(out.stdout, "\n  SEND  explore/"), "every variant is listed")
			for _, v := range variants[:3] {
				assert.Contains(t, out.stdout, "SEND  "+v.ID+" ")
			}
		})
	}
	assert.Zero(t, requests.Load(), "a dry run sends nothing")
}

// explore keeps run's request budget: past it, variants are "not run", and
// explore says how many it sent.
func TestExploreRespectsTheRequestBudget(t *testing.T) {
	const filter = "field:temperature || field:top_p || field:presence_penalty"
	var selected []suites.Case
	for _, v := range coreVariants(t) {
		if f := label(v, "field"); f == "temperature" || f == "top_p" || f == "presence_penalty" {
			selected = append(selected, v)
		}
	}
	controls := len(controlIDs)
	budget := controls + len(selected)/2
	report := filepath.Join(t.TempDir(), "explore.json")
	out := errconform(t, nil, "explore", "--target", "reference", "--quiet", "--label-filter", filter,
		"--max-requests", fmt.Sprint(budget), "--json", report)
	require.Equal(t, 0, out.code, "variants past the budget are skipped, not failed: %s", out.stdout+out.stderr)
	rep := readJSONReport(t, report)
	assert.Equal(t, controls+len(selected), rep.Summary.Total)
	notRun, sent := 0, 0
	for _, c := range rep.Cases {
		if c.SkipReason == check.NotRun {
			notRun++
		}
		sent += c.Requests
	}
	assert.Equal(t, controls+len(selected)-budget, notRun, "every case past the budget is not run")
	assert.LessOrEqual(t, sent, budget)
	assert.Contains(t, out.stdout, fmt.Sprintf("Explore: %d of %d variants sent", budget-controls, len(selected)))
	assert.Contains(t, out.stdout, fmt.Sprintf("%d variants not sent", len(selected)-(budget-controls)))
}

// A bad explore section exits 2 naming its field, from explore, run and
// config check alike, before anything is sent.
func TestBadExploreSectionIsRefused(t *testing.T) {
	cfgPath, _ := countingReference(t)
	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	dir := t.TempDir()
	// A request schema whose selection has more variants than explore
	// makes (20,000): 20,100 top-level strings, each with its wrong type.
	var props []string
	for i := range 20100 {
		props = append(props, fmt.Sprintf(`"f%05d": {"type": "string"}`, i))
	}
	huge := filepath.Join(dir, "huge.json")
	require.NoError(t, os.WriteFile(huge, []byte(`{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
	  "components": {"schemas": {"CreateChatCompletionRequest": {"type": "object", "required": ["model", "messages"], "properties": {
	    "model": {"type": "string"}, "messages": {"type": "array", "minItems": 1, "items": {"type": "object"}}, `+strings.Join(props, ",")+`}}}}}`), 0o600))
	tests := []struct {
		name, section, field string
	}{
		{"a glob that is not one", "explore:\n  fields:\n    include: [\"[temperature\"]\n", "explore.fields.include"},
		{"an exclude glob that is not one", "explore:\n  fields:\n    exclude: [\"top_[p\"]\n", "explore.fields.exclude"},
		{"a selection matching no field", "explore:\n  fields:\n    include: [no_such_field]\n", "explore.fields"},
		{"a request schema that does not exist", "explore:\n  request_schema: " + filepath.Join(dir, "missing.json") + "\n", "explore.request_schema"},
		{"a selection with more variants than explore makes", "explore:\n  request_schema: " + huge + "\n  fields:\n    include: [\"f*\"]\n", "explore.fields"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, fmt.Sprintf("bad-%d.yaml", i))
			require.NoError(t, os.WriteFile(file, append(append([]byte(nil), data...), tt.section...), 0o600))
			// The configuration's error comes first, whatever else the
			// command line gets wrong.
			for _, args := range [][]string{{"config", "check", file}, {"explore", "--config", file}, {"run", "--config", file},
				{"explore", "--config", file, "--label-filter", "((("}} {
				out := errconform(t, nil, args...)
				assert.Equal(t, 2, out.code, "%v: %s", args, out.stdout+out.stderr)
				assert.Contains(t, out.stderr, file+": "+tt.field, "%v names the field", args)
				assert.NotContains(t, out.stdout, "PASS", "%v sends nothing", args)
			}
		})
	}
}

// clampedExplore serves the reference behind the clamp-out-of-range
// explore mutant and explores it once: its config, the JSON report and
// the IDs of the variants that failed.
func clampedExplore(t *testing.T) (cfgPath, report string, failed []string) {
	t.Helper()
	var clamp mutants.ExploreMutant
	for _, m := range mutants.ExploreMutants() {
		if m.Name == "clamp-out-of-range" {
			clamp = m
		}
	}
	require.NotNil(t, clamp.Wrap)
	cfgPath, _ = serveReferenceWith(t, clamp.Wrap, nil)
	report = filepath.Join(t.TempDir(), "first.json")
	out := errconform(t, nil, "explore", "--config", cfgPath, "--quiet", "--json", report)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	for _, c := range readJSONReport(t, report).Cases {
		if c.Verdict == check.Failed {
			failed = append(failed, c.ID)
		}
	}
	require.NotEmpty(t, failed)
	return cfgPath, report, failed
}

// explore --rerun-failed selects exactly the variants that failed (and
// the positive controls), found by walking the variants again; --case
// narrows it further.
func TestExploreRerunsTheFailedVariants(t *testing.T) {
	cfgPath, first, failed := clampedExplore(t)
	out := errconform(t, nil, "explore", "--config", cfgPath, "--rerun-failed", first, "--dry-run")
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, fmt.Sprintf("%d cases selected, nothing is sent", len(failed)+len(controlIDs)))
	assert.Equal(t, len(failed), strings.Count(out.stdout, "\n  SEND  explore/"), "the failed variants, nothing else")
	for _, id := range failed {
		assert.Contains(t, out.stdout, "SEND  "+id+" ")
	}

	again := filepath.Join(t.TempDir(), "again.json")
	out = errconform(t, nil, "explore", "--config", cfgPath, "--quiet", "--rerun-failed", first, "--case", "explore/chat/temperature/*", "--json", again)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	var rerun []string
	for _, c := range readJSONReport(t, again).Cases {
		if strings.HasPrefix(c.ID, "explore/") {
			rerun = append(rerun, c.ID)
			assert.Equal(t, check.Failed, c.Verdict, c.ID)
		}
	}
	assert.NotEmpty(t, rerun)
	for _, id := range rerun {
		assert.Contains(t, failed, id)
		assert.True(t, strings.HasPrefix(id, "explore/chat/temperature/"), id)
	}
}

// An explore run stopped by its deadline gives every variant a result,
// with or without a report: the ones never sent are errored as not
// completed, counted in the summary, and the run exits 1.
func TestCutShortExploreGivesEveryVariantAResult(t *testing.T) {
	variants := coreVariants(t)
	total := len(variants) + len(controlIDs)
	for _, withReport := range []bool{false, true} {
		t.Run(fmt.Sprintf("report %v", withReport), func(t *testing.T) {
			t.Parallel()
			cfgPath, _ := holdAfter(t, int64(len(controlIDs)))
			args := []string{"explore", "--config", cfgPath, "--quiet", "--deadline", "3s", "--timeout", "30s"}
			report := filepath.Join(t.TempDir(), "explore.json")
			if withReport {
				args = append(args, "--json", report)
			}
			out := errconform(t, nil, args...)
			require.Equal(t, 1, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stdout, fmt.Sprintf("%d cases in", total))
			assert.Contains(t, out.stdout, fmt.Sprintf("%d passed, 0 failed, 0 warned, 0 skipped, %d errored", len(controlIDs), len(variants)))
			assert.Contains(t, out.stderr, fmt.Sprintf("of %d cases not completed", total))
			if withReport {
				rep := readJSONReport(t, report)
				assert.Equal(t, total, rep.Summary.Total)
				assert.Equal(t, len(variants), rep.Summary.Errored)
			}
		})
	}
}

// run --explore runs the catalogue and the variants in one run, in order:
// the catalogue's cases, the variants, then the cases that run alone;
// against the reference every one passes.
func TestRunWithExploreKeepsTheOrder(t *testing.T) {
	var before, alone []string
	for _, c := range suites.Catalogue() {
		if c.Alone {
			alone = append(alone, c.ID)
		} else {
			before = append(before, c.ID)
		}
	}
	require.NotEmpty(t, alone)
	var variants []string
	for _, v := range coreVariants(t) {
		variants = append(variants, v.ID)
	}
	report := filepath.Join(t.TempDir(), "run.json")
	out := errconform(t, nil, "run", "--explore", "--target", "reference", "--quiet", "--json", report)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	var got []string
	for _, c := range readJSONReport(t, report).Cases {
		got = append(got, c.ID)
		assert.Contains(t, []check.Verdict{check.Passed, check.Skipped}, c.Verdict, c.ID)
	}
	assert.Equal(t, append(append(before, variants...), alone...), got)
	assert.Contains(t, out.stdout, fmt.Sprintf("Explore: %d of %d variants sent", len(variants), len(variants)))
}

// A run without a report keeps only its failed variants' results and
// counts the others: its summary and exit code are those of the same run
// writing a report, waived variants included.
func TestExploreSummaryIsTheSameWithoutAReport(t *testing.T) {
	cfgPath, _, failed := clampedExplore(t)
	require.Greater(t, len(failed), 2)
	waivers := filepath.Join(t.TempDir(), "waivers.yaml")
	text := "waivers:\n"
	for _, id := range failed[:2] {
		text += "  - case: " + id + "\n    reason: provider ticket EX-1\n    expires: " + time.Now().AddDate(0, 0, 30).Format(time.DateOnly) + "\n"
	}
	require.NoError(t, os.WriteFile(waivers, []byte(text), 0o600))

	summary := regexp.MustCompile(`\d+ passed, \d+ failed, .*`)
	withReport := errconform(t, nil, "explore", "--config", cfgPath, "--quiet", "--waivers", waivers, "--json", filepath.Join(t.TempDir(), "r.json"))
	bare := errconform(t, nil, "explore", "--config", cfgPath, "--quiet", "--waivers", waivers)
	require.Equal(t, 1, withReport.code, withReport.stdout+withReport.stderr)
	assert.Equal(t, withReport.code, bare.code)
	want := summary.FindString(withReport.stdout)
	assert.Contains(t, want, fmt.Sprintf("%d failed", len(failed)-2))
	assert.Contains(t, want, "2 waived")
	assert.Equal(t, want, summary.FindString(bare.stdout))
	assert.Contains(t, bare.stdout, fmt.Sprintf("Explore: %d of", len(coreVariants(t))))
}
