// This file holds the tests of several replicas on one database: reads,
// events, the listener's resync, If-Match, and writers in two processes.

package pgstore

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// eventWait bounds every wait for an event: a guard against a hang, not
// a measure of speed.
const eventWait = 20 * time.Second

// watch starts a watch on s and returns a function that returns its next
// n events, failing t if they do not come within eventWait.
func watch(t *testing.T, s connectors.Watcher) func(n int) []connectors.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	seq := s.Watch(ctx)
	events := make(chan connectors.Event)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		defer close(events)
		for e := range seq {
			select {
			case events <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return func(n int) []connectors.Event {
		t.Helper()
		var got []connectors.Event
		timeout := time.After(eventWait)
		for len(got) < n {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("watch ended after %d of %d events: %v", len(got), n, got)
				}
				got = append(got, e)
			case <-timeout:
				t.Fatalf("got %d of %d events within %v: %v", len(got), n, eventWait, got)
			}
		}
		return got
	}
}

func TestReplicaReadsWrite(t *testing.T) {
	db := newTestDB(t)
	a := db.store(t, "a", db.options())
	b := db.store(t, "b", db.options())
	before := state(t, b) // b has its snapshot; the write must still show

	put(t, a, "telegram", connectors.Config{"botToken": "1:x"})
	got, err := b.Get(t.Context(), "telegram")
	if err != nil {
		t.Fatalf("Get on b right after a's Put: %v", err)
	}
	if diff := cmp.Diff(connectors.Config{"botToken": "1:x"}, got); diff != "" {
		t.Errorf("b's Get (-want +got):\n%s", diff)
	}
	if sa, sb := state(t, a), state(t, b); sa.Revision != sb.Revision || sb.Revision == before.Revision {
		t.Errorf("revisions: a %s, b %s, b before %s; want a == b, changed", sa.Revision, sb.Revision, before.Revision)
	}
}

func TestReplicaWatch(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.PollInterval = time.Hour // events must come from notifications
	a := db.store(t, "a", opts)
	b := db.store(t, "b", opts)
	put(t, a, "existing", connectors.Config{"v": "1"})
	next := watch(t, b)

	put(t, a, "telegram", connectors.Config{"botToken": "1:x"})
	if err := a.Delete(t.Context(), "existing"); err != nil {
		t.Fatal(err)
	}
	got := next(2)
	slices.SortFunc(got, func(x, y connectors.Event) int { return strings.Compare(x.Name, y.Name) })
	want := []connectors.Event{
		{Name: "existing", Op: connectors.Removed},
		{Name: "telegram", Op: connectors.Added, Config: connectors.Config{"botToken": "1:x"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("b's events (-want +got):\n%s", diff)
	}
}

// TestWatchStartsNow writes on a while b's snapshot is old, then watches
// on b: the write made before Watch is no event, the one after is.
func TestWatchStartsNow(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.PollInterval = time.Hour
	a := db.store(t, "a", opts)
	b := db.store(t, "b", opts)
	put(t, a, "before", connectors.Config{"v": "1"}) // b has not read it
	next := watch(t, b)
	put(t, a, "after", connectors.Config{"v": "2"})
	if got := next(1); got[0].Name != "after" {
		t.Errorf("first event %v, want the write after Watch", got[0])
	}
}

// TestPollOnly watches on a store that does not listen: a's writes reach
// b's watcher by polling, and b holds no listening connection.
func TestPollOnly(t *testing.T) {
	db := newTestDB(t)
	a := db.store(t, "a", db.options())
	opts := db.options()
	opts.PollOnly = true
	opts.PollInterval = 20 * time.Millisecond
	app := uniqueAppName("b")
	b := db.store(t, app, opts)
	next := watch(t, b)
	put(t, a, "telegram", connectors.Config{"v": "1"})
	if got := next(1); got[0].Name != "telegram" {
		t.Errorf("event %v, want telegram", got[0])
	}
	var n int
	if err := db.admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`,
		app+" listener").Scan(&n); err != nil || n != 0 {
		t.Errorf("poll-only store: %d listening connections (%v), want 0", n, err)
	}
}

// TestListenerResync kills the listening connection of b while a writes
// three times: b's watcher still gets all three, from the resync of the
// reconnected listener (the poller is too slow to be the one).
func TestListenerResync(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.PollInterval = time.Hour
	a := db.store(t, "a", opts)
	app := uniqueAppName("b")
	b := db.store(t, app, opts)
	next := watch(t, b)

	put(t, a, "first", connectors.Config{"n": 0})
	next(1) // b listens now
	for i := range 3 {
		var n int
		err := db.admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1`, app+" listener").Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		put(t, a, fmt.Sprint("c", i), connectors.Config{"n": i})
	}
	got := map[string]connectors.Op{}
	for len(got) < 3 {
		for _, e := range next(1) {
			got[e.Name] = e.Op
		}
	}
	want := map[string]connectors.Op{"c0": connectors.Added, "c1": connectors.Added, "c2": connectors.Added}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("b's events across reconnections (-want +got):\n%s", diff)
	}
}

