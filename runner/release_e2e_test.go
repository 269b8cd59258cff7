package runner_test

// The release side: goreleaser (.goreleaser.yaml, run by make release-snapshot)
// builds what a release publishes, ci/install.sh installs it (verified
// against checksums.txt) for the GitHub Action and the GitLab template, and
// actionlint and shellcheck keep the CI files clean.
//
// make test checks the install script, the action and the template against
// releases made from the test binary, and .goreleaser.yaml against what
// install.sh downloads; the goreleaser build itself (six cross-compiles,
// twice, and the SBOMs) is TestReleaseGoreleaser, under make test-release
// (go test -tags release, release_goreleaser_test.go).

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const (
	// actionlintVersion is fetched from the Go module proxy by TestActionlint.
	actionlintVersion = "v1.7.12"
)

func archiveName(version, goos, goarch string) string {
	if goos == "windows" {
		return fmt.Sprintf("errconform_%s_%s_%s.zip", version, goos, goarch)
	}
	return fmt.Sprintf("errconform_%s_%s_%s.tar.gz", version, goos, goarch)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// On CI and under make test-release, the tools .ci/run installs must be
// there; in a local make test a missing tool skips.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" || releaseTag {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// The release tests stream archives and binaries through files, never
// holding one in memory: on Linux a child started with vfork inherits the
// test process's peak RSS as its own ru_maxrss, which the hostile-target
// tests measure.

// sha256File is the hex SHA-256 of a file, read in small pieces.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// copyFile copies src to dst in small pieces.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.Create(dst)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// flipByte changes one byte in the middle of a file.
func flipByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	info, err := f.Stat()
	require.NoError(t, err)
	b := make([]byte, 1)
	_, err = f.ReadAt(b, info.Size()/2)
	require.NoError(t, err)
	b[0] ^= 0xff
	_, err = f.WriteAt(b, info.Size()/2)
	require.NoError(t, err)
}

// hostRelease is a release of the given errconform binary for this
// machine, in a new directory: the archive install.sh asks for, and its
// checksums.txt (with another platform's line, too).
func hostRelease(t *testing.T, version, exe string) (dir string) {
	t.Helper()
	dir = t.TempDir()
	name := archiveName(version, runtime.GOOS, runtime.GOARCH)
	exeName := "errconform"
	if runtime.GOOS == "windows" {
		exeName = "errconform.exe"
	}
	out, err := os.Create(filepath.Join(dir, name))
	require.NoError(t, err)
	var add func(name string, mode int64, r io.Reader, size int64)
	var closeArchive func() error
	if strings.HasSuffix(name, ".zip") {
		zw := zip.NewWriter(out)
		add = func(name string, mode int64, r io.Reader, _ int64) {
			h := &zip.FileHeader{Name: name, Method: zip.Deflate}
			h.SetMode(os.FileMode(mode))
			w, err := zw.CreateHeader(h)
			require.NoError(t, err)
			_, err = io.Copy(w, r)
			require.NoError(t, err)
		}
		closeArchive = zw.Close
	} else {
		gz := gzip.NewWriter(out)
		tw := tar.NewWriter(gz)
		add = func(name string, mode int64, r io.Reader, size int64) {
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: size, Typeflag: tar.TypeReg}))
			_, err := io.Copy(tw, r)
			require.NoError(t, err)
		}
		closeArchive = func() error { return errors.Join(tw.Close(), gz.Close()) }
	}
	in, err := os.Open(exe)
	require.NoError(t, err)
	info, err := in.Stat()
	require.NoError(t, err)
	add(exeName, 0o755, in, info.Size())
	require.NoError(t, in.Close())
	for _, doc := range []string{"LICENSE", "README.md"} {
		add(doc, 0o644, strings.NewReader(doc+"\n"), int64(len(doc)+1))
	}
	require.NoError(t, closeArchive())
	require.NoError(t, out.Close())
	sums := fmt.Sprintf("%s  %s\n%x  errconform_%s_plan9_amd64.tar.gz\n", sha256File(t, filepath.Join(dir, name)), name, sha256.Sum256(nil), version)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(sums), 0o644))
	return dir
}

// serveRelease serves a directory as release v<version> on 127.0.0.1,
// laid out as GitHub's release download URLs are: <base>/v<version>/<file>.
func serveRelease(t *testing.T, version, dir string) (base string) {
	t.Helper()
	srv := httptest.NewServer(http.StripPrefix("/v"+version, http.FileServer(http.Dir(dir))))
	t.Cleanup(srv.Close)
	return srv.URL
}

