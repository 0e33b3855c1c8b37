// This file holds Store: its construction, reads, the write path and
// Rewrap.

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Compile-time checks that Store has every capability of a store.
var (
	_ connectors.Store     = (*Store)(nil)
	_ connectors.Updater   = (*Store)(nil)
	_ connectors.Versioned = (*Store)(nil)
	_ connectors.Watcher   = (*Store)(nil)
)

// Store is a connectors.Store kept in PostgreSQL, shared by every replica
// that opens the same tables. Create it with [New] or [Open]; the zero
// value is not usable. It is safe for concurrent use.
//
// Its revision (see connectors.Versioned) is a counter in the database,
// written as a decimal number, that every write which changes something
// raises by one. Every method that reads first reads the revision, so it
// sees every write acknowledged, by any replica, before it began; the
// rows are read again only when the revision has moved.
//
// It is also a connectors.Leaser, whose leases hold among every process
// that shares its tables: see TryLease and the package documentation.
type Store struct {
	pool   *pgxpool.Pool
	owned  bool // the pool is Open's, and Close closes it
	opts   Options
	sealer *sealer
	t      tables

	// writeTx begins the transactions of writers (see writeTx).
	writeTx pgx.TxOptions

	// snap is the state at the highest revision this store has seen. It
	// is never nil after New, and only replaced by a higher revision.
	snap atomic.Pointer[snapshot]

	// loading holds one token: the reader that is loading the rows, so
	// that readers who find the revision moved load them once.
	loading chan struct{}

	// mu orders replacements of snap, with their publishing, against
	// Watch, and Close against the start of background work.
	mu     sync.Mutex
	closed atomic.Bool    // set under mu
	wg     sync.WaitGroup // background goroutines
	hub    connectors.Hub

	// leaseMu guards the leases this store holds, which the renewer
	// renews; it runs from the first TryLease until leaseCtx ends, at
	// Close.
	leaseMu    sync.Mutex
	leases     map[*Lease]struct{}
	renewing   bool
	leaseCtx   context.Context
	stopLeases context.CancelFunc
}

// A snapshot is the state of the store at one revision, never changed.
type snapshot struct {
	rev   int64
	state connectors.State
}

// New returns a Store on the tables that Migrate made in pool's database,
// with opts. It reads the stored connectors once, so that an unreachable
// database (an error wrapping connectors.ErrUnavailable), missing tables
// or a missing key (ErrUnreadable) show now rather than at the first
// request. The pool stays the caller's: Close does not close it.
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if err := opts.check(); err != nil {
		return nil, err
	}
	sealer, err := newSealer(opts.Keys, opts.Plaintext)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, opts: opts, sealer: sealer, t: newTables(opts), writeTx: writeTx(writerIdleTimeout),
		loading: make(chan struct{}, 1), leases: make(map[*Lease]struct{})}
	s.leaseCtx, s.stopLeases = context.WithCancel(context.Background())
	s.hub.Poll = s.follow
	snap, err := s.load(ctx, pool, nil)
	if err != nil {
		return nil, err
	}
	s.snap.Store(snap)
	return s, nil
}

// parseError is the error of a database URL that does not parse: what is
// wrong with it, without its text or any value from it. pgx masks the
// password in the text only where it can tell where the password is,
// which in a malformed URL it cannot always, and its reasons name the
// value they refuse (quoted or not), which can be the password. So the
// reason is kept up to its first ": ", and its cause with every quoted
// piece masked.
func parseError(err error) error {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return fmt.Errorf("pgstore: cannot parse the database URL: %s", quoted.ReplaceAllString(err.Error(), `"…"`))
	}
	quiet := *pe
	quiet.ConnString = ""
	text := strings.TrimPrefix(quiet.Error(), "cannot parse ``: ") // "reason (cause)"
	var cause string
	if inner := pe.Unwrap(); inner != nil {
		text = strings.TrimSuffix(text, " ("+inner.Error()+")")
		cause = " (" + quoted.ReplaceAllString(inner.Error(), `"…"`) + ")"
	}
	reason, _, _ := strings.Cut(text, ": ")
	return errors.New("pgstore: cannot parse the database URL: " + reason + cause)
}

