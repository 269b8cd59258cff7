package runner_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// binary is the errconform command built once for these tests: RunSpecs
// may run only once per process, so every run is its own process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "errconform-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "errconform")
	build := exec.Command("go", "build", "-o", binary, "../cmd/errconform")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build errconform: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type outcome struct {
	code           int
	stdout, stderr string
}

func errconform(t *testing.T, env []string, args ...string) outcome {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return outcome{code, stdout.String(), stderr.String()}
}

// readJSONReport reads a run's JSON report, valid against the published
// schema (every report a test produces is checked): a
// report of one target (a single target's run: a fleet of one, the same
// schema version as a fleet's) as that target's report, every other as
// it is.
func readJSONReport(t *testing.T, path string) reports.JSONReport {
	t.Helper()
	rep := readFleetReport(t, path)
	if rep.IsFleet() && len(rep.Targets) == 1 && rep.Shard == nil {
		return rep.TargetAsReport(rep.Targets[0])
	}
	return rep
}

// firstTarget is the first target's report in a JSON report's document
// (a single target's run: its one target).
func firstTarget(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	targets, ok := doc["targets"].([]any)
	require.True(t, ok && len(targets) > 0, "a report with targets")
	return targets[0].(map[string]any)
}

// readFleetReport reads a JSON report as it is, valid against the schema.
func readFleetReport(t *testing.T, path string) reports.JSONReport {
	t.Helper()
	validateJSONSchema(t, "report.schema.json", spec.ReportSchema(), path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep reports.JSONReport
	require.NoError(t, json.Unmarshal(data, &rep))
	require.Equal(t, reports.FleetSchemaVersion, rep.SchemaVersion, "every run writes the one report model")
	return rep
}

func catalogueIDs() []string {
	var ids []string
	for _, c := range suites.Catalogue() {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	return ids
}

// startReference serves a reference on 127.0.0.1 and writes its config.
func startReference(t *testing.T, wrap func(http.Handler) http.Handler) (cfgPath string, keys []string) {
	t.Helper()
	cfgPath, cfg := serveReferenceWith(t, wrap, nil)
	return cfgPath, cfg.Secrets()
}

func TestRunAgainstEmbeddedReferencePasses(t *testing.T) {
	dir := t.TempDir()
	out := errconform(t, nil, "run", "--target", "reference", "--json", filepath.Join(dir, "r.json"))
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, filepath.Join(dir, "r.json"))
	assert.Equal(t, len(catalogueIDs()), rep.Summary.Total)
	assert.Equal(t, rep.Summary.Total, rep.Summary.Passed)
	assert.True(t, rep.Target.Embedded)
	assert.Contains(t, out.stdout, "0 failed")
	assert.Contains(t, out.stdout, "PASS  upstream/slow-model")
}

func TestServeThenRunWritesOneJUnitTestcasePerCase(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ec.yaml")
	serve := exec.Command(binary, "serve", "--addr", addr, "--config-out", cfgPath)
	require.NoError(t, serve.Start())
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(cfgPath)
		return err == nil && len(data) > 0
	}, 10*time.Second, 20*time.Millisecond, "serve writes its config")

	junit, jsonPath := filepath.Join(dir, "ec.xml"), filepath.Join(dir, "ec.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--junit", junit, "--json", jsonPath)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)

	names := junitCaseNames(t, junit)
	assert.Equal(t, catalogueIDs(), names, "one testcase per case ID, named by it")
	assert.Equal(t, len(names), readJSONReport(t, jsonPath).Summary.Passed)
}

// A server answering Go's plain-text 404 to everything, the controls
// included, is not testable: a wrong path, never a believable result.
func TestGoDefault404ServerIsNotTestable(t *testing.T) {
	cfgPath, _ := startReference(t, func(http.Handler) http.Handler { return http.NotFoundHandler() })
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--json", jsonPath)
	require.Equal(t, 3, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, jsonPath)
	require.Equal(t, len(catalogueIDs()), rep.Summary.Errored)
	require.NotNil(t, rep.NotTestable)
	assert.Equal(t, reports.CauseWrongPath, rep.NotTestable.Cause)
	assert.Contains(t, out.stdout, "NOT TESTABLE (wrong-path): every positive control answered 404 (GET /models answered 404: 404 page not found)")
	assert.Contains(t, out.stdout, "check the path of the base URL", "the base URL ends in /v1 already: no /v1 to add")
	assert.NotContains(t, out.stdout, "FAIL ")
}

