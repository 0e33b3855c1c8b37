// This file holds the tables: their SQL, Migrate, and the statements the
// store runs on them.

package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Suffixes that name the other tables after the connectors table.
const (
	revisionSuffix = "_revision"
	leasesSuffix   = "_leases"
)

// migrateLockKey is the advisory lock that Migrate holds, so that
// replicas starting together create the tables once. It is fixed, and
// the same for every schema: migrations are rare and short.
const migrateLockKey int64 = 0x636f6e6e_6b697431 // "connkit1"

// MigrationSQL returns the SQL that creates the store's tables for opts
// (only Schema and Table matter), for hosts that run migrations with
// their own tool. It can be run any number of times; it creates nothing
// that exists and never changes a row that exists. The schema must exist.
// Run it in one transaction with others that run it excluded, as
// [Migrate] does, or CREATE TABLE IF NOT EXISTS can fail when two run at
// once.
//
// It makes three tables:
//
//	<table>_revision (singleton boolean, revision bigint): one row, the
//	    store's revision, a counter raised by every write that changes
//	    something; its row lock orders the writers.
//	<table> (name text, key_id text, sealed bytea, updated_revision bigint):
//	    one row per connector, its config sealed with the key key_id
//	    ('' for plaintext), written at updated_revision.
//	<table>_leases (key text, holder text, token bigint, expires_at
//	    timestamptz, data bytea): one row per lease (see Store.TryLease),
//	    held by holder until expires_at, by the database's clock. token
//	    is an identity column: each taking of a lease draws a new value
//	    from its sequence, so tokens only grow. data is the holder's
//	    status, in the clear.
//
// A database made before leases existed gets the leases table, and
// nothing else changes.
func MigrationSQL(opts Options) string {
	t := newTables(opts.withDefaults())
	return strings.NewReplacer("{revision}", t.revision, "{connectors}", t.connectors, "{leases}", t.leases).Replace(`
CREATE TABLE IF NOT EXISTS {revision} (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	revision bigint NOT NULL
);
INSERT INTO {revision} (revision) VALUES (0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {connectors} (
	name text PRIMARY KEY,
	key_id text NOT NULL,
	sealed bytea NOT NULL,
	updated_revision bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {leases} (
	key text PRIMARY KEY,
	holder text NOT NULL,
	token bigint GENERATED ALWAYS AS IDENTITY,
	expires_at timestamptz NOT NULL,
	data bytea
);
COMMENT ON TABLE {revision} IS 'Revision of the connectors of github.com/connectorkit/connectors/pgstore; change only through it';
COMMENT ON TABLE {connectors} IS 'Connectors of github.com/connectorkit/connectors/pgstore, sealed; change only through it';
COMMENT ON TABLE {leases} IS 'Leases of github.com/connectorkit/connectors/pgstore; change only through it';
`)
}

// Migrate creates the store's tables for opts in opts.Schema, which must
// exist, unless they are there. Replicas may call it together at start:
// it holds an advisory transaction lock while it runs MigrationSQL. Names
// that New would refuse (too long for PostgreSQL, which cuts them, or
// holding a NUL byte, which it drops) are refused here too, before
// anything is made.
func Migrate(ctx context.Context, pool *pgxpool.Pool, opts Options) error {
	if err := opts.withDefaults().checkNames(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, MigrationSQL(opts))
		return err
	})
	if err != nil {
		return dbError(ctx, "migrate", err)
	}
	return nil
}

// tables holds the quoted names and the statements of one store.
type tables struct {
	revision   string // quoted, qualified name of the revision table
	connectors string // quoted, qualified name of the connectors table
	leases     string // quoted, qualified name of the leases table
	channel    string // notification channel, unquoted

	readRevision string
	lockRevision string
	setRevision  string
	load         string
	upsert       string
	delete       string
	readSealed   string
	reseal       string

	takeLease    string
	renewLeases  string
	setLeaseData string
	dropLeases   string
	readLeases   string
	sweepLeases  string
}

