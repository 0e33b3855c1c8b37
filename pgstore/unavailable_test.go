// This file holds the tests of a database that cannot be reached: errors
// wrap connectors.ErrUnavailable and the Handler answers 503.

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestUnavailable(t *testing.T) {
	url := testURL(t)
	closedPort := func(t *testing.T) *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.Host, cfg.ConnConfig.Port = "127.0.0.1", 1 // nothing listens there
		pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	tests := []struct {
		name string
		call func(t *testing.T) error
	}{
		{"Open", func(t *testing.T) error {
			_, err := Open(t.Context(), "postgres://postgres@127.0.0.1:1/test?connect_timeout=5", Options{Keys: []Key{keyA}})
			return err
		}},
		{"Migrate", func(t *testing.T) error { return Migrate(t.Context(), closedPort(t), Options{}) }},
		{"New", func(t *testing.T) error {
			_, err := New(t.Context(), closedPort(t), Options{Keys: []Key{keyA}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(t); !errors.Is(err, connectors.ErrUnavailable) {
				t.Errorf("%s on a closed port = %v, want ErrUnavailable", tt.name, err)
			}
		})
	}
}

// TestUnavailableHandler cuts a running store off its database, through
// a proxy, and back: the Handler answers 503 while it is away and serves
// again when it returns.
func TestUnavailableHandler(t *testing.T) {
	db := newTestDB(t)
	p, s := proxiedStore(t, db, db.options())
	srv := httptest.NewServer(connectors.NewHandler(s, connectors.HandlerOptions{}))
	defer srv.Close()
	call := func(method string) (int, string) {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader(`{"name":"telegram","config":{"botToken":"1:x"}}`)
		}
		req, _ := http.NewRequest(method, srv.URL, body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}

	if code, body := call("GET"); code != http.StatusOK {
		t.Fatalf("GET with the database there: %d %s", code, body)
	}
	p.setDown(true)
	for _, method := range []string{"GET", "POST", "GET"} {
		if code, body := call(method); code != http.StatusServiceUnavailable || body != `{"error":"store unavailable"}`+"\n" {
			t.Errorf("%s with the database away: %d %s, want 503 store unavailable", method, code, body)
		}
	}
	if _, err := s.State(t.Context()); !errors.Is(err, connectors.ErrUnavailable) {
		t.Errorf("State with the database away = %v, want ErrUnavailable", err)
	}
	p.setDown(false)
	if code, body := call("POST"); code != http.StatusOK {
		t.Errorf("POST with the database back: %d %s", code, body)
	}
}

// TestWatchSilentDatabase makes the database a black hole, as a network
// partition does: Watch still returns, within the bound of its read, and
// its sequence ends when its context does.
func TestWatchSilentDatabase(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.PingInterval = 100 * time.Millisecond
	p, s := proxiedStore(t, db, opts)
	p.silence()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	returned := make(chan iter.Seq[connectors.Event])
	go func() { returned <- s.Watch(ctx) }()
	select {
	case seq := <-returned:
		cancel()
		for e := range seq {
			t.Errorf("event %v from a silent database", e)
		}
	case <-time.After(eventWait):
		cancel()
		<-returned
		t.Fatalf("Watch did not return within %v while the database was silent", eventWait)
	}
}

// TestVanishedWriter cuts a writer off mid-transaction without closing
// its connection, as a network partition or a crashed machine does: the
// database must not keep the revision's lock for the dead writer, which
// would stop every write on every replica; another replica's write goes
// through once the writer's transaction has been idle too long, and
// nothing of the cut-off write is stored.
func TestVanishedWriter(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	p, a := proxiedStore(t, db, opts)
	a.writeTx = writeTx(500 * time.Millisecond) // so that the test need not wait writerIdleTimeout
	b := db.store(t, "b", opts)

	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := a.Edit(ctx, func(connectors.State) (map[string]connectors.Config, error) {
		p.freeze() // a's connection goes dark with the lock held
		return map[string]connectors.Config{"lost": {}}, nil
	})
	if err == nil {
		t.Fatal("Edit through a dark connection succeeded")
	}
	ctx, cancel = context.WithTimeout(t.Context(), eventWait)
	defer cancel()
	if err := b.Put(ctx, "after", connectors.Config{}); err != nil {
		t.Fatalf("Put on another replica while the vanished writer's transaction stays open: %v", err)
	}
	if _, ok := state(t, b).Connectors["lost"]; ok {
		t.Error("the vanished writer's write was stored")
	}
}

// A proxy forwards TCP connections to a server. Set down, it closes
// every connection it holds and every new one; frozen, it drops what
// comes through the connections it holds, and the closing of either
// side, without closing them, as a network that has lost them does, and
// still forwards new ones; silenced, it does so with every connection,
// new ones too.
type proxy struct {
	host   string
	port   uint16
	target string

	mu     sync.Mutex
	down   bool
	silent bool
	links  []*link
}

// A link is one forwarded connection: the client's and the server's.
type link struct {
	client, server net.Conn
	frozen         atomic.Bool
}

// proxiedStore returns a proxy in front of the test database and a store
// with opts on a pool that connects through it. At the end of the test
// the store is closed, then the proxy cut (closing the pool would wait on
// connections the test made silent), then the pool closed.
func proxiedStore(t *testing.T, db *testDB, opts Options) (*proxy, *Store) {
	return proxiedStoreWith(t, db, opts, nil)
}

// proxiedStoreWith is proxiedStore with the pool's config changed by
// tune first, if not nil.
func proxiedStoreWith(t *testing.T, db *testDB, opts Options, tune func(*pgxpool.Config)) (*proxy, *Store) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(db.url)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))))
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = p.host, p.port
	if tune != nil {
		tune(cfg)
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	t.Cleanup(func() { p.setDown(true) })
	if err := Migrate(t.Context(), pool, opts); err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return p, s
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	p := &proxy{host: "127.0.0.1", port: uint16(addr.Port), target: target}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.forward(c) })
		}
	})
	return p
}

