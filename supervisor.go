// This file holds the Supervisor: it runs the connectors of a store, each
// on one replica among the processes that share the store, restarts one
// that changed or failed, and reports their status.

package connectors

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// A RunFunc runs one connector (polls Telegram, holds a Discord gateway
// session) until ctx ends, then returns. An error, or a return before ctx
// ends, is a failure: the [Supervisor] starts the connector again after a
// backoff; so is a panic, which the Supervisor recovers, and a call of
// runtime.Goexit. cfg is the connector's config, unredacted; the function
// owns it. It must return promptly once ctx ends: a replica that loses a
// connector's lease cancels ctx, and another replica may start the
// connector soon after (see [Leaser]). A run that does not return holds
// the Supervisor up where it must stop it (a removal, a hand-over, a lost
// lease, the end of Run): it waits for the run, doing nothing else, and
// does not release the lease.
type RunFunc func(ctx context.Context, name string, cfg Config) error

// A RunState says where a connector is in its life, as [ConnectorStatus]
// reports it.
type RunState string

// The states of a connector.
const (
	// Starting: the run function was called (or is about to be, while
	// the previous run of a restart returns) and has not yet run for
	// SupervisorOptions.MinBackoff.
	Starting RunState = "starting"
	// Running: the run function has run for MinBackoff without failing.
	Running RunState = "running"
	// Backoff: the run function failed; it is called again after a delay.
	Backoff RunState = "backoff"
	// Stopped: the connector runs nowhere (no replica holds it yet).
	Stopped RunState = "stopped"
)

// ConnectorStatus is the status of one connector, as [Supervisor.Status]
// reports it and the Handler serves it at "/status".
type ConnectorStatus struct {
	// State is where the connector is.
	State RunState `json:"state"`
	// Replica names the process that runs it; empty when Stopped.
	Replica string `json:"replica"`
	// Since is when it entered State; zero (left out) when Stopped.
	Since time.Time `json:"since,omitzero"`
	// Restarts counts the times the replica started it again, after a
	// failure or a change, since the replica took it.
	Restarts int `json:"restarts"`
	// Error is the last failure's message, with every secret of the
	// connector's config masked (see Policy.RedactText); empty after the
	// connector has run for MinBackoff again.
	Error string `json:"error,omitempty"`
}

// SupervisorOptions configures [NewSupervisor]. The zero value is a good
// default.
type SupervisorOptions struct {
	// Replica names this process among those sharing the store: 1 to
	// 128 bytes of UTF-8 without control characters. Two supervisors at
	// once may not have one name. Empty means the host name and the
	// process id, as "web-1-4242".
	Replica string

	// Interval is how often the supervisor looks for connectors that no
	// replica runs, and for an unfair share to hand over. Zero or less
	// means 500ms.
	Interval time.Duration

	// MinBackoff is the first delay before a failed connector is started
	// again, doubled at each failure up to MaxBackoff; a connector that
	// ran for MaxBackoff starts again from MinBackoff. MinBackoff is also
	// how long a connector is Starting before it is Running. Zero or less
	// means 1s and 1m; a MaxBackoff below MinBackoff is taken as
	// MinBackoff.
	MinBackoff, MaxBackoff time.Duration

	// Policy decides which config values are secrets, to mask them in
	// failure messages. Nil means the default rules.
	Policy *Policy

	// Logger receives, at debug level, the leases taken and given up, and
	// at warn level each failure (its message masked). Nil means none.
	Logger *slog.Logger
}

// Lease keys of the supervisor: one per connector, one per replica.
const (
	connectorLease = "connector/"
	replicaLease   = "replica/"
)

// A Supervisor runs the connectors of a store with a [RunFunc]: it starts
// every connector, restarts only one that changed, stops one that was
// removed, and restarts one that failed after a capped exponential
// backoff.
//
// If the store is also a [Leaser], the supervisors of all the processes
// sharing it divide the connectors among them: each connector runs on
// exactly one replica, the one holding its lease, with the guarantee the
// store's leases give. Each replica takes free connectors (those no
// replica holds) up to its share (the number of connectors over the
// number of live replicas, rounded up), but only up to the share rounded
// down while another replica runs fewer than that and the free connectors
// are no more than such replicas lack. It hands one over per Interval
// while it runs more than its share, and one replica of those that run
// the most hands one over while the replicas that run fewer than the
// share rounded down lack more than the free connectors. So a replica
// that joins gets work, and the counts end within one of each other, with
// no hand-over for a shortfall that the free connectors fill. A replica
// counts once it has read the store: one that cannot (a wrong key) takes
// no share. When a replica dies, its leases are freed (at once for
// FileStore; when they expire for pgstore) and the others take its
// connectors within an Interval. A replica that stops cleanly releases
// its leases at once. Status, read from the leases, is the same on every
// replica. Without a Leaser, every connector runs in this process.
type Supervisor struct {
	store  Watcher
	leaser Leaser
	run    RunFunc
	opts   SupervisorOptions

	mu      sync.Mutex
	running bool                       // Run is running
	local   map[string]ConnectorStatus // connectors running here
}

