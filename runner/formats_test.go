package runner

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/reports"
)

// Every format of the registry (reports.Formats) is a flag of run,
// explore and merge, each with a file name, and monitor refuses it by
// name: a format added to the registry and missing from a command fails
// here.
func TestEveryRegisteredFormatReachesEveryCommand(t *testing.T) {
	a := App{Stdout: io.Discard, Stderr: io.Discard, LookupEnv: func(string) (string, bool) { return "", false }}
	formats := reports.Formats()
	require.NotEmpty(t, formats)
	for _, f := range formats {
		t.Run(f.Name, func(t *testing.T) {
			assert.NotEmpty(t, f.File, "a file name")
			assert.NotNil(t, f.Render, "a renderer")
			for name, fs := range map[string]interface {
				Set(name, value string) error
			}{"run": a.runCmd().Flags(), "explore": a.exploreCmd().Flags(), "merge": a.mergeCmd().Flags()} {
				assert.NoError(t, fs.Set(f.Name, "r"), "%s takes --%s", name, f.Name)
			}
			monitor := a.monitorCmd()
			assert.Nil(t, monitor.Flags().Lookup(f.Name), "monitor writes no report")
			err := monitor.FlagErrorFunc()(monitor, errors.New("unknown flag: --"+f.Name))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "monitor does not take --"+f.Name)
		})
	}
}
