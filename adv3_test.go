package connectors

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestFileStoreReaderKeyNotStuckBehindOwnWriter shows that a store whose
// first read of a host-written file (no guard file yet) meets a write of
// the same store that changes nothing (a DELETE of an absent name) takes
// its own key for good: the writer holds the guard file's lock and waits
// for s.mu, the reader holds s.mu and gives up on the lock after 50 ms
// (readKey), and as the file does not change it is never read again. Its
// ETags then differ from every other server's and from its own after a
// restart, and an If-Match from another server on this file is refused
// with 412 until the file changes.
func TestFileStoreReaderKeyNotStuckBehindOwnWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	// Just saved by the host: the first read waits for it to settle,
	// holding s.mu.
	writeConfigFile(t, path, "[agent]\nname = \"x\"\n\n[connectors.tg]\nbotToken = \"1234\"\n", 0o600)
	a := openFileStore(t, path)
	ctx := t.Context()
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := a.State(ctx); err != nil {
			t.Error(err)
		}
	})
	time.Sleep(20 * time.Millisecond) // the read is settling
	wg.Go(func() {
		if err := a.Delete(ctx, "absent"); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()

	time.Sleep(200 * time.Millisecond)
	b := openFileStore(t, path) // another server, or this one restarted
	sb, err := b.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := a.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Revision != sb.Revision {
		t.Errorf("one unchanged file: revision %q from the store that read it beside its own write, %q from another store", sa.Revision, sb.Revision)
	}
	tag := do(t, NewHandler(b, HandlerOptions{}), "GET", "/", "", nil).Header().Get("ETag")
	rec := do(t, NewHandler(a, HandlerOptions{}), "POST", "/", `{"name":"n","config":{}}`, map[string]string{"If-Match": tag})
	if rec.Code != http.StatusOK {
		t.Errorf("POST with If-Match of the current ETag from another server on the file: %d %s, want 200", rec.Code, rec.Body)
	}
}

// TestFileStoreFirstNoopWriteUsesSharedKey shows that a store whose first
// call is a write that changes nothing (here a DELETE of an absent name
// through the handler), on a host-written file with no guard file yet,
// keys its revision with its own key for good, with no concurrency at
// all: transform holds the guard file's lock when it reads the file
// (s.current), readKey finds no key and waits 50 ms for that same lock,
// then falls back to s.localKey; nothing is written, so no key reaches the
// guard file and the unchanged file is never read again. The server's
// ETags differ from those of every other server on the file and from its
// own after a restart, and an If-Match from another server is a 412.
func TestFileStoreFirstNoopWriteUsesSharedKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[agent]\nname = \"x\"\n\n[connectors.tg]\nbotToken = \"1234\"\n", 0o600)
	old := time.Now().Add(-time.Hour) // saved long ago: no settling
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	a := NewHandler(openFileStore(t, path), HandlerOptions{})
	start := time.Now()
	if rec := do(t, a, "DELETE", "/absent", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("DELETE of an absent name: %d %s", rec.Code, rec.Body)
	}
	if d := time.Since(start); d > 40*time.Millisecond {
		t.Errorf("a DELETE that changes nothing took %v", d)
	}
	tagA := do(t, a, "GET", "/", "", nil).Header().Get("ETag")
	b := NewHandler(openFileStore(t, path), HandlerOptions{}) // another server, or a restart
	tagB := do(t, b, "GET", "/", "", nil).Header().Get("ETag")
	if tagA != tagB {
		t.Errorf("one unchanged file: ETag %s from the server whose first request was a DELETE that changed nothing, %s from another", tagA, tagB)
	}
	rec := do(t, a, "POST", "/", `{"name":"n","config":{}}`, map[string]string{"If-Match": tagB})
	if rec.Code != http.StatusOK {
		t.Errorf("POST with the current ETag from another server on the file: %d %s, want 200", rec.Code, rec.Body)
	}
}

// TestFileStoreReadRefusesKeyThroughSymlinkedGuard shows that the refusal
// of a symlinked guard file holds for writes only: a read takes its
// revision key through the symlink (keyIn opens the guard file with
// openRegular, which follows it), so whoever planted the link chooses
// the key, and the ETag of the file is again a plain function of its
// bytes that can be used to test guesses of a secret offline, while
// every write on the file fails.
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

// TestFileStoreReadOnlyGuardWriteDoesNotWaitForOwnLock shows that with a
// guard file that can only be read and holds no revision key (a
// configuration lockGuard supports: it locks through a read-only open),
// every write that follows a change by someone else waits 50 ms for
// nothing, holding s.mu and the write token: transform holds the guard
// file's lock when it reads the changed file, and readKey, finding no
// key, waits for that same lock until its 50 ms timeout, then falls back
// to the store's own key, which it would have had at once.
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

// TestFileStoreRootReadLeavesUserFileWritable shows that a read by root
// (a GET, `sudo agent connectors list`) of a user's config file that has
// no guard file yet makes the guard file, owned by root with mode 0600,
// to put the revision key in (readKey), so that the user's own server can
// no longer write its file at all (every write fails to open the guard
// file) and its ETags are its own. Reads took no lock and made nothing
// before the revision was keyed; atomicfile now keeps the config file the
// user's after a root write, but the guard file beside it is root's.
func TestFileStoreRootReadLeavesUserFileWritable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
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
	asFSUser(uid, func() { err = os.WriteFile(path, []byte("[agent]\nname = \"x\"\n"), 0o600) })
	if err != nil {
		t.Fatal(err)
	}

	if _, err := openFileStore(t, path).List(t.Context()); err != nil { // root reads
		t.Fatal(err)
	}

	asFSUser(uid, func() { err = openFileStore(t, path).Put(context.Background(), "tg", Config{"botToken": "1"}) })
	if err != nil {
		t.Errorf("the user's write after root read the file: %v", err)
	}
}

// TestFileStoreGuardFileWithstandsUmask shows that under a umask that
// takes the owner's write bit (which mkdirAll makes directories withstand,
// "whatever the umask"), the guard file is made read-only (flock creates
// it 0o600 less the umask): the first write fails to open it again for
// its record, and no revision key can ever be written in it, so every
// store's revisions, and ETags, are its own: another server, or a
// restart, refuses them with 412.
func TestFileStoreGuardFileWithstandsUmask(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to check opens as another user")
	}
	const uid = 1000
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(base, uid, uid); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(base, "conf", "agent.toml")
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
		sa, err := a.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := b.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sa.Revision != sb.Revision {
			t.Errorf("two stores on one file under umask 0277 give revisions %q and %q", sa.Revision, sb.Revision)
		}
	})
}
