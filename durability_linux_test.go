//go:build linux

package connectors

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// makeUnwritable makes the file at path impossible to open for writing by
// this process, while it can still be opened for reading and locked: mode
// 0400, or, for root, which the mode does not stop, the immutable
// attribute (cleared when the test ends).
func makeUnwritable(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	const immutable = 0x10 // FS_IMMUTABLE_FL, from linux/fs.h
	// The kernel reads and writes the flags as a 32-bit int.
	flags32, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	flags := int(flags32)
	if err != nil {
		t.Skipf("cannot read the file's attributes: %v", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, flags|immutable); err != nil {
		t.Skipf("cannot make the file immutable: %v", err)
	}
	t.Cleanup(func() {
		if f, err := os.Open(path); err == nil {
			unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, flags)
			f.Close()
		}
	})
}

// TestWriteSucceedsWithReadOnlyGuardFile: a write succeeds when the guard
// file can be opened for reading and locked but not written (left
// read-only, say, by its owner or an admin). A write that cannot record
// itself need not fail to be safe: a file whose time is left at the
// system's stamp (not set below it) can never have the stat of another
// store's stamped write made before it, so no store takes it for its own.
func TestWriteSucceedsWithReadOnlyGuardFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	writeConfigFile(t, path+".lock", "", 0o600)
	makeUnwritable(t, path+".lock")
	if f, err := os.OpenFile(path+".lock", os.O_WRONLY, 0); err == nil {
		f.Close()
		t.Skip("the guard file can still be opened for writing; the test shows nothing")
	}
	s := openFileStore(t, path)
	defer s.Close()
	ctx := t.Context()
	if err := s.Put(ctx, "b", Config{"token": "2"}); err != nil {
		t.Fatalf("Put with a guard file that is readable but not writable: %v", err)
	}
	if got, err := openFileStore(t, path).List(ctx); err != nil || len(got) != 2 {
		t.Errorf("List after the Put = %v, %v; want a and b", got, err)
	}
}

// TestWriterDoesNotTrustUnrecordedWrite: a store whose write could not be
// recorded (its guard file is read-only) does not take the file's stat
// for its own write's: an edit in place of the same size, in the same
// tick of a coarse clock (made here by setting the time back to the
// write's), is seen by its next read.
func TestWriterDoesNotTrustUnrecordedWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "", 0o600)
	writeConfigFile(t, path+".lock", "", 0o600)
	makeUnwritable(t, path+".lock")
	s := openFileStore(t, path)
	defer s.Close()
	ctx := t.Context()
	if err := s.Put(ctx, "a", Config{"token": "one"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if k := s.known; k.record != "" {
		t.Fatalf("the write was recorded (%q) with a read-only guard file", k.record)
	}
	editInPlace(t, path, `"one"`, `"two"`, fi.ModTime())
	if k := s.known; k.readAt.Sub(k.fi.ModTime()) > racyWindow(k.fi.ModTime()) {
		t.Skip("the write ended after its racy window (a slow disk); the test shows nothing")
	}
	got, err := s.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Config{"token": "two"}, got); diff != "" {
		t.Errorf("after a same-size edit with the write's stat (-want +got):\n%s", diff)
	}
}

// TestFileStoreReadOnlyGuardWriteDoesNotWaitForOwnLock: with a guard file
// that can only be read and holds no key, a write after another's change
// does not wait for the lock it holds itself: the read it makes under the
// lock takes the key (here the store's own) through the write's
// descriptor.
func TestFileStoreReadOnlyGuardWriteDoesNotWaitForOwnLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	guard := path + ".lock"
	writeConfigFile(t, guard, "", 0o400)
	if os.Geteuid() == 0 {
		// Root writes through modes: make it immutable instead.
		if out, err := exec.Command("chattr", "+i", guard).CombinedOutput(); err != nil {
			t.Skipf("chattr +i: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", guard).Run() })
	}
	s := openFileStore(t, path)
	var slow time.Duration
	const rounds = 5
	for i := range rounds {
		// Someone else changes the file, long ago by its time, so that
		// the store need not wait for it to settle.
		writeConfigFile(t, path, fmt.Sprintf("[agent]\nround = %d\n", i), 0o600)
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := s.Delete(t.Context(), "absent"); err != nil {
			t.Fatal(err)
		}
		slow += time.Since(start)
	}
	if avg := slow / rounds; avg > 25*time.Millisecond {
		t.Errorf("a write after a change by someone else took %v on average with a read-only guard file", avg)
	}
}

