package pgstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
)

// TestSupervisorConnectionLost: two supervisors on one database, one of
// them (a) reaching it through a proxy. a runs the connector; when a's
// connection goes silent, a stops the connector before b starts it, and b
// starts it within 5s.
func TestSupervisorConnectionLost(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	b := db.store(t, "b", opts)
	p, a := proxiedStore(t, db, opts)
	put(t, b, "telegram", connectors.Config{"botToken": "1:A"})

	var mu sync.Mutex
	running := map[string]bool{} // replica -> runs telegram
	var stoppedA, startedB time.Time
	run := func(replica string) connectors.RunFunc {
		return func(ctx context.Context, name string, cfg connectors.Config) error {
			mu.Lock()
			for other, on := range running {
				if on {
					t.Errorf("%s started %s while %s runs it", replica, name, other)
				}
			}
			running[replica] = true
			if replica == "b" {
				startedB = time.Now()
			}
			mu.Unlock()
			<-ctx.Done()
			mu.Lock()
			running[replica] = false
			if replica == "a" {
				stoppedA = time.Now()
			}
			mu.Unlock()
			return nil
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	supA := connectors.NewSupervisor(a, run("a"), connectors.SupervisorOptions{Replica: "a"})
	wg.Go(func() { supA.Run(ctx) })
	until(t, "a running telegram", 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return running["a"] })
	supB := connectors.NewSupervisor(b, run("b"), connectors.SupervisorOptions{Replica: "b"})
	wg.Go(func() { supB.Run(ctx) })
	until(t, "b's status showing a", 5*time.Second, func() bool {
		st, err := supB.Status(ctx)
		return err == nil && st["telegram"].Replica == "a" && st["telegram"].State != connectors.Stopped
	})

	cut := time.Now()
	p.silence()
	until(t, "b running telegram", 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return running["b"] })
	mu.Lock()
	defer mu.Unlock()
	if stoppedA.IsZero() || !stoppedA.Before(startedB) {
		t.Errorf("a stopped at %v, b started at %v: not one after the other", stoppedA, startedB)
	}
	t.Logf("connection cut: a stopped after %v, b started after %v", stoppedA.Sub(cut).Round(time.Millisecond), startedB.Sub(cut).Round(time.Millisecond))
}

// exclusive records which replicas run which connectors, in one process,
// and fails the test if a connector starts on one replica while it runs
// on another.
type exclusive struct {
	t       *testing.T
	stop    time.Duration // how long a run takes to stop once its context ends
	mu      sync.Mutex
	running map[string]string // connector -> replica
}

func newExclusive(t *testing.T) *exclusive {
	return &exclusive{t: t, running: map[string]string{}}
}

// run returns replica's run function, which runs until its context ends.
func (x *exclusive) run(replica string) connectors.RunFunc {
	return func(ctx context.Context, name string, cfg connectors.Config) error {
		x.mu.Lock()
		if other, ok := x.running[name]; ok {
			x.t.Errorf("%s started %s while %s runs it", replica, name, other)
		}
		x.running[name] = replica
		x.mu.Unlock()
		<-ctx.Done()
		time.Sleep(x.stop)
		x.mu.Lock()
		delete(x.running, name)
		x.mu.Unlock()
		return nil
	}
}

// count returns how many connectors run.
func (x *exclusive) count() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.running)
}

// TestSupervisorBackendsTerminated: two supervisors, each on a pool of
// its own, while the database terminates their connections again and
// again (pg_terminate_backend): no connector runs twice at once, and once
// the terminations stop every connector runs.
func TestSupervisorBackendsTerminated(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = time.Second
	apps := []string{uniqueAppName("sup-a"), uniqueAppName("sup-b")}
	stores := []*Store{db.store(t, apps[0], opts), db.store(t, apps[1], opts)}
	const n = 6
	for i := range n {
		put(t, stores[0], fmt.Sprint("c", i), connectors.Config{"n": int64(i)})
	}
	x := newExclusive(t)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for i, s := range stores {
		replica := string(rune('a' + i))
		sup := connectors.NewSupervisor(s, x.run(replica), connectors.SupervisorOptions{Replica: replica, Interval: 50 * time.Millisecond, MinBackoff: 10 * time.Millisecond})
		wg.Go(func() { sup.Run(ctx) })
	}
	until(t, "every connector running", 5*time.Second, func() bool { return x.count() == n })
	terminated := 0
	for i := range 20 {
		var killed int
		err := db.admin.QueryRow(t.Context(), "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", apps[i%2]).Scan(&killed)
		if err != nil {
			t.Fatal(err)
		}
		terminated += killed
		time.Sleep(time.Duration(i%4) * 40 * time.Millisecond)
	}
	if terminated == 0 {
		t.Fatal("no connection was terminated")
	}
	until(t, "every connector running after the terminations", 5*time.Second, func() bool { return x.count() == n })
	t.Logf("%d connections terminated", terminated)
}

