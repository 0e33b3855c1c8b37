package connectors

import (
	"io/fs"
	"syscall"
)

// renamedWhole reports whether fi's times show that the file's last change
// was not a write of its bytes: its change time differs from its
// modification time, which a write sets to the same instant. A file
// renamed into place by this package's writes shows it (they set the
// modification time to the nanosecond, and the rename sets the change
// time from the kernel's coarser clock); a file in the middle of a save
// made in place does not.
func renamedWhole(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Ctim != st.Mtim
}