// NewSupervisor returns a supervisor of store's connectors that runs each
// with run. Call Run to start it.
func NewSupervisor(store Watcher, run RunFunc, opts SupervisorOptions) *Supervisor {
	if opts.Replica == "" {
		host, _ := os.Hostname()
		opts.Replica = fmt.Sprintf("%s-%d", cmp.Or(host, "replica"), os.Getpid())
	}
	orDefault := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	opts.Interval = orDefault(opts.Interval, 500*time.Millisecond)
	opts.MinBackoff = orDefault(opts.MinBackoff, time.Second)
	opts.MaxBackoff = max(orDefault(opts.MaxBackoff, time.Minute), opts.MinBackoff)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Supervisor{store: store, run: run, opts: opts, local: map[string]ConnectorStatus{}}
	s.leaser, _ = store.(Leaser)
	return s
}

// Replica returns the name of this process among the replicas.
func (s *Supervisor) Replica() string { return s.opts.Replica }

// callTimeout bounds each call the supervisor makes to the store, so that
// a store that hangs delays it but does not stop it.
const callTimeout = 5 * time.Second

// Run supervises until ctx ends, then stops every connector it runs,
// waits for their run functions to return, releases its leases and
// returns nil. It returns an error only if it cannot start: it is running
// already, its replica name is not 1 to 128 bytes of UTF-8 without control
// characters, or another supervisor has held that name for 20 Intervals.
//
// A store that fails (a file that does not parse, a database that is
// down) is retried every Interval, with a warning, while the connectors
// already running go on. So is a store that cannot lend leases for good
// (a FileStore in a read-only directory): nothing runs meanwhile. A lease
// that only one connector cannot have (its lock file cannot be opened)
// keeps only that connector from running.
func (s *Supervisor) Run(ctx context.Context) error {
	if r := s.opts.Replica; len(r) > 128 || !utf8.ValidString(r) || strings.ContainsFunc(r, unicode.IsControl) {
		return errors.New("connectors: replica name must be 1 to 128 bytes of UTF-8 without control characters")
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("connectors: the supervisor is running already")
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan Event)
	watched := make(chan struct{})
	seq := s.store.Watch(ctx) // subscribe before the first List
	go func() {
		defer close(watched)
		for e := range seq {
			select {
			case events <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); <-watched }()

	l := &loop{s: s, owned: map[string]*worker{}}
	defer l.shutdown()
	if s.leaser != nil {
		if err := l.join(ctx); err != nil || ctx.Err() != nil {
			return err
		}
	}
	l.reconcile(ctx)
	tick := time.NewTicker(s.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-events:
			l.apply(e)
		case <-tick.C:
			l.reconcile(ctx)
		}
	}
}

// Status returns the status of every connector of the store. With a
// Leaser it is read from the leases, so every replica answers the same;
// a connector no replica holds is Stopped.
func (s *Supervisor) Status(ctx context.Context) (map[string]ConnectorStatus, error) {
	var all map[string]Config
	if v, ok := s.store.(Versioned); ok {
		st, err := v.State(ctx) // read only, not copied: only its names are used
		if err != nil {
			return nil, err
		}
		all = st.Connectors
	} else {
		var err error
		if all, err = s.store.List(ctx); err != nil {
			return nil, err
		}
	}
	return s.statusOf(ctx, all)
}

