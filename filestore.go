// This file holds FileStore: connectors kept in the host's config file.

package connectors

import (
	"bytes"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/connectorkit/connectors/internal/atomicfile"
	"github.com/gofrs/flock"
)

// ErrInvalidFile means a FileStore's file could not be parsed, or its
// connectors or channels table does not hold connectors. The file is left
// as it is: every write is refused until it is fixed.
var ErrInvalidFile = errors.New("invalid config file")

// ErrTooLarge means a write would make the store larger than its limit;
// nothing was stored.
var ErrTooLarge = errors.New("store size limit reached")

// DefaultMaxFileBytes is the largest file a FileStore's write may leave
// when [FileOptions.MaxFileBytes] is zero: 16 MiB.
const DefaultMaxFileBytes = 16 << 20

// FileOptions configures [NewFileStore]. The zero value is a safe default.
type FileOptions struct {
	// PollInterval is how often a FileStore with watchers checks its file
	// for changes made outside this store. Zero means 250ms.
	PollInterval time.Duration

	// Validate, if set, is called with each connector a write adds or
	// changes (name and normalized config), through every method and the
	// Handler; an error refuses the write, which then stores nothing and
	// returns the error wrapped with ErrInvalidConfig. Its message may
	// reach HTTP clients: it should name what is wrong, not quote values.
	Validate func(name string, cfg Config) error

	// MaxFileBytes is the largest file a write may leave; a write that
	// would grow the file past it fails with an error wrapping
	// ErrTooLarge. Writes that shrink the file always pass. Zero means
	// DefaultMaxFileBytes.
	MaxFileBytes int64
}

// FileStore is a Store kept in one file chosen by the host: TOML when the
// name ends in ".toml", JSON5 (a superset of JSON) when it ends in ".json"
// or ".json5". Create it with [NewFileStore]; the zero value is not usable.
//
// Connectors live under the file's top-level "connectors" table; every other
// key in the file belongs to the host. The file is edited, not rewritten:
// a write changes only the bytes of the connectors it changes, and every
// other byte (comments, blank lines, order, quoting, a byte-order mark,
// CRLF line endings) stays as it was. New values are written in strict
// JSON in a JSON file, so a strict JSON file stays strict. The legacy top-level "channels"
// table is read too: List returns the union of both, "connectors" winning a
// name present in both. Delete removes the name from both tables, and no
// write drops anything else from "channels".
//
// A missing file is an empty store; the file (mode 0600) and its directory
// (mode 0700) are created by the first write. Every write re-reads the file
// under a lock and replaces it atomically, so a reader sees the old file or
// the new one, never a mix. A file that does not parse makes every call
// return an error wrapping [ErrInvalidFile], and is never overwritten. A
// path that is not a regular file (a directory, a FIFO) is refused at once.
//
// A FileStore is safe for concurrent use, also by several processes on one
// file: every write takes a lock on a guard file beside it (the file's name
// plus ".lock", left in place, which records the file the last write put
// in place), reads the file as it is on disk under the lock, applies its
// change and replaces the file. The file is the one the system finds
// through the symlinks and ".." of the path, so stores on different
// spellings of one file share its lock; a write fails, writing nothing,
// if the path leads to another file during it, or the guard file it
// holds is removed. Reads take no lock.
// Temporary files that a killed writer leaves (".name.tmp-*") are never
// read and are removed by the first write of the next store. Leases (see
// [FileStore.TryLease]) live in a directory beside the file,
// ".name.leases", made at the first lease.
//
// Reads see the file as it is now, cheaply: a file whose size,
// modification time and identity are unchanged is not read again, except
// shortly after a change, when coarse file system clocks could hide an
// edit and the bytes are compared. Where the system gives inode numbers
// (not on Windows), the store that wrote the file skips that too while
// no store has written since: its write sets the file's modification
// time just below the system's stamp, which any later change moves. (A change that does not move the time at all, such as a
// write through a shared memory mapping of a file on tmpfs, is seen only
// where the bytes are compared.) Bytes read while the file's size or time
// changes are not taken. A file changed in place (an editor that empties
// it, then writes it) is read once it has been still for 100ms, or for a
// second if it was emptied, and so is a file new to the store that was
// not renamed into place whole, so that neither a read nor a write takes
// a file in the middle of such a save for the host's; reads and writes
// of the store wait meanwhile. A save that leaves the file
// empty for longer can still lose to a write; a save by rename cannot.
// The revision (see [Versioned]) is a digest of the file's bytes, keyed
// so that a client cannot test guesses of a secret against the ETag made
// from it. The first store to read or write the file puts a random key
// in its guard file (making the guard file if need be), so every store
// on the file agrees on the revision; where none can (the directory
// cannot be written in, the guard file is read-only, or others than its
// owner can read it and the store cannot make it private), each store's
// revisions are its own, and an ETag is valid only on the server that
// gave it. A guard file that is a symlink is refused (writes fail), and
// one with a second name (a hard link) is not written into, so that
// nothing is written into another file. A guard file removed takes
// its key with it: stores that read the old key give other ETags than
// the rest until the file changes and they read it again. Watch notices
// changes by other processes and by hand within the poll interval.
type FileStore struct {
	path  string
	codec codec
	opts  FileOptions

	writing chan struct{} // one token: held by the writer of this process

	mu     sync.Mutex // guards known and closed
	known  *fileState // the file as last read or written; nil before
	closed bool

	swept bool // stale temp files removed; by the writer only

	leases string // the directory of the leases: see leaseDir

	localKey []byte     // the store's own revision key: see readKey
	held     *heldGuard // the guard file while a write of the store holds it; guarded by mu
	keyTried time.Time  // when a read last tried for a shared key; guarded by mu

	hub Hub
}

