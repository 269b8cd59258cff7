package runner_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/metrics/metricstest"
	"github.com/errconform/errconform/reports"
)

// Bounds of the monitor tests: how long a monitor may take to show its
// runs, and to exit after SIGTERM.
const (
	monitorWaitBound = 60 * time.Second
	monitorStopBound = 10 * time.Second
)

// syncBuffer is a bytes.Buffer safe for a process writing while the test
// reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningMonitor is an errconform monitor process under test.
type runningMonitor struct {
	cmd            *exec.Cmd
	url            string
	stdout, stderr *syncBuffer
	exited         chan struct{}
	err            error
}

// output is what the monitor printed so far, for failure messages.
func (m *runningMonitor) output() string { return m.stdout.String() + m.stderr.String() }

// startMonitor starts errconform monitor on a free loopback port with
// args, and waits (bounded) until /healthz answers. It is killed when
// the test ends, if still running.
func startMonitor(t *testing.T, env []string, args ...string) *runningMonitor {
	t.Helper()
	addr := closedPort(t)
	cmd := exec.Command(binary, append([]string{"monitor", "--listen", addr}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	m := &runningMonitor{cmd: cmd, url: "http://" + addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = m.stdout, m.stderr
	require.NoError(t, cmd.Start())
	go func() {
		m.err = cmd.Wait()
		close(m.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-m.exited:
		default:
			_ = cmd.Process.Kill()
			<-m.exited
		}
	})
	deadline := time.Now().Add(monitorWaitBound)
	for {
		resp, err := http.Get(m.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m
			}
		}
		select {
		case <-m.exited:
			t.Fatalf("monitor exited before serving (%v): %s", m.err, m.output())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("monitor not serving within %s: %s", monitorWaitBound, m.output())
		}
	}
}

// stop sends SIGTERM and requires exit 0 within monitorStopBound.
func (m *runningMonitor) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, m.cmd.Process.Signal(syscall.SIGTERM))
	start := time.Now()
	select {
	case <-m.exited:
	case <-time.After(monitorStopBound):
		t.Fatalf("monitor still running %s after SIGTERM: %s", monitorStopBound, m.output())
	}
	require.NoError(t, m.err, "SIGTERM ends the monitor with exit 0: %s", m.output())
	t.Logf("monitor exited %s after SIGTERM", time.Since(start).Round(time.Millisecond))
}

// families is one scrape, parsed by Prometheus' own parser.
type families map[string]*dto.MetricFamily

// scrape reads and parses the monitor's /metrics.
func (m *runningMonitor) scrape(t *testing.T) families {
	t.Helper()
	resp, err := http.Get(m.url + "/metrics")
	require.NoError(t, err, "the monitor keeps serving: %s", m.output())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err)
	return fams
}

// labelsOf is a metric's labels as a map.
func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// value sums the family's series (gauge or counter) whose labels include
// want.
func (f families) value(name string, want map[string]string) float64 {
	sum := 0.0
	fam := f[name]
	if fam == nil {
		return 0
	}
	for _, m := range fam.GetMetric() {
		labels := labelsOf(m)
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		if m.GetCounter() != nil {
			sum += m.GetCounter().GetValue()
		} else {
			sum += m.GetGauge().GetValue()
		}
	}
	return sum
}

// runs is how many runs of target the monitor has completed, whatever
// their outcome.
func (f families) runs(target string) float64 {
	return f.value("errconform_monitor_runs_total", map[string]string{"target": target})
}

