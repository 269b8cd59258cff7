package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// acmeContract is the test fixture contract (its gateway timeout is 30s).
const acmeContract = "../testdata/contracts/acme.yaml"

// contractWithGatewayTimeout writes a copy of the acme contract whose
// gateway timeout is d ("" for none).
func contractWithGatewayTimeout(t *testing.T, d string) string {
	t.Helper()
	data, err := os.ReadFile(acmeContract)
	require.NoError(t, err)
	replacement := ""
	if d != "" {
		replacement = "gateway_timeout: " + d
	}
	edited := strings.Replace(string(data), "gateway_timeout: 30s", replacement, 1)
	require.NotEqual(t, string(data), edited, "the fixture names its gateway timeout")
	path := filepath.Join(t.TempDir(), "contract.yaml")
	require.NoError(t, os.WriteFile(path, []byte(edited), 0o600))
	return path
}

// The gateway timeout comes from a flag, its variable or the config file;
// where none sets it, from the contract; only then the default. Where the
// contract's needs a longer per-request timeout than the default, and no
// one set that either, the timeout grows with it. config check says what
// run resolves.
func TestGatewayTimeoutFromTheContract(t *testing.T) {
	slow := contractWithGatewayTimeout(t, "45s")
	none := contractWithGatewayTimeout(t, "")
	// config is a remote target's config: target: holds target, the
	// contract is named when not "".
	config := func(target, contract string) string {
		cfg := "target:\n  base_url: https://staging.example.com/v1\n" + target + "auth:\n  api_key: sk-test-0000000000000001\n"
		if contract != "" {
			cfg += "contract: " + contract + "\n"
		}
		return cfg
	}
	tests := []struct {
		name     string
		config   string
		env      map[string]string
		want     string // config check's "(timeout …, gateway timeout …)"
		wantCode int
	}{
		{name: "the default contract's", config: config("", ""), want: "(timeout 40s, gateway timeout 30s, the contract's)"},
		{name: "a contract's longer one, the timeout growing with it", config: config("", slow), want: "(timeout 55s, gateway timeout 45s, the contract's)"},
		{name: "a contract without one: the default", config: config("", none), want: "(timeout 40s, gateway timeout 30s)"},
		{name: "the file's wins over the contract's", config: config("  gateway_timeout: 20s\n", slow), want: "(timeout 40s, gateway timeout 20s)"},
		{name: "the file's, equal to the default, still wins", config: config("  gateway_timeout: 30s\n", slow), want: "(timeout 40s, gateway timeout 30s)"},
		{name: "the variable wins over the contract's", config: config("", slow), env: map[string]string{"ERRCONFORM_GATEWAY_TIMEOUT": "10s"},
			want: "(timeout 40s, gateway timeout 10s)"},
		{name: "the flag's variable for the timeout: it does not grow", config: config("", slow), env: map[string]string{"ERRCONFORM_TIMEOUT": "45s"},
			wantCode: ExitUsage, want: "target.gateway_timeout"},
		{name: "a timeout the file sets does not grow", config: config("  timeout: 45s\n", slow), wantCode: ExitUsage, want: "target.gateway_timeout"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), strings.Repeat("g", i+1)+".yaml")
			require.NoError(t, os.WriteFile(file, []byte(tt.config), 0o600))
			code, out, errOut := invoke(tt.env, "config", "check", file)
			runCode, _, runErr := invoke(tt.env, "run", "--dry-run", "--config", file)
			assert.Equal(t, tt.wantCode, code, errOut)
			assert.Equal(t, tt.wantCode, runCode, runErr)
			if tt.wantCode != ExitOK {
				assert.Contains(t, errOut, tt.want)
				assert.Equal(t, errOut, runErr, "run and config check refuse alike")
				return
			}
			assert.Contains(t, out, tt.want)
		})
	}
}

