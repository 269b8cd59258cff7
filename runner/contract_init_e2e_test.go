package runner_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// serveSomeRoutes serves a reference that speaks the built-in contract
// base grown to every route but serves only these POST routes, and
// writes its config.
func serveSomeRoutes(t *testing.T, base string, routes []string) (cfgPath string, cfg config.Config) {
	t.Helper()
	builtin, err := spec.Builtin(base)
	require.NoError(t, err)
	contract, err := builtin.WithRoutes(spec.SurfacePaths()...)
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond, RateWindow: 300 * time.Millisecond, Routes: routes})
	srv := httptest.NewServer(ref)
	t.Cleanup(srv.Close)
	cfg = ref.Config(srv.URL + "/v1")
	cfg.Target.GatewayTimeout = config.Duration(5 * time.Second)
	data, err := cfg.Marshal()
	require.NoError(t, err)
	cfgPath = filepath.Join(t.TempDir(), "errconform.yaml")
	require.NoError(t, os.WriteFile(cfgPath, data, 0o600))
	return cfgPath, cfg
}

// contract init against a reference serving some routes writes a
// contract listing exactly those, which contract check accepts and a run
// judges: every case of its routes passes, and none of the routes the
// target does not serve is sent.
func TestContractInitListsTheRoutesATargetServes(t *testing.T) {
	tests := []struct {
		base   string
		routes []string
	}{
		{"aiand", []string{spec.PathChatCompletions, spec.PathCompletions, spec.PathEmbeddings, spec.PathResponses, spec.PathFiles}},
		{"openrouter", []string{spec.PathChatCompletions, spec.PathModerations, spec.PathAudioTranscriptions}},
	}
	for _, tc := range tests {
		t.Run(tc.base, func(t *testing.T) {
			cfgPath, cfg := serveSomeRoutes(t, tc.base, tc.routes)
			out := filepath.Join(t.TempDir(), "served.yaml")
			res := errconform(t, []string{"ERRCONFORM_API_KEY=" + cfg.Auth.APIKey}, "contract", "init", "--from-target", cfg.Target.BaseURL, "--base", tc.base, "--out", out)
			require.Equal(t, 0, res.code, res.stdout+res.stderr)
			assert.Contains(t, res.stdout, "wrote "+out)
			assert.NotContains(t, res.stdout+res.stderr, cfg.Auth.APIKey, "the key is never printed")
			for _, path := range spec.SurfacePaths() {
				want := "not served"
				if slices.Contains(tc.routes, path) {
					want = "served"
				}
				assert.Regexp(t, `POST\s+`+strings.ReplaceAll(path, "/", `\/`)+`\s+\d+: `+want+`\n`, res.stderr, path)
			}
			data, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.NotContains(t, string(data), cfg.Auth.APIKey, "the written contract holds no key")
			assert.True(t, strings.HasPrefix(string(data), "# Written by errconform contract init"), string(data[:80]))
			written, err := spec.Open(out)
			require.NoError(t, err)
			assert.Equal(t, tc.routes, written.RoutePaths(), "exactly the routes served")
			base, err := spec.Builtin(tc.base)
			require.NoError(t, err)
			assert.Equal(t, base.SituationNames(), written.SituationNames(), "the base's tables")
			assert.True(t, written.HasOperation("GET", "/models"))
			assert.Equal(t, base.HasOperation("GET", "/models/{model}"), written.HasOperation("GET", "/models/{model}"))
			assert.Equal(t, slices.Contains(tc.routes, spec.PathFiles) && base.HasOperation("GET", "/files/{file_id}"), written.HasOperation("GET", "/files/{file_id}"))

			check := errconform(t, nil, "contract", "check", out)
			require.Equal(t, 0, check.code, check.stdout+check.stderr)
			assert.Contains(t, check.stdout, "valid")

			jsonPath := filepath.Join(t.TempDir(), "r.json")
			run := errconform(t, nil, "run", "--config", cfgPath, "--contract", out, "--json", jsonPath)
			require.Equal(t, 0, run.code, run.stdout+run.stderr)
			rep := readJSONReport(t, jsonPath)
			cases, err := suites.For(written)
			require.NoError(t, err)
			assert.Equal(t, len(cases), rep.Summary.Total)
			perRoute := map[string]int{}
			for _, c := range cases {
				perRoute[c.Route()]++
			}
			for _, path := range spec.SurfacePaths() {
				if slices.Contains(tc.routes, path) && path != spec.PathFiles {
					assert.Positive(t, perRoute[path], "%s is judged", path)
				} else if path != spec.PathFiles {
					assert.Zero(t, perRoute[path], "%s is not served: no case of it", path)
				}
			}
		})
	}
}

func TestContractInitRefusesWhatItCannotTell(t *testing.T) {
	_, cfg := serveSomeRoutes(t, spec.DefaultContract, []string{spec.PathChatCompletions})
	noKey := errconform(t, nil, "contract", "init", "--from-target", cfg.Target.BaseURL)
	assert.Equal(t, 3, noKey.code, noKey.stderr)
	assert.Contains(t, noKey.stderr, "refused the credential on every route")
	missing := errconform(t, nil, "contract", "init")
	assert.Equal(t, 2, missing.code)
	assert.Contains(t, missing.stderr, "--from-target URL is required")
	wrongBase := errconform(t, []string{"ERRCONFORM_API_KEY=" + cfg.Auth.APIKey}, "contract", "init", "--from-target", strings.TrimSuffix(cfg.Target.BaseURL, "/v1")+"/nothing")
	assert.Equal(t, 3, wrongBase.code, wrongBase.stderr)
	assert.Contains(t, wrongBase.stderr, "serves none of the known routes")
}

// A target that accepts the connection and never answers: contract init
// ends within its probes' timeouts (eleven requests, each bounded), exits
// 3 and says nothing was answered; the key is not printed.
func TestContractInitAgainstASilentTargetEndsBounded(t *testing.T) {
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(func() { close(release); silent.Close() })
	const key = "sk-contract-init-silent-0123456789abcdef"
	start := time.Now()
	res := errconform(t, []string{"ERRCONFORM_API_KEY=" + key}, "contract", "init", "--from-target", silent.URL+"/v1", "--timeout", "200ms")
	assert.Equal(t, 3, res.code, res.stdout+res.stderr)
	assert.Contains(t, res.stderr, "answered no request")
	assert.NotContains(t, res.stdout+res.stderr, key)
	// Eleven probes of 200ms each, one after another, plus the process:
	// far below a minute even on a loaded machine.
	assert.Less(t, time.Since(start), time.Minute)
}
