// This file holds FileStore: connectors kept in the host's config file.

package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/BurntSushi/toml"
	"github.com/gofrs/flock"
)

// ErrInvalidFile means a FileStore's file could not be parsed, or its
// connectors or channels table does not hold connectors. The file is left
// as it is: every write is refused until it is fixed.
var ErrInvalidFile = errors.New("invalid config file")

// FileStore is a Store kept in one file chosen by the host: TOML when the
// name ends in ".toml", JSON when it ends in ".json". Create it with
// [NewFileStore]; the zero value is not usable.
//
// Connectors live under the file's top-level "connectors" table; every other
// key in the file belongs to the host and is kept as data across writes
// (comments and formatting are not kept). The legacy top-level "channels"
// table is read too: List returns the union of both, "connectors" winning a
// name present in both. Delete removes the name from both tables, and no
// write drops anything else from "channels".
//
// A missing file is an empty store; the file (mode 0600) and its directory
// (mode 0700) are created by the first write. Every write re-reads the file
// and replaces it atomically, so a reader sees the old file or the new one,
// never a mix. A file that does not parse makes every call return an error
// wrapping [ErrInvalidFile], and is never overwritten.
//
// A FileStore is safe for concurrent use, also by several processes on one
// file: every write takes a lock on a guard file beside it (the file's name
// plus ".lock", left in place), takes the file as it is on disk under the
// lock, applies its change and replaces the file. Writes that arrive in
// one process while another is on its way to disk are committed together:
// their changes, applied in turn, in one replacement of the file, and each
// returns once that file is durable. A change that is refused fails
// alone; a file that cannot be written fails every write committed in it.
// Reads take no lock. Temporary files that a killed writer leaves
// (".name.tmp-*") are never read and are removed by the first write of the
// next store.
//
// Reads and writes see the file as it is now, cheaply: a file whose size,
// modification time and identity are unchanged is not read again, except
// shortly after a change made elsewhere, when coarse file system clocks
// could hide an edit and the bytes are compared. A file this store wrote
// is trusted by its stat at once (except on Windows): the store keeps it
// open, so no other file can take its identity, and only a writer that
// ignores the lock and rewrites it in place, to the same size, within one
// tick of the clock could go unseen (until the file next changes); such a
// writer can lose its edit to any write anyway. Watch notices changes by
// other processes and by hand within [PollInterval].
type FileStore struct {
	path  string
	codec codec

	// commitLock holds a token while a writer commits (see update): a
	// lock that a waiting writer can give up when its write is done.
	commitLock chan struct{}

	queueMu sync.Mutex
	queue   []*write // writes waiting for the next commit; under queueMu

	stateMu sync.Mutex // guards known
	known   *fileState // the file as last read or written; nil before

	sections map[string]section // TOML sections of the last write; under commitLock
	names    []string           // their names, sorted; under commitLock
	swept    bool               // stale temp files removed; under commitLock
	starts   []int              // where each section begins in lastOut; under commitLock
	lastOut  []byte             // the last file encoded; under commitLock
	spare    []byte             // bytes of a file no state holds any more; under commitLock
	held     *os.File           // the file last written, kept open; under commitLock

	hub hub
}

// PollInterval is how often a FileStore with subscribers (see
// [FileStore.Watch]) checks its file for changes made outside this store.
const PollInterval = 250 * time.Millisecond

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

// holdWritten is whether a FileStore keeps the file it wrote last open,
// so that no other file can take its identity while it is the known one:
// a file system reuses an inode number only once no one holds the file.
// Its stat then shows any change that another writer's rename makes, and
// the store trusts it at once. Not on Windows, where a file held open
// cannot be replaced; there a file changed in the last moments is read
// again, as one written elsewhere is.
const holdWritten = runtime.GOOS != "windows"

// fileState is the file's state as read or written at one moment. It is
// never changed once published.
type fileState struct {
	snap   *snapshot
	fi     fs.FileInfo    // nil: there was no file
	data   []byte         // the file's bytes
	doc    map[string]any // the parsed document; copied before a change
	host   []byte         // TOML: encoded document less connectors; nil: not yet
	readAt time.Time
	ours   bool // this store wrote the file and holds it: its stat is trusted at once
}

