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

// fileID returns the inode number of fi's file, and whether it has one.
func fileID(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Ino), true
}
