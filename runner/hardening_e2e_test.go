package runner_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/reports"
)

// No flag, environment variable or config value may switch a safety off:
// each is refused with exit 2, naming the flag, variable or field, before
// a single request is sent.
func TestUnsafeSettingsAreRefusedBeforeSending(t *testing.T) {
	var seen arrivals
	full, _ := startReference(t, seen.wrap)
	baseURL, key := targetAndKey(t, full)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	config := func(name, extra string) string {
		return write(name, "target:\n  base_url: "+baseURL+"\nauth:\n  api_key: "+key+"\n"+extra)
	}
	// target.gateway_timeout: 0s was read as "the default"; 0 from the
	// flag switched the 504 rule off.
	gw0 := write("gw0.yaml", "target:\n  base_url: "+baseURL+"\n  gateway_timeout: 0s\nauth:\n  api_key: "+key+"\n")
	to0 := write("to0.yaml", "target:\n  base_url: "+baseURL+"\n  timeout: 0s\nauth:\n  api_key: "+key+"\n")
	good := config("good.yaml", "")
	reportDir := filepath.Join(dir, "reports")
	require.NoError(t, os.Mkdir(reportDir, 0o755))
	notADir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notADir, []byte("x"), 0o600))
	huge := filepath.Join(dir, "huge.yaml")
	require.NoError(t, os.WriteFile(huge, []byte("require: ["+strings.Repeat("all,", 300<<10/4)+"all]\n"), 0o600))

	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"--max-rps NaN", nil, []string{"--max-rps", "NaN"}, []string{"--max-rps", "finite"}},
		{"--max-rps Inf", nil, []string{"--max-rps", "Inf"}, []string{"--max-rps", "finite"}},
		{"--max-rps +Inf", nil, []string{"--max-rps", "+Inf"}, []string{"--max-rps"}},
		{"--max-rps -Inf", nil, []string{"--max-rps", "-Inf"}, []string{"--max-rps"}},
		{"--max-rps negative", nil, []string{"--max-rps", "-1"}, []string{"--max-rps"}},
		{"ERRCONFORM_MAX_RPS=NaN", []string{"ERRCONFORM_MAX_RPS=NaN"}, nil, []string{"ERRCONFORM_MAX_RPS", "--max-rps"}},
		{"limits.max_rps .nan", nil, []string{"--config", config("nan.yaml", "limits:\n  max_rps: .nan\n")}, []string{"nan.yaml", "limits.max_rps"}},
		{"limits.max_rps .inf", nil, []string{"--config", config("inf.yaml", "limits:\n  max_rps: .inf\n")}, []string{"inf.yaml", "limits.max_rps"}},
		{"--gateway-timeout 0", nil, []string{"--gateway-timeout", "0"}, []string{"--gateway-timeout", "positive"}},
		{"--gateway-timeout negative", nil, []string{"--gateway-timeout", "-1s"}, []string{"--gateway-timeout"}},
		{"ERRCONFORM_GATEWAY_TIMEOUT=0s", []string{"ERRCONFORM_GATEWAY_TIMEOUT=0s"}, nil, []string{"ERRCONFORM_GATEWAY_TIMEOUT"}},
		{"target.gateway_timeout 0s", nil, []string{"--config", gw0}, []string{"gw0.yaml", "target.gateway_timeout", "positive"}},
		{"target.timeout 0s", nil, []string{"--config", to0}, []string{"to0.yaml", "target.timeout", "positive"}},
		{"--timeout 0", nil, []string{"--timeout", "0s"}, []string{"--timeout", "positive"}},
		{"--timeout negative", nil, []string{"--timeout", "-40s"}, []string{"--timeout"}},
		{"float concurrency", nil, []string{"--config", config("conc.yaml", "limits:\n  concurrency: 1.5\n")}, []string{"conc.yaml", "limits.concurrency", "whole number"}},
		{"float max_requests", nil, []string{"--config", config("maxreq.yaml", "limits:\n  max_requests: 10.5\n")}, []string{"limits.max_requests"}},
		{"float max_body_bytes", nil, []string{"--config", config("body.yaml", "limits:\n  max_body_bytes: 1000.5\n")}, []string{"limits.max_body_bytes"}},
		{"float context_window", nil, []string{"--config", config("ctx.yaml", "fixtures:\n  context_window: 1e4\n")}, []string{"fixtures.context_window"}},
		{"float rate_limit_burst", nil, []string{"--config", config("burst.yaml", "fixtures:\n  rate_limit_burst: 2.5\n")}, []string{"fixtures.rate_limit_burst"}},
		{"--deadline 0", nil, []string{"--deadline", "0s"}, []string{"--deadline", "at least 1s"}},
		{"--deadline negative", nil, []string{"--deadline", "-5m"}, []string{"--deadline"}},
		{"--deadline too short", nil, []string{"--deadline", "500ms"}, []string{"--deadline", "at least 1s"}},
		{"ERRCONFORM_DEADLINE=0s", []string{"ERRCONFORM_DEADLINE=0s"}, nil, []string{"ERRCONFORM_DEADLINE"}},
		{"report path is a directory", nil, []string{"--json", reportDir}, []string{"--json", "is a directory"}},
		{"JUnit path is a directory", nil, []string{"--junit", reportDir}, []string{"--junit", "is a directory"}},
		{"report directory is a file", nil, []string{"--html", filepath.Join(notADir, "r.html")}, []string{"--html", "does not exist"}},
		{"config file too large", nil, []string{"--config", huge}, []string{"huge.yaml", "256 KiB"}},
		// A device that never ends is refused after the cap, quickly.
		{"/dev/zero as the config", nil, []string{"--config", "/dev/zero"}, []string{"/dev/zero", "256 KiB"}},
		{"/dev/zero as the waivers", nil, []string{"--waivers", "/dev/zero"}, []string{"/dev/zero", "256 KiB"}},
		{"/dev/zero as the CA", nil, []string{"--ca-cert", "/dev/zero"}, []string{"tls.ca_cert", "/dev/zero", "4 MiB"}},
	}
	if runtime.GOOS == "windows" {
		tests = tests[:len(tests)-3]
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run"}, tt.args...)
			if !contains(tt.args, "--config") {
				args = append(args, "--config", good)
			}
			start := time.Now()
			out := errconform(t, tt.env, args...)
			assert.Less(t, time.Since(start), 10*time.Second)
			assert.Equal(t, 2, out.code, out.stdout+out.stderr)
			for _, w := range tt.want {
				assert.Contains(t, out.stderr, w)
			}
			assert.NotContains(t, out.stdout, "cases in", "no case ran")
			assert.Zero(t, seen.count(), "nothing was sent")
		})
	}

	// Explicit 0 keeps meaning "no rate cap", as documented.
	out := errconform(t, nil, "run", "--config", good, "--max-rps", "0", "--dry-run")
	assert.Equal(t, 0, out.code, out.stderr)
	assert.Contains(t, out.stdout, "no rate cap")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// An unwritable report directory is found before anything is sent, not