// quoted matches a Go-quoted string in an error message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// Open connects to the database at url (a PostgreSQL URL or key=value
// string, as pgxpool.ParseConfig reads it), runs Migrate and returns New's
// store, which owns the pool: Close closes it.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, parseError(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, dbError(ctx, "connect", err)
	}
	if err := Migrate(ctx, pool, opts); err != nil {
		pool.Close()
		return nil, err
	}
	s, err := New(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Close releases the leases the store holds: it closes their Lost
// channels and then deletes their rows, waiting at most Options.LeaseTTL,
// so that other replicas can take them at once; a holder should have
// stopped what they guard before. It ends the store's watchers and stops
// its listener, poller and lease renewals, waiting for them and for a
// TryLease under way (which releases what it took); it closes the pool
// if Open made it. Calls after Close return an error wrapping
// connectors.ErrClosed. Close always returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed.Store(true)
	s.mu.Unlock()
	s.releaseLeases()
	s.hub.Close()
	s.wg.Wait()
	if s.owned {
		s.pool.Close()
	}
	return nil
}

// usable returns the error a call must return before it starts, if any.
func (s *Store) usable(ctx context.Context) error {
	if s.closed.Load() {
		return connectors.ErrClosed
	}
	return ctx.Err()
}

// State implements connectors.Versioned. It costs one small query while
// the revision stays the same.
func (s *Store) State(ctx context.Context) (connectors.State, error) {
	if err := s.usable(ctx); err != nil {
		return connectors.State{}, err
	}
	var rev int64
	err := s.retryLost(ctx, func() error { return s.pool.QueryRow(ctx, s.t.readRevision).Scan(&rev) })
	if err != nil {
		return connectors.State{}, dbError(ctx, "read revision", err)
	}
	snap, err := s.catchUp(ctx, rev)
	if err != nil {
		return connectors.State{}, err
	}
	return snap.state, nil
}

// catchUp returns a snapshot at rev or later, loading the rows if the
// store has not seen rev yet.
func (s *Store) catchUp(ctx context.Context, rev int64) (*snapshot, error) {
	if snap := s.snap.Load(); snap.rev >= rev {
		return snap, nil
	}
	select {
	case s.loading <- struct{}{}:
		defer func() { <-s.loading }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if snap := s.snap.Load(); snap.rev >= rev { // loaded while this waited
		return snap, nil
	}
	next, err := s.load(ctx, s.pool, s.snap.Load())
	if err != nil {
		return nil, err
	}
	return s.install(next), nil
}

// retryLost runs f, which uses one connection of the pool, and runs it
// again while it fails because that connection was lost (see lost), at
// most once more for each connection the pool may hold, so that the last
// try is on a new one: after the server restarts, every connection the
// pool holds is dead, and each would otherwise fail one call in turn, as
// the pool checks before use only those idle for a second or more. The
// first such failure takes every dead connection the pool holds idle, so
// a read of rows just after the revision's needs no retry of its own. f
// must be safe to run again: a read, or the start of a transaction.
func (s *Store) retryLost(ctx context.Context, f func() error) error {
	err := f()
	if err == nil || !lost(err) {
		return err
	}
	for n := s.pool.Stat().MaxConns(); n > 0 && ctx.Err() == nil; n-- {
		if err = f(); err == nil || !lost(err) {
			break
		}
	}
	return err
}

// install makes next the store's snapshot, unless the store has seen a
// later one, and tells watchers what changed. It returns the snapshot
// that is current.
func (s *Store) install(next *snapshot) *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.snap.Load()
	if cur.rev >= next.rev {
		return cur
	}
	s.snap.Store(next)
	s.hub.Publish(cur.state.Connectors, next.state.Connectors)
	return next
}

// load reads the revision and every row. Rows written at or before
// prev's revision that prev holds are prev's, unchanged, and are not
// opened again; prev may be nil.
func (s *Store) load(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, prev *snapshot) (*snapshot, error) {
	rows, err := q.Query(ctx, s.t.load)
	if err != nil {
		return nil, dbError(ctx, "load connectors", err)
	}
	defer rows.Close()
	rev := int64(-1)
	m := make(map[string]connectors.Config)
	for rows.Next() {
		var (
			name, keyID *string // nil: the table has no rows
			sealed      base64Bytes
			updated     *int64
		)
		if err := rows.Scan(&rev, &name, &keyID, &sealed, &updated); err != nil {
			return nil, dbError(ctx, "load connectors", err)
		}
		if name == nil {
			continue
		}
		if prev != nil && *updated <= prev.rev {
			if cfg, ok := prev.state.Connectors[*name]; ok {
				m[*name] = cfg
				continue
			}
		}
		cfg, err := s.sealer.open(*name, *keyID, sealed)
		if err != nil {
			return nil, err
		}
		m[*name] = cfg
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(ctx, "load connectors", err)
	}
	if rev < 0 {
		return nil, fmt.Errorf("pgstore: the revision table %s has no row (run Migrate)", s.t.revision)
	}
	return &snapshot{rev: rev, state: connectors.State{Revision: strconv.FormatInt(rev, 10), Connectors: m}}, nil
}

