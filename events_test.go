package connectors

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// within is how soon a change must be reported.
const within = time.Second

// subscribe ranges over w.Watch in a goroutine and forwards each event.
// The returned function ends the subscription and waits for the range to
// end.
func subscribe(t *testing.T, w Watcher) (<-chan Event, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan Event, 1000)
	var wg sync.WaitGroup
	seq := w.Watch(ctx) // subscribed from here on
	wg.Go(func() {
		for e := range seq {
			ch <- e
		}
	})
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return ch, stop
}

// expect reads events until it has want's names, each within the deadline,
// and compares them, ignoring order.
func expect(t *testing.T, ch <-chan Event, want ...Event) {
	t.Helper()
	var got []Event
	deadline := time.After(within)
	for len(got) < len(want) {
		select {
		case e := <-ch:
			got = append(got, e)
		case <-deadline:
			t.Fatalf("after %v got events %v, want %v", within, got, want)
		}
	}
	byName := func(a, b Event) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(got, byName)
	slices.SortFunc(want, byName)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
}

// expectNone checks that no event is pending after the store had time to
// notice one.
func expectNone(t *testing.T, ch <-chan Event, wait time.Duration) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected event %v (%v)", e, e.Config)
	case <-time.After(wait):
	}
}

func TestWatchStoreCalls(t *testing.T) {
	for _, s := range []struct {
		name  string
		store Watcher
	}{
		{"memory", &MemoryStore{}},
		{"file", newTestFileStore(t)},
	} {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			ch, _ := subscribe(t, s.store)
			s.store.Put(ctx, "telegram", Config{"botToken": "1:A"})
			expect(t, ch, Event{"telegram", Added, Config{"botToken": "1:A"}})
			s.store.Put(ctx, "telegram", Config{"botToken": "1:B"})
			expect(t, ch, Event{"telegram", Updated, Config{"botToken": "1:B"}})
			s.store.Put(ctx, "telegram", Config{"botToken": "1:B"}) // no change
			s.store.Delete(ctx, "absent")                           // no change
			s.store.Put(ctx, "discord", Config{"token": "D"})
			expect(t, ch, Event{"discord", Added, Config{"token": "D"}})
			s.store.Delete(ctx, "telegram")
			expect(t, ch, Event{Name: "telegram", Op: Removed})
			expectNone(t, ch, 2*defaultPoll)
		})
	}
}

func TestWatchAPI(t *testing.T) {
	store := newTestFileStore(t)
	ch, _ := subscribe(t, store)
	h := NewHandler(store, HandlerOptions{})
	do(t, h, "POST", "/", `{"name":"slack","config":{"botToken":"xoxb-1"}}`, nil)
	expect(t, ch, Event{"slack", Added, Config{"botToken": "xoxb-1"}})
	// A dashboard write-back that changes nothing yields nothing.
	do(t, h, "POST", "/", `{"name":"slack","config":{"botToken":"****"}}`, nil)
	do(t, h, "DELETE", "/slack", "", nil)
	expect(t, ch, Event{Name: "slack", Op: Removed})
	expectNone(t, ch, 2*defaultPoll)
}

func TestWatchOtherProcess(t *testing.T) {
	store := newTestFileStore(t)
	ctx := context.Background()
	store.Put(ctx, "telegram", Config{"botToken": "1:A"})
	ch, _ := subscribe(t, store)
	// The child is the writers job with one goroutine and one op: it puts
	// p1-g0-0.
	cmd := child(t, "writers", store.Path(), "1", "1", "1")
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v", err)
	}
	expect(t, ch, Event{"p1-g0-0", Added, Config{"seq": int64(0), "botToken": "0:tok-1-0"}})
}

// TestWatchHandEdit saves the file the way editors do, by writing a new
// file and renaming it over the old, with three connectors changed.
func TestWatchHandEdit(t *testing.T) {
	store := newTestFileStore(t)
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c", "d"} {
		store.Put(ctx, n, Config{"token": n})
	}
	ch, _ := subscribe(t, store)
	save := func(text string) {
		t.Helper()
		tmp := store.Path() + ".swp"
		if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, store.Path()); err != nil {
			t.Fatal(err)
		}
	}
	// An editor half-way through: not TOML. No events, no crash.
	save("[connectors.a]\ntoken = \"a\n")
	expectNone(t, ch, 3*defaultPoll)
	save(`[other]
x = 1
[connectors.a]
token = "a"
[connectors.b]
token = "rotated"
[connectors.d]
token = "d"
[connectors.e]
token = "e"
`)
	expect(t, ch,
		Event{"b", Updated, Config{"token": "rotated"}},
		Event{Name: "c", Op: Removed},
		Event{"e", Added, Config{"token": "e"}},
	)
	// Rewritten with the same connectors: nothing to report.
	save("[connectors.a]\ntoken = \"a\"\n[connectors.b]\ntoken = \"rotated\"\n[connectors.d]\ntoken = \"d\"\n[connectors.e]\ntoken = \"e\"\n")
	expectNone(t, ch, 3*defaultPoll)
}