// statusOf returns the status of the connectors named in all.
func (s *Supervisor) statusOf(ctx context.Context, all map[string]Config) (map[string]ConnectorStatus, error) {
	out := make(map[string]ConnectorStatus, len(all))
	if s.leaser == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		for name := range all {
			out[name] = cmp.Or(s.local[name], ConnectorStatus{State: Stopped})
		}
		return out, nil
	}
	leases, err := s.leaser.Leases(ctx)
	if err != nil {
		return nil, err
	}
	for name := range all {
		st := ConnectorStatus{State: Stopped}
		if info, ok := leases[connectorLease+name]; ok {
			st = ConnectorStatus{State: Starting}
			if len(info.Data) > 0 {
				json.Unmarshal(info.Data, &st) // a status from another version: best effort
			}
			st.Replica = info.Holder
		}
		out[name] = st
	}
	return out, nil
}

// A loop is the state of one Run: the connectors known and those run here.
type loop struct {
	s      *Supervisor
	member Lease // this replica's lease, counting it among the replicas
	cfgs   map[string]Config
	owned  map[string]*worker
}

// join takes the replica's lease. A replica that restarts at once may find
// its old lease not yet expired, so a held lease is retried for 20
// Intervals (10s by default) before Run gives up.
func (l *loop) join(ctx context.Context) error {
	key := replicaLease + l.s.opts.Replica
	deadline := time.Now().Add(20 * l.s.opts.Interval)
	for {
		lease, err := l.tryLease(ctx, key)
		switch {
		case err == nil:
			l.member = lease
			return nil
		case errors.Is(err, ErrLeaseHeld) && time.Now().After(deadline):
			return fmt.Errorf("connectors: replica name %q is in use by another supervisor", l.s.opts.Replica)
		case !errors.Is(err, ErrLeaseHeld) && ctx.Err() == nil:
			l.s.opts.Logger.Warn("supervisor: store unavailable; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil // Run returns nil when ctx ends
		case <-time.After(l.s.opts.Interval):
		}
	}
}

func (l *loop) tryLease(ctx context.Context, key string) (Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return l.s.leaser.TryLease(ctx, key, l.s.opts.Replica)
}

// apply takes one change of the store into account: it restarts or stops
// a connector run here at once.
func (l *loop) apply(e Event) {
	if l.cfgs == nil {
		return // the first List, which comes later, sees the change
	}
	if e.Op == Removed {
		delete(l.cfgs, e.Name)
		l.drop(e.Name)
		return
	}
	l.cfgs[e.Name] = e.Config
	if w := l.owned[e.Name]; w != nil && !EqualConfig(e.Config, w.cfg) { // equal: an event from before the first List
		w.update(e.Config)
	}
	// A new connector waits for the next tick: a bulk change then costs
	// one reading of the leases, not one per connector.
}

// reconcile reads the store if it has not yet, drops the connectors whose
// leases were lost, hands over one connector beyond its share, and takes
// free ones up to its share.
func (l *loop) reconcile(ctx context.Context) {
	log := l.s.opts.Logger
	if l.cfgs == nil {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		all, err := l.s.store.List(callCtx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("supervisor: cannot list connectors; retrying", "err", err)
			}
			// A replica that cannot read the store (a wrong sealing key,
			// say) can run nothing: it must not count among the replicas,
			// or the others would keep their shares of the connectors
			// for it and leave the rest unrun. It joins again once it
			// reads.
			if l.member != nil {
				// Released even if Run is ending: shutdown will not.
				callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
				l.member.Release(callCtx)
				cancel()
				l.member = nil
			}
			return
		}
		l.cfgs = all
	}
	for name, w := range l.owned {
		if w.lost() {
			l.drop(name)
		}
	}
	if l.s.leaser == nil {
		for name, cfg := range l.cfgs {
			if l.owned[name] == nil {
				l.start(ctx, name, cfg, nil)
			}
		}
		return
	}

	if l.member == nil || isClosed(l.member.Lost()) {
		// Without its replica lease (another supervisor took the name
		// meanwhile, or the store fails) this replica does not count, so
		// it takes nothing new.
		var err error
		if l.member, err = l.tryLease(ctx, replicaLease+l.s.opts.Replica); err != nil {
			l.member = nil
			return
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	leases, err := l.s.leaser.Leases(callCtx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("supervisor: cannot read leases; retrying", "err", err)
		}
		return
	}
	// How many connectors each live replica runs, to hand one over when
	// this replica runs more than its share, or more than the fair floor
	// while others lack more than the free connectors to reach it.
	held := map[string]int{l.s.opts.Replica: 0}
	free := len(l.cfgs) // connectors no replica holds
	for key, info := range leases {
		if r, ok := strings.CutPrefix(key, replicaLease); ok {
			held[r] += 0
		} else if name, ok := strings.CutPrefix(key, connectorLease); ok {
			held[info.Holder]++
			if _, ok := l.cfgs[name]; ok {
				free--
			}
		}
	}
	share := (len(l.cfgs) + len(held) - 1) / len(held)
	floor := len(l.cfgs) / len(held)
	counts := slices.Collect(maps.Values(held))
	fewest, most := slices.Min(counts), slices.Max(counts)
	// For replicas short of the floor, one replica hands one over: of
	// those that run the most, the last by name, so that no two give one
	// up for it at once. It does so only while they are short of more
	// than the free connectors: while one is short, only those short
	// take free ones, so the free ones (a hand-over just released, its
	// taker's tick still to come) fill that much of the shortfall
	// already. Counting them as taken keeps the giver, which reads the
	// leases again as soon as a slow stop ends, from handing over one
	// more than the counts need, to be started a second time.
	giver := ""
	short := 0 // connectors the replicas short of the floor lack
	for r, n := range held {
		if n == most && r > giver {
			giver = r
		}
		short += max(floor-n, 0)
	}
	if n := len(l.owned); n > 0 && (n > share || n > floor && short > free && giver == l.s.opts.Replica) {
		name := slices.Max(slices.Collect(maps.Keys(l.owned)))
		log.Debug("supervisor: handing over", "connector", name, "share", share)
		l.drop(name)
	}
	// Free connectors are taken up to the share, but only up to the floor
	// while a replica runs fewer and the free ones are no more than those
	// short of it lack: what is handed over goes to the replica short of
	// it, not back to the one that handed it over. Those of a replica
	// gone are more than the others lack: taken up to the share, they
	// are all taken at the next reconciliation of each, not one more.
	target := share
	if fewest < floor && free <= short {
		target = floor
	}
	warned := false // one warning per reconciliation, for a store that fails every lease
	for _, name := range slices.Sorted(maps.Keys(l.cfgs)) {
		if len(l.owned) >= target {
			break
		}
		if _, held := leases[connectorLease+name]; held || l.owned[name] != nil {
			continue
		}
		lease, err := l.tryLease(ctx, connectorLease+name)
		if errors.Is(err, ErrLeaseHeld) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !warned {
				log.Warn("supervisor: cannot take a lease; retrying", "connector", name, "err", err)
				warned = true
			} else {
				log.Debug("supervisor: cannot take a lease; retrying", "connector", name, "err", err)
			}
			// A store out of reach fails every lease, each perhaps after
			// a wait: try again next time. Another error may be this
			// lease's own (a lock file that cannot be opened), and must
			// not keep the connectors after it from running.
			if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrClosed) {
				return
			}
			continue
		}
		log.Debug("supervisor: took", "connector", name)
		l.start(ctx, name, l.cfgs[name], lease)
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// start runs a connector here, holding lease (nil without a Leaser).
func (l *loop) start(ctx context.Context, name string, cfg Config, lease Lease) {
	wctx, cancel := context.WithCancel(ctx)
	w := &worker{s: l.s, name: name, cfg: cfg, lease: lease, cancel: cancel,
		done: make(chan struct{}), changes: make(chan Config, 1)}
	l.owned[name] = w
	if lease != nil {
		// Stop at once when the lease is lost, without waiting for the
		// loop: another replica may take the connector soon after.
		go func() {
			select {
			case <-lease.Lost():
				cancel()
			case <-wctx.Done():
			}
		}()
	}
	go w.work(wctx, cfg)
}

// drop stops a connector run here, waits for it, and releases its lease.
func (l *loop) drop(name string) {
	if w := l.owned[name]; w != nil {
		w.stop()
		delete(l.owned, name)
	}
}

// shutdown stops every connector run here and releases its lease as soon
// as it has stopped. The replica's own lease goes first: it only counts
// the replicas, and the others' shares grow at once.
func (l *loop) shutdown() {
	if l.member != nil {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		l.member.Release(ctx)
		cancel()
	}
	var wg sync.WaitGroup
	for _, w := range l.owned {
		wg.Go(w.stop)
	}
	wg.Wait()
	clear(l.owned)
}

// A worker runs one connector in its own goroutine.
type worker struct {
	s       *Supervisor
	name    string
	cfg     Config // the loop's copy: the config last given to the worker
	lease   Lease
	cancel  context.CancelFunc
	done    chan struct{}
	changes chan Config // the newest config not yet taken by work
}

// update hands the worker a changed config; it restarts the connector.
func (w *worker) update(cfg Config) {
	w.cfg = cfg
	select {
	case <-w.changes:
	default:
	}
	w.changes <- cfg
}

func (w *worker) lost() bool { return w.lease != nil && isClosed(w.lease.Lost()) }

// stop ends the connector, waits for its run function, then releases the
// lease, so that no other replica can start it while it still runs.
func (w *worker) stop() {
	w.cancel()
	<-w.done
	if w.lease != nil {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		w.lease.Release(ctx)
	}
}

// work runs the connector until ctx ends: again after each change, and
// after a backoff when it fails.
func (w *worker) work(ctx context.Context, cfg Config) {
	defer close(w.done)
	defer w.forget()
	opts := w.s.opts
	st := ConnectorStatus{State: Starting, Replica: opts.Replica, Since: time.Now()}
	backoff := opts.MinBackoff
	for {
		w.publish(st)
		changed, ranFor, err := w.runOnce(ctx, cfg, &st)
		if ctx.Err() != nil {
			return
		}
		st.Restarts++
		if changed != nil {
			cfg, backoff = changed, opts.MinBackoff
			st.State, st.Since = Starting, time.Now()
			continue
		}
		if ranFor >= opts.MaxBackoff {
			backoff = opts.MinBackoff
		}
		if err == nil {
			err = errors.New("the connector stopped by itself")
		}
		st.State, st.Since, st.Error = Backoff, time.Now(), opts.Policy.RedactText(err.Error(), cfg)
		opts.Logger.Warn("connector failed", "connector", w.name, "replica", opts.Replica, "retry_in", backoff, "err", st.Error)
		w.publish(st)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
			backoff = min(backoff, opts.MaxBackoff/2) * 2
		case cfg = <-w.changes:
			t.Stop()
			backoff = opts.MinBackoff
		case <-ctx.Done():
			t.Stop()
			return
		}
		st.State, st.Since = Starting, time.Now()
	}
}

