//go:build unix

package runner_test

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A report path that cannot be opened for writing (here a FIFO nobody
// reads, which root cannot write either) is refused before anything is
// sent: writing it at the end would block, or fail after every request
// had gone out.
func TestReportPathThatCannotBeOpenedIsRefusedBeforeSending(t *testing.T) {
	var seen arrivals
	cfgPath, _ := startReference(t, seen.wrap)
	fifo := filepath.Join(t.TempDir(), "report.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	out := errconformMeasured(t, nil, "run", "--config", cfgPath, "--markdown", fifo) // kills a run that blocks
	assert.Less(t, out.wall, 10*time.Second, "never blocks on the FIFO")
	assert.Equal(t, 2, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stderr, "--markdown")
	assert.Contains(t, out.stderr, "cannot be written")
	assert.Zero(t, seen.count(), "nothing was sent")
}
