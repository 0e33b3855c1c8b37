// Package connectors stores an AI agent's messaging-platform connector
// configurations (Telegram, Discord, WhatsApp, Slack, ...) and serves them
// over a small JSON API with every secret redacted.
//
// A host mounts the API on its own mux and points it at its config file:
//
//	store, err := connectors.NewFileStore("connectors.toml", connectors.FileOptions{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux := http.NewServeMux()
//	connectors.Mount(mux, "/api/connectors", connectors.NewHandler(store, connectors.HandlerOptions{}))
//
// # Stores
//
// A [Store] lists, gets, puts and deletes connectors by name. [FileStore]
// keeps them under the "connectors" table of the host's TOML or JSON5 file,
// editing only the bytes of the connectors it changes; [MemoryStore] keeps
// them in memory; the module github.com/connectorkit/connectors/pgstore
// keeps them in PostgreSQL for servers that run as several replicas.
//
// Abilities beyond the four methods are optional interfaces: [Updater]
// reads and changes the store in one step; [Versioned] hands out the whole
// state with a revision and changes it in one step with the reading;
// [Watcher] reports each connector that changes, whether through the API, a
// Store call, another process or a hand edit; [Leaser] lends leases
// shared by the processes of one store. Our stores have all four. A
// store of your own gets the same treatment from the [Handler]: it names
// no concrete store. [ApplyChanges] and [Hub] are the parts of ours that
// another store can reuse, and the package connectorstest checks that a
// store keeps the contract.
//
// # Guarantees
//
// Concurrency: every store is safe for concurrent use; a FileStore also by
// several processes on one file (an OS lock on a guard file beside it).
// Maps returned are copies the caller owns; configs passed in are copied.
//
// Durability: a FileStore re-reads the file under its lock, replaces it
// atomically (temporary file, fsync, rename, directory fsync), never
// overwrites a file it cannot parse, and keeps every byte it does not
// change. A write whose context ends before it commits stores nothing.
//
// ETags: the Handler builds its ETag from a Versioned store's revision, so
// a tag is valid on every server of the same store and after a restart,
// and checks If-Match inside the store's Edit. A revision says nothing of
// the secrets: FileStore's is a digest of the file keyed by a random key
// in its guard file, so a client cannot test guesses of a secret against
// a tag.
//
// Ownership: a [Supervisor] on a [Leaser] runs each connector on exactly
// one of the processes that share the store, and stops a connector before
// another process can start it (FileStore: OS file locks, freed at once
// when a process dies; pgstore: renewed leases that a holder gives up
// before they expire).
//
// # Running connectors
//
// A [Supervisor] runs every connector of a [Watcher] with a [RunFunc],
// restarts only the one that changed, starts a failed one again after a
// backoff, and reports a [ConnectorStatus] for each, which the Handler
// serves at "/status".
//
// # Values
//
// A [Config] is a JSON object whose values are strings, booleans, int64,
// float64, arrays and objects. Numbers keep one spelling: an integral number
// is an int64 in every format, so a port stays 8080, never 8080.0.
// Connector names are checked and normalized by [CheckName].
//
// # Redaction
//
// [Redact] masks the values of sensitive keys (tokens, passwords, API keys,
// ...) and the credentials in URLs, in a deep copy of a config; a [Policy]
// adds rules of the host's own. Redaction is for responses: the store
// keeps the real secrets. A POST that sends back masks it read keeps the
// stored secrets ([Restore]).
//
// # HTTP API
//
// [NewHandler] serves GET (list), POST (add or replace), GET /{name} and
// DELETE /{name}, and GET /status with a Supervisor; see its documentation
// for statuses and bodies.
// [HandlerOptions] adds a token and trusted origins; cross-origin browser
// writes are refused by default.
package connectors
