//go:build unix

package connectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
	if err := waitUnblocked(t, done, "List on a FIFO", path); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("List on a FIFO = %v, want a not-a-regular-file error", err)
	}
}

// waitUnblocked returns what done yields within 3 seconds. If nothing
// comes, it lets opens blocked on the FIFOs go (a writer comes and
// leaves), and fails the test: what was blocked on them.
func waitUnblocked(t *testing.T, done <-chan error, what string, fifos ...string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(3 * time.Second):
	}
	for _, name := range fifos {
		if f, err := os.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
	}
	t.Fatalf("%s still blocked on a FIFO after 3s", what)
	return nil
}

// TestFileStoreFIFOSwappedIn: a FIFO put in the file's place while the
// store waits for an in-place save to settle is refused, not opened and
// waited on with the store locked.
func TestFileStoreFIFOSwappedIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	s := openFileStore(t, path)
	if _, err := s.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Emptied in place: the store waits up to a second for the save.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.List(context.Background()); done <- err }()
	time.Sleep(50 * time.Millisecond)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := waitUnblocked(t, done, "List with a FIFO swapped in", path); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("List with a FIFO swapped in = %v, want a not-a-regular-file error", err)
	}
}

// TestReadDoesNotHangOnFIFOGuardFile: reads take no lock, but a read of a
// file new to the store opens the guard file to look for a write record.
// A FIFO there that a program holds open for writing must not block that
// read, with the store's lock held, until the program writes or closes it.
func TestReadDoesNotHangOnFIFOGuardFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	if err := syscall.Mkfifo(path+".lock", 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r, err := os.OpenFile(path+".lock", os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := os.OpenFile(path+".lock", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := openFileStore(t, path)
	defer s.Close()
	done := make(chan error, 1)
	go func() { _, err := s.List(context.Background()); done <- err }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		w.Close() // the writer leaves: the read sees end of file
		<-done
		t.Fatal("List of a new config file blocked for 3s on a FIFO guard file held open by a writer")
	}
}

// TestWriteDoesNotHangOnFIFOGuardFile: a write locks the guard file
// beside the config. A FIFO there must not block the write until some
// program opens it for writing; the write fails at once, saying why, as
// for a config file that is not a regular file.
func TestWriteDoesNotHangOnFIFOGuardFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	if err := syscall.Mkfifo(path+".lock", 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	s := openFileStore(t, path)
	defer s.Close()
	done := make(chan error, 1)
	go func() { done <- s.Put(context.Background(), "b", Config{"token": "2"}) }()
	if err := waitUnblocked(t, done, "Put with a FIFO guard file", path+".lock"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Put with a FIFO guard file = %v, want a not-a-regular-file error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "[connectors.a]\ntoken = \"1\"\n" {
		t.Errorf("the config file changed:\n%s", b)
	}
}

// TestLeasesDoNotHangOnFIFOs: a FIFO among a store's lease files, as a
// lease's record or as its lock, must not block Leases or TryLease until
// some program opens it for writing; they go on without that lease.
func TestLeasesDoNotHangOnFIFOs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	s := openFileStore(t, path)
	ctx := t.Context()
	l, err := s.TryLease(ctx, "held", "me")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if err := syscall.Mkfifo(leaseBase(s.leases, "record")+".json", 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := syscall.Mkfifo(leaseBase(s.leases, "lock")+".lock", 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() {
		got, err := s.Leases(ctx)
		if err == nil && got["held"].Holder != "me" {
			err = fmt.Errorf("Leases = %v, want the held lease", got)
		}
		done <- err
	}()
	go func() {
		if _, err := s.TryLease(ctx, "lock", "me"); err == nil {
			done <- errors.New("TryLease of a key whose lock file is a FIFO succeeded")
			return
		}
		done <- nil
	}()
	for range 2 {
		if err := waitUnblocked(t, done, "Leases or TryLease", leaseBase(s.leases, "record")+".json", leaseBase(s.leases, "lock")+".lock"); err != nil {
			t.Error(err)
		}
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
