// Package connectors stores an AI agent's messaging-platform connector
// configurations (Telegram, Discord, WhatsApp, Slack, ...) and serves them
// over a small JSON API with every secret redacted.
//
// A host mounts the API on its own mux and points it at its config file:
//
//	store, err := connectors.NewFileStore("connectors.toml")
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux := http.NewServeMux()
//	connectors.Mount(mux, "/api/connectors", connectors.NewHandler(store, connectors.HandlerOptions{}))
//
// # Stores
//
// A [Store] lists, gets, puts and deletes connectors by name. [FileStore]
// keeps them under the "connectors" table of a TOML or JSON file and leaves
// the rest of the file to the host; [MemoryStore] keeps them in memory.
// Both also implement [Updater], which reads and changes the store in one
// step, and [Watcher], which reports each connector that changes, whether
// through the API, a Store call, another process or a hand edit, so a host
// can restart only that connector.
//
// # Values
//
// A [Config] is a JSON object whose values are strings, booleans, int64,
// float64, arrays and objects. Numbers keep one spelling: an integral number
// is an int64 in every format, so a port stays 8080, never 8080.0.
// Connector names are checked by [CheckName].
//
// # Redaction
//
// [Redact] masks the values of sensitive keys (tokens, passwords, API keys,
// ...) in a deep copy of a config; a [Policy] adds rules of the host's own.
// Redaction is for responses: the file keeps the real secrets.
//
// # HTTP API
//
// [NewHandler] serves GET (list), POST (add or replace), GET /{name} and
// DELETE /{name}; see its documentation for statuses and bodies. A POST
// that sends back masks it read keeps the stored secrets ([Restore]).
// [HandlerOptions] adds a token and trusted origins; cross-origin browser
// writes are refused by default.
//
// # Files
//
// [FileStore] takes an OS lock on a guard file for every write, so several
// processes can share one file; it replaces the file atomically and never
// overwrites a file it cannot parse. Writes that arrive together in one
// process are committed in one replacement, each returning once it is
// durable. See the README's "Durability" section for what is and is not
// guaranteed.
package connectors
