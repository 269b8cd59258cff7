package runner_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

// errconformIn runs the binary from dir.
func errconformIn(t *testing.T, dir string, env []string, args ...string) outcome {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return outcome{code, stdout.String(), stderr.String()}
}

// A mistake on the command line is one line naming it, a hint to the
// command's help, and exit 2: no usage dump, no doubled prefix.
func TestCommandLineMistakesAreOneLineAndExit2(t *testing.T) {
	tests := []struct {
		args       []string
		want, hint string
	}{
		{[]string{"version", "--bogus"}, "unknown flag: --bogus", "errconform version --help"},
		{[]string{"version", "extra"}, `version takes no arguments, got "extra"`, "errconform version --help"},
		{[]string{"run", "--max-rps", "lots", "--target", "reference"}, `invalid argument "lots" for "--max-rps"`, "errconform run --help"},
		{[]string{"run", "--deadline", "soon", "--target", "reference"}, `"--deadline"`, "errconform run --help"},
		{[]string{"run", "--frobnicate"}, "unknown flag: --frobnicate", "errconform run --help"},
		{[]string{"run", "--target", "reference", "extra"}, `run takes no arguments, got "extra"`, "errconform run --help"},
		{[]string{"rnu"}, `unknown command "rnu"`, "errconform --help"},
		// A mistyped command followed by flags blames the command, not
		// the first flag the root does not know.
		{[]string{"rn", "--target", "reference"}, `unknown command "rn" (commands: run, `, "errconform --help"},
		{[]string{"rn", "--target", "reference"}, "did you mean run?", "errconform --help"},
		{[]string{"run", "--tagret", "reference"}, "unknown flag: --tagret; did you mean --target?", "errconform run --help"},
		{[]string{"run", "--lable-filter", "x"}, "did you mean --label-filter?", "errconform run --help"},
		{[]string{"monitor", "--intervall", "1m"}, "unknown flag: --intervall; did you mean --interval?", "errconform monitor --help"},
		{[]string{"run", "-x"}, "unknown shorthand flag: 'x' in -x", "errconform run --help"},
		{[]string{"diff", "only-one.json"}, "diff takes two JSON reports", "errconform diff --help"},
		{[]string{"config", "chek", "x.yaml"}, `unknown command "chek" for config`, "errconform config --help"},
		{[]string{"completion", "tcsh"}, `"tcsh"`, "errconform completion --help"},
		{[]string{"list", "--format", "yaml"}, `list --format "yaml"`, ""},
		{[]string{"help", "launch"}, `no help for "launch"`, ""},
		{[]string{"config"}, "errconform config check FILE", ""},
		{[]string{"completion"}, "bash|zsh|fish|powershell", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out := errconform(t, nil, tt.args...)
			assert.Equal(t, 2, out.code, out.stdout+out.stderr)
			assert.Empty(t, out.stdout)
			lines := strings.Split(strings.TrimRight(out.stderr, "\n"), "\n")
			require.NotEmpty(t, lines)
			assert.True(t, strings.HasPrefix(lines[0], "errconform: "), out.stderr)
			assert.Contains(t, lines[0], tt.want)
			assert.NotContains(t, out.stderr, "errconform: errconform", "one prefix")
			assert.NotContains(t, out.stderr, "Usage:", "no usage dump")
			assert.NotContains(t, out.stderr, "Flags:")
			if tt.hint != "" {
				require.Len(t, lines, 2, out.stderr)
				assert.Equal(t, "Run '"+tt.hint+"' for usage.", lines[1])
			} else {
				assert.Len(t, lines, 1, out.stderr)
			}
		})
	}
}