// waitFor scrapes until ok holds, within monitorWaitBound.
func (m *runningMonitor) waitFor(t *testing.T, what string, ok func(families) bool) families {
	t.Helper()
	deadline := time.Now().Add(monitorWaitBound)
	for {
		fams := m.scrape(t)
		if ok(fams) {
			return fams
		}
		if time.Now().After(deadline) {
			t.Fatalf("monitor: %s not within %s: %s", what, monitorWaitBound, m.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// summaryCounts are a summary's counts per verdict, as the metrics label
// them.
func summaryCounts(s reports.Summary) map[string]float64 {
	return map[string]float64{
		string(check.Passed): float64(s.Passed), string(check.Failed): float64(s.Failed), string(check.Warned): float64(s.Warned),
		string(check.Skipped): float64(s.Skipped), string(check.Errored): float64(s.Errored), string(check.Waived): float64(s.Waived),
	}
}

// expectedTarget is what one target's monitor series must show: what a
// single errconform run --json of the same target found.
type expectedTarget struct {
	summary reports.Summary
	cases   []reports.CaseReport
	outcome string
}

func TestMonitorServesTheLatestRunOfEachTarget(t *testing.T) {
	t.Parallel()
	down := closedPort(t)
	fleet := writeFleet(t, nil,
		map[string]any{"name": "up", "base_url": "reference"},
		map[string]any{"name": "down", "base_url": "http://" + down + "/v1", "auth": map[string]any{"api_key": "sk-zz-M4nP7qR2sT9vW3xY"}})
	tests := []struct {
		name string
		args []string
		// reference derives the expectations per target from one run
		// --json of the same targets.
		reference func(t *testing.T) map[string]expectedTarget
	}{
		{"the embedded reference", []string{"--target", "reference"}, func(t *testing.T) map[string]expectedTarget {
			path := filepath.Join(t.TempDir(), "r.json")
			out := errconform(t, nil, "run", "--target", "reference", "--quiet", "--json", path, "--label-filter", "!alone")
			require.Equal(t, 0, out.code, out.stdout+out.stderr)
			rep := readJSONReport(t, path)
			return map[string]expectedTarget{"reference": {rep.Summary, rep.Cases, reports.OutcomeCompleted}}
		}},
		{"a fleet with one target down", []string{"--config", fleet}, func(t *testing.T) map[string]expectedTarget {
			path := filepath.Join(t.TempDir(), "r.json")
			out := errconform(t, nil, "run", "--config", fleet, "--quiet", "--json", path, "--label-filter", "!alone")
			require.Equal(t, 3, out.code, out.stdout+out.stderr)
			want := map[string]expectedTarget{}
			for _, tr := range readJSONReport(t, path).Targets {
				want[tr.Name] = expectedTarget{tr.Summary, tr.Cases, tr.Outcome}
			}
			require.Equal(t, reports.OutcomeUnreachable, want["down"].outcome)
			require.Positive(t, want["down"].summary.Errored)
			return want
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.reference(t)
			// The burst is left out: two runs a second apart find the
			// rate-limited key still limited, and the second errors it.
			m := startMonitor(t, nil, append([]string{"--interval", "1s", "--label-filter", "!alone"}, tt.args...)...)
			fams := m.waitFor(t, "two completed runs of every target", func(f families) bool {
				for name := range want {
					if f.runs(name) < 2 {
						return false
					}
				}
				return true
			})
			for name, w := range want {
				target := map[string]string{"target": name}
				for verdict, n := range summaryCounts(w.summary) {
					assert.Equal(t, n, fams.value("errconform_cases", map[string]string{"target": name, "verdict": verdict}), "%s: %s cases", name, verdict)
				}
				for _, c := range w.cases {
					got := fams.value("errconform_case_verdict", map[string]string{"target": name, "case": c.ID, "verdict": string(c.Verdict)})
					assert.Equal(t, 1.0, got, "%s: %s is %s", name, c.ID, c.Verdict)
				}
				assert.Equal(t, fams.runs(name), fams.value("errconform_monitor_runs_total", map[string]string{"target": name, "outcome": w.outcome}),
					"%s: every run ended %s", name, w.outcome)
				up := 0.0
				if w.outcome == reports.OutcomeCompleted {
					up = 1
				}
				assert.Equal(t, up, fams.value("errconform_monitor_up", target), name)
				assert.Positive(t, fams.value("errconform_monitor_last_run_duration_seconds", target), name)
				assert.Positive(t, fams.value("errconform_last_run_timestamp_seconds", target), name)
				assert.NotNil(t, fams["errconform_monitor_skipped_ticks_total"], "the skipped ticks are served, at 0 too")
			}
			// It goes on: more runs, every target still served.
			before := map[string]float64{}
			for name := range want {
				before[name] = fams.runs(name)
			}
			m.waitFor(t, "runs_total to increase for every target", func(f families) bool {
				for name := range want {
					if f.runs(name) <= before[name] {
						return false
					}
				}
				return true
			})
			m.stop(t)
			assert.Contains(t, m.stdout.String(), "monitoring ")
		})
	}
}

// slowTarget serves a reference on 127.0.0.1 whose every answer takes
// latency, counting the requests in flight at once; it returns its config
// and the largest count seen.
func slowTarget(t *testing.T, latency time.Duration) (cfgPath string, maxInFlight func() int64) {
	t.Helper()
	var inFlight, peak atomic.Int64
	cfgPath, _ = serveReferenceWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(latency)
			h.ServeHTTP(w, r)
		})
	}, nil)
	return cfgPath, peak.Load
}

