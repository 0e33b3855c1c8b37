//go:build !unix

package connectors

import "testing"

// inode skips the test: there are no inode numbers to compare here.
func inode(t *testing.T, path string) uint64 {
	t.Helper()
	t.Skip("no inode numbers on this platform")
	return 0
}
