// This file holds tests of the Supervisor that reach into a FileStore's
// lease files.

package connectors

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSupervisorOneLeaseFails: a connector whose lease cannot be taken
// for a reason of its own (here its lock file cannot be opened, as a file
// left by a process of another user would be) does not keep the replica
// from the connectors after it. The replica stopped taking leases at the
// first such error, each Interval, so that the connectors sorted after
// that one ran nowhere.
func TestSupervisorOneLeaseFails(t *testing.T) {
	ctx := t.Context()
	s := openFileStore(t, filepath.Join(t.TempDir(), "agent.toml"))
	defer s.Close()
	for _, name := range []string{"a", "b", "c"} {
		putConfig(t, s, name, Config{"x": name})
	}
	if err := os.MkdirAll(leaseBase(s.leases, connectorLease+"b")+".lock", 0o700); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	running := map[string]bool{}
	run := func(ctx context.Context, name string, cfg Config) error {
		mu.Lock()
		running[name] = true
		mu.Unlock()
		<-ctx.Done()
		mu.Lock()
		delete(running, name)
		mu.Unlock()
		return nil
	}
	sup := NewSupervisor(s, run, SupervisorOptions{Replica: "r1", Interval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		ok := running["a"] && running["c"]
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("after 5s running %v; want a and c", running)
		}
	}
}
