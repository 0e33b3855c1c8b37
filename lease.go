// This file defines the Leaser capability: named leases shared by every
// process that opens one store, which the Supervisor uses to run each
// connector on exactly one replica.

package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"
)

// ErrLeaseHeld is returned by [Leaser.TryLease] when another holder has
// the lease.
var ErrLeaseHeld = errors.New("connectors: lease held by another holder")

// A Leaser is a store that lends named leases: each is held by at most one
// holder at a time among all the processes that share the store. The
// [Supervisor] takes one lease per connector (and one per replica, to
// count them), so that each connector runs on exactly one replica.
//
// What "at most one" rests on differs by store, and each documents it:
// FileStore uses the operating system's file locks, which hold between
// processes of one machine and end with the process; pgstore uses rows
// with an expiry that the holder renews, and a holder that cannot renew
// reports the lease lost before the row expires.
type Leaser interface {
	Store

	// TryLease takes the lease named key for holder, a name for the
	// process (the Supervisor's replica), if nobody holds it; if somebody
	// does, it returns an error wrapping ErrLeaseHeld. It does not wait.
	// A store may also answer ErrLeaseHeld, rarely, for a lease nobody
	// holds (FileStore, while another process's Leases tests the lock):
	// callers try again later, as the Supervisor does every Interval. A
	// key is a non-empty string of at most 256 bytes of UTF-8. A call
	// that fails takes nothing, even one whose ctx ends while it runs,
	// unless the store cannot learn what became of it (a database that
	// does not answer): a lease taken for nobody is free again only when
	// it expires.
	//
	// The lease is held until Release, until it is lost (see Lease.Lost),
	// or until the process ends, whichever comes first; a process that
	// dies without releasing it loses it within a time the store
	// documents, so another can take it.
	TryLease(ctx context.Context, key, holder string) (Lease, error)

	// Leases returns the leases held now, by key, with their holders and
	// the data each holder last set. The caller owns the map.
	Leases(ctx context.Context) (map[string]LeaseInfo, error)
}

// LeaseInfo describes a held lease, as [Leaser.Leases] reports it.
type LeaseInfo struct {
	// Holder is the holder given to TryLease.
	Holder string

	// Data is what the holder last passed to Lease.Set, or nil.
	Data []byte
}

// A Lease is one held lease. Its methods are safe for concurrent use.
type Lease interface {
	// Lost returns a channel that is closed when the lease is lost: the
	// store could no longer keep it (a lost connection, an expiry, the
	// lease taken away) and another holder may take it soon. A holder
	// must stop what the lease guards as soon as the channel is closed.
	// The channel is also closed by Release.
	Lost() <-chan struct{}

	// Set records data (a status, small) with the lease, for every
	// process to read through Leases. It fails if the lease is lost.
	Set(ctx context.Context, data []byte) error

	// Release gives the lease up at once, so that another holder can
	// take it without waiting for an expiry. Releasing twice, or a lost
	// lease, is not an error.
	Release(ctx context.Context) error
}

// checkLeaseKey reports what is wrong with a lease key.
func checkLeaseKey(key string) error {
	if key == "" || len(key) > 256 || !utf8.ValidString(key) {
		return fmt.Errorf("connectors: lease key must be 1 to 256 bytes of UTF-8")
	}
	return nil
}

// errLeaseGone is Lease.Set's error once the lease is released or lost.
var errLeaseGone = errors.New("connectors: lease released or lost")

// memLeases are a MemoryStore's leases, held in this process.
type memLeases struct {
	mu   sync.Mutex
	held map[string]*memLease
}

type memLease struct {
	ls     *memLeases
	key    string
	holder string
	data   []byte // guarded by ls.mu
	lost   chan struct{}
}

// TryLease implements [Leaser]. A MemoryStore's leases are held in the
// process, among the supervisors that share the store; they are never
// lost, only released.
func (s *MemoryStore) TryLease(ctx context.Context, key, holder string) (Lease, error) {
	if err := checkLeaseKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ls := &s.leases
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.held[key] != nil {
		return nil, fmt.Errorf("%w: %q", ErrLeaseHeld, key)
	}
	if ls.held == nil {
		ls.held = map[string]*memLease{}
	}
	l := &memLease{ls: ls, key: key, holder: holder, lost: make(chan struct{})}
	ls.held[key] = l
	return l, nil
}

// Leases implements [Leaser].
func (s *MemoryStore) Leases(ctx context.Context) (map[string]LeaseInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.leases.mu.Lock()
	defer s.leases.mu.Unlock()
	out := make(map[string]LeaseInfo, len(s.leases.held))
	for key, l := range s.leases.held {
		out[key] = LeaseInfo{Holder: l.holder, Data: bytes.Clone(l.data)}
	}
	return out, nil
}

func (l *memLease) Lost() <-chan struct{} { return l.lost }

func (l *memLease) Set(ctx context.Context, data []byte) error {
	l.ls.mu.Lock()
	defer l.ls.mu.Unlock()
	if l.ls.held[l.key] != l {
		return errLeaseGone
	}
	l.data = bytes.Clone(data)
	return nil
}

func (l *memLease) Release(ctx context.Context) error {
	l.ls.mu.Lock()
	defer l.ls.mu.Unlock()
	if l.ls.held[l.key] == l {
		delete(l.ls.held, l.key)
		close(l.lost)
	}
	return nil
}
