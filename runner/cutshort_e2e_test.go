//go:build unix

package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/runner"
	"github.com/errconform/errconform/spec"
)

// Runs cut short: --deadline covers the whole run, report writing
// included, and a run stopped by its deadline or by SIGINT/SIGTERM writes
// every report with every selected case in it (the unfinished ones
// errored), then exits 1 (the deadline), 130 (SIGINT) or 143 (SIGTERM).

// cutShortSlack is what a cut-short run may take beyond its deadline (or
// signal) and runner.CutShortGrace: process start and report writing on a
// busy machine (normally well under a second). The bounds stay far below
// the runs' 30 s request timeout, which a run that ignored its deadline or
// the signal would wait out.
const cutShortSlack = 10 * time.Second

// reportPaths are the five report paths of a run in dir.
func reportPaths(dir string) map[string]string {
	paths := map[string]string{}
	for _, f := range []string{"junit", "json", "ctrf", "html", "markdown"} {
		paths[f] = filepath.Join(dir, "report."+f)
	}
	return paths
}

func reportArgs(paths map[string]string) []string {
	var args []string
	for _, f := range []string{"junit", "json", "ctrf", "html", "markdown"} {
		args = append(args, "--"+f, paths[f])
	}
	return args
}

// checkCompleteReports asserts that every format was written and lists
// want cases, in JUnit as in JSON and CTRF, and that each validates
// against its schema.
func checkCompleteReports(t *testing.T, paths map[string]string, want int) reports.JSONReport {
	t.Helper()
	for name, p := range paths {
		info, err := os.Stat(p)
		require.NoError(t, err, "the %s report is written", name)
		assert.Positive(t, info.Size(), name)
	}
	rep := readJSONReport(t, paths["json"])
	assert.Equal(t, want, rep.Summary.Total, "JSON")
	assert.Len(t, rep.Cases, want, "JSON")

	var junit junitDoc
	data, err := os.ReadFile(paths["junit"])
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(data, &junit))
	require.Len(t, junit.Suites, 1)
	assert.Equal(t, want, junit.Suites[0].Tests, "JUnit tests=")
	assert.Len(t, junit.Suites[0].Cases, want, "JUnit testcases")
	assert.Equal(t, rep.Summary.Errored, junit.Suites[0].Errors, "JUnit errors= agrees with JSON")
	assert.Equal(t, rep.Summary.Failed, junit.Suites[0].Failures, "JUnit failures= agrees with JSON")

	var ctrf reports.CTRF
	data, err = os.ReadFile(paths["ctrf"])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &ctrf))
	assert.Equal(t, want, ctrf.Results.Summary.Tests, "CTRF")
	assert.Len(t, ctrf.Results.Tests, want, "CTRF")

	ctrfSchema, err := os.ReadFile("../testdata/schemas/ctrf-schema-0.0.json")
	require.NoError(t, err)
	validateJSONSchema(t, "ctrf-schema-0.0.json", ctrfSchema, paths["ctrf"])
	t.Run("junit-xsd", func(t *testing.T) { validateJUnitXSD(t, paths["junit"]) })
	return rep
}

// TestDeadlineBoundsTheWholeRun: against a target that never answers, with
// request timeouts far longer than the deadline, the run ends within its
// deadline (its cases stop a tenth of it early, for the reports), exit 1,
// with every report written. It once took
// 33.7s for --deadline 5s.
func TestDeadlineBoundsTheWholeRun(t *testing.T) {
	origin := hostileRaw(t, neverAnswer)
	paths := reportPaths(t.TempDir())
	const deadline = 3 * time.Second
	args := append([]string{"run", "--target", origin + "/v1", "--deadline", deadline.String(), "--timeout", "30s", "--gateway-timeout", "10s"}, reportArgs(paths)...)
	m := errconformMeasured(t, []string{"ERRCONFORM_API_KEY=" + hostileKey}, args...)
	t.Logf("exit %d in %s\n%s", m.code, m.wall.Round(time.Millisecond), m.stderr)
	assert.Equal(t, 1, m.code, m.stdout+m.stderr)
	assert.Less(t, m.wall, deadline+runner.CutShortGrace+cutShortSlack, "the deadline covers the whole run, report writing included")
	// The cases get the deadline less the tenth kept for the reports.
	assert.GreaterOrEqual(t, m.wall, deadline-deadline/10-100*time.Millisecond, "nothing ends the cases before their share of the deadline")
	assert.Contains(t, m.stderr, "--deadline (3s) passed")
	rep := checkCompleteReports(t, paths, len(catalogueIDs()))
	assert.Zero(t, rep.Summary.Passed)
	assert.Positive(t, rep.Summary.Errored)
	assert.Positive(t, rep.Summary.Skipped, "cases missing a fixture are skipped: that is known without sending anything")
}