// TestListenerPing makes b's connections a black hole, as a network that
// drops them silently does: the listener's ping finds it, and b's watcher
// gets a's write through a new connection.
func TestListenerPing(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.PollInterval = time.Hour
	opts.PingInterval = 100 * time.Millisecond
	a := db.store(t, "a", opts)
	p, b := proxiedStore(t, db, opts)
	next := watch(t, b)
	put(t, a, "first", connectors.Config{})
	next(1) // b listens now

	p.freeze()
	put(t, a, "second", connectors.Config{})
	if got := next(1); got[0].Name != "second" {
		t.Errorf("event %v, want second", got[0])
	}
}

// TestListenerBeforeConnect gives b a pool whose configured address is
// wrong and whose BeforeConnect hook sets the right one, as hosts that
// fetch credentials or addresses per connection do: b's listener
// connects through the hook too, so a's write reaches b's watcher by
// notification (the poller is too slow to be the one).
func TestListenerBeforeConnect(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.PollInterval = time.Hour
	a := db.store(t, "a", opts)
	b := open(t, db.poolWith(t, "b", func(cfg *pgxpool.Config) {
		host, port := cfg.ConnConfig.Host, cfg.ConnConfig.Port
		cfg.ConnConfig.Host, cfg.ConnConfig.Port = "127.0.0.1", 1 // nothing listens there
		cfg.BeforeConnect = func(_ context.Context, cc *pgx.ConnConfig) error {
			cc.Host, cc.Port = host, port
			return nil
		}
	}), opts)
	next := watch(t, b)
	put(t, a, "first", connectors.Config{})
	if got := next(1); got[0].Name != "first" {
		t.Errorf("event %v, want first", got[0])
	}
}

// TestListenerOnNotification gives b a pool whose connections have a
// notification handler of the host's: b's listener still receives the
// notifications itself, so a's write reaches b's watcher.
func TestListenerOnNotification(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.PollInterval = time.Hour
	a := db.store(t, "a", opts)
	b := open(t, db.poolWith(t, "b", func(cfg *pgxpool.Config) {
		cfg.ConnConfig.OnNotification = func(*pgconn.PgConn, *pgconn.Notification) {}
	}), opts)
	next := watch(t, b)
	put(t, a, "first", connectors.Config{})
	next(1) // b listens now
	put(t, a, "second", connectors.Config{})
	if got := next(1); got[0].Name != "second" {
		t.Errorf("event %v, want second", got[0])
	}
}

// TestHandEditedRow puts back, in SQL, a sealed row as it was before a
// change, raising the revision and the row's updated_revision as the
// package documentation says: a replica that had read the change sees
// the row as put back, and agrees with a new replica.
func TestHandEditedRow(t *testing.T) {
	db := newTestDB(t)
	a := db.store(t, "a", db.options())
	put(t, a, "telegram", connectors.Config{"v": int64(1)})
	var old []byte
	q := `SELECT sealed FROM ` + db.ident() + `.connectors WHERE name = 'telegram'`
	if err := db.admin.QueryRow(t.Context(), q).Scan(&old); err != nil {
		t.Fatal(err)
	}
	put(t, a, "telegram", connectors.Config{"v": int64(2)})
	state(t, a)
	_, err := db.admin.Exec(t.Context(), `WITH r AS (UPDATE `+db.ident()+`.connectors_revision SET revision = 3)
		UPDATE `+db.ident()+`.connectors SET sealed = $1, updated_revision = 3`, old)
	if err != nil {
		t.Fatal(err)
	}
	want := connectors.Config{"v": int64(1)}
	for _, s := range []*Store{a, db.store(t, "b", db.options())} {
		if diff := cmp.Diff(want, state(t, s).Connectors["telegram"]); diff != "" {
			t.Errorf("after the hand edit (-want +got):\n%s", diff)
		}
	}
}

