//go:build linux

package connectors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

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
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte(`"one"`)) + 1
	if at == 0 {
		t.Fatalf("the file is not as the test expects:\n%s", b)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("two"), int64(at)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
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