func TestUnreachableTargetExits3(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now
	out := errconform(t, []string{"ERRCONFORM_API_KEY=sk-test-unreachable-000000"}, "run", "--target", "http://"+addr+"/v1")
	assert.Equal(t, 3, out.code, out.stdout+out.stderr)
	// (the cause's keyword is redacted here: it is a piece of the key)
	assert.Contains(t, out.stdout, "NOT TESTABLE (", "the preflight says why, in one message")
	assert.Contains(t, out.stdout, "cannot be reached: connection refused")
	assert.NotContains(t, out.stdout+out.stderr, "sk-test-unreachable-000000")
	assert.NotContains(t, out.stdout, "FAIL", "no case line: the preflight stopped the run")
}

func TestMinimalConfigSkipsFixtureCasesAndRequireFailsThem(t *testing.T) {
	full, _ := startReference(t, func(h http.Handler) http.Handler { return h })
	baseURL, key := targetAndKey(t, full)
	minimal := filepath.Join(t.TempDir(), "min.yaml")
	require.NoError(t, os.WriteFile(minimal, []byte("target:\n  base_url: "+baseURL+"\nauth:\n  api_key: ${TEST_KEY}\n"), 0o600))
	env := []string{"TEST_KEY=" + key}

	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, env, "run", "--config", minimal, "--json", jsonPath)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, jsonPath)
	assert.Positive(t, rep.Summary.Skipped)
	assert.Zero(t, rep.Summary.Failed)
	for _, c := range rep.Cases {
		if c.Verdict == "skipped" {
			assert.Contains(t, c.Reason, "fixtures.", c.ID)
		}
	}
	assert.Equal(t, 2, rep.Summary.SkippedByFixture["slow_model"], "the slow-model case and its stream twin")
	assert.Contains(t, out.stdout, "skipped for want of fixtures.slow_model")
	assert.NotContains(t, out.stdout, key)

	out = errconform(t, env, "run", "--config", minimal, "--require", "all")
	assert.Equal(t, 1, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, "fixtures.slow_model required (--require) but not configured")

	out = errconform(t, env, "run", "--config", minimal, "--require", "slow_model", "--label-filter", "!fixture:slow_model")
	assert.Equal(t, 0, out.code, "a required fixture whose cases are filtered out does not fail: %s", out.stdout)
}

func TestLabelFilterSelectsCases(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--target", "reference", "--label-filter", "status:401 && endpoint:models-list", "--json", jsonPath)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, jsonPath)
	require.NotEmpty(t, rep.Cases)
	controls := 0
	for _, c := range rep.Cases {
		if c.Group == "control" {
			controls++ // the positive controls run whatever the filter
			continue
		}
		assert.Equal(t, 401, c.Expect.Status, c.ID)
		assert.True(t, strings.HasSuffix(c.ID, "/models-list"), c.ID)
	}
	assert.Equal(t, 3, controls)
	require.NotNil(t, rep.Settings, "the report records what a dashboard needs to compare runs")
	assert.Equal(t, "status:401 && endpoint:models-list", rep.Settings.LabelFilter)
	assert.Equal(t, "openai/gpt-oss-120b", rep.Settings.Model)
	assert.Len(t, rep.Settings.Selected, len(rep.Cases))
	assert.NotNil(t, rep.Settings.Require)
}

func TestUsageAndConfigErrorsExit2NamingTheField(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	good := "target:\n  base_url: http://127.0.0.1:9/v1\nauth:\n  api_key: sk-test-0000000000\n"
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown key", []string{"run", "--config", write("unknown.yaml", good+"fixtures:\n  modle: x\n")}, []string{"unknown.yaml", "fixtures.modle"}},
		{"bad url", []string{"run", "--config", write("url.yaml", strings.Replace(good, "http://127.0.0.1:9/v1", "ftp//nowhere", 1))}, []string{"url.yaml", "target.base_url"}},
		{"bad duration", []string{"run", "--config", write("dur.yaml", strings.Replace(good, "target:\n", "target:\n  timeout: forty\n", 1))}, []string{"dur.yaml", "forty"}},
		{"unset variable", []string{"run", "--config", write("env.yaml", strings.Replace(good, "sk-test-0000000000", "${ERRCONFORM_TEST_UNSET_VAR}", 1))}, []string{"env.yaml", "auth.api_key", "ERRCONFORM_TEST_UNSET_VAR"}},
		{"unreadable file", []string{"run", "--config", filepath.Join(dir, "missing.yaml")}, []string{"missing.yaml", "cannot read"}},
		{"gateway timeout not below timeout", []string{"run", "--config", write("gw.yaml", strings.Replace(good, "target:\n", "target:\n  timeout: 5s\n  gateway_timeout: 10s\n", 1))}, []string{"gw.yaml", "target.gateway_timeout"}},
		{"unknown require key", []string{"run", "--target", "reference", "--require", "slow_modle"}, []string{"require[0]", "slow_modle"}},
		{"bad label filter", []string{"run", "--target", "reference", "--label-filter", "status:401 &&"}, []string{"--label-filter"}},
		{"unknown flag", []string{"run", "--frobnicate"}, []string{"frobnicate"}},
		{"unknown command", []string{"launch"}, []string{"launch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, nil, tt.args...)
			assert.Equal(t, 2, out.code, out.stdout+out.stderr)
			for _, w := range tt.want {
				assert.Contains(t, out.stderr, w)
			}
			assert.NotContains(t, out.stdout, "cases in", "no case ran")
		})
	}
}