// NewFileStore returns a FileStore on path, which must end in ".toml" or
// ".json". The file need not exist. NewFileStore does not touch the disk.
func NewFileStore(path string) (*FileStore, error) {
	var c codec
	switch strings.ToLower(filepath.Ext(path)) {
	case ".toml":
		c = tomlCodec{}
	case ".json":
		c = jsonCodec{}
	default:
		return nil, fmt.Errorf("connectors: config file %s: unknown format, want a .toml or .json file", path)
	}
	s := &FileStore{path: path, codec: c, commitLock: make(chan struct{}, 1)}
	s.hub.poll = s.poll
	return s, nil
}

// Path returns the path the store was created with.
func (s *FileStore) Path() string { return s.path }

// List implements [Store].
func (s *FileStore) List(ctx context.Context) (map[string]Config, error) {
	return list(ctx, s)
}

// Get implements [Store].
func (s *FileStore) Get(ctx context.Context, name string) (Config, error) {
	return get(ctx, s, name)
}

// Put implements [Store].
func (s *FileStore) Put(ctx context.Context, name string, cfg Config) error {
	return put(ctx, s, name, cfg)
}

// Delete implements [Store].
func (s *FileStore) Delete(ctx context.Context, name string) error {
	return del(ctx, s, name)
}

// Watch implements [Watcher]. While anyone watches, a goroutine checks the
// file every [PollInterval]; it ends with the last subscription. A file
// that does not parse (an editor half-way through saving) yields no events;
// the next good version does.
func (s *FileStore) Watch(ctx context.Context) iter.Seq[Event] {
	// Changes count from the file as it is now: read it first if it was
	// never read, so that its contents do not arrive as additions, and
	// subscribe under the state lock, so that no change slips between.
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.known == nil {
		if data, fi, err := s.read(); err == nil {
			if doc, m, err := s.parse(data); err == nil {
				s.known = &fileState{snap: &snapshot{m: m}, fi: fi, data: data, doc: doc, readAt: time.Now()}
			}
		}
	}
	return s.hub.watch(ctx)
}

