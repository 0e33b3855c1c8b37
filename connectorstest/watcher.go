// This file checks the promises of connectors.Watcher.

package connectorstest

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var watcherChecks = []check[connectors.Watcher]{
	{"Events", testEvents},
	{"NoEventForNoop", testNoEventForNoop},
	{"StartsAtWatch", testStartsAtWatch},
	{"Merges", testMerges},
	{"ListAfterWatch", testListAfterWatch},
	{"TwoWatchers", testTwoWatchers},
	{"EndsOnCancel", testEndsOnCancel},
}

// A subscription reads a Watch sequence one event at a time, with
// iter.Pull, so that a check decides when the subscriber reads and when
// it is busy elsewhere.
type subscription struct {
	t      *testing.T
	cancel context.CancelFunc
	next   func() (connectors.Event, bool)
	stuck  bool // a call of next never returned: leave the sequence alone
}

// subscribe calls Watch; the subscription ends with the test.
func subscribe(t *testing.T, s connectors.Watcher) *subscription {
	ctx, cancel := context.WithCancel(t.Context())
	next, stop := iter.Pull(s.Watch(ctx))
	sub := &subscription{t: t, cancel: cancel, next: next}
	t.Cleanup(func() {
		cancel()
		if !sub.stuck {
			stop()
		}
	})
	return sub
}

// receive returns the next event, failing the test if none comes within
// waitLimit.
func (sub *subscription) receive() connectors.Event {
	sub.t.Helper()
	type result struct {
		e  connectors.Event
		ok bool
	}
	c := make(chan result, 1)
	go func() {
		e, ok := sub.next()
		c <- result{e, ok}
	}()
	select {
	case r := <-c:
		if !r.ok {
			sub.t.Fatalf("the Watch sequence ended while its context was live")
		}
		return r.e
	case <-time.After(waitLimit):
	}
	sub.stuck = true
	sub.cancel()
	sub.t.Fatalf("no event within %v", waitLimit)
	return connectors.Event{}
}

// markerPrefix begins the names of marker connectors, which the checks
// put to learn that a subscriber has caught up with the writes before.
const markerPrefix = "marker-"

// markers numbers the marker connectors, so that each is a new name.
var markers atomic.Int64

// flush returns the events of the writes made so far that the subscriber
// has not yet read, leaving out those of markers. It puts a marker and
// reads up to its event, then does so again: a store that learns of
// several changes at once (by polling, say) may deliver them in any
// order, so the events of writes before the first marker can come just
// after its event, but not after the event of a marker put once it was
// read.
func (sub *subscription) flush(s connectors.Store) []connectors.Event {
	sub.t.Helper()
	var events []connectors.Event
	for range 2 {
		marker := markerPrefix + strconv.FormatInt(markers.Add(1), 10)
		mustPut(sub.t, s, marker, connectors.Config{})
		for {
			e := sub.receive()
			if e.Name == marker {
				if e.Op != connectors.Added {
					sub.t.Errorf("marker %q: %v, want added", marker, e.Op)
				}
				break
			}
			if !strings.HasPrefix(e.Name, markerPrefix) {
				events = append(events, e)
			}
		}
	}
	return events
}

// wantEvents reports whether got holds the events of want, in any order:
// the events of one merge are one per connector, in no promised order.
func wantEvents(t *testing.T, want, got []connectors.Event) {
	t.Helper()
	byName := cmpopts.SortSlices(func(a, b connectors.Event) bool { return a.Name < b.Name })
	if diff := cmpDiff(want, got, byName); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for _, e := range got {
		if e.Op == connectors.Removed && e.Config != nil {
			t.Errorf("event %v has config %v, want nil", e, e.Config)
		}
	}
}

// testEvents makes each kind of change, reading the event of each.
func testEvents(t *testing.T, s connectors.Watcher) {
	sub := subscribe(t, s)
	steps := []struct {
		name  string
		write func(t *testing.T)
		want  connectors.Event
	}{
		{"Put of a new name", func(t *testing.T) { mustPut(t, s, "a", connectors.Config{"v": 1}) },
			connectors.Event{Name: "a", Op: connectors.Added, Config: connectors.Config{"v": int64(1)}}},
		{"Put of a new config", func(t *testing.T) { mustPut(t, s, "a", sample()) },
			connectors.Event{Name: "a", Op: connectors.Updated, Config: sample()}},
		{"Delete", func(t *testing.T) { mustDelete(t, s, "a") },
			connectors.Event{Name: "a", Op: connectors.Removed}},
		{"Put under another spelling of a new name", func(t *testing.T) { mustPut(t, s, " cafe\u0301", connectors.Config{}) },
			connectors.Event{Name: "caf\u00e9", Op: connectors.Added, Config: connectors.Config{}}},
	}
	for _, step := range steps {
		step.write(t)
		wantEvents(t, []connectors.Event{step.want}, []connectors.Event{sub.receive()})
	}
}