var (
	_ Updater   = (*FileStore)(nil)
	_ Versioned = (*FileStore)(nil)
	_ Watcher   = (*FileStore)(nil)
)

// fileState is the file's state as read or written at one moment. It is
// never changed once made.
type fileState struct {
	state  State
	fi     fs.FileInfo      // nil: there was no file
	data   []byte           // the file's bytes
	parsed any              // the codec's parsed form of data, if known; read only
	broken map[string]error // connectors whose configs the value model cannot hold
	readAt time.Time
	// record is the guard file's record of this store's write of fi, if
	// fi's modification time was set below the system's stamp of it (see
	// atomicfile.WriteFile and recordWrite). While the guard file still
	// holds it, no store has written since, and any other change to the
	// file has moved its time; so a stat equal to fi shows the file
	// unchanged even within the racy window. (Files of two stores' writes
	// within one tick of a coarse clock can have the same stat: ext4
	// reuses inode numbers at once.)
	record string
	guard  string // the guard file that holds record
	// localKey reports that the revision is keyed by the store's own key
	// (see readKey).
	localKey bool
}

// NewFileStore returns a FileStore on path, which must end in ".toml",
// ".json" or ".json5". The file need not exist. NewFileStore does not touch the disk.
func NewFileStore(path string, opts FileOptions) (*FileStore, error) {
	var c codec
	switch strings.ToLower(filepath.Ext(path)) {
	case ".toml":
		c = tomlCodec{}
	case ".json", ".json5":
		c = jsonCodec{}
	default:
		return nil, fmt.Errorf("connectors: config file %s: unknown format, want a .toml, .json or .json5 file", path)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	s := &FileStore{path: path, codec: c, opts: opts, writing: make(chan struct{}, 1), leases: leaseDir(path), localKey: newKey()}
	s.hub.Poll = s.poll
	return s, nil
}

// Path returns the path the store was created with.
func (s *FileStore) Path() string { return s.path }

// Close ends the store's watchers and its poller. Calls after Close
// return an error wrapping [ErrClosed]. Close does not touch the file
// and always returns nil. Leases taken through the store stay held until
// they are released or the process ends (a Supervisor releases its own
// when its Run returns).
func (s *FileStore) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.hub.Close()
	return nil
}

// List implements [Store].
func (s *FileStore) List(ctx context.Context) (map[string]Config, error) {
	return list(ctx, s)
}

// Get implements [Store]. A connector in the file whose config the value
// model cannot hold (a NaN, an integer beyond int64) is an error wrapping
// [ErrInvalidFile] that names the file and the path; List and State leave
// it out, and Put and Delete replace or remove it.
func (s *FileStore) Get(ctx context.Context, name string) (Config, error) {
	cfg, err := get(ctx, s, name)
	if errors.Is(err, ErrNotFound) {
		name, _ = CheckName(name) // valid: get found none by it
		if k, kerr := s.current(); kerr == nil && k.broken[name] != nil {
			return nil, k.broken[name]
		}
	}
	return cfg, err
}

// Put implements [Store].
func (s *FileStore) Put(ctx context.Context, name string, cfg Config) error {
	return put(ctx, s, name, cfg)
}

// Delete implements [Store].
func (s *FileStore) Delete(ctx context.Context, name string) error {
	return del(ctx, s, name)
}

// Update implements [Updater]. fn is called as [FileStore.Edit] calls
// its function.
func (s *FileStore) Update(ctx context.Context, fn func(map[string]Config) error) error {
	return UpdateByEdit(ctx, s, fn)
}

// State implements [Versioned].
func (s *FileStore) State(ctx context.Context) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	k, err := s.current()
	if err != nil {
		return State{}, err
	}
	return k.state, nil
}

// Watch implements [Watcher]. While anyone watches, a goroutine checks the
// file every poll interval; it ends with the last subscription. A file
// that does not parse (an editor half-way through saving) yields no events;
// the next good version does. Events start from the file as it is when
// Watch is called.
func (s *FileStore) Watch(ctx context.Context) iter.Seq[Event] {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Look at the file now, under the lock that publishing takes, so that
	// a change made before this call reaches only the watchers before it.
	s.refreshLocked()
	return s.hub.Watch(ctx)
}

// poll checks the file until quit is closed. Changes it finds reach the
// watchers through current.
func (s *FileStore) poll(quit <-chan struct{}) {
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
			s.current() // errors: a bad file is retried next tick
		}
	}
}

// current returns the file's state now, reading the file only if its
// stat shows it may have changed since it was last read or written. A
// change it finds is published to watchers.
func (s *FileStore) current() (*fileState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked()
}

