// This file holds the tests of leases: one holder at a time among
// stores and goroutines, renewal, loss when the database is out of
// reach, takeover after a holder is killed, and release by Close.

package pgstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// take takes the lease key for holder in s, failing t on error; the
// lease is released when the test ends.
func take(t *testing.T, s *Store, key, holder string) *Lease {
	t.Helper()
	l, err := s.TryLease(t.Context(), key, holder)
	if err != nil {
		t.Fatalf("TryLease(%q, %q): %v", key, holder, err)
	}
	t.Cleanup(func() { l.Release(context.Background()) })
	return l.(*Lease)
}

// leases returns s's leases, failing t on error.
func leases(t *testing.T, s *Store) map[string]connectors.LeaseInfo {
	t.Helper()
	m, err := s.Leases(t.Context())
	if err != nil {
		t.Fatalf("Leases: %v", err)
	}
	return m
}

// isLost reports whether l's Lost channel is closed.
func isLost(l connectors.Lease) bool {
	select {
	case <-l.Lost():
		return true
	default:
		return false
	}
}

// leaseWait bounds the waits for a lease's Lost: a guard against a
// hang, not a measure of speed.
const leaseWait = 10 * time.Second

// waitLost waits for l's Lost to close, failing t after leaseWait.
func waitLost(t *testing.T, l connectors.Lease) {
	t.Helper()
	select {
	case <-l.Lost():
	case <-time.After(leaseWait):
		t.Fatalf("Lost not closed after %v", leaseWait)
	}
}

