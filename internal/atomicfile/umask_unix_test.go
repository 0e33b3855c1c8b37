//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFileModeWhateverTheUmask: a new file gets perm, and a file
// replaced keeps its mode, however the umask cuts the temporary file's
// 0o600. The umask is the process's, so the test is not parallel.
func TestWriteFileModeWhateverTheUmask(t *testing.T) {
	for _, umask := range []int{0o022, 0o077, 0o277, 0o477} {
		old := syscall.Umask(umask)
		dir := t.TempDir()
		fresh := filepath.Join(dir, "fresh.toml")
		err := WriteFile(fresh, []byte("x = 1\n"), 0o600, Options{Stamp: true})
		kept := filepath.Join(dir, "kept.toml")
		if err == nil {
			err = os.WriteFile(kept, nil, 0o644)
		}
		if err == nil {
			err = os.Chmod(kept, 0o644)
		}
		if err == nil {
			err = WriteFile(kept, []byte("x = 2\n"), 0o600, Options{})
		}
		syscall.Umask(old)
		if err != nil {
			t.Fatalf("umask %#o: %v", umask, err)
		}
		for path, want := range map[string]os.FileMode{fresh: 0o600, kept: 0o644} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("umask %#o: %s has mode %#o, want %#o", umask, filepath.Base(path), got, want)
			}
		}
	}
}
