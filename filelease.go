// This file holds FileStore's leases: operating-system locks on files in
// a directory beside the config file.

package connectors

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gofrs/flock"

	"github.com/connectorkit/connectors/internal/atomicfile"
)

var _ Leaser = (*FileStore)(nil)

// leaseDir returns the directory of the leases of a store on path: beside
// it, named after it, as ".connectors.toml.leases". It is made absolute
// once, when the store is made, so that a change of the working directory
// does not move it; and a symlink is not followed, so that repointing one
// ("current" to a new release) does not move the leases from under their
// holders. But a path that holds ".." has its directory resolved as the
// system resolves it (see atomicfile.RealDir), as cleaning it by the
// letter gets the directory wrong after a symlink, and after the working
// directory, which $PWD may spell through one.
func leaseDir(path string) string {
	dir, base := filepath.Split(path)
	if !filepath.IsAbs(dir) {
		if wd, err := os.Getwd(); err == nil {
			dir = wd + string(filepath.Separator) + dir
		}
	}
	if strings.Contains(dir, "..") {
		if real, err := atomicfile.RealDir(dir); err == nil {
			dir = real
		}
	}
	return filepath.Join(dir, "."+base+".leases")
}

// leaseRecord is the content of a lease's record file, beside its lock.
type leaseRecord struct {
	Key    string `json:"key"`
	Holder string `json:"holder"`
	Data   []byte `json:"data,omitempty"`
}

// TryLease implements [Leaser]. A FileStore lease is an exclusive lock
// (flock, LockFileEx on Windows) on a file in a directory beside the
// config file, named after it (".connectors.toml.leases"), with a record
// file of its holder and data beside the lock. The operating system
// guarantees that one process holds it at a time among the processes of
// one machine, and frees it at once when its process ends, however it
// ends; so a FileStore lease is never lost while its process lives (Lost
// is closed by Release alone). This holds on local file systems only, not
// on a network file system, and not if the directory is deleted while
// leases are held; and among processes that open the config by one path
// (the same file through two different symlinks has two sets of leases).
func (s *FileStore) TryLease(ctx context.Context, key, holder string) (Lease, error) {
	if err := checkLeaseKey(key); err != nil {
		return nil, err
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	dir := s.leases
	base := leaseBase(dir, key)
	fl := leaseLock(base + ".lock")
	ok, err := fl.TryLock()
	if errors.Is(err, fs.ErrNotExist) {
		// No directory yet. Made where the path leads: through a
		// symlink not made yet as well (see atomicfile.RealDir), as a
		// write would.
		made := dir
		if real, rerr := atomicfile.RealDir(dir); rerr == nil {
			made = real
		}
		if err := mkdirAll(made); err != nil {
			return nil, fmt.Errorf("connectors: lease %q: %w", key, err)
		}
		giveLeaseDir(made, s.path)
		ok, err = fl.TryLock()
	}
	if err != nil {
		return nil, fmt.Errorf("connectors: lease %q: %w", key, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrLeaseHeld, key)
	}
	locked, ok := lockedFile(fl)
	if !ok {
		// Locked a file that its last holder removed as it let go: the
		// lease is someone else's file now, or will be.
		fl.Unlock()
		return nil, fmt.Errorf("%w: %q", ErrLeaseHeld, key)
	}
	// Like a guard file: mode 0600, and the config file's owner if root
	// made it, so that a holder killed before it removed the file does
	// not keep the user's own server from the lease.
	newGuard(fl.Path(), locked, s.path)
	l := &fileLease{fl: fl, path: base + ".json", rec: leaseRecord{Key: key, Holder: holder}, lost: make(chan struct{})}
	atomicfile.RemoveTemps(l.path) // left by a holder killed mid-write
	if err := l.write(); err != nil {
		fl.Unlock()
		return nil, err
	}
	return l, nil
}

// giveLeaseDir gives the directory of the leases at dir, just made, the
// owner of the config file at config, where the process may (root), as
// newGuard does the guard file: a directory of root's, mode 0700, would
// keep the user's own server from every lease.
func giveLeaseDir(dir, config string) {
	cfg, err := os.Stat(config)
	if err != nil {
		return
	}
	d, err := os.OpenFile(dir, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return
	}
	defer d.Close()
	if fi, err := d.Stat(); err == nil && fi.IsDir() {
		atomicfile.KeepOwner(d, fi, cfg)
	}
}

// leaseBase is the path of a lease's files, without their extension: a
// digest of the key, which may hold any character.
func leaseBase(dir, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, hex.EncodeToString(sum[:16]))
}