// holdAfter serves the reference for the first n requests (the preflight's
// positive controls) and holds every later one open without answering,
// until the client goes away; started is closed at request n+1, when the
// concurrent phase has begun.
func holdAfter(t *testing.T, n int64) (cfgPath string, started <-chan struct{}) {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond})
	var count atomic.Int64
	begun, done := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch k := count.Add(1); {
		case k <= n:
			ref.ServeHTTP(w, r)
			return
		case k == n+1:
			close(begun)
		}
		// Read the body first: only then does the server notice the
		// client hanging up and cancel r.Context().
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		select {
		case <-r.Context().Done():
		case <-done:
		case <-time.After(hostileServerLife):
		}
	}))
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	t.Cleanup(func() {
		close(done)
		srv.CloseClientConnections()
		srv.Close()
	})
	data, err := ref.Config(srv.URL + "/v1").Marshal()
	require.NoError(t, err)
	cfgPath = filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(cfgPath, data, 0o600))
	return cfgPath, begun
}

// TestCutShortRunsReportEverySelectedCase stops runs during the concurrent
// phase (the preflight has passed, eight cases are waiting on a target
// that holds them) by --deadline, SIGTERM and SIGINT. Every format lists
// every selected case; JUnit once said tests="0" while JSON and CTRF
// listed them all.
func TestCutShortRunsReportEverySelectedCase(t *testing.T) {
	const controls = 3
	tests := []struct {
		name     string
		deadline time.Duration
		signal   syscall.Signal
		stderr   string
		code     int // 128 + the signal, as shells report an interrupted command
	}{
		{"deadline", 3 * time.Second, 0, "--deadline (3s) passed", 1},
		{"SIGTERM", 0, syscall.SIGTERM, "interrupted (SIGTERM)", 143},
		{"SIGINT", 0, syscall.SIGINT, "interrupted (SIGINT)", 130},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfgPath, begun := holdAfter(t, controls)
			paths := reportPaths(t.TempDir())
			args := append([]string{"run", "--config", cfgPath, "--timeout", "30s", "--gateway-timeout", "10s"}, reportArgs(paths)...)
			if tt.deadline > 0 {
				args = append(args, "--deadline", tt.deadline.String())
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			require.NoError(t, cmd.Start())
			select {
			case <-begun:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("the concurrent phase never began\n%s%s", stdout.String(), stderr.String())
			}
			var stopped time.Time
			if tt.signal != 0 {
				time.Sleep(200 * time.Millisecond) // well inside the concurrent phase
				stopped = time.Now()
				require.NoError(t, cmd.Process.Signal(tt.signal))
			} else {
				stopped = start.Add(tt.deadline)
			}
			err := cmd.Wait()
			ended := time.Now()
			require.NoError(t, ctx.Err(), "errconform hung\n%s%s", stdout.String(), stderr.String())
			var exitErr *exec.ExitError
			require.True(t, errors.As(err, &exitErr), "exit status: %v\n%s%s", err, stdout.String(), stderr.String())
			t.Logf("exit %d, %s after the stop\n%s", exitErr.ExitCode(), ended.Sub(stopped).Round(time.Millisecond), stderr.String())
			assert.Equal(t, tt.code, exitErr.ExitCode(), stdout.String()+stderr.String())
			assert.Contains(t, stdout.String(), fmt.Sprintf(": exit %d\n", tt.code), "the last line says the exit code")
			assert.Less(t, ended.Sub(stopped), runner.CutShortGrace+cutShortSlack, "the reports are written within the grace")
			assert.Contains(t, stderr.String(), tt.stderr)
			assert.NotContains(t, stderr.String(), "panic")

			rep := checkCompleteReports(t, paths, len(catalogueIDs()))
			assert.Equal(t, controls, rep.Summary.Passed, "the positive controls completed before the stop")
			assert.Equal(t, rep.Summary.Total-controls, rep.Summary.Errored, "every other case is errored, none passed")
			for _, c := range rep.Cases {
				if c.Verdict == "errored" {
					assert.NotEmpty(t, c.Reason, c.ID)
				}
			}
		})
	}
}
