//go:build unix

package runner_test

import (
	"os"
	"path/filepath"
	"runtime"
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

// An output that opens but refuses to be written (/dev/full answers
// ENOSPC, a /proc file EIO) is refused before the first request, naming
// the flag; so is a metrics path the textfile's rename would replace (a
// device). Checking changes no existing file.
func TestOutputThatCannotBeWrittenIsRefusedBeforeSending(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/full and /proc are Linux's")
	}
	var seen arrivals
	cfgPath, _ := startReference(t, seen.wrap)
	tests := []struct{ flag, path, want string }{
		{"--json", "/dev/full", "no space left on device"},
		{"--junit", "/proc/version", "cannot be written"},
		{"--ctrf", "/dev/full", "no space left on device"},
		{"--markdown", "/proc/version", "cannot be written"},
		{"--html", "/dev/full", "no space left on device"},
		{"--metrics", "/dev/full", "not a regular file"},
		{"--metrics", "/dev/null", "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.flag+" "+tt.path, func(t *testing.T) {
			before, err := os.Lstat(tt.path)
			require.NoError(t, err)
			out := errconform(t, nil, "run", "--config", cfgPath, tt.flag, tt.path)
			assert.Equal(t, 2, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stderr, tt.flag+" "+tt.path)
			assert.Contains(t, out.stderr, tt.want)
			assert.Zero(t, seen.count(), "nothing was sent")
			after, err := os.Lstat(tt.path)
			require.NoError(t, err)
			assert.Equal(t, before.Mode(), after.Mode(), "the device is still there")
		})
	}
	// A writable existing file keeps its content and size through the
	// check; a run then replaces it.
	existing := filepath.Join(t.TempDir(), "old.json")
	require.NoError(t, os.WriteFile(existing, []byte("previous run"), 0o644))
	out := errconform(t, nil, "run", "--config", cfgPath, "--dry-run", "--json", existing, "--metrics", filepath.Join(t.TempDir(), "m.prom"))
	require.Equal(t, 0, out.code, out.stderr)
	data, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "previous run", string(data))
	entries, err := os.ReadDir(filepath.Dir(existing))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no probe file is left behind")
}
