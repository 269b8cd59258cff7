package runner_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/errconform/errconform/spec"
)

// runScript runs a CI script with bash, with the test's errconform first on
// PATH, from a scratch directory.
func runScript(t *testing.T, script string, env []string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+":"+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		if exitErr, ok := err.(*exec.ExitError); ok {
			return exitErr.ExitCode(), out.String()
		}
		require.NoError(t, err)
	}
	return 0, out.String()
}

type action struct {
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Steps []struct {
			ID  string            `yaml:"id"`
			Run string            `yaml:"run"`
			Env map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

var inputRef = regexp.MustCompile(`\$\{\{\s*inputs\.([\w-]+)\s*\}\}`)

// The GitHub Action's run step, with the given inputs, is a command the
// current CLI accepts; it writes the reports and the step summary, and its
// exit code fails the job when the contract is broken.
func TestGitHubActionRunStepWorks(t *testing.T) {
	data, err := os.ReadFile("../action.yml")
	require.NoError(t, err)
	var a action
	require.NoError(t, yaml.Unmarshal(data, &a))
	var script string
	var stepEnv map[string]string
	for _, s := range a.Runs.Steps {
		if s.ID == "run" {
			script, stepEnv = s.Run, s.Env
		}
	}
	require.NotEmpty(t, script, "action.yml has a step with id run")

	good, _ := startReference(t, func(h http.Handler) http.Handler { return h })
	broken, _ := startReference(t, mutantByName(t, "openai-401-type").Wrap)
	for _, tt := range []struct {
		name   string
		inputs map[string]string
		code   int
	}{
		{"conforming target", map[string]string{"config": good, "require": "all", "strict": "true"}, 0},
		{"broken target fails the job", map[string]string{"config": broken}, 1},
		{"label filter", map[string]string{"config": good, "label-filter": "status:401 && !slow"}, 0},
		// target: ${{ secrets.STAGING_URL }} with the secret unset: the run
		// must not quietly test the config's own target instead.
		{"empty target input fails", map[string]string{"config": good, "target": ""}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			summary, output := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output")
			env := []string{"GITHUB_STEP_SUMMARY=" + summary, "GITHUB_OUTPUT=" + output}
			for name, value := range stepEnv {
				value = inputRef.ReplaceAllStringFunc(value, func(ref string) string {
					input := inputRef.FindStringSubmatch(ref)[1]
					if v, ok := tt.inputs[input]; ok {
						return v
					}
					spec, ok := a.Inputs[input]
					require.True(t, ok, "action.yml uses undeclared input %s", input)
					return spec.Default
				})
				if name == "EC_REPORTS" {
					value = filepath.Join(dir, value)
				}
				env = append(env, name+"="+value)
			}
			code, out := runScript(t, script, env)
			require.Equal(t, tt.code, code, out)
			if tt.code == 2 {
				assert.Contains(t, out, "the target is empty")
				return
			}
			for _, f := range []string{"junit.xml", "errconform.json", "errconform.html", "ctrf.json"} {
				assert.FileExists(t, filepath.Join(dir, "errconform-reports", f))
			}
			md, err := os.ReadFile(summary)
			require.NoError(t, err)
			assert.Contains(t, string(md), "## errconform:")
			data, err := os.ReadFile(output)
			require.NoError(t, err)
			outputs := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				k, v, ok := strings.Cut(line, "=")
				require.True(t, ok, line)
				outputs[k] = v
			}
			rep := readJSONReport(t, filepath.Join(dir, "errconform-reports", "errconform.json"))
			assert.Equal(t, map[string]string{
				"json-report":     filepath.Join(dir, "errconform-reports", "errconform.json"),
				"junit-report":    filepath.Join(dir, "errconform-reports", "junit.xml"),
				"html-report":     filepath.Join(dir, "errconform-reports", "errconform.html"),
				"markdown-report": filepath.Join(dir, "errconform-reports", "summary.md"),
				"exit-code":       strconv.Itoa(tt.code),
				"passed":          strconv.Itoa(rep.Summary.Passed),
				"failed":          strconv.Itoa(rep.Summary.Failed),
				"errored":         strconv.Itoa(rep.Summary.Errored),
				"skipped":         strconv.Itoa(rep.Summary.Skipped),
			}, outputs, "the action's outputs")
			if tt.code == 1 {
				assert.NotEqual(t, "0", outputs["failed"], "a broken target's failures are counted")
			}
			for name := range outputs {
				assert.Equal(t, "${{ steps.run.outputs."+name+" }}", a.Outputs[name].Value, "action.yml declares the output %s", name)
			}
		})
	}
}