// testNoEventForNoop makes writes that change nothing, through every
// write method the store has.
func testNoEventForNoop(t *testing.T, s connectors.Watcher) {
	mustPut(t, s, "a", sample())
	mustPut(t, s, "n", connectors.Config{"n": int64(1)})
	sub := subscribe(t, s)
	mustPut(t, s, "a", sample())
	mustPut(t, s, " n", connectors.Config{"n": 1, "absent": nil, "$include": "x"})
	mustDelete(t, s, "absent")
	if u, ok := s.(connectors.Updater); ok {
		if err := u.Update(t.Context(), func(m map[string]connectors.Config) error {
			m["a"] = sample()
			return nil
		}); err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	if v, ok := s.(connectors.Versioned); ok {
		mustEdit(t, v, map[string]connectors.Config{"a": sample(), "absent": nil})
	}
	wantEvents(t, nil, sub.flush(s))
}

// testStartsAtWatch makes changes before Watch, which yield nothing, and
// then removes a connector that existed when Watch was called.
func testStartsAtWatch(t *testing.T, s connectors.Watcher) {
	mustPut(t, s, "a", connectors.Config{"v": int64(1)})
	mustPut(t, s, "a", connectors.Config{"v": int64(2)})
	mustPut(t, s, "b", connectors.Config{})
	mustDelete(t, s, "b")
	sub := subscribe(t, s)
	mustDelete(t, s, "a")
	wantEvents(t, []connectors.Event{{Name: "a", Op: connectors.Removed}}, sub.flush(s))
}

// testMerges makes changes while a subscriber is not reading: they must
// not wait for it, and once the store has heard of them all it gets one
// event per changed connector, from what it knew to what is stored.
func testMerges(t *testing.T, s connectors.Watcher) {
	v1 := connectors.Config{"v": int64(1)}
	v2 := connectors.Config{"v": int64(2)}
	v3 := connectors.Config{"v": int64(3)}
	type write struct {
		name string
		cfg  connectors.Config // nil: Delete
	}
	tests := []struct {
		name   string
		before map[string]connectors.Config // stored before Watch
		writes []write
		want   []connectors.Event
		// ifSeen: the changes end where they began, and a store that
		// learns of them by looking (a file written by another process)
		// may not have seen the state between, which then no one can
		// have listed: want, or no event.
		ifSeen bool
	}{
		{
			name:   "add, update, update",
			writes: []write{{"x1", v1}, {"x1", v2}, {"x1", v3}},
			want:   []connectors.Event{{Name: "x1", Op: connectors.Added, Config: v3}},
		},
		{
			// Not nothing: a subscriber that listed the store after
			// Watch may have listed x2.
			name:   "add then delete",
			writes: []write{{"x2", v1}, {"x2", nil}},
			want:   []connectors.Event{{Name: "x2", Op: connectors.Removed}},
			ifSeen: true,
		},
		{
			name:   "update then delete",
			before: map[string]connectors.Config{"x3": v1},
			writes: []write{{"x3", v2}, {"x3", nil}},
			want:   []connectors.Event{{Name: "x3", Op: connectors.Removed}},
		},
		{
			name:   "delete then add back",
			before: map[string]connectors.Config{"x4": v1},
			writes: []write{{"x4", nil}, {"x4", v2}},
			want:   []connectors.Event{{Name: "x4", Op: connectors.Updated, Config: v2}},
		},
		{
			name:   "delete then add back as it was",
			before: map[string]connectors.Config{"x6": v1},
			writes: []write{{"x6", nil}, {"x6", v1}},
			want:   []connectors.Event{{Name: "x6", Op: connectors.Updated, Config: v1}},
			ifSeen: true,
		},
		{
			// Not nothing: a subscriber that listed the store after
			// Watch may have listed v2.
			name:   "update and back",
			before: map[string]connectors.Config{"x7": v1},
			writes: []write{{"x7", v2}, {"x7", v1}},
			want:   []connectors.Event{{Name: "x7", Op: connectors.Updated, Config: v1}},
			ifSeen: true,
		},
		{
			name:   "several connectors",
			before: map[string]connectors.Config{"x5a": v1, "x5b": v1},
			writes: []write{{"x5a", v2}, {"x5b", nil}, {"x5c", v1}, {"x5a", v3}, {"x5d", v1}, {"x5c", v2}},
			want: []connectors.Event{
				{Name: "x5a", Op: connectors.Updated, Config: v3},
				{Name: "x5b", Op: connectors.Removed},
				{Name: "x5c", Op: connectors.Added, Config: v2},
				{Name: "x5d", Op: connectors.Added, Config: v1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, cfg := range tt.before {
				mustPut(t, s, name, cfg)
			}
			sub := subscribe(t, s)
			// A second subscriber, which reads, tells when the store's
			// watchers have learned of the writes, for a store that
			// learns of them after they return (by polling, say).
			probe := subscribe(t, s)
			// The writes run beside the test, so that one that waits
			// for the subscriber fails the check instead of hanging it.
			done := make(chan error, 1)
			go func() {
				for _, w := range tt.writes {
					var err error
					if w.cfg == nil {
						err = s.Delete(t.Context(), w.name)
					} else {
						err = s.Put(t.Context(), w.name, w.cfg)
					}
					if err != nil {
						done <- fmt.Errorf("write of %q: %w", w.name, err)
						return
					}
				}
				done <- nil
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(waitLimit):
				t.Fatalf("writes did not end within %v while a subscriber was not reading", waitLimit)
			}
			probe.flush(s)
			got := sub.flush(s)
			if tt.ifSeen && len(got) == 0 {
				return
			}
			wantEvents(t, tt.want, got)
		})
	}
}

// testListAfterWatch follows the pattern the package documents for a
// host: Watch, then List, then apply each event to what was listed. A
// change made before the List and undone after it must reach the host,
// though the subscriber ends where it began: the host listed the state
// between. So must a connector added before the List and removed after.
func testListAfterWatch(t *testing.T, s connectors.Watcher) {
	v1 := connectors.Config{"v": int64(1)}
	v2 := connectors.Config{"v": int64(2)}
	mustPut(t, s, "y1", v1)
	sub := subscribe(t, s)
	mustPut(t, s, "y1", v2)
	mustPut(t, s, "y2", v1)
	host, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	mustPut(t, s, "y1", v1)
	if err := s.Delete(t.Context(), "y2"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, e := range sub.flush(s) {
		if e.Op == connectors.Removed {
			delete(host, e.Name)
		} else {
			host[e.Name] = e.Config
		}
	}
	stored, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for name := range host {
		if strings.HasPrefix(name, markerPrefix) {
			delete(host, name)
		}
	}
	for name := range stored {
		if strings.HasPrefix(name, markerPrefix) {
			delete(stored, name)
		}
	}
	if diff := cmpDiff(stored, host); diff != "" {
		t.Errorf("a host that listed after Watch and applied the events holds (-stored +host):\n%s", diff)
	}
}

// testTwoWatchers checks that each subscriber gets each event, with a
// config of its own.
func testTwoWatchers(t *testing.T, s connectors.Watcher) {
	first, second := subscribe(t, s), subscribe(t, s)
	mustPut(t, s, "a", sample())
	want := []connectors.Event{{Name: "a", Op: connectors.Added, Config: sample()}}
	e := first.receive()
	wantEvents(t, want, []connectors.Event{e})
	scribble(e.Config)
	wantEvents(t, want, []connectors.Event{second.receive()})
	wantGet(t, s, "a", sample())
}

// testEndsOnCancel checks that a range loop over Watch ends when its
// context is cancelled, whether it is waiting for an event or has not
// begun.
func testEndsOnCancel(t *testing.T, s connectors.Watcher) {
	tests := []struct {
		name         string
		cancelBefore bool // cancel before ranging begins
	}{
		{"while waiting", false},
		{"before ranging", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			seq := s.Watch(ctx)
			if tt.cancelBefore {
				cancel()
			}
			received := make(chan connectors.Event, 1)
			ended := make(chan struct{})
			go func() {
				defer close(ended)
				for e := range seq {
					select {
					case received <- e:
					default:
					}
				}
			}()
			if !tt.cancelBefore {
				// An event received shows the loop is running; it
				// then waits for the next.
				mustPut(t, s, fmt.Sprintf("a%d", i), connectors.Config{})
				select {
				case <-received:
				case <-time.After(waitLimit):
					t.Fatalf("no event within %v", waitLimit)
				}
				cancel()
			}
			select {
			case <-ended:
			case <-time.After(waitLimit):
				t.Fatalf("range loop did not end within %v of its context's cancellation", waitLimit)
			}
		})
	}
}