// writerIdleTimeout is how long a writer's transaction, which holds the
// revision's lock, may wait for its client between statements (while
// Edit's fn and Validate run, say) before the database ends its session.
// A writer cut off from the database without its connection being closed
// (a network partition, a crashed machine) would otherwise keep the lock
// until the server's TCP keepalive gave up on it, hours by default, and
// every write on every replica would wait for it.
const writerIdleTimeout = 30 * time.Second

// writeTx returns how writers begin their transactions: at READ
// COMMITTED whatever the session's default, since a writer that waited
// for the revision's lock must then read the row its predecessor
// committed (at REPEATABLE READ or SERIALIZABLE, a host's
// default_transaction_isolation, that wait ends in a serialization
// failure instead, and concurrent writers fail rather than queue); and
// with an idle timeout that frees the lock of a writer that vanished.
// Both go in the one statement that begins, which costs no round trip
// more.
func writeTx(idle time.Duration) pgx.TxOptions {
	return pgx.TxOptions{BeginQuery: "BEGIN ISOLATION LEVEL READ COMMITTED; " +
		"SET LOCAL idle_in_transaction_session_timeout = " + strconv.FormatInt(idle.Milliseconds(), 10)}
}

// commitTimeout bounds the wait for the answer to a COMMIT, which Edit
// does not abandon when its context ends: once sent, a commit's outcome
// is worth knowing. A variable for the tests.
var commitTimeout = 10 * time.Second

// Edit implements connectors.Versioned. fn is called exactly once, on the
// state as it is in the database, inside a transaction that holds the
// revision's row lock: no other writer, on any replica, commits between
// what fn sees and the write. Only the connectors that changed are
// written, sealed with the primary key, and the revision is raised by
// one; watchers on every replica are notified.
//
// fn and Options.Validate run while the transaction waits, holding the
// lock: if they take longer than 30 seconds, the database ends the
// transaction, so that a writer that vanished cannot hold the lock for
// long, and Edit fails with an error that says so, storing nothing.
//
// If ctx ends before the commit is sent, the transaction is rolled back
// and Edit returns ctx.Err(); once sent, Edit waits for the commit's
// answer for up to 10 seconds whatever ctx does. If the connection fails
// during the commit, or no answer comes in those 10 seconds, the outcome
// is unknown to Edit, as it is to any database client: it returns an
// error wrapping connectors.ErrUnavailable, and a later State shows
// whether the write was stored.
func (s *Store) Edit(ctx context.Context, fn func(cur connectors.State) (map[string]connectors.Config, error)) (connectors.State, error) {
	if err := s.usable(ctx); err != nil {
		return connectors.State{}, err
	}
	var tx pgx.Tx
	err := s.retryLost(ctx, func() (err error) {
		tx, err = s.pool.BeginTx(ctx, s.writeTx)
		return err
	})
	if err != nil {
		return connectors.State{}, dbError(ctx, "begin", err)
	}
	defer tx.Rollback(ctx) // after Commit, a no-op; with ctx done, it drops the connection

	var rev int64
	if err := tx.QueryRow(ctx, s.t.lockRevision).Scan(&rev); err != nil {
		return connectors.State{}, dbError(ctx, "lock revision", err)
	}
	cur := s.snap.Load()
	if cur.rev != rev {
		if cur, err = s.load(ctx, tx, cur); err != nil {
			return connectors.State{}, err
		}
		s.install(cur)
	}

	changes, err := fn(cur.state)
	if err != nil {
		return connectors.State{}, err
	}
	next, changed, err := connectors.ApplyChanges(cur.state.Connectors, changes, s.opts.Validate)
	if err != nil || len(changed) == 0 {
		return cur.state, err
	}

	rev++
	var b pgx.Batch
	for _, name := range changed {
		cfg, ok := next[name]
		if !ok {
			b.Queue(s.t.delete, name)
			continue
		}
		keyID, sealed, err := s.sealer.seal(name, cfg)
		if err != nil {
			return connectors.State{}, err
		}
		b.Queue(s.t.upsert, name, keyID, sealed, rev)
	}
	b.Queue(s.t.setRevision, rev)
	b.Queue("SELECT pg_notify($1, $2)", s.t.channel, strconv.FormatInt(rev, 10))
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return connectors.State{}, dbError(ctx, "write", err)
	}
	if err := ctx.Err(); err != nil {
		return connectors.State{}, err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if err := tx.Commit(cctx); err != nil {
		// Whatever ctx has done since: the commit was sent.
		return connectors.State{}, dbError(context.WithoutCancel(ctx), "commit", err)
	}
	snap := &snapshot{rev: rev, state: connectors.State{Revision: strconv.FormatInt(rev, 10), Connectors: next}}
	s.install(snap)
	return snap.state, nil
}