func TestMonitorNeverOverlapsRunsOfOneTarget(t *testing.T) {
	t.Parallel()
	// One request in flight per run (--concurrency 1), four requests of
	// 400ms each (three controls and one case): a run takes 1.6s, longer
	// than the 1s interval. Two runs at once would put two requests in
	// flight.
	cfg, maxInFlight := slowTarget(t, 400*time.Millisecond)
	m := startMonitor(t, nil, "--config", cfg, "--name", "slow", "--interval", "1s", "--concurrency", "1", "--case", "auth/missing-header/models-list")
	fams := m.waitFor(t, "two runs and a skipped tick", func(f families) bool {
		return f.runs("slow") >= 2 && f.value("errconform_monitor_skipped_ticks_total", map[string]string{"target": "slow"}) >= 1
	})
	assert.Equal(t, int64(1), maxInFlight(), "never two runs of one target at once: %s", m.output())
	assert.Equal(t, fams.runs("slow"), fams.value("errconform_monitor_runs_total", map[string]string{"target": "slow", "outcome": reports.OutcomeCompleted}))
	assert.LessOrEqual(t, fams.value("errconform_monitor_running", map[string]string{"target": "slow"}), 1.0)
	assert.Contains(t, m.stdout.String(), "tick skipped: its previous run is still going")
	assert.Equal(t, 4.0, fams.value("errconform_cases", map[string]string{"target": "slow", "verdict": "passed"}), "the three controls and the one case")
	m.stop(t)
	assert.Equal(t, int64(1), maxInFlight(), "not at shutdown either")
}

func TestMonitorStopsWithinItsGraceWhileARunIsInFlight(t *testing.T) {
	t.Parallel()
	// A run that takes far longer than the grace: SIGTERM cancels it and
	// the monitor still exits 0 within the bound.
	cfg, _ := slowTarget(t, 3*time.Second)
	m := startMonitor(t, nil, "--config", cfg, "--name", "slow", "--interval", "1s", "--concurrency", "1", "--case", "auth/missing-header/models-list")
	m.waitFor(t, "a run in flight", func(f families) bool {
		return f.value("errconform_monitor_running", map[string]string{"target": "slow"}) == 1
	})
	m.stop(t)
	assert.Contains(t, m.stderr.String(), "the monitor was stopped (SIGTERM)")
}

