// This file defines the Store interface and its optional capabilities
// (Updater, Versioned), and MemoryStore.

package connectors

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"sync"
)

// A Store holds connector configurations by name.
//
// Implementations must be safe for concurrent use. Maps and configs they
// return are copies the caller owns; configs passed to Put are copied, so
// the caller may change them afterwards without changing what is stored.
//
// A Store may have more abilities, which the [Handler] and hosts discover
// with a type assertion: [Updater], [Versioned], [Watcher]. A store with
// only these four methods works with the Handler too (see [NewHandler]).
// The package connectorstest checks that an implementation keeps this
// contract.
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
// with no other write to the store in between.
//
// A wrapper that embeds a store to change what Put does (to refuse some
// configs, say) must override Update and Edit too, or writes made through
// them bypass it (the Handler writes through Edit when a store has it);
// the stores of this package take a Validate function instead, which every
// write path applies.
type Updater interface {
	Store

	// Update calls fn with a copy of all connectors, as List returns it.
	// fn may add, replace and delete entries of the map, and should do
	// nothing else: a store may call it again on fresh contents if another
	// writer came first, and only the last call counts. A nil Config in
	// the map removes that connector, as delete does. If fn returns nil,
	// the connectors that changed are stored at once, and fn's map must
	// not be used after it returns. If fn returns an error, or the changed
	// map holds an invalid name (ErrInvalidName) or config
	// (ErrInvalidConfig), nothing is stored and Update returns that error.
	Update(ctx context.Context, fn func(connectors map[string]Config) error) error
}

// A State is the whole content of a store at one moment, named by a
// revision. A State is shared by everyone who holds it: neither its map
// nor the configs in it may be changed.
type State struct {
	// Revision names the content: it changes with every change of the
	// connectors, and a store that is shared (a file, a database) gives
	// the same revision to every process that opens it, on every machine
	// and after a restart. A store may change it without a change of the
	// connectors (FileStore: an edit of the host's part of the file), but
	// never keeps it across one. It is a non-empty string of printable
	// ASCII; it says nothing else. As the Handler's ETag is made from it,
	// it must not let a client that sees it beside the redacted configs
	// test guesses of a secret: a digest of content that holds secrets
	// is keyed (FileStore's key is in its guard file).
	Revision string

	// Connectors holds every connector by name, read only.
	Connectors map[string]Config
}

// A Versioned store hands out its state with a revision and changes it
// in one step with the reading. It is the capability that gives a store
// the Handler's fast path: GET answers an unchanged revision from a cache,
// and the ETag of a response, being built from the revision, is valid on
// every server of the same store and after a restart. The stores of this
// package are Versioned.
type Versioned interface {
	Store

	// State returns the current state, read only, without copying it.
	State(ctx context.Context) (State, error)

	// Edit calls fn with the current state, read only, and stores the
	// changes fn returns: a new config for each name it maps, or the
	// removal of the names it maps to nil. Nothing else writes to the
	// store between the state fn sees and the write. Edit returns the
	// state after the write (cur itself, when nothing changed).
	//
	// fn may be called again on a fresher state if the store found
	// another writer had come first; only the last call counts. If fn
	// returns an error, Edit stores nothing and returns it as it is. A
	// change with an invalid name or config stores nothing and returns
	// an error wrapping ErrInvalidName or ErrInvalidConfig that names
	// the path. The configs fn returns are copied; fn may not use them
	// afterwards. If ctx ends before the write is committed, nothing is
	// stored and Edit returns ctx.Err().
	Edit(ctx context.Context, fn func(cur State) (map[string]Config, error)) (State, error)
}

// Compile-time checks that the stores implement their interfaces.
var (
	_ Updater   = (*MemoryStore)(nil)
	_ Versioned = (*MemoryStore)(nil)
	_ Watcher   = (*MemoryStore)(nil)
	_ Leaser    = (*MemoryStore)(nil)
)

// MemoryStore is a Store held in memory, for tests and for hosts that keep
// their configuration elsewhere. It implements [Updater], [Versioned],
// [Watcher] and [Leaser] (its leases are held in the process, among the
// supervisors sharing the store). Its revision is a random tag of the
// store and a count of its changes: no two MemoryStores share one, so an
// ETag from a store that is gone (a restart) is never taken for the state
// of another. The zero value is an empty store ready for use. A
// MemoryStore must not be copied after first use.
type MemoryStore struct {
	// Validate, if set, is called with each connector a write adds or
	// changes (name and normalized config), through every method; an
	// error refuses the write, which then stores nothing and returns the
	// error wrapped with ErrInvalidConfig. Its message may reach HTTP
	// clients: it should name what is wrong, not quote values. It must be
	// set before the store is used.
	Validate func(name string, cfg Config) error

	mu    sync.Mutex
	state State  // zero until the first change
	epoch string // random, per store: revisions of two stores never match
	count uint64
	hub   Hub

	leases memLeases
}

// State implements [Versioned].
func (s *MemoryStore) State(ctx context.Context) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current(), nil
}

func (s *MemoryStore) current() State {
	if s.state.Connectors == nil {
		var b [9]byte
		randomKey(b[:])
		s.epoch = base64.RawURLEncoding.EncodeToString(b[:])
		s.state = State{Revision: s.epoch + "-0", Connectors: map[string]Config{}}
	}
	return s.state
}

