package runner

import (
	"errors"
	"os"
	"syscall"
)

// writeNothing writes zero bytes to f through write(2) itself: the call
// reaches the file's write operation, which a device or kernel file that
// refuses writes answers with an error, and writes nothing.
func writeNothing(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		_, werr = syscall.Write(int(fd), nil)
		return true
	}); err != nil {
		return err
	}
	return werr
}

// fallocKeepSize is FALLOC_FL_KEEP_SIZE: allocate without changing the
// file's size.
const fallocKeepSize = 0x01

// reserveSpace allocates one byte past the end of a regular file without
// changing its size or content: ENOSPC on a full disk. A file system that
// cannot allocate ahead (EOPNOTSUPP) is taken as fine.
func reserveSpace(f *os.File, size int64) error {
	err := syscall.Fallocate(int(f.Fd()), fallocKeepSize, size, 1)
	if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EINVAL) {
		return nil
	}
	return err
}