// poll checks the file until quit is closed. Changes it finds reach the
// subscribers through current.
func (s *FileStore) poll(quit <-chan struct{}) {
	t := time.NewTicker(PollInterval)
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

func (s *FileStore) snapshot(ctx context.Context) (*snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, _, err := s.current()
	if err != nil {
		return nil, err
	}
	return k.snap, nil
}

// current returns the file's state now, parsing the file only if it
// changed since it was last read or written, and the file's stat (nil: no
// file) taken for it. A change it finds is published to subscribers.
func (s *FileStore) current() (*fileState, fs.FileInfo, error) {
	fi, err := os.Stat(s.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("connectors: read config file: %w", err)
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	k := s.known
	if k != nil && sameFile(k.fi, fi) && (fi == nil || k.ours || k.readAt.Sub(fi.ModTime()) > racyWindow(fi.ModTime())) {
		return k, fi, nil
	}
	// Read, with the stat of the file read: fi was of the file at the
	// path a moment ago, which may not be the one read now.
	data, fi, err := s.read()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	if k != nil && bytes.Equal(data, k.data) {
		s.known = &fileState{snap: k.snap, fi: fi, data: k.data, doc: k.doc, host: k.host, readAt: now}
		return s.known, fi, nil
	}
	doc, m, err := s.parse(data)
	if err != nil {
		return nil, nil, err
	}
	s.setKnown(&fileState{snap: &snapshot{m: m}, fi: fi, data: data, doc: doc, readAt: now})
	return s.known, fi, nil
}

// setKnown records k as the file's state and tells subscribers what
// changed. The caller holds stateMu.
func (s *FileStore) setKnown(k *fileState) {
	old := emptySnapshot
	if s.known != nil {
		old = s.known.snap
	}
	s.known = k
	s.hub.publish(old.m, k.snap.m)
}

// sameFile reports whether two stats (nil: no file) show the same file
// unchanged.
func sameFile(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && os.SameFile(a, b)
}

// Update implements [Updater]. It applies fn to the file as last read; if
// a connector changed, it takes the write lock, re-reads the file, and
// replaces it. fn is called again, on the fresh contents, if the file
// changed in between, so fn must not do more than change its map. fn may
// run on the goroutine of another writer committed with it (see
// [FileStore]); its error, or its panic, reaches the caller of Update. It
// must not end its goroutine (runtime.Goexit, testing's FailNow), which
// may not be its caller's.
func (s *FileStore) Update(ctx context.Context, fn func(map[string]Config) error) error {
	_, err := s.update(ctx, updateChange(fn), nil)
	return err
}

func (s *FileStore) update(ctx context.Context, ch change, ready func(*snapshot)) (*snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &write{ch: ch, ready: ready, done: make(chan struct{})}
	s.queueMu.Lock()
	s.queue = append(s.queue, w)
	s.queueMu.Unlock()

	// Group commit: writers that arrive while a write is on its way to
	// disk wait here; the first to get the lock next commits every
	// change queued by then in one replacement of the file, and each
	// writer returns as soon as the file holding its change is durable.
	select {
	case <-w.done: // in another writer's commit
	case s.commitLock <- struct{}{}:
		func() {
			defer func() { <-s.commitLock }()
			select {
			case <-w.done:
			default:
				s.commitQueued()
			}
		}()
	}
	if w.panicked != nil {
		panic(w.panicked) // fn's panic, in fn's caller
	}
	if w.err != nil {
		return nil, w.err
	}
	return w.snap, w.commitErr
}

// commitQueued commits the writes queued by now; the caller holds the
// commit lock. Each is done when it returns, also if it panics.
func (s *FileStore) commitQueued() {
	s.queueMu.Lock()
	batch := s.queue
	s.queue = nil
	s.queueMu.Unlock()
	var snap *snapshot
	err := errors.New("connectors: write interrupted")
	defer func() {
		for _, w := range batch {
			w.snap, w.commitErr = snap, err
			close(w.done)
		}
	}()
	snap, err = s.commit(batch)
}

// A write is a change waiting in a FileStore's queue to be committed.
type write struct {
	ch        change
	ready     func(*snapshot)
	err       error         // ch's own, from its last application
	panicked  any           // what ch panicked with, if it did
	done      chan struct{} // closed once committed; then:
	snap      *snapshot     // the state after the commit
	commitErr error         // why the commit failed
}

// run applies w's change to cur. A panic stops only this change: it is
// kept for w's caller, whose goroutine may not be the one committing.
func (w *write) run(cur map[string]Config) (next map[string]Config, changed []string, err error) {
	defer func() {
		if w.panicked = recover(); w.panicked != nil {
			next, changed, err = nil, nil, errors.New("connectors: change panicked")
		}
	}()
	return w.ch(cur)
}

// apply applies the changes of batch to cur one after the other, each to
// the state the one before left, and returns the state after the last,
// the names whose configs changed, and the names that a change removed
// (a later one may have added them again). A change that fails, or that
// this file could not hold, leaves the state alone and keeps its error
// for its writer.
func (s *FileStore) apply(batch []*write, cur map[string]Config) (next map[string]Config, changed, removed []string) {
	next = cur
	for _, w := range batch {
		if w.panicked != nil {
			continue
		}
		n, names, err := w.run(next)
		if err == nil {
			err = s.refuse(n, names)
		}
		if w.err = err; err != nil || len(names) == 0 {
			continue
		}
		next = n
		changed = append(changed, names...)
		for _, name := range names {
			if _, ok := n[name]; !ok {
				removed = append(removed, name)
			}
		}
	}
	slices.Sort(changed)
	return next, slices.Compact(changed), removed
}

// refuse returns why the file cannot hold the configs of names in m: a
// TOML file cannot hold an empty key (see emptyKeyPath).
func (s *FileStore) refuse(m map[string]Config, names []string) error {
	if _, ok := s.codec.(tomlCodec); !ok {
		return nil
	}
	for _, name := range names {
		if p, bad := emptyKeyPath(map[string]any(m[name])); bad {
			return p.errorAt("config")
		}
	}
	return nil
}

// commit applies the changes of batch to the file, in order, and replaces
// it once; the caller holds the commit lock. It returns the state after
// them.
func (s *FileStore) commit(batch []*write) (*snapshot, error) {
	// Try the change on the file as last known: most of the time that is
	// the file as it is, and no read is needed before the lock.
	s.stateMu.Lock()
	k := s.known
	s.stateMu.Unlock()
	var err error
	if k == nil {
		if k, _, err = s.current(); err != nil {
			return nil, err
		}
	}
	next, changed, removed := s.apply(batch, k.snap.m)
	if len(changed) == 0 {
		// Changes of nothing, and refused ones, write nothing and need no
		// lock if the file is still as known: they take effect at this
		// read. Otherwise they are tried on the file as it is now.
		fresh, _, err := s.current()
		if err != nil {
			return nil, err
		}
		if fresh.snap == k.snap {
			return k.snap, nil
		}
		if next, changed, removed = s.apply(batch, fresh.snap.m); len(changed) == 0 {
			return fresh.snap, nil
		}
		k = fresh
	}

	target, err := resolveTarget(s.path)
	if err != nil {
		return nil, err
	}
	if k.fi == nil {
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return nil, fmt.Errorf("connectors: create config directory: %w", err)
		}
	}
	// The lock sits on a guard file beside the config, never on the
	// config itself: a rename replaces the config's inode, and a lock on
	// the old inode would guard nothing.
	guard := flock.New(target+".lock", flock.SetPermissions(0o600))
	if err := guard.Lock(); err != nil {
		return nil, fmt.Errorf("connectors: lock config file: %w", err)
	}
	defer guard.Unlock()
	if !s.swept {
		// Once per store is enough: a killed writer's leftovers are
		// harmless, and listing the directory on every write is not free.
		removeStaleTemps(target)
		s.swept = true
	}

	// Look again under the lock: another process, or a person with an
	// editor, may have changed the file since it was last read. current
	// reads it unless its size, time and identity show it unchanged.
	fresh, fi, err := s.current()
	if err != nil {
		return nil, err
	}
	if fresh.snap != k.snap {
		if next, changed, removed = s.apply(batch, fresh.snap.m); len(changed) == 0 {
			return fresh.snap, nil
		}
	}
	doc, host := fresh.doc, fresh.host

	snap := &snapshot{m: next}
	for _, w := range batch {
		if w.ready != nil && w.err == nil {
			w.ready(snap)
		}
	}

	// Only the top level and the two tables change: copy those, share
	// the rest with the parsed document, which stays as it was.
	doc = maps.Clone(doc)
	conns, _ := doc["connectors"].(map[string]any)
	conns = maps.Clone(conns)
	if conns == nil {
		conns = make(map[string]any)
	}
	doc["connectors"] = conns
	for _, name := range changed {
		if cfg, ok := next[name]; ok {
			conns[name] = map[string]any(cfg) // as parsed: the encoders want plain maps
		} else {
			delete(conns, name)
		}
	}
	// A Delete removes the name from the legacy table too, also when a
	// later write of the same commit adds it again.
	chans, _ := doc["channels"].(map[string]any)
	for _, name := range removed {
		if _, ok := chans[name]; ok {
			chans = maps.Clone(chans)
			delete(chans, name)
			doc["channels"] = chans
			host = nil
		}
	}
	out, host, err := s.encode(doc, host, changed, fresh.data)
	if err != nil {
		return nil, fmt.Errorf("connectors: encode %s: %w", s.path, err)
	}
	// The fresh stat, not the known one: a chmod changes no size or time.
	f, fi, err := writeTemp(target, fi, out)
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	// Readers wait while the new file takes the old one's place, so that
	// none of them parses what this write already knows.
	s.stateMu.Lock()
	err = os.Rename(tmp, target)
	if err == nil {
		// Nothing reads the replaced file's bytes after this: a state's
		// bytes are read under stateMu while it is the known one, or by
		// the commit that replaces it.
		if s.known != nil {
			s.spare = s.known.data
		}
		s.setKnown(&fileState{snap: snap, fi: fi, data: out, doc: doc, host: host, readAt: time.Now(), ours: holdWritten})
		if holdWritten {
			s.held, f = f, s.held // and close the one held before
		}
	}
	s.stateMu.Unlock()
	if f != nil {
		f.Close()
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("connectors: write config file: %w", err)
	}
	syncDir(filepath.Dir(target))
	return snap, nil
}

// encode returns the file's bytes for doc, changed from the file on disk
// (whose bytes are onDisk) in the named connectors. TOML files are put
// together from parts encoded by earlier writes where those did not
// change: the host's part (passed in and returned) and each connector's
// section, kept per name and config; a write then costs the encoding of
// what it changed.
func (s *FileStore) encode(doc map[string]any, host []byte, changed []string, onDisk []byte) (out, newHost []byte, err error) {
	if _, ok := s.codec.(tomlCodec); !ok {
		out, err = s.codec.encode(doc)
		return out, nil, err
	}
	conns, _ := doc["connectors"].(map[string]any)
	// The last file encoded is the one on disk, with the same host
	// part: replace the changed sections in place.
	if host != nil && len(onDisk) > 0 && len(onDisk) == len(s.lastOut) && unsafe.SliceData(onDisk) == unsafe.SliceData(s.lastOut) {
		if out, ok, err := s.splice(conns, changed); ok || err != nil {
			return out, host, err
		}
	}
	if host == nil {
		rest := maps.Clone(doc)
		delete(rest, "connectors")
		if host, err = s.codec.encode(rest); err != nil {
			return nil, nil, err
		}
		if len(rest) == 0 {
			host = []byte{}
		}
	}
	names, same := sortedNames(conns, s.names)
	sections := s.sections
	if !same || sections == nil {
		sections = make(map[string]section, len(names))
	}
	starts := make([]int, len(names))
	var b bytes.Buffer
	b.Grow(len(host) + 16 + len(names)*(len(s.lastOut)/max(1, len(s.sections))+1))
	b.Write(host)
	if len(host) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString("[connectors]\n")
	for i, name := range names {
		sec, err := s.section(name, conns[name])
		if err != nil {
			s.lastOut = nil // sections may have changed: no splice on this
			return nil, nil, err
		}
		sections[name] = sec
		if i > 0 {
			b.WriteByte('\n')
		}
		starts[i] = b.Len()
		b.Write(sec.text)
	}
	s.sections, s.names, s.starts, s.lastOut = sections, names, starts, b.Bytes()
	return b.Bytes(), host, nil
}

// splice returns the file for conns as the last file encoded with the
// sections of the changed connectors replaced, which costs one copy of
// the file and no look at the others. It reports false if a change adds
// or removes a connector. The caller knows the last file encoded to be
// the one on disk, with the same host part.
func (s *FileStore) splice(conns map[string]any, changed []string) (out []byte, ok bool, err error) {
	if len(conns) != len(s.names) {
		return nil, false, nil
	}
	at := make([]int, 0, len(changed)) // indexes into s.names, in order
	for _, name := range changed {
		i, found := slices.BinarySearch(s.names, name)
		if _, stays := conns[name]; !found || !stays {
			return nil, false, nil
		}
		at = append(at, i)
	}
	slices.Sort(at)
	secs := make([]section, len(at))
	size := len(s.lastOut)
	for k, i := range at {
		name := s.names[i]
		if secs[k], err = s.section(name, conns[name]); err != nil {
			return nil, false, err
		}
		size += len(secs[k].text) - len(s.sections[name].text)
	}
	if cap(s.spare) >= size {
		out = s.spare[:0] // no new garbage the size of the file per write
	} else {
		out = make([]byte, 0, size)
	}
	s.spare = nil
	prev, k, shift := 0, 0, 0
	for i := range s.starts {
		start := s.starts[i]
		s.starts[i] += shift
		if k < len(at) && at[k] == i {
			name := s.names[i]
			old := s.sections[name].text
			out = append(out, s.lastOut[prev:start]...)
			out = append(out, secs[k].text...)
			prev = start + len(old)
			shift += len(secs[k].text) - len(old)
			s.sections[name] = secs[k]
			k++
		}
	}
	out = append(out, s.lastOut[prev:]...)
	s.lastOut = out
	return out, true, nil
}

// section returns the section of connector name holding cfg: the one
// kept from an earlier write if cfg is the config it encoded.
func (s *FileStore) section(name string, cfg any) (section, error) {
	sec, ok := s.sections[name]
	if ok && sec.cfg == identity(cfg) {
		return sec, nil
	}
	text := make([]byte, 0, len(sec.text)+64) // about the size it had
	if m, isMap := cfg.(map[string]any); isMap {
		text, ok = appendSection(text, "connectors."+string(appendKey(nil, name)), m, true)
	} else {
		ok = false
	}
	if !ok { // not in the value model: the general encoder
		var err error
		if text, err = s.codec.encode(map[string]any{"connectors": map[string]any{name: cfg}}); err != nil {
			return section{}, err
		}
		text = bytes.TrimPrefix(text, []byte("[connectors]\n"))
	}
	return section{cfg: identity(cfg), text: text}, nil
}

// sortedNames returns the keys of m in order: prev itself when it holds
// exactly those keys (a write that changes connectors but adds or removes
// none), so that a write does not sort every name again.
func sortedNames[V any](m map[string]V, prev []string) (names []string, same bool) {
	if len(prev) == len(m) {
		same = true
		for _, name := range prev {
			if _, ok := m[name]; !ok {
				same = false
				break
			}
		}
		if same {
			return prev, true
		}
	}
	return slices.Sorted(maps.Keys(m)), false
}

// A section is a connector's encoded part of a TOML file.
type section struct {
	cfg  unsafe.Pointer // the config it encodes (configs never change)
	text []byte
}

// identity returns what tells one map from another.
func identity(v any) unsafe.Pointer {
	return reflect.ValueOf(v).UnsafePointer()
}

// read returns the file's bytes and its stat; a missing file reads as
// nil, nil.
func (s *FileStore) read() (data []byte, fi fs.FileInfo, err error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("connectors: read config file: %w", err)
	}
	defer f.Close()
	// The stat of the open file, taken before its bytes: it describes the
	// file they come from, and a change made while they are read shows as
	// a different stat next time.
	if fi, err = f.Stat(); err != nil {
		return nil, nil, fmt.Errorf("connectors: read config file: %w", err)
	}
	var b bytes.Buffer
	b.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := b.ReadFrom(f); err != nil {
		return nil, nil, fmt.Errorf("connectors: read config file: %w", err)
	}
	return b.Bytes(), fi, nil
}