// Edit implements [Versioned]. fn is called exactly once.
func (s *MemoryStore) Edit(ctx context.Context, fn func(State) (map[string]Config, error)) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.current()
	changes, err := fn(cur)
	if err != nil {
		return State{}, err
	}
	next, changed, err := ApplyChanges(cur.Connectors, changes, s.Validate)
	if err != nil || len(changed) == 0 {
		return cur, err
	}
	s.count++
	s.state = State{Revision: s.epoch + "-" + strconv.FormatUint(s.count, 10), Connectors: next}
	s.hub.Publish(cur.Connectors, next)
	return s.state, nil
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
	return UpdateByEdit(ctx, s, fn)
}

// Watch implements [Watcher].
func (s *MemoryStore) Watch(ctx context.Context) iter.Seq[Event] {
	// Under the lock, so that no change falls between the state the
	// subscriber starts from and its subscription.
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hub.Watch(ctx)
}

// list is Store.List over a Versioned store.
func list(ctx context.Context, s Versioned) (map[string]Config, error) {
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	return cloneAll(st.Connectors), nil
}

// get is Store.Get over a Versioned store.
func get(ctx context.Context, s Versioned, name string) (Config, error) {
	name, err := CheckName(name)
	if err != nil {
		return nil, err
	}
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	cfg, ok := st.Connectors[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return cloneConfig(cfg), nil
}

// put is Store.Put over a Versioned store.
func put(ctx context.Context, s Versioned, name string, cfg Config) error {
	name, err := CheckName(name)
	if err != nil {
		return err
	}
	if cfg == nil {
		cfg = Config{} // nil would mean "remove" to Edit
	}
	_, err = s.Edit(ctx, func(State) (map[string]Config, error) {
		return map[string]Config{name: cfg}, nil
	})
	return err
}

// del is Store.Delete over a Versioned store.
func del(ctx context.Context, s Versioned, name string) error {
	name, err := CheckName(name)
	if err != nil {
		return err
	}
	_, err = s.Edit(ctx, func(State) (map[string]Config, error) {
		return map[string]Config{name: nil}, nil
	})
	return err
}

// UpdateByEdit is [Updater.Update] made of one call to s.Edit, for any
// [Versioned] store: fn is called once, on a deep copy of the state under
// the store's write, and what it changed becomes the edit, so that a
// config set to what it was costs nothing. A name fn adds in another
// spelling ("café" decomposed, " x ") is the connector of its canonical
// one, as in Put; two spellings of one name are an error wrapping
// [ErrInvalidName]. MemoryStore, FileStore and pgstore implement Update
// with it.
func UpdateByEdit(ctx context.Context, s Versioned, fn func(map[string]Config) error) error {
	_, err := s.Edit(ctx, func(cur State) (map[string]Config, error) {
		work := cloneAll(cur.Connectors)
		if err := fn(work); err != nil {
			return nil, err
		}
		changes := make(map[string]Config)
		for name, cfg := range work {
			if old, ok := cur.Connectors[name]; ok && cfg != nil && equalValue(old, map[string]any(cfg)) {
				continue
			}
			// A name fn added in another spelling ("café" decomposed,
			// " x ") is the connector of its canonical spelling, as in
			// Put; two spellings of one name are an error.
			n, err := CheckName(name)
			if err != nil {
				return nil, err
			}
			if _, dup := changes[n]; dup || n != name && work[n] != nil {
				return nil, fmt.Errorf("%w: two spellings of one name", ErrInvalidName)
			}
			changes[n] = cfg
		}
		for name := range cur.Connectors {
			if _, ok := work[name]; !ok {
				if _, respelled := changes[name]; !respelled {
					changes[name] = nil
				}
			}
		}
		return changes, nil
	})
	return err
}

// applyChanges returns the state after changes (see Versioned.Edit) are
// made to cur, which it does not change, and the names whose configs
// differ, sorted; cur itself and no names when nothing changes. Names are
// checked, configs normalized (copied) and passed to validate. Configs
// that do not change are shared between cur and next.
func ApplyChanges(cur, changes map[string]Config, validate func(string, Config) error) (next map[string]Config, changed []string, err error) {
	var puts map[string]Config
	for name, cfg := range changes {
		if n, err := CheckName(name); err != nil {
			return nil, nil, err
		} else if n != name {
			return nil, nil, fmt.Errorf("%w: not in canonical form (see CheckName)", ErrInvalidName)
		}
		old, had := cur[name]
		if cfg == nil {
			if had {
				changed = append(changed, name)
			}
			continue
		}
		if cfg, err = normalizeConfig(cfg, "config"); err != nil {
			return nil, nil, err
		}
		if had && equalValue(map[string]any(old), map[string]any(cfg)) {
			continue
		}
		if validate != nil {
			if err := validate(name, cfg); err != nil {
				return nil, nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
			}
		}
		if puts == nil {
			puts = make(map[string]Config)
		}
		puts[name] = cfg
		changed = append(changed, name)
	}
	if len(changed) == 0 {
		return cur, nil, nil
	}
	next = maps.Clone(cur)
	if next == nil {
		next = make(map[string]Config)
	}
	for _, name := range changed {
		if cfg, ok := puts[name]; ok {
			next[name] = cfg
		} else {
			delete(next, name)
		}
	}
	slices.Sort(changed)
	return next, changed, nil
}

// ErrClosed is returned by a store's methods after its Close.
var ErrClosed = errors.New("connectors: store closed")
