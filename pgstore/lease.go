// This file holds leases: TryLease, Leases, the Lease a holder keeps,
// and the renewer that keeps the store's leases alive.

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/connectorkit/connectors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Compile-time checks of the lease types.
var (
	_ connectors.Leaser = (*Store)(nil)
	_ connectors.Lease  = (*Lease)(nil)
)

// maxLeaseKey is the longest lease key, in bytes, as connectors.Leaser
// allows.
const maxLeaseKey = 256

// leaseSweepInterval is how often a store that holds leases deletes the
// rows of leases that expired, which nobody will renew: those of dead
// holders whose keys (a replica's own, say) are not taken again.
const leaseSweepInterval = time.Minute

// errLeaseLost is Set's error on a lease that is no longer held.
var errLeaseLost = errors.New("pgstore: lease lost")

// TryLease implements connectors.Leaser. It takes the lease named key
// for holder in one statement, which succeeds if no row holds key or if
// the row's lease has expired; otherwise it returns an error wrapping
// connectors.ErrLeaseHeld. The lease lasts Options.LeaseTTL and the store
// renews it until it is released, lost, or the store is closed; see the
// package documentation for what is guaranteed. The Lease returned is a
// *Lease.
//
// key must be 1 to 256 bytes of UTF-8 and holder UTF-8, neither with a
// NUL byte (which PostgreSQL's text cannot hold). An unreachable database
// is an error wrapping connectors.ErrUnavailable, and so is one that does
// not answer before the lease would have to be given up; after Close, the
// error wraps connectors.ErrClosed. When ctx ends, TryLease still waits
// for the statement it sent, for at most LeaseTTL/6 more, and then
// releases the lease if it took it and returns ctx's error: a statement
// cut off might have taken the lease for nobody, until it expired.
func (s *Store) TryLease(ctx context.Context, key, holder string) (connectors.Lease, error) {
	if len(key) == 0 || len(key) > maxLeaseKey {
		return nil, fmt.Errorf("pgstore: lease key is %d bytes, want 1 to %d", len(key), maxLeaseKey)
	}
	if err := checkLeaseText(key); err != nil {
		return nil, fmt.Errorf("pgstore: lease key %w", err)
	}
	if err := checkLeaseText(holder); err != nil {
		return nil, fmt.Errorf("pgstore: lease holder %w", err)
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	// Close waits for a TryLease under way, which then releases what it
	// took itself, through a pool still open: Add under leaseMu and
	// before closed is seen, so that Close's Wait comes after.
	s.leaseMu.Lock()
	if s.closed.Load() {
		s.leaseMu.Unlock()
		return nil, connectors.ErrClosed
	}
	s.wg.Add(1)
	s.leaseMu.Unlock()
	defer s.wg.Done()
	// An answer that comes after the holder would have to give the lease
	// up is no use: wait no longer. When ctx ends, wait a little longer
	// (the margin, LeaseTTL/6): a statement cut off may have taken the
	// lease all the same, which nobody would then hold or release until
	// it expired.
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.leaseLife())
	defer cancel()
	defer context.AfterFunc(ctx, func() {
		grace := time.NewTimer(s.opts.LeaseTTL - s.leaseLife())
		defer grace.Stop()
		select {
		case <-grace.C:
			cancel()
		case <-qctx.Done():
		}
	})()
	sent := time.Now()
	var token int64
	err := s.pool.QueryRow(qctx, s.t.takeLease, key, holder, s.opts.LeaseTTL).Scan(&token)
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows),
		// A session whose default isolation is stricter than READ
		// COMMITTED (a host's default_transaction_isolation) fails the
		// statement, taking nothing, where another took, renewed or
		// released the lease meanwhile: it was not free to take.
		errors.As(err, &pe) && pe.Code == "40001": // serialization_failure
		return nil, fmt.Errorf("pgstore: lease %q: %w", key, connectors.ErrLeaseHeld)
	case err != nil:
		return nil, dbError(ctx, "take lease", err)
	}

	l := &Lease{s: s, key: key, token: token, lost: make(chan struct{}), deadline: sent.Add(s.leaseLife())}
	s.leaseMu.Lock()
	if closed, ended := s.closed.Load(), ctx.Err(); closed || ended != nil {
		// Close has released the leases it knew, or the caller has
		// gone: this one is released here, so that it does not wait
		// for its expiry.
		s.leaseMu.Unlock()
		l.lose("")
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.LeaseTTL)
		defer cancel()
		s.dropLeases(dctx, []*Lease{l})
		if closed {
			return nil, connectors.ErrClosed
		}
		return nil, ended
	}
	// In the set before the timer starts, so that a lease lost at once
	// leaves it.
	s.leases[l] = struct{}{}
	l.mu.Lock()
	l.timer = time.AfterFunc(time.Until(l.deadline), l.expire)
	l.mu.Unlock()
	if !s.renewing {
		s.renewing = true
		s.wg.Add(1) // under leaseMu and before closed is seen, so that Close's Wait comes after
		go s.renew()
	}
	s.leaseMu.Unlock()
	return l, nil
}

