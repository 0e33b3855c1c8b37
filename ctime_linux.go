package connectors

import (
	"io/fs"
	"syscall"
)

// renamedWhole reports whether fi shows a file that a store's write
// renamed into place whole: one with bytes whose change time is before
// its modification time. The kernel never leaves a file so: a write sets
// both times to the same instant, and a change of mode, owner or name
// (a rename) moves the change time on, never back. A store's write sets
// the modification time itself, to the nanosecond, before the rename,
// which stamps the change time from the kernel's coarser clock, so it
// usually shows; when it does not (the clock ticked in between), a
// reader waits for the file to settle, which is safe.
func renamedWhole(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Size() == 0 {
		return false
	}
	c, m := st.Ctim, st.Mtim
	return c.Sec < m.Sec || c.Sec == m.Sec && c.Nsec < m.Nsec
}
