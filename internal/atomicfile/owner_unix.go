//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"syscall"
)

// KeepOwner gives f, whose stat is fi, the owner and group of old where
// they differ and the process may give both (root may); where it may
// not, f keeps the process's, as a file it creates would.
func KeepOwner(f *os.File, fi, old fs.FileInfo) {
	was, ok1 := old.Sys().(*syscall.Stat_t)
	is, ok2 := fi.Sys().(*syscall.Stat_t)
	if ok1 && ok2 && (was.Uid != is.Uid || was.Gid != is.Gid) {
		f.Chown(int(was.Uid), int(was.Gid))
	}
}
