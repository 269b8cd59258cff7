package runner_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// acmeContract is the third contract, written as a test fixture only: a
// different status for the unknown route, a new code for the unknown
// model. It runs end to end with no Go change.
const acmeContract = "../testdata/contracts/acme.yaml"

// serveContract runs errconform serve answering as contract on 127.0.0.1
// and returns the config it wrote.
func serveContract(t *testing.T, contract string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	cfgPath := filepath.Join(t.TempDir(), "ref.yaml")
	serve := exec.Command(binary, "serve", "--addr", addr, "--config-out", cfgPath, "--contract", contract)
	require.NoError(t, serve.Start())
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(cfgPath)
		return err == nil && len(data) > 0
	}, 10*time.Second, 20*time.Millisecond, "serve writes its config")
	return cfgPath
}

func TestEveryContractEndToEnd(t *testing.T) {
	tests := []struct {
		name, serves, judgedBy string
		exit                   int
		// rules are findings a failing run must show.
		rules []string
		// failing is a case that must fail, where the run fails.
		failing string
	}{
		{"openrouter against itself", "openrouter", "openrouter", 0, nil, ""},
		{"the default against itself", "aiand", "aiand", 0, nil, ""},
		{"the third contract against itself", acmeContract, acmeContract, 0, nil, ""},
		{"an aiand reference judged by openrouter", "aiand", "openrouter", 1, []string{"shape", "equals-status"}, "auth/unknown-key/chat"},
		{"an openrouter reference judged by aiand", "openrouter", "aiand", 1, []string{"shape", "type"}, "auth/unknown-key/chat"},
		{"an aiand reference judged by the third contract", "aiand", acmeContract, 1, []string{"status"}, "route/unknown-route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgPath := serveContract(t, tt.serves)
			dir := t.TempDir()
			jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
			out := errconform(t, nil, "run", "--config", cfgPath, "--contract", tt.judgedBy, "--json", jsonPath, "--junit", junitPath)
			require.Equal(t, tt.exit, out.code, out.stdout+out.stderr)
			rep := readJSONReport(t, jsonPath)
			contract, err := spec.Open(tt.judgedBy)
			require.NoError(t, err)
			assert.Equal(t, contract.Name, rep.Contract.Name)
			cases, err := suites.For(contract)
			require.NoError(t, err)
			notIn := 0
			for _, c := range cases {
				if c.NotInContract != "" {
					notIn++
				}
			}
			assert.Equal(t, len(cases), rep.Summary.Total)
			assert.Equal(t, notIn, rep.Summary.NotInContract)
			rules := map[string]bool{}
			for _, c := range rep.Cases {
				if c.NotInContract != "" {
					assert.Equal(t, check.Skipped, c.Verdict, c.ID)
					assert.Equal(t, check.NotInContract, c.SkipReason, c.ID)
					assert.Zero(t, c.Requests, "%s is not in the contract: nothing sent", c.ID)
					assert.Contains(t, out.stdout, c.ID, "a case not in the contract is listed")
					continue
				}
				if tt.exit == 0 {
					assert.Equal(t, check.Passed, c.Verdict, "%s: %s", c.ID, c.Reason)
				}
				if c.ID == tt.failing {
					assert.Equal(t, check.Failed, c.Verdict, c.ID)
				}
				for _, f := range c.Findings {
					rules[f.Rule] = true
				}
			}
			for _, r := range tt.rules {
				assert.True(t, rules[r], "the cross run shows %s findings (it shows %v)", r, rules)
			}
			if notIn > 0 {
				assert.Contains(t, out.stdout, "not in this contract")
			}
			validateJUnitXSD(t, junitPath) // last: it skips where xmllint is missing
		})
	}
}

func TestContractCommands(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	data, err := os.ReadFile(acmeContract)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(broken, []byte(strings.Replace(string(data), "unknown-route:               {status: 400, code: unknown_route}",
		"unknown-route:               {status: 400, code: file_expired}", 1)), 0o600))
	unknownSituation := filepath.Join(t.TempDir(), "unknown.yaml")
	require.NoError(t, os.WriteFile(unknownSituation, []byte(strings.Replace(string(data), "    unknown-route:", "    teapot: {status: 400}\n    unknown-route:", 1)), 0o600))
	tests := []struct {
		name   string
		args   []string
		exit   int
		stdout []string
		stderr string
	}{
		{"check the third contract", []string{"contract", "check", acmeContract}, 0, []string{"valid. Contract acme", "situations not in it: 0"}, ""},
		{"check a code of another status", []string{"contract", "check", broken}, 2, nil, `situations.unknown-route.code: "file_expired" belongs to status 410`},
		{"check an unknown situation", []string{"contract", "check", unknownSituation}, 2, nil, "situations.teapot: not a situation of errconform's catalogue"},
		{"check a missing file", []string{"contract", "check", "no-such-contract.yaml"}, 2, nil, "read contract"},
		{"show the default", []string{"contract", "show"}, 0, []string{"# errconform contract aiand", "x-errconform-contract:"}, ""},
		{"show openrouter", []string{"contract", "show", "--contract", "openrouter"}, 0, []string{"name: openrouter", "equals_status: [code]"}, ""},
		{"show an unknown built-in", []string{"contract", "show", "--contract", "nosuch"}, 2, nil, "built in: aiand, openrouter"},
		{"list under openrouter", []string{"list", "--contract", "openrouter"}, 0, []string{"not in this contract [", "] the contract has no 404", "Contract openrouter 2026"}, ""},
		{"situations under the third contract", []string{"list", "--situations", "--contract", acmeContract}, 0, []string{"unknown-route", "400 unknown_route"}, ""},
		{"run with an unknown contract", []string{"run", "--target", "reference", "--contract", "nosuch"}, 2, nil, "--contract nosuch"},
		{"serve with a broken contract", []string{"serve", "--contract", broken}, 2, nil, "belongs to status 410"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := errconform(t, nil, tt.args...)
			require.Equal(t, tt.exit, out.code, out.stdout+out.stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, out.stdout, s)
			}
			assert.Contains(t, out.stderr, tt.stderr)
		})
	}
}

