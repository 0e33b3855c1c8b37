// This file holds the store's settings: Options, the sealing Keys and
// ParseKey.

package pgstore

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/connectorkit/connectors"
)

// KeySize is the size of a sealing key in bytes: AES-256.
const KeySize = 32

// Defaults for the zero values of [Options].
const (
	DefaultSchema       = "public"
	DefaultTable        = "connectors"
	DefaultPollInterval = 5 * time.Second
	DefaultPingInterval = 15 * time.Second
	DefaultLeaseTTL     = 3 * time.Second
)

// minLeaseTTL is the shortest Options.LeaseTTL: a lease must outlast a
// few round trips to the database, or it is lost as soon as it is taken.
const minLeaseTTL = 100 * time.Millisecond

// Options configures a [Store]. Its zero value is not enough: a store
// needs Keys, or Plaintext set to say that secrets may be stored in the
// clear.
type Options struct {
	// Schema is the PostgreSQL schema that holds the tables; it must
	// exist. Empty means DefaultSchema, "public".
	Schema string

	// Table is the name of the table of connectors; the revision is kept
	// in a second table named Table + "_revision", and the leases in a
	// third, Table + "_leases". Empty means
	// DefaultTable, "connectors". Names are quoted, so they are taken
	// exactly as given (case included) and may hold any character but
	// NUL; with the suffix, each must fit PostgreSQL's 63 bytes.
	Table string

	// Keys seal the connectors at rest. Keys[0] is the primary key: every
	// write seals with it. The others only open rows sealed before a
	// rotation, until Rewrap has moved every row to the primary key.
	// The store keeps its own copy of the secrets.
	Keys []Key

	// Plaintext allows connectors stored in the clear, as JSON, with an
	// empty key id. Without Keys, every write is stored in the clear;
	// with Keys, writes are sealed and rows stored in the clear are still
	// read, so that a store can move from plaintext to sealed (see the
	// package documentation). Without Plaintext, a row stored in the
	// clear is an error like a row sealed with an unknown key.
	Plaintext bool

	// Validate, if set, is called with each connector a write adds or
	// changes (name and normalized config), through every method and the
	// Handler; an error refuses the write, which then stores nothing and
	// returns the error wrapped with connectors.ErrInvalidConfig. Its
	// message may reach HTTP clients: it should name what is wrong, not
	// quote values. It is the same as connectors.FileOptions.Validate.
	Validate func(name string, cfg connectors.Config) error

	// PollInterval is how often, while anyone watches, the store reads
	// the revision to catch a change whose notification it missed; in
	// PollOnly mode it is the only way changes by other replicas are
	// seen. Zero means DefaultPollInterval, 5s.
	PollInterval time.Duration

	// PollOnly turns off LISTEN: watchers learn of other replicas'
	// changes by polling alone, within PollInterval. It is for
	// connection poolers (PgBouncer in transaction mode) that cannot
	// hold a listening session.
	PollOnly bool

	// PingInterval is how long the listening connection may stay silent
	// before the store checks it with a ping, and how long the ping, and
	// each read that the listener, the poller and Watch make, may take; a
	// listening connection that fails a ping or a read is replaced. Zero
	// means DefaultPingInterval, 15s.
	PingInterval time.Duration

	// LeaseTTL is how long a lease (see Store.TryLease) lasts without
	// renewal: the store renews each lease it holds every LeaseTTL/3, and
	// a holder that dies or is cut off from the database leaves a lease
	// that another process can take at most LeaseTTL after its last
	// renewal. Every replica sharing the tables should use the same
	// value. Zero means DefaultLeaseTTL, 3s; the least is 100ms.
	LeaseTTL time.Duration

	// Logger receives the listener's reconnections, the errors of
	// background reads and renewals, and the leases lost (by key), never
	// a config value. Nil means no logging.
	Logger *slog.Logger
}

// A Key is one AES-256 key for sealing connectors, and the name under
// which rows sealed with it record it.
type Key struct {
	// ID names the key. It is stored beside every row the key seals, in
	// the clear, so that the right key is found for each row: it must
	// not be secret, like "2025-06" or "k2". It must be 1 to 64 bytes of
	// printable ASCII without spaces, unique among the store's Keys.
	ID string

	// Secret is the key itself: KeySize random bytes, as ParseKey
	// returns them.
	Secret []byte
}

// ParseKey decodes a key written in standard base64, as made with
//
//	head -c 32 /dev/urandom | base64
//
// Surrounding white space is ignored. It returns an error, which does
// not repeat the input, unless the key decodes to exactly KeySize bytes.
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("pgstore: key is not valid base64")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("pgstore: key is %d bytes, want %d", len(key), KeySize)
	}
	return key, nil
}

// errNoKeys is New's answer to Options without Keys or Plaintext.
var errNoKeys = errors.New("pgstore: no sealing key: set Options.Keys, with a key made by " +
	"`head -c 32 /dev/urandom | base64` and read with ParseKey, " +
	"or set Options.Plaintext to store secrets in the clear")

// withDefaults returns opts with its zero values replaced by defaults.
func (opts Options) withDefaults() Options {
	if opts.Schema == "" {
		opts.Schema = DefaultSchema
	}
	if opts.Table == "" {
		opts.Table = DefaultTable
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts
}

// maxIdentifier is the longest name PostgreSQL keeps; longer ones are cut.
const maxIdentifier = 63

// check reports what is wrong with opts, which has its defaults.
func (opts Options) check() error {
	if err := opts.checkNames(); err != nil {
		return err
	}
	if opts.LeaseTTL < minLeaseTTL {
		return fmt.Errorf("pgstore: Options.LeaseTTL is %v, less than %v", opts.LeaseTTL, minLeaseTTL)
	}
	if len(opts.Keys) == 0 && !opts.Plaintext {
		return errNoKeys
	}
	seen := make(map[string]bool, len(opts.Keys))
	for i, k := range opts.Keys {
		switch {
		case k.ID == "" || len(k.ID) > 64 || strings.IndexFunc(k.ID, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0:
			return fmt.Errorf("pgstore: Options.Keys[%d]: the ID must be 1 to 64 bytes of printable ASCII", i)
		case seen[k.ID]:
			return fmt.Errorf("pgstore: Options.Keys[%d]: key id %q used twice", i, k.ID)
		case len(k.Secret) != KeySize:
			return fmt.Errorf("pgstore: key %q is %d bytes, want %d (use ParseKey)", k.ID, len(k.Secret), KeySize)
		}
		seen[k.ID] = true
	}
	return nil
}

// checkNames reports what is wrong with the names of opts, which has its
// defaults: the part of check that Migrate needs.
func (opts Options) checkNames() error {
	// A quoted identifier drops NUL bytes, so a name holding one would
	// name the tables of another (without them), under a channel of its
	// own: replicas of one store that do not hear each other.
	switch {
	case strings.IndexByte(opts.Schema, 0) >= 0:
		return errors.New("pgstore: schema name holds a NUL byte")
	case strings.IndexByte(opts.Table, 0) >= 0:
		return errors.New("pgstore: table name holds a NUL byte")
	}
	if len(opts.Schema) > maxIdentifier {
		return fmt.Errorf("pgstore: schema name longer than %d bytes", maxIdentifier)
	}
	// The revision table's suffix is the longest of the tables'. A longer
	// name would be cut, and the tables of two names could be one.
	if len(opts.Table+revisionSuffix) > maxIdentifier {
		return fmt.Errorf("pgstore: table name longer than %d bytes", maxIdentifier-len(revisionSuffix))
	}
	return nil
}
