// Command server is a small agent-style server: it mounts the connectors
// API on its own mux beside a health check, keeps the connectors in a TOML
// file or in PostgreSQL, and runs a supervisor that starts each connector
// on one replica and restarts only the connector that changed, whether
// through the API or by a hand edit of the file.
//
//	go run ./examples/server -addr 127.0.0.1:8080 -config connectors.toml
//
// With -database-url (or CONNECTORS_DATABASE_URL) the connectors are kept
// in PostgreSQL, sealed with the key in CONNECTORS_SECRET_KEY or
// -secret-key-file, and several replicas can share them:
//
//	export CONNECTORS_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
//	go run ./examples/server -database-url postgres://localhost/agent -addr 127.0.0.1:8081 -replica a
//	go run ./examples/server -database-url postgres://localhost/agent -addr 127.0.0.1:8082 -replica b
package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/connectorkit/connectors/pgstore"
)

// options are the server's settings, from its flags and environment.
type options struct {
	addr        string
	config      string // the config file, when there is no database
	databaseURL string
	secretKeys  string // base64 keys, one per line or comma; the first seals
	token       string
	trust       string // comma-separated origins
	replica     string
}

func main() {
	var o options
	var keyFile string
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	flag.StringVar(&o.config, "config", "connectors.toml", "config file (.toml, .json or .json5), unless -database-url is set")
	flag.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL URL to keep the connectors in, shared by replicas (default $CONNECTORS_DATABASE_URL)")
	flag.StringVar(&keyFile, "secret-key-file", "", "file holding the sealing key for the database, base64 of 32 bytes (default $CONNECTORS_SECRET_KEY)")
	flag.StringVar(&o.token, "token", "", "API token required on every request (default $CONNECTORS_API_TOKEN; empty: none)")
	flag.StringVar(&o.trust, "trust-origin", "", "comma-separated origins allowed to write from a browser, such as app://dashboard")
	flag.StringVar(&o.replica, "replica", "", "name of this replica among those sharing the store (default host name and process id)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	o.token = cmp.Or(o.token, os.Getenv("CONNECTORS_API_TOKEN"))
	o.databaseURL = cmp.Or(o.databaseURL, os.Getenv("CONNECTORS_DATABASE_URL"))
	o.secretKeys = os.Getenv("CONNECTORS_SECRET_KEY")
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			log.Error("cannot read the secret key file", "err", err)
			os.Exit(1)
		}
		o.secretKeys = string(b)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, log); err != nil {
		log.Error("server failed", "err", err)
		os.Exit(1)
	}
}

// store is what the server needs of a store.
type store interface {
	connectors.Watcher
	Close() error
}

// openStore opens the database store if o names a database, else the file.
func openStore(ctx context.Context, o options) (store, error) {
	if o.databaseURL == "" {
		return connectors.NewFileStore(o.config, connectors.FileOptions{})
	}
	keys, err := parseKeys(o.secretKeys)
	if err != nil {
		return nil, err
	}
	return pgstore.Open(ctx, o.databaseURL, pgstore.Options{Keys: keys})
}

// parseKeys reads sealing keys, base64 of 32 bytes each, separated by
// commas or new lines; the first seals, the others only open rows sealed
// before a rotation. Each key's id is a digest of it, so replicas agree on
// ids without being told them, and the id says nothing of the key.
func parseKeys(s string) ([]pgstore.Key, error) {
	var keys []pgstore.Key
	for _, field := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if field = strings.TrimSpace(field); field == "" {
			continue
		}
		secret, err := pgstore.ParseKey(field)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(append([]byte("connectors key id\x00"), secret...))
		keys = append(keys, pgstore.Key{ID: "sha256-" + hex.EncodeToString(sum[:6]), Secret: secret})
	}
	if len(keys) == 0 {
		return nil, errors.New("a database needs a key to seal the connectors' secrets: " +
			"make one with `head -c 32 /dev/urandom | base64`, keep it safe, and give every replica the same one " +
			"in CONNECTORS_SECRET_KEY or in a file named by -secret-key-file")
	}
	return keys, nil
}

// run serves until ctx ends, then shuts down cleanly.
func run(ctx context.Context, o options, log *slog.Logger) error {
	if o.token != "" && strings.TrimSpace(o.token) == "" {
		return errors.New("the API token is only white space; set a real one, or none")
	}
	origins := http.NewCrossOriginProtection()
	for origin := range strings.SplitSeq(o.trust, ",") {
		if origin = strings.TrimSpace(origin); origin != "" {
			if err := origins.AddTrustedOrigin(origin); err != nil {
				return err
			}
		}
	}
	st, err := openStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	var sup *connectors.Supervisor
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		return standIn(ctx, log.With("replica", sup.Replica()), name, cfg)
	}
	sup = connectors.NewSupervisor(st, run, connectors.SupervisorOptions{Replica: o.replica, Logger: log})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	connectors.Mount(mux, "/api/connectors", connectors.NewHandler(st, connectors.HandlerOptions{
		Logger:      log,
		Token:       o.token,
		CrossOrigin: origins,
		Supervisor:  sup,
	}))

	// Bind first, so that "listening" is logged only when it is true.
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	var handler http.Handler = mux
	if host, _, err := net.SplitHostPort(o.addr); err == nil && isLoopback(host) {
		handler = loopbackHostOnly(mux)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	supCtx, stopSup := context.WithCancel(ctx)
	defer stopSup()
	supervised := make(chan error, 1)
	go func() { supervised <- sup.Run(supCtx) }()
	where := "config=" + o.config
	if o.databaseURL != "" {
		where = "database"
	}
	log.Info("listening", "addr", "http://"+ln.Addr().String(), "api", "/api/connectors", "store", where,
		"replica", sup.Replica(), "token", o.token != "")

	var failed, supErr error
	supDone := false
	select {
	case failed = <-served:
	case supErr = <-supervised: // an error: it could not start
		supDone = true
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Connectors first: their leases are released as soon as they stop,
	// so the other replicas take them over while this one drains.
	stopSup()
	if !supDone {
		supErr = <-supervised
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srvErr := srv.Shutdown(shutdownCtx)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) && srvErr == nil {
		srvErr = err
	}
	return errors.Join(failed, supErr, srvErr)
}

// standIn runs one of the server's stand-in connectors. A real agent
// would poll Telegram or hold a Discord gateway session here; this logs,
// runs until it is stopped, and never logs a value.
func standIn(ctx context.Context, log *slog.Logger, name string, cfg connectors.Config) error {
	log.Info("connector started", "connector", name, "fields", len(cfg))
	<-ctx.Done()
	log.Info("connector stopped", "connector", name)
	return nil
}

// loopbackHostOnly refuses requests whose Host header is not a loopback
// name. A web page can point a domain of its own at 127.0.0.1 (DNS
// rebinding); its requests would then look same-origin to the
// cross-origin check, but they carry that domain as Host.
func loopbackHostOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if !isLoopback(host) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":"Host not allowed"}` + "\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