// Rewrap seals every row that is not sealed with the primary key (rows
// sealed with older keys, and rows in the clear) again with it, in one
// transaction, and returns how many it sealed. It changes no connector,
// so it keeps the revision and no watcher hears of it; it holds the
// revision's lock, so writes wait for it. When it returns, keys other than
// the primary one can be dropped from Options.Keys (see the package
// documentation). A row that does not open stops it, and nothing is
// changed; without Keys it returns an error.
func (s *Store) Rewrap(ctx context.Context) (int, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	if s.sealer.primary == "" {
		return 0, errors.New("pgstore: Rewrap needs a key in Options.Keys")
	}
	n := 0
	err := pgx.BeginTxFunc(ctx, s.pool, s.writeTx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.t.lockRevision); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, s.t.readSealed, s.sealer.primary)
		if err != nil {
			return err
		}
		type row struct {
			name, keyID string
			sealed      base64Bytes
		}
		old, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.name, &x.keyID, &x.sealed)
		})
		if err != nil {
			return err
		}
		var b pgx.Batch
		for _, r := range old {
			cfg, err := s.sealer.open(r.name, r.keyID, r.sealed)
			if err != nil {
				return err
			}
			keyID, sealed, err := s.sealer.seal(r.name, cfg)
			if err != nil {
				return err
			}
			b.Queue(s.t.reseal, r.name, keyID, sealed)
		}
		n = len(old)
		return tx.SendBatch(ctx, &b).Close()
	})
	switch {
	case errors.Is(err, ErrUnreadable):
		return 0, err
	case err != nil:
		return 0, dbError(ctx, "rewrap", err)
	}
	return n, nil
}

// List implements connectors.Store.
func (s *Store) List(ctx context.Context) (map[string]connectors.Config, error) {
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]connectors.Config, len(st.Connectors))
	for name, cfg := range st.Connectors {
		out[name] = connectors.CloneConfig(cfg)
	}
	return out, nil
}

// Get implements connectors.Store.
func (s *Store) Get(ctx context.Context, name string) (connectors.Config, error) {
	name, err := connectors.CheckName(name)
	if err != nil {
		return nil, err
	}
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	cfg, ok := st.Connectors[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", connectors.ErrNotFound, name)
	}
	return connectors.CloneConfig(cfg), nil
}

// Put implements connectors.Store.
func (s *Store) Put(ctx context.Context, name string, cfg connectors.Config) error {
	name, err := connectors.CheckName(name)
	if err != nil {
		return err
	}
	if cfg == nil {
		cfg = connectors.Config{} // nil would mean "remove" to Edit
	}
	_, err = s.Edit(ctx, func(connectors.State) (map[string]connectors.Config, error) {
		return map[string]connectors.Config{name: cfg}, nil
	})
	return err
}

// Delete implements connectors.Store.
func (s *Store) Delete(ctx context.Context, name string) error {
	name, err := connectors.CheckName(name)
	if err != nil {
		return err
	}
	_, err = s.Edit(ctx, func(connectors.State) (map[string]connectors.Config, error) {
		return map[string]connectors.Config{name: nil}, nil
	})
	return err
}

// Update implements connectors.Updater with connectors.UpdateByEdit: fn
// is called exactly once, with a deep copy of the state, inside Edit's
// transaction.
func (s *Store) Update(ctx context.Context, fn func(map[string]connectors.Config) error) error {
	return connectors.UpdateByEdit(ctx, s, fn)
}
