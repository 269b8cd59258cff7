package config

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxFileBytes bounds a config, waiver or CA file: real ones are a few
// KiB (a waiver file can name each of the catalogue's cases only once). A
// larger file, or a device such as /dev/zero that never ends, is refused
// after reading MaxFileBytes+1 bytes instead of being read, and its YAML
// tree built, until memory runs out. YAML trees are large: a 256 KiB flow
// list of short words peaks at about 115 MiB, a 4 MiB one at 1.4 GiB.
const MaxFileBytes = 256 << 10

// ReadFileLimited reads the file at path, at most limit bytes of it: a
// file or stream (a pipe, a device) with more is an error, found after
// reading limit+1 bytes. A directory is an error too. Error messages name
// the problem, not the path: callers add it.
func ReadFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %v", unwrapPath(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %v", unwrapPath(err))
	}
	if info.IsDir() {
		return nil, errors.New("cannot read the file: it is a directory")
	}
	if info.Mode().IsRegular() && info.Size() > limit {
		return nil, fmt.Errorf("the file is %d bytes, more than the %s errconform reads", info.Size(), byteSize(limit))
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %v", unwrapPath(err))
	}
	if int64(len(data)) > limit {
		if info.Mode().IsRegular() {
			return nil, fmt.Errorf("the file is more than the %s errconform reads", byteSize(limit))
		}
		return nil, fmt.Errorf("not a regular file, and it holds more than the %s errconform reads (a device such as /dev/zero?)", byteSize(limit))
	}
	return data, nil
}

// unwrapPath drops the "open PATH:" prefix of a *PathError: messages name
// the file themselves.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// byteSize writes a limit in MiB or KiB when it is a whole number of them.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
