package runner_test

import (
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/redact"
)

// Every configured secret stays out of every output, in every form the
// redactor knows (whole, a fragment, case-changed, encoded, rearranged):
// terminal (verbose), JSON, JUnit, HTML, Markdown, CTRF and the
// reproduction commands in them; also against targets that echo them.
// Credentials errconform crafts (JWTs signed with a wrong secret, unknown
// keys) are no secret: reproduction commands print them as sent.
func TestNoSecretInAnyOutput(t *testing.T) {
	targets := map[string]func(http.Handler) http.Handler{
		"reference":           func(h http.Handler) http.Handler { return h },
		"echo-key-in-message": mutantByName(t, "echo-key-in-message").Wrap,
		"echo-key-in-header":  mutantByName(t, "echo-key-in-header").Wrap,
	}
	for name, wrap := range targets {
		t.Run(name, func(t *testing.T) {
			cfgPath, secrets := startReference(t, wrap)
			require.Len(t, secrets, 7, "the api key, five fixture keys and the JWT secret")
			outputs := runWithEveryReport(t, nil, "run", "--config", cfgPath, "--verbose")
			dry := errconform(t, nil, "run", "--config", cfgPath, "--dry-run")
			outputs["dry-run"] = dry.stdout + dry.stderr
			for where, text := range outputs {
				for _, s := range secrets {
					assert.NotContains(t, text, s, "%s holds a configured secret", where)
					if form, found := redact.New(s).Find(text); found {
						t.Errorf("%s holds a configured secret (%s)", where, form)
					}
				}
			}
			assert.Contains(t, outputs["out.json"], "${ERRCONFORM_API_KEY}", "reproduction commands name the key's variable")
		})
	}
}

// runWithEveryReport runs errconform with the given arguments and every
// report format and the metrics file, in a directory of its own, and
// returns every output: stdout, stderr and each file by its name.
func runWithEveryReport(t *testing.T, env []string, args ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "m.prom")}
	args = append(args, "--metrics", files[0])
	for _, f := range []string{"junit", "json", "html", "markdown", "ctrf"} {
		p := filepath.Join(dir, "out."+f)
		files = append(files, p)
		args = append(args, "--"+f, p)
	}
	out := errconform(t, env, args...)
	require.Contains(t, []int{0, 1}, out.code, out.stderr)
	outputs := map[string]string{"stdout": out.stdout, "stderr": out.stderr}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		outputs[filepath.Base(f)] = string(data)
	}
	return outputs
}

// tokenShapes are random fault-hook tokens of many shapes, 8 to 64
// characters: letters only (lower, mixed), a run of 7 letters before
// digits, hex, base64-like, alphanumeric.
func tokenShapes(r *rand.Rand) []string {
	const lower, upper, digits = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
	pick := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	return []string{
		pick(lower, 8),
		pick(lower+upper, 9),
		pick(lower, 7) + pick(upper, 1) + pick(digits, 8), // abcdefgH12345678
		pick(lower, 16),
		pick(lower+upper, 24),
		pick(lower+digits, 12),
		pick(digits+"abcdef", 32),
		pick(lower+upper+digits+"-_", 48),
		pick(lower+upper+digits, 64),
	}
}

// searchOutputs fails the test for every output holding a secret: whole,
// or any 8-character fragment of it, in any form the redactor knows.
func searchOutputs(t *testing.T, outputs map[string]string, secrets map[string]string) {
	t.Helper()
	for where, text := range outputs {
		for what, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds %s", where, what)
			}
			if form, found := redact.New(s).Find(text); found {
				t.Errorf("%s holds %s (%s)", where, what, form)
			}
		}
	}
}