// The contract may come from the config file, the environment or the
// flag, in the usual order; config check resolves it as run does. serve
// --config-out names the contract the server speaks, so that a run with
// its config is judged by it.
func TestContractFromConfigAndEnvironment(t *testing.T) {
	cfgPath := serveContract(t, "openrouter")
	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.Contains(t, string(data), "contract: openrouter\n", "serve --config-out names its contract")
	out := errconform(t, nil, "run", "--config", cfgPath, "--quiet")
	assert.Equal(t, 0, out.code, "contract: openrouter in serve's config: %s", out.stdout+out.stderr)
	withoutContract := filepath.Join(t.TempDir(), "without-contract.yaml")
	require.NoError(t, os.WriteFile(withoutContract, []byte(strings.Replace(string(data), "contract: openrouter\n", "", 1)), 0o600))
	// The server's rate-limited key is spent for a minute now: the later
	// runs leave the burst out (on a limited key it is errored).
	out = errconform(t, []string{"ERRCONFORM_CONTRACT=openrouter"}, "run", "--config", withoutContract, "--quiet", "--label-filter", "!alone")
	assert.Equal(t, 0, out.code, "ERRCONFORM_CONTRACT: %s", out.stdout+out.stderr)
	out = errconform(t, nil, "run", "--config", withoutContract, "--quiet", "--label-filter", "!alone")
	assert.Equal(t, 1, out.code, "no contract named: the default judges an openrouter server: %s", out.stdout+out.stderr)
	out = errconform(t, []string{"ERRCONFORM_CONTRACT=aiand"}, "run", "--config", cfgPath, "--quiet", "--label-filter", "!alone")
	assert.Equal(t, 1, out.code, "the environment wins over the config: %s", out.stdout+out.stderr)
	out = errconform(t, nil, "config", "check", cfgPath)
	assert.Equal(t, 0, out.code, out.stderr)
	assert.Contains(t, out.stdout, "Contract openrouter 2026 (built-in openrouter)")
	badContract := filepath.Join(t.TempDir(), "bad-contract.yaml")
	require.NoError(t, os.WriteFile(badContract, []byte(strings.Replace(string(data), "contract: openrouter\n", "contract: nosuch\n", 1)), 0o600))
	for _, args := range [][]string{{"config", "check", badContract}, {"run", "--config", badContract}} {
		out = errconform(t, nil, args...)
		assert.Equal(t, 2, out.code, "%v: %s", args, out.stdout+out.stderr)
		assert.Contains(t, out.stderr, "contract", "%v names the field", args)
	}
}

// serve --config-out names a contract file by its absolute path: the
// config may be read from another directory.
func TestServeConfigNamesAContractFileByItsPath(t *testing.T) {
	abs, err := filepath.Abs(acmeContract)
	require.NoError(t, err)
	cfgPath := serveContract(t, acmeContract)
	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	assert.Contains(t, string(data), "contract: "+abs+"\n")
	cmd := exec.Command(binary, "run", "--config", cfgPath, "--quiet")
	cmd.Dir = t.TempDir()
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	assert.Contains(t, string(got), "0 failed")
}

// A file in the working directory named like a built-in contract (one a
// pull request could add) never replaces the built-in: a bare name is a
// built-in, a file is named by a path (./aiand). A bare name that is no
// built-in but names a file is refused, pointing at ./name.
func TestAFileNamedLikeABuiltinContractDoesNotShadowIt(t *testing.T) {
	dir := t.TempDir()
	other, err := os.ReadFile(acmeContract)
	require.NoError(t, err)
	for _, name := range []string{"aiand", "openrouter", "mine"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), other, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "errconform.yaml"), []byte("target:\n  base_url: reference\ncontract: aiand\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("target:\n  base_url: reference\ncontract: mine\n"), 0o644))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"--contract aiand", []string{"contract", "show", "--contract", "aiand"}, 0, "(built-in aiand), chosen by --contract"},
		{"--contract openrouter", []string{"contract", "show", "--contract", "openrouter"}, 0, "(built-in openrouter)"},
		{"ERRCONFORM_CONTRACT=aiand", []string{"run", "--target", "reference", "--label-filter", "group:route"}, 0, "against contract aiand 2026-11 (built-in aiand)"},
		{"contract: aiand", []string{"config", "check", "errconform.yaml"}, 0, "Contract aiand 2026-11 (built-in aiand)"},
		{"contract check aiand", []string{"contract", "check", "aiand"}, 0, "Contract aiand 2026-11 (built-in aiand)"},
		{"--contract ./aiand", []string{"contract", "show", "--contract", "./aiand"}, 0, "acme"},
		{"--contract mine", []string{"run", "--target", "reference", "--contract", "mine"}, 2, "./mine"},
		{"contract: mine", []string{"config", "check", "mine.yaml"}, 2, "./mine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env []string
			if strings.HasPrefix(tt.name, "ERRCONFORM_CONTRACT") {
				env = []string{"ERRCONFORM_CONTRACT=aiand"}
			}
			out := errconformIn(t, dir, env, tt.args...)
			assert.Equal(t, tt.code, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stdout+out.stderr, tt.want)
			if tt.code == 0 && !strings.Contains(tt.name, "./") {
				assert.NotContains(t, out.stdout, "acme", "the file was not read")
			}
		})
	}
}
