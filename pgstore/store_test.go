// This file holds the tests of one Store against its contract: reads,
// writes, revisions, errors, contexts and Migrate.

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestPutGetListDelete(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	ctx := t.Context()

	telegram := connectors.Config{
		"botToken": "123456:ABC-DEF",
		"enabled":  true,
		"port":     int64(8443),
		"ratio":    0.25,
		"accounts": []any{map[string]any{"id": "x", "n": int64(-3)}, "plain"},
		"nested":   map[string]any{"deep": map[string]any{"k": "ü 日本"}},
	}
	put(t, s, "telegram", telegram)
	put(t, s, "café/東京", connectors.Config{"token": "t"})

	want := map[string]connectors.Config{"telegram": telegram, "café/東京": {"token": "t"}}
	for _, s := range []*Store{s, db.store(t, "reopened", db.options())} {
		got, err := s.List(ctx)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		cfg, err := s.Get(ctx, "telegram")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if diff := cmp.Diff(telegram, cfg); diff != "" {
			t.Errorf("Get (-want +got):\n%s", diff)
		}
	}

	if err := s.Delete(ctx, "telegram"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Delete(ctx, "telegram"); err != nil {
		t.Errorf("Delete of an absent name: %v, want nil", err)
	}
	if _, err := s.Get(ctx, "telegram"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	got, err := db.store(t, "after-delete", db.options()).List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff(map[string]connectors.Config{"café/東京": {"token": "t"}}, got); diff != "" {
		t.Errorf("List after Delete, from a new store (-want +got):\n%s", diff)
	}
}

func TestEmptyStore(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	got, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("List = %#v, want an empty non-nil map", got)
	}
	if st := state(t, s); st.Revision != "0" {
		t.Errorf("Revision of a new store = %q, want \"0\"", st.Revision)
	}
}

func TestRefusedInput(t *testing.T) {
	db := newTestDB(t)
	opts := db.options()
	opts.Validate = func(name string, cfg connectors.Config) error {
		if cfg["refuse"] == true {
			return errors.New("refused by Validate")
		}
		return nil
	}
	s := db.store(t, "a", opts)
	ctx := t.Context()
	before := state(t, s)

	tests := []struct {
		name  string
		write func() error
		want  error
	}{
		{"empty name", func() error { return s.Put(ctx, " ", connectors.Config{}) }, connectors.ErrInvalidName},
		{"reserved name", func() error { return s.Put(ctx, "__proto__", connectors.Config{}) }, connectors.ErrInvalidName},
		{"delete invalid name", func() error { return s.Delete(ctx, "..") }, connectors.ErrInvalidName},
		{"null in array", func() error { return s.Put(ctx, "a", connectors.Config{"x": []any{nil}}) }, connectors.ErrInvalidConfig},
		{"unsupported type", func() error { return s.Put(ctx, "a", connectors.Config{"x": struct{}{}}) }, connectors.ErrInvalidConfig},
		{"validate", func() error { return s.Put(ctx, "a", connectors.Config{"refuse": true}) }, connectors.ErrInvalidConfig},
		{"update validate", func() error {
			return s.Update(ctx, func(m map[string]connectors.Config) error {
				m["b"] = connectors.Config{"ok": true}
				m["a"] = connectors.Config{"refuse": true}
				return nil
			})
		}, connectors.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.write(); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if after := state(t, s); after.Revision != before.Revision || len(after.Connectors) != 0 {
				t.Errorf("after a refused write: revision %s, %d connectors; want %s, 0", after.Revision, len(after.Connectors), before.Revision)
			}
		})
	}
}

