//go:build linux

package connectors

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/sys/unix"
)

// TestFileStoreLocalKeyRevisionNotKeptAfterReread: a store whose read
// could not get the shared revision key (another holds the guard file's
// lock for more than a moment) keys its revision with its own key and
// tries again for the shared one later. A read of the same bytes again
// (the file touched, or read again within its racy window) must keep
// that mark: else the store keeps its own revision for good, and its
// ETags differ from every other store's on the same content.
func TestFileStoreLocalKeyRevisionNotKeptAfterReread(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	// Another holds the lock of the guard file, which holds no key yet.
	other := flock.New(path + ".lock")
	if err := other.Lock(); err != nil {
		t.Fatal(err)
	}
	a := openFileStore(t, path)
	defer a.Close()
	if _, err := a.State(ctx); err != nil {
		t.Fatal(err)
	}
	other.Unlock()
	// The same bytes again, with another time (touched, or a save of the
	// same content): the store reads them again.
	older := old.Add(-time.Minute)
	if err := os.Chtimes(path, older, older); err != nil {
		t.Fatal(err)
	}
	if _, err := a.State(ctx); err != nil {
		t.Fatal(err)
	}
	// Another store makes the shared key.
	b := openFileStore(t, path)
	defer b.Close()
	sb, err := b.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Past the once-a-second limit on tries for the shared key.
	time.Sleep(1100 * time.Millisecond)
	for range 2 {
		sa, err := a.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sa.Revision != sb.Revision {
			t.Errorf("two stores on one unchanged file give revisions %q and %q, more than a second after the shared key was made", sa.Revision, sb.Revision)
		}
	}
}

// TestFileStoreReadDuringWriteKeysWithTheFileItReads: a read of the
// store made while a write of the store holds the lock takes the
// revision key through the write's descriptor of the guard file. The
// path may lead to another file by then (a symlink repointed, "current"
// to a new release): the read must key that file's revision with that
// file's key, not with the guard file of the file the write locked, or
// the store's revision of the new file differs for good from that of
// every other store on it (the write fails, and the file, unchanged, is
// not read again).
func TestFileStoreReadDuringWriteKeysWithTheFileItReads(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	one, two := filepath.Join(dir, "one.toml"), filepath.Join(dir, "two.toml")
	for _, p := range []string{one, two} {
		s := openFileStore(t, p)
		putConfig(t, s, "a", Config{"token": filepath.Base(p)}) // each with its own guard file and key
		s.Close()
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "agent.toml")
	if err := os.Symlink(one, link); err != nil {
		t.Fatal(err)
	}
	a := openFileStore(t, link)
	defer a.Close()
	if _, err := a.State(ctx); err != nil {
		t.Fatal(err)
	}
	// A write that changes nothing, during which the link is repointed
	// and a GET comes.
	_, err := a.Edit(ctx, func(State) (map[string]Config, error) {
		if err := os.Symlink(two, link+".new"); err != nil {
			return nil, err
		}
		if err := os.Rename(link+".new", link); err != nil {
			return nil, err
		}
		_, err := a.State(ctx)
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	b := openFileStore(t, two)
	defer b.Close()
	sb, err := b.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := a.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Revision != sb.Revision {
		t.Errorf("a store on a symlink and one on its target give the same file revisions %q and %q", sa.Revision, sb.Revision)
		if sa.Revision == revision(keyIn(one+".lock"), readConfigFile(t, two)) {
			t.Log("the store on the link keyed the file with the key of the file the write locked")
		}
	}
	time.Sleep(1100 * time.Millisecond)
	if sa, err = a.State(ctx); err != nil {
		t.Fatal(err)
	}
	if sa.Revision != sb.Revision {
		t.Errorf("a second later: revisions %q and %q", sa.Revision, sb.Revision)
	}
}

// TestFileStoreKeyNotWrittenIntoGuardOthersCanRead: a new revision key
// goes only into a guard file that its owner alone can read (writeKey
// clears the group and other bits first). Where the store cannot clear
// them (the guard file is not its process's, but it may write it: a
// guard file left 0666 by root, a group's shared one), the key must not
// be written there: whoever can read it can test guesses of a secret in
// the file against the ETag offline.
func TestFileStoreKeyNotWrittenIntoGuardOthersCanRead(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to act as another user")
	}
	const uid = 1000
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(base, "home")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "agent.toml")
	var err error
	asFSUser(uid, func() { err = os.WriteFile(path, []byte("[connectors.a]\npassword = \"1234\"\n"), 0o600) })
	if err != nil {
		t.Fatal(err)
	}
	// An empty guard file of root's that everyone may read and write.
	if err := os.WriteFile(path+".lock", nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path+".lock", 0o666); err != nil {
		t.Fatal(err)
	}
	asFSUser(uid, func() { err = openFileStore(t, path).Put(context.Background(), "b", Config{"token": "2"}) })
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	if key := keyIn(path + ".lock"); key != nil && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("the revision key was written into a guard file of mode %v, which others can read", fi.Mode().Perm())
	}
}

// TestFileStoreWriteWithOwnKeyRetriesForSharedKey: a write whose guard
// file cannot take a key (it can only be read, and holds none) keys the
// file's revision with the store's own key, as a read in that case does;
// like such a read, it must mark the state so, so that the store takes
// the shared key once there is one (the guard file made writable, a key
// put in it by another store). Else the store keeps its own revision of
// the unchanged file for good, and its ETags differ from every other
// store's.
func TestFileStoreWriteWithOwnKeyRetriesForSharedKey(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	guard := path + ".lock"
	writeConfigFile(t, guard, "", 0o600)
	makeUnwritable(t, guard)
	a := openFileStore(t, path)
	defer a.Close()
	if err := a.Put(ctx, "b", Config{"token": "2"}); err != nil {
		t.Fatal(err)
	}
	// The guard file made writable again; another store puts a key in it.
	if os.Geteuid() == 0 {
		f, err := os.Open(guard)
		if err != nil {
			t.Fatal(err)
		}
		flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
		if err != nil {
			t.Fatal(err)
		}
		const immutable = 0x10
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)&^immutable); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if err := os.Chmod(guard, 0o600); err != nil {
		t.Fatal(err)
	}
	b := openFileStore(t, path)
	defer b.Close()
	sb, err := b.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if keyIn(guard) == nil {
		t.Fatal("no store put a key in the guard file, writable again; the test shows nothing")
	}
	time.Sleep(1100 * time.Millisecond) // past the once-a-second limit on tries
	for range 2 {
		sa, err := a.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sa.Revision != sb.Revision {
			t.Errorf("the writer and another store give the unchanged file revisions %q and %q, a second after the shared key was made", sa.Revision, sb.Revision)
			if sa.Revision == revision(a.localKey, readConfigFile(t, path)) {
				t.Log("the writer's revision is keyed by its own key")
			}
		}
	}
}