// runInstall runs ci/install.sh with POSIX sh and the given settings.
func runInstall(t *testing.T, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("sh", filepath.Join(repoRoot(t), "ci", "install.sh"))
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "ERRCONFORM_VERSION=", "ERRCONFORM_INSTALL=", "ERRCONFORM_RELEASE_BASE_URL=", "ERRCONFORM_INSTALL_DIR=")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), string(out)
	}
	require.NoError(t, err)
	return 0, string(out)
}

// install.sh installs only what the release's checksums.txt vouches for.
func TestInstallScript(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in binary is a shell script")
	}
	const version = "7.7.7"
	host := archiveName(version, runtime.GOOS, runtime.GOARCH)
	fake := filepath.Join(t.TempDir(), "errconform") // install.sh runs `errconform version`
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho 'errconform 7.7.7 (contract test, commit fake)'\n"), 0o755))
	good := hostRelease(t, version, fake)
	// with is the good release, copied, with one thing changed.
	with := func(change func(dir string)) func() string {
		return func() string {
			dir := t.TempDir()
			for _, name := range []string{host, "checksums.txt"} {
				copyFile(t, filepath.Join(good, name), filepath.Join(dir, name))
			}
			change(dir)
			return dir
		}
	}
	editChecksums := func(edit func([]byte) []byte) func(dir string) {
		return func(dir string) {
			path := filepath.Join(dir, "checksums.txt")
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, edit(data), 0o644))
		}
	}
	unchanged := func() string { return good }
	for _, tt := range []struct {
		name    string
		release func() string
		env     []string
		code    int
		says    string
	}{
		{"verified release", unchanged, nil, 0, "matches checksums.txt"},
		{"tampered archive", with(func(dir string) { flipByte(t, filepath.Join(dir, host)) }), nil, 1, "SHA-256 checksum mismatch for " + host},
		{"no entry in checksums.txt", with(editChecksums(func(b []byte) []byte {
			return regexp.MustCompile(`(?m)^.*`+regexp.QuoteMeta(host)+`\n`).ReplaceAll(b, nil)
		})), nil, 1, "checksums.txt of release v7.7.7 has no entry for " + host},
		{"entry for a name that only ends like the archive", with(editChecksums(func(b []byte) []byte {
			return bytes.ReplaceAll(b, []byte("  "+host), []byte("  x"+host))
		})), nil, 1, "has no entry for " + host},
		{"two different entries", with(editChecksums(func(b []byte) []byte {
			return append(b, []byte(strings.Repeat("0", 64)+"  "+host+"\n")...)
		})), nil, 1, "lists different checksums for " + host},
		{"no checksums.txt", with(func(dir string) { require.NoError(t, os.Remove(filepath.Join(dir, "checksums.txt"))) }), nil, 1, "could not download"},
		{"no archive", with(func(dir string) { require.NoError(t, os.Remove(filepath.Join(dir, host))) }), nil, 1, "could not download"},
		{"latest is no release", unchanged, []string{"ERRCONFORM_VERSION=latest"}, 1, "not a release version"},
		{"plain http off loopback", unchanged, []string{"ERRCONFORM_RELEASE_BASE_URL=http://example.invalid"}, 1, "must be an https URL"},
		{"loopback as user information", unchanged, []string{"ERRCONFORM_RELEASE_BASE_URL=http://127.0.0.1:80@example.invalid"}, 1, "must not carry user information"},
		{"unknown method", unchanged, []string{"ERRCONFORM_INSTALL=binary"}, 1, "use release (the default) or source"},
		{"no version", unchanged, []string{"ERRCONFORM_VERSION="}, 1, "ERRCONFORM_VERSION is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "bin")
			env := append([]string{"ERRCONFORM_VERSION=" + version, "ERRCONFORM_RELEASE_BASE_URL=" + serveRelease(t, version, tt.release()), "ERRCONFORM_INSTALL_DIR=" + bin}, tt.env...)
			code, out := runInstall(t, env...)
			require.Equal(t, tt.code, code, out)
			assert.Contains(t, out, tt.says)
			if tt.code == 0 {
				got, err := exec.Command(filepath.Join(bin, "errconform"), "version").Output()
				require.NoError(t, err)
				assert.Equal(t, "errconform 7.7.7 (contract test, commit fake)\n", string(got))
				return
			}
			assert.NoFileExists(t, filepath.Join(bin, "errconform"), "nothing is installed when a check fails")
		})
	}
}

