//go:build !unix

package connectors

import "os"

// readFlags opens the config file for reading.
const readFlags = os.O_RDONLY
