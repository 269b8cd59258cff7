package runner_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// exampleDir is a working directory laid out as a checkout for the CI
// examples: examples/errconform-fleet.yaml names two local references (one
// breaking the contract), errconform is on PATH.
func exampleDir(t *testing.T) (dir string, env []string) {
	t.Helper()
	dir = t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "examples"), 0o755))
	cfg := writeFleet(t, nil, map[string]any{"name": "eu-west", "base_url": "reference"},
		fleetEntry(t, "us-east", mutantByName(t, "openai-401-type").Wrap, nil))
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "examples", "errconform-fleet.yaml"), data, 0o600))
	return dir, []string{"PATH=" + filepath.Dir(binary) + string(os.PathListSeparator) + os.Getenv("PATH")}
}

// sh runs a CI script line in dir; it returns the exit code.
func sh(t *testing.T, dir string, env []string, script string) int {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	require.NoError(t, err, string(out))
	return 0
}

// unshardedVerdicts runs the example's fleet config unsharded.
func unshardedVerdicts(t *testing.T, dir string) []fleetVerdicts {
	t.Helper()
	path := filepath.Join(t.TempDir(), "whole.json")
	out := errconformIn(t, dir, nil, "run", "--config", "examples/errconform-fleet.yaml", "--quiet", "--json", path)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	return verdictsOf(readJSONReport(t, path))
}

// ghExpr is a GitHub expression, ${{ … }}.
var ghExpr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

