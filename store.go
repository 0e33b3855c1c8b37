// This file defines the Store interface, its optional Updater capability,
// and MemoryStore.

package connectors

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"reflect"
	"sync"
)

// A Store holds connector configurations by name.
//
// Implementations must be safe for concurrent use. Maps and configs they
// return are copies the caller owns; configs passed to Put are copied, so
// the caller may change them afterwards without changing what is stored.
type Store interface {
	// List returns every connector, by name. An empty store returns an
	// empty, non-nil map.
	List(ctx context.Context) (map[string]Config, error)

	// Get returns the config of the named connector, or an error wrapping
	// ErrNotFound if there is none, or ErrInvalidName if name is not valid
	// (see CheckName).
	Get(ctx context.Context, name string) (Config, error)

	// Put adds the named connector or replaces its whole config. It returns
	// an error wrapping ErrInvalidName or ErrInvalidConfig for input it
	// cannot store; nothing is changed then.
	Put(ctx context.Context, name string, cfg Config) error

	// Delete removes the named connector. Deleting a name that is not
	// there is not an error. It returns an error wrapping ErrInvalidName
	// if name is not valid.
	Delete(ctx context.Context, name string) error
}

// An Updater is a Store that can read and change its contents in one step,
// with no other write to the store in between. The handler uses it, when a
// store has it, so that what a request checks (the stored secret it keeps,
// the state an If-Match names) is what it changes.
type Updater interface {
	Store

	// Update calls fn with a copy of all connectors, as List returns it.
	// fn may add, replace and delete entries of the map, and should do
	// nothing else: a store may call it again on fresh contents if another
	// writer came first, and only the last call counts. If fn returns nil,
	// the connectors that changed are stored at once, and fn's map must
	// not be used after it returns. If fn returns an error, or the changed
	// map holds an invalid name (ErrInvalidName) or config
	// (ErrInvalidConfig), nothing is stored and Update returns that error.
	Update(ctx context.Context, fn func(connectors map[string]Config) error) error
}

// Compile-time checks that the stores implement their interfaces.
var (
	_ Updater = (*MemoryStore)(nil)
	_ Watcher = (*MemoryStore)(nil)
	_ Updater = (*FileStore)(nil)
	_ Watcher = (*FileStore)(nil)
)

// snapshot is a store's state at one moment. It is never changed, so it
// can be shared, and a store whose state has not changed hands out the
// same one: the handler caches its response per snapshot.
type snapshot struct {
	m map[string]Config
}

var emptySnapshot = &snapshot{m: map[string]Config{}}

// snapshotter is implemented by this package's stores: it gives the
// handler the current state without copying it, and an update that
// returns the state it made.
type snapshotter interface {
	snapshot(ctx context.Context) (*snapshot, error)

	// update applies ch to the stored state and returns the snapshot
	// after it. A store that finds its file changed under the write lock
	// applies ch again, to the state it finds.
	//
	// A store that writes to disk calls ready, if not nil, with the
	// state it is about to write, before the write: work that depends
	// only on that state can run while the disk works. ready must not
	// block; the state it gets becomes the store's only if update
	// returns it.
	update(ctx context.Context, ch change, ready func(*snapshot)) (*snapshot, error)
}

// MemoryStore is a Store held in memory, for tests and for hosts that keep
// their configuration elsewhere. It implements [Updater] and [Watcher].
// The zero value is an empty store ready for use. A MemoryStore must not
// be copied after first use.
type MemoryStore struct {
	mu   sync.RWMutex
	snap *snapshot // nil means empty
	hub  hub
}

func (s *MemoryStore) snapshot(ctx context.Context) (*snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.snap == nil {
		return emptySnapshot, nil
	}
	return s.snap, nil
}

// List implements [Store].
func (s *MemoryStore) List(ctx context.Context) (map[string]Config, error) {
	return list(ctx, s)
}

// Get implements [Store].
func (s *MemoryStore) Get(ctx context.Context, name string) (Config, error) {
	return get(ctx, s, name)
}

// Put implements [Store].
func (s *MemoryStore) Put(ctx context.Context, name string, cfg Config) error {
	return put(ctx, s, name, cfg)
}

// Delete implements [Store].
func (s *MemoryStore) Delete(ctx context.Context, name string) error {
	return del(ctx, s, name)
}

// Update implements [Updater]. fn is called exactly once.
func (s *MemoryStore) Update(ctx context.Context, fn func(map[string]Config) error) error {
	_, err := s.update(ctx, updateChange(fn), nil)
	return err
}