// The GitLab template's whole script, its install from a release server
// (here a local one holding the current CLI) included, runs and leaves the
// JUnit file where artifacts:reports:junit says.
func TestGitLabTemplateScriptWorks(t *testing.T) {
	data, err := os.ReadFile("../ci/errconform.gitlab-ci.yml")
	require.NoError(t, err)
	var tmpl map[string]struct {
		Variables map[string]string `yaml:"variables"`
		Script    []string          `yaml:"script"`
		Artifacts struct {
			Reports struct {
				JUnit string `yaml:"junit"`
			} `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	require.NoError(t, yaml.Unmarshal(data, &tmpl))
	job, ok := tmpl[".errconform"]
	require.True(t, ok)
	require.NotEmpty(t, job.Artifacts.Reports.JUnit)
	lines := job.Script
	require.Contains(t, strings.Join(lines, "\n"), "errconform run")
	release := serveRelease(t, job.Variables["ERRCONFORM_VERSION"], hostRelease(t, job.Variables["ERRCONFORM_VERSION"], binary))
	good, _ := startReference(t, func(h http.Handler) http.Handler { return h })
	broken, _ := startReference(t, mutantByName(t, "code-null").Wrap)
	const filter = "status:401 && !slow"
	for _, tt := range []struct {
		name, config, extra string
		env                 []string
		code                int
		// filter is the label filter the run's report must record.
		filter string
	}{
		{"conforming", good, "--require all", nil, 0, ""},
		{"broken", broken, "", nil, 1, ""},
		{"bad extra args", good, "--no-such-flag", nil, 2, ""},
		// It once ended "run takes no arguments, got \"&&\"": the quotes are
		// the shell's, as on a command line.
		{"a quoted label filter in the extra args", good, "--label-filter '" + filter + "' --require all", nil, 0, filter},
		{"a double-quoted one", good, `--label-filter "` + filter + `"`, nil, 0, filter},
		{"ERRCONFORM_LABEL_FILTER", good, "", []string{"ERRCONFORM_LABEL_FILTER=" + filter}, 0, filter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			project := t.TempDir()
			env := []string{"ERRCONFORM_CONFIG=" + tt.config, "ERRCONFORM_RELEASE_BASE_URL=" + release, "CI_PROJECT_DIR=" + project}
			for k, v := range job.Variables {
				if k == "ERRCONFORM_EXTRA_ARGS" {
					v = tt.extra
				}
				env = append(env, k+"="+strings.ReplaceAll(v, "$CI_PROJECT_DIR", project))
			}
			env = append(env, tt.env...)
			env = append(env, "PATH="+os.Getenv("PATH")) // the installed errconform, not the test's
			script := strings.Join(lines, "\n") + "\ntest -s " + job.Artifacts.Reports.JUnit
			// The job's shell is the image's /bin/sh (alpine's busybox ash;
			// here dash, as strict a POSIX sh), as GitLab runs it: errexit.
			cmd := exec.Command("/bin/sh", "-e", "-c", script)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), env...)
			data, err := cmd.CombinedOutput()
			out, code := string(data), 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.code, code, out)
			assert.Contains(t, out, "matches checksums.txt")
			assert.FileExists(t, filepath.Join(project, ".errconform", "bin", "errconform"))
			if tt.code == 2 {
				return
			}
			rep := readJSONReport(t, filepath.Join(cmd.Dir, job.Variables["ERRCONFORM_REPORTS"], "errconform.json"))
			if tt.filter != "" {
				require.NotNil(t, rep.Settings)
				assert.Equal(t, tt.filter, rep.Settings.LabelFilter)
				assert.Less(t, rep.Summary.Total, len(catalogueIDs()), "the filter selected")
			}
		})
	}
}

func TestExamplesAreValid(t *testing.T) {
	env := []string{"ERRCONFORM_API_KEY=sk-example-0000000001", "ERRCONFORM_NO_CREDITS_API_KEY=sk-example-0000000002",
		"ERRCONFORM_RESTRICTED_API_KEY=sk-example-0000000003", "ERRCONFORM_RATE_LIMITED_API_KEY=sk-example-0000000004",
		"ERRCONFORM_DISABLED_API_KEY=sk-example-0000000005", "ERRCONFORM_EXPIRED_API_KEY=sk-example-0000000006"}
	out := errconform(t, env, "config", "check", "../examples/errconform.yaml")
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	n := len(catalogueIDs())
	assert.Contains(t, out.stdout, fmt.Sprintf("%d of %d cases enabled", n, n))
	for _, secret := range []string{"sk-example-0000000001", "sk-example-0000000004"} {
		assert.NotContains(t, out.stdout, secret)
	}

	gh, err := os.ReadFile("../examples/github/errconform.yml")
	require.NoError(t, err)
	assert.Contains(t, string(gh), "uses: errconform/errconform@")
	assert.Contains(t, string(gh), "config: examples/errconform.yaml")
	gl, err := os.ReadFile("../examples/gitlab/.gitlab-ci.yml")
	require.NoError(t, err)
	assert.Contains(t, string(gl), "extends: .errconform")
	assert.Contains(t, string(gl), "ci/errconform.gitlab-ci.yml")
}

// docs/cases.md, docs/rules.md and docs/cli.md are what the code
// generates.
func TestDocsMatchTheCode(t *testing.T) {
	dir := t.TempDir()
	out := errconform(t, nil, "docs", "--dir", dir)
	require.Equal(t, 0, out.code, out.stderr)
	generated := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		generated++
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		want, err := os.ReadFile(filepath.Join("..", "docs", rel))
		require.NoError(t, err, "docs/%s is generated but missing: run go generate ./...", rel)
		assert.Equal(t, string(want), string(got), "docs/%s is stale: run go generate ./... (errconform docs --dir docs)", rel)
		return nil
	}))
	assert.Equal(t, 1+2*len(spec.BuiltinNames()), generated, "cli.md, and each built-in contract's cases.md and rules.md")
	stdout := errconform(t, nil, "docs")
	cli, err := os.ReadFile("../docs/cli.md")
	require.NoError(t, err)
	assert.Equal(t, string(cli), stdout.stdout, "errconform docs prints docs/cli.md")
}

// Nothing is read from the source tree at run time: the binary works from
// any directory.
func TestRunsFromAnyDirectory(t *testing.T) {
	cmd := exec.Command(binary, "run", "--target", "reference", "--quiet")
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "0 failed")
	assert.NotContains(t, string(out), "PASS  ", "--quiet prints only the summary")
}