type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Steps []struct {
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func readAction(t *testing.T) actionFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	require.NoError(t, err)
	var a actionFile
	require.NoError(t, yaml.Unmarshal(data, &a))
	return a
}

type gitlabJob struct {
	Image     string            `yaml:"image"`
	Variables map[string]string `yaml:"variables"`
	Script    []string          `yaml:"script"`
	Cache     struct {
		Key   string   `yaml:"key"`
		Paths []string `yaml:"paths"`
	} `yaml:"cache"`
	Artifacts struct {
		Name    string   `yaml:"name"`
		Paths   []string `yaml:"paths"`
		Reports struct {
			JUnit string `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

func readGitLabTemplate(t *testing.T) gitlabJob {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "ci", "errconform.gitlab-ci.yml"))
	require.NoError(t, err)
	var tmpl map[string]gitlabJob
	require.NoError(t, yaml.Unmarshal(data, &tmpl))
	job, ok := tmpl[".errconform"]
	require.True(t, ok, "the template defines .errconform")
	return job
}

// The GitLab template carries ci/install.sh verbatim (an included template
// brings no other file). ERRCONFORM_UPDATE_CI_TEMPLATE=1 rewrites the copy.
func TestGitLabTemplateEmbedsInstallScript(t *testing.T) {
	root := repoRoot(t)
	script, err := os.ReadFile(filepath.Join(root, "ci", "install.sh"))
	require.NoError(t, err)
	path := filepath.Join(root, "ci", "errconform.gitlab-ci.yml")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	const open, end = "<<'ERRCONFORM_INSTALL_SH'\n", "      ERRCONFORM_INSTALL_SH\n"
	i, j := bytes.Index(data, []byte(open)), bytes.Index(data, []byte(end))
	require.True(t, i > 0 && j > i, "the template writes the script with a here-document ending in ERRCONFORM_INSTALL_SH")
	i += len(open)

	var indented bytes.Buffer
	for _, line := range strings.SplitAfter(string(script), "\n") {
		if strings.TrimSpace(line) != "" {
			indented.WriteString("      ")
		}
		indented.WriteString(line)
	}
	if os.Getenv("ERRCONFORM_UPDATE_CI_TEMPLATE") == "1" {
		updated := append(append(append([]byte{}, data[:i]...), indented.Bytes()...), data[j:]...)
		require.NoError(t, os.WriteFile(path, updated, 0o644))
		data, j = updated, i+indented.Len()
	}
	assert.Equal(t, indented.String(), string(data[i:j]),
		"ci/errconform.gitlab-ci.yml embeds a stale copy of ci/install.sh: ERRCONFORM_UPDATE_CI_TEMPLATE=1 go test ./runner -run TestGitLabTemplateEmbedsInstallScript")

	// And what YAML hands the shell is the file itself.
	job := readGitLabTemplate(t)
	require.NotEmpty(t, job.Script)
	first := job.Script[0]
	start := strings.Index(first, "<<'ERRCONFORM_INSTALL_SH'\n")
	require.True(t, start >= 0, "the first script item writes the install script with a here-document")
	body := first[start+len("<<'ERRCONFORM_INSTALL_SH'\n") : strings.LastIndex(first, "ERRCONFORM_INSTALL_SH")]
	assert.Equal(t, string(script), body)
}

// The action and the template install the same pinned release, the
// examples include the template at that release's tag, and the artifacts
// are named so that jobs and matrix legs do not collide.
func TestCITemplatesPinOneRelease(t *testing.T) {
	a := readAction(t)
	job := readGitLabTemplate(t)
	version := a.Inputs["version"].Default
	assert.Regexp(t, `^\d+\.\d+\.\d+$`, version, "action.yml pins a release (inputs.version.default)")
	assert.Equal(t, version, job.Variables["ERRCONFORM_VERSION"], "the GitLab template installs the release action.yml does")
	assert.Equal(t, "release", a.Inputs["install"].Default)
	assert.Equal(t, "release", job.Variables["ERRCONFORM_INSTALL"])

	root := repoRoot(t)
	for _, f := range []string{"examples/gitlab/.gitlab-ci.yml", "ci/errconform.gitlab-ci.yml"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		require.NoError(t, err)
		assert.Contains(t, string(data), "errconform/errconform/v"+version+"/ci/errconform.gitlab-ci.yml", "%s includes the template at its release tag", f)
	}

	var upload, setupGo, cache bool
	for _, s := range a.Runs.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/upload-artifact@"):
			upload = true
			assert.Contains(t, s.With["name"], "inputs.name")
			assert.Contains(t, s.With["name"], "github.job")
			assert.Contains(t, s.With["name"], "strategy.job-index")
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			setupGo = true
			assert.Equal(t, "inputs.install == 'source'", s.If, "Go is set up only for install: source")
		case strings.HasPrefix(s.Uses, "actions/cache@"):
			cache = true
			assert.Equal(t, "inputs.install == 'source'", s.If)
			assert.Contains(t, s.With["key"], "inputs.version")
		}
	}
	assert.True(t, upload && setupGo && cache, "action.yml uploads the reports and caches Go for install: source")
	assert.Equal(t, []string{"$ERRCONFORM_REPORTS/"}, job.Artifacts.Paths)
	assert.Equal(t, "$ERRCONFORM_REPORTS/junit.xml", job.Artifacts.Reports.JUnit)
	assert.Contains(t, job.Artifacts.Name, "$CI_JOB_NAME")
	assert.Contains(t, job.Cache.Key, "$ERRCONFORM_VERSION")
	for _, p := range job.Cache.Paths {
		assert.True(t, strings.HasPrefix(job.Variables["GOMODCACHE"], "$CI_PROJECT_DIR/"+p), "GOMODCACHE is inside the cached %s", p)
		assert.True(t, strings.HasPrefix(job.Variables["GOCACHE"], "$CI_PROJECT_DIR/"+p), "GOCACHE is inside the cached %s", p)
	}
}

var actionExpr = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// evalAction evaluates the few expression forms action.yml's step env
// uses: inputs.X, env.X, runner.temp, joined by ||.
func evalAction(t *testing.T, a actionFile, value string, inputs, env map[string]string, runnerTemp string) string {
	t.Helper()
	return actionExpr.ReplaceAllStringFunc(value, func(m string) string {
		for _, operand := range strings.Split(actionExpr.FindStringSubmatch(m)[1], "||") {
			operand = strings.TrimSpace(operand)
			var v string
			switch {
			case strings.HasPrefix(operand, "inputs."):
				name := strings.TrimPrefix(operand, "inputs.")
				spec, ok := a.Inputs[name]
				require.True(t, ok, "action.yml uses undeclared input %s", name)
				v = spec.Default
				if given, ok := inputs[name]; ok {
					v = given
				}
			case strings.HasPrefix(operand, "env."):
				v = env[strings.TrimPrefix(operand, "env.")]
			case operand == "runner.temp":
				v = runnerTemp
			default:
				t.Fatalf("the test cannot evaluate %q in action.yml", operand)
			}
			if v != "" {
				return v
			}
		}
		return ""
	})
}

// The action end to end, as a runner runs it: the install step downloads
// the pinned release (here from a local server named by the job's
// ERRCONFORM_RELEASE_BASE_URL), verifies it and adds it to GITHUB_PATH;
// the run step then finds errconform there and writes every report.
func TestGitHubActionInstallsTheReleaseAndRuns(t *testing.T) {
	a := readAction(t)
	var install, run string
	var installEnv, runEnv map[string]string
	for _, s := range a.Runs.Steps {
		switch s.ID {
		case "install":
			install, installEnv = s.Run, s.Env
		case "run":
			run, runEnv = s.Run, s.Env
		}
	}
	require.NotEmpty(t, install, "action.yml has a step with id install")
	require.NotEmpty(t, run, "action.yml has a step with id run")
	version := a.Inputs["version"].Default

	base := serveRelease(t, version, hostRelease(t, version, binary))
	good, _ := startReference(t, func(h http.Handler) http.Handler { return h })

	for _, tt := range []struct {
		name   string
		inputs map[string]string
		jobEnv map[string]string
		code   int
		says   string
	}{
		{"mirror from the job's environment", nil, map[string]string{"ERRCONFORM_RELEASE_BASE_URL": base}, 0, "matches checksums.txt"},
		{"mirror as an input", map[string]string{"release-base-url": base}, nil, 0, "matches checksums.txt"},
		{"a version the mirror does not have", map[string]string{"release-base-url": base, "version": "0.0.1"}, nil, 1, "could not download"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			work, temp := t.TempDir(), t.TempDir()
			githubPath, output, summary := filepath.Join(temp, "path"), filepath.Join(temp, "output"), filepath.Join(temp, "summary.md")
			inputs := map[string]string{"config": good}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			step := func(script string, stepEnv map[string]string, path string) (int, string) {
				cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
				cmd.Dir = work
				cmd.Env = append(os.Environ(), "PATH="+path, "GITHUB_ACTION_PATH="+repoRoot(t), "GITHUB_PATH="+githubPath,
					"GITHUB_OUTPUT="+output, "GITHUB_STEP_SUMMARY="+summary, "RUNNER_TEMP="+temp, "ERRCONFORM_RELEASE_BASE_URL=")
				for k, v := range tt.jobEnv {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				for k, v := range stepEnv {
					cmd.Env = append(cmd.Env, k+"="+evalAction(t, a, v, inputs, tt.jobEnv, temp))
				}
				out, err := cmd.CombinedOutput()
				var exitErr *exec.ExitError
				if errors.As(err, &exitErr) {
					return exitErr.ExitCode(), string(out)
				}
				require.NoError(t, err)
				return 0, string(out)
			}
			code, out := step(install, installEnv, os.Getenv("PATH"))
			require.Equal(t, tt.code, code, out)
			assert.Contains(t, out, tt.says)
			if tt.code != 0 {
				return
			}
			added, err := os.ReadFile(githubPath)
			require.NoError(t, err)
			dir := strings.TrimSpace(string(added))
			assert.Equal(t, filepath.Join(temp, "errconform-bin"), dir)
			code, out = step(run, runEnv, dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			require.Equal(t, 0, code, out)
			for _, f := range []string{"junit.xml", "errconform.json", "errconform.html", "ctrf.json"} {
				assert.FileExists(t, filepath.Join(work, a.Inputs["reports-dir"].Default, f))
			}
		})
	}
}

// actionlint (from the Go module proxy, pinned) on the example workflow, on
// a copy of it that uses this checkout's action (so its inputs are checked
// against action.yml's), and on action.yml's steps lifted into a workflow
// (actionlint reads no action metadata file by itself): expressions,
// contexts, the inputs of the actions it calls, and, where shellcheck is
// installed, every run script.
func TestActionlint(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	tools := t.TempDir()
	install := exec.Command("go", "install", "github.com/rhysd/actionlint/cmd/actionlint@"+actionlintVersion)
	install.Env = append(os.Environ(), "GOBIN="+tools)
	install.Dir = tools
	if out, err := install.CombinedOutput(); err != nil {
		skipOrFail(t, "actionlint %s from the Go module proxy: %v\n%s", actionlintVersion, err, out)
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		skipOrFail(t, "shellcheck is not installed (apt-get install shellcheck; .ci/run does): actionlint would skip every run script")
	}

	repo := t.TempDir()
	workflows := filepath.Join(repo, ".github", "workflows")
	require.NoError(t, os.MkdirAll(workflows, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(repo, ".git"), 0o755))
	actionYAML, err := os.ReadFile(filepath.Join(root, "action.yml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(repo, "action.yml"), actionYAML, 0o644))
	example, err := os.ReadFile(filepath.Join(root, "examples", "github", "errconform.yml"))
	require.NoError(t, err)
	require.Regexp(t, `uses: errconform/errconform@v\d+`, string(example))
	local := regexp.MustCompile(`uses: errconform/errconform@v\d+`).ReplaceAll(example, []byte("uses: ./"))
	require.NoError(t, os.WriteFile(filepath.Join(workflows, "example-local.yml"), local, 0o644))

	// action.yml's steps as a reusable workflow's job: inputs become
	// workflow_call inputs, the action's output a job output.
	var meta struct {
		Inputs  map[string]map[string]any `yaml:"inputs"`
		Outputs map[string]struct {
			Value string `yaml:"value"`
		} `yaml:"outputs"`
		Runs struct {
			Steps []any `yaml:"steps"`
		} `yaml:"runs"`
	}
	require.NoError(t, yaml.Unmarshal(actionYAML, &meta))
	callInputs := map[string]any{}
	for name, in := range meta.Inputs {
		callInputs[name] = map[string]any{"type": "string", "required": false, "default": in["default"], "description": in["description"]}
	}
	jobOutputs := map[string]string{}
	for name, out := range meta.Outputs {
		jobOutputs[name] = out.Value
	}
	lifted, err := yaml.Marshal(map[string]any{
		"name": "action.yml's steps",
		"on":   map[string]any{"workflow_call": map[string]any{"inputs": callInputs}},
		"jobs": map[string]any{"action": map[string]any{
			"runs-on":  "${{ matrix.os }}",
			"strategy": map[string]any{"matrix": map[string]any{"os": []string{"ubuntu-latest", "macos-latest", "windows-latest"}}},
			"outputs":  jobOutputs,
			"steps":    meta.Runs.Steps,
		}},
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(workflows, "action-steps.yml"), lifted, 0o644))

	lint := exec.Command(filepath.Join(tools, "actionlint"), "-no-color",
		filepath.Join(workflows, "action-steps.yml"), filepath.Join(workflows, "example-local.yml"),
		filepath.Join(root, "examples", "github", "errconform.yml"), filepath.Join(root, "examples", "github", "errconform-fleet.yml"))
	lint.Dir = repo
	out, err := lint.CombinedOutput()
	assert.NoError(t, err, "actionlint:\n%s\naction.yml's steps as linted:\n%s", out, lifted)
}

// shellcheck on the install script as POSIX sh, on the GitLab template's
// script (what GitLab hands the job's shell), and on .ci/run (bash).
func TestShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		skipOrFail(t, "shellcheck is not installed (apt-get install shellcheck; .ci/run does)")
	}
	root := repoRoot(t)
	out, err := exec.Command("shellcheck", "--shell=sh", filepath.Join(root, "ci", "install.sh")).CombinedOutput()
	assert.NoError(t, err, "shellcheck ci/install.sh:\n%s", out)
	out, err = exec.Command("shellcheck", filepath.Join(root, ".ci", "run")).CombinedOutput()
	assert.NoError(t, err, "shellcheck .ci/run:\n%s", out)

	job := readGitLabTemplate(t)
	script := filepath.Join(t.TempDir(), "gitlab-script.sh")
	// ERRCONFORM_EXTRA_ARGS is split into words on purpose (SC2086).
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\n# shellcheck disable=SC2086\n"+strings.Join(job.Script, "\n")+"\n"), 0o644))
	out, err = exec.Command("shellcheck", "--shell=sh", script).CombinedOutput()
	assert.NoError(t, err, "shellcheck on the GitLab template's script:\n%s", out)
}

// The GitHub example hands errconform every ${VAR} the example config
// names: one it forgot would stop the run with exit 2.
func TestGitHubExamplePassesEveryVariableTheConfigNames(t *testing.T) {
	root := repoRoot(t)
	cfg, err := os.ReadFile(filepath.Join(root, "examples", "errconform.yaml"))
	require.NoError(t, err)
	workflow, err := os.ReadFile(filepath.Join(root, "examples", "github", "errconform.yml"))
	require.NoError(t, err)
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(workflow, &wf))
	env := map[string]bool{}
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "errconform/errconform@") {
				for k := range s.Env {
					env[k] = true
				}
			}
		}
	}
	names := regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(string(cfg), -1)
	require.NotEmpty(t, names)
	for _, m := range names {
		assert.True(t, env[m[1]], "examples/github/errconform.yml does not pass %s, which examples/errconform.yaml names", m[1])
	}
}

// fakeModuleProxy is a GOPROXY directory holding one tiny version of
// github.com/errconform/errconform whose errconform command only answers
// version: enough to run the source install without the network.
func fakeModuleProxy(t *testing.T, version string) string {
	t.Helper()
	const module = "github.com/errconform/errconform"
	dir := filepath.Join(t.TempDir(), "proxy")
	at := filepath.Join(dir, filepath.FromSlash(module), "@v")
	require.NoError(t, os.MkdirAll(at, 0o755))
	gomod := "module " + module + "\n\ngo 1.21\n"
	main := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"errconform " + version + " (built from source)\") }\n"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range map[string]string{"go.mod": gomod, "cmd/errconform/main.go": main} {
		h := &zip.FileHeader{Name: module + "@v" + version + "/" + name, Method: zip.Deflate}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		_, err = io.WriteString(w, content)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	for name, content := range map[string][]byte{
		"list":                  []byte("v" + version + "\n"),
		"v" + version + ".info": []byte(`{"Version":"v` + version + `","Time":"2026-01-01T00:00:00Z"}`),
		"v" + version + ".mod":  []byte(gomod),
		"v" + version + ".zip":  buf.Bytes(),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(at, name), content, 0o644))
	}
	return dir
}

// install: source builds the pinned version with go install into the
// install directory, its module cache's directories writable (so a CI
// checkout holding it can be cleaned).
func TestInstallScriptFromSource(t *testing.T) {
	proxy := fakeModuleProxy(t, "0.7.7")
	modcache := filepath.Join(t.TempDir(), "mod")
	bin := filepath.Join(t.TempDir(), "bin")
	code, out := runInstall(t, "ERRCONFORM_INSTALL=source", "ERRCONFORM_VERSION=0.7.7", "ERRCONFORM_INSTALL_DIR="+bin,
		"GOPROXY=file://"+filepath.ToSlash(proxy), "GOSUMDB=off", "GOMODCACHE="+modcache, "GOTOOLCHAIN=local", "GOFLAGS=")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "go install github.com/errconform/errconform/cmd/errconform@v0.7.7")
	assert.Contains(t, out, "installed errconform 0.7.7 (built from source)")
	got, err := exec.Command(filepath.Join(bin, "errconform"), "version").Output()
	require.NoError(t, err)
	assert.Equal(t, "errconform 0.7.7 (built from source)\n", string(got))
	err = filepath.WalkDir(modcache, func(path string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		if !d.IsDir() {
			return nil // go always writes module files read-only; a writable directory lets them be removed
		}
		info, err := d.Info()
		require.NoError(t, err)
		assert.NotZero(t, info.Mode().Perm()&0o200, "-modcacherw: %s is writable", path)
		return nil
	})
	require.NoError(t, err)

	code, out = runInstall(t, "ERRCONFORM_INSTALL=source", "ERRCONFORM_VERSION=0.7.8", "ERRCONFORM_INSTALL_DIR="+bin,
		"GOPROXY=file://"+filepath.ToSlash(proxy), "GOSUMDB=off", "GOMODCACHE="+modcache, "GOTOOLCHAIN=local", "GOFLAGS=")
	assert.NotEqual(t, 0, code, "a version the proxy does not have: %s", out)
}

// make test-release runs go test -tags release -run '^TestRelease' over
// the Makefile's RELEASE_PKGS: a test only the release tag builds must be
// named TestRelease* and live in one of those packages, or no target would
// ever run it.
func TestReleaseTestsAreWhereMakeTestReleaseRunsThem(t *testing.T) {
	root := repoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^RELEASE_PKGS := (.+)$`).FindSubmatch(makefile)
	require.NotNil(t, m, "the Makefile sets RELEASE_PKGS")
	pkgs := map[string]bool{}
	for _, p := range strings.Fields(string(m[1])) {
		pkgs[filepath.Clean(strings.TrimPrefix(p, "./"))] = true
	}
	require.Contains(t, string(makefile), `-tags release -count=1 -timeout $(RELEASE_TIMEOUT) -run '^TestRelease' $(RELEASE_PKGS)`)

	testFunc := regexp.MustCompile(`(?m)^func (Test\w*)\(`)
	found := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		tagged := bytes.HasPrefix(data, []byte("//go:build release\n"))
		for _, f := range testFunc.FindAllSubmatch(data, -1) {
			name := string(f[1])
			if !strings.HasPrefix(name, "TestRelease") {
				assert.False(t, tagged, "%s: %s is built only with -tags release but make test-release runs only TestRelease*", rel, name)
				continue
			}
			assert.True(t, pkgs[filepath.Dir(rel)], "%s: %s is in a package make test-release does not run (RELEASE_PKGS)", rel, name)
			found[filepath.Dir(rel)] = true
		}
		return nil
	})
	require.NoError(t, err)
	for p := range pkgs {
		assert.True(t, found[p], "RELEASE_PKGS names %s, which holds no TestRelease* test", p)
	}
}