// asFSUser runs fn on one thread whose file system user and group are
// uid: its opens are checked as that user's (root's bypass of modes is
// dropped with fsuid 0).
func asFSUser(uid int, fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	syscall.RawSyscall(syscall.SYS_SETFSGID, uintptr(uid), 0, 0)
	syscall.RawSyscall(syscall.SYS_SETFSUID, uintptr(uid), 0, 0)
	defer syscall.RawSyscall(syscall.SYS_SETFSGID, 0, 0, 0)
	defer syscall.RawSyscall(syscall.SYS_SETFSUID, 0, 0, 0)
	fn()
}

// userHome returns a new directory that belongs to the user uid, under
// directories every user may pass through.
func userHome(t *testing.T, uid int) string {
	t.Helper()
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
	return dir
}

// writeAsUser writes the file at path, mode 0600, as the user uid.
func writeAsUser(t *testing.T, uid int, path, data string) {
	t.Helper()
	var err error
	asFSUser(uid, func() { err = os.WriteFile(path, []byte(data), 0o600) })
	if err != nil {
		t.Fatal(err)
	}
}

// TestFileStoreRootReadLeavesUserFileWritable: a read by root of a user's
// config file that has no guard file yet (a GET, `sudo agent connectors
// list`) makes the guard file the user's, so that the user's own server
// can still lock it and write.
func TestFileStoreRootReadLeavesUserFileWritable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	const uid = 1000
	path := filepath.Join(userHome(t, uid), "agent.toml")
	writeAsUser(t, uid, path, "[agent]\nname = \"x\"\n")

	if _, err := openFileStore(t, path).List(t.Context()); err != nil { // root reads
		t.Fatal(err)
	}

	var err error
	asFSUser(uid, func() { err = openFileStore(t, path).Put(context.Background(), "tg", Config{"botToken": "1"}) })
	if err != nil {
		t.Errorf("the user's write after root read the file: %v", err)
	}
}

// TestFileStoreGuardFileWithstandsUmask: under a umask that takes the
// owner's write bit, the guard file is still made 0600, so the first Put
// succeeds and the stores on the file share a revision key.
func TestFileStoreGuardFileWithstandsUmask(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to check opens as another user")
	}
	const uid = 1000
	path := filepath.Join(userHome(t, uid), "conf", "agent.toml")
	old := syscall.Umask(0o277)
	defer syscall.Umask(old)
	asFSUser(uid, func() {
		ctx := context.Background()
		a, b := openFileStore(t, path), openFileStore(t, path)
		if err := a.Put(ctx, "tg", Config{"botToken": "1"}); err != nil {
			t.Errorf("first write under umask 0277: %v", err)
			if err := a.Put(ctx, "tg", Config{"botToken": "1"}); err != nil {
				t.Fatal(err)
			}
		}
		sa := stateOf(t, a)
		sb := stateOf(t, b)
		if sa.Revision != sb.Revision {
			t.Errorf("two stores on one file under umask 0277 give revisions %q and %q", sa.Revision, sb.Revision)
		}
	})
}

// TestFileStoreLocalKeyRevisionNotKeptAfterReread: a revision keyed by the
// store's own key (its read could not get the guard file's lock in time)
// stays marked so when the store reads the same bytes again (the file
// touched), and the store takes the shared key once there is one.
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
	sb := stateOf(t, b)
	// Past the once-a-second limit on tries for the shared key.
	time.Sleep(1100 * time.Millisecond)
	for range 2 {
		sa := stateOf(t, a)
		if sa.Revision != sb.Revision {
			t.Errorf("two stores on one unchanged file give revisions %q and %q, more than a second after the shared key was made", sa.Revision, sb.Revision)
		}
	}
}

