// Package connectorstest checks that an implementation of
// [connectors.Store] keeps the contract written in the documentation of
// package connectors, in the manner of [testing/fstest.TestFS] and
// [log/slog/slogtest]. Our own stores run it, and so can anyone's.
//
// A store's tests call [Run] with a function that returns a fresh, empty
// store, and register its cleanup:
//
//	func TestConformance(t *testing.T) {
//		connectorstest.Run(t, func(t *testing.T) connectors.Store {
//			s, err := mystore.Open(filepath.Join(t.TempDir(), "db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Every check is a subtest named after the interface whose promise it
// checks and the promise, such as "Store/ReturnsCopies" or
// "Watcher/Merges/add_then_delete", so a failure names what broke and
// go test -run repeats just that check.
//
// # What Run checks
//
// For every [connectors.Store]: an empty store lists an empty, non-nil
// map; configs round-trip in the value model (strings, booleans, int64 to
// its limits, float64, nested arrays and objects, empty ones too); other
// Go numbers are converted, nil members dropped and reserved keys stripped
// at every depth; Put replaces the whole config; configs passed in and
// handed out are copies, at every depth; names are checked, trimmed and
// normalized to NFC; invalid names and configs are refused with
// [connectors.ErrInvalidName] and [connectors.ErrInvalidConfig] and store
// nothing; Get of an absent name wraps [connectors.ErrNotFound]; Delete of
// an absent name succeeds; concurrent writers lose nothing; a write with a
// cancelled context fails and stores nothing.
//
// Where the store is a [connectors.Updater]: Update sees every connector,
// stores fn's changes together or not at all, removes names mapped to
// nil, and loses no update under concurrency.
//
// Where it is [connectors.Versioned]: the revision is printable ASCII,
// unchanged by reads and by writes that change nothing, changed by every
// other write; Edit returns the new state and fn's error as it is; of
// concurrent edits that each require the revision they read, at most one
// succeeds per revision; State agrees with List.
//
// Where it is a [connectors.Watcher]: each change yields one event with a
// config the receiver owns; writes that change nothing, and writes made
// before Watch, yield none; changes that arrive while a subscriber is not
// reading are merged per connector, one event with its latest state
// (changes that end where they began yield one too, as a subscriber that
// listed after Watch may hold the state between) and never make a writer
// wait; every subscriber gets every event; ranging ends when the context
// is done.
//
// Where it is a [connectors.Leaser]: a held lease is refused to every
// holder with [connectors.ErrLeaseHeld], its own too, and other keys stay
// free; Leases lists each holder and the data it set (copied both ways),
// for keys of any UTF-8; Release closes Lost, frees the key at once, may
// be called twice, and makes Set fail; of 16 racing TryLease calls
// exactly one wins; a TryLease whose context ends, before or while it
// runs, returns a lease or leaves the key free, never taken by nobody;
// an empty, overlong or non-UTF-8 key is refused.
//
// A store that lacks an optional interface has those checks skipped.
//
// # What Run expects of the caller
//
// Run calls newStore once for every check, plus once per interface to
// learn which ones the store implements, and runs the checks one at a
// time. Each call must return a store that is empty and shares its
// contents with no store returned before.
//
// A check that waits for a store (for an event, for a range loop to end)
// gives up after five seconds; a passing store is never waited on longer
// than it takes.
//
// A Watcher may learn of changes after the writes return, by polling for
// instance. To see every event that a store will yield for the writes so
// far, and that it yields no other, the Watcher checks put a marker
// connector (named "marker-" and a number) and read events up to the
// marker's, twice. They expect that once the event of a write has been
// received, the events of every earlier write come before those of any
// later one; and that a change reaches all subscribers of a store
// together, since the merging check reads with a second subscriber to
// learn when the store has heard of the writes made while the first was
// not reading.
package connectorstest
