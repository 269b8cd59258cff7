package runner_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
)

// serveReferenceWith serves wrap(reference) on 127.0.0.1, lets edit change
// the reference's config, and writes it.
func serveReferenceWith(t *testing.T, wrap func(http.Handler) http.Handler, edit func(*config.Config)) (cfgPath string, cfg config.Config) {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	// A short rate-limit window: tests that run against one reference
	// more than once find the rate-limited key's window fresh each time
	// (a burst on a key still limited is errored).
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond, RateWindow: 300 * time.Millisecond})
	srv := httptest.NewServer(wrap(ref))
	t.Cleanup(srv.Close)
	cfg = ref.Config(srv.URL + "/v1")
	// The slow model's 504 comes after the reference's 100 ms; the bound
	// the timeout rule holds it to (gateway timeout + slack) is set far
	// above that, as in suites' concurrency test: on a busy machine the
	// 504 took 619 ms, over 100 ms + 250 ms slack, and a run meant to fail
	// by one cause failed by two.
	cfg.Target.GatewayTimeout = config.Duration(5 * time.Second)
	if edit != nil {
		edit(&cfg)
	}
	data, err := cfg.Marshal()
	require.NoError(t, err)
	cfgPath = filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(cfgPath, data, 0o600))
	return cfgPath, cfg
}

// A missing CI secret must never turn into a green run against the
// embedded reference: the reference runs only when asked for by name.
func TestTargetMustBeNamed(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"no target at all", nil, []string{"run"}, 2, "no target to check"},
		{"empty ERRCONFORM_TARGET", []string{"ERRCONFORM_TARGET="}, []string{"run"}, 2, "the target is empty"},
		{"empty --target", nil, []string{"run", "--target", ""}, 2, "the target is empty"},
		{"empty ERRCONFORM_CONFIG", []string{"ERRCONFORM_CONFIG="}, []string{"run", "--target", "reference"}, 2, "--config is empty"},
		{"the reference by name", nil, []string{"run", "--target", "reference", "--quiet"}, 0, "0 failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Dir = t.TempDir() // no errconform.yaml there
			cmd.Env = append(os.Environ(), tt.env...)
			out, _ := cmd.CombinedOutput()
			assert.Equal(t, tt.code, cmd.ProcessState.ExitCode(), "%s", out)
			assert.Contains(t, string(out), tt.want)
			if tt.code != 0 {
				assert.NotContains(t, string(out), "PASS", "nothing ran")
			}
		})
	}
}

// errconform.yaml in the working directory is read without --config, and
// the run's first line names the file it used.
func TestConfigFileInWorkingDirectoryIsRead(t *testing.T) {
	for _, name := range []string{"errconform.yaml", ".errconform.yaml"} {
		t.Run(name, func(t *testing.T) {
			cfgPath, _ := serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, nil)
			data, err := os.ReadFile(cfgPath)
			require.NoError(t, err)
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
			cmd := exec.Command(binary, "run", "--label-filter", "group:route")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			first, _, _ := strings.Cut(string(out), "\n")
			assert.Contains(t, first, "config "+name)
		})
	}
}

// A rejected key stops the run in the preflight with one line and exit 3
// (not testable), instead of dozens of "expected 400, got 401" failures.
func TestRejectedKeyOrModelStopsInPreflight(t *testing.T) {
	cfgPath, _ := serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, nil)
	// Stopped in the preflight: exit 2 with its one message and no case's
	// verdict (no wall-clock bound, which a busy machine breaks).
	out := errconform(t, []string{"ERRCONFORM_API_KEY=sk-ref-00000000000000000000000000000000"}, "run", "--config", cfgPath)
	assert.Equal(t, 3, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, "NOT TESTABLE (key): the target rejected the configured API key")
	assert.Equal(t, 1, strings.Count(out.stdout+out.stderr, "rejected the configured API key"), "one message: %s", out.stdout+out.stderr)
	assert.NotContains(t, out.stdout, "FAIL")
	assert.NotContains(t, out.stdout+out.stderr, "sk-ref-00000000000000000000000000000000")

	cfgPath, _ = serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, func(c *config.Config) { c.Fixtures.Model = "no/such-model" })
	out = errconform(t, nil, "run", "--config", cfgPath)
	assert.Equal(t, 3, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, `NOT TESTABLE (model): the target rejected the configured model "no/such-model"`)
}

