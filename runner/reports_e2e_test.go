package runner_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

func mutantByName(t *testing.T, name string) mutants.Mutant {
	t.Helper()
	m, ok := mutants.ByName(name)
	require.True(t, ok, "no mutant %s", name)
	return m
}

// validateJSONSchema validates a document against a JSON Schema.
func validateJSONSchema(t *testing.T, schemaName string, schema []byte, docPath string) {
	t.Helper()
	s, err := jsonschema.UnmarshalJSON(strings.NewReader(string(schema)))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource(schemaName, s))
	compiled, err := c.Compile(schemaName)
	require.NoError(t, err)
	f, err := os.Open(docPath)
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	assert.NoError(t, compiled.Validate(doc), "%s against %s", docPath, schemaName)
}

// validateJUnitXSD validates with xmllint against the Jenkins JUnit XSD
// as it is (a skip's reason is the <skipped> element's text).
func validateJUnitXSD(t *testing.T, junitPath string) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is missing; .ci/run installs it (Debian package libxml2-utils)")
		}
		t.Skip("xmllint not installed: apt-get install libxml2-utils")
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", "../testdata/schemas/jenkins-junit.xsd", junitPath).CombinedOutput()
	assert.NoError(t, err, "xmllint: %s", out)
}

type junitDoc struct {
	Suites []struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestEveryReportFormatValidatesAndAgrees(t *testing.T) {
	m401, mRetry := mutantByName(t, "openai-401-type"), mutantByName(t, "no-retry-after")
	cfgPath, secrets := startReference(t, func(h http.Handler) http.Handler { return m401.Wrap(mRetry.Wrap(h)) })
	dir := t.TempDir()
	paths := map[string]string{}
	for _, f := range []string{"junit", "json", "ctrf", "html", "markdown"} {
		paths[f] = filepath.Join(dir, "report."+f)
	}
	out := errconform(t, nil, "run", "--config", cfgPath, "--junit", paths["junit"], "--json", paths["json"], "--ctrf", paths["ctrf"],
		"--html", paths["html"], "--markdown", paths["markdown"])
	require.Equal(t, 1, out.code, out.stdout+out.stderr)

	validateJSONSchema(t, "report.schema.json", spec.ReportSchema(), paths["json"])
	ctrfSchema, err := os.ReadFile("../testdata/schemas/ctrf-schema-0.0.json")
	require.NoError(t, err)
	validateJSONSchema(t, "ctrf-schema-0.0.json", ctrfSchema, paths["ctrf"])
	validateJUnitXSD(t, paths["junit"])

	rep := readJSONReport(t, paths["json"])
	expecting := map[int]int{}
	for _, c := range rep.Cases {
		expecting[c.Expect.Status]++
	}
	assert.Positive(t, expecting[401])
	assert.Equal(t, expecting[401], rep.Summary.Failed, "every 401 case fails on openai-401-type")
	assert.Equal(t, expecting[429], rep.Summary.Warned, "every 429 case (the burst, the upstream 429 and its stream twin) warns on no-retry-after")

	var junit junitDoc
	data, err := os.ReadFile(paths["junit"])
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(data, &junit))
	require.Len(t, junit.Suites, 1)
	suite := junit.Suites[0]
	assert.Equal(t, rep.Summary.Total, suite.Tests)
	assert.Equal(t, rep.Summary.Failed, suite.Failures)
	assert.Equal(t, rep.Summary.Errored, suite.Errors)
	assert.Equal(t, rep.Summary.Skipped+rep.Summary.Waived, suite.Skipped)
	names := map[string]bool{}
	for _, c := range suite.Cases {
		assert.False(t, names[c.Classname+"/"+c.Name], "unique classname+name: %s", c.Name)
		names[c.Classname+"/"+c.Name] = true
		assert.True(t, strings.HasPrefix(c.Name, c.Classname+"/"), "classname is the group of %s", c.Name)
		if c.Failure != nil {
			assert.Contains(t, c.Failure.Message, "type: expected \"authentication_error\"", c.Name)
			assert.Contains(t, c.Failure.Body, "Reproduce:\n", c.Name)
			assert.Contains(t, c.Failure.Body, "curl -sS", c.Name)
		}
	}

	var ctrf reports.CTRF
	data, err = os.ReadFile(paths["ctrf"])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &ctrf))
	assert.Equal(t, rep.Summary.Total, ctrf.Results.Summary.Tests)
	assert.Equal(t, rep.Summary.Failed, ctrf.Results.Summary.Failed)
	assert.Equal(t, rep.Summary.Passed+rep.Summary.Warned, ctrf.Results.Summary.Passed)
	assert.Equal(t, rep.Summary.Skipped, ctrf.Results.Summary.Skipped)

	md, err := os.ReadFile(paths["markdown"])
	require.NoError(t, err)
	assert.Contains(t, string(md), "## errconform: ❌ contract broken")
	for _, count := range []string{fmt.Sprintf("❌ %d failed", rep.Summary.Failed), fmt.Sprintf("✅ %d passed", rep.Summary.Passed),
		fmt.Sprintf("⚠️ %d warned", rep.Summary.Warned), fmt.Sprintf("🕊️ %d waived", rep.Summary.Waived),
		fmt.Sprintf("⏭️ %d skipped", rep.Summary.Skipped), fmt.Sprintf("💥 %d errored", rep.Summary.Errored)} {
		assert.Contains(t, string(md), count, "the Markdown counts agree")
	}
	assert.Contains(t, string(md), "| 401 | authentication_error |")
	assert.Contains(t, string(md), fmt.Sprintf("### %d failing cases", rep.Summary.Failed))
	page, err := os.ReadFile(paths["html"])
	require.NoError(t, err)
	assert.Equal(t, rep.Summary.Total, strings.Count(string(page), `<details class="case`), "the HTML page has every case")

	for name, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, secret := range secrets {
			assert.NotContains(t, string(data), secret, "%s report leaks a secret", name)
		}
	}
	assert.NotContains(t, out.stdout, secrets[0])
}