// TestWatchSlowSubscriber checks that a subscriber that does not read
// blocks no writer, and then gets one merged event per changed connector,
// in the order they first changed, with its latest state.
func TestWatchSlowSubscriber(t *testing.T) {
	for _, s := range []struct {
		name  string
		store Watcher
	}{
		{"memory", &MemoryStore{}},
		{"file", newTestFileStore(t)},
	} {
		t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx0 := context.Background()
			s.store.Put(ctx0, "kept", Config{"v": int64(0)})
			s.store.Put(ctx0, "gone", Config{"v": int64(0)})
			s.store.Put(ctx0, "same", Config{"v": int64(0)})
			s.store.Put(ctx0, "twice", Config{"v": int64(0)})
			events := s.store.Watch(ctx) // subscribed, not reading
			for i := range 300 {
				s.store.Put(ctx0, "kept", Config{"v": int64(i + 1)})
				s.store.Put(ctx0, "flash", Config{"v": int64(i)})
				s.store.Delete(ctx0, "flash")
			}
			s.store.Delete(ctx0, "gone")
			s.store.Put(ctx0, "gone", Config{"v": int64(7)})
			s.store.Put(ctx0, "new", Config{"v": int64(1)})
			s.store.Put(ctx0, "new", Config{"v": int64(2)})
			// Back to what the subscriber has: an event all the same.
			s.store.Delete(ctx0, "same")
			s.store.Put(ctx0, "same", Config{"v": int64(0)})
			s.store.Put(ctx0, "twice", Config{"v": int64(1)})
			s.store.Put(ctx0, "twice", Config{"v": int64(0)})

			s.store.Put(ctx0, "marker", Config{})
			var got []Event
			for e := range events {
				if e.Name == "marker" {
					cancel()
					continue
				}
				got = append(got, e)
			}
			want := []Event{
				{"kept", Updated, Config{"v": int64(300)}},
				{"flash", Removed, nil},
				{"gone", Updated, Config{"v": int64(7)}},
				{"new", Added, Config{"v": int64(2)}},
				{"same", Updated, Config{"v": int64(0)}},
				{"twice", Updated, Config{"v": int64(0)}},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("merged events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWatchLeavesNoGoroutine ends subscriptions in both ways (cancel and
// break) and checks that every goroutine they started has ended.
func TestWatchLeavesNoGoroutine(t *testing.T) {
	store := newTestFileStore(t)
	before := runtime.NumGoroutine()
	_, stop := subscribe(t, store)
	_, stop2 := subscribe(t, store)
	ctx, cancel := context.WithCancel(context.Background())
	seq := store.Watch(ctx) // never ranged: cancel alone must release it
	events := store.Watch(context.Background())
	var put sync.WaitGroup
	put.Go(func() { store.Put(context.Background(), "x", Config{}) })
	for range events {
		break // ending by break
	}
	put.Wait()
	_ = seq
	stop()
	stop2()
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
	store.hub.mu.Lock()
	defer store.hub.mu.Unlock()
	if len(store.hub.subs) != 0 || store.hub.quit != nil {
		t.Fatalf("hub still has %d subscribers, poller running: %v", len(store.hub.subs), store.hub.quit != nil)
	}
}

func TestEventShowsNoValue(t *testing.T) {
	e := Event{"telegram", Updated, Config{"botToken": "123456:SECRETVALUE"}}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("changed", "event", e)
	for name, text := range map[string]string{
		"String": e.String(), "%v": fmt.Sprintf("%v", e), "%+v": fmt.Sprintf("%+v", e), "%#v": fmt.Sprintf("%#v", e), "slog": logs.String(),
	} {
		if strings.Contains(text, "SECRETVALUE") || !strings.Contains(text, "telegram") {
			t.Errorf("%s = %q", name, text)
		}
	}
}

func TestWatchSeesWriteByAnotherStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.json")
	a, _ := NewFileStore(path, FileOptions{})
	b, _ := NewFileStore(path, FileOptions{})
	ch, _ := subscribe(t, a)
	b.Put(context.Background(), "matrix", Config{"password": "p"})
	expect(t, ch, Event{"matrix", Added, Config{"password": "p"}})
}

// TestWatchStartsFromTheFileAsItIs subscribes to a store that never read
// its file: what is already there is no change.
func TestWatchStartsFromTheFileAsItIs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(path, []byte("[connectors.telegram]\nbotToken = \"1:A\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := subscribe(t, store)
	if _, err := store.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	expectNone(t, ch, 2*defaultPoll)
	store.Put(context.Background(), "discord", Config{"token": "D"})
	expect(t, ch, Event{"discord", Added, Config{"token": "D"}})
}

// TestWatchPendingStaysBounded toggles a connector many times under a
// subscriber that never reads: what it holds must not grow.
func TestWatchPendingStaysBounded(t *testing.T) {
	store := &MemoryStore{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store.Watch(ctx)
	for range 10000 {
		store.Put(context.Background(), "x", Config{})
		store.Delete(context.Background(), "x")
	}
	store.hub.mu.Lock()
	defer store.hub.mu.Unlock()
	for s := range store.hub.subs {
		s.mu.Lock()
		n := len(s.order)
		s.mu.Unlock()
		if n > 100 {
			t.Errorf("subscriber holds %d names for %d pending events", n, len(s.pending))
		}
	}
}

// defaultPoll is a FileStore's poll interval when FileOptions leaves it zero.
const defaultPoll = 250 * time.Millisecond
