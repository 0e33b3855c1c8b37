// Package pgstore keeps connectors in PostgreSQL, so that many replicas of
// an agent server share one set of connectors, with their secrets sealed
// at rest.
//
// A host makes a key once, gives it to every replica, and opens the store
// where it would open a connectors.FileStore:
//
//	key, err := pgstore.ParseKey(os.Getenv("CONNECTORS_KEY")) // head -c 32 /dev/urandom | base64
//	if err != nil {
//		log.Fatal(err)
//	}
//	store, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), pgstore.Options{
//		Keys: []pgstore.Key{{ID: "2025-06", Secret: key}},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer store.Close()
//	connectors.Mount(mux, "/api/connectors", connectors.NewHandler(store, connectors.HandlerOptions{}))
//
// [Open] makes its own pool and creates the tables. A host with a pool of
// its own calls [Migrate] (or runs [MigrationSQL] with its migration tool)
// and then [New].
//
// # Across replicas
//
// Every replica that opens the same tables (same database, Options.Schema
// and Options.Table) serves one store:
//
//   - A read (State, List, Get, a GET) reflects every write acknowledged,
//     on any replica, before the read began: it reads the revision each
//     time, and the rows again when the revision has moved.
//   - Writes are serialized by a row lock on the revision, so none is lost
//     and an If-Match checked in one replica's Edit holds against writers
//     on all of them. A write commits or not as a whole; one whose
//     connection fails before the commit stores nothing. A writer cut
//     off from the database mid-write (a network partition, a crashed
//     machine) holds the lock, and delays the others, for at most 30
//     seconds.
//   - Every replica answers the same revision, hence the same ETag, for
//     the same state. The revision is a counter: two different databases
//     (or a database restored from an older backup) may give one revision
//     to different contents, so restart the replicas after a restore.
//   - A watcher on any replica gets an event for every change, wherever it
//     was made: from a notification sent with the commit, usually within
//     milliseconds, or, if the notification was lost (the listening
//     connection broke), when the listener reconnects and compares the
//     revision, or at the latest at the next poll (Options.PollInterval).
//     Changes that arrive together are merged per connector, as
//     connectors.Watcher describes; nothing else is promised about their
//     timing.
//
// What it does not do: it does not spread load over database replicas
// (every read asks the primary for the revision), and rows changed by
// hand in SQL must be sealed by this package to be read, and are seen
// only when the revision is raised and the changed rows' updated_revision
// set to the new revision: a replica reads again only the rows written
// after the revision it last read, and keeps the configs it has of the
// others.
//
// Errors that show the database cannot be reached (no connection, a
// connection lost, a server shutting down) wrap connectors.ErrUnavailable,
// which the Handler answers with 503. A read, or the start of a write,
// whose pooled connection turns out to have been lost is first tried
// again, until it runs on a connection that works or on a new one: after
// the server restarts, every connection the pool held is dead, and each
// would otherwise fail one request. A write is not tried again once its
// transaction has begun.
//
// # Leases
//
// [Store] implements connectors.Leaser, with which the Supervisor runs
// each connector on exactly one replica. A lease is a row of the table
// <table>_leases: its key, its holder, a fencing token, the holder's data
// and an expiry by the database's clock. [Store.TryLease] takes a lease
// whose row is missing or expired and sets the expiry to the database's
// now() plus Options.LeaseTTL (3s by default); the store renews every
// lease it holds, in one statement, every LeaseTTL/3, and retries a
// failed renewal after LeaseTTL/10. Release and Close delete the rows of
// the leases they give up, so that another replica can take them at once.
//
// At most one holder: a holder closes its lease's Lost channel before
// the row can be taken by anyone else. The store notes, on its own
// monotonic clock, when it sent the last take or renewal of the lease
// that succeeded; the database set the expiry to its now() plus LeaseTTL,
// and its now() is read as the statement starts, after it was sent. The
// holder gives the lease up LeaseTTL*5/6 after that send unless a later
// renewal has succeeded, while the row lasts LeaseTTL from a later
// instant: the holder stops first, by a margin of LeaseTTL/6 (0.5s by
// default). That holds as long as:
//
//   - over one LeaseTTL, the holder's clock and the database server's
//     clock advance by amounts that differ by less than the margin. It is
//     their rates that matter, not their offsets, so unsynchronized clocks
//     are fine; but a database server's clock stepped forward (rather
//     than slewed, as NTP does once it is in sync) shortens the leases by
//     the step. A holder whose process or machine is paused (a stopped
//     process, a suspended virtual machine, whose monotonic clock may not
//     count the pause) may act on its leases for a while after it runs
//     again, before it sees them lost;
//   - the holder stops what the lease guards within the margin after Lost
//     is closed.
//
// A renewal or a Set that finds the row taken or expired closes Lost at
// once. Where even a paused holder must not act on a lost lease, use the
// fencing token ([Lease.Token]): tokens only grow, so a resource that
// refuses a token smaller than the largest it has seen refuses a former
// holder.
//
// A holder that dies, or loses its connection to the database, leaves a
// row that expires at most LeaseTTL after its last renewal: with a
// Supervisor that tries to take a lease every half second, another
// replica takes it within LeaseTTL plus half a second, 3.5s by default. A
// holder that restarts waits, like any other, for its old rows to expire.
// Renewals use the pool: a pool so busy, or a database so slow, that a
// renewal does not succeed within LeaseTTL*5/6 costs the store its leases
// rather than risk two holders. Each store that holds leases also
// deletes, once a minute, the rows of leases that have expired.
//
// The data a holder records with Lease.Set (its status, which may quote
// a connector's error) is stored in the clear, unlike configs: it is not
// a place for secrets.
//
// # Keys
//
// Each config is stored as AES-256-GCM ciphertext of its JSON, with the
// id of the key that sealed it beside it and the connector's name bound
// to it, so that a row copied under another name does not open. A key is
// 32 random bytes, kept out of the database (an environment variable, a
// secret manager) and given to every replica:
//
//	head -c 32 /dev/urandom | base64
//
// A row whose key is missing or wrong, or which was altered, makes reads
// fail with an error wrapping [ErrUnreadable] that names the connector and
// the key id, never with garbage. Options.Plaintext is the explicit
// opt-out: secrets stored as plain JSON, for development.
//
// # Rotation
//
// To replace key A with key B, in order, each step on every replica:
//
//  1. Keys: [A, B]. Every replica can now read B, which none writes yet.
//  2. Keys: [B, A]. Writes seal with B; rows sealed with A still open.
//  3. Call [Store.Rewrap] once, on any replica: it seals every row still
//     under A with B. It changes no connector, so the revision stays and
//     no watcher hears of it.
//  4. Keys: [B]. A can be destroyed.
//
// Skipping step 1 is safe only if every replica moves to step 2 at once:
// a replica that does not have B cannot read what others sealed with it.
// Moving from Plaintext to keys is the same with plaintext in A's place:
// keep Plaintext set with the new Keys until Rewrap has run.
//
// # Poll-only mode
//
// A connection pooler in transaction mode (PgBouncer's default) cannot
// keep a LISTEN. With Options.PollOnly the store does not listen; watchers
// learn of other replicas' changes by reading the revision every
// Options.PollInterval, so set it to the delay that is acceptable. Reads
// and writes are not affected: they never depend on notifications.
package pgstore