// TestIfMatchAcrossReplicas checks that an ETag from one replica's
// handler guards a write through another's, once.
func TestIfMatchAcrossReplicas(t *testing.T) {
	db := newTestDB(t)
	a := db.store(t, "a", db.options())
	b := db.store(t, "b", db.options())
	put(t, a, "telegram", connectors.Config{"botToken": "1:x"})
	srvA := httptest.NewServer(connectors.NewHandler(a, connectors.HandlerOptions{}))
	defer srvA.Close()
	srvB := httptest.NewServer(connectors.NewHandler(b, connectors.HandlerOptions{}))
	defer srvB.Close()

	resp, err := http.Get(srvA.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tag := resp.Header.Get("Etag")
	if tag == "" {
		t.Fatal("GET on a: no ETag")
	}
	post := func(port int) int {
		body := fmt.Sprintf(`{"name":"telegram","config":{"botToken":"1:x","port":%d}}`, port)
		req, _ := http.NewRequest("POST", srvB.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-Match", tag)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(1); got != http.StatusOK {
		t.Errorf("first POST on b with a's ETag: %d, want 200", got)
	}
	if got := post(2); got != http.StatusPreconditionFailed {
		t.Errorf("second POST on b with the same ETag: %d, want 412", got)
	}
	cfg, err := a.Get(t.Context(), "telegram")
	if err != nil {
		t.Fatal(err)
	}
	if cfg["port"] != int64(1) {
		t.Errorf("stored port %v, want 1 (the first POST's)", cfg["port"])
	}
}

// Writers in two processes, each with its own store: the test binary runs
// itself as the second process, as cmd/go's lockedfile tests do.
const (
	writerEnv     = "PGSTORE_TEST_WRITER_SCHEMA" // set in the second process
	writers       = 8
	writesEach    = 12
	counterConfig = "counter"
)

// TestWritersInTwoProcesses has 8 writers in each of two processes raise
// one counter with read-modify-write Updates, and each write its own
// connectors: with a lost update, the counter would come short.
func TestWritersInTwoProcesses(t *testing.T) {
	if schema := os.Getenv(writerEnv); schema != "" {
		t.Skip("in the second process, runWriters runs instead")
	}
	db := newTestDB(t)
	s := db.store(t, "parent", db.options())

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestWriterProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), writerEnv+"="+db.schema)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	runWriters(t, s, "parent")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("second process: %v\n%s", err, out.String())
	}

	st := state(t, s)
	if got, want := st.Connectors[counterConfig]["n"], int64(2*writers*writesEach); got != want {
		t.Errorf("counter = %v, want %d: updates were lost", got, want)
	}
	if got, want := len(st.Connectors), 1+2*writers*writesEach; got != want {
		t.Errorf("%d connectors, want %d", got, want)
	}
	if st.Revision != fmt.Sprint(2*writers*writesEach*2) {
		t.Errorf("revision %s, want %d (two writes per round)", st.Revision, 2*writers*writesEach*2)
	}
}

// TestWriterProcess is the second process of TestWritersInTwoProcesses.
func TestWriterProcess(t *testing.T) {
	schema := os.Getenv(writerEnv)
	if schema == "" {
		t.Skip("run by TestWritersInTwoProcesses")
	}
	db := &testDB{url: testURL(t), schema: schema}
	opts := Options{Schema: schema, Keys: []Key{keyA}}
	pool := db.pool(t, "child")
	s, err := New(t.Context(), pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runWriters(t, s, "child")
}

// runWriters runs the writers of one process.
func runWriters(t *testing.T, s *Store, process string) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range writesEach {
				err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
					c := m[counterConfig]
					if c == nil {
						c = connectors.Config{"n": int64(0)}
					}
					c["n"] = c["n"].(int64) + 1
					m[counterConfig] = c
					return nil
				})
				if err != nil {
					t.Errorf("%s writer %d: %v", process, w, err)
					return
				}
				if err := s.Put(t.Context(), fmt.Sprintf("%s-%d-%d", process, w, i), connectors.Config{"i": i}); err != nil {
					t.Errorf("%s writer %d: %v", process, w, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