// A config edited in a pull request reads CI secrets into fields that are
// sent and printed (a header X-Info, fixtures.model) and sets a random
// fault token of any shape: no value from the environment (unless
// public_env lists it) and no fault token appears in any output, whole or
// as a fragment: terminal, --verbose, --dry-run, config check, the five
// reports, the metrics, the reproduction commands; against a target that
// echoes them back.
func TestNoEnvironmentValueOrFaultTokenInAnyOutput(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	tokens := tokenShapes(r)
	planted := map[string]string{
		"PLANTED_AWS_SECRET_ACCESS_KEY": tokens[8][:40],
		"PLANTED_DB_PASSWORD":           tokens[3] + "x",
		"PLANTED_REGION":                tokens[1],
	}
	echo := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			w.Header().Set("X-Echo-Info", req.Header.Get("X-Info"))
			w.Header().Set("X-Echo-Region", req.Header.Get("X-Region"))
			w.Header().Set("X-Echo-Fault", req.Header.Get("X-Fault"))
			next.ServeHTTP(w, req)
		})
	}
	var env []string
	for name, v := range planted {
		env = append(env, name+"="+v)
	}
	env = append(env, "PLANTED_BUILD_ID=build-20261207-public")
	// The model the target knows stays (the preflight checks it); the
	// password goes into another model fixture, which the target echoes
	// in its "does not exist" message.
	hostileWith := func(t *testing.T, fault string, edit func(*config.Config)) string {
		_, cfg := serveReferenceWith(t, echo, func(c *config.Config) {
			c.Target.Headers = map[string]string{"X-Info": "build ${PLANTED_AWS_SECRET_ACCESS_KEY}", "X-Region": "${PLANTED_REGION}", "X-Build": "${PLANTED_BUILD_ID}"}
			c.Fixtures.UnreachableModel = "m-${PLANTED_DB_PASSWORD}"
			c.Fixtures.InternalErrorHeader = "X-Fault: " + fault
			c.PublicEnv = []string{"PLANTED_BUILD_ID"}
			if edit != nil {
				edit(c)
			}
		})
		data, err := cfg.Marshal()
		require.NoError(t, err)
		p := filepath.Join(t.TempDir(), "errconform.yaml")
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	hostile := func(t *testing.T, fault string) string { return hostileWith(t, fault, nil) }
	secretsWith := func(token string) map[string]string {
		out := map[string]string{"the fault token": token}
		for name, v := range planted {
			out[name] = v
		}
		return out
	}

	t.Run("full catalogue, every output", func(t *testing.T) {
		cfgPath := hostile(t, tokens[2])
		outputs := runWithEveryReport(t, env, "run", "--config", cfgPath, "--verbose")
		dry := errconform(t, env, "run", "--config", cfgPath, "--dry-run", "--verbose")
		require.Equal(t, 0, dry.code, dry.stderr)
		outputs["dry-run"] = dry.stdout + dry.stderr
		check := errconform(t, env, "config", "check", cfgPath)
		require.Equal(t, 0, check.code, check.stderr)
		outputs["config check"] = check.stdout + check.stderr
		searchOutputs(t, outputs, secretsWith(tokens[2]))
		assert.Contains(t, outputs["out.json"], "${PLANTED_AWS_SECRET_ACCESS_KEY}", "reproduction commands name the variable")
		assert.Contains(t, outputs["out.json"], "${ERRCONFORM_INTERNAL_ERROR_HEADER_VALUE}", "and the fault token's")
		for _, name := range []string{"PLANTED_AWS_SECRET_ACCESS_KEY in target.headers.X-Info (redacted)", "PLANTED_DB_PASSWORD in fixtures.unreachable_model (redacted)",
			"PLANTED_REGION in target.headers.X-Region (redacted)", "PLANTED_BUILD_ID in target.headers.X-Build (public)"} {
			assert.Contains(t, check.stdout, name, "config check lists the variables by name")
		}
	})

	t.Run("fault tokens of every shape", func(t *testing.T) {
		for _, token := range tokens {
			cfgPath := hostile(t, token)
			report := filepath.Join(t.TempDir(), "r.json")
			// The echoing target answers the fault case 200: it fails, with
			// evidence and a reproduction command carrying the header.
			out := errconform(t, env, "run", "--config", cfgPath, "--verbose", "--label-filter", "fixture:internal_error_header", "--json", report)
			require.Equal(t, 1, out.code, out.stdout+out.stderr)
			data, err := os.ReadFile(report)
			require.NoError(t, err)
			dry := errconform(t, env, "run", "--config", cfgPath, "--dry-run", "--verbose", "--label-filter", "fixture:internal_error_header")
			check := errconform(t, env, "config", "check", cfgPath)
			searchOutputs(t, map[string]string{"stdout": out.stdout, "stderr": out.stderr, "json": string(data),
				"dry-run": dry.stdout + dry.stderr, "config check": check.stdout + check.stderr}, secretsWith(token))
			assert.Contains(t, string(data), "X-Fault: ${ERRCONFORM_INTERNAL_ERROR_HEADER_VALUE}", "len %d", len(token))
		}
	})

	t.Run("fixtures.model from the environment, refused by the preflight", func(t *testing.T) {
		cfgPath := hostileWith(t, tokens[0], func(c *config.Config) { c.Fixtures.Model = "m-${PLANTED_DB_PASSWORD}" })
		out := errconform(t, env, "run", "--config", cfgPath, "--verbose")
		assert.Equal(t, 3, out.code, "a rejected model is a setup stop: not testable\n%s", out.stdout+out.stderr)
		assert.Contains(t, out.stdout, "NOT TESTABLE (model)")
		assert.Contains(t, out.stdout, "fixtures.model")
		searchOutputs(t, map[string]string{"stdout": out.stdout, "stderr": out.stderr}, secretsWith(tokens[0]))
	})

	t.Run("an error quoting a value from the environment", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad.yaml")
		require.NoError(t, os.WriteFile(p, []byte("target:\n  base_url: \"${PLANTED_AWS_SECRET_ACCESS_KEY}\"\nauth:\n  api_key: sk-test-0000000001\n"), 0o600))
		for _, args := range [][]string{{"run", "--config", p}, {"config", "check", p}, {"run", "--config", p, "--dry-run"}} {
			out := errconform(t, env, args...)
			assert.Equal(t, 2, out.code, out.stderr)
			assert.Contains(t, out.stderr, "target.base_url")
			searchOutputs(t, map[string]string{"stdout": out.stdout, "stderr": out.stderr}, secretsWith(tokens[0]))
		}
	})

	t.Run("a ${VAR} outside the fields that take it", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "where.yaml")
		require.NoError(t, os.WriteFile(p, []byte("target:\n  base_url: reference\ncontract: \"${PLANTED_DB_PASSWORD}\"\n"), 0o600))
		out := errconform(t, env, "run", "--config", p)
		assert.Equal(t, 2, out.code, out.stderr)
		assert.Contains(t, out.stderr, "contract: takes no ${VAR}")
	})
}