// TestFileStoreReadDuringWriteKeysWithTheFileItReads: a read made while
// a write of the store holds a guard file's lock takes the key through
// the write's descriptor only if it reads the file that guard file
// guards; after the store's path was repointed to another file, it keys
// that file's revision with that file's key.
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
	sb := stateOf(t, b)
	sa := stateOf(t, a)
	if sa.Revision != sb.Revision {
		t.Errorf("a store on a symlink and one on its target give the same file revisions %q and %q", sa.Revision, sb.Revision)
		if sa.Revision == revision(keyIn(one+".lock", nil), readConfigFile(t, two)) {
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

// TestFileStoreKeyNotWrittenIntoGuardOthersCanRead: a revision key goes
// only into a guard file that its owner alone can read; one that others
// can read and the store may not make private (it does not own it) gets
// no key, and the store keys its revisions with its own.
func TestFileStoreKeyNotWrittenIntoGuardOthersCanRead(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to act as another user")
	}
	const uid = 1000
	path := filepath.Join(userHome(t, uid), "agent.toml")
	writeAsUser(t, uid, path, "[connectors.a]\npassword = \"1234\"\n")
	// An empty guard file of root's that everyone may read and write.
	if err := os.WriteFile(path+".lock", nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path+".lock", 0o666); err != nil {
		t.Fatal(err)
	}
	var err error
	asFSUser(uid, func() { err = openFileStore(t, path).Put(context.Background(), "b", Config{"token": "2"}) })
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	if key := keyIn(path+".lock", nil); key != nil && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("the revision key was written into a guard file of mode %v, which others can read", fi.Mode().Perm())
	}
}