// Leases implements [Leaser]. It reads the record of each lease and tests
// its lock; a record whose lock is free is left by a process that died,
// and is removed. While it tests a lock, a TryLease of that key by
// another process can fail; the supervisor tries again.
func (s *FileStore) Leases(ctx context.Context) (map[string]LeaseInfo, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	dir := s.leases
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]LeaseInfo{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]LeaseInfo)
	for _, e := range entries {
		base, ok := strings.CutSuffix(filepath.Join(dir, e.Name()), ".json")
		if !ok {
			continue
		}
		data, err := readRegular(base + ".json")
		var rec leaseRecord
		if err != nil || json.Unmarshal(data, &rec) != nil {
			continue // gone since ReadDir, or being replaced
		}
		fl := leaseLock(base + ".lock")
		free, err := fl.TryLock()
		if err != nil {
			continue
		}
		if free {
			if _, ok := lockedFile(fl); ok { // no holder can be writing them now
				os.Remove(base + ".json")
				os.Remove(base + ".lock")
			}
			fl.Unlock()
			continue
		}
		out[rec.Key] = LeaseInfo{Holder: rec.Holder, Data: rec.Data}
	}
	return out, nil
}

// usable returns an error if the store is closed or ctx is done.
func (s *FileStore) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// A fileLease is a held FileStore lease.
type fileLease struct {
	mu       sync.Mutex
	fl       *flock.Flock
	path     string
	rec      leaseRecord
	lost     chan struct{}
	released bool
}

func (l *fileLease) Lost() <-chan struct{} { return l.lost }

func (l *fileLease) Set(ctx context.Context, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return errLeaseGone
	}
	l.rec.Data = bytes.Clone(data)
	return l.write()
}

func (l *fileLease) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	l.released = true
	close(l.lost)
	os.Remove(l.path)
	os.Remove(l.fl.Path()) // while locked: see lockedFile
	return l.fl.Unlock()
}

// lockedFile returns the stat of the file fl has locked, and whether it
// is a regular file and still the one at its path. A holder removes its lock file before it unlocks it (so
// that lock files do not pile up); whoever locks the removed file after
// that holds nothing.
func lockedFile(fl *flock.Flock) (fs.FileInfo, bool) {
	held, err := fl.Stat()
	return held, err == nil && held.Mode().IsRegular() && stillAt(held, fl.Path())
}

// leaseLock returns the lock of a lease's lock file at path, which it
// opens without blocking: a FIFO put there would block the open until a
// writer came (lockedFile refuses it once locked); and not through
// a symlink, which whoever may write in the directory (the config file's
// owner) could point at a file of root's for root's server to create.
func leaseLock(path string) *flock.Flock {
	return flock.New(path, flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDWR|nonBlock|noFollow))
}

// readRegular reads the regular file at path (see openRegular), not
// through a symlink.
func readRegular(path string) ([]byte, error) {
	f, _, err := openRegular(path, noFollow)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// write replaces the record file. A status need not survive a crash (the
// lease does not), so it is renamed into place without a sync.
func (l *fileLease) write() error {
	data, err := json.Marshal(l.rec)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(l.path), atomicfile.TempPattern(l.path))
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), l.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("connectors: lease %q: %w", l.rec.Key, err)
	}
	return nil
}
