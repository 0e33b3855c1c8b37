//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package connectors

import "io/fs"

// fileID reports no inode number, so a store neither records its writes
// nor recognizes another's, and waits for a new file to settle. Where the
// lock is flock(2) (the systems fileid_flock.go names) the record is kept
// in the guard file; elsewhere the guard file is locked with fcntl (AIX,
// Solaris), and closing any other handle on it would drop the lock, or
// there is no inode number at hand (Windows, wasm).
func fileID(fs.FileInfo) (uint64, bool) { return 0, false }

// haveFileID reports whether fileID gives inode numbers here.
const haveFileID = false

// oneLink reports true: link counts are not at hand here.
func oneLink(fs.FileInfo) bool { return true }