// Every command has its help, with examples; run's names each flag's
// environment variable; help CMD and CMD --help agree.
func TestHelpForEveryCommand(t *testing.T) {
	root := errconform(t, nil, "--help")
	require.Equal(t, 0, root.code, root.stderr)
	for _, cmd := range []string{"run", "explore", "list", "serve", "config", "contract", "diff", "schema", "version", "completion", "help"} {
		assert.Contains(t, root.stdout, "\n  "+cmd+" ", "errconform --help lists %s", cmd)
	}
	assert.NotContains(t, root.stdout, "docs", "the docs generator is hidden")
	for _, cmd := range [][]string{{"run"}, {"explore"}, {"list"}, {"serve"}, {"config", "check"}, {"contract", "show"}, {"diff"}, {"schema"}, {"version"}, {"completion", "bash"}} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			viaFlag := errconform(t, nil, append(cmd, "--help")...)
			require.Equal(t, 0, viaFlag.code, viaFlag.stderr)
			viaHelp := errconform(t, nil, append([]string{"help"}, cmd...)...)
			require.Equal(t, 0, viaHelp.code, viaHelp.stderr)
			assert.Equal(t, viaFlag.stdout, viaHelp.stdout)
			assert.Contains(t, viaFlag.stdout, "Usage:\n  errconform "+strings.Join(cmd, " "))
			assert.Contains(t, viaFlag.stdout, "errconform "+strings.Join(cmd, " "), "an example")
		})
	}
	run := errconform(t, nil, "run", "-h")
	require.Equal(t, 0, run.code)
	assert.Contains(t, run.stdout, "Examples:")
	for _, flag := range []string{"target", "config", "label-filter", "json", "max-rps", "deadline", "insecure"} {
		line := regexp.MustCompile(`(?m)^\s+--` + flag + `\b.*$`).FindString(run.stdout)
		require.NotEmpty(t, line, "--%s is in run's help", flag)
		assert.Contains(t, line, "(env ERRCONFORM_"+strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))+")", "--%s names its variable", flag)
	}
	// Flags that narrow or empty a run have no variable: one left over in a
	// CI job must not quietly turn a gate green.
	for _, flag := range []string{"case", "rerun-failed", "dry-run"} {
		line := regexp.MustCompile(`(?m)^\s+--` + flag + `\b.*$`).FindString(run.stdout)
		require.NotEmpty(t, line, "--%s is in run's help", flag)
		assert.Contains(t, line, "(command line only", "--%s says no variable sets it", flag)
	}
	// No command at all: the overview on standard error, exit 2.
	none := errconform(t, nil)
	assert.Equal(t, 2, none.code)
	assert.Empty(t, none.stdout)
	assert.Contains(t, none.stderr, "Available Commands:")
}

// Flags may follow the arguments.
func TestInterspersedFlags(t *testing.T) {
	report := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--target", "reference", "--label-filter", "group:route", "--json", report, "--quiet")
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	out = errconform(t, nil, "diff", report, report, "--json")
	require.Equal(t, 0, out.code, out.stderr)
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &d), "the diff is JSON: %s", out.stdout)
	out = errconform(t, nil, "config", "check", "../examples/errconform.yaml", "--help")
	assert.Equal(t, 0, out.code)

	// Long flags with one dash, as Go's flag package took them, still work.
	out = errconform(t, nil, "run", "-target", "reference", "-label-filter", "group:route", "-json="+report, "-quiet")
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Len(t, readJSONReport(t, report).Cases, 7, "the route cases and the controls")
	out = errconform(t, nil, "run", "--target", "reference", "--label-filter", "-quiet")
	assert.Equal(t, 2, out.code, "a flag's value is never rewritten")
	assert.Contains(t, out.stderr, `--label-filter "-quiet"`)
}

// -q and -v are --quiet and --verbose; --quiet prints one line before
// the summary: the config file the run used.
func TestQuietAndVerboseShortForms(t *testing.T) {
	cfgPath, _ := startReference(t, func(h http.Handler) http.Handler { return h })
	quiet := errconform(t, nil, "run", "--config", cfgPath, "-q", "--case", "auth/*/models-list")
	require.Equal(t, 0, quiet.code, quiet.stdout+quiet.stderr)
	first, _, _ := strings.Cut(quiet.stdout, "\n")
	assert.Equal(t, "errconform: config "+cfgPath, first, "the first line names the config file")
	assert.NotContains(t, quiet.stdout, "  PASS  ", "no case lines")
	assert.Equal(t, 1, strings.Count(quiet.stdout, cfgPath), quiet.stdout)

	reference := errconform(t, nil, "run", "--target", "reference", "--quiet", "--case", "auth/*/models-list")
	require.Equal(t, 0, reference.code, reference.stdout+reference.stderr)
	first, _, _ = strings.Cut(reference.stdout, "\n")
	assert.Equal(t, "errconform: no config file: the embedded reference's own", first)

	verbose := errconform(t, nil, "run", "--config", cfgPath, "-v", "--case", "auth/missing-header/models-list")
	require.Equal(t, 0, verbose.code, verbose.stdout+verbose.stderr)
	assert.Contains(t, verbose.stdout, "        > GET ", "-v prints each exchange")
	assert.Contains(t, verbose.stdout, "        < 401 ")
}