// contract show prints the contract run would use: --contract, then
// ERRCONFORM_CONTRACT, then the config file's contract: (--config,
// ERRCONFORM_CONFIG, or errconform.yaml in the working directory), then
// the default.
func TestContractShowResolvesLikeRun(t *testing.T) {
	dir := t.TempDir()
	withOpenrouter := filepath.Join(dir, "openrouter.yaml")
	require.NoError(t, os.WriteFile(withOpenrouter, []byte("contract: openrouter\n"), 0o600))
	withAcme := filepath.Join(dir, "acme.yaml")
	abs, err := filepath.Abs(acmeContract)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(withAcme, []byte("contract: "+abs+"\n"), 0o600))
	discovered := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(discovered, "errconform.yaml"), []byte("contract: openrouter\n"), 0o600))
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("contract: nosuch\n"), 0o600))
	tests := []struct {
		name     string
		dir      string
		env      map[string]string
		args     []string
		want     string // the first line's start
		wantCode int
	}{
		{name: "the default", want: "# errconform contract aiand 2026-11 (built-in aiand), chosen by the default"},
		{name: "--contract", args: []string{"--contract", "openrouter"}, want: "# errconform contract openrouter 2026 (built-in openrouter), chosen by --contract"},
		{name: "ERRCONFORM_CONTRACT", env: map[string]string{"ERRCONFORM_CONTRACT": "openrouter"}, want: "# errconform contract openrouter 2026 (built-in openrouter), chosen by ERRCONFORM_CONTRACT"},
		{name: "--config", args: []string{"--config", withOpenrouter}, want: "# errconform contract openrouter 2026 (built-in openrouter), chosen by contract: in " + withOpenrouter},
		{name: "ERRCONFORM_CONFIG, a contract file", env: map[string]string{"ERRCONFORM_CONFIG": withAcme}, want: "# errconform contract acme"},
		{name: "errconform.yaml in the working directory", dir: discovered, want: "# errconform contract openrouter 2026 (built-in openrouter), chosen by contract: in errconform.yaml"},
		{name: "the variable wins over the config", env: map[string]string{"ERRCONFORM_CONTRACT": "aiand"}, args: []string{"--config", withOpenrouter},
			want: "# errconform contract aiand 2026-11 (built-in aiand), chosen by ERRCONFORM_CONTRACT"},
		{name: "the flag wins over the variable", env: map[string]string{"ERRCONFORM_CONTRACT": "aiand"}, args: []string{"--contract", "openrouter"},
			want: "# errconform contract openrouter 2026 (built-in openrouter), chosen by --contract"},
		{name: "a config naming no contract", args: []string{"--config", bad}, wantCode: ExitUsage, want: "contract"},
		{name: "a missing config", args: []string{"--config", filepath.Join(dir, "missing.yaml")}, wantCode: ExitUsage, want: "missing.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.dir != "" {
				t.Chdir(tt.dir)
			} else {
				t.Chdir(t.TempDir()) // no errconform.yaml here
			}
			code, out, errOut := invoke(tt.env, append([]string{"contract", "show"}, tt.args...)...)
			require.Equal(t, tt.wantCode, code, out+errOut)
			if tt.wantCode != ExitOK {
				assert.Contains(t, errOut, tt.want)
				return
			}
			assert.True(t, strings.HasPrefix(out, tt.want), "got %q", strings.SplitN(out, "\n", 2)[0])
			assert.Contains(t, out, "x-errconform-contract:")
		})
	}
}

// config check says the others are listed only when there are others.
func TestConfigCheckNamesCasesOutsideTheContractOnlyWhenThereAreSome(t *testing.T) {
	const base = "target:\n  base_url: https://staging.example.com/v1\nauth:\n  api_key: sk-test-0000000000000001\n"
	abs, err := filepath.Abs(acmeContract)
	require.NoError(t, err)
	tests := []struct {
		contract, want, notWant string
	}{
		{"openrouter", "lists the others and why", "all the catalogue's"},
		{"aiand", "all the catalogue's", "lists the others"},
		{abs, "all the catalogue's", "lists the others"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.contract), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(file, []byte(base+"contract: "+tt.contract+"\n"), 0o600))
			code, out, errOut := invoke(nil, "config", "check", file)
			require.Equal(t, ExitOK, code, errOut)
			assert.Contains(t, out, tt.want)
			assert.NotContains(t, out, tt.notWant)
		})
	}
}