func TestDiffNamesARegressionAndExits1(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	cfgGood, _ := startReference(t, func(h http.Handler) http.Handler { return h })
	require.Equal(t, 0, errconform(t, nil, "run", "--config", cfgGood, "--json", good).code)
	m := mutantByName(t, "openai-429-type")
	cfgBad, _ := startReference(t, m.Wrap)
	require.Equal(t, 1, errconform(t, nil, "run", "--config", cfgBad, "--json", bad).code)

	out := errconform(t, nil, "diff", good, bad)
	assert.Equal(t, 1, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, "REGRESSIONS (3)", "the burst and the upstream 429 case with its stream twin")
	assert.Contains(t, out.stdout, "ratelimit/burst")
	assert.Contains(t, out.stdout, "passed -> failed")

	out = errconform(t, nil, "diff", bad, good)
	assert.Equal(t, 0, out.code, out.stdout)
	assert.Contains(t, out.stdout, "Fixed (3)")

	out = errconform(t, nil, "diff", good, good)
	assert.Equal(t, 0, out.code)
	assert.Contains(t, out.stdout, "0 regressions")

	out = errconform(t, nil, "diff", good)
	assert.Equal(t, 2, out.code)
	out = errconform(t, nil, "diff", good, filepath.Join(dir, "missing.json"))
	assert.Equal(t, 2, out.code)
}

func TestWaiversExcuseUntilTheirExpiry(t *testing.T) {
	m := mutantByName(t, "openai-429-type")
	dir := t.TempDir()
	write := func(name, expires, caseID string) string {
		p := filepath.Join(dir, name)
		text := "waivers:\n  - case: " + caseID + "\n    reason: provider ticket RL-42, fix in the next release\n    expires: " + expires + "\n"
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	future := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	today := time.Now().UTC().Format(time.DateOnly)
	tests := []struct {
		name    string
		waivers string
		code    int
		verdict string
		output  string
	}{
		{"active waiver", write("active.yaml", future, "ratelimit/burst"), 0, "waived", "waived until " + future},
		{"expires today", write("today.yaml", today, "ratelimit/burst"), 1, "failed", "waiver expired on " + today},
		{"unknown case", write("unknown.yaml", future, "ratelimit/no-such-case"), 2, "", "waivers[0].case"},
		{"bad date", write("date.yaml", "next week", "ratelimit/burst"), 2, "", "waivers[0].expires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A target each: a burst leaves its key limited, and a burst on
			// a limited key is errored.
			cfgPath, _ := startReference(t, m.Wrap)
			jsonPath := filepath.Join(t.TempDir(), "r.json")
			out := errconform(t, nil, "run", "--config", cfgPath, "--label-filter", "group:ratelimit", "--waivers", tt.waivers, "--json", jsonPath)
			require.Equal(t, tt.code, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stdout+out.stderr, tt.output)
			if tt.verdict != "" {
				rep := readJSONReport(t, jsonPath)
				require.Len(t, rep.Cases, 4, "the burst and the three positive controls")
				burst := rep.Cases[len(rep.Cases)-1]
				require.Equal(t, "ratelimit/burst", burst.ID)
				assert.EqualValues(t, tt.verdict, burst.Verdict)
				assert.NotEmpty(t, burst.Findings, "a waived failure keeps its findings")
			}
		})
	}
}
