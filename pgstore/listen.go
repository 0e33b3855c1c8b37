// This file holds change events: Watch, and the listener and poller that
// bring other replicas' changes while anyone watches.

package pgstore

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"sync"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Reconnection delays of the listener: the first retry waits minBackoff,
// each next one twice as long, up to maxBackoff. maxBackoff is short
// because a reconnection is what brings a replica's watchers up to date
// after the database returns.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = time.Second
)

// Watch implements connectors.Watcher. Events come from writes through
// this store at once, and from other replicas' writes when their
// notification arrives, or, in PollOnly mode or if a notification is
// lost, within Options.PollInterval.
//
// The listening connection and the poller run only while anyone watches:
// the first watcher starts them, the last one to leave stops them. The
// listener is a connection of its own, made with the pool's settings and
// its BeforeConnect hook (not taken from the pool, and without its
// AfterConnect hook or notification handler), with " listener" added to
// its application_name. Each time it connects it reads the revision, so that
// the changes whose notifications were lost while it was away become
// events, merged per connector.
//
// Events start from the state as it is when Watch is called. If the
// database cannot be reached then, or does not answer within
// Options.PingInterval, they start from the last state this store read,
// and the changes since come as events when it returns.
func (s *Store) Watch(ctx context.Context) iter.Seq[connectors.Event] {
	// Bounded, as the listener's reads are: a database that does not
	// answer (a network partition) must not keep Watch from returning.
	if err := s.refresh(ctx, 0); err != nil && ctx.Err() == nil && !errors.Is(err, connectors.ErrClosed) {
		s.opts.Logger.WarnContext(ctx, "pgstore: watch starts from the last state read", "err", err)
	}
	// Under the lock that publishing takes, so that the watcher starts
	// from the snapshot that later events are measured against.
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hub.Watch(ctx)
}

// follow brings other replicas' changes to the watchers until quit is
// closed: it is the Hub's Poll function, run while anyone watches.
func (s *Store) follow(quit <-chan struct{}) {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1) // under mu, so that Close's Wait cannot begin first
	s.mu.Unlock()
	defer s.wg.Done()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	if s.opts.PollOnly {
		s.poll(ctx)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.poll(ctx) })
	s.listen(ctx)
	wg.Wait()
}

// poll reads the revision every poll interval until ctx ends; a change
// it finds reaches the watchers through State.
func (s *Store) poll(ctx context.Context) {
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.refresh(ctx, 0); err != nil && ctx.Err() == nil {
				s.opts.Logger.Debug("pgstore: poll failed", "err", err)
			}
		}
	}
}

// listen holds a listening connection until ctx ends, connecting again
// after each failure, sooner at first and then at most every maxBackoff.
func (s *Store) listen(ctx context.Context) {
	delay := minBackoff
	for {
		connected, err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if connected {
			delay = minBackoff
			s.opts.Logger.Warn("pgstore: listener disconnected; reconnecting", "err", err)
		} else {
			s.opts.Logger.Debug("pgstore: listener could not connect; retrying", "err", err, "after", delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, maxBackoff)
	}
}

// listenOnce connects, listens and handles notifications until the
// connection fails, a read of the state fails, or ctx ends. It reports
// whether it got as far as listening and reading the state.
//
// Every step has PingInterval to answer, so that a connection a network
// has silently dropped is found and replaced: it would wait for
// notifications forever.
func (s *Store) listenOnce(ctx context.Context) (listening bool, err error) {
	bounded := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, s.opts.PingInterval) }
	cctx, cancel := bounded()
	defer cancel()

	poolCfg := s.pool.Config()
	cfg := poolCfg.ConnConfig
	// The pool's hook adjusts each connection's settings (a password
	// fetched per connection, an address looked up): without it, the
	// listener may be unable to connect where the pool can.
	if poolCfg.BeforeConnect != nil {
		if err := poolCfg.BeforeConnect(cctx, cfg); err != nil {
			return false, err
		}
	}
	// pgx hands a connection's notifications to WaitForNotification only
	// when no handler of the pool's own takes them.
	cfg.OnNotification = nil
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = make(map[string]string)
	}
	name := cfg.RuntimeParams["application_name"]
	if name == "" {
		name = "pgstore"
	}
	cfg.RuntimeParams["application_name"] = name + " listener"
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(cctx, listenSQL(s.t.channel)); err != nil {
		return false, err
	}
	// Notifications sent while nobody listened are lost; the revision
	// shows whether there were any. Until it is read, this connection
	// does not make up for them.
	if err := s.refresh(ctx, 0); err != nil {
		return false, err
	}
	for {
		wctx, cancel := bounded()
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true, ctx.Err()
		case err == nil:
			// The payload is the revision the write committed: writes
			// this store has seen, its own among them, need no reading.
			rev, _ := strconv.ParseInt(n.Payload, 10, 64)
			if err := s.refresh(ctx, rev); err != nil {
				return true, err // and read it again after reconnecting
			}
		case pgconn.Timeout(err):
			// Silence, which a dropped connection keeps too: ask it.
			pctx, cancel := bounded()
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, err
			}
		default:
			return true, err
		}
	}
}

// refresh brings the snapshot up to revision rev, or to the database's
// revision if rev is not positive, within PingInterval. It is how the
// listener and the poller read: changes it finds reach the watchers.
func (s *Store) refresh(ctx context.Context, rev int64) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.PingInterval)
	defer cancel()
	var err error
	if rev > 0 {
		_, err = s.catchUp(ctx, rev)
	} else {
		_, err = s.State(ctx)
	}
	return err
}