// refreshLocked is current with s.mu held.
func (s *FileStore) refreshLocked() (*fileState, error) {
	if s.closed {
		return nil, ErrClosed
	}
	fi, err := s.stat()
	if err != nil {
		return nil, err
	}
	k := s.known
	if k != nil && s.unchanged(k, fi) {
		k = s.sharedKeyLocked()
		if now := time.Now(); fi != nil && now.Sub(fi.ModTime()) > racyWindow(fi.ModTime()) && k.readAt.Sub(fi.ModTime()) <= racyWindow(fi.ModTime()) {
			// Shown unchanged by the write's record, and now out of the
			// racy window: from here on the stat alone shows it, without
			// reading the record on every call.
			next := *k
			next.readAt = now
			s.known = &next
			return s.known, nil
		}
		return k, nil
	}
	// Decide whether the file may be read now, read it, and decide again
	// if what was read is not the file decided on (changed in between);
	// once only, as a writer that keeps changing it would never let a
	// read happen. Bytes read while the file visibly changed are not taken:
	// they may be half of one version and half of another; the file is
	// judged again, or, the second time, the read fails.
	var data []byte
	for again := true; ; again = false {
		switch {
		case fi == nil || s.writtenWhole(fi):
			// Gone, or put in place whole by a store's write.
		case k != nil && sameFile(k.fi, fi):
			// Unchanged, read again within the racy window.
		default:
			// Changed in place, or new to the store: perhaps in the
			// middle of a save.
			fi = s.settle(fi, k != nil && len(k.data) > 0)
		}
		var got fs.FileInfo
		var changed bool
		if data, got, changed, err = s.read(); err != nil {
			return nil, err
		}
		if changed {
			if !again {
				return nil, fmt.Errorf("connectors: read config file: %s changed while it was read", s.path)
			}
			if fi, err = s.stat(); err != nil {
				return nil, err
			}
			continue
		}
		decided := sameFile(got, fi)
		if fi = got; decided || !again {
			break
		}
	}
	now := time.Now()
	if k != nil && bytes.Equal(data, k.data) {
		s.known = &fileState{state: k.state, fi: fi, data: k.data, parsed: k.parsed, broken: k.broken, readAt: now, localKey: k.localKey}
		return s.sharedKeyLocked(), nil
	}
	parsed, m, broken, err := s.parse(data)
	if err != nil {
		return nil, err
	}
	key, shared := []byte(nil), true // an empty file's revision needs none
	if len(data) > 0 {
		key, shared = s.readKey(fi)
	}
	s.setKnownLocked(&fileState{state: State{Revision: revision(key, data), Connectors: m}, fi: fi, data: data, parsed: parsed, broken: broken, readAt: now, localKey: !shared})
	return s.known, nil
}

// sharedKeyLocked returns s.known, with s.mu held, keyed again by the
// shared revision key if it was keyed by the store's own, which no other
// store knows, and a shared one can be had now (see readKey): tried at
// once where a write of the store holds the lock, else once a second at
// most.
func (s *FileStore) sharedKeyLocked() *fileState {
	k := s.known
	if !k.localKey || s.held == nil && time.Since(s.keyTried) < time.Second {
		return k
	}
	if key, shared := s.readKey(k.fi); shared {
		next := *k
		next.state.Revision, next.localKey = revision(key, k.data), false
		s.known = &next
	}
	return s.known
}

// unchanged reports whether the file, whose stat is fi now, is still the
// one k holds, without reading it: a stat equal to k's shows it where a
// change since would have moved the stat. That holds for no file; for a
// file k read long enough after its last change that a coarse clock
// could not hide another (see racyWindow); and for a file this store
// wrote with its time set below the system's stamp, while the guard file
// still holds its record: no store has written since, and any other
// change moved the time (see fileState.record).
func (s *FileStore) unchanged(k *fileState, fi fs.FileInfo) bool {
	switch {
	case !sameFile(k.fi, fi):
		return false
	case fi == nil, k.readAt.Sub(fi.ModTime()) > racyWindow(fi.ModTime()):
		return true
	}
	if k.record == "" {
		return false
	}
	// Through the descriptor of the store's own write, if one holds the
	// guard file now, rather than open it again.
	if g := s.held; g != nil && g.path == k.guard {
		return recordAt(g.f) == k.record
	}
	return lastRecord(k.guard) == k.record
}

// settleTime is how long a file changed in place must have been still
// before it is read: an editor that saves in place (nano, `cat >`)
// empties the file and then writes it, and a read in between would take
// it for empty or cut short, report its connectors removed, and let a
// write replace the host's whole file with what it read; a file first
// read empty may be in the middle of such a save too. A file found empty
// where there were bytes waits for emptySettleTime, as emptying a config
// file on purpose is rare and a write over a half-saved one loses
// everything. A file new to the store (seen for the first time, or put
// in the place of the one it knew) waits for settleTime too, unless the
// guard file records it as a store's write (see writtenWhole): it may
// have been created and be in the middle of being written. A file last
// written longer ago than settleTime is read at once.
const (
	settleTime      = 100 * time.Millisecond
	emptySettleTime = time.Second
)

