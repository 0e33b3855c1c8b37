// This file holds the test of many supervisors whose connections to the
// database are cut and restored at random.

package pgstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
)

// heal lets the proxy forward again, after setDown or silence: it closes
// the connections it holds, which are black holes after silence, so that
// the pool makes new ones.
func (p *proxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down, p.silent = false, false
	for _, l := range p.links {
		l.client.Close()
		l.server.Close()
	}
	p.links = nil
}

// TestSupervisorPartitions runs five supervisors, each reaching the
// database through a proxy of its own, with a short LeaseTTL, and cuts
// and restores their connections at random: closed, or silent as in a
// network partition. No connector ever runs on two replicas at once (a
// cut-off replica stops a connector, which takes 20ms, before its lease
// expires for the others), and once every connection is restored every connector runs.
// It runs for about two seconds; CONNECTORS_STRESS=n runs n times as long.
func TestSupervisorPartitions(t *testing.T) {
	rounds := 20
	if n, err := strconv.Atoi(os.Getenv("CONNECTORS_STRESS")); err == nil && n > 1 {
		rounds *= n
	}
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = 600 * time.Millisecond // a margin of 100ms
	const replicas, n = 5, 12
	var (
		proxies []*proxy
		stores  []*Store
	)
	for range replicas {
		p, s := proxiedStore(t, db, opts)
		proxies, stores = append(proxies, p), append(stores, s)
	}
	for i := range n {
		put(t, stores[0], fmt.Sprint("c", i), connectors.Config{"n": int64(i)})
	}
	x := newExclusive(t)
	x.stop = 20 * time.Millisecond // well within the margin
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for i, s := range stores {
		replica := fmt.Sprint("r", i)
		sup := connectors.NewSupervisor(s, x.run(replica), connectors.SupervisorOptions{Replica: replica, Interval: 30 * time.Millisecond, MinBackoff: 10 * time.Millisecond})
		wg.Go(func() { sup.Run(ctx) })
	}
	until(t, "every connector running", 5*time.Second, func() bool { return x.count() == n })

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed) // shown on failure
	rnd := rand.New(rand.NewPCG(seed, 0))
	cut := make([]bool, replicas)
	for range rounds {
		i := rnd.IntN(replicas)
		switch {
		case cut[i]:
			proxies[i].heal()
		case rnd.IntN(2) == 0:
			proxies[i].setDown(true)
		default:
			proxies[i].silence()
		}
		cut[i] = !cut[i]
		time.Sleep(time.Duration(rnd.IntN(200)) * time.Millisecond)
	}
	for i, p := range proxies {
		if cut[i] {
			p.heal()
		}
	}
	until(t, "every connector running once every connection is back", 10*time.Second, func() bool { return x.count() == n })
}