func newTables(opts Options) tables {
	t := tables{
		revision:   pgx.Identifier{opts.Schema, opts.Table + revisionSuffix}.Sanitize(),
		connectors: pgx.Identifier{opts.Schema, opts.Table}.Sanitize(),
		leases:     pgx.Identifier{opts.Schema, opts.Table + leasesSuffix}.Sanitize(),
		channel:    channelName(opts.Schema, opts.Table),
	}
	t.readRevision = "SELECT revision FROM " + t.revision
	t.lockRevision = "SELECT revision FROM " + t.revision + " FOR UPDATE"
	t.setRevision = "UPDATE " + t.revision + " SET revision = $1"
	// One statement, so the revision and the rows come from one snapshot;
	// the outer join keeps the revision when there are no rows. Bytes
	// are read in base64 (see base64Bytes).
	t.load = "SELECT r.revision, c.name, c.key_id, encode(c.sealed, 'base64'), c.updated_revision FROM " +
		t.revision + " r LEFT JOIN " + t.connectors + " c ON true"
	t.upsert = "INSERT INTO " + t.connectors + " (name, key_id, sealed, updated_revision) VALUES ($1, $2, $3, $4) " +
		"ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, updated_revision = excluded.updated_revision"
	t.delete = "DELETE FROM " + t.connectors + " WHERE name = $1"
	t.readSealed = "SELECT name, key_id, encode(sealed, 'base64') FROM " + t.connectors + " WHERE key_id <> $1"
	t.reseal = "UPDATE " + t.connectors + " SET key_id = $2, sealed = $3 WHERE name = $1"

	// The leases' times are all the database's now(), which a statement
	// reads when it starts: never before its sender sent it. $3 is the
	// lease's time to live. The ON CONFLICT clause decides, under the
	// row's lock. The NOT EXISTS before it spares a held lease, which
	// replicas poll for, that lock: it costs a transaction id and a WAL
	// record on each try, and without it a try on a held lease took
	// three times as long.
	t.takeLease = "INSERT INTO " + t.leases + " AS l (key, holder, expires_at) SELECT $1, $2, now() + $3::interval " +
		"WHERE NOT EXISTS (SELECT FROM " + t.leases + " WHERE key = $1 AND expires_at > now()) " +
		"ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, token = DEFAULT, expires_at = excluded.expires_at, data = NULL " +
		"WHERE l.expires_at <= now() RETURNING l.token"
	// Leases are named by key and token, so that a holder whose lease was
	// taken over cannot touch its successor's. An expired row is not
	// renewed, even if nobody took it: success means the lease was held
	// without a gap.
	t.renewLeases = "UPDATE " + t.leases + " AS l SET expires_at = now() + $3::interval " +
		"FROM unnest($1::text[], $2::bigint[]) AS h(key, token) " +
		"WHERE l.key = h.key AND l.token = h.token AND l.expires_at > now() RETURNING l.key, l.token"
	t.setLeaseData = "UPDATE " + t.leases + " SET data = $3 WHERE key = $1 AND token = $2 AND expires_at > now()"
	t.dropLeases = "DELETE FROM " + t.leases + " AS l USING unnest($1::text[], $2::bigint[]) AS h(key, token) " +
		"WHERE l.key = h.key AND l.token = h.token"
	t.readLeases = "SELECT key, holder, encode(data, 'base64') FROM " + t.leases + " WHERE expires_at > now()"
	t.sweepLeases = "DELETE FROM " + t.leases + " WHERE expires_at < now()"
	return t
}

// channelName returns the notification channel of the tables: their
// qualified name, so that stores in other schemas of the database do not
// hear each other, or a digest of it where it would be cut at 63 bytes.
func channelName(schema, table string) string {
	name := schema + "." + table
	if len(name) <= maxIdentifier && !strings.ContainsRune(name, 0) {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "pgstore_" + hex.EncodeToString(sum[:16])
}

// listenSQL is the statement that listens on channel.
func listenSQL(channel string) string {
	return fmt.Sprintf("LISTEN %s", pgx.Identifier{channel}.Sanitize())
}

// base64Bytes is a bytea column read as encode(column, 'base64'), as the
// queries read them all: as text, which every query mode reads alike. A
// bytea sent as text (the simple protocol, and pgx's exec modes, used
// with PgBouncer) is in the format of the server's bytea_output, and pgx
// reads only its hex format, not the escape format that some databases
// keep for older clients. NULL reads as nil.
type base64Bytes []byte

// Scan implements sql.Scanner.
func (b *base64Bytes) Scan(src any) error {
	switch src := src.(type) {
	case nil:
		*b = nil
	case string:
		data, err := base64.StdEncoding.DecodeString(src) // PostgreSQL breaks its lines, which this skips
		if err != nil {
			return errors.New("pgstore: bytes read in a form that is not base64")
		}
		*b = data
	default:
		return fmt.Errorf("pgstore: cannot read %T as base64 text", src)
	}
	return nil
}