func (s *MemoryStore) update(ctx context.Context, ch change, _ func(*snapshot)) (*snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := emptySnapshot
	if s.snap != nil {
		cur = s.snap
	}
	next, changed, err := ch(cur.m)
	if err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return cur, nil
	}
	s.snap = &snapshot{m: next}
	s.hub.publish(cur.m, next)
	return s.snap, nil
}

// Watch implements [Watcher].
func (s *MemoryStore) Watch(ctx context.Context) iter.Seq[Event] {
	return s.hub.watch(ctx)
}

// list is Store.List for this package's stores.
func list(ctx context.Context, s snapshotter) (map[string]Config, error) {
	snap, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return cloneAll(snap.m), nil
}

// get is Store.Get for this package's stores.
func get(ctx context.Context, s snapshotter, name string) (Config, error) {
	name, err := CheckName(name)
	if err != nil {
		return nil, err
	}
	snap, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	cfg, ok := snap.m[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return cloneConfig(cfg), nil
}

// put is Store.Put for this package's stores.
func put(ctx context.Context, s snapshotter, name string, cfg Config) error {
	name, err := CheckName(name)
	if err != nil {
		return err
	}
	cfg, err = normalizeConfig(cfg, "config")
	if err != nil {
		return err
	}
	_, err = s.update(ctx, editChange(name, func(map[string]Config) (Config, error) {
		return cfg, nil
	}), nil)
	return err
}

// del is Store.Delete for this package's stores.
func del(ctx context.Context, s snapshotter, name string) error {
	name, err := CheckName(name)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, editChange(name, func(map[string]Config) (Config, error) {
		return nil, nil
	}), nil)
	return err
}

// A change computes a store's next state from cur, which it must not
// change: next, and the names whose configs differ, or cur itself and no
// names when nothing changes. Configs that do not change are shared
// between cur and next, so stored configs are never changed in place.
type change func(cur map[string]Config) (next map[string]Config, changed []string, err error)

// editChange is the change of one connector, with the name already
// checked: edit gets the stored state, read only, and returns the
// connector's new config, normalized and shared with nothing, or nil to
// remove it. It costs one copy of the map of names, not of every config.
func editChange(name string, edit func(cur map[string]Config) (Config, error)) change {
	return func(cur map[string]Config) (map[string]Config, []string, error) {
		cfg, err := edit(cur)
		if err != nil {
			return nil, nil, err
		}
		old, had := cur[name]
		if cfg == nil && !had || cfg != nil && had && equalValue(old, cfg) {
			return cur, nil, nil
		}
		next := maps.Clone(cur) // copies the table, hashes nothing
		if next == nil {
			next = make(map[string]Config, 1)
		}
		if cfg == nil {
			delete(next, name)
		} else {
			next[name] = cfg
		}
		return next, []string{name}, nil
	}
}

// updateChange is the change of Updater.Update's fn, which may change
// anything in the deep copy of the state it gets.
func updateChange(fn func(map[string]Config) error) change {
	return func(cur map[string]Config) (map[string]Config, []string, error) {
		return runUpdate(cur, fn)
	}
}

// runUpdate gives fn a deep copy of cur and returns the state fn leaves,
// checked and normalized, with the names whose configs differ from cur.
func runUpdate(cur map[string]Config, fn func(map[string]Config) error) (next map[string]Config, changed []string, err error) {
	work := cloneAll(cur)
	if work == nil {
		work = map[string]Config{}
	}
	if err := fn(work); err != nil {
		return nil, nil, err
	}
	next = make(map[string]Config, len(work))
	for name, cfg := range work {
		old, ok := cur[name]
		if ok && equalValue(old, cfg) {
			next[name] = old
			continue
		}
		if !ok { // names already stored were checked when they were stored
			if n, err := CheckName(name); err != nil {
				return nil, nil, err
			} else if n != name {
				return nil, nil, fmt.Errorf("%w: surrounding white space", ErrInvalidName)
			}
		}
		norm, err := normalizeConfig(cfg, "config")
		if err != nil {
			return nil, nil, err
		}
		if ok && equalValue(old, norm) {
			next[name] = old
			continue
		}
		next[name] = norm
		changed = append(changed, name)
	}
	for name := range cur {
		if _, ok := next[name]; !ok {
			changed = append(changed, name)
		}
	}
	return next, changed, nil
}

// sameMap reports whether a and b are one map, as an unchanged stored
// config is in two snapshots: equal without a look inside.
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// equalValue reports whether two values in the value model are equal.
func equalValue(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		return ok && (sameMap(a, b) || maps.EqualFunc(a, b, equalValue))
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equalValue(a[i], b[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}
