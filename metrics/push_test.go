package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/metrics"
	"github.com/errconform/errconform/metrics/metricstest"
	"github.com/errconform/errconform/reports"
)

// gatewaySeries reads the Pushgateway's /metrics with Prometheus' parser:
// the errconform series, without the instance label the Pushgateway adds.
func gatewaySeries(t *testing.T, url string) series {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return flatten(t, parseText(t, resp.Body), "errconform_", "instance")
}

// pushed is what the Pushgateway exposes for a run pushed to it: the
// textfile's series with the job label added.
func pushed(t *testing.T, run metrics.Run) series {
	t.Helper()
	out := series{}
	for k, v := range textfileSeries(t, []metrics.Run{run}) {
		name, rest, _ := strings.Cut(k, "{")
		labels := map[string]string{"job": "errconform"}
		for _, pair := range splitLabels(strings.TrimSuffix(rest, "}")) {
			n, q, _ := strings.Cut(pair, "=")
			var value string
			_, err := fmt.Sscanf(q, "%q", &value)
			require.NoError(t, err)
			labels[n] = value
		}
		out[key(name, labels)] = v
	}
	return out
}

// splitLabels splits `a="x",b="y,z"` at the commas between pairs.
func splitLabels(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func TestPushToARealPushgateway(t *testing.T) {
	url := metricstest.StartPushgateway(t)
	canary := smallReport()
	canary.Contract = reports.ContractInfo{Name: "openrouter", Version: "2026-10"}
	canary.Cases[1].Verdict = check.Passed
	finished := time.Date(2026, 11, 3, 10, 5, 0, 0, time.UTC)
	first := []metrics.Run{
		{Target: "prod", Report: smallReport(), Finished: finished},
		{Target: "canary/eu", Report: canary, Finished: finished},
	}
	// The next run of prod drops a case and fixes another: its group is
	// replaced, canary's left as it was.
	fixed := smallReport()
	fixed.Cases = fixed.Cases[:2]
	fixed.Cases[1].Verdict, fixed.Cases[1].Findings = check.Passed, nil
	second := []metrics.Run{{Target: "prod", Report: fixed, Finished: finished.Add(time.Hour)}}

	tests := []struct {
		name       string
		push       []metrics.Run
		want       []metrics.Run
		wantSeries int
	}{
		// smallReport: 6 catalogue cases, 4 explore variants in 3 pairs.
		{"two targets, two groups", first, first, 2 * metrics.SeriesPerRun(6, 3)},
		{"a push replaces its group only", second, []metrics.Run{second[0], first[1]}, metrics.SeriesPerRun(2, 0) + metrics.SeriesPerRun(6, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, metrics.Push(ctx, url, tt.push, &http.Client{Timeout: 5 * time.Second}))
			want := series{}
			for _, run := range tt.want {
				for k, v := range pushed(t, run) {
					want[k] = v
				}
			}
			got := gatewaySeries(t, url)
			require.Len(t, want, tt.wantSeries)
			assert.Equal(t, want, got)
			// The grouping labels, spelled out once.
			assert.Equal(t, 1.0, got[`errconform_contract_info{contract="openrouter",job="errconform",target="canary/eu",version="2026-10"}`])
			assert.Contains(t, got, `errconform_cases{contract="aiand",job="errconform",target="prod",verdict="failed"}`)
		})
	}
	// The Pushgateway knows exactly the two groups, by job, target and contract.
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	fams := parseText(t, resp.Body)
	groups := map[string]bool{}
	for _, m := range fams["push_time_seconds"].GetMetric() {
		groups[labelsOf(m)] = true
	}
	assert.Equal(t, map[string]bool{
		`contract=aiand instance= job=errconform target=prod`:           true,
		`contract=openrouter instance= job=errconform target=canary/eu`: true,
	}, groups)
}

func labelsOf(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, " ")
}

