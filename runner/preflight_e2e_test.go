package runner_test

import (
	"bufio"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

// firstSummaryLine is the first non-empty line of a --quiet run's
// standard output after the one naming its config file: the summary's
// first line.
func firstSummaryLine(stdout string) string {
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "errconform: config ") || strings.HasPrefix(line, "errconform: no config file") {
			continue
		}
		if line != "" {
			return line
		}
	}
	return ""
}

// assertNotTestable checks a run that stopped after its controls: exit 3,
// one line naming the cause and remedy as the summary's first, and every
// report holding errored cases only, with that cause.
func assertNotTestable(t *testing.T, out outcome, dir, cause string, remedy ...string) {
	t.Helper()
	all := out.stdout + out.stderr
	require.Equal(t, 3, out.code, all)
	first := firstSummaryLine(out.stdout)
	assert.True(t, strings.HasPrefix(first, "NOT TESTABLE ("+cause+"): "), "the summary's first line names the cause: %s", all)
	for _, r := range remedy {
		assert.Contains(t, first, r, "the line says what to do")
	}
	assert.Equal(t, 1, strings.Count(all, "NOT TESTABLE"), "one line: %s", all)
	assert.NotContains(t, all, "Failures by cause", "no failure groups: one cause, said once")

	rep := readJSONReport(t, filepath.Join(dir, "r.json"))
	require.NotNil(t, rep.NotTestable, "the JSON report says the target was not testable")
	assert.Equal(t, cause, rep.NotTestable.Cause)
	assert.Equal(t, rep.Summary.Total, rep.Summary.Errored, "every case errored, none passed or failed")
	for _, c := range rep.Cases {
		assert.Equal(t, check.Errored, c.Verdict, c.ID)
		assert.True(t, strings.HasPrefix(c.Reason, "not testable: "), "%s: %s", c.ID, c.Reason)
	}
	junit, err := os.ReadFile(filepath.Join(dir, "r.xml"))
	require.NoError(t, err)
	assert.NotContains(t, string(junit), "<failure", "no failed testcase in the JUnit report")
	assert.Equal(t, rep.Summary.Total, strings.Count(string(junit), "<error"), "every JUnit testcase is an error")
	var ctrf struct {
		Results struct {
			Summary struct{ Passed, Failed int } `json:"summary"`
		} `json:"results"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "r.ctrf.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &ctrf))
	assert.Zero(t, ctrf.Results.Summary.Passed+ctrf.Results.Summary.Failed, "no passed or failed test in the CTRF report")
	md, err := os.ReadFile(filepath.Join(dir, "r.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "Not testable", "the Markdown summary says so")
	html, err := os.ReadFile(filepath.Join(dir, "r.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "Not testable", "the HTML report says so")
}

// everyReport asks for every report in dir.
func everyReport(dir string) []string {
	return reportArgs(map[string]string{"json": filepath.Join(dir, "r.json"), "junit": filepath.Join(dir, "r.xml"), "ctrf": filepath.Join(dir, "r.ctrf.json"),
		"markdown": filepath.Join(dir, "r.md"), "html": filepath.Join(dir, "r.html")})
}

// A setup that keeps the positive controls from passing stops the run
// after them with one line naming the cause and what to do, exit 3, and
// no passed or failed case in any report.
func TestBrokenSetupStopsAfterTheControls(t *testing.T) {
	plain := func(edit func(*config.Config)) string {
		cfgPath, _ := serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, edit)
		return cfgPath
	}
	// a gateway that needs a routing header: without it, every request is
	// refused with 400, in the gateway's own shape
	routed := answersOn(func(r *http.Request) bool { return r.Header.Get("X-Route") == "" },
		http.StatusBadRequest, `{"status":"failure","message":"Either x-route-config or x-route-provider header is required"}`)
	tests := []struct {
		name   string
		config func(t *testing.T) string
		cause  string
		remedy []string
	}{
		{"base URL missing /v1", func(t *testing.T) string {
			return plain(func(c *config.Config) { c.Target.BaseURL = strings.TrimSuffix(c.Target.BaseURL, "/v1") })
		}, reports.CauseWrongPath, []string{"try http://127.0.0.1:", "/v1"}},
		{"https against plain HTTP", func(t *testing.T) string {
			return plain(func(c *config.Config) { c.Target.BaseURL = strings.Replace(c.Target.BaseURL, "http://", "https://", 1) })
		}, reports.CauseScheme, []string{"plain HTTP", "use http://127.0.0.1:"}},
		{"self-signed TLS", func(t *testing.T) string {
			srv, cfg := serveReferenceTLS(t)
			_ = srv
			return writeConfig(t, cfg)
		}, reports.CauseTLS, []string{"not trusted", "--ca-cert", "--insecure"}},
		{"rejected key", func(t *testing.T) string {
			return plain(func(c *config.Config) { c.Auth.APIKey = "sk-ref-00000000000000000000000000000000" })
		}, reports.CauseKey, []string{"rejected the configured API key", "ERRCONFORM_API_KEY"}},
		{"unknown model", func(t *testing.T) string {
			return plain(func(c *config.Config) { c.Fixtures.Model = "no/such-model" })
		}, reports.CauseModel, []string{`"no/such-model"`, "fixtures.model"}},
		{"gateway without its routing headers", func(t *testing.T) string {
			cfgPath, _ := serveReferenceWith(t, routed, nil)
			return cfgPath
		}, reports.CauseRefused, []string{"refused with 400", "target.headers", "fixtures.model"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			out := errconform(t, nil, append([]string{"run", "--config", tt.config(t), "--quiet"}, everyReport(dir)...)...)
			assertNotTestable(t, out, dir, tt.cause, tt.remedy...)
			assert.Less(t, time.Since(start), 20*time.Second, "the run stops after the controls")
			assert.NotContains(t, out.stdout+out.stderr, "sk-ref-00000000000000000000000000000000")
		})
	}
}

// serveReferenceTLS serves the reference over TLS with httptest's
// self-signed certificate and returns the server and its config.
func serveReferenceTLS(t *testing.T) (*httptest.Server, config.Config) {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond})
	srv := httptest.NewTLSServer(ref)
	t.Cleanup(srv.Close)
	return srv, ref.Config(srv.URL + "/v1")
}

func writeConfig(t *testing.T, cfg config.Config) string {
	t.Helper()
	data, err := cfg.Marshal()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// The same self-signed server is tested once its CA is trusted: the
// remedy the line names works.
func TestSelfSignedTargetIsTestedWithItsCA(t *testing.T) {
	srv, cfg := serveReferenceTLS(t)
	caPath := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	out := errconform(t, nil, "run", "--config", writeConfig(t, cfg), "--ca-cert", caPath, "--label-filter", "group:route", "--quiet")
	assert.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.NotContains(t, out.stdout, "NOT TESTABLE")
}

// A server error on valid input is the contract's business, not a setup
// problem: a target whose chat controls answer 500 is judged (its
// controls fail as cases of their own, the other cases run), where one
// whose chat controls answer 400 is not testable.
func TestServerErrorOnValidInputIsJudged(t *testing.T) {
	validChat500 := answersOn(func(r *http.Request) bool {
		return r.URL.Path == "/v1/chat/completions" && strings.Contains(r.Header.Get("Authorization"), "sk-ref-")
	}, http.StatusInternalServerError, `{"error":{"message":"upstream exploded","type":"api_error","param":null,"code":null}}`)
	cfgPath, _ := serveReferenceWith(t, validChat500, nil)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--label-filter", "group:route", "--json", jsonPath)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	assert.NotContains(t, out.stdout+out.stderr, "NOT TESTABLE")
	rep := readJSONReport(t, jsonPath)
	assert.Nil(t, rep.NotTestable, "judged: a 5xx to a valid request is the contract's business")
	verdicts := map[string]check.Verdict{}
	for _, c := range rep.Cases {
		verdicts[c.ID] = c.Verdict
	}
	assert.Equal(t, check.Failed, verdicts["control/chat"], "the control fails as a case of its own")
	assert.Equal(t, check.Passed, verdicts["control/models-list"])
	assert.Positive(t, rep.Summary.Passed, "the other cases were judged")
}

// A target that accepts valid requests at the start and refuses them at
// the end (a gateway that disables its upstream key after a few client
// errors) is reported on the summary's first line and in the JSON report,
// and the run is not green.
func TestTargetThatBreaksDuringTheRunIsReported(t *testing.T) {
	var clientErrors atomic.Int64
	const after = 5
	disablesKey := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if clientErrors.Load() >= after {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":{"message":"Upstream key disabled after repeated client errors.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`))
				return
			}
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			if rec.status >= 400 && rec.status < 500 {
				clientErrors.Add(1)
			}
		})
	}
	cfgPath, _ := serveReferenceWith(t, disablesKey, nil)
	dir := t.TempDir()
	// One case at a time: the controls pass before the first client error.
	out := errconform(t, nil, "run", "--config", cfgPath, "--label-filter", "group:request", "--concurrency", "1", "--quiet", "--json", filepath.Join(dir, "r.json"))
	all := out.stdout + out.stderr
	assert.Equal(t, 1, out.code, "not green: %s", all)
	first := firstSummaryLine(out.stdout)
	assert.True(t, strings.HasPrefix(first, "TARGET BROKE DURING THE RUN (key): "), "the summary's first line: %s", all)
	assert.Contains(t, first, "passed at its start but not at its end")
	assert.Contains(t, first, "control/chat: POST /chat/completions answered 401")
	rep := readJSONReport(t, filepath.Join(dir, "r.json"))
	require.NotNil(t, rep.TargetBroke, "the JSON report says the target broke")
	assert.Equal(t, reports.CauseKey, rep.TargetBroke.Cause)
	assert.Nil(t, rep.NotTestable)

	// The same target, run fresh and with fewer client errors than it
	// tolerates, holds: no such line.
	clientErrors.Store(0)
	out = errconform(t, nil, "run", "--config", cfgPath, "--case", "control/*", "--case", "request/malformed-json", "--quiet", "--json", filepath.Join(dir, "ok.json"))
	assert.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.NotContains(t, out.stdout, "TARGET BROKE")
	assert.Nil(t, readJSONReport(t, filepath.Join(dir, "ok.json")).TargetBroke)
}

