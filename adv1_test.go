//go:build unix

// This file holds the tests of an adversarial pass over FileStore: each
// shows a way an acknowledged write is lost, lands in the wrong file, or
// fails wrongly.

package connectors

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileStoreWriteToMissingFileFailsIfPathRepointed: a write fails,
// writing nothing, if the store's path leads to another file during it
// (see FileStore), also when neither file exists yet. Here the store's
// directory is a symlink ("current" -> a release) that a deployment
// repoints while a Put is under way, to a release that has no config
// file yet either; the Validate hook only makes that moment certain. The
// Put must fail, or land where the path leads: a Put that returns nil
// while Get through the same store finds nothing has been lost. The
// file's directory in the old release exists, or is missing (then the
// store learns so from its guard file's open, runs the edit once
// before it locks, and makes the directory).
func TestFileStoreWriteToMissingFileFailsIfPathRepointed(t *testing.T) {
	for _, tc := range []struct {
		name string
		rel  string // the file's path in a release
	}{
		{"file missing", "agent.toml"},
		{"directory missing", filepath.Join("conf", "agent.toml")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, v := range []string{"v1", "v2"} {
				if err := os.Mkdir(filepath.Join(root, v), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			cur := filepath.Join(root, "current")
			advSymlink(t, "v1", cur)
			flipped := false
			s, err := NewFileStore(filepath.Join(cur, tc.rel), FileOptions{Validate: func(string, Config) error {
				if !flipped { // as a deployment would: a new link renamed over the old
					flipped = true
					if err := os.Symlink("v2", cur+".new"); err != nil {
						return err
					}
					return os.Rename(cur+".new", cur)
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := t.Context()
			putErr := s.Put(ctx, "added", Config{"token": "2"})
			if !flipped {
				t.Fatal("Validate was not called")
			}
			if putErr != nil {
				return // refused: nothing acknowledged
			}
			if _, err := s.Get(ctx, "added"); errors.Is(err, ErrNotFound) {
				_, v1err := os.Stat(filepath.Join(root, "v1", tc.rel))
				t.Errorf("Put returned nil, but Get through the same store finds nothing: the write went to v1 (stat of v1's file: err %v), where the path no longer leads", v1err)
			} else if err != nil {
				t.Errorf("Get after an acknowledged Put: %v", err)
			}
		})
	}
}

// TestFileStoreNewDirectoryModeWhateverTheUmask: the first write makes
// the file with mode 0600 and its directories with mode 0700 (see
// FileStore), however the process's umask cuts them, as atomicfile does
// for the file. A umask that takes the owner's write bit (0o277) leaves a
// directory the owner cannot create files in: for any user but root the
// first Put would fail. The umask is the process's, so the test is not
// parallel.
func TestFileStoreNewDirectoryModeWhateverTheUmask(t *testing.T) {
	for _, umask := range []int{0o077, 0o277, 0o477} {
		root := t.TempDir()
		path := filepath.Join(root, "a", "b", "agent.toml")
		s := openFileStore(t, path)
		old := syscall.Umask(umask)
		err := s.Put(t.Context(), "a", Config{"token": "1"})
		syscall.Umask(old)
		if err != nil {
			t.Errorf("umask %#o: Put: %v", umask, err)
			continue
		}
		for p, want := range map[string]fs.FileMode{
			filepath.Join(root, "a"):      fs.ModeDir | 0o700,
			filepath.Join(root, "a", "b"): fs.ModeDir | 0o700,
			path:                          0o600,
		} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode() & (fs.ModeDir | fs.ModePerm); got != want {
				t.Errorf("umask %#o: %s has mode %v, want %v", umask, p[len(root):], got, want)
			}
		}
	}
}

// TestFileStoreCreatesFileThroughDanglingDirectorySymlink: a store whose
// directory is a symlink to a directory not made yet (a dotfiles layout,
// ~/.config/agent -> ~/dotfiles/agent, before the first save) creates the
// file where the system takes the link to lead, making the directory
// there, as it does through a dangling symlink to the file itself (see
// TestFileStoreCreatesFileThroughDanglingRelativeSymlinkInLinkedDir).
// Reads already take the path that way (an empty store); the first Put
// must not fail with "mkdir config/agent: file exists" from trying to
// make the link itself.
func TestFileStoreCreatesFileThroughDanglingDirectorySymlink(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"dotfiles", "config"} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	advSymlink(t, "../dotfiles/agent", filepath.Join(root, "config", "agent"))
	s := openFileStore(t, filepath.Join(root, "config", "agent", "agent.toml"))
	defer s.Close()
	ctx := t.Context()
	if got, err := s.List(ctx); err != nil || len(got) != 0 {
		t.Fatalf("List before the first Put = %v, %v; want an empty store", got, err)
	}
	if err := s.Put(ctx, "a", Config{"token": "1"}); err != nil {
		t.Fatalf("Put through a dangling directory link: %v", err)
	}
	if _, err := s.Get(ctx, "a"); err != nil {
		t.Errorf("Get after an acknowledged Put: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "dotfiles", "agent", "agent.toml")); err != nil {
		t.Errorf("the file the link leads to: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "config", "agent")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link config/agent is gone: %v, %v", fi, err)
	}
}