// recorder is a stand-in Pushgateway that records what it is sent.
type recorder struct {
	mu       sync.Mutex
	requests []string // "METHOD grouping key", see groupingKey
	bodies   []map[string]*dto.MetricFamily
	status   int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	fams := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(req.Body, expfmt.ResponseFormat(req.Header))
	for {
		var mf dto.MetricFamily
		if dec.Decode(&mf) != nil {
			break
		}
		fams[mf.GetName()] = &mf
	}
	r.mu.Lock()
	r.requests = append(r.requests, req.Method+" "+groupingKey(req.URL.Path))
	r.bodies = append(r.bodies, fams)
	status := r.status
	r.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
}

// groupingKey is a push path's grouping key, its labels sorted (the
// client orders them as it likes): "/metrics/job/j/target/t/contract/c"
// is "contract=c job=j target=t".
func groupingKey(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/metrics/"), "/")
	var pairs []string
	for i := 0; i+1 < len(parts); i += 2 {
		pairs = append(pairs, parts[i]+"="+parts[i+1])
	}
	sort.Strings(pairs)
	return strings.Join(pairs, " ")
}

func TestPushSendsOneGroupPerTargetAndContract(t *testing.T) {
	other := smallReport()
	other.Contract.Name = "openrouter"
	runs := []metrics.Run{{Report: smallReport()}, {Target: "b", Report: smallReport()}, {Target: "b", Report: other}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name         string
		ctx          context.Context
		runs         []metrics.Run
		status       int
		wantRequests []string
		wantErr      string
	}{
		{"one push per group", context.Background(), runs, 0, []string{
			"PUT contract=aiand job=errconform target=default",
			"PUT contract=aiand job=errconform target=b",
			"PUT contract=openrouter job=errconform target=b",
		}, ""},
		{"a cancelled context pushes nothing", cancelled, runs, 0, nil, "context canceled"},
		{"every group is tried, errors joined", context.Background(), runs[:2], http.StatusInternalServerError, []string{
			"PUT contract=aiand job=errconform target=default",
			"PUT contract=aiand job=errconform target=b",
		}, `push target "b", contract "aiand"`},
		{"one group twice", context.Background(), []metrics.Run{runs[1], runs[1]}, 0, nil, `both target "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{status: tt.status}
			srv := httptest.NewServer(rec)
			t.Cleanup(srv.Close)
			err := metrics.Push(tt.ctx, srv.URL, tt.runs, srv.Client())
			if tt.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			}
			assert.Equal(t, tt.wantRequests, rec.requests)
			for _, fams := range rec.bodies {
				// Each push carries one run's series, without the grouping labels.
				assert.Len(t, fams[metrics.CaseVerdictName].GetMetric(), 6)
				for _, fam := range fams {
					for _, m := range fam.GetMetric() {
						for _, l := range m.GetLabel() {
							assert.NotContains(t, []string{"job", "target", "contract"}, l.GetName())
						}
					}
				}
			}
		})
	}
}

// A hostile Pushgateway answering 500 with megabytes that start with
// terminal escapes: the error quotes at most PushAnswerBytes of it, as
// printable text (no ESC, BEL or CR reaches the terminal).
func TestPushBoundsAndEscapesTheGatewaysAnswer(t *testing.T) {
	const fake = "\x1b]0;owned\x07\x1b[2J\rall cases passed\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat(fake, 1024))
		for range 4096 { // up to ~150 MiB, or until the client hangs up
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := metrics.Push(ctx, srv.URL, []metrics.Run{{Report: smallReport()}}, srv.Client())
	require.Error(t, err)
	msg := err.Error()
	assert.Less(t, len(msg), 4*metrics.PushAnswerBytes, "the answer quoted is bounded")
	assert.Contains(t, msg, "all cases passed", "what it said is shown")
	assert.Contains(t, msg, `\x1b`, "escapes are shown, not sent")
	for _, c := range []string{"\x1b", "\x07", "\r", "\n"} {
		assert.NotContains(t, msg, c)
	}
}
