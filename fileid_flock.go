//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package connectors

import (
	"io/fs"
	"syscall"
)

// haveFileID reports whether fileID gives inode numbers here.
const haveFileID = true

// fileID returns the inode number of fi's file, and whether it has one.
func fileID(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Ino), true
}

// oneLink reports whether fi's file has one name only: a guard file with
// another (a hard link) would have the write's record and key written
// into that other file too.
func oneLink(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Nlink <= 1
}