// forward copies between c and a new connection to the target.
func (p *proxy) forward(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	l := &link{client: c, server: s}
	l.frozen.Store(p.silent)
	p.links = append(p.links, l)
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		l.copy(s, c)
		close(done)
	}()
	l.copy(c, s)
	<-done
}

// copy copies from src to dst, dropping what comes while l is frozen,
// and closes both when either side ends, unless l is frozen: then the
// end of one side is lost too, and the other keeps its connection until
// the proxy goes down, as a machine that has vanished from the network
// never closes its connections.
func (l *link) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.frozen.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	if !l.frozen.Load() {
		l.client.Close()
		l.server.Close()
	}
}

// setDown cuts every connection and refuses new ones, or lets them in.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, l := range p.links {
			l.client.Close()
			l.server.Close()
		}
		p.links = nil
	}
}

// freeze makes every connection the proxy holds a black hole.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.frozen.Store(true)
	}
}

// silence makes every connection the proxy holds, and every new one, a
// black hole, as a network partition does.
func (p *proxy) silence() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.silent = true
	for _, l := range p.links {
		l.frozen.Store(true)
	}
}

// TestOpenErrorHidesPassword: the error of a database URL that does not
// parse says what is wrong without any of the password, however the URL
// is malformed (pgx's own masking misses a password written "password =
// x" or one holding '@').
func TestOpenErrorHidesPassword(t *testing.T) {
	const pw = "Hunter2SecretPw"
	for _, dsn := range []string{
		"host=127.0.0.1 password=" + pw + " sslmode=bogus",
		"host=127.0.0.1 password = " + pw + " sslmode=bogus",
		"host=127.0.0.1 password='" + pw + " x' sslmode=bogus",
		`host=127.0.0.1 password='a\'` + pw + `' sslmode=bogus`,
		"postgres://u:" + pw + "@127.0.0.1/db?sslmode=bogus",
		"postgres://u:p:" + pw + "@127.0.0.1/db?sslmode=bogus",
		"postgres://u:" + pw + "@127.0.0.1/d%zzb",
		"postgres://u:p@" + pw + "@127.0.0.1/d%zzb",
		"postgres://u:" + pw + "@127.0.0.1/db?pool_max_conns=x",
		"postgres://u:" + pw + "%zz@127.0.0.1/db",
		"postgres://u:p@127.0.0.1/db?pool_max_conns=" + pw,
		"postgres://u:p@127.0.0.1/db?target_session_attrs=" + pw,
		"host=127.0.0.1 channel_binding=" + pw,
	} {
		_, err := Open(t.Context(), dsn, Options{Plaintext: true})
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if strings.Contains(err.Error(), pw[:6]) {
			t.Errorf("Open's error holds the password: %v", err)
		}
	}
}

// TestLost: the errors on which a read, or the start of a write, tries
// again on another connection (a connection lost) and those on which it
// does not (no new connection to be had, a timeout, an error of the query).
func TestLost(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"terminated by the server", fmt.Errorf("read revision: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"closed", io.ErrUnexpectedEOF, true},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"connect refused", &pgconn.ConnectError{}, false},
		{"timed out", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, false},
		{"undefined table", &pgconn.PgError{Code: "42P01"}, false},
		{"other", errors.New("boom"), false},
	}
	for _, tc := range tests {
		if got := lost(tc.err); got != tc.want {
			t.Errorf("%s: lost = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCommitWithoutAnswer: a commit that gets no answer within
// commitTimeout (a server stalled in its fsync, a network gone dark as
// the commit was sent) has an unknown outcome, which Edit reports as the
// database being unavailable (a 503), not as the caller's context
// ending, which it did not.
func TestCommitWithoutAnswer(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	defer func(d time.Duration) { commitTimeout = d }(commitTimeout)
	commitTimeout = 300 * time.Millisecond
	tracer := &darkOnCommit{}
	p, s := proxiedStoreWith(t, db, opts, func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = tracer })
	tracer.p = p
	tracer.armed.Store(true)
	err := s.Put(context.Background(), "x", connectors.Config{})
	if !errors.Is(err, connectors.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Put whose commit got no answer: %v, want an error wrapping ErrUnavailable and not a context's", err)
	}
}

// darkOnCommit freezes the proxy p as the next COMMIT is sent, once armed.
type darkOnCommit struct {
	p     *proxy
	armed atomic.Bool
}

func (d *darkOnCommit) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.EqualFold(data.SQL, "commit") && d.armed.CompareAndSwap(true, false) {
		d.p.freeze()
	}
	return ctx
}

func (d *darkOnCommit) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
