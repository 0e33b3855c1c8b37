// This file defines the Leaser capability: named leases shared by every
// process that opens one store, which the Supervisor uses to run each
// connector on exactly one replica.

package connectors

import (
	"context"
	"errors"
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
	// TryLease takes the lease named key for holder, a name for the
	// process (the Supervisor's replica), if nobody holds it; if somebody
	// does, it returns an error wrapping ErrLeaseHeld. It does not wait.
	// A key is a non-empty string of at most 256 bytes of UTF-8.
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
