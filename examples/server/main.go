// Command server is a small agent-style server: it mounts the connectors
// API on its own mux beside a health check, keeps the connectors in a TOML
// file, and runs a supervisor that restarts only the connector that
// changed, whether through the API or by a hand edit of the file.
//
//	go run ./examples/server -addr 127.0.0.1:8080 -config connectors.toml
package main

import (
	"context"
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
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	config := flag.String("config", "connectors.toml", "config file (.toml or .json)")
	token := flag.String("token", "", "API token required on every request (default $CONNECTORS_API_TOKEN; empty: none)")
	trust := flag.String("trust-origin", "", "comma-separated origins allowed to write from a browser, such as app://dashboard")
	flag.Parse()
	if *token == "" {
		*token = os.Getenv("CONNECTORS_API_TOKEN")
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *config, *token, *trust, log); err != nil {
		log.Error("server failed", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down cleanly.
func run(ctx context.Context, addr, config, token, trust string, log *slog.Logger) error {
	store, err := connectors.NewFileStore(config, connectors.FileOptions{})
	if err != nil {
		return err
	}
	origins := http.NewCrossOriginProtection()
	for o := range strings.SplitSeq(trust, ",") {
		if o = strings.TrimSpace(o); o != "" {
			if err := origins.AddTrustedOrigin(o); err != nil {
				return err
			}
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	connectors.Mount(mux, "/api/connectors", connectors.NewHandler(store, connectors.HandlerOptions{
		Logger:      log,
		Token:       token,
		CrossOrigin: origins,
	}))

	// Bind first, so that "listening" is logged only when it is true.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	supervised := make(chan error, 1)
	go func() { supervised <- supervise(ctx, store, log) }()

	var handler http.Handler = mux
	if host, _, err := net.SplitHostPort(addr); err == nil && isLoopback(host) {
		handler = loopbackHostOnly(mux)
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", "http://"+ln.Addr().String(), "api", "/api/connectors", "config", config, "token", token != "")

	select {
	case err := <-served:
		return err
	case err := <-supervised:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-supervised
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

// supervise "runs" every configured connector and restarts only the one
// that changed. A real agent would start a Telegram poller or a Discord
// gateway session here; this one logs, and never logs a config value.
func supervise(ctx context.Context, store *connectors.FileStore, log *slog.Logger) error {
	events := store.Watch(ctx) // subscribe first, so no change is missed
	all, err := store.List(ctx)
	if err != nil {
		// A config file that does not parse: keep serving (the API
		// answers 500 meanwhile) so a person can fix the file; its
		// connectors arrive as events once it parses.
		log.Error("config file unusable; waiting for it to be fixed", "err", err)
	}
	for name, cfg := range all {
		log.Info("connector started", "connector", name, "fields", len(cfg))
	}
	for e := range events {
		switch e.Op {
		case connectors.Added:
			log.Info("connector started", "connector", e.Name, "fields", len(e.Config))
		case connectors.Updated:
			log.Info("connector restarted", "connector", e.Name, "fields", len(e.Config))
		case connectors.Removed:
			log.Info("connector stopped", "connector", e.Name)
		}
	}
	return nil
}