func TestCopies(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	ctx := t.Context()
	cfg := connectors.Config{"list": []any{"a"}, "obj": map[string]any{"k": "v"}}
	put(t, s, "x", cfg)
	cfg["obj"].(map[string]any)["k"] = "changed by caller after Put"

	got, err := s.Get(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	got["list"].([]any)[0] = "changed by caller after Get"
	all, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all["x"]["obj"] = "changed by caller after List"

	want := connectors.Config{"list": []any{"a"}, "obj": map[string]any{"k": "v"}}
	if diff := cmp.Diff(want, state(t, s).Connectors["x"]); diff != "" {
		t.Errorf("stored config changed through a caller's copy (-want +got):\n%s", diff)
	}
}

func TestRevision(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	ctx := t.Context()

	r0 := state(t, s).Revision
	put(t, s, "a", connectors.Config{"v": int64(1)})
	r1 := state(t, s).Revision
	put(t, s, "a", connectors.Config{"v": 1.0}) // the same value in the value model
	if err := s.Delete(ctx, "absent"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Edit(ctx, func(connectors.State) (map[string]connectors.Config, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	r2 := state(t, s).Revision
	if r1 == r0 {
		t.Errorf("revision %s unchanged by a change", r1)
	}
	if r2 != r1 || st.Revision != r1 {
		t.Errorf("revision moved from %s to %s (Edit returned %s) with no change", r1, r2, st.Revision)
	}
	if got := state(t, db.store(t, "b", db.options())).Revision; got != r1 {
		t.Errorf("another store on the same tables says revision %s, want %s", got, r1)
	}
}

func TestEditReturnsStateAfterWrite(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	put(t, s, "keep", connectors.Config{"k": "v"})
	var calls int
	st, err := s.Edit(t.Context(), func(cur connectors.State) (map[string]connectors.Config, error) {
		calls++
		return map[string]connectors.Config{"new": {"port": 80}, "keep": nil}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
	want := map[string]connectors.Config{"new": {"port": int64(80)}}
	if diff := cmp.Diff(want, st.Connectors); diff != "" {
		t.Errorf("Edit's state (-want +got):\n%s", diff)
	}
	if got := state(t, s); got.Revision != st.Revision {
		t.Errorf("State revision %s, Edit returned %s", got.Revision, st.Revision)
	}
}

func TestEditErrorStoresNothing(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	errFn := errors.New("fn refuses")
	_, err := s.Edit(t.Context(), func(connectors.State) (map[string]connectors.Config, error) {
		return map[string]connectors.Config{"a": {}}, errFn
	})
	if err != errFn {
		t.Errorf("Edit returned %v, want fn's error as it is", err)
	}
	if n := len(state(t, s).Connectors); n != 0 {
		t.Errorf("%d connectors stored after fn's error", n)
	}
}

func TestEditContext(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())

	t.Run("done before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		called := false
		_, err := s.Edit(ctx, func(connectors.State) (map[string]connectors.Config, error) {
			called = true
			return nil, nil
		})
		if !errors.Is(err, context.Canceled) || called {
			t.Errorf("Edit = %v, fn called %v; want context.Canceled and no call", err, called)
		}
	})
	t.Run("done during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		_, err := s.Edit(ctx, func(connectors.State) (map[string]connectors.Config, error) {
			cancel() // the context ends after fn, before the commit
			return map[string]connectors.Config{"late": {"x": "y"}}, nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Edit = %v, want context.Canceled", err)
		}
		fresh := db.store(t, "check", db.options())
		if _, ok := state(t, fresh).Connectors["late"]; ok {
			t.Error("a write whose context ended before the commit was stored")
		}
	})
}

// TestKilledConnection kills the writer's connection while its
// transaction is open: the write fails as unavailable and nothing of it
// is stored.
func TestKilledConnection(t *testing.T) {
	db := newTestDB(t)
	app := uniqueAppName("killed")
	s := db.store(t, app, db.options())
	put(t, s, "before", connectors.Config{"v": "1"})

	_, err := s.Edit(t.Context(), func(connectors.State) (map[string]connectors.Config, error) {
		var n int
		err := db.admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1 AND state = 'idle in transaction'`, app).Scan(&n)
		if err != nil || n != 1 {
			t.Fatalf("terminating the writer's connection: %d terminated, %v", n, err)
		}
		return map[string]connectors.Config{"before": nil, "after": {"v": "2"}}, nil
	})
	if !errors.Is(err, connectors.ErrUnavailable) {
		t.Fatalf("Edit on a killed connection = %v, want ErrUnavailable", err)
	}
	want := map[string]connectors.Config{"before": {"v": "1"}}
	if diff := cmp.Diff(want, state(t, s).Connectors); diff != "" {
		t.Errorf("after the failed write (-want +got):\n%s", diff)
	}
}

func TestUpdate(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	put(t, s, "a", connectors.Config{"v": "a"})
	put(t, s, "b", connectors.Config{"v": "b"})
	put(t, s, "c", connectors.Config{"v": "c"})
	err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
		m["a"]["v"] = "A"                  // changed in place
		delete(m, "b")                     // deleted
		m["c"] = nil                       // removed by nil
		m["d"] = connectors.Config{"n": 1} // added
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]connectors.Config{"a": {"v": "A"}, "d": {"n": int64(1)}}
	if diff := cmp.Diff(want, state(t, s).Connectors); diff != "" {
		t.Errorf("after Update (-want +got):\n%s", diff)
	}
}

// TestUpdateSpellings: a name that Update's function adds in another
// spelling is the connector of its canonical spelling, as with Put and
// the package's other stores; two spellings of one name are refused.
func TestUpdateSpellings(t *testing.T) {
	tests := []struct {
		name    string
		fn      func(m map[string]connectors.Config)
		want    map[string]connectors.Config
		wantErr error
	}{
		{
			name: "new name, decomposed and padded",
			fn:   func(m map[string]connectors.Config) { m[" cafe\u0301 "] = connectors.Config{"v": 1} },
			want: map[string]connectors.Config{"slack": {"v": "s"}, "caf\u00e9": {"v": int64(1)}},
		},
		{
			name: "existing name replaced under another spelling",
			fn: func(m map[string]connectors.Config) {
				delete(m, "slack")
				m[" slack"] = connectors.Config{"v": "t"}
			},
			want: map[string]connectors.Config{"slack": {"v": "t"}},
		},
		{
			name:    "two spellings of one name",
			fn:      func(m map[string]connectors.Config) { m["slack "] = connectors.Config{"v": "t"} },
			want:    map[string]connectors.Config{"slack": {"v": "s"}},
			wantErr: connectors.ErrInvalidName,
		},
		{
			name: "two new spellings of one name",
			fn: func(m map[string]connectors.Config) {
				m["x "] = connectors.Config{"v": 1}
				m[" x"] = connectors.Config{"v": 2}
			},
			want:    map[string]connectors.Config{"slack": {"v": "s"}},
			wantErr: connectors.ErrInvalidName,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newTestDB(t)
			s := db.store(t, "a", db.options())
			put(t, s, "slack", connectors.Config{"v": "s"})
			err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
				tt.fn(m)
				return nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Update: %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, state(t, s).Connectors); diff != "" {
				t.Errorf("after Update (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWritersUnderStricterIsolation runs concurrent writers on a
// database whose sessions default to a stricter isolation level than
// PostgreSQL's, as some hosts set for their own tables: the writers, and
// a Rewrap among them, queue on the revision's lock and none fails.
func TestWritersUnderStricterIsolation(t *testing.T) {
	for _, level := range []string{"repeatable read", "serializable"} {
		t.Run(level, func(t *testing.T) {
			db := newTestDB(t)
			opts := db.options()
			if err := Migrate(t.Context(), db.admin, opts); err != nil {
				t.Fatal(err)
			}
			s := open(t, db.poolWith(t, "strict", func(cfg *pgxpool.Config) {
				cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = level
			}), opts)
			put(t, s, "counter", connectors.Config{"n": int64(0)})
			const writers = 8
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
						m["counter"] = connectors.Config{"n": m["counter"]["n"].(int64) + 1}
						m[fmt.Sprint("w", i)] = connectors.Config{}
						return nil
					})
					if err != nil {
						t.Errorf("Update under %s: %v", level, err)
					}
				})
			}
			wg.Go(func() {
				if _, err := s.Rewrap(t.Context()); err != nil {
					t.Errorf("Rewrap under %s: %v", level, err)
				}
			})
			wg.Wait()
			if got := state(t, s).Connectors["counter"]["n"]; got != int64(writers) {
				t.Errorf("counter = %v, want %d", got, writers)
			}
		})
	}
}

// TestTextResultsEscapedBytea reads and rewraps through connections that
// get results as text (the query modes used with PgBouncer) from a
// server set to print bytea in the old escape format, as some databases
// are kept for older clients.
func TestTextResultsEscapedBytea(t *testing.T) {
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		t.Run(mode.String(), func(t *testing.T) {
			db := newTestDB(t)
			pool := db.poolWith(t, "escape", func(cfg *pgxpool.Config) {
				cfg.ConnConfig.DefaultQueryExecMode = mode
				cfg.ConnConfig.RuntimeParams["bytea_output"] = "escape"
			})
			opts := db.options()
			if err := Migrate(t.Context(), pool, opts); err != nil {
				t.Fatal(err)
			}
			openWith := func(keys ...Key) *Store {
				t.Helper()
				return open(t, pool, Options{Schema: db.schema, Keys: keys})
			}
			want := connectors.Config{"botToken": "1:x", "n": int64(7)}
			put(t, openWith(keyA), "telegram", want)
			if diff := cmp.Diff(want, state(t, openWith(keyA)).Connectors["telegram"]); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			if n, err := openWith(keyB, keyA).Rewrap(t.Context()); err != nil || n != 1 {
				t.Errorf("Rewrap = %d, %v; want 1, nil", n, err)
			}
			if diff := cmp.Diff(want, state(t, openWith(keyB)).Connectors["telegram"]); diff != "" {
				t.Errorf("read back after Rewrap (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClosed(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	s.Close()
	if _, err := s.State(t.Context()); !errors.Is(err, connectors.ErrClosed) {
		t.Errorf("State after Close = %v, want ErrClosed", err)
	}
	if err := s.Put(t.Context(), "a", connectors.Config{}); !errors.Is(err, connectors.ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
	for range s.Watch(t.Context()) {
		t.Error("Watch after Close yielded an event")
	}
}

func TestNewWithoutTables(t *testing.T) {
	db := newTestDB(t)
	_, err := New(t.Context(), db.pool(t, "a"), db.options())
	if err == nil || !strings.Contains(err.Error(), "Migrate") {
		t.Errorf("New without tables = %v, want an error that says to run Migrate", err)
	}
}

// TestMigrateTogether runs Migrate from several pools at once, on a
// schema and table whose names need quoting, and again.
func TestMigrateTogether(t *testing.T) {
	db := newTestDB(t)
	opts := Options{Schema: db.schema, Table: `Odd "Name"; x`, Keys: []Key{keyA}}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		pool := db.pool(t, fmt.Sprint("m", i))
		wg.Go(func() { errs[i] = Migrate(t.Context(), pool, opts) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	s := db.store(t, "a", opts) // migrates once more
	put(t, s, "x", connectors.Config{"k": "v"})
	var n int
	if err := db.admin.QueryRow(t.Context(),
		`SELECT count(*) FROM `+db.ident()+`."Odd ""Name""; x"`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows in the quoted table: %d, %v; want 1", n, err)
	}
	if err := Migrate(t.Context(), db.admin, opts); err != nil {
		t.Errorf("Migrate over stored rows: %v", err)
	}
	if st := state(t, s); st.Revision != "1" || len(st.Connectors) != 1 {
		t.Errorf("after Migrate again: revision %s with %d connectors, want 1 with 1", st.Revision, len(st.Connectors))
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string // in the error; "" for none
	}{
		{"no keys", Options{}, "head -c 32 /dev/urandom | base64"},
		{"plaintext", Options{Plaintext: true}, ""},
		{"short key", Options{Keys: []Key{{ID: "k", Secret: make([]byte, 16)}}}, `key "k" is 16 bytes, want 32`},
		{"empty id", Options{Keys: []Key{{Secret: make([]byte, 32)}}}, "Keys[0]: the ID must be"},
		{"id with space", Options{Keys: []Key{{ID: "a b", Secret: make([]byte, 32)}}}, "Keys[0]: the ID must be"},
		{"duplicate id", Options{Keys: []Key{keyA, {ID: keyA.ID, Secret: keyB.Secret}}}, `key id "key-a" used twice`},
		{"long table", Options{Plaintext: true, Table: strings.Repeat("t", 60)}, "table name longer than 54 bytes"},
		{"long schema", Options{Plaintext: true, Schema: strings.Repeat("s", 64)}, "schema name longer than 63 bytes"},
		{"NUL in table", Options{Plaintext: true, Table: "conn\x00ectors"}, "table name holds a NUL byte"},
		{"NUL in schema", Options{Plaintext: true, Schema: "pub\x00lic"}, "schema name holds a NUL byte"},
		{"short lease", Options{Plaintext: true, LeaseTTL: 50 * time.Millisecond}, "LeaseTTL is 50ms, less than 100ms"},
		{"negative lease", Options{Plaintext: true, LeaseTTL: -time.Second}, "LeaseTTL is -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.withDefaults().check()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("check: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("check: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestMigrateRefusesBadNames: Migrate refuses the names New refuses,
// before it makes anything: PostgreSQL would cut a long name, and drop a
// NUL byte, and make tables New cannot open.
func TestMigrateRefusesBadNames(t *testing.T) {
	db := newTestDB(t)
	for _, opts := range []Options{
		{Schema: db.schema, Table: strings.Repeat("t", 56)},
		{Schema: db.schema, Table: "conn\x00ectors"},
	} {
		err := Migrate(t.Context(), db.admin, opts)
		if err == nil {
			t.Errorf("Migrate with table %q succeeded", opts.Table)
		}
	}
	var tables int
	if err := db.admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, db.schema).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("Migrate refused the names, but %d tables were made", tables)
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // in the error; "" for none
	}{
		{"valid", "oaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaE=\n", ""},
		{"not base64", "not a key!", "not valid base64"},
		{"16 bytes", "AAAAAAAAAAAAAAAAAAAAAA==", "16 bytes, want 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseKey(tt.in)
			switch {
			case tt.want == "" && (err != nil || len(key) != KeySize):
				t.Errorf("ParseKey = %d bytes, %v; want %d bytes", len(key), err, KeySize)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ParseKey: %v, want an error containing %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), tt.in):
				t.Errorf("ParseKey's error %q repeats the input", err)
			}
		})
	}
}

// TestConnectionsKilled: every connection of the store's pool dies at
// once, as when the database server restarts, while the pool holds them
// idle. The next reads, also of rows another replica wrote meanwhile, and
// writes succeed on new connections, rather than fail once for each dead
// one.
func TestConnectionsKilled(t *testing.T) {
	db := newTestDB(t)
	app := uniqueAppName("restart")
	s := db.store(t, app, db.options())
	other := db.store(t, uniqueAppName("other"), db.options())
	put(t, s, "a", connectors.Config{"v": "1"})
	for round := range 3 {
		// Several connections in the pool, used just now: a pool pings
		// before use only a connection idle for a second or more.
		killPooled(t, db, app, func() { s.State(t.Context()) })
		if round == 2 { // rows the store must load
			put(t, other, "b", connectors.Config{"v": "2"})
		}
		if round%2 == 1 { // a write first
			put(t, s, "a", connectors.Config{"v": fmt.Sprint(round)})
		}
		errs := make(chan error, 10)
		for range 10 { // at once, as GETs come
			go func() {
				_, err := s.State(t.Context())
				errs <- err
			}()
		}
		for range 10 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: a read after the connections died: %v", round, err)
			}
		}
	}
	want := map[string]connectors.Config{"a": {"v": "1"}, "b": {"v": "2"}}
	if diff := cmp.Diff(want, state(t, s).Connectors); diff != "" {
		t.Errorf("after the writes (-want +got):\n%s", diff)
	}
}

// killPooled has use fill the pool of the store connecting as app with
// several connections, used just now (a pool pings before use only a
// connection idle for a second or more), then terminates them all and
// waits for them to end.
func killPooled(t *testing.T, db *testDB, app string, use func()) {
	t.Helper()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(use)
	}
	wg.Wait()
	var killed int
	err := db.admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1`, app).Scan(&killed)
	if err != nil || killed < 2 {
		t.Fatalf("terminating the store's connections: %d terminated, %v", killed, err)
	}
	until(t, "the connections to end", 5*time.Second, func() bool {
		var left int
		err := db.admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&left)
		return err == nil && left == 0
	})
}

// TestLeasesConnectionsKilled: Leases, a read, is tried again on another
// connection when its pooled one was lost, as State is: after a restart
// of the server no call fails for a dead connection.
func TestLeasesConnectionsKilled(t *testing.T) {
	db := newTestDB(t)
	app := uniqueAppName("leases-restart")
	s := db.store(t, app, db.options())
	take(t, s, "job", "a")
	killPooled(t, db, app, func() { s.Leases(t.Context()) })
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			_, err := s.Leases(t.Context())
			errs <- err
		}()
	}
	for range 10 {
		if err := <-errs; err != nil {
			t.Fatalf("Leases after the connections died: %v", err)
		}
	}
}
