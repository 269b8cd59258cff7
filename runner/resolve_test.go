package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// invoke runs errconform in this process with env as its whole
// environment (nothing leaks in from the test's own).
func invoke(env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	app := App{Stdout: &out, Stderr: &errOut, LookupEnv: func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}}
	code = app.Main(args)
	return code, out.String(), errOut.String()
}

// run --dry-run and config check resolve a config through the same path:
// for every config and environment, both refuse (exit 2, the same message
// naming the same field, flag or variable) or both accept. Each case
// below config check once judged differently from run.
func TestRunAndConfigCheckResolveAlike(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	const remote = "target:\n  base_url: https://staging.example.com/v1\n"
	const withKey = remote + "auth:\n  api_key: sk-test-0000000000000001\n"
	notPEM := write("not.pem", "not a certificate\n")
	soon := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	waivers := write("waivers.yaml", "waivers:\n  - case: control/models-list\n    reason: flaky\n    expires: "+soon+"\n")
	badWaivers := write("bad-waivers.yaml", "waivers:\n  - case: no/such-case\n    reason: x\n    expires: "+soon+"\n")

	tests := []struct {
		name   string
		config string
		env    map[string]string
		// want is what both commands' error names; "" when both accept.
		want string
	}{
		{name: "complete file", config: withKey},
		{name: "key from the environment", config: remote, env: map[string]string{"ERRCONFORM_API_KEY": "sk-test-0000000000000002"}},
		{name: "key through a ${VAR}", config: remote + "auth:\n  api_key: ${MY_KEY}\n", env: map[string]string{"MY_KEY": "sk-test-0000000000000003"}},
		{name: "no key", config: remote, want: "auth.api_key"},
		{name: "unset ${VAR}", config: remote + "auth:\n  api_key: ${MY_KEY}\n", want: "MY_KEY"},
		{name: "unknown key in the file", config: withKey + "limits:\n  max_rsp: 3\n", want: "max_rsp"},
		{name: "no target anywhere", config: "auth:\n  api_key: sk-test-0000000000000001\n", want: "target.base_url"},
		{name: "target from the environment", config: "auth:\n  api_key: sk-test-0000000000000001\n", env: map[string]string{"ERRCONFORM_TARGET": "https://other.example.com/v1"}},
		{name: "empty ERRCONFORM_TARGET", config: withKey, env: map[string]string{"ERRCONFORM_TARGET": " "}, want: "ERRCONFORM_TARGET"},
		{name: "ERRCONFORM_TARGET not a URL", config: withKey, env: map[string]string{"ERRCONFORM_TARGET": "ftp://example.com/v1"}, want: "target.base_url"},
		{name: "ERRCONFORM_TARGET=reference needs no key", config: "limits:\n  concurrency: 2\n", env: map[string]string{"ERRCONFORM_TARGET": "reference"}},
		{name: "reference target in the file", config: "target:\n  base_url: reference\n"},
		{name: "ERRCONFORM_MAX_RPS not a number", config: withKey, env: map[string]string{"ERRCONFORM_MAX_RPS": "fast"}, want: "ERRCONFORM_MAX_RPS"},
		{name: "ERRCONFORM_MAX_RPS negative", config: withKey, env: map[string]string{"ERRCONFORM_MAX_RPS": "-1"}, want: "ERRCONFORM_MAX_RPS"},
		{name: "ERRCONFORM_MAX_RPS infinite", config: withKey, env: map[string]string{"ERRCONFORM_MAX_RPS": "+Inf"}, want: "ERRCONFORM_MAX_RPS"},
		{name: "ERRCONFORM_MAX_RPS zero", config: withKey, env: map[string]string{"ERRCONFORM_MAX_RPS": "0"}},
		{name: "ERRCONFORM_TIMEOUT zero", config: withKey, env: map[string]string{"ERRCONFORM_TIMEOUT": "0s"}, want: "ERRCONFORM_TIMEOUT"},
		{name: "ERRCONFORM_TIMEOUT under the gateway timeout", config: withKey, env: map[string]string{"ERRCONFORM_TIMEOUT": "10s"}, want: "target.gateway_timeout"},
		{name: "ERRCONFORM_TIMEOUT and ERRCONFORM_GATEWAY_TIMEOUT together", config: withKey, env: map[string]string{"ERRCONFORM_TIMEOUT": "10s", "ERRCONFORM_GATEWAY_TIMEOUT": "2s"}},
		{name: "ERRCONFORM_GATEWAY_TIMEOUT negative", config: withKey, env: map[string]string{"ERRCONFORM_GATEWAY_TIMEOUT": "-1s"}, want: "ERRCONFORM_GATEWAY_TIMEOUT"},
		{name: "ERRCONFORM_DEADLINE too short", config: withKey, env: map[string]string{"ERRCONFORM_DEADLINE": "10ms"}, want: "ERRCONFORM_DEADLINE"},
		{name: "ERRCONFORM_CONCURRENCY too high", config: withKey, env: map[string]string{"ERRCONFORM_CONCURRENCY": "1000"}, want: "limits.concurrency"},
		{name: "ERRCONFORM_MAX_BODY negative", config: withKey, env: map[string]string{"ERRCONFORM_MAX_BODY": "-5"}, want: "limits.max_body_bytes"},
		{name: "ERRCONFORM_MAX_REQUESTS below the controls", config: withKey, env: map[string]string{"ERRCONFORM_MAX_REQUESTS": "1"}, want: "limits.max_requests"},
		{name: "ERRCONFORM_REQUIRE unknown fixture", config: withKey, env: map[string]string{"ERRCONFORM_REQUIRE": "model,bogus"}, want: "require[1]"},
		{name: "ERRCONFORM_REQUIRE all", config: withKey, env: map[string]string{"ERRCONFORM_REQUIRE": "all"}},
		{name: "ERRCONFORM_STRICT not a boolean", config: withKey, env: map[string]string{"ERRCONFORM_STRICT": "maybe"}, want: "ERRCONFORM_STRICT"},
		{name: "ERRCONFORM_CA_CERT missing", config: withKey, env: map[string]string{"ERRCONFORM_CA_CERT": filepath.Join(dir, "missing.pem")}, want: "tls.ca_cert"},
		{name: "ERRCONFORM_CA_CERT not PEM", config: withKey, env: map[string]string{"ERRCONFORM_CA_CERT": notPEM}, want: "tls.ca_cert"},
		{name: "ERRCONFORM_INSECURE", config: withKey, env: map[string]string{"ERRCONFORM_INSECURE": "true"}},
		{name: "ERRCONFORM_LABEL_FILTER syntax error", config: withKey, env: map[string]string{"ERRCONFORM_LABEL_FILTER": "status:401 &&"}, want: "--label-filter"},
		{name: "ERRCONFORM_LABEL_FILTER selects nothing", config: withKey, env: map[string]string{"ERRCONFORM_LABEL_FILTER": "no-such-label"}, want: "selects no case"},
		{name: "ERRCONFORM_LABEL_FILTER", config: withKey, env: map[string]string{"ERRCONFORM_LABEL_FILTER": "status:401"}},
		{name: "ERRCONFORM_WAIVERS", config: withKey, env: map[string]string{"ERRCONFORM_WAIVERS": waivers}},
		{name: "ERRCONFORM_WAIVERS naming an unknown case", config: withKey, env: map[string]string{"ERRCONFORM_WAIVERS": badWaivers}, want: "waivers[0].case"},
		{name: "explore section", config: withKey + "explore:\n  fields:\n    include: [temperature, \"*_penalty\"]\n  unsupported: [seed]\n  deep: true\n"},
		{name: "explore glob not a glob", config: withKey + "explore:\n  fields:\n    include: [\"[temperature\"]\n", want: "explore.fields.include"},
		{name: "explore implements", config: withKey + "explore:\n  implements: [logprobs, \"top_*\"]\n"},
		{name: "explore implements not a glob", config: withKey + "explore:\n  implements: [\"[logprobs\"]\n", want: "explore.implements"},
		{name: "explore selecting no field", config: withKey + "explore:\n  fields:\n    include: [no_such_field]\n", want: "explore.fields"},
		{name: "explore request schema missing", config: withKey + "explore:\n  request_schema: " + filepath.Join(dir, "missing.json") + "\n", want: "explore.request_schema"},
		{name: "explore request schema not a schema", config: withKey + "explore:\n  request_schema: " + notPEM + "\n", want: "explore.request_schema"},
		{name: "two reports on standard output", config: withKey, env: map[string]string{"ERRCONFORM_JSON": "-", "ERRCONFORM_JUNIT": "-"}, want: "only one report"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := write(strings.Repeat("c", i+1)+".yaml", tt.config)
			runCode, runOut, runErr := invoke(tt.env, "run", "--dry-run", "--config", file)
			checkCode, checkOut, checkErr := invoke(tt.env, "config", "check", file)
			if tt.want == "" {
				assert.Equal(t, ExitOK, runCode, "run --dry-run refused: %s", runErr)
				assert.Equal(t, ExitOK, checkCode, "config check refused: %s", checkErr)
				assert.Contains(t, runOut, "nothing is sent")
				assert.Contains(t, checkOut, ": valid.")
				return
			}
			assert.Equal(t, ExitUsage, runCode, "run --dry-run: %s%s", runOut, runErr)
			assert.Equal(t, ExitUsage, checkCode, "config check: %s%s", checkOut, checkErr)
			assert.Contains(t, runErr, tt.want)
			assert.Contains(t, checkErr, tt.want)
			assert.Equal(t, runErr, checkErr, "both commands refuse with the same message")
			assert.NotContains(t, checkOut, "valid")
		})
	}
}

// config check names its FILE as run names --config, whatever
// ERRCONFORM_CONFIG says: the argument is given on the command line.
func TestConfigCheckFileWinsOverErrconformConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(good, []byte("target:\n  base_url: https://staging.example.com/v1\nauth:\n  api_key: sk-test-0000000000000001\n"), 0o600))
	env := map[string]string{"ERRCONFORM_CONFIG": filepath.Join(dir, "missing.yaml")}
	code, out, errOut := invoke(env, "config", "check", good)
	assert.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, good+": valid.")
	code, _, errOut = invoke(nil, "config", "check", "")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, "FILE is empty")
}