// The completion scripts come from cobra; bash sources the script without
// error, and the completions know errconform's own values.
func TestShellCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	code, out := runScript(t, `source <(errconform completion bash)
complete -p errconform`, nil)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "errconform", "a completion is registered for errconform")
	for _, shell := range []string{"zsh", "fish", "powershell"} {
		got := errconform(t, nil, "completion", shell)
		assert.Equal(t, 0, got.code, got.stderr)
		assert.Contains(t, got.stdout, "errconform", shell)
	}
	got := errconform(t, nil, "__complete", "run", "--case", "auth/unknown-key/")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Contains(t, got.stdout, "auth/unknown-key/chat")
	got = errconform(t, nil, "__complete", "list", "--format", "")
	assert.Contains(t, got.stdout, "markdown")
	got = errconform(t, nil, "__complete", "r")
	assert.Contains(t, got.stdout, "run")
}

// --json - writes the JSON report, and only it, to standard output; the
// terminal lines go to standard error and no file named - appears.
func TestJSONReportToStandardOutput(t *testing.T) {
	dir := t.TempDir()
	out := errconformIn(t, dir, nil, "run", "--target", "reference", "--label-filter", "group:route", "--json", "-")
	require.Equal(t, 0, out.code, out.stderr)
	saved := filepath.Join(t.TempDir(), "stdout.json")
	require.NoError(t, os.WriteFile(saved, []byte(out.stdout), 0o600))
	rep := readJSONReport(t, saved)
	assert.Equal(t, rep.Summary.Total, rep.Summary.Passed)
	assert.Contains(t, out.stderr, "checking http://127.0.0.1:")
	assert.Contains(t, out.stderr, "PASS  route/unknown-route")
	assert.Contains(t, out.stderr, "cases in")
	assert.NoFileExists(t, filepath.Join(dir, "-"))

	out = errconformIn(t, dir, nil, "run", "--target", "reference", "--json", "-", "--ctrf", "-")
	assert.Equal(t, 2, out.code)
	assert.Contains(t, out.stderr, "only one report can go to standard output")
	assert.Empty(t, out.stdout)
}

func reportIDs(rep reports.JSONReport) []string {
	var ids []string
	for _, c := range rep.Cases {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	return ids
}

var controlIDs = []string{"control/chat", "control/chat-stream", "control/models-list"}

// --case selects by ID or glob, AND-ed with --label-filter; the controls
// always run; a pattern that matches nothing exits 2.
func TestCaseSelectsByIDAndGlob(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.json")
	out := errconform(t, nil, "run", "--target", "reference", "--case", "auth/unknown-key/chat", "--case", "route/*", "--json", report)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	want := append([]string{"auth/unknown-key/chat", "route/unknown-route"}, controlIDs...)
	sort.Strings(want)
	assert.Equal(t, want, reportIDs(readJSONReport(t, report)), "* does not cross /: route/unknown-model/models-get is not matched")

	out = errconform(t, nil, "run", "--target", "reference", "--case", "auth/*/chat,auth/*/models-list", "--label-filter", "endpoint:chat", "--json", report)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	for _, c := range readJSONReport(t, report).Cases {
		if c.Group != "control" {
			assert.Regexp(t, `^auth/[^/]+/chat$`, c.ID, "both --case and --label-filter hold")
		}
	}

	var seen arrivals
	cfgPath, _ := startReference(t, seen.wrap)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--case", "auth/no-such-case"}, `--case "auth/no-such-case" matches no case ID`},
		{[]string{"--case", "route/*", "--case", "nothing/*"}, `--case "nothing/*" matches no case ID`},
		{[]string{"--case", "auth/[", "--dry-run"}, "not a valid glob"},
		{[]string{"--case", "route/*", "--label-filter", "status:401"}, "selects no case"},
	} {
		out := errconform(t, nil, append([]string{"run", "--config", cfgPath}, tt.args...)...)
		assert.Equal(t, 2, out.code, out.stdout+out.stderr)
		assert.Contains(t, out.stderr, tt.want)
	}
	assert.Zero(t, seen.count(), "nothing was sent")
	out = errconform(t, []string{"ERRCONFORM_CASE=route/unknown-route"}, "run", "--config", cfgPath, "--dry-run")
	require.Equal(t, 0, out.code, out.stderr)
	assert.NotContains(t, out.stdout, "4 cases selected", "no variable narrows a gate: --case is for the command line")
}

