//go:build !unix

package connectors

// nonBlock is no flag where there are no FIFOs to block on.
const nonBlock = 0