func TestGitHubFleetExampleShardsAndMerges(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "github", "errconform-fleet.yml"))
	require.NoError(t, err)
	var wf struct {
		Jobs map[string]struct {
			Needs    any `yaml:"needs"`
			Strategy struct {
				Matrix map[string][]int `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &wf))
	dir, env := exampleDir(t)
	shards, merge := wf.Jobs["shards"], wf.Jobs["merge"]
	require.Equal(t, "shards", merge.Needs)
	require.Len(t, shards.Strategy.Matrix["shard"], 4)
	script := func(steps []struct {
		Run string            `yaml:"run"`
		Env map[string]string `yaml:"env"`
	}, word string) (string, []string) {
		for _, s := range steps {
			if strings.Contains(s.Run, "errconform "+word) {
				var stepEnv []string
				for k := range s.Env {
					stepEnv = append(stepEnv, k+"=sk-test-unused")
				}
				return s.Run, stepEnv
			}
		}
		t.Fatalf("no step runs errconform %s", word)
		return "", nil
	}
	run, runEnv := script(shards.Steps, "run")
	for _, shard := range shards.Strategy.Matrix["shard"] {
		line := ghExpr.ReplaceAllStringFunc(run, func(expr string) string {
			name := ghExpr.FindStringSubmatch(expr)[1]
			require.Equal(t, "matrix.shard", name, "the only expression the run step uses")
			return fmt.Sprint(shard)
		})
		code := sh(t, dir, append(env, runEnv...), line)
		assert.Contains(t, []int{0, 1}, code, line)
	}
	mergeLine, _ := script(merge.Steps, "merge")
	summary := filepath.Join(dir, "summary.md")
	assert.Equal(t, 1, sh(t, dir, append(env, "GITHUB_STEP_SUMMARY="+summary), mergeLine), "the merge exits as the unsharded run")
	assert.Equal(t, unshardedVerdicts(t, dir), verdictsOf(readJSONReport(t, filepath.Join(dir, "errconform.json"))))
	md, err := os.ReadFile(summary)
	require.NoError(t, err)
	assert.Contains(t, string(md), "errconform fleet")
}

func TestGitLabFleetExampleShardsAndMerges(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "gitlab", "errconform-fleet.gitlab-ci.yml"))
	require.NoError(t, err)
	type gitlabJob struct {
		Parallel int      `yaml:"parallel"`
		Needs    []string `yaml:"needs"`
		Script   []string `yaml:"script"`
	}
	var ci map[string]yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &ci))
	var shards, merge gitlabJob
	shardsNode, mergeNode := ci["errconform-shards"], ci["errconform-merge"]
	require.NoError(t, shardsNode.Decode(&shards))
	require.NoError(t, mergeNode.Decode(&merge))
	dir, env := exampleDir(t)
	require.Equal(t, 4, shards.Parallel)
	require.Equal(t, []string{"errconform-shards"}, merge.Needs)
	runScript := func(lines []string, extra []string) int {
		code := 0
		for _, line := range lines {
			if strings.HasPrefix(line, "go install ") {
				continue // errconform is on PATH already
			}
			code = sh(t, dir, append(env, extra...), line)
		}
		return code
	}
	for node := 1; node <= shards.Parallel; node++ { // CI_NODE_INDEX is 1-based
		code := runScript(shards.Script, []string{fmt.Sprintf("CI_NODE_INDEX=%d", node), fmt.Sprintf("CI_NODE_TOTAL=%d", shards.Parallel)})
		assert.Contains(t, []int{0, 1}, code, "node %d", node)
	}
	assert.Equal(t, 1, runScript(merge.Script, nil))
	assert.Equal(t, unshardedVerdicts(t, dir), verdictsOf(readJSONReport(t, filepath.Join(dir, "errconform.json"))))
	assert.FileExists(t, filepath.Join(dir, "junit.xml"))
}

// The Indexed Job in deploy/kubernetes: each pod's args with
// $(JOB_COMPLETION_INDEX) expanded as Kubernetes does, run for indexes
// 0..3 against the embedded reference, then the merge Job's args.
func TestKubernetesIndexedJobShardsAndMerges(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	shardJob, err := os.ReadFile(filepath.Join(root, "deploy", "kubernetes", "job.yaml"))
	if os.IsNotExist(err) {
		t.Skip("deploy/kubernetes/job.yaml is not there yet")
	}
	require.NoError(t, err)
	mergeJob, err := os.ReadFile(filepath.Join(root, "deploy", "kubernetes", "merge", "job.yaml"))
	require.NoError(t, err)
	configMap, err := os.ReadFile(filepath.Join(root, "deploy", "kubernetes", "configmap.yaml"))
	require.NoError(t, err)
	type job struct {
		Spec struct {
			Completions int `yaml:"completions"`
			Parallelism int `yaml:"parallelism"`
			Template    struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	var shards, merge job
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	require.NoError(t, yaml.Unmarshal(shardJob, &shards))
	require.NoError(t, yaml.Unmarshal(mergeJob, &merge))
	require.NoError(t, yaml.Unmarshal(configMap, &cm))
	dir := t.TempDir()
	mounts := strings.NewReplacer("/etc/errconform/", dir+"/etc/", "/reports/", dir+"/reports/")
	require.NoError(t, os.MkdirAll(dir+"/etc", 0o755))
	require.NoError(t, os.MkdirAll(dir+"/reports", 0o755))
	require.NoError(t, os.WriteFile(dir+"/etc/errconform.yaml", []byte(cm.Data["errconform.yaml"]), 0o600))
	// The embedded reference stands in for the ConfigMap's target.
	env := []string{"ERRCONFORM_TARGET=reference", "ERRCONFORM_API_KEY=sk-test-unused"}
	require.Equal(t, 4, shards.Spec.Completions)
	require.Equal(t, shards.Spec.Completions, shards.Spec.Parallelism)
	// The pods run at once, as parallelism has them (each at its own
	// max_rps: in turn they took four times as long).
	outs := make([]outcome, shards.Spec.Completions)
	errs := make([]error, shards.Spec.Completions)
	var wg sync.WaitGroup
	for i := range shards.Spec.Completions {
		var args []string
		for _, a := range shards.Spec.Template.Spec.Containers[0].Args {
			args = append(args, mounts.Replace(strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", fmt.Sprint(i))))
		}
		wg.Go(func() { outs[i], errs[i] = runErrconform(env, args...) })
	}
	wg.Wait()
	for i, out := range outs {
		require.NoError(t, errs[i], "shard %d", i)
		require.Equal(t, 0, out.code, "shard %d: %s", i, out.stdout+out.stderr)
	}
	var args []string
	for _, a := range merge.Spec.Template.Spec.Containers[0].Args {
		args = append(args, mounts.Replace(a))
	}
	out := errconform(t, nil, args...)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	merged := readFleetReport(t, dir+"/reports/merged.json")
	require.Len(t, merged.Targets, 1)
	assert.Equal(t, merged.Targets[0].Summary.Total, merged.Targets[0].Summary.Passed)
	assert.FileExists(t, dir+"/reports/junit.xml")
}

// runErrconform runs the binary as errconform does but fails no test, so
// that it may run on a goroutine of its own: err is for a binary that did
// not run at all, an exit status is the outcome's code.
func runErrconform(env []string, args ...string) (outcome, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return outcome{exitErr.ExitCode(), stdout.String(), stderr.String()}, nil
	}
	return outcome{0, stdout.String(), stderr.String()}, err
}