func TestMonitorRefusesBadFlagsWithExit2(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { held.Close() })
	withBaseline := filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(withBaseline, []byte("target:\n  base_url: reference\nbaseline: earlier.json\n"), 0o600))
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"a baseline in the config file", nil, []string{"--config", withBaseline}, "baseline: and fail_on: are for run and explore"},
		{"an interval under 1s", nil, []string{"--target", "reference", "--interval", "500ms"}, "--interval 500ms: must be at least 1s"},
		{"an interval from the environment", []string{"ERRCONFORM_INTERVAL=0s"}, []string{"--target", "reference"}, "ERRCONFORM_INTERVAL (--interval) 0s: must be at least 1s"},
		{"a listen address in use", nil, []string{"--target", "reference", "--listen", held.Addr().String()}, "--listen " + held.Addr().String() + ": cannot listen"},
		{"a listen address that is no address", nil, []string{"--target", "reference", "--listen", "not-an-address"}, "--listen not-an-address: cannot listen"},
		{"a report flag", nil, []string{"--target", "reference", "--json", "r.json"}, "monitor does not take --json"},
		{"a shard", nil, []string{"--target", "reference", "--shard", "0/2"}, "monitor does not take --shard"},
		{"no target", nil, []string{"--listen", "127.0.0.1:0"}, "no target to check"},
		{"a rate that is no rate", nil, []string{"--target", "reference", "--max-rps", "-1"}, "--max-rps -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, tt.env, append([]string{"monitor"}, tt.args...)...)
			assert.Equal(t, 2, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stderr, tt.want)
			assert.NotContains(t, out.stdout, "monitoring", "nothing ran")
		})
	}
}

func TestRunPushesToARealPushgateway(t *testing.T) {
	fleet := writeFleet(t, nil, map[string]any{"name": "alpha", "base_url": "reference"},
		map[string]any{"name": "beta", "base_url": "reference", "contract": "openrouter"})
	tests := []struct {
		name string
		args []string
		// targets maps each pushed group's target label to the run's
		// JSON report of it.
		targets func(rep reports.JSONReport) map[string]reports.TargetReport
	}{
		{"one target", []string{"--target", "reference"}, func(rep reports.JSONReport) map[string]reports.TargetReport {
			return map[string]reports.TargetReport{"reference": {Contract: rep.Contract, Summary: rep.Summary, Cases: rep.Cases}}
		}},
		{"a fleet under two contracts", []string{"--config", fleet}, func(rep reports.JSONReport) map[string]reports.TargetReport {
			out := map[string]reports.TargetReport{}
			for _, tr := range rep.Targets {
				out[tr.Name] = tr
			}
			return out
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := metricstest.StartPushgateway(t)
			path := filepath.Join(t.TempDir(), "r.json")
			out := errconform(t, nil, append([]string{"run", "--quiet", "--json", path, "--pushgateway", url}, tt.args...)...)
			require.Equal(t, 0, out.code, out.stdout+out.stderr)
			want := tt.targets(readJSONReport(t, path))
			require.NotEmpty(t, want)

			resp, err := http.Get(url + "/metrics")
			require.NoError(t, err)
			defer resp.Body.Close()
			parser := expfmt.NewTextParser(model.UTF8Validation)
			fams, err := parser.TextToMetricFamilies(resp.Body)
			require.NoError(t, err)
			got := families(fams)
			// Every errconform series carries the grouping key: job, and
			// the target and contract of a run that was pushed.
			groups := map[string]bool{}
			for name, fam := range got {
				if !strings.HasPrefix(name, "errconform_") {
					continue
				}
				for _, m := range fam.GetMetric() {
					l := labelsOf(m)
					assert.Equal(t, "errconform", l["job"], name)
					w, ok := want[l["target"]]
					require.True(t, ok, "%s: target %q was not pushed", name, l["target"])
					assert.Equal(t, w.Contract.Name, l["contract"], name)
					groups[l["target"]+"/"+l["contract"]] = true
				}
			}
			assert.Len(t, groups, len(want), "one group per target and contract")
			for name, w := range want {
				key := map[string]string{"job": "errconform", "target": name, "contract": w.Contract.Name}
				for verdict, n := range summaryCounts(w.Summary) {
					k := map[string]string{"verdict": verdict}
					for a, b := range key {
						k[a] = b
					}
					assert.Equal(t, n, got.value("errconform_cases", k), "%s: %s cases", name, verdict)
				}
				assert.Equal(t, 1.0, got.value("errconform_contract_info", key), name)
				assert.Equal(t, float64(len(w.Cases)), got.value("errconform_case_verdict", key), "%s: one series per case", name)
			}
			// The Pushgateway records each group's push time, named by its grouping labels.
			assert.Len(t, got["push_time_seconds"].GetMetric(), len(want), "push_time_seconds per group")
		})
	}
}