// settle waits, with s.mu held, until the file fi is the stat of has
// been still for settleTime (emptySettleTime if it is empty and had
// bytes), or has been removed or replaced whole; never longer than
// emptySettleTime in all. It returns the file's last stat. Still means
// unchanged since a stat taken that long ago, or, where the file system
// keeps fine times, not modified for that long by its clock.
func (s *FileStore) settle(fi fs.FileInfo, hadBytes bool) fs.FileInfo {
	start := time.Now()
	seen := start // when fi was first seen as it is
	for {
		still := settleTime
		if fi.Size() == 0 && hadBytes {
			still = emptySettleTime
		}
		// A time in whole seconds may be a coarse clock's, up to two
		// seconds behind the last write.
		old := still
		if fi.ModTime().Nanosecond() == 0 {
			old += 2 * time.Second
		}
		now := time.Now()
		if now.Sub(seen) >= still || now.Sub(start) >= emptySettleTime || now.Sub(fi.ModTime()) >= old {
			return fi
		}
		time.Sleep(10 * time.Millisecond)
		next, err := s.stat()
		if err != nil || next == nil || s.writtenWhole(next) {
			return next // gone, or replaced whole: read what is there
		}
		if !sameFile(fi, next) {
			seen = time.Now()
		}
		fi = next
	}
}

// setKnownLocked records k as the file's state and tells watchers what
// changed. The caller holds s.mu.
func (s *FileStore) setKnownLocked(k *fileState) {
	var old map[string]Config
	if s.known != nil {
		old = s.known.state.Connectors
	}
	s.known = k
	s.hub.Publish(old, k.state.Connectors)
}

// revision is the revision of a file's bytes: their HMAC-SHA-256 under
// key, shortened; an empty file's, their plain SHA-256. It is keyed, as
// the ETag is made from it: a file can hold nothing but what a client
// sees redacted and a weak secret (a four-digit password), which a plain
// digest would let the client find by trying candidates offline. The key
// is in the guard file, so that every store on the file agrees on the
// revision (see readKey and writeKey).
func revision(key, data []byte) string {
	var sum []byte
	if len(data) == 0 {
		s := sha256.Sum256(data)
		sum = s[:]
	} else {
		mac := hmac.New(sha256.New, key)
		mac.Write(data)
		sum = mac.Sum(nil)
	}
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// keyLen is the length of a revision key, in bytes. The guard file holds
// it in hexadecimal after the record of the last write (see
// recordWrite), with a line break.
const keyLen = 32

// newKey returns a new revision key.
func newKey() []byte {
	key := make([]byte, keyLen)
	crand.Read(key) // never fails (crypto/rand's promise since Go 1.24)
	return key
}

// keyIn returns the revision key that the guard file at path holds, nil
// if it holds none, or if others than its owner can read it, or if its
// owner is neither the process's user nor the owner of the config file,
// whose stat is config: whoever made it knows the key.
func keyIn(path string, config fs.FileInfo) []byte {
	f, fi, err := openRegular(path, noFollow)
	if err != nil {
		return nil
	}
	defer f.Close()
	if !private(fi) || !trusted(fi, config) {
		return nil
	}
	return keyAt(f)
}

// keyAt returns the revision key that the guard file f holds, nil if it
// holds none.
func keyAt(f *os.File) []byte {
	buf := make([]byte, 2*keyLen)
	if _, err := f.ReadAt(buf, recordLen); err != nil {
		return nil
	}
	key := make([]byte, keyLen)
	if _, err := hex.Decode(key, buf); err != nil {
		return nil
	}
	return key
}

// readKey returns, with s.mu held, the revision key for a read of the
// file, whose stat is config, and whether it is shared: the one its guard file
// holds; if it holds none (no store has written the file yet), a new one
// the store writes into it, making the guard file if need be, under its
// lock (through the descriptor of the store's own write, if one holds the
// lock now); and if the store cannot (the directory cannot be written
// in, or another holds the lock for more than a moment), the store's
// own, which makes its revisions its own until it gets a shared one (see
// refreshLocked).
func (s *FileStore) readKey(config fs.FileInfo) (key []byte, shared bool) {
	s.keyTried = time.Now()
	target, err := atomicfile.Resolve(s.path)
	if err != nil {
		return s.localKey, false
	}
	guard := target + ".lock"
	if s.held != nil && guard == s.held.path {
		return s.writeKey(s.held, config)
	}
	if key := keyIn(guard, config); key != nil {
		return key, true
	}
	// Not for long: s.mu is held, which a writer of this store in another
	// goroutine may be waiting for with the lock.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	g, err := holdGuard(ctx, guard, target)
	if err != nil {
		return s.localKey, false
	}
	defer g.Close()
	return s.writeKey(g, config)
}

// writeKey returns the revision key through the guard file g, held, of
// the config file whose stat is config (nil: none), and whether it is
// shared: the one g holds, else a new one written into it (if it can be
// written), else the store's own; the store's own too where g can be
// read by others than its owner and the store cannot make it private, or
// belongs to someone else (see keyIn). It reads g every time: a guard
// file removed and made again can come back under the same inode number,
// with another key.
func (s *FileStore) writeKey(g *heldGuard, config fs.FileInfo) ([]byte, bool) {
	if !trusted(g.info, config) {
		return s.localKey, false
	}
	// The key is a secret: it is taken, or written, only where the guard
	// file is for its owner alone. One that others could read is made so
	// if the store may, and gets a new key: the old one may have been
	// read.
	exposed := !private(g.info)
	if exposed && (!g.writable || g.f.Chmod(g.info.Mode().Perm()&^0o077) != nil) {
		return s.localKey, false
	}
	if key := keyAt(g.f); key != nil && !exposed {
		return key, true
	}
	if g.writable {
		key := newKey()
		if _, err := g.f.WriteAt([]byte(hex.EncodeToString(key)+"\n"), recordLen); err == nil {
			return key, true
		}
	}
	return s.localKey, false
}

// concurrentDigest is the size from which a write makes the file's
// digest beside its sync rather than before it: below it, hashing takes
// less time than starting the goroutine. Measured on a two-core virtual
// machine: a go statement right after a sync took 31 us before the new
// goroutine ran; SHA-256 hashed 48 KB in 30 us.
const concurrentDigest = 48 << 10

// racyWindow is how long after a file's modification time its size, time
// and identity cannot be trusted to show a change: an in-place rewrite
// within one tick of the file system's clock leaves all three alone.
// Within the window, reads compare the bytes. File systems that keep
// whole seconds (FAT keeps two) get a window of two seconds; the others
// tick in milliseconds at most.
func racyWindow(mtime time.Time) time.Duration {
	if mtime.Nanosecond() == 0 {
		return 2 * time.Second
	}
	return 100 * time.Millisecond
}

// sameFile reports whether two stats (nil: no file) show the same file
// unchanged.
func sameFile(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && os.SameFile(a, b)
}

// stat returns the file's stat, nil if there is no file. A path that is
// not a regular file is an error, before anything opens it: opening a
// FIFO would block until a writer came.
func (s *FileStore) stat() (fs.FileInfo, error) {
	fi, err := os.Stat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("connectors: read config file: %w", err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("connectors: config file %s is not a regular file", s.path)
	}
	return fi, nil
}

// isFileAt reports whether fi, the stat of the file at path (nil: no
// file), is the file at target now, itself: a symlink put there since is
// not it. Where there is no file, at path or at target, it reports
// whether path still leads to target: a symlinked directory on the way
// repointed to another where the file is missing too would otherwise go
// unseen, and the write land where path no longer leads.
func isFileAt(fi fs.FileInfo, path, target string) bool {
	now, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		if fi != nil {
			return false
		}
		t, err := atomicfile.Resolve(path)
		return err == nil && t == target
	}
	return err == nil && sameFile(fi, now)
}

