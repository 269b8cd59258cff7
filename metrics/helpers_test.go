package metrics_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/metrics"
	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// series are parsed samples keyed by name and sorted labels:
// `errconform_cases{contract="aiand",target="a",verdict="failed"}`.
type series map[string]float64

// key renders a series key as parse does.
func key(name string, labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%q", n, labels[n])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// parseText parses the text exposition format with Prometheus' own parser.
func parseText(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(r)
	require.NoError(t, err)
	return fams
}

// flatten turns metric families into series, keeping only the families
// whose names start with prefix; drop names labels to leave out.
func flatten(t *testing.T, fams map[string]*dto.MetricFamily, prefix string, drop ...string) series {
	t.Helper()
	out := series{}
	for name, fam := range fams {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		require.Equal(t, dto.MetricType_GAUGE, fam.GetType(), "%s is a gauge", name)
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for _, d := range drop {
				delete(labels, d)
			}
			k := key(name, labels)
			_, dup := out[k]
			require.False(t, dup, "series %s appears once", k)
			out[k] = m.GetGauge().GetValue()
		}
	}
	return out
}

// textfileSeries writes runs' registry as a textfile and parses it back.
func textfileSeries(t *testing.T, runs []metrics.Run) series {
	t.Helper()
	reg, err := metrics.Registry(runs)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "errconform.prom")
	require.NoError(t, metrics.WriteTextfile(path, reg))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return flatten(t, parseText(t, bytes.NewReader(data)), "errconform_")
}

// runReference runs every case of the catalogue (and, when explore is
// set, the explore variants) against the embedded reference under the
// contract, wrapped by wrap, and builds the run's JSON report.
func runReference(t *testing.T, contract *spec.Contract, wrap func(http.Handler) http.Handler, explore bool) reports.JSONReport {
	t.Helper()
	ref := reference.New(contract, reference.Options{GatewayTimeout: 200 * time.Millisecond})
	srv := httptest.NewServer(wrap(ref))
	t.Cleanup(srv.Close)
	cfg := ref.Config(srv.URL + "/v1")
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redact.New(cfg.Secrets()...)}
	cases, err := suites.For(contract)
	require.NoError(t, err)
	if explore {
		rs, err := spec.DefaultRequestSchemas()
		require.NoError(t, err)
		variants, err := suites.ExploreFor(contract, rs, suites.ExploreSelection{})
		require.NoError(t, err)
		cases = append(cases, variants...)
	}
	started := time.Now()
	var results []suites.Result
	for _, c := range cases {
		results = append(results, suites.Execute(context.Background(), c, target, false))
	}
	return reports.BuildJSON(reports.Run{
		ToolVersion: "test", ContractName: contract.Name, ContractVersion: contract.Version,
		BaseURL: srv.URL + "/v1", Embedded: true, Started: started, Duration: time.Since(started),
		Results: results, Redactor: target.Redactor,
	})
}

func builtin(t *testing.T, name string) *spec.Contract {
	t.Helper()
	c, err := spec.Builtin(name)
	require.NoError(t, err)
	return c
}

func identity(h http.Handler) http.Handler { return h }

// mutant is the wrap of a named mutant.
func mutant(t *testing.T, name string) func(http.Handler) http.Handler {
	t.Helper()
	for _, m := range mutants.All() {
		if m.Name == name {
			return m.Wrap
		}
	}
	t.Fatalf("no mutant %s", name)
	return nil
}

// expectedSeries is what a run must expose, derived from its report
// independently of the package: the summary's counts, each case's verdict
// and every rule's count of cases with a finding of it. Explore variants
// are left to the caller; labels are the run's target and contract.
func expectedSeries(rep reports.JSONReport, target string) series {
	base := map[string]string{"target": target, "contract": rep.Contract.Name}
	with := func(extra ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(extra); i += 2 {
			out[extra[i]] = extra[i+1]
		}
		return out
	}
	s := rep.Summary
	want := series{
		key("errconform_cases", with("verdict", "passed")):                     float64(s.Passed),
		key("errconform_cases", with("verdict", "failed")):                     float64(s.Failed),
		key("errconform_cases", with("verdict", "warned")):                     float64(s.Warned),
		key("errconform_cases", with("verdict", "skipped")):                    float64(s.Skipped),
		key("errconform_cases", with("verdict", "errored")):                    float64(s.Errored),
		key("errconform_cases", with("verdict", "waived")):                     float64(s.Waived),
		key("errconform_not_in_contract_cases", with()):                        float64(s.NotInContract),
		key("errconform_run_duration_seconds", with()):                         float64(rep.DurationMS) / 1000,
		key("errconform_contract_info", with("version", rep.Contract.Version)): 1,
	}
	for _, r := range check.Rules() {
		n := 0
		for _, c := range rep.Cases {
			for _, f := range c.Findings {
				if f.Rule == r.ID {
					n++
					break
				}
			}
		}
		want[key("errconform_rule_failures", with("rule", r.ID))] = float64(n)
	}
	for _, c := range rep.Cases {
		if strings.HasPrefix(c.ID, "explore/") {
			continue
		}
		status := ""
		if c.Expect.Status != 0 {
			status = fmt.Sprint(c.Expect.Status)
		}
		want[key("errconform_case_verdict", with("case", c.ID, "group", c.Group, "status", status, "code", c.Expect.Code, "verdict", string(c.Verdict)))] = 1
	}
	return want
}

// withoutTimestamps leaves out the last-run timestamps, which the caller
// checks apart.
func withoutTimestamps(s series) series {
	out := series{}
	for k, v := range s {
		if !strings.HasPrefix(k, "errconform_last_run_timestamp_seconds{") {
			out[k] = v
		}
	}
	return out
}

// only keeps the series of one metric.
func only(s series, name string) series {
	out := series{}
	for k, v := range s {
		if strings.HasPrefix(k, name+"{") {
			out[k] = v
		}
	}
	return out
}

// without leaves out the series of the named metrics.
func without(s series, names ...string) series {
	out := series{}
next:
	for k, v := range s {
		for _, n := range names {
			if strings.HasPrefix(k, n+"{") {
				continue next
			}
		}
		out[k] = v
	}
	return out
}