func TestListShowsCoverageOfEveryStatusAndCode(t *testing.T) {
	out := errconform(t, nil, "list")
	require.Equal(t, 0, out.code, out.stderr)
	assert.NotContains(t, out.stdout, "NOT COVERED")
	for _, id := range catalogueIDs() {
		assert.Contains(t, out.stdout, id)
	}
	out = errconform(t, nil, "list", "--rules")
	require.Equal(t, 0, out.code, out.stderr)
	assert.Contains(t, out.stdout, "code-status")
}

func TestRunRefusesBeforeSendingAnything(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"filter selects nothing", []string{"run", "--target", "reference", "--label-filter", "status:4011"}, "selects no case"},
		{"report directory missing", []string{"run", "--target", "reference", "--junit", filepath.Join(dir, "missing", "j.xml")}, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, nil, tt.args...)
			assert.Equal(t, 2, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stderr, tt.want)
			assert.NotContains(t, out.stdout, "PASS")
		})
	}
}

// The key may come from the environment while the file names the target:
// validation happens once, after flags and environment are merged.
func TestKeyFromEnvironmentCompletesAFileConfig(t *testing.T) {
	full, _ := startReference(t, func(h http.Handler) http.Handler { return h })
	baseURL, key := targetAndKey(t, full)
	file := filepath.Join(t.TempDir(), "nokey.yaml")
	require.NoError(t, os.WriteFile(file, []byte("target:\n  base_url: "+baseURL+"\n"), 0o600))
	out := errconform(t, []string{"ERRCONFORM_API_KEY=" + key}, "run", "--config", file, "--label-filter", "group:route")
	assert.Equal(t, 0, out.code, out.stdout+out.stderr)
	out = errconform(t, []string{"ERRCONFORM_API_KEY=" + key}, "config", "check", file)
	assert.Equal(t, 0, out.code, out.stdout+out.stderr)
	out = errconform(t, nil, "run", "--config", file)
	assert.Equal(t, 2, out.code)
	assert.Contains(t, out.stderr, "ERRCONFORM_API_KEY")
}

// JUnit lists exactly the cases the run selected, with their own times.
func TestJUnitHoldsOnlySelectedCases(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "j.xml")
	const filter = "status:504 || status:401 && endpoint:chat"
	out := errconform(t, nil, "run", "--target", "reference", "--label-filter", filter, "--junit", junit)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	data, err := os.ReadFile(junit)
	require.NoError(t, err)
	var doc struct {
		Suites []struct {
			Tests int `xml:"tests,attr"`
			Cases []struct {
				Name string  `xml:"name,attr"`
				Time float64 `xml:"time,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(data, &doc))
	require.Len(t, doc.Suites, 1)
	match, err := types.ParseLabelFilter(filter)
	require.NoError(t, err)
	want := 0
	for _, c := range suites.Catalogue() {
		if match(c.Labels) || c.Control {
			want++
		}
	}
	assert.Equal(t, want, doc.Suites[0].Tests, "the cases the filter selects, and the positive controls")
	for _, c := range doc.Suites[0].Cases {
		if c.Name == "upstream/slow-model" {
			assert.GreaterOrEqual(t, c.Time, 0.25, "the exchange's own time, not the spec's")
		}
	}
}

// targetAndKey reads the base URL and API key from a config startReference wrote.
func targetAndKey(t *testing.T, cfgPath string) (baseURL, key string) {
	t.Helper()
	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "base_url: "); ok {
			baseURL = v
		}
		if v, ok := strings.CutPrefix(line, "api_key: "); ok {
			key = v
		}
	}
	return baseURL, key
}

// junitCaseNames reads a single-suite JUnit report: its testcases' names,
// sorted.
func junitCaseNames(t *testing.T, path string) []string {
	t.Helper()
	var doc junitDoc
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(data, &doc))
	require.Len(t, doc.Suites, 1)
	var names []string
	for _, c := range doc.Suites[0].Cases {
		names = append(names, c.Name)
	}
	require.Len(t, names, doc.Suites[0].Tests, "the suite counts its testcases")
	sort.Strings(names)
	return names
}