// leadsTo reports whether path still leads to the file whose stat is fi
// (nil: none, which isFileAt checks), through every link on the way.
func leadsTo(path string, fi fs.FileInfo) bool {
	if fi == nil {
		return true
	}
	via, err := os.Stat(path)
	return err == nil && sameFile(fi, via)
}

// openRegular opens the file at path for reading, without blocking (a
// FIFO put there would block the open until a writer came), and returns
// it with its stat. A file that is not regular is an error. flag adds
// open flags: noFollow for the guard file.
func openRegular(path string, flag int) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock|flag, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// read returns the file's bytes and the stat of the file read, taken
// before its bytes; a missing file reads as nil, nil. changed reports
// that the bytes are not those of the file the stat describes: the file
// changed while it was read (truncated, say), as a second stat after the
// bytes, or their number, shows.
func (s *FileStore) read() (data []byte, fi fs.FileInfo, changed bool, err error) {
	f, fi, err := openRegular(s.path, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("connectors: read config file: %w", err)
	}
	defer f.Close()
	var b bytes.Buffer
	b.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := b.ReadFrom(f); err != nil {
		return nil, nil, false, fmt.Errorf("connectors: read config file: %w", err)
	}
	after, err := f.Stat()
	if err != nil {
		return nil, nil, false, fmt.Errorf("connectors: read config file: %w", err)
	}
	return b.Bytes(), fi, int64(b.Len()) != fi.Size() || !sameFile(fi, after), nil
}

// parse decodes the file's bytes: the codec's parsed form of them, their
// connectors, and the connectors they hold that the value model cannot (a
// NaN, an integer beyond int64), each with an error naming the file and
// the path. Those are left out of the connectors, so that one bad value
// does not take the others down; they can still be replaced or deleted.
func (s *FileStore) parse(data []byte) (any, map[string]Config, map[string]error, error) {
	m := make(map[string]Config)
	if len(data) == 0 {
		return nil, m, nil, nil
	}
	doc, parsed, err := s.codec.decode(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w %s: %w", ErrInvalidFile, s.path, err)
	}
	broken := make(map[string]error)
	for _, table := range []string{"channels", "connectors"} {
		if err := readTable(doc, table, m, broken); err != nil {
			// %v, not %w: a bad value in the file is the file's fault,
			// not an invalid config from the caller.
			return nil, nil, nil, fmt.Errorf("%w %s: %v", ErrInvalidFile, s.path, err)
		}
	}
	for name, err := range broken {
		broken[name] = fmt.Errorf("%w %s: %v", ErrInvalidFile, s.path, err)
	}
	return parsed, m, broken, nil
}