// A control that fails for another reason is a failed case of its own, and
// the run goes on.
func TestFailingControlIsAFailedCase(t *testing.T) {
	brokenStreams := answersOn(func(r *http.Request) bool { return r.URL.Path == "/v1/models" },
		http.StatusInternalServerError, `{"status":"failure","message":"cannot list"}`)
	cfgPath, _ := serveReferenceWith(t, brokenStreams, nil)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--label-filter", "group:route", "--json", jsonPath)
	assert.Equal(t, 1, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, jsonPath)
	verdicts := map[string]string{}
	for _, c := range rep.Cases {
		verdicts[c.ID] = string(c.Verdict)
	}
	assert.Equal(t, "failed", verdicts["control/models-list"])
	assert.Equal(t, "passed", verdicts["control/chat"])
	assert.Equal(t, "passed", verdicts["route/unknown-route"], "the run went on")
}

// target.headers go out on every request and into reproduction commands;
// a secret-looking one is redacted and named by its variable.
func TestTargetHeadersAreSentOnEveryRequest(t *testing.T) {
	const gatewayKey = "gw-Zq81mX0vPa77LkTT"
	var missing, seen atomic.Int64
	gateway := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.Add(1)
			if r.Header.Get("X-Route") != "staging-eu" || r.Header.Get("X-Gateway-Key") != gatewayKey {
				missing.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
	cfgPath, _ := serveReferenceWith(t, gateway, nil)
	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	withHeaders := strings.Replace(string(data), "target:\n", "target:\n    headers:\n        X-Route: staging-eu\n        X-Gateway-Key: ${GATEWAY_KEY}\n", 1)
	require.NoError(t, os.WriteFile(cfgPath, []byte(withHeaders), 0o600))
	env := []string{"GATEWAY_KEY=" + gatewayKey}

	dir := t.TempDir()
	jsonPath, mdPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md")
	out := errconform(t, env, "run", "--config", cfgPath, "--json", jsonPath, "--markdown", mdPath, "--verbose")
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Positive(t, seen.Load())
	assert.Zero(t, missing.Load(), "every request carries target.headers")
	report, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	md, err := os.ReadFile(mdPath)
	require.NoError(t, err)
	for name, text := range map[string]string{"stdout": out.stdout, "stderr": out.stderr, "JSON": string(report), "Markdown": string(md)} {
		assert.NotContains(t, text, gatewayKey, "%s shows the gateway key", name)
	}
	rep := readJSONReport(t, jsonPath)
	assert.Contains(t, rep.Cases[0].Reproduce, `X-Route: staging-eu`)
	assert.Contains(t, rep.Cases[0].Reproduce, `"X-Gateway-Key: ${GATEWAY_KEY}"`, "the secret header is named by its variable, which the shell expands")

	dry := errconform(t, env, "run", "--config", cfgPath, "--dry-run")
	require.Equal(t, 0, dry.code, dry.stderr)
	assert.Contains(t, dry.stdout, "> X-Route: staging-eu")
	assert.NotContains(t, dry.stdout, gatewayKey)

	check := errconform(t, env, "config", "check", cfgPath)
	require.Equal(t, 0, check.code, check.stdout+check.stderr)
	assert.Contains(t, check.stdout, "X-Route: staging-eu")
	assert.Contains(t, check.stdout, "X-Gateway-Key: [REDACTED]")
	assert.NotContains(t, check.stdout, gatewayKey)
}

// Azure-style deployments take the key in an api-key header: auth.header
// sends it there, and the variants that break the Bearer scheme itself are
// skipped as not applicable.
func TestAPIKeyHeaderAuth(t *testing.T) {
	var sawAuthorization atomic.Int64
	azure := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				sawAuthorization.Add(1)
			}
			r.Header.Del("Authorization")
			if key := r.Header.Get("Api-Key"); key != "" {
				r.Header.Set("Authorization", "Bearer "+key)
			}
			next.ServeHTTP(w, r)
		})
	}
	cfgPath, _ := serveReferenceWith(t, azure, func(c *config.Config) { c.Auth.Header = "api-key" })
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--json", jsonPath)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Zero(t, sawAuthorization.Load(), "no request used the Authorization header")
	rep := readJSONReport(t, jsonPath)
	verdicts := map[string]string{}
	for _, c := range rep.Cases {
		verdicts[c.ID] = string(c.Verdict)
		if c.Verdict == "skipped" {
			assert.Contains(t, c.Reason, "not applicable", c.ID)
		}
	}
	assert.Equal(t, "passed", verdicts["auth/unknown-key/chat"])
	assert.Equal(t, "passed", verdicts["auth/shaped-unknown-key/chat"])
	assert.Equal(t, "passed", verdicts["auth/missing-header/chat"])
	assert.Equal(t, "skipped", verdicts["auth/basic-scheme/chat"])
	assert.Equal(t, "skipped", verdicts["auth/jwt-alg-none/chat"])
}