// parse decodes the file's bytes into the whole document and the
// connectors in it, both owned by the caller.
func (s *FileStore) parse(data []byte) (doc map[string]any, m map[string]Config, err error) {
	if data == nil {
		return map[string]any{}, map[string]Config{}, nil
	}
	doc, err = s.codec.decode(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w %s: %w", ErrInvalidFile, s.path, err)
	}
	m = make(map[string]Config)
	for _, table := range []string{"channels", "connectors"} {
		if err := readTable(doc, table, m); err != nil {
			// %v, not %w: a bad value in the file is the file's fault,
			// not an invalid config from the caller.
			return nil, nil, fmt.Errorf("%w %s: %v", ErrInvalidFile, s.path, err)
		}
	}
	return doc, m, nil
}

// readTable adds the connectors of doc's top-level table to m.
func readTable(doc map[string]any, table string, m map[string]Config) error {
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
			return err
		}
		m[name] = cfg
	}
	return nil
}

// A codec reads and writes one file format.
type codec interface {
	decode(data []byte) (map[string]any, error)
	encode(doc map[string]any) ([]byte, error)
}

type tomlCodec struct{}

func (tomlCodec) decode(data []byte) (map[string]any, error) {
	doc := make(map[string]any)
	if _, err := toml.Decode(string(data), &doc); err != nil {
		// The parser's message can quote the file, which holds secrets:
		// report only where it failed.
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("TOML syntax error at line %d", perr.Position.Line)
		}
		return nil, errors.New("TOML syntax error")
	}
	return doc, nil
}

