//go:build !unix

package connectors

import "io/fs"

// nonBlock is no flag where there are no FIFOs to block on.
const nonBlock = 0

// fileID reports no inode number: none is at hand here, so a store
// cannot recognize another's write and waits for a new file to settle.
func fileID(fs.FileInfo) (uint64, bool) { return 0, false }