// readTable adds the connectors of doc's top-level table to m, and those
// whose config is outside the value model to broken (a later table's
// entry replacing an earlier one's in both).
func readTable(doc map[string]any, table string, m map[string]Config, broken map[string]error) error {
	v, ok := doc[table]
	if !ok {
		return nil
	}
	t, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s is not a table", table)
	}
	for name, v := range t {
		if n, err := CheckName(name); err != nil || n != name {
			return fmt.Errorf("%s: a connector name is invalid", table)
		}
		raw, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s.%s is not a table", table, name)
		}
		cfg, err := normalizeConfig(raw, table+"."+name)
		if err != nil {
			delete(m, name)
			broken[name] = err
			continue
		}
		delete(broken, name)
		m[name] = cfg
	}
	return nil
}

// Edit implements [Versioned]. fn is called on the file as it is under
// the write lock; when the file's directory does not exist yet, also once
// before, on the empty store, so that a change of nothing creates
// nothing.
func (s *FileStore) Edit(ctx context.Context, fn func(State) (map[string]Config, error)) (State, error) {
	k, err := s.transform(ctx, func(k *fileState) (*fileState, error) {
		changes, err := fn(k.state)
		if err != nil {
			return nil, err
		}
		next, changed, err := ApplyChanges(k.state.Connectors, changes, s.opts.Validate)
		if err != nil {
			return nil, err
		}
		// A connector the file holds but the value model cannot is not in
		// the state, so ApplyChanges sees nothing to change: the file
		// still must, to replace or delete it.
		broken := maps.Clone(k.broken)
		for name := range changes {
			if _, ok := broken[name]; ok {
				delete(broken, name)
				if !slices.Contains(changed, name) {
					changed = append(changed, name)
				}
			}
		}
		if len(changed) == 0 {
			return nil, nil
		}
		data, parsed := k.data, k.parsed
		tc, whole := s.codec.(tableCodec)
		if whole = whole && len(changed) > manyChanges; whole {
			changes := make(map[string]Config, len(changed))
			for _, name := range changed {
				changes[name] = next[name] // nil: removed
			}
			if data, parsed, err = tc.setTable(data, parsed, "connectors", changes); err != nil {
				return nil, err
			}
		}
		for _, name := range changed {
			if !whole {
				if data, parsed, err = s.codec.set(data, parsed, "connectors", name, next[name]); err != nil {
					return nil, err
				}
			}
			if _, ok := next[name]; !ok {
				// A removal removes the name from the legacy table too.
				if data, parsed, err = s.codec.set(data, parsed, "channels", name, nil); err != nil {
					return nil, err
				}
			}
		}
		if int64(len(data)) > s.opts.MaxFileBytes && len(data) > len(k.data) {
			return nil, fmt.Errorf("%w: the file would be larger than %d bytes", ErrTooLarge, s.opts.MaxFileBytes)
		}
		return &fileState{state: State{Connectors: next}, data: data, parsed: parsed, broken: broken}, nil // transform sets the revision
	})
	if err != nil {
		return State{}, err
	}
	return k.state, nil
}

// manyChanges is how many connectors a write changes before a TOML file
// is edited for all of them at once instead of one by one: each edit
// makes a new copy of the file, so editing thousands one by one (a host
// seeding a store with Update) would take time that grows with their
// square.
const manyChanges = 16

