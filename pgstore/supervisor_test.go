package pgstore

import (
	"context"
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
	until := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %v waiting for %s", within, what)
			}
		}
	}
	until("a running telegram", 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return running["a"] })
	supB := connectors.NewSupervisor(b, run("b"), connectors.SupervisorOptions{Replica: "b"})
	wg.Go(func() { supB.Run(ctx) })
	until("b's status showing a", 5*time.Second, func() bool {
		st, err := supB.Status(ctx)
		return err == nil && st["telegram"].Replica == "a" && st["telegram"].State != connectors.Stopped
	})

	cut := time.Now()
	p.silence()
	until("b running telegram", 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return running["b"] })
	mu.Lock()
	defer mu.Unlock()
	if stoppedA.IsZero() || !stoppedA.Before(startedB) {
		t.Errorf("a stopped at %v, b started at %v: not one after the other", stoppedA, startedB)
	}
	t.Logf("connection cut: a stopped after %v, b started after %v", stoppedA.Sub(cut).Round(time.Millisecond), startedB.Sub(cut).Round(time.Millisecond))
}