// after every request has gone out.
func TestUnwritableReportPathIsRefusedBeforeSending(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a non-root user on a unix system: root writes anywhere")
	}
	var seen arrivals
	cfgPath, _ := startReference(t, seen.wrap)
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o500))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	out := errconform(t, nil, "run", "--config", cfgPath, "--ctrf", filepath.Join(dir, "c.json"))
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "--ctrf")
	assert.Contains(t, out.stderr, "cannot be written")
	assert.Zero(t, seen.count())
}

// Checking a report path neither leaves a file behind nor touches one
// that exists.
func TestReportPathCheckLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	fresh, existing := filepath.Join(dir, "fresh.json"), filepath.Join(dir, "existing.xml")
	require.NoError(t, os.WriteFile(existing, []byte("previous run"), 0o644))
	out := errconform(t, nil, "run", "--target", "reference", "--dry-run", "--json", fresh, "--junit", existing)
	require.Equal(t, 0, out.code, out.stderr)
	assert.NoFileExists(t, fresh)
	data, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "previous run", string(data))
}

// errconform diff refuses what is not an errconform report: exit 2, never
// "0 regressions".
func TestDiffRefusesInvalidReports(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.Equal(t, 0, errconform(t, nil, "run", "--target", "reference", "--label-filter", "group:route", "--json", good).code)
	var rep map[string]any
	data, err := os.ReadFile(good)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	write := func(name string, v any) string {
		p := filepath.Join(dir, name)
		var data []byte
		switch v := v.(type) {
		case string:
			data = []byte(v)
		default:
			var err error
			data, err = json.Marshal(v)
			require.NoError(t, err)
		}
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	noCases := map[string]any{}
	require.NoError(t, json.Unmarshal(data, &noCases))
	firstTarget(t, noCases)["cases"] = []any{}
	badVerdict := map[string]any{}
	require.NoError(t, json.Unmarshal(data, &badVerdict))
	firstTarget(t, badVerdict)["cases"].([]any)[0].(map[string]any)["verdict"] = "fine"
	noSummary := map[string]any{}
	require.NoError(t, json.Unmarshal(data, &noSummary))
	delete(noSummary, "summary")
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(reports.MaxReportBytes+1)) // sparse: nothing is written
	require.NoError(t, f.Close())

	tests := []struct {
		name, path, want string
	}{
		{"empty file", write("empty.json", ""), "empty"},
		{"whitespace", write("space.json", " \n\t"), "empty"},
		{"empty object", write("object.json", "{}"), "not a valid errconform JSON report"},
		{"version only", write("version.json", `{"schema_version":"1"}`), "missing properties"},
		{"no cases", write("nocases.json", noCases), "lists no cases"},
		{"verdict outside the schema", write("verdict.json", badVerdict), "/targets/0/cases/0/verdict"},
		{"summary missing", write("summary.json", noSummary), "summary"},
		{"truncated", write("truncated.json", string(data[:len(data)/2])), "not JSON"},
		{"another version", write("v4.json", `{"schema_version":"4"}`), `schema_version "4"`},
		{"a fleet report without targets", write("v3.json", `{"schema_version":"3"}`), "not a valid errconform JSON report"},
		{"not an object", write("array.json", `[]`), "not a valid errconform JSON report"},
		{"too large", huge, "32 MiB"},
		{"a directory", dir, "directory"},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct{ name, path, want string }{"/dev/zero", "/dev/zero", "32 MiB"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, args := range [][]string{{"diff", good, tt.path}, {"diff", tt.path, good}, {"diff", "--json", good, tt.path}} {
				start := time.Now()
				out := errconform(t, nil, args...)
				assert.Less(t, time.Since(start), 10*time.Second)
				assert.Equal(t, 2, out.code, "%v: %s%s", args, out.stdout, out.stderr)
				assert.Contains(t, out.stderr, tt.want)
				assert.NotContains(t, out.stdout, "regressions")
			}
		})
	}
	out := errconform(t, nil, "diff", good, good)
	assert.Equal(t, 0, out.code, out.stderr)
}

