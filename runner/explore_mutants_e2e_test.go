package runner_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/mutants"
)

// Every explore mutant makes errconform explore exit 1 with the finding it
// names, and nothing else fails: the command line's verdict, through the
// same binary a CI job runs.
func TestExploreMutantsFailTheCommand(t *testing.T) {
	t.Parallel()
	for _, m := range mutants.ExploreMutants() {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			cfgPath, _ := serveReferenceWith(t, m.Wrap, nil)
			jsonPath := filepath.Join(t.TempDir(), "explore.json")
			out := errconform(t, nil, "explore", "--config", cfgPath, "--quiet", "--json", jsonPath)
			require.Equal(t, 1, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stdout, m.Finding, "the summary names the finding")
			failed := 0
			for _, c := range readJSONReport(t, jsonPath).Cases {
				if c.Verdict == check.Passed || c.Verdict == check.Skipped {
					continue
				}
				failed++
				assert.True(t, strings.HasPrefix(c.ID, "explore/"), c.ID)
				require.NotEmpty(t, c.Findings, c.ID)
				assert.Contains(t, c.Findings[0].Message, m.Finding, "%s fails with the mutant's finding", c.ID)
			}
			assert.Positive(t, failed)

			// Without a report the run keeps only its failures' evidence:
			// the same verdict and the same finding in the summary.
			bare := errconform(t, nil, "explore", "--config", cfgPath, "--quiet")
			require.Equal(t, 1, bare.code, bare.stdout+bare.stderr)
			assert.Contains(t, bare.stdout, m.Finding)
			assert.Contains(t, bare.stdout, fmt.Sprintf("%d failed", failed))
		})
	}
}
