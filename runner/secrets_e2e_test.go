package runner_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/probe"
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
			dir := t.TempDir()
			var files []string
			args := []string{"run", "--config", cfgPath, "--verbose"}
			for _, f := range []string{"junit", "json", "html", "markdown", "ctrf"} {
				p := filepath.Join(dir, "out."+f)
				files = append(files, p)
				args = append(args, "--"+f, p)
			}
			out := errconform(t, nil, args...)
			require.Contains(t, []int{0, 1}, out.code, out.stderr)
			outputs := map[string]string{"stdout": out.stdout, "stderr": out.stderr}
			for _, f := range files {
				data, err := os.ReadFile(f)
				require.NoError(t, err)
				outputs[filepath.Base(f)] = string(data)
			}
			dry := errconform(t, nil, "run", "--config", cfgPath, "--dry-run")
			outputs["dry-run"] = dry.stdout + dry.stderr
			for where, text := range outputs {
				for _, s := range secrets {
					assert.NotContains(t, text, s, "%s holds a configured secret", where)
					if form, found := probe.NewRedactor(s).Find(text); found {
						t.Errorf("%s holds a configured secret (%s)", where, form)
					}
				}
			}
			assert.Contains(t, outputs["out.json"], "${ERRCONFORM_API_KEY}", "reproduction commands name the key's variable")
		})
	}
}
