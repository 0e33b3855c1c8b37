//go:build unix

package connectors

import (
	"os"
	"syscall"
)

// readFlags opens the config file for reading without blocking: a FIFO
// put in its place since the last stat opens at once, to be refused as
// not a regular file, instead of waiting for a writer. A regular file
// reads as it would without O_NONBLOCK.
const readFlags = os.O_RDONLY | syscall.O_NONBLOCK
