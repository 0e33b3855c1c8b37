// This file holds change events: Watch, and the listener and poller that
// bring other replicas' changes while anyone watches.

package pgstore

import (
	"context"
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
// listener is a connection of its own, made with the pool's settings
// (not taken from the pool), with " listener" added to its
// application_name. Each time it connects it reads the revision, so that
// the changes whose notifications were lost while it was away become
// events, merged per connector.
//
// Events start from the state as it is when Watch is called. If the
// database cannot be reached then, they start from the last state this
// store read, and the changes since come as events when it returns.
func (s *Store) Watch(ctx context.Context) iter.Seq[connectors.Event] {
	if _, err := s.State(ctx); err != nil && ctx.Err() == nil {
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
			if _, err := s.State(ctx); err != nil && ctx.Err() == nil {
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
// connection fails or ctx ends. It reports whether it got as far as
// listening.
func (s *Store) listenOnce(ctx context.Context) (listening bool, err error) {
	cfg := s.pool.Config().ConnConfig
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = make(map[string]string)
	}
	name := cfg.RuntimeParams["application_name"]
	if name == "" {
		name = "pgstore"
	}
	cfg.RuntimeParams["application_name"] = name + " listener"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, listenSQL(s.t.channel)); err != nil {
		return false, err
	}
	// Notifications sent while nobody listened are lost; the revision
	// shows whether there were any.
	if _, err := s.State(ctx); err != nil && ctx.Err() == nil {
		s.opts.Logger.Warn("pgstore: resync after connecting failed; the poller retries", "err", err)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, s.opts.PingInterval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true, ctx.Err()
		case err == nil:
			s.notified(ctx, n.Payload)
		case pgconn.Timeout(err):
			// Silence: a connection that a network has dropped stays
			// silent too. Ask it something.
			pctx, cancel := context.WithTimeout(ctx, s.opts.PingInterval)
			err = conn.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				return true, err
			}
		default:
			return true, err
		}
	}
}

// notified handles a notification: its payload is the revision a write
// committed. Writes this store has seen, its own among them, need no
// reading.
func (s *Store) notified(ctx context.Context, payload string) {
	rev, err := strconv.ParseInt(payload, 10, 64)
	if err != nil {
		_, err = s.State(ctx)
	} else {
		_, err = s.catchUp(ctx, rev)
	}
	if err != nil && ctx.Err() == nil {
		s.opts.Logger.Warn("pgstore: reading a change failed; the poller retries", "err", err)
	}
}