// TestLeaseExclusive has two stores, each with its own pool, contend for
// one key, on tables whose names need quoting: the holder keeps it until
// it releases it, and both see the holder and its data.
func TestLeaseExclusive(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.Table = `Odd "Name"; x`
	a := db.store(t, "a", opts)
	b := db.store(t, "b", opts)
	const key = "connector/telegram"

	la := take(t, a, key, "replica-a")
	if _, err := b.TryLease(t.Context(), key, "replica-b"); !errors.Is(err, connectors.ErrLeaseHeld) {
		t.Fatalf("b's TryLease of a held lease = %v, want ErrLeaseHeld", err)
	}
	if _, err := a.TryLease(t.Context(), key, "replica-a"); !errors.Is(err, connectors.ErrLeaseHeld) {
		t.Fatalf("a's second TryLease of its own lease = %v, want ErrLeaseHeld", err)
	}
	status := []byte(`{"state":"running"}`)
	if err := la.Set(t.Context(), status); err != nil {
		t.Fatalf("Set: %v", err)
	}
	want := map[string]connectors.LeaseInfo{key: {Holder: "replica-a", Data: status}}
	for name, s := range map[string]*Store{"a": a, "b": b} {
		if diff := cmp.Diff(want, leases(t, s)); diff != "" {
			t.Errorf("%s's Leases (-want +got):\n%s", name, diff)
		}
	}

	if err := la.Release(t.Context()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if !isLost(la) {
		t.Error("Lost is open after Release")
	}
	lb := take(t, b, key, "replica-b") // at once: the row is gone, not waiting for its expiry
	if lb.Token() <= la.Token() {
		t.Errorf("b's token %d is not above a's %d", lb.Token(), la.Token())
	}
	want = map[string]connectors.LeaseInfo{key: {Holder: "replica-b"}}
	if diff := cmp.Diff(want, leases(t, a)); diff != "" {
		t.Errorf("Leases after the takeover (-want +got):\n%s", diff)
	}
	if err := la.Set(t.Context(), []byte("stale")); err == nil {
		t.Error("Set on a released lease succeeded")
	}
	if diff := cmp.Diff(want, leases(t, b)); diff != "" {
		t.Errorf("Leases after a's Set on its released lease (-want +got):\n%s", diff)
	}
}

// TestLeaseRace has goroutines on two stores race for one key, round
// after round: each round exactly one wins, and the tokens grow.
func TestLeaseRace(t *testing.T) {
	db := newTestDB(t)
	stores := []*Store{db.store(t, "a", db.options()), db.store(t, "b", db.options())}
	const (
		rounds = 20
		each   = 8 // goroutines per store
	)
	var last int64
	for round := range rounds {
		start := make(chan struct{})
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []connectors.Lease
		)
		for i := range 2 * each {
			s := stores[i%2]
			wg.Go(func() {
				<-start
				l, err := s.TryLease(t.Context(), "k", fmt.Sprint("g", i))
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, l)
					mu.Unlock()
				case !errors.Is(err, connectors.ErrLeaseHeld):
					t.Errorf("round %d: TryLease: %v", round, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d winners, want 1", round, len(winners))
		}
		l := winners[0].(*Lease)
		if l.Token() <= last {
			t.Errorf("round %d: token %d after %d", round, l.Token(), last)
		}
		last = l.Token()
		if err := l.Release(t.Context()); err != nil {
			t.Fatalf("round %d: Release: %v", round, err)
		}
	}
}

// TestLeaseRenewed holds a lease for longer than its TTL: renewals keep
// it.
func TestLeaseRenewed(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = 2 * time.Second // long enough that a loaded machine renews in time
	a := db.store(t, "a", opts)
	b := db.store(t, "b", opts)
	la := take(t, a, "k", "a")
	select {
	case <-la.Lost():
		t.Fatal("the lease was lost while the database was there")
	case <-time.After(opts.LeaseTTL * 3 / 2):
	}
	if _, err := b.TryLease(t.Context(), "k", "b"); !errors.Is(err, connectors.ErrLeaseHeld) {
		t.Errorf("TryLease after twice the TTL = %v, want ErrLeaseHeld", err)
	}
}

// TestLeaseCutOff cuts a holder off the database, by closing its
// connections or by making every connection silent: it gives the lease
// up before another store can take it, and the other takes it within the
// TTL and a second of the cut.
func TestLeaseCutOff(t *testing.T) {
	tests := []struct {
		name   string
		cut    func(*proxy)
		closed bool // reads fail at once, rather than wait
	}{
		{"closed", func(p *proxy) { p.setDown(true) }, true},
		{"silent", (*proxy).silence, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newTestDB(t)
			opts := db.options()
			opts.LeaseTTL = time.Second
			b := db.store(t, "b", opts)
			p, a := proxiedStore(t, db, opts)
			la, err := a.TryLease(t.Context(), "k", "a")
			if err != nil {
				t.Fatal(err)
			}

			cut := time.Now()
			tt.cut(p)
			lost := make(chan time.Duration, 1)
			go func() {
				<-la.Lost()
				lost <- time.Since(cut)
			}()
			for {
				_, err := b.TryLease(t.Context(), "k", "b")
				if err == nil {
					break
				}
				if !errors.Is(err, connectors.ErrLeaseHeld) {
					t.Fatalf("b's TryLease: %v", err)
				}
				if time.Since(cut) > opts.LeaseTTL+time.Second {
					t.Fatalf("b could not take the lease within %v of the cut", opts.LeaseTTL+time.Second)
				}
				time.Sleep(20 * time.Millisecond)
			}
			taken := time.Since(cut)
			if !isLost(la) {
				t.Fatalf("b took the lease %v after the cut, while a's Lost was open: two holders", taken)
			}
			t.Logf("after the cut: a lost the lease in %v, b took it in %v", <-lost, taken)

			if err := la.Set(t.Context(), []byte("x")); err == nil {
				t.Error("Set on a lost lease succeeded")
			}
			for range 2 {
				if err := la.Release(t.Context()); err != nil {
					t.Errorf("Release of a lost lease: %v", err)
				}
			}
			if _, err := a.TryLease(t.Context(), "other", "a"); !errors.Is(err, connectors.ErrUnavailable) {
				t.Errorf("TryLease cut off = %v, want ErrUnavailable", err)
			}
			if tt.closed {
				if _, err := a.Leases(t.Context()); !errors.Is(err, connectors.ErrUnavailable) {
					t.Errorf("Leases cut off = %v, want ErrUnavailable", err)
				}
			}
		})
	}
}

// TestLeaseTakenOver makes a's leases expire behind its back, as a clock
// of a's that ran far slower than the database's would, and lets b take
// them: a's Set finds its lease gone and closes Lost, and so does a's
// next renewal.
func TestLeaseTakenOver(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = time.Second
	a := db.store(t, "a", opts)
	b := db.store(t, "b", opts)
	bySet := take(t, a, "set", "a")
	byRenewal := take(t, a, "renewal", "a")
	if _, err := db.admin.Exec(t.Context(), "UPDATE "+a.t.leases+" SET expires_at = now()"); err != nil {
		t.Fatal(err)
	}
	take(t, b, "set", "b")
	take(t, b, "renewal", "b")

	if err := bySet.Set(t.Context(), []byte("a's")); !errors.Is(err, errLeaseLost) {
		t.Errorf("Set on a lease taken over = %v, want errLeaseLost", err)
	}
	if !isLost(bySet) {
		t.Error("Lost is open after Set found the lease taken over")
	}
	waitLost(t, byRenewal)
	want := map[string]connectors.LeaseInfo{"set": {Holder: "b"}, "renewal": {Holder: "b"}}
	if diff := cmp.Diff(want, leases(t, a)); diff != "" {
		t.Errorf("Leases (-want +got):\n%s", diff)
	}
	for _, l := range []*Lease{bySet, byRenewal} {
		for range 2 {
			if err := l.Release(t.Context()); err != nil {
				t.Errorf("Release of a lease taken over: %v", err)
			}
		}
	}
	if diff := cmp.Diff(want, leases(t, a)); diff != "" {
		t.Errorf("Leases after a released what b holds (-want +got):\n%s", diff)
	}
}

// TestLeaseCloseReleases closes a store that holds leases: they are lost
// to it and another store takes them at once, long before they expire.
func TestLeaseCloseReleases(t *testing.T) {
	db := newTestDB(t)
	a := db.store(t, "a", db.options()) // the default TTL, 3s
	b := db.store(t, "b", db.options())
	keys := []string{"connector/a", "connector/b", "replica/a"}
	var held []*Lease
	for _, key := range keys {
		held = append(held, take(t, a, key, "a"))
	}
	a.Close()
	for i, l := range held {
		if !isLost(l) {
			t.Errorf("%s: Lost is open after Close", keys[i])
		}
		if err := l.Release(t.Context()); err != nil {
			t.Errorf("%s: Release after Close: %v", keys[i], err)
		}
	}
	for _, key := range keys {
		take(t, b, key, "b")
	}
	if _, err := a.TryLease(t.Context(), "other", "a"); !errors.Is(err, connectors.ErrClosed) {
		t.Errorf("TryLease after Close = %v, want ErrClosed", err)
	}
	if _, err := a.Leases(t.Context()); !errors.Is(err, connectors.ErrClosed) {
		t.Errorf("Leases after Close = %v, want ErrClosed", err)
	}
}

func TestLeaseArguments(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	tests := []struct {
		name, key, holder string
		want              string // in the error; "" for none
	}{
		{"valid", "connector/télégram", "replica-1", ""},
		{"longest key", strings.Repeat("é", 128), "h", ""},
		{"empty holder", "k2", "", ""},
		{"empty key", "", "h", "lease key is 0 bytes"},
		{"long key", strings.Repeat("k", 257), "h", "lease key is 257 bytes, want 1 to 256"},
		{"key not UTF-8", "k\xff", "h", "lease key is not valid UTF-8"},
		{"key with NUL", "k\x00", "h", "lease key holds a NUL byte"},
		{"holder not UTF-8", "k3", "h\xff", "lease holder is not valid UTF-8"},
		{"holder with NUL", "k4", "h\x00", "lease holder holds a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := s.TryLease(t.Context(), tt.key, tt.holder)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("TryLease: %v, want nil", err)
			case tt.want == "":
				l.Release(t.Context())
			case err == nil || !strings.Contains(err.Error(), tt.want):
				t.Errorf("TryLease: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// The lease holder in a second process, which the test kills.
const (
	leaseHolderEnv = "PGSTORE_TEST_LEASE_SCHEMA" // set in the second process
	killedKey      = "connector/killed"
)

// TestLeaseOfKilledProcess runs a second process that takes a lease and
// kills it: the lease is held until it expires, and this process, trying
// every half second as the Supervisor does, takes it within 5 seconds of
// the kill.
func TestLeaseOfKilledProcess(t *testing.T) {
	if os.Getenv(leaseHolderEnv) != "" {
		t.Skip("in the second process, TestLeaseHolderProcess runs instead")
	}
	db := newTestDB(t)
	s := db.store(t, "parent", db.options()) // the default TTL, 3s

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLeaseHolderProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), leaseHolderEnv+"="+db.schema)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "holding ") {
		out.WriteString(lines.Text() + "\n")
	}
	if !strings.HasPrefix(lines.Text(), "holding ") {
		t.Fatalf("the second process did not take the lease:\n%s%s", out.String(), stderr.String())
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to release
		t.Fatal(err)
	}
	killed := time.Now()
	cmd.Wait()
	if _, err := s.TryLease(t.Context(), killedKey, "parent"); !errors.Is(err, connectors.ErrLeaseHeld) {
		t.Fatalf("TryLease right after the kill = %v, want ErrLeaseHeld: the lease was not held", err)
	}
	for {
		time.Sleep(500 * time.Millisecond)
		_, err := s.TryLease(t.Context(), killedKey, "parent")
		if err == nil {
			break
		}
		if !errors.Is(err, connectors.ErrLeaseHeld) {
			t.Fatal(err)
		}
		if time.Since(killed) > 5*time.Second {
			t.Fatal("the lease of the killed process was not free within 5s")
		}
	}
	t.Logf("took the lease %v after the kill", time.Since(killed))
}

// TestLeaseHolderProcess is the second process of
// TestLeaseOfKilledProcess: it takes the lease, says so, and waits to be
// killed.
func TestLeaseHolderProcess(t *testing.T) {
	schema := os.Getenv(leaseHolderEnv)
	if schema == "" {
		t.Skip("run by TestLeaseOfKilledProcess")
	}
	db := &testDB{url: testURL(t), schema: schema}
	s, err := New(t.Context(), db.pool(t, "child"), Options{Schema: schema, Keys: []Key{keyA}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.TryLease(t.Context(), killedKey, "child")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("holding %d\n", l.(*Lease).Token())
	select {
	case <-l.Lost():
		t.Error("lost the lease before being killed")
	case <-time.After(time.Minute): // the parent has died
	}
}

// TestLeaseRenewalRace releases leases while the renewer renews them and
// closes the store while it takes more: for the race detector, and to see
// that no row outlives Close.
func TestLeaseRenewalRace(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = 500 * time.Millisecond
	s := db.store(t, "a", opts)
	var taken, unanswered atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				l, err := s.TryLease(t.Context(), fmt.Sprint("k", g, "-", i), "a")
				switch {
				case errors.Is(err, connectors.ErrClosed):
					return
				case errors.Is(err, connectors.ErrUnavailable): // a loaded machine, a short TTL
					unanswered.Add(1)
					continue
				case err != nil:
					t.Errorf("TryLease: %v", err)
					return
				}
				taken.Add(1)
				time.Sleep(time.Duration(i%5) * 10 * time.Millisecond)
				l.Release(t.Context())
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	s.Close()
	wg.Wait()
	if taken.Load() == 0 {
		t.Error("no lease was taken")
	}
	// A TryLease that gave up waiting may have left a row, held by nobody
	// until it expires.
	if n := len(leases(t, db.store(t, "b", opts))); n != 0 && unanswered.Load() == 0 {
		t.Errorf("%d leases held after Close, want 0", n)
	}
}

// TestLeaseTryCancelled cancels TryLease calls at moments spread over
// their statement's run: one that fails leaves no lease held, and one
// cancelled fails with the context's error. Cancelling the statement in
// flight gave up waiting for it, while the database had taken the lease
// or went on to: a row that nobody held or released until it expired,
// so that a Supervisor stopped in the middle of taking a connector kept
// it from every replica for up to LeaseTTL.
func TestLeaseTryCancelled(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	taken, cancelled := 0, 0
	for i := range 200 {
		key := fmt.Sprint("k", i)
		ctx, cancel := context.WithCancel(t.Context())
		timer := time.AfterFunc(time.Duration(i%25)*40*time.Microsecond, cancel)
		l, err := s.TryLease(ctx, key, "a")
		timer.Stop()
		cancel()
		if err == nil {
			taken++
			if err := l.Release(t.Context()); err != nil {
				t.Fatalf("Release: %v", err)
			}
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("TryLease cancelled: %v, want context.Canceled", err)
		}
		cancelled++
		if held := leases(t, s); len(held) != 0 {
			t.Fatalf("after TryLease(%q) failed with %v, leases are held: %v", key, err, held)
		}
	}
	t.Logf("%d taken, %d cancelled", taken, cancelled)
	if cancelled == 0 {
		t.Skip("no TryLease was cancelled: the database answered too fast for this test")
	}
}

// TestLeaseTryCancelledSilent cancels a TryLease whose statement gets no
// answer (a silent connection): it returns with the context's error once
// LeaseTTL/6 has passed after the cancel, not only when the lease would
// have to be given up (LeaseTTL*5/6), which would hold up a Supervisor's
// stop as long.
func TestLeaseTryCancelledSilent(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = 6 * time.Second // a grace of 1s, a life of 5s
	p, s := proxiedStore(t, db, opts)
	p.silence()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	began := time.Now()
	_, err := s.TryLease(ctx, "k", "a")
	took := time.Since(began)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("TryLease cancelled on a silent connection: %v, want context.Canceled", err)
	}
	if took > 3*time.Second {
		t.Errorf("TryLease cancelled after 50ms on a silent connection returned after %v, want about 1s", took.Round(time.Millisecond))
	}
}

// TestLeaseStarvedPool holds leases through a store whose pool is kept
// busy by slow queries, so that renewals wait for a connection and some
// come too late, while another store tries to take the leases all along:
// whenever it takes one, the first store has already given it up. A
// renewal is timed from before it waits for a connection.
func TestLeaseStarvedPool(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = 600 * time.Millisecond
	cfg, err := pgxpool.ParseConfig(db.url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Migrate(t.Context(), pool, opts); err != nil {
		t.Fatal(err)
	}
	a, err := New(t.Context(), pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := db.store(t, "b", opts)

	const keys = 10
	var mu sync.Mutex
	held := map[string]connectors.Lease{} // a's lease of each key
	for i := range keys {
		key := fmt.Sprint("k", i)
		l, err := a.TryLease(t.Context(), key, "a")
		if err != nil {
			t.Fatal(err)
		}
		held[key] = l
	}
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 3 { // more slow queries than connections
		wg.Go(func() {
			for ctx.Err() == nil {
				pool.Exec(ctx, "SELECT pg_sleep(0.45)")
			}
		})
	}
	taken := 0
	for ctx.Err() == nil {
		for i := range keys {
			key := fmt.Sprint("k", i)
			lb, err := b.TryLease(ctx, key, "b")
			if err != nil {
				continue
			}
			mu.Lock()
			la := held[key]
			mu.Unlock()
			if la != nil && !isLost(la) {
				t.Errorf("b took %s while a's lease of it is not lost", key)
			}
			taken++
			lb.Release(t.Context())
			if la, err := a.TryLease(ctx, key, "a"); err == nil { // a holds it again
				mu.Lock()
				held[key] = la
				mu.Unlock()
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("b took a lease %d times", taken)
}

// TestLeaseUnderSessionSettings takes, races for and reads leases
// through pools whose sessions a host set up otherwise than PostgreSQL's
// defaults: a stricter default isolation, under which racing takes of a
// lease still each end in a lease or ErrLeaseHeld, never in a
// serialization failure; and the simple protocol with bytea_output
// 'escape' (as with PgBouncer and an older client's settings), under
// which Leases still reads each lease's data.
func TestLeaseUnderSessionSettings(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		mode   pgx.QueryExecMode
	}{
		{"repeatable read", map[string]string{"default_transaction_isolation": "repeatable read"}, pgx.QueryExecModeCacheStatement},
		{"serializable", map[string]string{"default_transaction_isolation": "serializable"}, pgx.QueryExecModeCacheStatement},
		{"escaped bytea, simple protocol", map[string]string{"bytea_output": "escape"}, pgx.QueryExecModeSimpleProtocol},
		{"escaped bytea, exec", map[string]string{"bytea_output": "escape"}, pgx.QueryExecModeExec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newTestDB(t)
			opts := db.options()
			if err := Migrate(t.Context(), db.admin, opts); err != nil {
				t.Fatal(err)
			}
			var stores []*Store
			for range 2 {
				pool := db.poolWith(t, "lease", func(cfg *pgxpool.Config) {
					maps.Copy(cfg.ConnConfig.RuntimeParams, tt.params)
					cfg.ConnConfig.DefaultQueryExecMode = tt.mode
				})
				stores = append(stores, open(t, pool, opts))
			}

			for round := range 10 {
				start := make(chan struct{})
				var (
					wg      sync.WaitGroup
					winners atomic.Int32
				)
				for i := range 8 {
					wg.Go(func() {
						<-start
						l, err := stores[i%2].TryLease(t.Context(), "k", fmt.Sprint("g", i))
						switch {
						case err == nil:
							winners.Add(1)
							if err := l.Release(t.Context()); err != nil {
								t.Errorf("Release: %v", err)
							}
						case !errors.Is(err, connectors.ErrLeaseHeld):
							t.Errorf("round %d: TryLease: %v, want a lease or ErrLeaseHeld", round, err)
						}
					})
				}
				close(start)
				wg.Wait()
				if winners.Load() == 0 {
					t.Errorf("round %d: nobody took the free lease", round)
				}
			}

			l := take(t, stores[0], "status", "replica-a")
			data := []byte("\x00\\'\xff{\"state\":\"running\"}")
			if err := l.Set(t.Context(), data); err != nil {
				t.Fatalf("Set: %v", err)
			}
			want := map[string]connectors.LeaseInfo{"status": {Holder: "replica-a", Data: data}}
			for i, s := range stores {
				if diff := cmp.Diff(want, leases(t, s)); diff != "" {
					t.Errorf("store %d's Leases (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestLeaseTakenDuringClose: a TryLease whose statement is under way as
// Close runs returns ErrClosed and leaves no lease row behind, on a store
// whose pool Close closes (Open's): another replica takes the lease at
// once.
func TestLeaseTakenDuringClose(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	tracer := &closeOnTake{closed: make(chan struct{})}
	cfg, err := pgxpool.ParseConfig(db.url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Migrate(t.Context(), pool, opts); err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	s.owned = true // as Open makes it: Close closes the pool
	tracer.s.Store(s)
	if _, err := s.TryLease(t.Context(), "job", "a"); !errors.Is(err, connectors.ErrClosed) {
		t.Errorf("TryLease as Close ran: %v, want ErrClosed", err)
	}
	if !tracer.fired.Load() {
		t.Fatal("no statement took a lease")
	}
	<-tracer.closed
	b := db.store(t, "b", opts)
	if _, err := b.TryLease(t.Context(), "job", "b"); err != nil {
		t.Errorf("the lease right after the other store closed: %v; rows: %v", err, leases(t, b))
	}
}

// closeOnTake closes the store s, in another goroutine, as the first
// statement that takes a lease is sent, and lets it run a moment first.
type closeOnTake struct {
	s      atomic.Pointer[Store]
	fired  atomic.Bool
	closed chan struct{}
}

func (c *closeOnTake) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if s := c.s.Load(); s != nil && strings.HasPrefix(data.SQL, "INSERT INTO") && strings.Contains(data.SQL, leasesSuffix) && c.fired.CompareAndSwap(false, true) {
		go func() {
			s.Close()
			close(c.closed)
		}()
		time.Sleep(100 * time.Millisecond)
	}
	return ctx
}

func (c *closeOnTake) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
