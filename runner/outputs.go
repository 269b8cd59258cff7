package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/errconform/errconform/reports"
)

// The report flags and their paths: one flag per format of the registry
// (reports.Formats), and the checks, before anything is sent, that every
// output path can be written.

// reportPaths maps each report format's flag to the path it was given.
func (o runOptions) reportPaths() map[string]string { return o.reports }

// pathValue is a report format's flag: it sets the format's path in
// paths.
type pathValue struct {
	paths map[string]string
	name  string
}

func (v pathValue) String() string     { return v.paths[v.name] }
func (v pathValue) Set(s string) error { v.paths[v.name] = s; return nil }
func (v pathValue) Type() string       { return "string" }

// registerReportFlags declares a flag per report format of the registry
// (reports.Formats), merge's (merged) or run's, and returns the paths
// they set, by format.
func registerReportFlags(fs *pflag.FlagSet, merged bool) map[string]string {
	paths := map[string]string{}
	for _, f := range reports.Formats() {
		fs.Var(pathValue{paths, f.Name}, f.Name, f.Help(merged))
	}
	return paths
}

// reportFlagNames are the report formats' flags, in the registry's order.
func reportFlagNames() []string {
	var names []string
	for _, f := range reports.Formats() {
		names = append(names, f.Name)
	}
	return names
}

// checkOutputPaths refuses, before anything is sent, output paths that
// could not be written at the end: a directory, a missing directory, a
// file or directory without write permission, a pipe nobody reads, a
// device or kernel file that refuses writes (/dev/full, /proc/version), a
// full disk. Each report path is opened for writing (never truncated) and
// written to as probeWrite says; a file the check created is removed
// again. The metrics textfile is replaced whole (written beside it and
// renamed over it), so its path must be a regular file or none, in a
// directory where a file can be created.
func checkOutputPaths(o runOptions) error {
	paths := o.reportPaths()
	for _, f := range reports.Formats() {
		if paths[f.Name] == "" || paths[f.Name] == "-" {
			continue
		}
		if err := checkWritable(paths[f.Name]); err != nil {
			return usagef("--%s %s: %v", f.Name, paths[f.Name], err)
		}
	}
	if o.metrics != "" {
		if err := checkReplaceable(o.metrics); err != nil {
			return usagef("--metrics %s: %v", o.metrics, err)
		}
	}
	return nil
}

func checkWritable(path string) error {
	info, err := os.Stat(path)
	existed := err == nil
	switch {
	case existed && info.IsDir():
		return errors.New("is a directory; give a file path such as report.xml")
	case !existed:
		dir := filepath.Dir(path)
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return fmt.Errorf("directory %s does not exist", dir)
		}
	}
	// O_NONBLOCK: a FIFO without a reader fails here instead of blocking
	// (and would block the report writing at the end); no effect on files.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return fmt.Errorf("cannot be written: %v", bareError(err))
	}
	err = probeWrite(f, existed && info.Mode().IsRegular())
	_ = f.Close()
	if !existed {
		_ = os.Remove(path)
	}
	if err != nil {
		return fmt.Errorf("cannot be written: %v", bareError(err))
	}
	return nil
}

// probeWrite finds out, without changing what a file holds, whether
// writing it will work: a write of zero bytes reaches the file's own
// write operation (/dev/full answers ENOSPC, a /proc file EIO) and writes
// nothing. A file the check just created (existing false) takes one byte
// more, which fails on a full disk or an exhausted quota; for a regular
// file that exists, whose content must stay as it is until the report
// replaces it, reserveSpace asks the file system for a block past its end
// instead (Linux; elsewhere a full disk shows only when the report is
// written).
func probeWrite(f *os.File, existingRegular bool) error {
	if err := writeNothing(f); err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return err
	}
	if existingRegular {
		return reserveSpace(f, info.Size())
	}
	_, err = f.Write([]byte{'\n'})
	return err
}

// checkReplaceable checks a path that is written beside and renamed over
// (the metrics textfile): no directory, no device, FIFO or socket (which
// the rename would replace with a file), and a file can be created and
// written in its directory.
func checkReplaceable(path string) error {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.IsDir():
		return errors.New("is a directory; give a file path such as errconform.prom")
	case err == nil && !info.Mode().IsRegular():
		return errors.New("is not a regular file: the textfile is written beside it and renamed over it, which would replace it")
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("directory %s does not exist", dir)
	}
	f, err := os.CreateTemp(dir, ".errconform-check-*")
	if err != nil {
		return fmt.Errorf("cannot be written: %v", bareError(err))
	}
	err = probeWrite(f, false)
	_ = f.Close()
	_ = os.Remove(f.Name())
	if err != nil {
		return fmt.Errorf("cannot be written: %v", bareError(err))
	}
	return nil
}

// bareError is the system's reason of a path error, without the path
// (the message names the flag and the path itself).
func bareError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
