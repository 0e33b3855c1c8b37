//go:build unix

// This file holds the tests of how a store resolves its path through
// symlinks and "..": which file it reads, writes, locks and records in,
// and where its leases live.

package connectors

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// makeDirs makes the directories dirs under root, with those above them.
func makeDirs(t *testing.T, root string, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

// makeSymlink makes a symlink at name with the given target, or skips.
func makeSymlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("cannot make a symlink: %v", err)
	}
}

// TestFileStoreCreatesFileThroughDanglingRelativeSymlinkInLinkedDir: a
// store on a dangling symlink creates the file where the system takes the
// link to lead, making the directories it needs there, also when the link
// is relative, climbs out with "..", and sits in a directory reached
// through a symlink (a dotfiles layout whose shared directory is not made
// yet). It makes nothing where a lexical reading of the path leads.
func TestFileStoreCreatesFileThroughDanglingRelativeSymlinkInLinkedDir(t *testing.T) {
	root := t.TempDir()
	makeDirs(t, root, "dotfiles/agent", "config")
	makeSymlink(t, "../dotfiles/agent", filepath.Join(root, "config", "agent"))
	makeSymlink(t, "../shared/agent.toml", filepath.Join(root, "dotfiles", "agent", "agent.toml"))
	// The system takes config/agent/agent.toml to dotfiles/shared/agent.toml.
	s := openFileStore(t, filepath.Join(root, "config", "agent", "agent.toml"))
	defer s.Close()
	ctx := t.Context()
	if err := s.Put(ctx, "a", Config{"token": "1"}); err != nil {
		t.Errorf("Put through a dangling link: %v", err)
	} else if _, err := s.Get(ctx, "a"); err != nil {
		t.Errorf("Get after an acknowledged Put: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "dotfiles", "shared", "agent.toml")); err != nil {
		t.Errorf("the file the link leads to: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "config", "shared")); err == nil {
		t.Errorf("the Put made config/shared, where the link does not lead")
	}
}

// TestFileStoreWriteReplacesOnlyTheFileItRead: a write replaces the file
// it read under the lock, or fails; it never puts what it read from one
// file in the place of another, nor writes where the path no longer
// leads. Here a symlink on the path is repointed, as a deployment does
// with a new link renamed over the old, while a Put is under way; the
// Validate hook only makes that moment certain. The Put must fail and
// both files stay as they were: the new one's connectors are its own
// (the store never read it, and never held its lock, so a write of
// another store on it could be under way too), and a write into the old
// one would be seen by no read through the path.
func TestFileStoreWriteReplacesOnlyTheFileItRead(t *testing.T) {
	for _, link := range []string{"directory", "file"} {
		t.Run(link, func(t *testing.T) {
			root := t.TempDir()
			file := func(v string) string { return filepath.Join(root, v+".toml") }
			path, linked, to := filepath.Join(root, "agent.toml"), filepath.Join(root, "agent.toml"), "%s.toml"
			if link == "directory" { // "current" -> a release
				file = func(v string) string { return filepath.Join(root, v, "agent.toml") }
				path, linked, to = filepath.Join(root, "current", "agent.toml"), filepath.Join(root, "current"), "%s"
			}
			for _, v := range []string{"v1", "v2"} {
				if err := os.MkdirAll(filepath.Dir(file(v)), 0o700); err != nil {
					t.Fatal(err)
				}
				writeConfigFile(t, file(v), fmt.Sprintf("[connectors.%s]\ntoken = \"1\"\n", v), 0o600)
			}
			makeSymlink(t, fmt.Sprintf(to, "v1"), linked)
			flipped := false
			s, err := NewFileStore(path, FileOptions{Validate: func(string, Config) error {
				if !flipped {
					flipped = true
					if err := os.Symlink(fmt.Sprintf(to, "v2"), linked+".new"); err != nil {
						return err
					}
					return os.Rename(linked+".new", linked)
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			putErr := s.Put(t.Context(), "added", Config{"token": "2"})
			if !flipped {
				t.Fatal("Validate was not called")
			}
			if putErr == nil {
				t.Errorf("Put succeeded, though its path led to another file before the write")
			}
			for _, v := range []string{"v1", "v2"} {
				want := fmt.Sprintf("[connectors.%s]\ntoken = \"1\"\n", v)
				if got := string(readConfigFile(t, file(v))); got != want {
					t.Errorf("%s after a Put (err %v) that read v1's:\n%s\nwant it unchanged:\n%s", file(v), putErr, got, want)
				}
			}
			// The next write goes where the path leads now.
			if err := s.Put(t.Context(), "added", Config{"token": "2"}); err != nil {
				t.Fatalf("Put after the link settled: %v", err)
			}
			if _, err := s.Get(t.Context(), "added"); err != nil {
				t.Errorf("Get after the Put: %v", err)
			}
			if got := string(readConfigFile(t, file("v1"))); strings.Contains(got, "added") {
				t.Errorf("v1's file, where the path no longer leads, got the write:\n%s", got)
			}
		})
	}
}

// TestFileStoreWritesThroughFortySymlinks: a store writes wherever it
// reads. The system follows a chain of 40 symlinks (Linux's MAXSYMLINKS),
// so a store on its head reads the file at its end; a Put must not fail
// with "too many links" there.
func TestFileStoreWritesThroughFortySymlinks(t *testing.T) {
	root := t.TempDir()
	writeConfigFile(t, filepath.Join(root, "c0.toml"), "[connectors.a]\ntoken = \"1\"\n", 0o600)
	const n = 40
	for i := 1; i <= n; i++ {
		makeSymlink(t, fmt.Sprintf("c%d.toml", i-1), filepath.Join(root, fmt.Sprintf("c%d.toml", i)))
	}
	head := filepath.Join(root, fmt.Sprintf("c%d.toml", n))
	if _, err := os.ReadFile(head); err != nil {
		t.Skipf("this system follows fewer than %d links: %v", n, err)
	}
	s := openFileStore(t, head)
	defer s.Close()
	ctx := t.Context()
	if _, err := s.Get(ctx, "a"); err != nil {
		t.Fatalf("Get through the chain: %v", err)
	}
	if err := s.Put(ctx, "b", Config{"token": "2"}); err != nil {
		t.Errorf("Put through a chain the store reads through: %v", err)
	}
}

// TestFileStoreGuardFileRemovedWhileLockedLosesNoPut: no acknowledged
// Put is lost, even when the guard file is removed while a writer holds
// its lock (a clean-up of "stale" lock files, a tmp cleaner). The next
// writer then locks a new guard file at once; either it waits, or one of
// the two writes fails, but both must not return nil with one of them
// missing from the file. The Validate hook only places the second Put
// inside the first one's read-modify-write.
func TestFileStoreGuardFileRemovedWhileLockedLosesNoPut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	second := openFileStore(t, path)
	defer second.Close()
	secondErr := fmt.Errorf("the second Put did not run")
	ran := false
	first, err := NewFileStore(path, FileOptions{Validate: func(string, Config) error {
		if !ran {
			ran = true
			if err := os.Remove(path + ".lock"); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			secondErr = second.Put(ctx, "second", Config{"token": "3"})
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	firstErr := first.Put(t.Context(), "first", Config{"token": "2"})
	check := openFileStore(t, path)
	defer check.Close()
	for name, err := range map[string]error{"first": firstErr, "second": secondErr} {
		if err != nil {
			continue
		}
		if _, gerr := check.Get(t.Context(), name); gerr != nil {
			t.Errorf("the %s Put returned nil, but the file does not hold it: %v\nfile:\n%s", name, gerr, readConfigFile(t, path))
		}
	}
}

// TestFileStoreLeaseOneHolderForOnePathWhateverTheShellSaysTheCwdIs: two
// processes that open the config by the same relative path from the same
// directory share its leases, so that one holds a lease at a time. A
// path with ".." relative to a working directory reached through a
// symlink names the file the system resolves; the lease directory must
// not depend on how the process's $PWD spells that directory (a shell
// after `cd current` keeps the symlink, one after `cd -P` does not).
// Here both stores are in one process, with $PWD changed in between.
func TestFileStoreLeaseOneHolderForOnePathWhateverTheShellSaysTheCwdIs(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "a", "deep", "real")
	if err := os.MkdirAll(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	makeSymlink(t, filepath.Join("a", "deep", "real"), link)
	writeConfigFile(t, filepath.Join(root, "a", "deep", "agent.toml"), "[connectors.a]\ntoken = \"1\"\n", 0o600)
	ctx := t.Context()

	t.Chdir(link) // $PWD is the link's path
	one := openFileStore(t, filepath.Join("..", "agent.toml"))
	defer one.Close()
	if _, err := one.Get(ctx, "a"); err != nil {
		t.Fatalf("the relative path does not lead to the config: %v", err)
	}
	l, err := one.TryLease(ctx, "k", "one")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)

	t.Setenv("PWD", real) // the same directory, spelled physically
	two := openFileStore(t, filepath.Join("..", "agent.toml"))
	defer two.Close()
	if l2, err := two.TryLease(ctx, "k", "two"); err == nil {
		l2.Release(ctx)
		t.Errorf("a second store on the same path from the same directory took a held lease (lease directories %s and %s)", one.leases, two.leases)
	}
}

// TestFileStoreSpellingsShareOneGuard: stores opened on different
// spellings of one file (through a symlinked directory, a symlink to the
// file, "." and ".." through a symlinked directory or a real one) take
// one guard file, so their concurrent writes are serialized and no Put is
// lost.
func TestFileStoreSpellingsShareOneGuard(t *testing.T) {
	root := t.TempDir()
	makeDirs(t, root, "real/deep", "other")
	writeConfigFile(t, filepath.Join(root, "real", "deep", "c.toml"), "", 0o600)
	makeSymlink(t, filepath.Join("real", "deep"), filepath.Join(root, "dl"))
	makeSymlink(t, filepath.Join("..", "real", "deep", "c.toml"), filepath.Join(root, "other", "link.toml"))
	makeSymlink(t, filepath.Join("..", "real", "deep"), filepath.Join(root, "other", "dd"))
	sep := string(filepath.Separator)
	paths := []string{
		filepath.Join(root, "real", "deep", "c.toml"),
		filepath.Join(root, "dl", "c.toml"),
		filepath.Join(root, "other", "link.toml"),
		// Not filepath.Join, which would clean "." and ".." away.
		root + sep + "other" + sep + "dd" + sep + ".." + sep + "deep" + sep + "c.toml",
		root + sep + "real" + sep + "." + sep + "deep" + sep + ".." + sep + "deep" + sep + "c.toml",
	}
	const each = 15
	errs := make(chan error, len(paths)*each)
	done := make(chan struct{})
	for i, p := range paths {
		s := openFileStore(t, p)
		defer s.Close()
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range each {
				errs <- s.Put(t.Context(), fmt.Sprintf("s%dn%d", i, j), Config{"token": "1"})
			}
		}()
	}
	for range paths {
		<-done
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := openFileStore(t, paths[0]).List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(paths)*each {
		t.Errorf("%d connectors after %d acknowledged Puts", len(got), len(paths)*each)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "real", "deep"))
	if len(entries) != 2 { // c.toml and c.toml.lock
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files beside the config: %q, want c.toml and its guard file", names)
	}
}

// TestFileStoreConfigTurnedIntoSymlinkDuringWriteLosesNoPut: a write
// fails, writing nothing, if its path leads to another file during it;
// and a symlinked config is updated through the link, which is kept. Here
// the config file is adopted into a dotfiles directory (moved there and a
// symlink left in its place, as `stow --adopt` or chezmoi do) while a Put
// of store A waits for the lock that another writer holds (the test). A
// then locks the guard beside the path it resolved before the move, and
// reads the file the link now leads to. It must see that the file at the
// path it resolved is now a link, and fail: otherwise it renames its file
// over the link, which is gone, and a write of store B on the same path,
// which resolves it now and locks the guard beside the dotfiles file,
// can run meanwhile (the Validate hook runs one, if A gets so far) and be
// acknowledged, and lost.
func TestFileStoreConfigTurnedIntoSymlinkDuringWriteLosesNoPut(t *testing.T) {
	for _, withB := range []bool{false, true} {
		t.Run(fmt.Sprintf("another write=%v", withB), func(t *testing.T) {
			root := t.TempDir()
			makeDirs(t, root, "config", "dotfiles")
			path := filepath.Join(root, "config", "agent.toml")
			writeConfigFile(t, path, "[connectors.old]\ntoken = \"1\"\n", 0o600)
			b := openFileStore(t, path)
			defer b.Close()
			bErr := errors.New("the Put of b did not run")
			a, err := NewFileStore(path, FileOptions{Validate: func(string, Config) error {
				if withB && bErr != nil && bErr.Error() == "the Put of b did not run" {
					bErr = b.Put(t.Context(), "b", Config{"token": "3"})
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()

			// Another writer holds the lock while A's Put begins.
			held := flock.New(path + ".lock")
			if err := held.Lock(); err != nil {
				t.Fatal(err)
			}
			aDone := make(chan error, 1)
			go func() { aDone <- a.Put(t.Context(), "a", Config{"token": "2"}) }()
			time.Sleep(150 * time.Millisecond) // A has resolved its path and waits for the lock
			// Adopt the file into dotfiles, leaving a relative link in its place.
			if err := os.Rename(path, filepath.Join(root, "dotfiles", "agent.toml")); err != nil {
				t.Fatal(err)
			}
			makeSymlink(t, filepath.Join("..", "dotfiles", "agent.toml"), path)
			held.Close()
			var aErr error
			select {
			case aErr = <-aDone:
			case <-time.After(5 * time.Second):
				t.Fatal("A's Put did not return")
			}
			check := openFileStore(t, path)
			defer check.Close()
			for name, err := range map[string]error{"a": aErr, "b": bErr} {
				if err != nil {
					continue
				}
				if _, gerr := check.Get(t.Context(), name); gerr != nil {
					t.Errorf("the Put of %q returned nil, but a store on the path does not see it: %v\nfile at the path:\n%s", name, gerr, readConfigFile(t, path))
				}
			}
			if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the symlink at %s is gone (A's Put: %v)", path, aErr)
			}
		})
	}
}

// TestFileStoreRefusesSymlinkedGuardFile: a write, which writes its record
// and the revision key into the guard file, refuses a guard file that is a
// symlink, and so leaves the file it leads to as it was, rather than
// write into whatever file it is pointed at.
func TestFileStoreRefusesSymlinkedGuardFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.toml")
	other := filepath.Join(dir, "notes.txt")
	const notes = "the host's notes, which no write of the store may touch\n"
	writeConfigFile(t, other, notes, 0o600)
	makeSymlink(t, other, path+".lock")
	s := openFileStore(t, path)
	err := s.Put(t.Context(), "a", Config{"token": "1"})
	if err == nil {
		t.Error("Put through a symlinked guard file succeeded")
	}
	if b, err := os.ReadFile(other); err != nil || string(b) != notes {
		t.Errorf("the file the guard file leads to now holds %q (err %v), want %q", b, err, notes)
	}
	if _, err := s.List(t.Context()); err != nil {
		t.Errorf("List: %v", err)
	}
	if b, err := os.ReadFile(other); err != nil || string(b) != notes {
		t.Errorf("after a List, the file the guard file leads to holds %q (err %v), want %q", b, err, notes)
	}
}

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
			makeDirs(t, root, "v1", "v2")
			cur := filepath.Join(root, "current")
			makeSymlink(t, "v1", cur)
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
	makeDirs(t, root, "dotfiles", "config")
	makeSymlink(t, "../dotfiles/agent", filepath.Join(root, "config", "agent"))
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

// TestFileStoreReadRefusesKeyThroughSymlinkedGuard: reads, like writes,
// refuse a guard file that is a symlink: whoever planted it would know
// the key, and the ETag would be an oracle for a weak secret again.
func TestFileStoreReadRefusesKeyThroughSymlinkedGuard(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.toml")
	writeConfigFile(t, path, "[connectors.tg]\nbotToken = \"1234\"\n", 0o600)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, keyLen) // the planter's
	planted := filepath.Join(t.TempDir(), "planted")
	writeConfigFile(t, planted, strings.Repeat(" ", recordLen)+hex.EncodeToString(key)+"\n", 0o644)
	if err := os.Symlink(planted, path+".lock"); err != nil {
		t.Fatal(err)
	}
	s := openFileStore(t, path)
	if err := s.Put(t.Context(), "x", Config{}); err == nil {
		t.Fatal("a write through the symlinked guard file succeeded")
	}
	st, err := s.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Revision == revision(key, readConfigFile(t, path)) {
		t.Errorf("the revision is keyed with the key in the file a symlinked guard file leads to, which the write path refuses")
	}
}

// TestFileStoreDoesNotWriteIntoHardLinkedGuardFile: a guard file with a
// second name (a hard link, or a snapshot of the directory made with cp
// -al) is locked but not written into, as a read-only one: writes still
// succeed, and neither a write nor a read puts its record or the revision
// key into the other file.
func TestFileStoreDoesNotWriteIntoHardLinkedGuardFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.toml")
	other := filepath.Join(dir, "notes.txt")
	writeConfigFile(t, other, "", 0o600)
	if err := os.Link(other, path+".lock"); err != nil {
		t.Skipf("cannot make a hard link: %v", err)
	}
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	s := openFileStore(t, path)
	if err := s.Put(t.Context(), "b", Config{"token": "2"}); err != nil {
		t.Errorf("Put with a hard-linked guard file: %v", err)
	}
	if got, err := openFileStore(t, path).List(t.Context()); err != nil || len(got) != 2 {
		t.Errorf("List after the Put = %v, %v; want a and b", got, err)
	}
	if b, err := os.ReadFile(other); err != nil || len(b) != 0 {
		t.Errorf("the other name of the guard file now holds %q (err %v), want nothing", b, err)
	}
}
