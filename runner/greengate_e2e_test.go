package runner_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/errconform/errconform/reports"
)

// The gate's attacks from a pull request (issue 24, items 4 to 6): a
// contract that covers nothing, forged shards, a forged --rerun-failed
// report and waivers that never expire. Each is played against a hostile
// target or file written here, and must not end green.

// answer401ToEveryError serves the reference's successes as they are and
// answers every error with the same 401: a target that keeps no promise
// but the positive controls'.
func answer401ToEveryError(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code < 400 {
			maps.Copy(w.Header(), rec.Header())
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"message":"no","type":"authentication_error","param":null,"code":"invalid_api_key"}}`))
	})
}

// contractCoveringNothing is the default contract's document with every
// situation left out (not in the contract): only the positive controls'
// routes remain covered.
func contractCoveringNothing(t *testing.T) (path string, digest string) {
	t.Helper()
	data, err := os.ReadFile("../spec/contracts/aiand.yaml")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(data, &doc))
	ext, ok := doc["x-errconform-contract"].(map[string]any)
	require.True(t, ok, "aiand.yaml has x-errconform-contract")
	situations, ok := ext["situations"].(map[string]any)
	require.True(t, ok, "aiand.yaml has situations")
	for name := range situations {
		situations[name] = map[string]any{"not_in_contract": "this contract covers nothing"}
	}
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), "covers-nothing.yaml")
	require.NoError(t, os.WriteFile(path, out, 0o600))
	sum := sha256.Sum256(out)
	return path, "sha256:" + hex.EncodeToString(sum[:])
}

// junitProperties reads the first testsuite's properties of a JUnit file.
func junitProperties(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc reporters.JUnitTestSuites
	require.NoError(t, xml.Unmarshal(data, &doc))
	require.NotEmpty(t, doc.TestSuites)
	props := map[string]string{}
	for _, p := range doc.TestSuites[0].Properties.Properties {
		props[p.Name] = p.Value
	}
	return props
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

// Item 4: a contract that covers nothing runs the three controls only, and
// used to exit 0 with every other case skipped. Now every output says
// "judged 7 of N selected" (the positive requests only), the run exits 1,
// and every report names the
// contract's digest.
func TestContractCoveringNothingIsNotGreen(t *testing.T) {
	contract, digest := contractCoveringNothing(t)
	cfgPath, _ := startReference(t, answer401ToEveryError)
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	out := errconform(t, nil, "run", "--config", cfgPath, "--contract", contract, "--json", path("r.json"), "--junit", path("r.xml"),
		"--markdown", path("r.md"), "--html", path("r.html"), "--ctrf", path("r.ctrf.json"))
	require.Equal(t, 1, out.code, out.stdout+out.stderr)

	total := len(catalogueIDs())
	// The 3 preflight controls and the 4 valid requests judged as cases
	// (the lower-case scheme, a charset on application/json, and their
	// stream twins): positive, so they test nothing of the error contract.
	const positive = 7
	judged := fmt.Sprintf("judged %d of %d selected", positive, total)
	first, last := lines(out.stdout)[0], lines(out.stdout)[len(lines(out.stdout))-1]
	assert.Contains(t, first, fmt.Sprintf("judging at most %d of %d selected", positive, total), "the first line")
	assert.Contains(t, first, digest, "the first line names the contract's digest")
	assert.Contains(t, last, judged, "the last line")
	assert.Contains(t, last, "exit 1")
	assert.Contains(t, out.stderr, fmt.Sprintf("no case beyond the %d positive control(s) was judged", positive))

	rep := readJSONReport(t, path("r.json"))
	assert.Equal(t, positive, rep.Summary.Judged)
	assert.Equal(t, positive, rep.Summary.JudgedControls)
	assert.Equal(t, total, rep.Summary.Total)
	assert.Equal(t, digest, rep.Contract.Digest, "sha256 of the contract document's bytes")
	assert.Equal(t, "2026-11", rep.Contract.Version)

	props := junitProperties(t, path("r.xml"))
	assert.Equal(t, fmt.Sprint(positive), props["errconform.judged"])
	assert.Equal(t, fmt.Sprint(total), props["errconform.selected"])
	assert.Equal(t, digest, props["errconform.contract.digest"])
	assert.Equal(t, "aiand", props["errconform.contract.name"])
	assert.NotEmpty(t, props["errconform.nothing_judged"])
	validateJUnitXSD(t, path("r.xml"))

	md, err := os.ReadFile(path("r.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "❌ nothing judged")
	assert.Contains(t, string(md), judged)
	assert.Contains(t, string(md), digest)
	html, err := os.ReadFile(path("r.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), judged)
	assert.Contains(t, string(html), digest)
	assert.Contains(t, string(html), `id="nothing-judged"`)
	var ctrf reports.CTRF
	data, err := os.ReadFile(path("r.ctrf.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &ctrf))
	assert.EqualValues(t, positive, ctrf.Results.Summary.Extra["judged"])
	assert.Equal(t, digest, ctrf.Results.Summary.Extra["contract"].(map[string]any)["digest"])

	// The same run as a fleet member, and the same target under its
	// contract (which covers the cases): green is earned by judging.
	fleet := writeFleet(t, nil, map[string]any{"name": "blind", "base_url": "reference", "contract": contract},
		map[string]any{"name": "seeing", "base_url": "reference"})
	fdir := t.TempDir()
	fpath := func(name string) string { return filepath.Join(fdir, name) }
	out = errconform(t, nil, "run", "--config", fleet, "--json", fpath("f.json"), "--junit", fpath("f.xml"),
		"--markdown", fpath("f.md"), "--html", fpath("f.html"), "--ctrf", fpath("f.ctrf"))
	assert.Equal(t, 1, out.code, "one target judging nothing is not hidden by the other: %s", out.stdout+out.stderr)
	assert.Contains(t, out.stdout, "nothing judged beyond the positive controls")
	assert.Contains(t, lines(out.stdout)[len(lines(out.stdout))-1], fmt.Sprintf("judged %d of %d selected", total+positive, 2*total))
	frep := readJSONReport(t, fpath("f.json"))
	require.Len(t, frep.Targets, 2)
	assert.Equal(t, digest, frep.Targets[0].Contract.Digest)
	assert.Equal(t, positive, frep.Targets[0].Summary.Judged)
	validateJUnitXSD(t, fpath("f.xml"))
	for _, f := range []string{"f.xml", "f.md", "f.html", "f.ctrf"} {
		data, err := os.ReadFile(fpath(f))
		require.NoError(t, err)
		assert.Contains(t, string(data), digest, f)
		assert.Contains(t, string(data), fmt.Sprintf("judged %d of", positive), f)
	}
	md, err = os.ReadFile(fpath("f.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "❌ nothing judged (blind)")

	// Sharded: a shard may hold nothing to judge, so the shards pass; their
	// merge judged nothing beyond the controls and is not green.
	var shards []string
	for i := 0; i < 2; i++ {
		p := fpath(fmt.Sprintf("shard-%d.json", i))
		out = errconform(t, nil, "run", "--config", cfgPath, "--contract", contract, "--quiet", "--shard", fmt.Sprintf("%d/2", i), "--json", p)
		require.Equal(t, 0, out.code, out.stdout+out.stderr)
		shards = append(shards, p)
	}
	out = errconform(t, nil, append([]string{"merge"}, shards...)...)
	assert.Equal(t, 1, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, fmt.Sprintf("no case beyond the %d positive control(s) was judged", positive))
	assert.Contains(t, lines(out.stdout)[len(lines(out.stdout))-1], judged)
}

// Item 4: errconform diff flags a change of contract, by name, version or
// document (its digest), and still reads reports written before digests
// and judged counts were recorded.
func TestDiffFlagsAChangeOfContract(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.json")
	out := errconform(t, nil, "run", "--target", "reference", "--quiet", "--label-filter", "group:route", "--json", old)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	data, err := os.ReadFile(old)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	digest := doc["contract"].(map[string]any)["digest"].(string)
	require.True(t, strings.HasPrefix(digest, "sha256:"))

	write := func(name string, edit func(map[string]any)) string {
		var d map[string]any
		require.NoError(t, json.Unmarshal(data, &d))
		edit(d)
		b, err := json.Marshal(d)
		require.NoError(t, err)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	// Each edit is made to the report's top level and to its one target's.
	both := func(d map[string]any) []map[string]any { return []map[string]any{d, firstTarget(t, d)} }
	otherDocument := write("other.json", func(d map[string]any) {
		for _, level := range both(d) {
			level["contract"].(map[string]any)["digest"] = "sha256:" + strings.Repeat("ab", 32)
		}
	})
	otherVersion := write("version.json", func(d map[string]any) {
		for _, level := range both(d) {
			level["contract"].(map[string]any)["version"] = "2027-01"
		}
	})
	older := write("older.json", func(d map[string]any) {
		for _, level := range both(d) {
			delete(level["contract"].(map[string]any), "digest")
			summary := level["summary"].(map[string]any)
			delete(summary, "judged")
			delete(summary, "judged_controls")
		}
	})
	tests := []struct {
		name, new string
		changed   bool
	}{
		{"another document under the same name and version", otherDocument, true},
		{"another version", otherVersion, true},
		{"the same contract", old, false},
		{"a report written before digests", older, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, nil, "diff", old, tt.new)
			require.Equal(t, 0, out.code, out.stdout+out.stderr)
			if tt.changed {
				assert.Contains(t, lines(out.stdout)[1], "CONTRACT CHANGED")
				assert.Contains(t, lines(out.stdout)[len(lines(out.stdout))-1], "CONTRACT CHANGED")
			} else {
				assert.NotContains(t, out.stdout, "CONTRACT CHANGED")
			}
		})
	}
}

// shardsAgainst401 runs two shards of the request group against a target
// answering 401 to every error (most of them MUST failures) and returns
// the shards' JSON reports.
func shardsAgainst401(t *testing.T, cfgPath string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := 0; i < 2; i++ {
		p := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		out := errconform(t, nil, "run", "--config", cfgPath, "--quiet", "--label-filter", "group:request", "--shard", fmt.Sprintf("%d/2", i), "--json", p)
		require.Equal(t, 1, out.code, out.stdout+out.stderr)
		paths = append(paths, p)
	}
	return paths
}

// editReport rewrites a JSON report's every case through edit.
func editReport(t *testing.T, src, dst string, edit func(target map[string]any, c map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	for _, target := range doc["targets"].([]any) {
		tm := target.(map[string]any)
		for _, c := range tm["cases"].([]any) {
			edit(tm, c.(map[string]any))
		}
	}
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, out, 0o600))
}

// Item 5: merge re-decides every verdict from its findings, waiver and
// settings; a shard whose failures were turned into passes, or into
// waivers the run could not have loaded, is refused naming the shard and
// the case.
func TestMergeRefusesForgedVerdicts(t *testing.T) {
	cfgPath, _ := startReference(t, answer401ToEveryError)
	shards := shardsAgainst401(t, cfgPath)
	out := errconform(t, nil, append([]string{"merge"}, shards...)...)
	require.Equal(t, 1, out.code, "the honest shards merge into a failed run: %s", out.stdout+out.stderr)

	dir := t.TempDir()
	forge := func(name string, edit func(map[string]any, map[string]any)) []string {
		var forged []string
		for i, s := range shards {
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.json", name, i))
			editReport(t, s, p, edit)
			forged = append(forged, p)
		}
		return forged
	}
	farWaiver := func(target, c map[string]any) {
		if c["verdict"] != "failed" {
			return
		}
		c["verdict"] = "waived"
		settings := target["settings"].(map[string]any)
		waivers, _ := settings["waivers"].([]any)
		settings["waivers"] = append(waivers, map[string]any{"case": c["id"], "reason": "forever", "expires": "9999-12-31"})
	}
	tests := []struct {
		name   string
		shards []string
		want   string
	}{
		{"failed turned into passed", forge("passed", func(_, c map[string]any) {
			if c["verdict"] == "failed" {
				c["verdict"] = "passed"
			}
		}), `states "passed", but its`},
		{"failed turned into waived with no waiver", forge("waived", func(_, c map[string]any) {
			if c["verdict"] == "failed" {
				c["verdict"] = "waived"
			}
		}), `states "waived", but its`},
		{"a waiver that never expires", forge("forever", farWaiver), "its waiver expires 9999-12-31, beyond the 90 days"},
		{"failed turned into skipped, findings kept", forge("skipped", func(_, c map[string]any) {
			if c["verdict"] == "failed" {
				c["verdict"], c["skip_reason"] = "skipped", "fixture-missing"
			}
		}), `states "skipped", but its`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, nil, append([]string{"merge", "--json", filepath.Join(t.TempDir(), "m.json")}, tt.shards...)...)
			require.Equal(t, 2, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stderr, tt.want)
			assert.Contains(t, out.stderr, tt.shards[0], "names the shard file")
			assert.Contains(t, out.stderr, ", case request/", "names the case")
		})
	}
}

// Item 6a: --rerun-failed says on its first line that the run is partial;
// a forged report listing no failure sends nothing and exits 2, never 0.
func TestRerunFailedIsAPartialRunAndNeverGreenByNothing(t *testing.T) {
	cfgPath, _ := startReference(t, answer401ToEveryError)
	dir := t.TempDir()
	report := filepath.Join(dir, "r.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--quiet", "--label-filter", "group:request", "--json", report)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)

	rerun := filepath.Join(dir, "rerun.json")
	out = errconform(t, nil, "run", "--config", cfgPath, "--rerun-failed", report, "--json", rerun)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	assert.True(t, strings.HasPrefix(lines(out.stdout)[0], "errconform: PARTIAL RUN: --rerun-failed "), "first line: %s", lines(out.stdout)[0])
	assert.Contains(t, lines(out.stdout)[len(lines(out.stdout))-1], "PARTIAL RUN")
	assert.Contains(t, readJSONReport(t, rerun).Settings.Partial, "not a gate")

	// A report with every failure turned into a pass.
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	target := firstTarget(t, doc)
	for _, c := range target["cases"].([]any) {
		c.(map[string]any)["verdict"] = "passed"
	}
	target["groups"] = []any{}
	data, err = json.Marshal(doc)
	require.NoError(t, err)
	forged := filepath.Join(dir, "forged.json")
	require.NoError(t, os.WriteFile(forged, data, 0o600))
	out = errconform(t, nil, "run", "--config", cfgPath, "--rerun-failed", forged, "--json", filepath.Join(dir, "none.json"))
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "PARTIAL RUN")
	assert.Contains(t, out.stderr, "nothing to re-run")
	assert.NotContains(t, out.stdout, "PASS", "nothing was sent")
}

// Item 6b: a waiver may run at most 90 days from the run's date (longer
// only with waivers_max_days in the config, at most 365, printed loudly),
// and every waived failure is listed in the terminal and every report.
func TestWaiversAreBoundedAndListed(t *testing.T) {
	dir := t.TempDir()
	_, plain := serveReferenceWith(t, answer401ToEveryError, nil)
	const waived = "request/malformed-json"
	require.Contains(t, catalogueIDs(), waived)
	day := func(days int) string { return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }
	config := func(name, extra string) string {
		data, err := plain.Marshal()
		require.NoError(t, err)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, append(data, []byte(extra)...), 0o600))
		return p
	}
	waiverFile := func(name, expires string) string {
		p := filepath.Join(dir, name)
		text := "waivers:\n  - case: " + waived + "\n    reason: \"ticket RL-42\"\n    expires: " + expires + "\n"
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	defaults, longer := config("default.yaml", ""), config("longer.yaml", "waivers_max_days: 200\n")
	tests := []struct {
		name, config, waivers string
		code                  int
		want, loud            string
	}{
		{"never expires", defaults, waiverFile("forever.yaml", "9999-12-31"), 2, "waivers[0].expires", ""},
		{"91 days", defaults, waiverFile("91.yaml", day(91)), 2, "a waiver may run at most 90 days", ""},
		{"30 days", defaults, waiverFile("30.yaml", day(30)), 1, "Waived failures (1)", ""},
		{"150 days under waivers_max_days: 200", longer, waiverFile("150.yaml", day(150)), 1, "Waived failures (1)", "WARNING: waiver for " + waived},
		{"waivers_max_days beyond 365", config("huge.yaml", "waivers_max_days: 100000\n"), waiverFile("h.yaml", day(30)), 2, "waivers_max_days", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdir := t.TempDir()
			path := func(name string) string { return filepath.Join(rdir, name) }
			out := errconform(t, nil, "run", "--config", tt.config, "--label-filter", "group:request", "--waivers", tt.waivers,
				"--json", path("r.json"), "--junit", path("r.xml"), "--markdown", path("r.md"), "--html", path("r.html"), "--ctrf", path("r.ctrf"))
			require.Equal(t, tt.code, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stdout+out.stderr, tt.want)
			if tt.loud != "" {
				assert.Contains(t, out.stderr, tt.loud)
				assert.Contains(t, out.stderr, "beyond the 90-day default")
			} else {
				assert.NotContains(t, out.stderr, "WARNING: waiver")
			}
			if tt.code != 1 {
				return
			}
			assert.Contains(t, out.stdout, "WAIV  "+waived+" (waived until ")
			rep := readJSONReport(t, path("r.json"))
			require.Len(t, rep.Settings.Waivers, 1)
			assert.Equal(t, waived, rep.Settings.Waivers[0].Case)
			props := junitProperties(t, path("r.xml"))
			assert.Equal(t, "1", props["errconform.waived"])
			assert.Contains(t, props["errconform.waived.1"], waived+" (waived until ")
			validateJUnitXSD(t, path("r.xml"))
			for _, f := range []string{"r.md", "r.html", "r.ctrf"} {
				data, err := os.ReadFile(path(f))
				require.NoError(t, err)
				assert.Contains(t, string(data), waived, f)
				assert.Contains(t, string(data), "ticket RL-42", f)
			}
		})
	}
}
