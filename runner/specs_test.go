package runner

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

// Ginkgo drives the run: each case's verdict is decided in its own spec,
// an explored field's variants in the field's spec, in a container per
// target, and Ginkgo's outcome of every spec is the verdict's. The fleet
// here holds every verdict: a mutant (failed cases, one of them waived, a
// case skipped for a missing fixture, explore variants failing on one
// field) and a target that is not there (every case errored). This test
// is the only one in this package that runs a suite: RunSpecs runs once
// per process.
func TestEveryVerdictIsDecidedInItsSpec(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond, RateWindow: 300 * time.Millisecond})
	mutant, ok := mutants.ByName("unknown-model-400")
	require.True(t, ok)
	var enum mutants.ExploreMutant
	for _, m := range mutants.ExploreMutants() {
		if m.Name == "ignore-unknown-enum" {
			enum = m
		}
	}
	require.NotEmpty(t, enum.Name)
	srv := httptest.NewServer(mutant.Wrap(enum.Wrap(ref)))
	defer srv.Close()
	cfg := ref.Config(srv.URL + "/v1")
	cfg.Target.GatewayTimeout = config.Duration(5 * time.Second)
	cfg.Fixtures.RestrictedModel = "" // its cases are skipped: the fixture is missing
	base := cfg.Target.BaseURL
	cfg.Target.BaseURL = ""
	data, err := cfg.Marshal()
	require.NoError(t, err)
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	goneURL := "http://" + gone.Addr().String() + "/v1"
	require.NoError(t, gone.Close())

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "errconform.yaml")
	data = append(data, []byte("targets:\n  - name: mutant\n    base_url: "+base+"\n  - name: gone\n    base_url: "+goneURL+"\n")...)
	require.NoError(t, os.WriteFile(cfgPath, data, 0o600))
	waivers := filepath.Join(dir, "waivers.yaml")
	require.NoError(t, os.WriteFile(waivers, []byte("waivers:\n  - case: route/unknown-model/chat\n    reason: the upstream's answer, tracked in PROV-1\n    expires: "+
		time.Now().AddDate(0, 0, 20).Format(time.DateOnly)+"\n"), 0o600))
	jsonPath, junitPath := filepath.Join(dir, "report.json"), filepath.Join(dir, "junit.xml")

	var specs types.Report
	var out, errOut bytes.Buffer
	app := App{Stdout: &out, Stderr: &errOut, LookupEnv: func(string) (string, bool) { return "", false },
		specsRan: func(r types.Report) { specs = r }}
	code := app.Main([]string{"run", "--config", cfgPath, "--waivers", waivers, "--explore", "--label-filter", "!explore || field:reasoning_effort || field:temperature", "--json", jsonPath, "--junit", junitPath, "-q"})
	require.Equal(t, ExitUnreachable, code, "the worst of the targets: one is not there\n%s\n%s", out.String(), errOut.String())
	require.NotEmpty(t, specs.SpecReports, "Ginkgo ran the specs")

	raw, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var rep reports.JSONReport
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Len(t, rep.Targets, 2)

	type key struct{ target, name string }
	state := map[key]types.SpecState{}
	for _, sr := range specs.SpecReports {
		if sr.LeafNodeType == types.NodeTypeIt {
			require.Len(t, sr.ContainerHierarchyTexts, 2, "a container per target in the suite's: %v", sr.ContainerHierarchyTexts)
			state[key{sr.ContainerHierarchyTexts[1], sr.LeafNodeText}] = sr.State
		}
	}
	seen := map[check.Verdict]int{}
	fields := map[string]check.Verdict{}
	for _, target := range rep.Targets {
		for _, c := range target.Cases {
			seen[c.Verdict]++
			if c.Group == "explore" {
				field := labelValue(c.Labels, "field")
				if c.Verdict == check.Failed || fields[field] == "" {
					fields[target.Name+" "+field] = c.Verdict
				}
				continue
			}
			got, ok := state[key{target.Name, c.ID}]
			require.True(t, ok, "%s of %s has its spec", c.ID, target.Name)
			assert.Equal(t, reports.SpecState(c.Verdict), got.String(), "%s of %s: %s", c.ID, target.Name, c.Verdict)
		}
	}
	for _, v := range []check.Verdict{check.Passed, check.Failed, check.Skipped, check.Waived, check.Errored} {
		assert.Positive(t, seen[v], "the run holds a %s case", v)
	}
	// The variants of the field the mutant breaks fail their field's spec;
	// the other field's pass theirs.
	for k, st := range state {
		if !strings.HasPrefix(k.name, "explore ") {
			continue
		}
		if strings.Contains(k.name, "reasoning_effort") && k.target == "mutant" {
			assert.Equal(t, types.SpecStateFailed, st, k.name)
		} else if k.target == "mutant" {
			assert.Equal(t, types.SpecStatePassed, st, k.name)
		}
	}

	// The JUnit report is Ginkgo's specs: a testcase per case of each
	// target's container, in the specs' order, each failed, errored,
	// skipped or passed as its spec was, and it is valid against the
	// Jenkins XSD with all of them in it.
	raw, err = os.ReadFile(junitPath)
	require.NoError(t, err)
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Props []struct {
				Name string `xml:"name,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Error   *struct{} `xml:"error"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(raw, &doc))
	require.Len(t, doc.Suites, 2)
	kinds := map[string]int{}
	for _, suite := range doc.Suites {
		for _, p := range suite.Props {
			assert.True(t, strings.HasPrefix(p.Name, "errconform."), "only errconform's properties: %s", p.Name)
		}
		var order []string
		for _, c := range suite.Cases {
			switch {
			case c.Failure != nil:
				kinds["failure"]++
			case c.Error != nil:
				kinds["error"]++
			case c.Skipped != nil:
				kinds["skipped"]++
			default:
				kinds["passed"]++
			}
			if !strings.HasPrefix(c.Name, "explore/") {
				order = append(order, c.Name)
			}
		}
		var specOrder []string
		for _, sr := range specs.SpecReports {
			if sr.LeafNodeType == types.NodeTypeIt && "errconform: "+sr.ContainerHierarchyTexts[1] == suite.Name && !strings.HasPrefix(sr.LeafNodeText, "explore ") {
				specOrder = append(specOrder, sr.LeafNodeText)
			}
		}
		assert.Equal(t, specOrder, order, "%s: the testcases are the specs, in their order", suite.Name)
	}
	for _, k := range []string{"failure", "error", "skipped", "passed"} {
		assert.Positive(t, kinds[k], "a %s testcase", k)
	}
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		out, err := exec.Command(xmllint, "--noout", "--schema", "../testdata/schemas/jenkins-junit.xsd", junitPath).CombinedOutput()
		assert.NoError(t, err, "xmllint: %s", out)
	} else if os.Getenv("CI") == "true" {
		t.Fatal("xmllint is missing; .ci/run installs it (Debian package libxml2-utils)")
	}
}