func (tomlCodec) encode(doc map[string]any) ([]byte, error) {
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	out := bytes.TrimLeft(b.Bytes(), "\n") // before a first table
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n') // the encoder ends an empty last table without one
	}
	return out, nil
}

type jsonCodec struct{}

func (jsonCodec) decode(data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	// json.Number keeps the host's numbers exactly as written.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	err := dec.Decode(&doc)
	if err == nil {
		if _, err = dec.Token(); err == io.EOF {
			err = nil
		} else if err == nil {
			err = errors.New("data after the top-level value")
		}
	}
	if err != nil {
		var serr *json.SyntaxError
		if errors.As(err, &serr) {
			line := 1 + bytes.Count(data[:serr.Offset], []byte("\n"))
			return nil, fmt.Errorf("JSON syntax error at line %d", line)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("JSON ends early")
		}
		return nil, errors.New("not a JSON object")
	}
	if doc == nil {
		return nil, errors.New("not a JSON object")
	}
	return doc, nil
}

func (jsonCodec) encode(doc map[string]any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// resolveTarget returns the file that a write to path replaces: path
// itself, or the file a chain of symlinks at path ends at (which need not
// exist yet), so that the links are kept.
func resolveTarget(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", fmt.Errorf("connectors: resolve config file link: %w", err)
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("connectors: resolve config file link: too many links")
}

// tempPattern names the temporary files of writeFileAtomic for target.
func tempPattern(target string) string {
	return "." + filepath.Base(target) + ".tmp-*"
}

// removeStaleTemps deletes temporary files that a writer killed mid-write
// left beside target. Callers hold the write lock, so no live writer of a
// cooperating process has one open. They are never read as the config.
func removeStaleTemps(target string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(target), tempPattern(target)))
	for _, f := range stale {
		os.Remove(f)
	}
}

