// This file checks the promises of connectors.Leaser.

package connectorstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
)

var leaserChecks = []check[connectors.Leaser]{
	{"Exclusive", testLeaseExclusive},
	{"ListsHoldersAndData", testLeaseListsHolders},
	{"ReleaseFrees", testLeaseRelease},
	{"OneWinnerOfARace", testLeaseRace},
	{"BadKeys", testLeaseBadKeys},
	{"CancelledTakesNothing", testLeaseCancelled},
}

func mustLease(t *testing.T, s connectors.Leaser, key, holder string) connectors.Lease {
	t.Helper()
	l, err := s.TryLease(t.Context(), key, holder)
	if err != nil {
		t.Fatalf("TryLease(%q, %q): %v", key, holder, err)
	}
	t.Cleanup(func() { l.Release(t.Context()) })
	return l
}

func testLeaseExclusive(t *testing.T, s connectors.Leaser) {
	mustLease(t, s, "connector/telegram", "a")
	if _, err := s.TryLease(t.Context(), "connector/telegram", "b"); !errors.Is(err, connectors.ErrLeaseHeld) {
		t.Errorf("TryLease of a held key by another holder: %v, want ErrLeaseHeld", err)
	}
	if _, err := s.TryLease(t.Context(), "connector/telegram", "a"); !errors.Is(err, connectors.ErrLeaseHeld) {
		t.Errorf("TryLease of a held key by its holder again: %v, want ErrLeaseHeld", err)
	}
	mustLease(t, s, "connector/discord", "b") // another key is free
}

func testLeaseListsHolders(t *testing.T, s connectors.Leaser) {
	odd := "connector/тест name/with \"quotes\""
	a := mustLease(t, s, "connector/telegram", "replica-a")
	mustLease(t, s, odd, "replica-b")
	data := []byte(`{"state":"running"}`)
	if err := a.Set(t.Context(), data); err != nil {
		t.Fatalf("Set: %v", err)
	}
	data[2] = 'X' // Set copies
	leases, err := s.Leases(t.Context())
	if err != nil {
		t.Fatalf("Leases: %v", err)
	}
	want := map[string]connectors.LeaseInfo{
		"connector/telegram": {Holder: "replica-a", Data: []byte(`{"state":"running"}`)},
		odd:                  {Holder: "replica-b"},
	}
	if diff := cmpDiff(want, leases); diff != "" {
		t.Errorf("Leases (-want +got):\n%s", diff)
	}
	if info := leases["connector/telegram"]; len(info.Data) > 0 {
		info.Data[0] = 'X' // the caller owns what Leases returns
		again, _ := s.Leases(t.Context())
		if !bytes.Equal(again["connector/telegram"].Data, []byte(`{"state":"running"}`)) {
			t.Errorf("changing what Leases returned changed the stored data: %q", again["connector/telegram"].Data)
		}
	}
}

func testLeaseRelease(t *testing.T, s connectors.Leaser) {
	l := mustLease(t, s, "connector/telegram", "a")
	select {
	case <-l.Lost():
		t.Fatal("Lost is closed on a lease just taken")
	default:
	}
	if err := l.Release(t.Context()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	select {
	case <-l.Lost():
	default:
		t.Error("Lost is not closed after Release")
	}
	if err := l.Release(t.Context()); err != nil {
		t.Errorf("Release twice: %v", err)
	}
	if err := l.Set(t.Context(), []byte("x")); err == nil {
		t.Error("Set after Release succeeded")
	}
	if leases, err := s.Leases(t.Context()); err != nil || len(leases) != 0 {
		t.Errorf("Leases after Release: %v, %v; want none", leases, err)
	}
	mustLease(t, s, "connector/telegram", "b") // free at once
}

func testLeaseRace(t *testing.T, s connectors.Leaser) {
	for round := range 5 {
		key := "connector/race-" + string(rune('a'+round))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []connectors.Lease
		for i := range 16 {
			wg.Go(func() {
				l, err := s.TryLease(t.Context(), key, "holder-"+string(rune('a'+i)))
				switch {
				case err == nil:
					mu.Lock()
					won = append(won, l)
					mu.Unlock()
				case !errors.Is(err, connectors.ErrLeaseHeld):
					t.Errorf("TryLease: %v", err)
				}
			})
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("round %d: %d of 16 racing TryLease calls won, want 1", round, len(won))
		}
		won[0].Release(t.Context())
	}
}

func testLeaseBadKeys(t *testing.T, s connectors.Leaser) {
	for _, key := range []string{"", strings.Repeat("k", 257), "bad\xff"} {
		if l, err := s.TryLease(t.Context(), key, "a"); err == nil || errors.Is(err, connectors.ErrLeaseHeld) {
			t.Errorf("TryLease(%q): %v, want an error other than ErrLeaseHeld", key, err)
			if l != nil {
				l.Release(t.Context())
			}
		}
	}
}

// testLeaseCancelled: a TryLease whose context ends, before it is called
// or while it runs, returns a lease or leaves the key free. A store that
// gives up on a call it has sent (a database statement) must not leave
// the lease taken by nobody: a Supervisor stopped while it takes a
// connector would keep it from every replica until it expired.
func testLeaseCancelled(t *testing.T, s connectors.Leaser) {
	for i := range 50 {
		key := fmt.Sprint("connector/cancelled-", i)
		ctx, cancel := context.WithCancel(t.Context())
		if i == 0 {
			cancel()
		}
		timer := time.AfterFunc(time.Duration(i)*20*time.Microsecond, cancel)
		l, err := s.TryLease(ctx, key, "a")
		timer.Stop()
		cancel()
		if err == nil {
			l.Release(t.Context())
			continue
		}
		leases, err := s.Leases(t.Context())
		if err != nil {
			t.Fatalf("Leases: %v", err)
		}
		if info, held := leases[key]; held {
			t.Fatalf("TryLease(%q) failed as its context ended, and the lease is held by %q", key, info.Holder)
		}
	}
}