// transform is the store's one write path, a read-modify-write of the
// file's bytes under its locks, in the spirit of lockedfile.Transform:
// it takes this process's write token and the OS lock on the guard file
// (both given up if ctx ends first), reads the file as it is on disk, and
// replaces it with the file fn returns for it (nil: write nothing). It
// returns the file's state after. If ctx ends before the replacement,
// nothing is written and transform returns ctx.Err().
func (s *FileStore) transform(ctx context.Context, fn func(*fileState) (*fileState, error)) (*fileState, error) {
	select {
	case s.writing <- struct{}{}:
		defer func() { <-s.writing }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// The lock sits on a guard file beside the config, never on the
	// config itself: a rename replaces the config's inode, and a lock on
	// the old inode would guard nothing. Beside the file the path leads
	// to, through symlinks, so that stores opened on a link and on its
	// target share one lock; the write replaces that file, wherever the
	// path leads meanwhile.
	target, err := atomicfile.Resolve(s.path)
	if err != nil {
		return nil, fmt.Errorf("connectors: config file: %w", err)
	}
	guardPath := target + ".lock"
	g, err := holdGuard(ctx, guardPath, target)
	if errors.Is(err, fs.ErrNotExist) {
		// No directory, so no file and no lock to take yet: a change of
		// nothing must not create them.
		k, kerr := s.current()
		if kerr != nil {
			return nil, kerr
		}
		if next, ferr := fn(k); ferr != nil || next == nil {
			return k, ferr
		}
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		if merr := mkdirAll(filepath.Dir(target)); merr != nil {
			return nil, fmt.Errorf("connectors: create config directory: %w", merr)
		}
		g, err = holdGuard(ctx, guardPath, target)
	}
	if err != nil {
		return nil, err
	}
	defer g.Close()
	// Lent to reads of the file made under the lock (current, below), so
	// that they take the key through it rather than wait for this lock.
	s.mu.Lock()
	s.held = g
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.held = nil
		s.mu.Unlock()
	}()
	recording := g.writable && haveFileID
	if !s.swept {
		// Once per store is enough: a killed writer's leftovers are
		// harmless, and listing the directory on every write is not free.
		atomicfile.RemoveTemps(target)
		s.swept = true
	}
	// The file as it is under the lock: another process, or a person
	// with an editor, may have changed it since it was last read.
	k, err := s.current()
	if err != nil {
		return nil, err
	}
	// It must be the file the lock guards: the path may lead to another
	// now (a symlinked directory repointed), whose writers take another
	// lock.
	if !isFileAt(k.fi, s.path, target) {
		return nil, fmt.Errorf("connectors: write config file: %s led to another file, or changed, during the write; nothing was written", s.path)
	}
	next, err := fn(k)
	if err != nil || next == nil {
		return k, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The digest of a large file takes as long as a good part of the
	// sync, which leaves the CPU idle: it is made meanwhile. That of a
	// small file is made at once (see concurrentDigest).
	s.mu.Lock() // as a read lent g may write a key meanwhile
	key, shared := s.writeKey(g, k.fi)
	s.mu.Unlock()
	next.localKey = !shared
	rev := make(chan string, 1)
	if len(next.data) < concurrentDigest {
		rev <- revision(key, next.data)
	} else {
		go func() { rev <- revision(key, next.data) }()
	}
	// The record of the write goes in before the rename, of the file
	// renamed: a stat after it could be of a save in place begun since.
	// The time is set below the system's stamp only where the write is
	// recorded: a store trusts its stamped write while the record is its
	// own, and another's stamped write under the same inode number and
	// in the same tick of a coarse clock would have the same stat.
	placing := func(fi fs.FileInfo, stamped bool) error {
		next.fi = fi
		if !stillAt(g.info, guardPath) {
			return fmt.Errorf("the guard file %s was removed or replaced during the write, so another writer may hold its lock", guardPath)
		}
		// Checked again at the last moment: a program that does not take
		// the lock (an editor saving by rename) may have changed the file
		// while this write synced; failing keeps its change. And the path
		// must still lead to it: a link on the way repointed since (a
		// deployment's "current", or the file's own link) would have the
		// write replace a file no read through the path sees. (The check
		// after the read needs no such stat: the read was through it.)
		if !isFileAt(k.fi, s.path, target) || !leadsTo(s.path, k.fi) {
			return fmt.Errorf("%s changed during the write", target)
		}
		if !recording {
			return nil
		}
		rec, err := recordWrite(g.f, fi)
		if err != nil {
			return fmt.Errorf("record the write in %s: %w", guardPath, err)
		}
		if stamped {
			next.record, next.guard = rec, guardPath
		}
		return nil
	}
	opts := atomicfile.Options{Stamp: recording, Placing: placing}
	if err := atomicfile.WriteFile(target, next.data, 0o600, opts); err != nil {
		return nil, fmt.Errorf("connectors: write config file: %w", err)
	}
	next.readAt = time.Now()
	next.state.Revision = <-rev
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setKnownLocked(next)
	return next, nil
}

// mkdirAll makes the directory dir and those missing above it, each with
// mode 0o700 whatever the umask, which would otherwise cut it, even to a
// directory its owner cannot make the file in.
func mkdirAll(dir string) error {
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o700) // there already: nil, or why not
	}
	if err := mkdirAll(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); errors.Is(err, fs.ErrExist) {
		return os.MkdirAll(dir, 0o700) // made meanwhile by another writer
	} else if err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// A heldGuard is a guard file this process holds locked, with a
// descriptor of its own for the write's record and the revision key:
// flock keeps the descriptor of the lock to itself.
type heldGuard struct {
	path     string
	lock     *flock.Flock
	f        *os.File    // opened for writing if writable
	info     fs.FileInfo // its stat, taken under the lock
	writable bool        // see lockGuard
}

// holdGuard locks the guard file at path (see lockGuard), gives it its
// mode and owner if it is new (see newGuard; config is the config file's
// path), and opens it once more, checking that the descriptor is of the
// file locked and not of one put in its place since: the record and the
// key then go into the locked file, whatever happens to the path. Its
// errors: lockGuard's as they are, or one of opening it again.
func holdGuard(ctx context.Context, path, config string) (*heldGuard, error) {
	lock, info, writable, err := lockGuard(ctx, path)
	if err != nil {
		return nil, err
	}
	newGuard(path, info, config)
	flag := os.O_RDONLY
	if writable {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag|nonBlock|noFollow, 0)
	if err == nil {
		var opened fs.FileInfo
		if opened, err = f.Stat(); err == nil && !os.SameFile(opened, info) {
			err = errors.New("replaced since it was locked")
		}
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("connectors: open guard file: %w", err)
	}
	return &heldGuard{path: path, lock: lock, f: f, info: info, writable: writable}, nil
}

// Close lets the guard file go.
func (g *heldGuard) Close() {
	g.f.Close()
	g.lock.Close()
}

// newGuard gives the guard file at path, locked (its stat), if it is
// empty (just made: no record or key yet) and has no other name, mode
// 0o600 whatever the umask, which could leave it one that cannot be
// opened again for writing; and, where the process may, the owner of the
// config file at config, so that a guard file that root made (reading a
// user's config, say) does not lock the user's own server out. A lease's
// lock file (always empty) gets the same.
func newGuard(path string, locked fs.FileInfo, config string) {
	if locked.Size() != 0 || !oneLink(locked) {
		return
	}
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock|noFollow, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !os.SameFile(fi, locked) {
		return
	}
	if locked.Mode().Perm() != 0o600 {
		f.Chmod(0o600)
	}
	if cfg, err := os.Stat(config); err == nil {
		atomicfile.KeepOwner(f, locked, cfg)
	}
}