// --rerun-failed sends exactly the failed and errored cases of an earlier
// report, and the positive controls; a report without any sends nothing.
func TestRerunFailedSendsOnlyTheFailedCases(t *testing.T) {
	var seen arrivals
	cfgPath, _ := startReference(t, func(h http.Handler) http.Handler { return seen.wrap(mutantByName(t, "openai-401-type").Wrap(h)) })
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.json"), filepath.Join(dir, "second.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--json", first, "--quiet")
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	firstRep := readJSONReport(t, first)
	want := append([]string{}, controlIDs...)
	for _, c := range firstRep.Cases {
		if c.Verdict == "failed" || c.Verdict == "errored" {
			want = append(want, c.ID)
		}
	}
	require.Greater(t, len(want), len(controlIDs))
	require.Less(t, len(want), len(firstRep.Cases), "the mutant breaks some cases, not all")
	sort.Strings(want)

	before := seen.count()
	out = errconform(t, nil, "run", "--config", cfgPath, "--rerun-failed", first, "--json", second)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, second)
	assert.Equal(t, want, reportIDs(rep), "exactly the failed cases and the controls")
	sent := 0
	for _, c := range rep.Cases {
		sent += c.Requests
	}
	assert.Equal(t, sent+len(controlIDs), seen.count()-before, "only those cases' requests reach the target, and the controls again at the end")
	assert.Equal(t, len(want)-len(controlIDs), rep.Summary.Failed, "they still fail")
	assert.Contains(t, out.stdout, strconv.Itoa(len(want))+" cases in")

	// Re-running the re-run's report: the same cases.
	before = seen.count()
	out = errconform(t, nil, "run", "--config", cfgPath, "--rerun-failed", second, "--dry-run")
	require.Equal(t, 0, out.code, out.stderr)
	assert.Contains(t, out.stdout, strconv.Itoa(len(want))+" cases selected")
	assert.Equal(t, before, seen.count())

	// A report with nothing failed: say so, send nothing, exit 2 (a re-run
	// of nothing is never green).
	good := filepath.Join(dir, "good.json")
	require.Equal(t, 0, errconform(t, nil, "run", "--config", cfgPath, "--label-filter", "group:route", "--json", good).code)
	before = seen.count()
	fresh := filepath.Join(dir, "fresh.json")
	out = errconform(t, nil, "run", "--config", cfgPath, "--rerun-failed", good, "--json", fresh)
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "no failed or errored case: nothing to re-run")
	assert.Equal(t, before, seen.count(), "nothing was sent")
	assert.NoFileExists(t, fresh)

	// Not a report: exit 2, before anything is sent.
	notReport := filepath.Join(dir, "not.json")
	require.NoError(t, os.WriteFile(notReport, []byte(`{"hello": 1}`), 0o600))
	for _, path := range []string{notReport, filepath.Join(dir, "missing.json")} {
		out = errconform(t, nil, "run", "--config", cfgPath, "--rerun-failed", path)
		assert.Equal(t, 2, out.code, out.stdout+out.stderr)
		assert.Contains(t, out.stderr, "--rerun-failed")
	}
	assert.Equal(t, before, seen.count())
}

// The terminal summary ends with the failures grouped by cause: a target
// that breaks one rule on every 401 is one group of all the 401 cases.
func TestSummaryGroupsFailuresByCause(t *testing.T) {
	cfgPath, _ := startReference(t, mutantByName(t, "openai-401-type").Wrap)
	report := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--config", cfgPath, "--json", report, "--quiet")
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	rep := readJSONReport(t, report)
	expect401 := map[string]bool{}
	for _, c := range rep.Cases {
		if c.Expect.Status == 401 {
			expect401[c.ID] = true
		}
	}
	require.NotEmpty(t, expect401)

	at := strings.Index(out.stdout, "\nFailures by cause (1), largest first:\n")
	require.GreaterOrEqual(t, at, 0, out.stdout)
	assert.Greater(t, at, strings.Index(out.stdout, "cases in"), "after the counts")
	groups := strings.Split(strings.TrimRight(out.stdout[at:], "\n"), "\n")[2:]
	require.NotEmpty(t, groups)
	assert.Contains(t, groups[len(groups)-1], "errconform: judged ", "the run's last line says how much it judged")
	groups = groups[:len(groups)-1]
	require.Len(t, groups, 2, "one group: its line and its example: %s", out.stdout[at:])
	assert.Regexp(t, `^\s+`+strconv.Itoa(len(expect401))+` cases  type: expected "authentication_error", got "invalid_request_error"`, groups[0])
	example, ok := strings.CutPrefix(strings.TrimSpace(groups[1]), "e.g. ")
	require.True(t, ok, groups[1])
	assert.True(t, expect401[example], "the example %s is a 401 case", example)
	assert.Equal(t, len(expect401), rep.Groups[0].Count, "the report's group agrees")
}

