//go:build unix

package connectors

import (
	"io/fs"
	"syscall"
)

// nonBlock opens the config and guard files without blocking: a FIFO put
// in their place opens at once, to be refused as not a regular file (or
// fail to open for writing, with no reader), instead of waiting for the
// other end. Regular files behave as they would without it.
const nonBlock = syscall.O_NONBLOCK

// noFollow opens the guard file, which a write writes into, only if it is
// no symlink: a write through one would write into whatever file it
// leads to.
const noFollow = syscall.O_NOFOLLOW

// private reports whether the file whose stat is fi can be read by its
// owner alone, as the guard file must be to hold the revision key.
func private(fi fs.FileInfo) bool {
	return fi.Mode().Perm()&0o077 == 0
}