// runOnce calls the run function once and waits for it to fail, for a
// change (it then stops the run and returns the new config), or for ctx.
// It marks the connector Running once it has run for MinBackoff.
func (w *worker) runOnce(ctx context.Context, cfg Config, st *ConnectorStatus) (changed Config, ranFor time.Duration, err error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err // stopped during a backoff: do not start again
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	res := make(chan error, 1)
	began := time.Now()
	go func() {
		returned := false
		defer func() {
			if p := recover(); p != nil {
				res <- fmt.Errorf("panic: %v", p)
			} else if !returned {
				// runtime.Goexit (t.Fatal in a run function) recovers
				// nothing and returns nothing: without a result here the
				// run would count as running for ever.
				res <- errors.New("the run function called runtime.Goexit")
			}
		}()
		err := w.s.run(runCtx, w.name, CloneConfig(cfg))
		returned = true
		res <- err
	}()
	settled := time.NewTimer(w.s.opts.MinBackoff)
	defer settled.Stop()
	for {
		select {
		case <-settled.C:
			st.State, st.Since, st.Error = Running, time.Now(), ""
			w.publish(*st)
		case err = <-res:
			return nil, time.Since(began), err
		case changed = <-w.changes:
			stop()
			<-res
			return changed, time.Since(began), nil
		case <-ctx.Done():
			<-res
			return nil, time.Since(began), ctx.Err()
		}
	}
}

// publish records st for Status: in the lease, for every replica, or
// without a Leaser in this process.
func (w *worker) publish(st ConnectorStatus) {
	if w.lease == nil {
		w.s.mu.Lock()
		w.s.local[w.name] = st
		w.s.mu.Unlock()
		return
	}
	st.Replica = "" // the lease's holder says it
	data, _ := json.Marshal(st)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := w.lease.Set(ctx, data); err != nil && !isClosed(w.lease.Lost()) {
		w.s.opts.Logger.Debug("supervisor: cannot record a status", "connector", w.name, "err", err)
	}
}

// forget removes the connector from the statuses of this process.
func (w *worker) forget() {
	w.s.mu.Lock()
	delete(w.s.local, w.name)
	w.s.mu.Unlock()
}