// writeTemp writes data to a new temporary file beside target, the
// regular file a write replaces (see resolveTarget), syncs it, and returns
// it, open, and its stat, which a rename keeps. The caller renames it over
// target, then syncs the directory: readers, or the file after a crash,
// then see the old content or the new, never a mix. old is target's stat,
// taken under the write lock (nil: no file): a non-regular target is
// refused, and the temporary file takes the mode of an existing one; a
// new one is 0600.
func writeTemp(target string, old fs.FileInfo, data []byte) (f *os.File, fi fs.FileInfo, err error) {
	mode := fs.FileMode(0o600)
	if old != nil {
		if !old.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("connectors: %s is not a regular file; refusing to replace it", target)
		}
		mode = old.Mode().Perm()
	}
	f, err = os.CreateTemp(filepath.Dir(target), tempPattern(target))
	if err != nil {
		return nil, nil, fmt.Errorf("connectors: write config file: %w", err)
	}
	if mode != 0o600 { // CreateTemp made it 0600
		err = f.Chmod(mode)
	}
	if err == nil {
		_, err = f.Write(data)
	}
	// Sync before rename: otherwise a crash can leave the new name
	// pointing at a file whose data never reached the disk.
	if err == nil {
		err = f.Sync()
	}
	// The stat of the file itself, before another writer could put a
	// different file at target.
	if err == nil {
		fi, err = f.Stat()
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, nil, fmt.Errorf("connectors: write config file: %w", err)
	}
	return f, fi, nil
}

// syncDir makes a rename in dir durable. It is best effort: some platforms
// (Windows) cannot sync a directory, and the rename has happened already.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