// checkLeaseText reports what keeps a lease's key or holder out of a
// PostgreSQL text column.
func checkLeaseText(s string) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return errors.New("holds a NUL byte")
	}
	return nil
}

// Leases implements connectors.Leaser: it returns every lease whose row
// has not expired, by the database's clock, with its holder and data,
// held by any process that shares the tables. The caller owns the map and
// the data.
func (s *Store) Leases(ctx context.Context) (map[string]connectors.LeaseInfo, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	var out map[string]connectors.LeaseInfo
	err := s.retryLost(ctx, func() error {
		rows, err := s.pool.Query(ctx, s.t.readLeases)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = make(map[string]connectors.LeaseInfo)
		for rows.Next() {
			var (
				key  string
				info connectors.LeaseInfo
			)
			if err := rows.Scan(&key, &info.Holder, (*base64Bytes)(&info.Data)); err != nil {
				return err
			}
			out[key] = info
		}
		return rows.Err()
	})
	if err != nil {
		return nil, dbError(ctx, "read leases", err)
	}
	return out, nil
}

// leaseLife is how long after sending a successful take or renewal a
// holder keeps a lease: LeaseTTL less a sixth, the margin that covers a
// holder's clock running slower than the database's and the time the
// holder takes to stop what the lease guards.
func (s *Store) leaseLife() time.Duration {
	return s.opts.LeaseTTL - s.opts.LeaseTTL/6
}

// A Lease is a lease held through a [Store], as TryLease returns it. It
// implements connectors.Lease; its methods are safe for concurrent use.
type Lease struct {
	s     *Store
	key   string
	token int64
	lost  chan struct{} // closed when the lease is no longer held

	mu       sync.Mutex
	deadline time.Time   // when the holder must give the lease up, on the monotonic clock
	timer    *time.Timer // runs expire at the deadline
	gone     bool        // lost is closed
}

// Token returns the lease's fencing token: a number that the database
// draws afresh each time a lease is taken, larger than every token drawn
// before it in this store's tables, for any key. A resource that the
// holder writes to can remember the largest token it has seen and refuse
// a smaller one, so that a holder that lost its lease without knowing it
// (a process paused for longer than the lease) cannot act on it.
func (l *Lease) Token() int64 { return l.token }

// Lost implements connectors.Lease. The channel is closed when the
// holder must stop what the lease guards: when a renewal or Set finds
// that the row no longer holds the lease (taken by another after it
// expired, or deleted), when no renewal has succeeded in time (see the
// package documentation), by Release, and by the store's Close.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Set implements connectors.Lease: it records data with the lease, for
// Leases to report on every replica, and returns an error if the lease
// is lost or the database cannot be reached; it waits at most LeaseTTL.
// Data is stored in the clear: it must not hold secrets. nil stores no
// data.
func (l *Lease) Set(ctx context.Context, data []byte) error {
	select {
	case <-l.lost:
		return errLeaseLost
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// By then the lease is lost, if this has not succeeded.
	ctx, cancel := context.WithTimeout(ctx, l.s.opts.LeaseTTL)
	defer cancel()
	tag, err := l.s.pool.Exec(ctx, l.s.t.setLeaseData, l.key, l.token, data)
	if err != nil {
		return dbError(ctx, "set lease data", err)
	}
	if tag.RowsAffected() == 0 {
		l.lose("the lease was taken over or has expired")
		return errLeaseLost
	}
	return nil
}

// Release implements connectors.Lease: it closes Lost, stops the renewal
// and deletes the lease's row if it still holds this lease (its key and
// token), so that another holder can take it at once. If the row cannot
// be deleted within ctx and LeaseTTL (after which it has expired anyway)
// Release returns the error, and the lease, released all the same on
// this side, expires within LeaseTTL. Releasing twice, or a lease that
// was lost or whose store was closed, returns nil and does not touch the
// database: a lost lease's row is another's, or expires by itself,
// LeaseTTL after the last renewal that reached the database: as a rule
// within LeaseTTL/6 of the loss, later if a renewal on its way at the
// loss reached the database after it.
func (l *Lease) Release(ctx context.Context) error {
	if !l.lose("") {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, l.s.opts.LeaseTTL)
	defer cancel()
	if err := l.s.dropLeases(ctx, []*Lease{l}); err != nil && !l.s.closed.Load() {
		return err
	}
	return nil
}

// lose closes Lost, unless it is closed, and stops the lease's renewal;
// it reports whether it closed Lost. A reason is logged; an empty one (a
// release) is not.
func (l *Lease) lose(reason string) bool {
	l.mu.Lock()
	if l.gone {
		l.mu.Unlock()
		return false
	}
	l.gone = true
	close(l.lost)
	if l.timer != nil {
		l.timer.Stop()
	}
	l.mu.Unlock()

	l.s.leaseMu.Lock()
	delete(l.s.leases, l)
	l.s.leaseMu.Unlock()
	if reason != "" {
		l.s.opts.Logger.Warn("pgstore: lease lost", "key", l.key, "token", l.token, "reason", reason)
	}
	return true
}

// expire runs at the deadline: it gives the lease up unless a renewal
// has moved the deadline, and then waits for the new one.
func (l *Lease) expire() {
	l.mu.Lock()
	if wait := time.Until(l.deadline); wait > 0 && !l.gone {
		l.timer.Reset(wait)
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	l.lose("no renewal succeeded in time")
}

// renewed records a renewal of the lease that was sent at sent.
func (l *Lease) renewed(sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// A lease given up stays given up; a deadline only moves later.
	if d := sent.Add(l.s.leaseLife()); !l.gone && d.After(l.deadline) {
		l.deadline = d
	}
}

// renew renews the store's leases every LeaseTTL/3 until the store is
// closed, and sooner after a renewal fails, so that a broken connection
// costs one retry rather than the lease. It also deletes, now and then,
// the rows of leases that expired.
func (s *Store) renew() {
	defer s.wg.Done()
	every, retry := s.opts.LeaseTTL/3, s.opts.LeaseTTL/10
	var swept time.Time
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-s.leaseCtx.Done():
			return
		case <-t.C:
		}
		// Each try waits at most until the next would start, for a
		// connection that has gone silent: the next try gets another.
		ctx, cancel := context.WithTimeout(s.leaseCtx, every)
		err := s.renewOnce(ctx)
		if err == nil && time.Since(swept) >= leaseSweepInterval {
			if _, err := s.pool.Exec(ctx, s.t.sweepLeases); err != nil {
				s.opts.Logger.Debug("pgstore: deleting expired leases failed", "err", err)
			}
			swept = time.Now()
		}
		cancel()
		if s.leaseCtx.Err() != nil {
			return
		}
		if err != nil {
			s.opts.Logger.Debug("pgstore: lease renewal failed; retrying", "err", err, "after", retry)
			t.Reset(retry)
			continue
		}
		t.Reset(every)
	}
}