// .goreleaser.yaml builds what ci/install.sh downloads and verifies, for
// every platform install.sh knows, reproducibly: the archive names, the
// Windows zip, checksums.txt, and the flags and timestamps that make two
// builds of one commit identical (TestReleaseGoreleaser, under make
// test-release, builds it twice).
func TestGoreleaserConfigBuildsWhatInstallScriptDownloads(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	require.NoError(t, err)
	type fileInfo struct {
		MTime string `yaml:"mtime"`
	}
	var cfg struct {
		Version int `yaml:"version"`
		Builds  []struct {
			Main         string   `yaml:"main"`
			Binary       string   `yaml:"binary"`
			Env          []string `yaml:"env"`
			Goos         []string `yaml:"goos"`
			Goarch       []string `yaml:"goarch"`
			Flags        []string `yaml:"flags"`
			Ldflags      []string `yaml:"ldflags"`
			ModTimestamp string   `yaml:"mod_timestamp"`
		} `yaml:"builds"`
		Archives []struct {
			NameTemplate    string   `yaml:"name_template"`
			Formats         []string `yaml:"formats"`
			FormatOverrides []struct {
				Goos    string   `yaml:"goos"`
				Formats []string `yaml:"formats"`
			} `yaml:"format_overrides"`
			BuildsInfo fileInfo `yaml:"builds_info"`
			Files      []struct {
				Src  string   `yaml:"src"`
				Info fileInfo `yaml:"info"`
			} `yaml:"files"`
		} `yaml:"archives"`
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
			Algorithm    string `yaml:"algorithm"`
		} `yaml:"checksum"`
		SBOMs []struct {
			Cmd  string   `yaml:"cmd"`
			Args []string `yaml:"args"`
		} `yaml:"sboms"`
	}
	require.NoError(t, yaml.Unmarshal(data, &cfg))
	assert.Equal(t, 2, cfg.Version)
	require.Len(t, cfg.Builds, 1)
	b := cfg.Builds[0]
	assert.Equal(t, "./cmd/errconform", b.Main)
	assert.Equal(t, "errconform", b.Binary)
	assert.Contains(t, b.Env, "CGO_ENABLED=0", "static binaries")
	assert.ElementsMatch(t, []string{"linux", "darwin", "windows"}, b.Goos)
	assert.ElementsMatch(t, []string{"amd64", "arm64"}, b.Goarch)
	assert.Contains(t, b.Flags, "-trimpath")
	assert.Contains(t, b.Flags, "-buildvcs=false", "no VCS stamp: a dirty work tree would change the bytes")
	ldflags := strings.Join(b.Ldflags, " ")
	assert.Contains(t, ldflags, "-s -w", "stripped")
	assert.Contains(t, ldflags, "-X github.com/errconform/errconform/runner.Version={{ .Version }}")
	assert.Contains(t, ldflags, "-X github.com/errconform/errconform/runner.Commit={{ .FullCommit }}")
	assert.Equal(t, "{{ .CommitTimestamp }}", b.ModTimestamp)

	require.Len(t, cfg.Archives, 1)
	a := cfg.Archives[0]
	assert.Equal(t, "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}", a.NameTemplate, "install.sh downloads errconform_<version>_<os>_<arch>")
	assert.Equal(t, []string{"tar.gz"}, a.Formats)
	require.Len(t, a.FormatOverrides, 1)
	assert.Equal(t, "windows", a.FormatOverrides[0].Goos)
	assert.Equal(t, []string{"zip"}, a.FormatOverrides[0].Formats)
	assert.Equal(t, "{{ .CommitDate }}", a.BuildsInfo.MTime)
	var docs []string
	for _, f := range a.Files {
		docs = append(docs, f.Src)
		assert.Equal(t, "{{ .CommitDate }}", f.Info.MTime, "%s is dated at the commit", f.Src)
	}
	assert.Equal(t, []string{"LICENSE", "README.md"}, docs)
	assert.Equal(t, "checksums.txt", cfg.Checksum.NameTemplate, "install.sh downloads checksums.txt")
	assert.Equal(t, "sha256", cfg.Checksum.Algorithm)
	require.Len(t, cfg.SBOMs, 1)
	assert.Contains(t, cfg.SBOMs[0].Args, "-noserial")
	assert.Contains(t, cfg.SBOMs[0].Args, "-notimestamp")

	// install.sh names the archive as the template does and knows the same
	// platforms.
	script, err := os.ReadFile(filepath.Join(root, "ci", "install.sh"))
	require.NoError(t, err)
	for _, want := range []string{"archive=errconform_${version}_${os}_${arch}.$ext", "ext=tar.gz", "ext=zip", `"$url/checksums.txt"`,
		"os=linux", "os=darwin", "os=windows", "arch=amd64", "arch=arm64"} {
		assert.Contains(t, string(script), want)
	}
}
