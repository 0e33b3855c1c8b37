// This file holds the stress test that restarts PostgreSQL under load.

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/google/go-cmp/cmp"
)

// TestRestartUnderLoad restarts the database while writers on two
// replicas write: every write acknowledged is stored, every failure says
// the store is unavailable, and the watcher on the second replica has
// caught up within 2s of the database's return.
//
// It runs only with CONNECTORS_PG_STRESS=1, and needs the shell commands
// that stop and start the server in CONNECTORS_PG_STOP and
// CONNECTORS_PG_START (on Debian, "pg_ctlcluster 15 main stop", and
// start). It leaves the server started.
func TestRestartUnderLoad(t *testing.T) {
	if os.Getenv("CONNECTORS_PG_STRESS") != "1" {
		t.Skip("set CONNECTORS_PG_STRESS=1, CONNECTORS_PG_STOP and CONNECTORS_PG_START to restart the database under load")
	}
	stop, start := os.Getenv("CONNECTORS_PG_STOP"), os.Getenv("CONNECTORS_PG_START")
	if stop == "" || start == "" {
		t.Fatal("CONNECTORS_PG_STOP and CONNECTORS_PG_START must hold the commands that stop and start the server")
	}
	sh := func(cmd string) error {
		out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", cmd, err, out)
		}
		return nil
	}
	t.Cleanup(func() { sh(start) }) // whatever happens, leave it running

	db := newTestDB(t)
	a := db.store(t, "stress-a", db.options())
	b := db.store(t, "stress-b", db.options())
	view := make(map[string]connectors.Config) // b's watcher's idea of the store
	var viewMu sync.Mutex
	seen := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for e := range b.Watch(ctx) {
			viewMu.Lock()
			if e.Op == connectors.Removed {
				delete(view, e.Name)
			} else {
				view[e.Name] = e.Config
			}
			viewMu.Unlock()
			select {
			case seen <- struct{}{}:
			default:
			}
		}
	})

	// Writers: each puts its own connector with a rising sequence number
	// and remembers the last one acknowledged.
	const perReplica = 4
	acked := make([]int64, 2*perReplica)
	writing, stopWriting := context.WithCancel(ctx)
	var writers sync.WaitGroup
	for w := range acked {
		s := a
		if w >= perReplica {
			s = b
		}
		writers.Go(func() {
			for seq := int64(1); writing.Err() == nil; seq++ {
				wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := s.Put(wctx, fmt.Sprint("w", w), connectors.Config{"seq": seq})
				cancel()
				switch {
				case err == nil:
					acked[w] = seq
				case !errors.Is(err, connectors.ErrUnavailable):
					t.Errorf("writer %d: %v, want ErrUnavailable", w, err)
					return
				default:
					time.Sleep(20 * time.Millisecond) // the database is away: do not spin
				}
			}
		})
	}

	time.Sleep(time.Second) // load before the restart
	if err := sh(stop); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := sh(start); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	time.Sleep(time.Second) // load after the restart
	stopWriting()
	writers.Wait()

	// Every acknowledged write is there, or a later one of its writer
	// whose acknowledgement was lost with the connection.
	final := state(t, db.store(t, "stress-check", db.options())).Connectors
	for w, seq := range acked {
		name := fmt.Sprint("w", w)
		if got, _ := final[name]["seq"].(int64); got < seq || seq == 0 {
			t.Errorf("%s: stored seq %d, acknowledged %d", name, got, seq)
		}
	}
	// b's watcher converges on the final state. Its deadline is counted
	// from the database's return, less the second of load after it: the
	// last writes were made then, and the listener must be back by now.
	deadline := time.NewTimer(time.Until(back.Add(2 * time.Second)))
	defer deadline.Stop()
	for {
		viewMu.Lock()
		diff := cmp.Diff(final, view)
		viewMu.Unlock()
		if diff == "" {
			break
		}
		select {
		case <-seen:
		case <-deadline.C:
			t.Fatalf("b's watcher has not converged within 2s of the database's return (-want +got):\n%s", diff)
		}
	}
	t.Logf("converged %v after the database's return; writes acknowledged: %v", time.Since(back), acked)
	cancel()
	wg.Wait()
}
