//go:build unix

package connectors

import (
	"io/fs"
	"os"
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

// trusted reports whether the guard file whose stat is fi belongs to the
// process's user or to the owner of the config file whose stat is config
// (nil: none): anyone else who made it would know the key it holds.
func trusted(fi, config fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return true
	}
	if config == nil {
		return false
	}
	c, ok := config.Sys().(*syscall.Stat_t)
	return ok && c.Uid == st.Uid
}