// lockGuard takes the OS lock on the guard file at path, giving up when
// ctx ends. The guard file is opened for writing if it can be, to check
// that the write can be recorded in it (see recordWrite); one that can
// only be read (left read-only) is locked through a read-only open, and
// writable is false. It is opened without blocking, as a FIFO put there
// would block an open until a writer came; a guard file that is not a
// regular file is an error.
func lockGuard(ctx context.Context, path string) (guard *flock.Flock, locked fs.FileInfo, writable bool, err error) {
	notRegular := fmt.Errorf("connectors: lock config file: %s is not a regular file", path)
	lock := func(flag int) (*flock.Flock, error) {
		g := flock.New(path, flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|flag|nonBlock|noFollow))
		ok, err := g.TryLockContext(ctx, 5*time.Millisecond)
		if !ok {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			// Some systems refuse to lock a FIFO; noFollow refuses a
			// symlink.
			if fi, serr := os.Lstat(path); serr == nil && !fi.Mode().IsRegular() {
				return nil, notRegular
			}
			return nil, fmt.Errorf("connectors: lock config file: %w", err)
		}
		return g, nil
	}
	for {
		writable = true
		guard, err = lock(os.O_RDWR)
		if errors.Is(err, fs.ErrPermission) {
			writable = false
			guard, err = lock(os.O_RDONLY)
		}
		if err != nil {
			return nil, nil, false, err
		}
		// Again under the lock: the path may have been replaced meanwhile.
		fi, err := guard.Stat()
		if err != nil {
			guard.Close()
			return nil, nil, false, fmt.Errorf("connectors: lock config file: %w", err)
		}
		if !fi.Mode().IsRegular() {
			guard.Close()
			return nil, nil, false, notRegular
		}
		if !oneLink(fi) {
			// Another name (a hard link, a snapshot made with cp -al)
			// would take the record and key written into it: it is
			// locked, but written as one that cannot be.
			writable = false
		}
		if stillAt(fi, path) {
			return guard, fi, writable, nil
		}
		// Locked a file removed since it was opened: the next writer
		// would lock another. Lock the one there now.
		guard.Close()
	}
}

// stillAt reports whether the file whose stat is locked is still the one
// at path. A guard file removed (by a clean-up of lock files, say) guards
// nothing, as the next writer creates and locks another.
func stillAt(locked fs.FileInfo, path string) bool {
	now, err := os.Stat(path)
	return err == nil && os.SameFile(locked, now)
}

// recordWrite records in the guard file f, held, the file a write is
// about to put in place whole (fi): its inode number, size and
// modification time, which another store compares with the file it finds
// to read it without waiting for it to settle (see writtenWhole), and a
// number drawn for this write, which tells the store that made it
// whether any store has written since (see fileState.record). It returns
// the record, "" where the inode number is not at hand. A write that
// cannot record itself must not go on: a store that wrote before would
// take its file for its own.
func recordWrite(f *os.File, fi fs.FileInfo) (string, error) {
	rec := recordOf(fi)
	if rec == "" {
		return "", nil
	}
	rec += fmt.Sprintf("%016x\n", rand.Uint64()) // recordLen in all
	// Over the last record, of the same length: rewriting bytes already
	// on the disk, unlike truncating and writing anew, adds nothing to
	// the file system's next commit, which the next write's fsync waits
	// for.
	if _, err := f.WriteAt([]byte(rec), 0); err != nil {
		return "", err
	}
	return rec, nil
}

// recordLen is the length of recordWrite's records: three numbers of 20
// digits, each with a space, and 16 hex digits with a line break.
const recordLen = 3*21 + 17

// recordOf is the part of recordWrite's record that describes fi, always
// of the same length, "" where the file's inode number is not at hand.
func recordOf(fi fs.FileInfo) string {
	ino, ok := fileID(fi)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%20d %20d %20d ", ino, fi.Size(), fi.ModTime().UnixNano())
}

// writtenWhole reports whether fi is the file a store's write last put in
// place whole, as its record in the guard file says. A file written in
// place since, even to the same size, has another modification time; a
// record being written reads as no match; either way the reader waits
// for the file to settle, which is safe.
func (s *FileStore) writtenWhole(fi fs.FileInfo) bool {
	rec := recordOf(fi)
	if rec == "" {
		return false
	}
	target, err := atomicfile.Resolve(s.path)
	return err == nil && strings.HasPrefix(lastRecord(target+".lock"), rec)
}

// lastRecord returns the record in the guard file at path (see
// recordWrite), "" if there is none.
func lastRecord(path string) string {
	f, _, err := openRegular(path, noFollow)
	if err != nil {
		return ""
	}
	defer f.Close()
	return recordAt(f)
}

// recordAt returns the record in the guard file f, "" if there is none.
func recordAt(f *os.File) string {
	var buf [recordLen]byte
	n, _ := f.ReadAt(buf[:], 0)
	return string(buf[:n])
}