// No ANSI escape reaches the terminal, with NO_COLOR set or not: not even
// from a label filter's syntax error, which Ginkgo colours.
func TestNoColourCodes(t *testing.T) {
	for _, env := range [][]string{{"NO_COLOR=1"}, nil} {
		for _, args := range [][]string{
			{"run", "--target", "reference", "--label-filter", "status:401 &&"},
			{"run", "--target", "reference", "--label-filter", "a ||| (b"},
			{"run", "--target", "reference", "--label-filter", "group:route"},
			{"run", "--target", "reference", "--quiet", "--label-filter", "group:route", "--json", "-"},
			{"run", "--help"},
			{"list"},
			{"version"},
			{"run", "--bogus"},
		} {
			out := errconform(t, env, args...)
			assert.NotContains(t, out.stdout+out.stderr, "\x1b", "%v %v", env, args)
		}
	}
	out := errconform(t, []string{"NO_COLOR=1"}, "run", "--target", "reference", "--label-filter", "a ||| (b")
	assert.Equal(t, 2, out.code)
	assert.Equal(t, "errconform: --label-filter \"a ||| (b\": Invalid token '|'. Did you mean '||'? "+
		"(at character 5; syntax: https://onsi.github.io/ginkgo/#spec-labels)\n", out.stderr)
}

// One version string everywhere: an injected runner.Version is what
// version, the run's first line and every report say.
func TestVersionIsOneStringEverywhere(t *testing.T) {
	// The test binary: version and the report agree.
	report := filepath.Join(t.TempDir(), "r.json")
	out := errconform(t, nil, "run", "--target", "reference", "--label-filter", "group:route", "--json", report)
	require.Equal(t, 0, out.code, out.stderr)
	rep := readJSONReport(t, report)
	version := errconform(t, nil, "version")
	require.Equal(t, 0, version.code)
	assert.Contains(t, version.stdout, "errconform "+rep.Tool.Version+" (contract ")
	assert.True(t, strings.HasPrefix(out.stdout, "errconform "+rep.Tool.Version+": checking"), out.stdout)

	// A release build.
	bin := filepath.Join(t.TempDir(), "errconform-release")
	build := exec.Command("go", "build", "-o", bin, "-ldflags",
		"-X github.com/errconform/errconform/runner.Version=9.9.9-test -X github.com/errconform/errconform/runner.Commit=abc1234", "../cmd/errconform")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	contract, err := spec.Load()
	require.NoError(t, err)
	got, err := exec.Command(bin, "version").Output()
	require.NoError(t, err)
	assert.Equal(t, "errconform 9.9.9-test (contract "+contract.Version+", commit abc1234)\n", string(got))
	got, err = exec.Command(bin, "--version").Output()
	require.NoError(t, err)
	assert.Equal(t, "errconform 9.9.9-test (contract "+contract.Version+", commit abc1234)\n", string(got))

	dir := t.TempDir()
	jsonPath, ctrfPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "c.json")
	run := exec.Command(bin, "run", "--target", "reference", "--label-filter", "group:route", "--json", jsonPath, "--ctrf", ctrfPath)
	stdout, err := run.Output()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(stdout), "errconform 9.9.9-test: checking"), string(stdout))
	assert.Equal(t, "9.9.9-test", readJSONReport(t, jsonPath).Tool.Version)
	var ctrf reports.CTRF
	data, err := os.ReadFile(ctrfPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &ctrf))
	assert.Equal(t, "9.9.9-test", ctrf.Results.Tool.Version)
}