// statusRecorder records the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// A fleet takes the same preflight: a target whose base URL lacks /v1 is
// not testable (its cases errored with the cause, exit 3), the others run.
func TestFleetTargetWithBrokenSetupIsNotTestable(t *testing.T) {
	noV1 := fleetEntry(t, "nov1", func(h http.Handler) http.Handler { return h }, nil)
	noV1["base_url"] = strings.TrimSuffix(noV1["base_url"].(string), "/v1")
	dir := t.TempDir()
	out := errconform(t, nil, "run", "--config", writeFleet(t, nil, map[string]any{"name": "good", "base_url": "reference"}, noV1),
		"--label-filter", "group:route", "--json", filepath.Join(dir, "r.json"))
	require.Equal(t, 3, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, filepath.Join(dir, "r.json"))
	require.Len(t, rep.Targets, 2)
	for _, target := range rep.Targets {
		switch target.Name {
		case "good":
			assert.Nil(t, target.NotTestable)
			assert.Equal(t, reports.OutcomeCompleted, target.Outcome)
		case "nov1":
			require.NotNil(t, target.NotTestable)
			assert.Equal(t, reports.CauseWrongPath, target.NotTestable.Cause)
			assert.Equal(t, reports.OutcomeRejected, target.Outcome)
			assert.Equal(t, target.Summary.Total, target.Summary.Errored)
		}
	}
	assert.Contains(t, out.stdout, "[nov1] not testable: every positive control answered 404")
}

