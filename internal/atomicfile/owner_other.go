//go:build !unix

package atomicfile

import (
	"io/fs"
	"os"
)

// KeepOwner does nothing where files have no owner and group to keep.
func KeepOwner(f *os.File, fi, old fs.FileInfo) {}
