//go:build unix

package connectors

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFileStoreRefusesFIFO: a FIFO at the path is an error at once, not a
// read that waits for a writer.
func TestFileStoreRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	s := openFileStore(t, path)
	done := make(chan error, 1)
	go func() { _, err := s.List(context.Background()); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("List on a FIFO = %v, want a not-a-regular-file error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("List on a FIFO still blocked after 5s")
	}
}