// ratelimit/burst against a key that is already limited (a previous run
// spent its window) sends one request, gets 429 and proves nothing about
// the limit: errored with the reason, never passed.
func TestBurstOnAnAlreadyLimitedKeyIsErrored(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{RateWindow: time.Hour}) // spent for the whole test
	srv := httptest.NewServer(ref)
	t.Cleanup(srv.Close)
	cfg := ref.Config(srv.URL + "/v1")
	cfgPath := writeConfig(t, cfg)
	client := &http.Client{Timeout: 5 * time.Second}
	limited := 0
	for range cfg.Fixtures.RateLimitBurst {
		req, err := http.NewRequest(http.MethodGet, cfg.Target.BaseURL+"/models", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+cfg.Fixtures.RateLimitedAPIKey)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			break
		}
	}
	require.Equal(t, 1, limited, "the reference's rate-limited key is exhausted before the run")

	jsonPath := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--case", "ratelimit/burst", "--json", jsonPath)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, jsonPath)
	var burst *reports.CaseReport
	for i := range rep.Cases {
		if rep.Cases[i].ID == "ratelimit/burst" {
			burst = &rep.Cases[i]
		}
	}
	require.NotNil(t, burst)
	assert.Equal(t, check.Errored, burst.Verdict)
	assert.Contains(t, burst.Reason, "the key was already limited")
	assert.Contains(t, burst.Reason, "wait for the window or use another key")
	assert.Equal(t, 1, burst.Requests, "one request: the first was refused")
	assert.Contains(t, out.stdout, "ERR   ratelimit/burst")
}

// explore against a target that is not testable sends no variant and
// does not claim it sent any.
func TestExploreOnAnUntestableTargetSendsNoVariant(t *testing.T) {
	cfgPath, _ := serveReferenceWith(t, func(h http.Handler) http.Handler { return h },
		func(c *config.Config) { c.Target.BaseURL = strings.TrimSuffix(c.Target.BaseURL, "/v1") })
	out := errconform(t, nil, "explore", "--config", cfgPath, "--quiet")
	require.Equal(t, 3, out.code, out.stdout+out.stderr)
	assert.True(t, strings.HasPrefix(firstSummaryLine(out.stdout), "NOT TESTABLE (wrong-path): "), out.stdout)
	assert.NotContains(t, out.stdout, "variants sent")
	assert.Contains(t, out.stdout, "(3 requests)", "the controls only")
}

// answersOn wraps a handler: the requests match picks are answered with
// status and the JSON body, the others served as usual.
func answersOn(match func(*http.Request) bool, status int, body string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(body))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