// TestFileStoreWriteWithOwnKeyRetriesForSharedKey: a write that had to
// key the revision with the store's own key (its guard file could not be
// written) marks it so, and the store takes the shared key once another
// store has put one in the guard file.
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
	sb := stateOf(t, b)
	if keyIn(guard, nil) == nil {
		t.Fatal("no store put a key in the guard file, writable again; the test shows nothing")
	}
	time.Sleep(1100 * time.Millisecond) // past the once-a-second limit on tries
	for range 2 {
		sa := stateOf(t, a)
		if sa.Revision != sb.Revision {
			t.Errorf("the writer and another store give the unchanged file revisions %q and %q, a second after the shared key was made", sa.Revision, sb.Revision)
			if sa.Revision == revision(a.localKey, readConfigFile(t, path)) {
				t.Log("the writer's revision is keyed by its own key")
			}
		}
	}
}

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestKeyInClosesNonPrivateGuard: reading the key of a guard file that
// others than its owner can read, which is refused, closes the file, so
// that a store beside such a guard file (one it cannot make private),
// which tries for a shared key once a second, leaks no descriptor.
func TestKeyInClosesNonPrivateGuard(t *testing.T) {
	guard := filepath.Join(t.TempDir(), "c.toml.lock")
	if err := os.WriteFile(guard, make([]byte, recordLen+2*keyLen+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(guard, 0o644); err != nil {
		t.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no finalizer closes them meanwhile
	before := openFDs(t)
	for range 20 {
		if key := keyIn(guard, nil); key != nil {
			t.Fatalf("keyIn took a key from a guard file others can read")
		}
	}
	if after := openFDs(t); after > before {
		t.Errorf("keyIn left %d descriptors open after 20 calls on a guard file of mode 0644", after-before)
	}
}

// TestTryLeaseThroughDanglingDirectorySymlink: a lease, like a write, is
// taken through a directory symlink that leads to no directory yet (a
// dotfiles layout before the first save), making the directory where the
// link leads.
func TestTryLeaseThroughDanglingDirectorySymlink(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"dotfiles", "config"} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../dotfiles/agent", filepath.Join(root, "config", "agent")); err != nil {
		t.Fatal(err)
	}
	s, err := NewFileStore(filepath.Join(root, "config", "agent", "agent.toml"), FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.TryLease(t.Context(), "a", "me")
	if err != nil {
		t.Fatalf("TryLease through a dangling directory link: %v", err)
	}
	if l != nil {
		l.Release(t.Context())
	}
}

// TestFileStoreRefusesKeyOthersCouldRead: a key found in a guard file that
// others could read is not used once the store has made the file
// private: it may have been read, so the store writes a new one.
func TestFileStoreRefusesKeyOthersCouldRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.toml")
	data := "[connectors.tg]\nbotToken = \"1234\"\n"
	writeConfigFile(t, path, data, 0o600)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	leaked := bytes.Repeat([]byte{0x42}, keyLen)
	guard := make([]byte, recordLen)
	guard = append(guard, hex.EncodeToString(leaked)+"\n"...)
	if err := os.WriteFile(path+".lock", guard, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path+".lock", 0o644); err != nil {
		t.Fatal(err)
	}
	s := openFileStore(t, path)
	defer s.Close()
	st, err := s.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Revision == revision(leaked, []byte(data)) {
		t.Errorf("the revision is keyed by the key that sat in a world-readable guard file")
	}
}

// TestNewGuardLeavesHardLinkedFileAlone: an empty guard file with a
// second name (a hard link) keeps its mode and owner, as they are those
// of the file of its other name too.
func TestNewGuardLeavesHardLinkedFileAlone(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.toml")
	writeConfigFile(t, path, "[connectors.tg]\nbotToken = \"1234\"\n", 0o600)
	if err := os.Chown(path, 4321, 4321); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(other, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(other, path+".lock"); err != nil {
		t.Fatal(err)
	}
	s := openFileStore(t, path)
	defer s.Close()
	if _, err := s.State(t.Context()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(other)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o644 || st.Uid != 0 {
		t.Errorf("the file with the guard file's other name is now mode %v, owner %d; want 0644, root's", fi.Mode().Perm(), st.Uid)
	}
}

// TestFileStoreRefusesKeyPlantedByAnotherUser: a revision key is taken only
// from a guard file that belongs to the store's user or to the config
// file's owner: one planted beside the config by another user, who knows
// the key, would make the ETag an oracle for a weak secret to that user.
func TestFileStoreRefusesKeyPlantedByAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.toml")
	data := "[connectors.tg]\nbotToken = \"1234\"\n"
	writeConfigFile(t, path, data, 0o600)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	planted := bytes.Repeat([]byte{0x17}, keyLen)
	guard := append(make([]byte, recordLen), hex.EncodeToString(planted)+"\n"...)
	if err := os.WriteFile(path+".lock", guard, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path+".lock", 4321, 4321); err != nil {
		t.Fatal(err)
	}
	s := openFileStore(t, path)
	defer s.Close()
	st, err := s.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Revision == revision(planted, []byte(data)) {
		t.Errorf("the revision is keyed by the key of a guard file another user owns")
	}
}

// TestFileStoreRootLeaseLeavesUserLeases: leases taken by root on a
// user's config (the server run once with sudo) leave their directory
// and lock files the user's, so that the user's own server can still take
// every lease, that one too once root lets it go or dies.
func TestFileStoreRootLeaseLeavesUserLeases(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	const uid = 1000
	path := filepath.Join(userHome(t, uid), "agent.toml")
	writeAsUser(t, uid, path, "[agent]\nname = \"x\"\n")
	root := openFileStore(t, path)
	held, err := root.TryLease(t.Context(), "rootbot", "root")
	if err != nil {
		t.Fatal(err)
	}
	dir := leaseDir(path)
	for _, p := range []string{dir, leaseBase(dir, "rootbot") + ".lock"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid {
			t.Errorf("%s made by root's lease belongs to uid %d, want the config's owner, %d", p, st.Uid, uid)
		}
	}
	asFSUser(uid, func() {
		user := openFileStore(t, path)
		l, err := user.TryLease(context.Background(), "userbot", "user")
		if err != nil {
			t.Errorf("the user's lease beside root's: %v", err)
		} else {
			l.Release(context.Background())
		}
		if _, err := user.TryLease(context.Background(), "rootbot", "user"); !errors.Is(err, ErrLeaseHeld) {
			t.Errorf("the user's lease of the key root holds: %v, want ErrLeaseHeld", err)
		}
	})
	// Root's process dies without removing its lock file: its lock goes
	// with it (here, the descriptor closed).
	held.(*fileLease).fl.Close()
	asFSUser(uid, func() {
		if _, err := openFileStore(t, path).TryLease(context.Background(), "rootbot", "user"); err != nil {
			t.Errorf("the user's lease of the key root held: %v", err)
		}
	})
}

// TestTryLeaseRefusesSymlinkedLockFile: a lease's lock file is not opened
// through a symlink, which whoever may write in the leases' directory
// could point at a file for the server to create.
func TestTryLeaseRefusesSymlinkedLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	s := openFileStore(t, path)
	dir := leaseDir(path)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "nologin")
	if err := os.Symlink(victim, leaseBase(dir, "bot")+".lock"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TryLease(t.Context(), "bot", "me"); err == nil {
		t.Errorf("TryLease through a symlinked lock file succeeded")
	}
	if _, err := os.Lstat(victim); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the symlink's target was made: %v", err)
	}
}