const terminalTestKey = "sk-terminal-test-0000000000"

// hostileText is what a target could use to take over a terminal or a CI
// log: set the title, clear the screen, return to the line start, print a
// fake PASS line, reverse the text that follows.
const hostileText = "\x1b]0;pwned\x07\x1b[2J\x1b[H\r\n  PASS  fake/case\b\x7f\u009b31m\u202egnp.exe\u2066x\u2069"

// assertNoTerminalControl: no control byte, C1 control or bidi override
// reaches the terminal, and no fake line starts.
func assertNoTerminalControl(t *testing.T, where, text string) {
	t.Helper()
	for _, r := range text {
		switch {
		case r == '\n':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			t.Errorf("%s: raw %U reaches the terminal", where, r)
			return
		}
	}
	for _, line := range strings.Split(text, "\n") {
		assert.False(t, strings.HasPrefix(line, "  PASS  fake/case"), "%s: a fake case line: %q", where, line)
	}
}

// --verbose, the case lines and diff show what the target sent with its
// control characters escaped, never raw.
func TestTargetTextCannotControlTheTerminal(t *testing.T) {
	// Invalid JSON (raw control characters in a string): the preflight
	// takes it for a broken answer, not a rejection, and the run goes on.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", "fine\u202eevil")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"message":"` + hostileText + `","type":"authentication_error","param":null,"code":"` + hostileText + `"}}`))
	}))
	t.Cleanup(srv.Close)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, []string{"ERRCONFORM_API_KEY=" + terminalTestKey}, "run", "--target", srv.URL+"/v1", "--label-filter", "endpoint:models-list && no-fixture", "--verbose", "--json", jsonPath)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	assertNoTerminalControl(t, "stdout", out.stdout)
	assertNoTerminalControl(t, "stderr", out.stderr)
	assert.Contains(t, out.stdout, `\x1b]0;pwned\x07`, "shown escaped")
	assert.Contains(t, out.stdout, `\u202e`)

	// A well-formed rejection of the key stops the run in the preflight
	// with the answer quoted: C1 controls and bidi overrides may stand raw
	// in a JSON string.
	reject := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("{\"error\":{\"message\":\"bad key \u009b2J\u202eyek\u0085  PASS  fake/case\x7f\",\"type\":\"authentication_error\",\"param\":null,\"code\":\"invalid_api_key\"}}"))
	}))
	t.Cleanup(reject.Close)
	out = errconform(t, []string{"ERRCONFORM_API_KEY=" + terminalTestKey}, "run", "--target", reject.URL+"/v1")
	require.Equal(t, 3, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, "rejected the configured API key")
	assertNoTerminalControl(t, "stdout", out.stdout)
	assert.Contains(t, out.stdout, `\u202e`)

	// diff quotes findings from the reports.
	var rep map[string]any
	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	old := filepath.Join(t.TempDir(), "old.json")
	for _, c := range firstTarget(t, rep)["cases"].([]any) {
		c.(map[string]any)["verdict"] = "passed"
	}
	data, err = json.Marshal(rep)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(old, data, 0o600))
	newPath := filepath.Join(t.TempDir(), "new.json")
	require.NoError(t, json.Unmarshal(data, &rep))
	first := firstTarget(t, rep)["cases"].([]any)[0].(map[string]any)
	first["verdict"] = "failed"
	first["findings"] = []any{map[string]any{"rule": "message", "severity": "MUST", "message": hostileText}}
	data, err = json.Marshal(rep)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(newPath, data, 0o600))
	out = errconform(t, nil, "diff", old, newPath)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, "REGRESSIONS (1)")
	assertNoTerminalControl(t, "diff", out.stdout)
	assert.Contains(t, out.stdout, `\x1b[2J`)
}