// With --require all, a budget that leaves cases unrun fails the gate.
func TestRequireAllWithAShortBudgetFails(t *testing.T) {
	cfgPath, _ := serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, nil)
	out := errconform(t, nil, "run", "--config", cfgPath, "--max-requests", "20")
	assert.Equal(t, 0, out.code, "without --require all, unrun cases are skips: %s", out.stdout)
	out = errconform(t, nil, "run", "--config", cfgPath, "--max-requests", "20", "--require", "all")
	assert.Equal(t, 1, out.code, out.stdout)
	assert.Contains(t, out.stdout, "--require all asks for every case")
}

// A reproduction command sends exactly the failing request: credentials
// errconform crafted (JWTs, unknown keys) are printed as they are, the
// configured ones as their variables, nothing as [REDACTED].
func TestReproductionSendsTheCraftedCredential(t *testing.T) {
	cfgPath, cfg := serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, nil)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--case", "auth/*/chat", "--json", jsonPath)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, jsonPath)
	repro := map[string]string{}
	for _, c := range rep.Cases {
		repro[c.ID] = c.Reproduce
	}
	for _, id := range []string{"auth/jwt-alg-none/chat", "auth/jwt-bad-signature/chat"} {
		assert.Contains(t, repro[id], `-H "Authorization: Bearer eyJ`, id)
		assert.NotContains(t, repro[id], "[REDACTED]", id)
	}
	// Signed with the configured fixtures.jwt_hs256_secret, the expired JWT
	// may work against a target that ignores exp: it stays redacted.
	assert.Contains(t, repro["auth/jwt-expired/chat"], `-H "Authorization: Bearer [REDACTED]"`)
	assert.Contains(t, repro["auth/unknown-key/chat"], "Bearer sk-errconform-Zq7L")
	assert.Regexp(t, `Bearer sk-ref-[0-9a-f]{32}"`, repro["auth/shaped-unknown-key/chat"])
	assert.Contains(t, repro["auth/key-without-scheme/chat"], `-H "Authorization: ${ERRCONFORM_API_KEY}"`)
	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	for _, secret := range cfg.Secrets() {
		assert.NotContains(t, string(data), secret)
	}
}

// Nothing left over in a CI job's environment can narrow or empty a gate:
// --dry-run, --case and --rerun-failed come from the command line only; a
// report from one target cannot be re-run against another; a request
// budget must leave room for the positive controls.
func TestNothingQuietlyNarrowsAGate(t *testing.T) {
	dir := t.TempDir()
	out := errconform(t, []string{"ERRCONFORM_DRY_RUN=true", "ERRCONFORM_CASE=route/unknown-route"}, "run", "--target", "reference", "--quiet")
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, fmt.Sprintf("%d passed", len(catalogueIDs())), "neither variable took effect")

	refReport := filepath.Join(dir, "ref.json")
	require.Equal(t, 0, errconform(t, nil, "run", "--target", "reference", "--quiet", "--json", refReport).code)
	cfgPath, _ := serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, nil)
	out = errconform(t, nil, "run", "--config", cfgPath, "--rerun-failed", refReport)
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "was written against the embedded reference")

	out = errconform(t, nil, "run", "--config", cfgPath, "--max-requests", "2")
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "leaves no room for the 3 positive controls")
}