// renewOnce renews every lease the store holds, in one statement. A
// lease that it does not find held, it loses at once.
func (s *Store) renewOnce(ctx context.Context) error {
	s.leaseMu.Lock()
	held := make([]*Lease, 0, len(s.leases))
	for l := range s.leases {
		held = append(held, l)
	}
	s.leaseMu.Unlock()
	if len(held) == 0 {
		return nil
	}
	keys, tokens := leaseIDs(held)
	sent := time.Now()
	rows, err := s.pool.Query(ctx, s.t.renewLeases, keys, tokens, s.opts.LeaseTTL)
	if err != nil {
		return dbError(ctx, "renew leases", err)
	}
	defer rows.Close()
	type id struct {
		key   string
		token int64
	}
	renewed := make(map[id]bool, len(held))
	for rows.Next() {
		var x id
		if err := rows.Scan(&x.key, &x.token); err != nil {
			return dbError(ctx, "renew leases", err)
		}
		renewed[x] = true
	}
	if err := rows.Err(); err != nil {
		return dbError(ctx, "renew leases", err)
	}
	for _, l := range held {
		if renewed[id{l.key, l.token}] {
			l.renewed(sent)
		} else {
			l.lose("the lease was taken over or has expired")
		}
	}
	return nil
}

// releaseLeases gives up every lease the store holds and deletes their
// rows, waiting at most LeaseTTL, after which they have expired anyway.
// Close calls it once closed is set, so no lease is added after it.
func (s *Store) releaseLeases() {
	s.leaseMu.Lock()
	held := make([]*Lease, 0, len(s.leases))
	for l := range s.leases {
		held = append(held, l)
	}
	s.leaseMu.Unlock()
	s.stopLeases()
	if len(held) == 0 {
		return
	}
	for _, l := range held {
		l.lose("")
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.LeaseTTL)
	defer cancel()
	if err := s.dropLeases(ctx, held); err != nil {
		s.opts.Logger.Warn("pgstore: releasing leases at close failed; they expire", "err", err, "within", s.opts.LeaseTTL)
	}
}

// dropLeases deletes the rows that still hold leases.
func (s *Store) dropLeases(ctx context.Context, leases []*Lease) error {
	keys, tokens := leaseIDs(leases)
	if _, err := s.pool.Exec(ctx, s.t.dropLeases, keys, tokens); err != nil {
		return dbError(ctx, "release leases", err)
	}
	return nil
}

// leaseIDs returns the keys and tokens of leases, in order.
func leaseIDs(leases []*Lease) ([]string, []int64) {
	keys, tokens := make([]string, len(leases)), make([]int64, len(leases))
	for i, l := range leases {
		keys[i], tokens[i] = l.key, l.token
	}
	return keys, tokens
}
