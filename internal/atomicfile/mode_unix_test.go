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

// TestWriteFileKeepsOwner: a file replaced by root keeps its owner and
// group, so that a user's 0o600 config written by an agent running as
// root stays readable by the user.
func TestWriteFileKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user")
	}
	target := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(target, []byte("x = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const uid, gid = 4321, 4322
	if err := os.Chown(target, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("x = 2\n"), 0o600, Options{Stamp: true}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != uid || st.Gid != gid {
		t.Errorf("owner after the write = %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after the write = %v, want 0600", fi.Mode().Perm())
	}
}
