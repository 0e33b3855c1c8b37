// This file holds change events: Event, the Watcher capability, and the
// Hub that delivers events to each watcher without blocking writers.

package connectors

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"sync"
)

// Op says how a connector changed.
type Op int

// The ways a connector can change.
const (
	Added Op = iota + 1
	Updated
	Removed
)

// String returns "added", "updated" or "removed".
func (op Op) String() string {
	switch op {
	case Added:
		return "added"
	case Updated:
		return "updated"
	case Removed:
		return "removed"
	}
	return "unknown"
}

// An Event reports that one connector changed.
//
// Config is the connector's new config, unredacted, for the host to apply;
// it is nil when Op is Removed, and the receiver owns it. String and
// LogValue show the name and the change, never a config value, so an Event
// may be logged as it is.
type Event struct {
	Name   string
	Op     Op
	Config Config
}

// String returns the connector's name and what happened to it, such as
// "telegram updated".
func (e Event) String() string { return e.Name + " " + e.Op.String() }

// GoString implements [fmt.GoStringer], for %#v: the name and the
// change, with the config left out, as it may hold secrets.
func (e Event) GoString() string {
	return fmt.Sprintf("connectors.Event{Name:%q, Op:%s, Config:(%d keys)}", e.Name, e.Op, len(e.Config))
}

// LogValue implements [slog.LogValuer]: the name and the change, no values.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(slog.String("connector", e.Name), slog.String("op", e.Op.String()))
}

// A Watcher is a Store that reports changes to its connectors.
type Watcher interface {
	Store

	// Watch returns the changes made to the store from the moment Watch
	// is called until ctx is done or the caller stops ranging: each
	// changed connector is one Event, whatever made the change (this
	// process, another process, a person editing the file). A write that
	// changes nothing yields nothing.
	//
	// Events never wait for the subscriber: changes that arrive while the
	// subscriber is busy are merged per connector, so when it next reads
	// it gets one Event per changed connector with its latest state: its
	// config (Added if the subscriber had not received it, else Updated),
	// or Removed. A connector that changed and ended where it began
	// yields an Event too, with the state it ended in: a subscriber that
	// lists the store after calling Watch (to start from the whole state,
	// as it should) may have listed a change that was then undone, and
	// must hear of the undoing. So a subscriber can get an Updated with
	// the config it has, or a Removed of a connector it never saw; taking
	// each Event's state as the connector's, it always ends with the
	// store's, and there is never a need to resync.
	// When ranging ends, the subscription and everything it started are
	// released; a sequence that is never ranged over holds its
	// subscription until ctx is done. The sequence may be ranged over
	// once.
	Watch(ctx context.Context) iter.Seq[Event]
}

// A Hub delivers a store's change events to its watchers: the one
// implementation of [Watcher.Watch] that this package's stores share, for
// other stores to use too. A store calls [Hub.Publish] with its state before
// and after each change, and returns [Hub.Watch] from its Watch method;
// the Hub turns the two states into per-connector events and merges them
// for each watcher that is busy, so a store never waits for a watcher.
//
// The zero value is a Hub with no watchers, ready for use. A Hub must not
// be copied after first use. Its methods are safe for concurrent use.
type Hub struct {
	// Poll, if set, is started in its own goroutine when the first
	// watcher arrives, and told to stop, by the closing of quit, when the
	// last one leaves; a store that learns of changes by looking (a file
	// changed by hand, a database changed by another replica) looks only
	// while someone watches. Set it before the first Watch.
	Poll func(quit <-chan struct{})

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	quit   chan struct{} // non-nil while a poller runs
	closed bool
}

// subscriber holds the events one subscriber has not yet received.
type subscriber struct {
	mu      sync.Mutex
	pending map[string]change
	order   []string      // the names in pending, in arrival order
	wake    chan struct{} // one token: "pending is not empty"
	done    chan struct{} // closed when the hub closes
}

// Watch returns the events published from now on, as [Watcher.Watch]
// describes: the subscription starts when Watch is called, not when the
// sequence is first ranged over, so a store that calls Watch while it
// holds the lock its changes take starts every watcher from a known state.
func (h *Hub) Watch(ctx context.Context) iter.Seq[Event] {
	s := &subscriber{pending: make(map[string]change), wake: make(chan struct{}, 1), done: make(chan struct{})}
	if !h.add(s) {
		return func(func(Event) bool) {}
	}
	stop := context.AfterFunc(ctx, func() { h.remove(s) })
	return func(yield func(Event) bool) {
		defer func() {
			stop()
			h.remove(s)
		}()
		for {
			for {
				e, ok := s.next()
				if !ok {
					break
				}
				if ctx.Err() != nil || !yield(e) {
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-s.done:
				return
			case <-s.wake:
			}
		}
	}
}

// add subscribes s, unless the hub is closed.
func (h *Hub) add(s *subscriber) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if h.subs == nil {
		h.subs = make(map[*subscriber]struct{})
	}
	h.subs[s] = struct{}{}
	if h.Poll != nil && h.quit == nil {
		h.quit = make(chan struct{})
		go h.Poll(h.quit)
	}
	return true
}

func (h *Hub) remove(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	if len(h.subs) == 0 && h.quit != nil {
		close(h.quit)
		h.quit = nil
	}
}

// Close ends every watcher's sequence and stops the poller. Later calls of Watch return
// an empty sequence; Publish does nothing.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for s := range h.subs {
		close(s.done)
	}
	h.subs = nil
	if h.quit != nil {
		close(h.quit)
		h.quit = nil
	}
}

// Publish reports the change of a store from old to cur to every watcher,
// one event per connector whose config differs. It never blocks on a
// watcher. The configs of cur are shared, read only, until each watcher
// has received its events; the caller must not change them. The maps
// themselves are not kept.
func (h *Hub) Publish(old, cur map[string]Config) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		return
	}
	changes := diff(old, cur)
	for s := range h.subs {
		s.merge(changes)
	}
}

// A change is an Event, with whether the connector was there before.
type change struct {
	Event
	had bool
}

// diff lists the changes from old to cur, one per changed name. The
// configs are old's and cur's own; subscribers copy them on delivery.
func diff(old, cur map[string]Config) []change {
	var changes []change
	for name, cfg := range cur {
		prev, ok := old[name]
		switch {
		case !ok:
			changes = append(changes, change{Event: Event{name, Added, cfg}})
		case !equalValue(prev, cfg):
			changes = append(changes, change{Event{name, Updated, cfg}, true})
		}
	}
	for name := range old {
		if _, ok := cur[name]; !ok {
			changes = append(changes, change{Event{Name: name, Op: Removed}, true})
		}
	}
	return changes
}

// merge adds changes to what s has pending, folding each into an earlier
// pending change of the same connector: the latest state, as an Added
// if the subscriber has not received the connector, else Updated, or
// Removed. A change back to where it began is kept (see Watcher.Watch).
func (s *subscriber) merge(changes []change) {
	if len(changes) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range changes {
		if p, ok := s.pending[c.Name]; ok {
			c.had = p.had
		} else {
			s.order = append(s.order, c.Name)
		}
		switch {
		case c.Op == Removed:
		case c.had:
			c.Op = Updated
		default:
			c.Op = Added
		}
		s.pending[c.Name] = c
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next returns the oldest pending event, with its own copy of the config.
func (s *subscriber) next() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) == 0 {
		return Event{}, false
	}
	name := s.order[0]
	s.order = s.order[1:]
	c := s.pending[name]
	delete(s.pending, name)
	e := c.Event
	e.Config = cloneConfig(e.Config)
	return e, true
}
