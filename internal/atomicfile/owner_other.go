//go:build !unix

package atomicfile

import (
	"io/fs"
	"os"
)

// keepOwner does nothing where files have no owner and group to keep.
func keepOwner(f *os.File, fi, old fs.FileInfo) {}