// TestSupervisorStopReleasesEverything stops a supervisor at moments
// spread over its start, while it joins and takes connectors: once Run
// has returned no connector runs and no lease is held, so another replica
// can take them at once. A lease whose taking was cut off by the stop
// stayed held by nobody until it expired.
func TestSupervisorStopReleasesEverything(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	for i := range 4 {
		put(t, s, fmt.Sprint("c", i), connectors.Config{"n": int64(i)})
	}
	x := newExclusive(t)
	for round := range 30 {
		ctx, cancel := context.WithCancel(t.Context())
		sup := connectors.NewSupervisor(s, x.run("a"), connectors.SupervisorOptions{Replica: "a", Interval: 5 * time.Millisecond})
		done := make(chan error, 1)
		go func() { done <- sup.Run(ctx) }()
		time.Sleep(time.Duration(round%10) * 500 * time.Microsecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("round %d: Run: %v", round, err)
		}
		if n := x.count(); n != 0 {
			t.Fatalf("round %d: %d connectors run after Run returned", round, n)
		}
		if held := leases(t, s); len(held) != 0 {
			t.Fatalf("round %d: leases held after Run returned: %v", round, held)
		}
	}
}

// TestSupervisorChurn puts, changes and deletes connectors at random
// through one replica's store while the supervisors of three replicas,
// each on a store of its own, start and stop at random. No connector
// runs twice at once, and once the churn ends every connector runs with
// its newest config, and nothing else runs.
func TestSupervisorChurn(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = time.Second
	var stores []*Store
	for i := range 3 {
		stores = append(stores, db.store(t, fmt.Sprint("churn-", i), opts))
	}
	var mu sync.Mutex
	running := map[string]connectors.Config{}
	run := func(replica string) connectors.RunFunc {
		return func(ctx context.Context, name string, cfg connectors.Config) error {
			mu.Lock()
			if _, ok := running[name]; ok {
				t.Errorf("%s started %s while it runs elsewhere", replica, name)
			}
			running[name] = cfg
			mu.Unlock()
			<-ctx.Done()
			mu.Lock()
			delete(running, name)
			mu.Unlock()
			return nil
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	stops := make([]context.CancelFunc, len(stores))
	defer func() {
		for _, stop := range stops {
			if stop != nil {
				stop()
			}
		}
	}()
	start := func(i int) context.CancelFunc {
		ctx, cancel := context.WithCancel(t.Context())
		replica := fmt.Sprint("r", i)
		sup := connectors.NewSupervisor(stores[i], run(replica), connectors.SupervisorOptions{Replica: replica, Interval: 20 * time.Millisecond, MinBackoff: 10 * time.Millisecond})
		done := make(chan struct{})
		wg.Go(func() { defer close(done); sup.Run(ctx) })
		return func() { cancel(); <-done }
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed) // shown on failure
	rnd := rand.New(rand.NewPCG(seed, 0))
	for step := range 150 {
		name := fmt.Sprint("c", rnd.IntN(6))
		switch op := rnd.IntN(10); {
		case op < 5:
			put(t, stores[0], name, connectors.Config{"step": int64(step)})
		case op < 7:
			if err := stores[0].Delete(t.Context(), name); err != nil {
				t.Fatal(err)
			}
		default:
			i := rnd.IntN(len(stops))
			if stops[i] != nil {
				stops[i]()
				stops[i] = nil
			} else {
				stops[i] = start(i)
			}
		}
		time.Sleep(time.Duration(rnd.IntN(5)) * time.Millisecond)
	}
	if stops[1] == nil {
		stops[1] = start(1)
	}
	want := state(t, stores[0]).Connectors
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		ok := len(running) == len(want)
		for name, cfg := range want {
			if got, found := running[name]; !found || !connectors.EqualConfig(got, cfg) {
				ok = false
			}
		}
		got := fmt.Sprint(running)
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10s after the churn, running %s; want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// until polls cond every 10 ms until it holds, failing t if it does not
// within the time given; what names what it waits for.
func until(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
	}
}
